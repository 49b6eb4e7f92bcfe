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
import { formatIPv4, formatIPv6, mappedIPv4, parseIPv4, parseIPv6 } from '../net/ip-address.js';

// The numeric address forms scans do range arithmetic on; re-exported for callers that import them from here.
export { formatIPv4, formatIPv6, parseIPv4, parseIPv6 };

export type TargetKind = 'ipv4' | 'ipv6' | 'domain';

export interface Target {
  kind: TargetKind;
  /** Canonical text: dotted quad, RFC 5952 IPv6, or the lower-case ASCII domain. */
  value: string;
}

/** The labels put in front of a zone for this target. */
export function reversedName(t: Target): string {
  if (t.kind === 'domain') return t.value;
  if (t.kind === 'ipv4') {
    const [a, b, c, d] = t.value.split('.');
    return `${d}.${c}.${b}.${a}`;
  }
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

const V6_MAX = (1n << 128n) - 1n;

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
  if (r.version === 4) {
    // plain numbers for IPv4 (BigInt arithmetic per address is slow before V8 optimises it)
    const first = Number(r.network);
    for (let i = 0; i < count; i++) out.push({ kind: 'ipv4', value: formatIPv4(first + i) });
    return out;
  }
  for (let i = 0; i < count; i++) {
    const n = r.network + BigInt(i);
    const mapped = mappedIPv4(n);
    out.push(mapped !== undefined ? { kind: 'ipv4', value: formatIPv4(mapped) } : { kind: 'ipv6', value: formatIPv6(n) });
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
