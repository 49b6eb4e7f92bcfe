/**
 * Scan targets: IPv4 and IPv6 addresses, CIDR ranges and domain names as users type them, turned into
 * the names a DNS blocklist is asked about.
 *
 * - IPv4: octets reversed in front of the zone (RFC 5782 §2.1), e.g. 203.0.113.5 → 5.113.0.203.<zone>.
 * - IPv6: all 32 nibbles of the full address, reversed (RFC 5782 §2.4), as in ip6.arpa (RFC 3596 §2.5).
 * - Domains: the name itself in front of the zone (RFC 5782 §2.3).
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) are the IPv4 address they carry.
 */
import { domainToASCII } from 'node:url';
import { UsageError } from '../errors.js';
import { domainNameProblem } from '../domain/name.js';

export type TargetKind = 'ipv4' | 'ipv6' | 'domain';

export interface Target {
  kind: TargetKind;
  /** Canonical text: dotted quad, RFC 5952 IPv6, or the lower-case ASCII domain. */
  value: string;
}

const IPV4_OCTET = /^(?:0|[1-9]\d{0,2})$/;

/** Strict dotted quad → 32-bit number; leading zeros are refused (they mean octal to some parsers). */
export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!IPV4_OCTET.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const V6_MAX = (1n << 128n) - 1n;

/** RFC 4291 §2.2 text forms (with "::" and an IPv4 tail) → 128-bit number. Zone indexes are refused. */
export function parseIPv6(input: string): bigint | undefined {
  let s = input;
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return undefined;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = parseIPv4(last);
    if (v4 === undefined) return undefined;
    tail = [v4 >>> 16, v4 & 0xffff];
    // Drop the IPv4 tail; keep a "::" that preceded it, drop a single separating ":".
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): string[] | undefined => {
    if (part === '') return [];
    const g = part.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : undefined;
  };
  const head = groupsOf(halves[0]!);
  const rest = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const explicit = head.length + rest.length + tail.length;
  let words: number[];
  if (halves.length === 2) {
    // "::" stands for one or more zero groups (RFC 4291 §2.2 item 2)
    if (explicit > 7) return undefined;
    words = [...head.map((h) => parseInt(h, 16)), ...Array<number>(8 - explicit).fill(0), ...rest.map((h) => parseInt(h, 16)), ...tail];
  } else {
    if (explicit !== 8) return undefined;
    words = [...head.map((h) => parseInt(h, 16)), ...tail];
  }
  let n = 0n;
  for (const w of words) n = (n << 16n) | BigInt(w);
  return n;
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::", first on a tie. */
export function formatIPv6(n: bigint): string {
  const words: number[] = [];
  for (let i = 7; i >= 0; i--) words.push(Number((n >> BigInt(i * 16)) & 0xffffn));
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

/** ::ffff:0:0/96 — an IPv4 address written as IPv6. */
function mappedIPv4(n: bigint): number | undefined {
  return n >> 32n === 0xffffn ? Number(n & 0xffffffffn) : undefined;
}

/** The labels put in front of a zone for this target. */
export function reversedName(t: Target): string {
  if (t.kind === 'domain') return t.value;
  if (t.kind === 'ipv4') return t.value.split('.').reverse().join('.');
  const n = parseIPv6(t.value);
  if (n === undefined) throw new Error(`not an IPv6 address: ${t.value}`);
  return n.toString(16).padStart(32, '0').split('').reverse().join('.');
}

export function queryName(t: Target, zone: string): string {
  return `${reversedName(t)}.${zone}`;
}

/** One parsed input: a single target or a range still to expand. */
export type ParsedInput =
  | { kind: 'single'; target: Target }
  | { kind: 'range'; version: 4 | 6; network: bigint; prefix: number; count: bigint; normalised: string; hostBitsSet: boolean };

function badTarget(input: string, why: string): UsageError {
  return new UsageError(`"${input}" is not an IP address, CIDR range or domain name: ${why}`, {
    hint: 'targets look like 203.0.113.5, 2001:db8::5, 203.0.112.0/22 or example.com',
  });
}

export function parseTargetInput(raw: string): ParsedInput {
  const input = raw.trim();
  if (input === '') throw badTarget(raw, 'empty');
  const s = input.replace(/^\[(.*)\]$/, '$1');
  const slash = s.indexOf('/');
  if (slash >= 0) return parseRange(input, s.slice(0, slash), s.slice(slash + 1));
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { kind: 'single', target: { kind: 'ipv4', value: formatIPv4(v4) } };
  if (s.includes(':')) {
    if (s.includes('%')) throw badTarget(input, 'an IPv6 zone index (%…) has no meaning to a blocklist');
    const v6 = parseIPv6(s);
    if (v6 === undefined) throw badTarget(input, 'malformed IPv6 address');
    const mapped = mappedIPv4(v6);
    if (mapped !== undefined) return { kind: 'single', target: { kind: 'ipv4', value: formatIPv4(mapped) } };
    return { kind: 'single', target: { kind: 'ipv6', value: formatIPv6(v6) } };
  }
  if (/^[\d.]+$/.test(s)) throw badTarget(input, 'malformed IPv4 address (four decimal octets 0-255, no leading zeros)');
  return { kind: 'single', target: { kind: 'domain', value: domainTarget(input, s) } };
}

function domainTarget(input: string, s: string): string {
  const lowered = s.replace(/\.$/, '').toLowerCase();
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(lowered) ? lowered : domainToASCII(lowered);
  if (!ascii) throw badTarget(input, 'it cannot be converted to an ASCII domain name (IDNA)');
  const problem = domainNameProblem(ascii);
  if (problem) throw badTarget(input, problem);
  return ascii;
}

function parseRange(input: string, addr: string, len: string): ParsedInput {
  if (!/^\d{1,3}$/.test(len)) throw badTarget(input, `bad prefix length "/${len}"`);
  const prefix = Number(len);
  const v4 = parseIPv4(addr);
  if (v4 !== undefined) {
    if (prefix > 32) throw badTarget(input, 'an IPv4 prefix length is at most 32');
    const size = 32 - prefix;
    const mask = size === 32 ? 0 : (0xffffffff << size) >>> 0;
    const network = (v4 & mask) >>> 0;
    return {
      kind: 'range',
      version: 4,
      network: BigInt(network),
      prefix,
      count: 1n << BigInt(size),
      normalised: `${formatIPv4(network)}/${prefix}`,
      hostBitsSet: network !== v4,
    };
  }
  const v6 = parseIPv6(addr);
  if (v6 === undefined) throw badTarget(input, 'the part before "/" is not an IPv4 or IPv6 address');
  if (prefix > 128) throw badTarget(input, 'an IPv6 prefix length is at most 128');
  const size = BigInt(128 - prefix);
  const network = v6 & (V6_MAX ^ ((1n << size) - 1n));
  return { kind: 'range', version: 6, network, prefix, count: 1n << size, normalised: `${formatIPv6(network)}/${prefix}`, hostBitsSet: network !== v6 };
}

/** Every address of a range, in order. The caller has checked the count. */
export function expandRange(r: Extract<ParsedInput, { kind: 'range' }>): Target[] {
  const out: Target[] = [];
  const count = Number(r.count);
  for (let i = 0; i < count; i++) {
    const n = r.network + BigInt(i);
    if (r.version === 4) out.push({ kind: 'ipv4', value: formatIPv4(Number(n)) });
    else {
      const mapped = mappedIPv4(n);
      out.push(mapped !== undefined ? { kind: 'ipv4', value: formatIPv4(mapped) } : { kind: 'ipv6', value: formatIPv6(n) });
    }
  }
  return out;
}

export interface CollectedTargets {
  targets: Target[];
  /** Things worth telling the user (a range written with host bits set, duplicates dropped). */
  notices: string[];
}

const fmt = (n: bigint | number) => n.toLocaleString('en-US');

/**
 * Parses and expands every input, drops duplicates (first occurrence wins), and refuses to go past
 * maxTargets: a /16 typed by mistake is 65,536 queries per list, which public lists treat as abuse.
 */
export function collectTargets(inputs: readonly string[], maxTargets: number, already: readonly Target[] = []): CollectedTargets {
  const seen = new Set(already.map((t) => `${t.kind} ${t.value}`));
  const targets: Target[] = [];
  const notices: string[] = [];
  let duplicates = 0;
  const add = (t: Target) => {
    const key = `${t.kind} ${t.value}`;
    if (seen.has(key)) {
      duplicates++;
      return;
    }
    seen.add(key);
    targets.push(t);
  };
  const tooMany = (what: string, total: bigint) =>
    new UsageError(`${what}: ${fmt(total)} targets is more than --max-targets ${fmt(maxTargets)}`, {
      hint: `each target is one query per list; pass --max-targets ${total <= 1_000_000n ? fmt(total).replace(/,/g, '') : '<n>'} if you mean it, or scan a smaller range`,
    });
  for (const input of inputs) {
    const p = parseTargetInput(input);
    if (p.kind === 'single') {
      add(p.target);
    } else {
      const total = BigInt(already.length + targets.length) + p.count;
      if (total > BigInt(maxTargets)) {
        throw tooMany(`${input.trim()} expands to ${fmt(p.count)} address${p.count === 1n ? '' : 'es'}`, total);
      }
      if (p.hostBitsSet) notices.push(`${input.trim()} has host bits set; scanning ${p.normalised}`);
      for (const t of expandRange(p)) add(t);
    }
    if (already.length + targets.length > maxTargets) {
      throw tooMany('too many targets', BigInt(already.length + targets.length));
    }
  }
  if (duplicates > 0) notices.push(`${duplicates} duplicate target${duplicates === 1 ? '' : 's'} skipped`);
  return { targets, notices };
}

/** Lines of a targets file or stdin: one or more targets per line (space/comma separated), # comments. */
export function targetsFromText(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const body = line.replace(/#.*$/, '').trim();
    if (body === '') continue;
    out.push(...body.split(/[\s,;]+/).filter((x) => x !== ''));
  }
  return out;
}
