/**
 * IP addresses as SPF sees them: parsed to octets, compared under a CIDR prefix, and written in the
 * forms the macros of RFC 7208 §7.3 need (dotted nibbles for "i", RFC 5952 text for "c").
 * Pure: no DNS, no node:net (so the same code runs in a library user's bundle).
 */

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 octets, network order. */
  bytes: Uint8Array;
}

function parseIPv4Bytes(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    // RFC 7208 §5.6 ip4-network is dotted-quad without leading zeros; be as strict for --ip.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

function parseIPv6Bytes(s: string): number[] | undefined {
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string, last: boolean): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (last && i === groups.length - 1 && g.includes('.')) {
        // an embedded IPv4 tail (RFC 4291 §2.2 form 3) fills the last 32 bits
        const v4 = parseIPv4Bytes(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  let words: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    words = head;
  }
  return words.flatMap((w) => [w >> 8, w & 0xff]);
}

/** Parses an IPv4 or IPv6 literal; undefined when it is not one. A zone index ("%eth0") is not accepted. */
export function parseIp(text: string): IpAddress | undefined {
  const s = text.trim();
  const v4 = parseIPv4Bytes(s);
  if (v4) return { family: 4, bytes: Uint8Array.from(v4) };
  const v6 = parseIPv6Bytes(s);
  if (v6) return { family: 6, bytes: Uint8Array.from(v6) };
  return undefined;
}

/** True for ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
export function isV4Mapped(ip: IpAddress): boolean {
  if (ip.family !== 6) return false;
  for (let i = 0; i < 10; i++) if (ip.bytes[i] !== 0) return false;
  return ip.bytes[10] === 0xff && ip.bytes[11] === 0xff;
}

/**
 * The address SPF evaluates. RFC 7208 §5: an IPv4-mapped IPv6 client "MUST still be considered an
 * IPv4 address and MUST be evaluated using IPv4 mechanisms (i.e., "ip4" and "a")".
 */
export function spfClientAddress(ip: IpAddress): IpAddress {
  return isV4Mapped(ip) ? { family: 4, bytes: ip.bytes.slice(12) } : ip;
}

/** Whether ip lies in network/prefix. Different families never match. */
export function inPrefix(ip: IpAddress, network: IpAddress, prefix: number): boolean {
  if (ip.family !== network.family) return false;
  const bits = ip.family === 4 ? 32 : 128;
  const p = Math.max(0, Math.min(prefix, bits));
  const full = Math.floor(p / 8);
  for (let i = 0; i < full; i++) if (ip.bytes[i] !== network.bytes[i]) return false;
  const rest = p % 8;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip.bytes[full]! & mask) === (network.bytes[full]! & mask);
}

/** Dotted-quad for IPv4; RFC 5952 §4 canonical text for IPv6 (lower case, longest zero run as "::"). */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((ip.bytes[i]! << 8) | ip.bytes[i + 1]!);
  // RFC 5952 §4.2.3: compress the longest run of two or more zero words; the first one on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/**
 * The "i" macro value (RFC 7208 §7.3): dotted-quad for IPv4; for IPv6 the 32 nibbles separated by
 * dots, upper case as in the RFC's own examples (§7.4: "1.0.B.C.0.0…").
 */
export function dottedIp(ip: IpAddress): string {
  if (ip.family === 4) return formatIp(ip);
  const nibbles: string[] = [];
  for (const b of ip.bytes) nibbles.push((b >> 4).toString(16).toUpperCase(), (b & 0xf).toString(16).toUpperCase());
  return nibbles.join('.');
}

/** The reverse-mapping name queried for PTR (RFC 1035 §3.5, RFC 3596 §2.5). */
export function reverseName(ip: IpAddress): string {
  if (ip.family === 4) return `${Array.from(ip.bytes).reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const b of ip.bytes) nibbles.push((b >> 4).toString(16), (b & 0xf).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}
