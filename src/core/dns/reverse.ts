/** Reverse-lookup names: in-addr.arpa (RFC 1035 §3.5) and nibble-format ip6.arpa (RFC 3596 §2.5). */
import { isIPv4, isIPv6 } from 'node:net';

/** The 8 16-bit groups of an IPv6 address, expanded (handles "::" and an IPv4 tail). */
export function expandIPv6(address: string): number[] {
  let a = address.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    a = a.slice(0, -v4[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const fill = tail !== undefined ? 8 - h.length - t.length : 0;
  return [...h, ...Array(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
}

export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (isIPv6(ip)) {
    const hex = expandIPv6(ip).map((g) => g.toString(16).padStart(4, '0')).join('');
    return `${hex.split('').reverse().join('.')}.ip6.arpa`;
  }
  throw new Error(`not an IP address: ${ip}`);
}

/** Canonical text of an IP, for comparing addresses written differently. */
export function canonicalIp(ip: string): string {
  if (isIPv4(ip)) return ip.split('.').map(Number).join('.');
  if (isIPv6(ip)) return expandIPv6(ip).map((g) => g.toString(16)).join(':');
  return ip;
}
