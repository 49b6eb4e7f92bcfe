/**
 * Forward-confirmed reverse DNS (FCrDNS) of the client IP, for Rspamd's Hostname header.
 *
 * A receiving MTA hands Rspamd the client name it verified: Postfix's client_name is the PTR name only
 * when that name resolves back to the IP, and "unknown" otherwise (no PTR, a PTR that does not confirm,
 * or DNS trouble). Rspamd's milter never passes "unknown" on (rspamd/rspamd src/libserver/milter.c,
 * rspamd_milter_to_http and rspamd_milter_macro_http: "skip unknown hostname from being added"), so
 * Rspamd then scores the message with no Hostname at all: RDNS_NONE and HFILTER_HOSTNAME_UNKNOWN.
 * We do the same: a Hostname only for a confirmed name (see envelopeHeaders).
 */
import type { DnsStatus, Resolver } from '../dns/types.js';
import { reverseName, ipFamily } from '../net/ip-address.js';

export { reverseName };

/** What the lookup found; only `confirmed` gives a Hostname. */
export type ReverseDnsResult =
  /** A PTR name that resolves back to the IP: the name an MTA would give. */
  | { status: 'confirmed'; hostname: string; ptr: string[] }
  /** NXDOMAIN or NODATA for the PTR. */
  | { status: 'no-ptr' }
  /** PTR names, none of which resolves back to the IP. */
  | { status: 'not-confirmed'; ptr: string[] }
  /** The PTR or a forward lookup did not complete (SERVFAIL, timeout…), so nothing was confirmed. */
  | { status: 'failed'; ptr: string[] };

function sameAddress(a: string, b: string): boolean {
  if (ipFamily(a) === 4 || ipFamily(b) === 4) return a === b;
  return reverseName(a) === reverseName(b);
}

const answered = (s: DnsStatus) => s === 'ok' || s === 'nxdomain' || s === 'nodata';

/** PTR of `ip`, then each name's A/AAAA: the first name that maps back to `ip` is confirmed. */
export async function reverseDnsLookup(resolver: Resolver, ip: string): Promise<ReverseDnsResult> {
  const ptr = await resolver.query(reverseName(ip), 'PTR');
  if (ptr.status === 'nxdomain' || ptr.status === 'nodata') return { status: 'no-ptr' };
  if (ptr.status !== 'ok') return { status: 'failed', ptr: [] };
  const type = ipFamily(ip) === 4 ? 'A' : 'AAAA';
  // a few names at most: FCrDNS checks are bounded the same way by MTAs
  const names = ptr.records.slice(0, 5).map((rec) => rec.target.replace(/\.$/, '').toLowerCase());
  let incomplete = false;
  for (const name of names) {
    // an address literal in a PTR is no host name (Postfix logs "numeric hostname" and says unknown)
    if (ipFamily(name) !== 0) continue;
    const fwd = await resolver.query(name, type);
    if (fwd.status === 'ok' && fwd.records.some((r) => sameAddress(r.address, ip))) return { status: 'confirmed', hostname: name, ptr: names };
    if (!answered(fwd.status)) incomplete = true;
  }
  return { status: incomplete ? 'failed' : 'not-confirmed', ptr: names };
}

/** The forward-confirmed PTR name of `ip`, or undefined when there is none (never "unknown"). */
export async function confirmedHostname(resolver: Resolver, ip: string): Promise<string | undefined> {
  const r = await reverseDnsLookup(resolver, ip);
  return r.status === 'confirmed' ? r.hostname : undefined;
}
