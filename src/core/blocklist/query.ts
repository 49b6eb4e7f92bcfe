/**
 * One (target, list) question: the A query that decides, then the TXT query for the reason when the
 * answer is a listing (RFC 5782 §2.1: the TXT record at the same name explains the listing).
 */
import type { DnsAnswer, Resolver } from '../dns/types.js';
import { decodeAnswer, type ErrorCause } from './decode.js';
import type { SelectedList } from './selection.js';
import { queryName, type Target, type TargetKind } from './target.js';

export type ResultStatus = 'listed' | 'clean' | 'error' | 'timeout';

/** One row of the scan: the JSON contract of `blocklist scan` (results[]). */
export interface BlocklistResult {
  target: string;
  targetKind: TargetKind;
  zone: string;
  list: string;
  listId: string;
  status: ResultStatus;
  /** The A records returned (return codes). */
  codes: string[];
  /** What the codes mean, from the catalogue. */
  meanings: string[];
  /** The list's TXT reason, for listings. */
  txt: string | null;
  removalUrl: string | null;
  /** For error and timeout: what went wrong. */
  detail?: string;
}

/** Why a result is an error or timeout, kept beside the result for notices (not part of the JSON). */
export type FailureCause = ErrorCause | 'rcode-refused' | 'servfail' | 'network' | 'timeout';

export interface QueryOutcome {
  result: BlocklistResult;
  cause?: FailureCause;
  /** DNS messages asked (A, plus TXT for a listing). */
  dnsQueries: number;
}

/** Shared by every result without codes (a scan is mostly clean rows, all kept until the report). */
const NONE = Object.freeze([]) as unknown as string[];

function base(target: Target, list: SelectedList): BlocklistResult {
  return {
    target: target.value,
    targetKind: target.kind,
    zone: list.zone,
    list: list.name,
    listId: list.id,
    status: 'clean',
    codes: NONE,
    meanings: NONE,
    txt: null,
    removalUrl: list.def?.removalUrl ?? null,
  };
}

function failure(a: DnsAnswer<'A'>): { status: ResultStatus; cause: FailureCause; detail: string } {
  const detail = a.detail ?? a.status;
  switch (a.status) {
    case 'timeout':
      return { status: 'timeout', cause: 'timeout', detail };
    case 'refused':
      return { status: 'error', cause: 'rcode-refused', detail: `REFUSED${a.server ? ` by ${a.server}` : ''}` };
    case 'servfail':
      return { status: 'error', cause: 'servfail', detail: `SERVFAIL${a.server ? ` from ${a.server}` : ''}` };
    default:
      return { status: 'error', cause: 'network', detail };
  }
}

export function queryList(resolver: Resolver, target: Target, list: SelectedList): Promise<QueryOutcome> {
  const name = queryName(target, list.queryZone);
  // no async frame on the common path (a scan makes thousands of these): one promise per lookup
  return resolver.query(name, 'A').then((a) => {
    const result = base(target, list);
    // NXDOMAIN is "not listed" (RFC 5782 §2.1). NODATA — the name exists without an A record — is
    // not a listing either: some lists keep TXT-only entries.
    if (a.status === 'nxdomain' || a.status === 'nodata') return { result, dnsQueries: 1 };
    return positive(resolver, name, list, result, a);
  });
}

async function positive(resolver: Resolver, name: string, list: SelectedList, result: BlocklistResult, a: DnsAnswer<'A'>): Promise<QueryOutcome> {
  if (a.status !== 'ok') {
    const f = failure(a);
    return { result: { ...result, status: f.status, detail: f.detail }, cause: f.cause, dnsQueries: 1 };
  }
  const d = decodeAnswer(
    list,
    a.records.map((r) => r.address),
  );
  const decoded: BlocklistResult = { ...result, status: d.status, codes: d.codes, meanings: d.meanings };
  if (d.status === 'error') {
    return { result: { ...decoded, detail: d.meanings.join('; ') }, cause: d.cause, dnsQueries: 1 };
  }
  if (d.status !== 'listed') return { result: decoded, dnsQueries: 1 };
  const txt = await resolver.query(name, 'TXT');
  const texts = txt.status === 'ok' ? [...new Set(txt.records.map((r) => r.text))] : [];
  return { result: { ...decoded, txt: texts.length > 0 ? texts.join(' | ') : null }, dnsQueries: 2 };
}
