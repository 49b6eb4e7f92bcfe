/**
 * Forward-confirmed reverse DNS of the client IP, for Rspamd's Hostname header. An MTA sends the
 * name it verified (Postfix: "unknown" when the PTR name does not resolve back to the IP), and
 * Rspamd's hfilter scores HFILTER_HOSTNAME_UNKNOWN without one; so when --ip is given without
 * --hostname we do what the MTA would have done, rather than let a missing header cost 2.5 points.
 */
import type { Resolver } from '../dns/types.js';
import { reverseName, ipFamily } from '../net/ip-address.js';

export { reverseName };

function sameAddress(a: string, b: string): boolean {
  if (ipFamily(a) === 4 || ipFamily(b) === 4) return a === b;
  return reverseName(a) === reverseName(b);
}

/**
 * The PTR name of `ip` that resolves back to it; "unknown" when there is no such name;
 * undefined when DNS did not answer (the header is then left out).
 */
export async function confirmedHostname(resolver: Resolver, ip: string): Promise<string | undefined> {
  const ptr = await resolver.query(reverseName(ip), 'PTR');
  if (ptr.status === 'nxdomain' || ptr.status === 'nodata') return 'unknown';
  if (ptr.status !== 'ok') return undefined;
  const type = ipFamily(ip) === 4 ? 'A' : 'AAAA';
  // a few names at most: FCrDNS checks are bounded the same way by MTAs
  for (const rec of ptr.records.slice(0, 5)) {
    const name = rec.target.replace(/\.$/, '');
    const fwd = await resolver.query(name, type);
    if (fwd.status === 'ok' && fwd.records.some((r) => sameAddress(r.address, ip))) return name.toLowerCase();
  }
  return 'unknown';
}
