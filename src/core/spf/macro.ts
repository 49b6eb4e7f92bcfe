/**
 * SPF macro expansion, RFC 7208 §7: letters, transformers (digits, "r"), delimiters, the escapes
 * "%%" "%_" "%-", URL-escaping for upper-case letters (§7.3), and the 253-octet truncation of
 * expanded domain names (§7.3). Syntax is checked by parse.ts (macroStringProblem); expansion
 * re-checks only what it needs and throws MacroError on anything it cannot expand.
 */
import { dottedIp, formatIp, type IpAddress } from '../net/ip-address.js';

/** Macro letters and what they expand to (RFC 7208 §7.2). */
export const MACRO_LETTERS = {
  s: 'the <sender> (MAIL FROM, or postmaster@<HELO> for a HELO check)',
  l: 'the local-part of <sender>',
  o: 'the domain of <sender>',
  d: 'the <domain> being evaluated (changes with include and redirect)',
  i: 'the client <ip>: dotted-quad for IPv4, dotted nibbles for IPv6',
  p: 'the validated domain name of <ip> (discouraged, §7.3)',
  v: '"in-addr" for IPv4, "ip6" for IPv6',
  h: 'the HELO/EHLO domain',
  c: 'the client IP in its readable form (exp= text only)',
  r: 'the domain name of the host performing the check (exp= text only)',
  t: 'the current time in seconds since the epoch (exp= text only)',
} as const;
export type MacroLetter = keyof typeof MACRO_LETTERS;

/** Letters allowed only in explanation text (RFC 7208 §7.2). */
const EXP_ONLY = new Set<string>(['c', 'r', 't']);

/** The values macros expand from, for one evaluation step. */
export interface MacroContext {
  sender: string;
  localPart: string;
  senderDomain: string;
  /** The current <domain>. */
  domain: string;
  /** The address SPF evaluates (an IPv4-mapped client already turned into IPv4). */
  ip: IpAddress;
  helo: string;
  /** %{r}; RFC 7208 §7.3 suggests "unknown" when the checker has no name. */
  receiver: string;
  /** Seconds since the epoch, for %{t}. */
  timestamp: number;
  /** %{p}: resolved only when a macro asks for it (it costs DNS queries). */
  validatedName: () => Promise<string>;
}

export class MacroError extends Error {}

/** RFC 3986 §2.3 unreserved characters stay; every other octet becomes %XX (RFC 7208 §7.3). */
export function urlEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const ch = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

async function letterValue(letter: string, ctx: MacroContext): Promise<string> {
  switch (letter) {
    case 's':
      return ctx.sender;
    case 'l':
      return ctx.localPart;
    case 'o':
      return ctx.senderDomain;
    case 'd':
      return ctx.domain;
    case 'i':
      return dottedIp(ctx.ip);
    case 'p':
      return ctx.validatedName();
    case 'v':
      return ctx.ip.family === 4 ? 'in-addr' : 'ip6';
    case 'h':
      return ctx.helo;
    case 'c':
      return formatIp(ctx.ip);
    case 'r':
      return ctx.receiver;
    case 't':
      return String(ctx.timestamp);
    default:
      throw new MacroError(`unknown macro letter "${letter}"`);
  }
}

/**
 * Applies transformers and delimiters (RFC 7208 §7.3): split on any of the delimiters (default "."),
 * reverse when asked, keep the right-most N parts, rejoin with ".".
 */
export function transform(value: string, digits: number | undefined, reverse: boolean, delimiters: string): string {
  if (digits === undefined && !reverse && delimiters === '') return value;
  const delims = delimiters === '' ? '.' : delimiters;
  const parts: string[] = [];
  let cur = '';
  for (const ch of value) {
    if (delims.includes(ch)) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  if (reverse) parts.reverse();
  const kept = digits !== undefined && digits < parts.length ? parts.slice(parts.length - digits) : parts;
  return kept.join('.');
}

/** Expands a macro-string. `exp` allows the explanation-only letters c, r, t (RFC 7208 §7.2). */
export async function expandMacros(input: string, ctx: MacroContext, opts: { exp?: boolean } = {}): Promise<string> {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    // RFC 7208 §7.1: "%%" is "%", "%_" a space, "%-" a URL-encoded space.
    if (next === '%') {
      out += '%';
      i++;
      continue;
    }
    if (next === '_') {
      out += ' ';
      i++;
      continue;
    }
    if (next === '-') {
      out += '%20';
      i++;
      continue;
    }
    if (next !== '{') throw new MacroError(`"%" must be followed by "{", "%", "_" or "-"`);
    const end = input.indexOf('}', i + 2);
    if (end < 0) throw new MacroError('unterminated macro');
    const body = input.slice(i + 2, end);
    const m = /^([a-zA-Z])(\d*)(r?)([.\-+,/_=]*)$/.exec(body);
    if (!m) throw new MacroError(`bad macro "%{${body}}"`);
    const raw = m[1]!;
    const letter = raw.toLowerCase();
    if (!(letter in MACRO_LETTERS)) throw new MacroError(`unknown macro letter "${raw}"`);
    if (EXP_ONLY.has(letter) && !opts.exp) throw new MacroError(`macro letter "${raw}" is allowed only in exp= text`);
    const digits = m[2] === '' ? undefined : Number(m[2]);
    if (digits === 0) throw new MacroError(`macro "%{${body}}" keeps zero parts`);
    let value = transform(await letterValue(letter, ctx), digits, m[3] === 'r', m[4]!);
    if (raw !== letter) value = urlEscape(value);
    out += value;
    i = end;
  }
  return out;
}

const MAX_DOMAIN_OCTETS = 253;

/**
 * RFC 7208 §7.3: an expanded domain name longer than 253 characters loses labels from the left
 * until it fits. A trailing dot is dropped first (§7.1: it is not part of the name).
 */
export function truncateDomain(name: string): string {
  let n = name.endsWith('.') ? name.slice(0, -1) : name;
  while (Buffer.byteLength(n, 'utf8') > MAX_DOMAIN_OCTETS) {
    const dot = n.indexOf('.');
    if (dot < 0) return '';
    n = n.slice(dot + 1);
  }
  return n;
}

/** Expands a domain-spec into a name to query (RFC 7208 §4.8, §7.3). */
export async function expandDomainSpec(spec: string, ctx: MacroContext): Promise<string> {
  return truncateDomain(await expandMacros(spec, ctx));
}
