/**
 * Adapts our Resolver to the `resolver(name, rrtype)` function mailauth calls everywhere
 * (SPF, DKIM key, DMARC, ARC, BIMI, MTA-STS lookups).
 *
 * mailauth was written against node:dns promises `resolve(name, rrtype)`, so it expects:
 * - the same return shapes: TXT as string[][] (one array of character-strings per record),
 *   MX as {exchange, priority}[], A/AAAA/PTR/CNAME/NS as string[];
 * - the same error codes: it treats ENOTFOUND (NXDOMAIN) and ENODATA (NODATA) as "no record"
 *   (lib/spf/index.js counts them as RFC 7208 §4.6.4 void lookups; lib/dkim/dkim-verifier.js,
 *   lib/dmarc/get-dmarc-record.js and lib/arc/index.js read them as "no key" / "no policy"),
 *   and every other code as a temporary DNS failure (temperror). ETIMEOUT and EREFUSED get their
 *   own SPF explanation text, so they must be spelled exactly as node:dns spells them.
 *
 * Each call is also recorded (name, type, status), so a caller can tell which verdict a DNS
 * failure produced and report it as a DNS_* finding for that mechanism.
 */
import type { DnsAnswer, DnsStatus, RecordType, Resolver } from './types.js';
import { RECORD_TYPES } from './types.js';

/** The function mailauth takes as `opts.resolver`. */
export type MailauthResolverFn = (name: string, rrtype: string) => Promise<unknown[]>;

/** node:dns error codes (node/lib/internal/errors.js, c-ares names) as mailauth reads them. */
export const NODE_DNS_CODES = {
  nxdomain: 'ENOTFOUND', // the name does not exist
  nodata: 'ENODATA', // the name exists, no record of this type
  timeout: 'ETIMEOUT',
  servfail: 'ESERVFAIL',
  refused: 'EREFUSED',
  formerr: 'EFORMERR',
  notimp: 'ENOTIMP',
  badresp: 'EBADRESP', // malformed reply, or no server could be reached
} as const;
export type NodeDnsCode = (typeof NODE_DNS_CODES)[keyof typeof NODE_DNS_CODES];

/** One call mailauth made, with what our resolver answered. */
export interface MailauthQuery {
  name: string;
  type: string;
  status: DnsStatus;
  /** The node:dns code thrown to mailauth, when the answer was not records. */
  code?: NodeDnsCode;
  detail?: string;
  /** TXT answers' texts (joined character-strings), kept so callers can see where a record was found. */
  texts?: string[];
}

/** An Error shaped like node:dns rejections: {code, hostname, syscall}. */
export class NodeStyleDnsError extends Error {
  readonly code: NodeDnsCode;
  readonly hostname: string;
  readonly syscall: string;
  constructor(code: NodeDnsCode, hostname: string, rrtype: string, detail?: string) {
    super(`query${rrtype[0]}${rrtype.slice(1).toLowerCase()} ${code} ${hostname}${detail ? ` (${detail})` : ''}`);
    this.name = 'NodeStyleDnsError';
    this.code = code;
    this.hostname = hostname;
    this.syscall = `query${rrtype[0]}${rrtype.slice(1).toLowerCase()}`;
  }
}

const RCODE_FORMERR = 1;
const RCODE_NOTIMP = 4;

function codeFor(a: DnsAnswer): NodeDnsCode | undefined {
  switch (a.status) {
    case 'ok':
      return undefined;
    case 'nxdomain':
      return NODE_DNS_CODES.nxdomain;
    case 'nodata':
      return NODE_DNS_CODES.nodata;
    case 'timeout':
      return NODE_DNS_CODES.timeout;
    case 'servfail':
      return NODE_DNS_CODES.servfail;
    case 'refused':
      return NODE_DNS_CODES.refused;
    case 'error':
      if (a.rcode === RCODE_FORMERR) return NODE_DNS_CODES.formerr;
      if (a.rcode === RCODE_NOTIMP) return NODE_DNS_CODES.notimp;
      return NODE_DNS_CODES.badresp;
  }
}

/** Shapes our records the way node:dns `resolve(name, rrtype)` returns them. */
function shape(a: DnsAnswer): unknown[] {
  return a.records.map((r) => {
    switch (r.type) {
      case 'A':
      case 'AAAA':
        return r.address;
      case 'MX':
        return { exchange: r.exchange, priority: r.priority };
      case 'TXT':
      case 'SPF':
        // Our resolver joins a record's character-strings already; consumers join them anyway
        // (RFC 7208 §3.3, RFC 6376 §3.6.2.2), so one string per record is the same value.
        return [r.text];
      case 'CNAME':
      case 'PTR':
      case 'NS':
        return r.target;
      default:
        return r;
    }
  });
}

const SUPPORTED = new Set<string>(['A', 'AAAA', 'MX', 'TXT', 'SPF', 'CNAME', 'PTR', 'NS']);

/**
 * A per-run adapter: `resolve` is the function to hand to mailauth; `queries` is what it asked.
 * Create one per message so the log belongs to that verdict only.
 */
export class MailauthDns {
  readonly queries: MailauthQuery[] = [];
  readonly resolve: MailauthResolverFn;

  constructor(private readonly resolver: Resolver) {
    this.resolve = (name, rrtype) => this.lookup(name, rrtype);
  }

  private async lookup(name: string, rrtype: string): Promise<unknown[]> {
    const type = String(rrtype ?? 'A').toUpperCase();
    if (!SUPPORTED.has(type) || !(type in RECORD_TYPES)) {
      // node:dns rejects an unknown rrtype with a TypeError before any query; mailauth never asks one.
      const err = new TypeError(`unsupported DNS record type "${rrtype}"`) as TypeError & { code: string };
      err.code = 'ERR_INVALID_ARG_VALUE';
      throw err;
    }
    let answer: DnsAnswer;
    try {
      answer = await this.resolver.query(String(name), type as RecordType);
    } catch (cause) {
      // The Resolver contract says failures are data; an exception here means no server could be used.
      const detail = cause instanceof Error ? cause.message : String(cause);
      this.queries.push({ name: String(name), type, status: 'error', code: NODE_DNS_CODES.badresp, detail });
      throw new NodeStyleDnsError(NODE_DNS_CODES.badresp, String(name), type, detail);
    }
    const code = codeFor(answer);
    const entry: MailauthQuery = { name: answer.name, type, status: answer.status };
    if (code) entry.code = code;
    if (answer.detail) entry.detail = answer.detail;
    if (type === 'TXT' && answer.status === 'ok') entry.texts = answer.records.map((r) => (r as { text: string }).text);
    this.queries.push(entry);
    if (code) throw new NodeStyleDnsError(code, answer.name, type, answer.detail);
    return shape(answer);
  }

  /** Queries that failed for a reason other than "no such record": the temperror causes. */
  failures(): MailauthQuery[] {
    return this.queries.filter((q) => q.status !== 'ok' && q.status !== 'nxdomain' && q.status !== 'nodata');
  }
}

/** The plain function form, for callers that do not need the query log. */
export function mailauthResolver(resolver: Resolver): MailauthResolverFn {
  return new MailauthDns(resolver).resolve;
}
