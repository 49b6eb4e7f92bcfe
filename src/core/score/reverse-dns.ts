/**
 * Forward-confirmed reverse DNS of the client IP, for Rspamd's Hostname header. An MTA sends the
 * name it verified (Postfix: "unknown" when the PTR name does not resolve back to the IP), and
 * Rspamd's hfilter scores HFILTER_HOSTNAME_UNKNOWN without one; so when --ip is given without
 * --hostname we do what the MTA would have done, rather than let a missing header cost 2.5 points.
 */
import { isIP } from 'node:net';
import type { Resolver } from '../dns/types.js';

/** RFC 1035 §3.5 (in-addr.arpa) and RFC 3596 §2.5 (ip6.arpa). */
export function reverseName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  const [head = '', tail = ''] = ip.toLowerCase().split('::') as [string, string?];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  // an embedded IPv4 tail (::ffff:192.0.2.1) is two groups
  const expand = (gs: string[]) =>
    gs.flatMap((g) => {
      if (!g.includes('.')) return [g];
      const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  const hg = expand(h);
  const tg = expand(t);
  const groups = ip.includes('::') ? [...hg, ...Array(8 - hg.length - tg.length).fill('0'), ...tg] : hg;
  const nibbles = groups.map((g) => g.padStart(4, '0')).join('');
  return `${nibbles.split('').reverse().join('.')}.ip6.arpa`;
}

function sameAddress(a: string, b: string): boolean {
  if (isIP(a) === 4 || isIP(b) === 4) return a === b;
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
  const type = isIP(ip) === 4 ? 'A' : 'AAAA';
  // a few names at most: FCrDNS checks are bounded the same way by MTAs
  for (const rec of ptr.records.slice(0, 5)) {
    const name = rec.target.replace(/\.$/, '');
    const fwd = await resolver.query(name, type);
    if (fwd.status === 'ok' && fwd.records.some((r) => sameAddress(r.address, ip))) return name.toLowerCase();
  }
  return 'unknown';
}
