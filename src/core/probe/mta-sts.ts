/**
 * MTA-STS (RFC 8461) as far as probe needs it: is a policy published, what mode and MX patterns
 * does it declare, and does a probed host satisfy it. The TXT record comes through the Resolver;
 * the policy file through an injected fetcher (HTTPS in the CLI, a fake in tests). The record
 * and policy-file syntax, mx pattern matching and the HTTPS fetch are check-domain's
 * (domain/mta-sts.ts, domain/policy-fetch.ts); what is probe's own is the discovery summary and the
 * host verdict.
 */
import type { Resolver } from '../dns/types.js';
import { answerError, isFailure } from '../dns/lookup.js';
import type { DnsError } from '../errors.js';
import { MTA_STS_MODES, mxMatchesPattern, parseStsPolicy, parseStsRecord, type MtaStsMode } from '../domain/mta-sts.js';
import { createPolicyFetcher, POLICY_MAX_BYTES, PolicyFetchError } from '../domain/policy-fetch.js';

export { MTA_STS_MODES, type MtaStsMode };

export interface MtaStsPolicy {
  version: 'STSv1';
  mode: MtaStsMode;
  /** MX patterns: exact names or "*.example.com" (RFC 8461 §3.2). */
  mx: string[];
  maxAge: number;
}

export interface MtaStsDiscovery {
  /** A single "v=STSv1" TXT record at _mta-sts.<domain> (RFC 8461 §3.1). */
  published: boolean;
  id?: string;
  policy?: MtaStsPolicy;
  policyUrl?: string;
  /** Why the policy could not be used (fetch failed, syntax, several records). */
  error?: string;
  /** Which kind of failure error describes. */
  errorKind?: 'record' | 'unreachable' | 'invalid' | 'not-fetched';
  /** The record's id is the caller's knownId: the policy was not fetched again (RFC 8461 §3.1). */
  unchanged?: boolean;
  dnsError?: DnsError;
}

/** What fetching a URL returned. */
export interface FetchedText {
  status: number;
  contentType?: string;
  body: string;
  /** The server sent more than 64 KiB and body holds only the start. */
  truncated?: boolean;
}
export type PolicyFetcher = (url: string, signal?: AbortSignal) => Promise<FetchedText>;

/** RFC 8461 §3.3: senders may refuse policies over 64 KiB. */
const MAX_POLICY_BYTES = POLICY_MAX_BYTES;

export class PolicySyntaxError extends Error {}

/** The "v=STSv1; id=…" TXT record (RFC 8461 §3.1), or undefined when the text is not one. */
export function parseMtaStsRecord(txt: string): { id: string } | undefined {
  const { id, errors } = parseStsRecord(txt);
  return id !== null && errors.length === 0 ? { id } : undefined;
}

/**
 * A policy file (RFC 8461 §3.2), read by check-domain's parser so that both commands accept and
 * refuse the same files; probe needs only a usable policy, so every problem found is one error.
 */
export function parseMtaStsPolicy(text: string): MtaStsPolicy {
  const { policy, errors } = parseStsPolicy(text);
  if (errors.length > 0) throw new PolicySyntaxError(errors.join('; '));
  if (policy.mode === null || policy.maxAge === null) throw new PolicySyntaxError('mode or max_age is missing');
  return { version: 'STSv1', mode: policy.mode, mx: policy.mx, maxAge: policy.maxAge };
}

/** RFC 8461 §4.1 matching (check-domain's), pattern first. */
export function mxPatternMatches(pattern: string, host: string): boolean {
  return mxMatchesPattern(host, pattern);
}

export interface HttpsFetcherOptions {
  /** Resolves the policy host: the fetch never falls back to node:dns. */
  resolver: Resolver;
  timeoutMs: number;
  /** Extra trust anchors (PEM) besides Node's roots (--ca-file). */
  ca?: string[];
  /** Tests only: connect to this port instead of 443. */
  portOverride?: number;
}

/**
 * The HTTPS fetcher the CLI uses: check-domain's PolicyFetcher (names resolved through the
 * Resolver, certificate verified as RFC 8461 §3.3 requires, no redirects, a deadline), one per
 * fetch. A body over 64 KiB is cut, not refused: discoverMtaSts reports the size itself.
 */
export function httpsPolicyFetcher(opts: HttpsFetcherOptions): PolicyFetcher {
  return async (url, signal) => {
    const fetcher = createPolicyFetcher({
      resolver: opts.resolver,
      timeoutMs: opts.timeoutMs,
      ...(opts.ca && opts.ca.length > 0 ? { ca: opts.ca.join('\n') } : {}),
      ...(opts.portOverride ? { port: opts.portOverride, hostFromUrl: true } : {}),
    });
    try {
      const res = await fetcher.get(url, { maxBytes: MAX_POLICY_BYTES, truncate: true, signal });
      return { status: res.status, contentType: res.headers['content-type'], body: res.body, truncated: res.bytes > MAX_POLICY_BYTES };
    } finally {
      await fetcher.close().catch(() => undefined);
    }
  };
}

/**
 * The TXT record, then (unless its id is `opts.knownId`, the id of a policy the caller holds and
 * may still use) the policy file.
 */
export async function discoverMtaSts(resolver: Resolver, domain: string, fetcher?: PolicyFetcher, signal?: AbortSignal, opts: { knownId?: string } = {}): Promise<MtaStsDiscovery> {
  const answer = await resolver.query(`_mta-sts.${domain}`, 'TXT');
  if (isFailure(answer)) return { published: false, dnsError: answerError(answer) };
  const records = answer.records.map((r) => r.text).filter((t) => /^v=STSv1\s*(;|$)/.test(t.trim()));
  if (records.length === 0) return { published: false };
  // RFC 8461 §3.1: more than one record means no policy
  if (records.length > 1) return { published: true, errorKind: 'record', error: `${records.length} "v=STSv1" TXT records at _mta-sts.${domain}: senders treat that as no policy` };
  const rec = parseMtaStsRecord(records[0]!);
  if (!rec) return { published: true, errorKind: 'record', error: `the _mta-sts.${domain} record is malformed: ${JSON.stringify(records[0])}` };
  const policyUrl = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
  if (opts.knownId !== undefined && rec.id === opts.knownId) return { published: true, id: rec.id, policyUrl, unchanged: true };
  if (!fetcher) return { published: true, id: rec.id, policyUrl, errorKind: 'not-fetched', error: 'the policy was not fetched (no HTTPS fetcher)' };
  let fetched: FetchedText;
  try {
    fetched = await fetcher(policyUrl, signal);
  } catch (thrown) {
    // The fetcher's own failure wraps what the network said; report that, as before the wrapping.
    const err = thrown instanceof PolicyFetchError && thrown.cause !== undefined ? thrown.cause : thrown;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { published: true, id: rec.id, policyUrl, errorKind: 'unreachable', error: `fetching ${policyUrl} failed: ${cause?.code ?? cause?.message ?? (err as Error).message}` };
  }
  if (fetched.status !== 200) return { published: true, id: rec.id, policyUrl, errorKind: 'unreachable', error: `${policyUrl} answered HTTP ${fetched.status} (RFC 8461 §3.3 wants 200, no redirects)` };
  if (fetched.truncated || fetched.body.length > MAX_POLICY_BYTES) return { published: true, id: rec.id, policyUrl, errorKind: 'invalid', error: `${policyUrl} is larger than 64 KiB` };
  try {
    return { published: true, id: rec.id, policyUrl, policy: parseMtaStsPolicy(fetched.body) };
  } catch (err) {
    return { published: true, id: rec.id, policyUrl, errorKind: 'invalid', error: `the policy at ${policyUrl} does not parse: ${(err as Error).message}` };
  }
}

/** What RFC 8461 §4 asks of one MX host, given what the probe saw. */
export interface MtaStsHostFacts {
  host: string;
  /** STARTTLS worked (a TLS session was set up). */
  tls: boolean;
  /** The chain verified against the trust store. */
  trusted: boolean | null;
  /** The certificate names the host (RFC 6125). */
  nameMatches: boolean | null;
  /** The certificate is expired or not yet valid. */
  expired: boolean;
}

export interface MtaStsHostVerdict {
  mode: MtaStsMode;
  /** The host matches an mx pattern (RFC 8461 §4.1). */
  mxListed: boolean;
  /** The TLS requirements (RFC 8461 §4.2) the host fails, in words. Empty: compliant. */
  failures: string[];
}

export function evaluateMtaSts(policy: MtaStsPolicy, facts: MtaStsHostFacts): MtaStsHostVerdict {
  const failures: string[] = [];
  const mxListed = policy.mx.some((p) => mxMatchesPattern(facts.host, p));
  if (policy.mode === 'none') return { mode: policy.mode, mxListed, failures };
  if (!facts.tls) failures.push('no working STARTTLS (RFC 8461 §4.2)');
  else {
    if (facts.expired) failures.push('the certificate is expired or not yet valid (RFC 8461 §4.2)');
    if (facts.trusted === false) failures.push('the certificate chain is not trusted (RFC 8461 §4.2)');
    if (facts.nameMatches === false) failures.push(`the certificate does not name ${facts.host} (RFC 8461 §4.2, RFC 6125)`);
  }
  return { mode: policy.mode, mxListed, failures };
}
