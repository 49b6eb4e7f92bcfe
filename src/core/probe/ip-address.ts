/** IP address forms used by the probe: canonical IPv6 for comparisons, reverse-mapping names for PTR. */
import { isIP } from 'node:net';

/** The 8 groups of an IPv6 address, 4 hex digits each ("::ffff:192.0.2.1" tails included). */
export function ipv6Groups(ip: string): string[] {
  let s = ip.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail !== undefined ? Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0'));
}

/** IPv6 fully expanded (for equality), IPv4 unchanged. */
export function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? ipv6Groups(ip).join(':') : ip;
}

/** The reverse-mapping name of an address: RFC 1035 §3.5 (in-addr.arpa), RFC 3596 §2.5 (ip6.arpa). */
export function reverseName(ip: string): string {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  return `${ipv6Groups(ip).join('').split('').reverse().join('.')}.ip6.arpa`;
}
