/**
 * HTTPS fetching for policies published on the web: the MTA-STS policy (RFC 8461 §3.3) and the
 * BIMI logo and certificate. The rules are RFC 8461's and they suit BIMI as well:
 *   - the host is resolved through OUR resolver (the one --dns names), never the system's, so a
 *     check sees the same DNS as every other lookup and tests never leave loopback;
 *   - the certificate must chain to a trusted root (plus an optional extra CA, --ca-file) and be
 *     valid for the host (RFC 8461 §3.3, RFC 6125);
 *   - redirects are returned, never followed ("HTTP 3xx redirects MUST NOT be followed", §3.3);
 *   - one deadline (10 s) and a body limit (64 KiB), so a stalled or hostile server costs a finding,
 *     not a hung run or a full memory.
 * undici is imported on the first fetch, so runs that never fetch a policy never load it.
 */
import { ipFamily } from '../net/ip-address.js';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { Agent } from 'undici';
import { answerError, isFailure } from '../dns/lookup.js';
import type { Resolver } from '../dns/types.js';
import { DnsError, NetworkError } from '../errors.js';

/** The whole exchange (connect, TLS, headers, body) must finish within this. */
export const POLICY_FETCH_TIMEOUT_MS = 10_000;
/** Larger bodies are refused; an MTA-STS policy is a few hundred bytes. */
export const POLICY_MAX_BYTES = 64 * 1024;

export interface PolicyGetOptions {
  /** Refuse bodies larger than this (default POLICY_MAX_BYTES). */
  maxBytes?: number;
  /**
   * Instead of refusing a larger body, stop reading once past maxBytes and return what was read
   * (then body is maxBytes plus at most one chunk; the caller judges the size). Off by default.
   */
  truncate?: boolean;
  /** Cancels the fetch (it then rejects with reason timeout). */
  signal?: AbortSignal;
}

export interface PolicyResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body decoded as UTF-8 (invalid bytes become U+FFFD). */
  body: string;
  /** The body's size in octets. */
  bytes: number;
}

export interface PolicyFetcher {
  /**
   * GETs an https: URL. Resolves for every HTTP reply whatever its status (3xx included: the caller
   * reports redirects); rejects with PolicyFetchError when there is no complete reply.
   */
  get(url: string, opts?: PolicyGetOptions): Promise<PolicyResponse>;
  /** Closes any open connection. */
  close(): Promise<void>;
}

/** Why a fetch produced no reply — the checks turn each into a specific sentence. */
export const POLICY_FETCH_FAILURES = {
  'bad-url': 'The URL is not an absolute https: URL.',
  dns: 'The host has no A/AAAA record, or DNS failed for it (the cause is then a DnsError).',
  connect: 'No TCP connection: refused, reset, unreachable.',
  tls: 'The TLS handshake failed: the certificate is untrusted, expired or not valid for the host.',
  timeout: 'No complete reply within the deadline.',
  'too-large': 'The body is larger than the limit.',
  protocol: 'The reply is not valid HTTP, or the connection closed mid-reply.',
} as const;
export type PolicyFetchFailure = keyof typeof POLICY_FETCH_FAILURES;

export class PolicyFetchError extends NetworkError {
  readonly reason: PolicyFetchFailure;
  readonly url: string;
  /** For too-large: how many octets were seen (or announced by Content-Length) before giving up. */
  readonly bytes?: number;
  constructor(reason: PolicyFetchFailure, url: string, message: string, opts: { cause?: unknown; bytes?: number } = {}) {
    super(`POLICY_FETCH_${reason.toUpperCase().replace('-', '_')}`, message, { cause: opts.cause, temporary: reason !== 'bad-url' && reason !== 'too-large' });
    this.reason = reason;
    this.url = url;
    this.bytes = opts.bytes;
  }
}

export interface UndiciPolicyFetcherOptions {
  /** Resolves the policy hosts (A and AAAA). */
  resolver: Resolver;
  /** Extra trusted CA certificate(s), PEM (--ca-file): trusted in addition to the built-in roots. */
  ca?: string;
  /** Deadline for one fetch (default 10 s). */
  timeoutMs?: number;
  /** Connect to this port instead of 443. For tests only (--mta-sts-port): production is always 443. */
  port?: number;
  /**
   * With port: send the Host header the URL names (no port), as the server would see it on 443.
   * Off by default (the Host header then carries the port).
   */
  hostFromUrl?: boolean;
}

type LookupCallback = (err: Error | null, address?: string | { address: string; family: number }[], family?: number) => void;

/** TLS failure codes of OpenSSL/Node that mean "the certificate was not accepted". */
function isTlsFailure(e: any): boolean {
  const code = typeof e?.code === 'string' ? e.code : '';
  return (
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|ERR_SSL|ERR_TLS|EPROTO/.test(code) ||
    (typeof e?.message === 'string' && /certificate|ssl|tls|handshake/i.test(e.message) && !/timeout/i.test(e.message))
  );
}

/** Follows .cause and AggregateError.errors to the first error matching pred. */
function findError(err: unknown, pred: (e: any) => boolean, depth = 0): any {
  if (!err || depth > 6) return undefined;
  if (pred(err)) return err;
  const e = err as any;
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const f = findError(inner, pred, depth + 1);
      if (f) return f;
    }
  }
  return findError(e.cause, pred, depth + 1);
}

const TLS_REASONS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a self-signed certificate that is not a trusted root',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate is not signed by a trusted CA (or the intermediate certificate is missing)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the certificate is not a trusted CA (or the intermediate certificate is missing)',
  CERT_HAS_EXPIRED: 'the certificate has expired',
  CERT_NOT_YET_VALID: 'the certificate is not valid yet',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate is not valid for this host name',
};

export function createPolicyFetcher(opts: UndiciPolicyFetcherOptions): PolicyFetcher {
  const timeoutMs = opts.timeoutMs ?? POLICY_FETCH_TIMEOUT_MS;
  const { resolver } = opts;

  // net/tls call this instead of dns.lookup: the policy host is resolved like every other name.
  const lookup = (hostname: string, options: { all?: boolean; family?: number } | undefined, callback: LookupCallback): void => {
    const host = hostname.replace(/\.$/, '');
    Promise.all([resolver.query(host, 'A'), resolver.query(host, 'AAAA')]).then(
      ([a, aaaa]) => {
        let list = [...a.records.map((r) => r.address), ...aaaa.records.map((r) => r.address)];
        if (options?.family === 4 || options?.family === 6) list = list.filter((x) => ipFamily(x) === options.family);
        // One family failing is not fatal when the other gave addresses.
        const failed = [a, aaaa].find((x) => isFailure(x));
        if (list.length === 0 && failed) return callback(answerError(failed));
        if (list.length === 0) {
          const err = Object.assign(new Error(`${host} has no A or AAAA record`), { code: 'ENOTFOUND', hostname: host });
          return callback(err);
        }
        if (options?.all) return callback(null, list.map((address) => ({ address, family: ipFamily(address) })));
        callback(null, list[0]!, ipFamily(list[0]!));
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
    );
  };

  type Undici = typeof import('undici');
  let ready: Promise<{ agent: Agent; errors: Undici['errors'] }> | undefined;
  const undici = () =>
    (ready ??= import('undici').then(({ Agent, errors }) => ({
      agent: new Agent({
        connect: {
          lookup: lookup as never,
          timeout: timeoutMs,
          rejectUnauthorized: true,
          // Passing ca replaces Node's default store, so the built-in roots are passed along with it.
          // One secure context for the fetcher's life: building it parses every root (~100 ms), which
          // a ca option on each connection would repeat for every policy host.
          ...(opts.ca ? { secureContext: createSecureContext({ ca: [...rootCertificates, opts.ca] }) } : {}),
        },
      }),
      errors,
    })));

  const fail = (reason: PolicyFetchFailure, url: string, message: string, extra: { cause?: unknown; bytes?: number } = {}) =>
    new PolicyFetchError(reason, url, message, extra);

  function mapError(err: unknown, url: string, host: string, deadline: boolean, undiciErrors: Undici['errors'] | undefined): PolicyFetchError {
    if (err instanceof PolicyFetchError) return err;
    const dnsErr = findError(err, (e) => e instanceof DnsError);
    if (dnsErr) return fail('dns', url, dnsErr.message, { cause: dnsErr });
    const notFound = findError(err, (e) => e?.code === 'ENOTFOUND');
    if (notFound) return fail('dns', url, `${host} has no A or AAAA record`, { cause: err });
    if (deadline || (err as any)?.name === 'AbortError') return fail('timeout', url, `no complete reply from ${host} within ${timeoutMs} ms`, { cause: err });
    const e = err as any;
    if (!undiciErrors) return fail('protocol', url, `the HTTP client could not be loaded: ${e?.message ?? String(err)}`, { cause: err });
    if (e instanceof undiciErrors.ConnectTimeoutError) return fail('timeout', url, `could not connect to ${host} within ${timeoutMs} ms`, { cause: err });
    if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
      return fail('timeout', url, `no complete reply from ${host} within ${timeoutMs} ms`, { cause: err });
    }
    const tls = findError(err, isTlsFailure);
    if (tls) {
      const why = TLS_REASONS[tls.code] ?? tls.message ?? String(tls);
      return fail('tls', url, `TLS with ${host} failed: ${why}${tls.code ? ` (${tls.code})` : ''}`, { cause: err });
    }
    const errno = findError(err, (x) => typeof x?.code === 'string' && /^E[A-Z]+$/.test(x.code))?.code as string | undefined;
    if (errno && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ETIMEDOUT'].includes(errno)) {
      return fail('connect', url, `could not connect to ${host} (${errno === 'ECONNREFUSED' ? 'connection refused' : errno})`, { cause: err });
    }
    if (errno === 'ECONNRESET' || errno === 'EPIPE' || e instanceof undiciErrors.SocketError) {
      return fail('protocol', url, `${host} closed the connection before a complete reply`, { cause: err });
    }
    return fail('protocol', url, `${host}: ${e?.message ?? String(err)}`, { cause: err });
  }

  return {
    async get(rawUrl, getOpts = {}) {
      const maxBytes = getOpts.maxBytes ?? POLICY_MAX_BYTES;
      let url: URL;
      try {
        url = new URL(rawUrl);
      } catch {
        throw fail('bad-url', rawUrl, `"${rawUrl}" is not a URL`);
      }
      if (url.protocol !== 'https:') throw fail('bad-url', rawUrl, `"${rawUrl}" is not an https: URL`);
      const urlHost = url.host;
      if (opts.port !== undefined) url.port = String(opts.port);
      const host = url.hostname;

      let loaded: Awaited<ReturnType<typeof undici>> | undefined;
      try {
        // Loading the module is not part of the exchange: the deadline starts after it.
        loaded = await undici();
      } catch (err) {
        throw mapError(err, rawUrl, host, false, undefined);
      }
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), timeoutMs);
      const cancel = () => ac.abort();
      if (getOpts.signal?.aborted) cancel();
      getOpts.signal?.addEventListener('abort', cancel, { once: true });
      try {
        const res = await loaded.agent.request({
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          headers: { accept: '*/*', 'user-agent': 'mailpace-cli', ...(opts.hostFromUrl && opts.port !== undefined ? { host: urlHost } : {}) },
          signal: ac.signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          // Each policy host is fetched once per run: no keep-alive socket lingers after the check.
          reset: true,
        });
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
        }
        const declared = Number(headers['content-length']);
        if (!getOpts.truncate && Number.isFinite(declared) && declared > maxBytes) {
          res.body.destroy();
          throw fail('too-large', rawUrl, `${host} announced a ${declared}-byte body; the limit is ${maxBytes}`, { bytes: declared });
        }
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          if (size > maxBytes && !getOpts.truncate) {
            res.body.destroy();
            throw fail('too-large', rawUrl, `${host} sent more than ${maxBytes} bytes`, { bytes: size });
          }
          chunks.push(chunk as Buffer);
          if (size > maxBytes) {
            res.body.destroy();
            break;
          }
        }
        return { status: res.statusCode, headers, body: Buffer.concat(chunks, size).toString('utf8'), bytes: size };
      } catch (err) {
        if (getOpts.signal?.aborted && !(err instanceof PolicyFetchError)) throw fail('timeout', rawUrl, `the fetch from ${host} was cancelled`, { cause: err });
        throw mapError(err, rawUrl, host, ac.signal.aborted, loaded?.errors);
      } finally {
        clearTimeout(timer);
        getOpts.signal?.removeEventListener('abort', cancel);
      }
    },
    async close() {
      if (ready) await (await ready).agent.close();
    },
  };
}
