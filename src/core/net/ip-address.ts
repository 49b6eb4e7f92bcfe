/**
 * IP addresses: strict parsing of the RFC 4291 §2.2 / dotted-quad text forms, RFC 5952 canonical
 * text, CIDR prefix matching, and the reverse-mapping names of RFC 1035 §3.5 and RFC 3596 §2.5.
 * Two views of the same parse: IpAddress (octets; SPF, PTR, the DNS codec) and numbers (a 32-bit
 * number or a 128-bit bigint; range arithmetic for blocklist scans).
 * Pure: no DNS, no node:net (so the same code runs in a library user's bundle).
 */

export interface IpAddress {
  family: 4 | 6;
  /** 4 or 16 octets, network order. */
  bytes: Uint8Array;
}

const IPV4_OCTET = /^(0|[1-9]\d{0,2})$/;
const IPV6_GROUP = /^[0-9a-f]{1,4}$/i;

/** Strict dotted quad → octets. RFC 7208 §5.6 ip4-network has no leading zeros (octal to some parsers). */
function ipv4Octets(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!IPV4_OCTET.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** RFC 4291 §2.2 text forms ("::", an IPv4 tail) → the 8 16-bit words. Zone indexes are refused. */
function ipv6Words(s: string): number[] | undefined {
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
        const v4 = ipv4Octets(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
        continue;
      }
      if (!IPV6_GROUP.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = groupsOf(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2) {
    // "::" stands for one or more zero groups (RFC 4291 §2.2 item 2)
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    return [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  return head.length === 8 ? head : undefined;
}

function wordsOf(bytes: Uint8Array): number[] {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  return words;
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (≥ 2) of zero words as "::", first on a tie. */
function formatWords(words: readonly number[]): string {
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
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** An IPv4 or IPv6 literal exactly as written (no surrounding space, no zone index). */
function parseLiteral(s: string): IpAddress | undefined {
  const v4 = ipv4Octets(s);
  if (v4) return { family: 4, bytes: Uint8Array.from(v4) };
  const v6 = ipv6Words(s);
  if (v6) return { family: 6, bytes: Uint8Array.from(v6.flatMap((w) => [w >> 8, w & 0xff])) };
  return undefined;
}

/** Parses an IPv4 or IPv6 literal; undefined when it is not one. A zone index ("%eth0") is not accepted. */
export function parseIp(text: string): IpAddress | undefined {
  return parseLiteral(text.trim());
}

/**
 * An address as node:net's isIP() accepts it (how --ip is validated): the literal, or an IPv6
 * literal with a zone index (RFC 4007 §11), which names an interface and is not part of the address.
 */
function parseHostAddress(text: string): IpAddress | undefined {
  const ip = parseLiteral(text);
  if (ip) return ip;
  const zoned = /^([^%]*:[^%]*)%[0-9a-zA-Z-.:]+$/.exec(text);
  return zoned ? parseLiteral(zoned[1]!) : undefined;
}

/**
 * 4 or 6 when the text is an IP address as node:net's isIP() reads it (an IPv6 zone index allowed),
 * else 0. Used instead of isIP(), whose IPv6 regular expression costs ~15 ms to compile on first use.
 */
export function ipFamily(text: string): 0 | 4 | 6 {
  return parseHostAddress(text)?.family ?? 0;
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
  return formatWords(wordsOf(ip.bytes));
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

/**
 * The reverse-mapping name queried for PTR (RFC 1035 §3.5, RFC 3596 §2.5). Text is read as node:net's
 * isIP() reads it (an IPv6 zone index is ignored); text that is no IP address throws.
 */
export function reverseName(ip: IpAddress | string): string {
  const addr = typeof ip === 'string' ? parseHostAddress(ip) : ip;
  if (!addr) throw new Error(`not an IP address: ${ip as string}`);
  if (addr.family === 4) return `${Array.from(addr.bytes).reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const b of addr.bytes) nibbles.push((b >> 4).toString(16), (b & 0xf).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/**
 * Text for comparing addresses written differently: dotted quad for IPv4, all 8 IPv6 groups in lower
 * case without leading zeros or "::"; text that is no IP address comes back unchanged.
 */
export function canonicalIp(text: string): string {
  const ip = parseHostAddress(text);
  if (!ip) return text;
  if (ip.family === 4) return formatIp(ip);
  return wordsOf(ip.bytes)
    .map((w) => w.toString(16))
    .join(':');
}

/**
 * The fully expanded text (RFC 4291 §2.2 form 1 with every leading zero): dotted quad for IPv4, all
 * 8 IPv6 groups as 4 lower-case hex digits; text that is no IP address comes back unchanged.
 */
export function expandedIp(text: string): string {
  const ip = parseHostAddress(text);
  if (!ip) return text;
  if (ip.family === 4) return formatIp(ip);
  return wordsOf(ip.bytes)
    .map((w) => w.toString(16).padStart(4, '0'))
    .join(':');
}

// Numeric views, for range arithmetic.

/** Strict dotted quad → 32-bit number; leading zeros are refused (they mean octal to some parsers). */
export function parseIPv4(s: string): number | undefined {
  const o = ipv4Octets(s);
  return o && ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** RFC 4291 §2.2 text forms (with "::" and an IPv4 tail) → 128-bit number. Zone indexes are refused. */
export function parseIPv6(s: string): bigint | undefined {
  const words = ipv6Words(s);
  if (!words) return undefined;
  let n = 0n;
  for (const w of words) n = (n << 16n) | BigInt(w);
  return n;
}

/** RFC 5952 §4 text of a 128-bit number. */
export function formatIPv6(n: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return formatWords(words);
}

/** ::ffff:0:0/96 (RFC 4291 §2.5.5.2): the IPv4 address an IPv4-mapped IPv6 number carries. */
export function mappedIPv4(n: bigint): number | undefined {
  return n >> 32n === 0xffffn ? Number(n & 0xffffffffn) : undefined;
}
