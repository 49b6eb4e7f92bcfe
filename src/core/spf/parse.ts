/**
 * SPF record parsing, RFC 7208 §4.6 and the ABNF of §12. Pure: no DNS.
 * Everything here is shared by check-domain's static walk and auth spf's evaluation.
 */
import { parseIPv4 } from '../net/ip-address.js';

export type Qualifier = '+' | '-' | '~' | '?';
export const QUALIFIER_RESULTS = { '+': 'pass', '-': 'fail', '~': 'softfail', '?': 'neutral' } as const;

export type MechanismName = 'all' | 'include' | 'a' | 'mx' | 'ptr' | 'ip4' | 'ip6' | 'exists';

export interface Mechanism {
  kind: 'mechanism';
  raw: string;
  qualifier: Qualifier;
  name: MechanismName;
  /** include, exists (required); a, mx, ptr (optional). Unexpanded macro-string. */
  domainSpec?: string;
  /** ip4 / ip6 network address as written. */
  network?: string;
  /** CIDR prefix for IPv4 (ip4, a, mx). */
  cidr4?: number;
  /** CIDR prefix for IPv6 (ip6, a, mx). */
  cidr6?: number;
}

export interface Modifier {
  kind: 'modifier';
  raw: string;
  name: string; // lower-cased
  value: string;
}

export type Term = Mechanism | Modifier;

export interface SpfRecord {
  terms: Term[];
  mechanisms: Mechanism[];
  redirect?: string;
  exp?: string;
}

export type ParseResult = { ok: true; record: SpfRecord } | { ok: false; error: string; term?: string };

/** Mechanisms and modifiers that cause DNS queries (RFC 7208 §4.6.4). */
export const DNS_MECHANISMS: ReadonlySet<string> = new Set(['include', 'a', 'mx', 'ptr', 'exists']);

/** "v=spf1" followed by a space or the end (RFC 7208 §4.5). */
export function isSpfRecord(txt: string): boolean {
  return /^v=spf1(?: |$)/i.test(txt);
}

const MACRO_LETTERS = 'slodiphv';
const EXP_ONLY_LETTERS = 'crt';

/** Validates a macro-string (RFC 7208 §7.1); returns an error or undefined. */
export function macroStringProblem(s: string, opts: { exp?: boolean } = {}): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const code = ch.charCodeAt(0);
    if (ch === '%') {
      const next = s[i + 1];
      if (next === '%' || next === '_' || next === '-') {
        i++;
        continue;
      }
      if (next !== '{') return `"%" must be followed by "{", "%", "_" or "-" in "${s}"`;
      const end = s.indexOf('}', i + 2);
      if (end < 0) return `unterminated macro in "${s}"`;
      const body = s.slice(i + 2, end);
      const m = /^([a-z])(\d*)(r?)([.\-+,/_=]*)$/i.exec(body);
      if (!m) return `bad macro "%{${body}}"`;
      const letter = m[1]!.toLowerCase();
      if (!MACRO_LETTERS.includes(letter) && !(opts.exp && EXP_ONLY_LETTERS.includes(letter))) {
        return `unknown macro letter "${m[1]}" in "%{${body}}"`;
      }
      // RFC 7208 §7.1: a digit transformer of zero is not allowed
      if (m[2] !== '' && Number(m[2]) === 0) return `macro "%{${body}}" keeps zero labels`;
      i = end;
      continue;
    }
    // macro-literal = %x21-24 / %x26-7E (exp text also allows spaces)
    if (code < 0x21 || code > 0x7e) {
      if (!(opts.exp && code === 0x20)) return `character ${JSON.stringify(ch)} not allowed in "${s}"`;
    }
  }
  return undefined;
}

/** domain-spec = macro-string domain-end (RFC 7208 §7.1). */
export function domainSpecProblem(spec: string): string | undefined {
  if (spec === '') return 'empty domain-spec';
  const macro = macroStringProblem(spec);
  if (macro) return macro;
  // domain-end = ( "." toplabel [ "." ] ) / macro-expand
  if (/%\{[^}]*\}$/.test(spec) || /%[%_-]$/.test(spec)) return undefined;
  const trimmed = spec.endsWith('.') ? spec.slice(0, -1) : spec;
  const dot = trimmed.lastIndexOf('.');
  if (dot < 0) return `"${spec}" is not a fully qualified domain name`;
  const top = trimmed.slice(dot + 1);
  // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
  const okTop = /^[a-z0-9]*[a-z][a-z0-9]*$/i.test(top) || /^[a-z0-9]+-[a-z0-9-]*[a-z0-9]$/i.test(top);
  if (!okTop) return `"${spec}" does not end in a valid top-level label`;
  return undefined;
}

const CIDR4 = /^(0|[1-9]\d?)$/;
const CIDR6 = /^(0|[1-9]\d{0,2})$/;

function parseCidr4(s: string): number | undefined {
  if (!CIDR4.test(s)) return undefined;
  const n = Number(s);
  return n <= 32 ? n : undefined;
}
function parseCidr6(s: string): number | undefined {
  if (!CIDR6.test(s)) return undefined;
  const n = Number(s);
  return n <= 128 ? n : undefined;
}

function isIPv4Literal(s: string): boolean {
  return parseIPv4(s) !== undefined;
}

function isIPv6Literal(s: string): boolean {
  // RFC 4291 §2.2 text forms, including an embedded IPv4 tail.
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(':')) return false;
  const dbl = s.split('::');
  if (dbl.length > 2) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const head = groups(dbl[0]!);
  const tail = dbl.length === 2 ? groups(dbl[1]!) : [];
  const all = [...head, ...tail];
  let count = all.length;
  const last = all[all.length - 1];
  if (last && last.includes('.')) {
    if (!isIPv4Literal(last)) return false;
    count += 1; // an IPv4 tail fills two groups
    all.pop();
  }
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return false;
  return dbl.length === 2 ? count < 8 : count === 8;
}

function parseMechanism(raw: string): Mechanism | string {
  let qualifier: Qualifier = '+';
  let rest = raw;
  if ('+-~?'.includes(rest[0]!)) {
    qualifier = rest[0] as Qualifier;
    rest = rest.slice(1);
  }
  const m = /^([a-z0-9]+)(.*)$/i.exec(rest);
  if (!m) return `unknown term "${raw}"`;
  const name = m[1]!.toLowerCase();
  const arg = m[2]!;
  const mech = (fields: Partial<Mechanism>): Mechanism => ({ kind: 'mechanism', raw, qualifier, name: name as MechanismName, ...fields });

  switch (name) {
    case 'all':
      if (arg !== '') return `"all" takes no argument in "${raw}"`;
      return mech({});
    case 'include':
    case 'exists': {
      if (!arg.startsWith(':')) return `"${name}" needs ":domain" in "${raw}"`;
      const spec = arg.slice(1);
      const p = domainSpecProblem(spec);
      if (p) return `${p} in "${raw}"`;
      return mech({ domainSpec: spec });
    }
    case 'ptr': {
      if (arg === '') return mech({});
      if (!arg.startsWith(':')) return `bad "ptr" term "${raw}"`;
      const spec = arg.slice(1);
      const p = domainSpecProblem(spec);
      if (p) return `${p} in "${raw}"`;
      return mech({ domainSpec: spec });
    }
    case 'a':
    case 'mx': {
      // [ ":" domain-spec ] [ dual-cidr-length ]: the cidr part is taken from the end.
      const cidr = /^(.*?)(?:\/([0-9]+))?(?:\/\/([0-9]+))?$/.exec(arg)!;
      let body = cidr[1]!;
      let c4: number | undefined;
      let c6: number | undefined;
      if (cidr[2] !== undefined) {
        c4 = parseCidr4(cidr[2]);
        if (c4 === undefined) return `bad IPv4 prefix length in "${raw}"`;
      }
      if (cidr[3] !== undefined) {
        c6 = parseCidr6(cidr[3]);
        if (c6 === undefined) return `bad IPv6 prefix length in "${raw}"`;
      }
      if (body === '') return mech({ cidr4: c4, cidr6: c6 });
      if (!body.startsWith(':')) return `bad "${name}" term "${raw}"`;
      body = body.slice(1);
      const p = domainSpecProblem(body);
      if (p) return `${p} in "${raw}"`;
      return mech({ domainSpec: body, cidr4: c4, cidr6: c6 });
    }
    case 'ip4': {
      if (!arg.startsWith(':')) return `"ip4" needs ":address" in "${raw}"`;
      const [net, len, extra] = arg.slice(1).split('/');
      if (extra !== undefined || !isIPv4Literal(net!)) return `bad IPv4 network in "${raw}"`;
      let c4: number | undefined;
      if (len !== undefined) {
        c4 = parseCidr4(len);
        if (c4 === undefined) return `bad IPv4 prefix length in "${raw}"`;
      }
      return mech({ network: net, cidr4: c4 });
    }
    case 'ip6': {
      if (!arg.startsWith(':')) return `"ip6" needs ":address" in "${raw}"`;
      const body = arg.slice(1);
      const slash = body.lastIndexOf('/');
      const net = slash >= 0 ? body.slice(0, slash) : body;
      const len = slash >= 0 ? body.slice(slash + 1) : undefined;
      if (!isIPv6Literal(net)) return `bad IPv6 network in "${raw}"`;
      let c6: number | undefined;
      if (len !== undefined) {
        c6 = parseCidr6(len);
        if (c6 === undefined) return `bad IPv6 prefix length in "${raw}"`;
      }
      return mech({ network: net, cidr6: c6 });
    }
    default:
      return `unknown mechanism "${name}" in "${raw}"`;
  }
}

/** Parses a full record text ("v=spf1 ..."). */
export function parseSpf(text: string): ParseResult {
  if (!isSpfRecord(text)) return { ok: false, error: 'record does not start with "v=spf1"' };
  const body = text.slice(6);
  // Terms are separated by one or more SP (RFC 7208 §12); other whitespace is a syntax error.
  if (/[^\x20-\x7e]/.test(body)) {
    const bad = /[^\x20-\x7e]/.exec(body)![0];
    return { ok: false, error: `character ${JSON.stringify(bad)} is not allowed in an SPF record` };
  }
  const terms: Term[] = [];
  const mechanisms: Mechanism[] = [];
  let redirect: string | undefined;
  let exp: string | undefined;
  for (const raw of body.split(' ').filter((t) => t !== '')) {
    const mod = /^([a-z][a-z0-9_.-]*)=(.*)$/i.exec(raw);
    if (mod) {
      const name = mod[1]!.toLowerCase();
      const value = mod[2]!;
      if (name === 'redirect' || name === 'exp') {
        // RFC 7208 §6: each may appear at most once
        if ((name === 'redirect' && redirect !== undefined) || (name === 'exp' && exp !== undefined)) {
          return { ok: false, error: `"${name}=" appears more than once`, term: raw };
        }
        const p = domainSpecProblem(value);
        if (p) return { ok: false, error: `${p} in "${raw}"`, term: raw };
        if (name === 'redirect') redirect = value;
        else exp = value;
      } else {
        const p = macroStringProblem(value);
        if (p) return { ok: false, error: `${p} in modifier "${raw}"`, term: raw };
      }
      terms.push({ kind: 'modifier', raw, name, value });
      continue;
    }
    const m = parseMechanism(raw);
    if (typeof m === 'string') return { ok: false, error: m, term: raw };
    terms.push(m);
    mechanisms.push(m);
  }
  const record: SpfRecord = { terms, mechanisms };
  if (redirect !== undefined) record.redirect = redirect;
  if (exp !== undefined) record.exp = exp;
  return { ok: true, record };
}

/** True when the spec contains a macro (it cannot be resolved without a sender/IP context). */
export function hasMacro(spec: string): boolean {
  return /%\{/.test(spec);
}
