/**
 * check_host() of RFC 7208 (§4–§7): evaluates the SPF policy of a domain for a client IP, through
 * the injected resolver only. Mechanisms are evaluated left to right and evaluation stops at the
 * first match, so lookups are sequential on purpose: the §4.6.4 limits depend on that order.
 */
import { domainToASCII } from 'node:url';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import type { DnsAnswer, RecordType } from '../dns/types.js';
import { isSpfRecord, macroStringProblem, parseSpf, QUALIFIER_RESULTS, type Mechanism, type SpfRecord } from './parse.js';
import { formatIp, inPrefix, parseIp, reverseName, spfClientAddress, type IpAddress } from '../net/ip-address.js';
import { expandDomainSpec, expandMacros, MacroError, type MacroContext } from './macro.js';

/** The results of check_host() (RFC 7208 §2.6) and what each tells the receiver. */
export const SPF_RESULTS = {
  pass: 'the client is authorised to send for the domain (§2.6.3)',
  fail: 'the client is explicitly not authorised to send for the domain (§2.6.4)',
  softfail: 'the client is probably not authorised; a weak statement short of fail (§2.6.5)',
  neutral: 'the domain makes no statement about this client (§2.6.2)',
  none: 'no SPF record was found, or the identity is not a usable domain name (§2.6.1)',
  permerror: 'the domain\'s SPF records cannot be interpreted correctly; a fix by the domain owner is needed (§2.6.7)',
  temperror: 'a transient (usually DNS) error prevented the check; a later retry may succeed (§2.6.6)',
} as const;
export type SpfResult = keyof typeof SPF_RESULTS;

/**
 * How the result of a recursive check_host() decides an "include" (RFC 7208 §5.2 table):
 * match / no-match, or the error the include itself becomes.
 */
export const INCLUDE_RESULT_MAP = {
  pass: 'match',
  fail: 'no-match',
  softfail: 'no-match',
  neutral: 'no-match',
  temperror: 'temperror',
  permerror: 'permerror',
  none: 'permerror',
} as const satisfies Record<SpfResult, 'match' | 'no-match' | 'temperror' | 'permerror'>;

/** Processing limits (RFC 7208 §4.6.4). */
export const SPF_LIMITS = {
  /** Terms that cause DNS queries: include, a, mx, ptr, exists, redirect. */
  dnsLookups: 10,
  /** Lookups answering NXDOMAIN or no records. */
  voidLookups: 2,
  /** MX names looked up per "mx" mechanism (more: permerror). */
  mxNames: 10,
  /** PTR names looked at per "ptr" mechanism or %{p} (more: ignored). */
  ptrNames: 10,
} as const;

export interface SpfInput {
  /** The SMTP client IP (IPv4 or IPv6 text). */
  ip: string;
  /** MAIL FROM; empty or absent means the HELO identity is checked (RFC 7208 §2.4). */
  mailFrom?: string;
  /** The HELO/EHLO name. */
  helo?: string;
  /** The checking host's name for %{r}; "unknown" by default (RFC 7208 §7.3). */
  receiver?: string;
}

export type TraceOutcome = 'record' | 'match' | 'no-match' | 'redirect' | 'permerror' | 'temperror' | 'none';

/** One step of the evaluation, for showing the user why. */
export interface SpfTraceStep {
  /** 0 for the checked domain; +1 per include/redirect. */
  depth: number;
  domain: string;
  /** The term as written, or "record" for the fetched record. */
  term: string;
  outcome: TraceOutcome;
  detail?: string;
}

export interface SpfEvaluation {
  result: SpfResult;
  /** The exp= explanation (RFC 7208 §6.2), only for fail, only when the domain publishes one. */
  explanation?: string;
  /** The term (of the checked domain's record, or of its redirect target) that decided the result. */
  mechanism?: string;
  /** The domain whose record holds `mechanism`. */
  mechanismDomain?: string;
  /** One sentence: why this result. */
  reason: string;
  identity: 'mailfrom' | 'helo';
  /** <sender> as evaluated (postmaster@… filled in where needed). */
  sender: string;
  /** The domain check_host() started from. */
  domain: string;
  /** The client address as evaluated (IPv4-mapped IPv6 shown as IPv4). */
  ip: string;
  helo?: string;
  /** The SPF record of `domain`, when one was selected. */
  record?: string;
  lookups: { count: number; void: number; limit: number; voidLimit: number };
  trace: SpfTraceStep[];
}

/** An evaluation that stops with permerror or temperror; carried up through include/redirect. */
class SpfAbort extends Error {
  mechanism?: string;
  domain?: string;
  /** The include chain the error came through, outermost first. */
  via?: string[];
  constructor(
    readonly result: 'permerror' | 'temperror',
    message: string,
  ) {
    super(message);
  }
}

interface HostOutcome {
  result: SpfResult;
  reason: string;
  via?: string[];
  explanation?: string;
  mechanism?: string;
  mechanismDomain?: string;
  record?: string;
}

/** Why a name cannot be sent to DNS (RFC 1035 §2.3.4), or undefined when it can. */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'empty name';
  const labels = name.split('.');
  if (labels.some((l) => l === '')) return 'empty label';
  if (labels.some((l) => Buffer.byteLength(l, 'utf8') > 63)) return 'label longer than 63 octets';
  if (Buffer.byteLength(name, 'utf8') > 253) return 'name longer than 253 octets';
  return undefined;
}

/**
 * RFC 7208 §4.3: a <domain> that is malformed (bad label lengths), not multi-label, or a domain
 * literal makes check_host() return "none" without any query.
 */
export function domainProblem(domain: string): string | undefined {
  if (domain.startsWith('[')) return 'an address literal, not a domain name';
  const p = nameProblem(domain);
  if (p) return p;
  if (!domain.includes('.')) return 'not a fully qualified (multi-label) domain name';
  return undefined;
}

function normaliseDomain(d: string): string {
  let out = d.trim();
  if (out.endsWith('.')) out = out.slice(0, -1);
  // IDNs are looked up as A-labels (RFC 5890); leave anything else exactly as given.
  if (/[^\x00-\x7f]/.test(out) && !out.startsWith('[')) {
    const ascii = domainToASCII(out);
    if (ascii) out = ascii;
  }
  return out;
}

/** The identity to check (RFC 7208 §2.3, §2.4, §4.3). Throws UsageError for unusable input. */
export function spfIdentity(input: SpfInput): {
  ip: IpAddress;
  identity: 'mailfrom' | 'helo';
  sender: string;
  localPart: string;
  domain: string;
  helo?: string;
} {
  const parsed = parseIp(input.ip ?? '');
  if (!parsed) throw new UsageError(`--ip "${input.ip}" is not an IPv4 or IPv6 address`);
  const ip = spfClientAddress(parsed);
  const helo = input.helo === undefined || input.helo.trim() === '' ? undefined : normaliseDomain(input.helo);
  let mailFrom = (input.mailFrom ?? '').trim();
  if (mailFrom.startsWith('<') && mailFrom.endsWith('>')) mailFrom = mailFrom.slice(1, -1).trim();
  if (mailFrom === '') {
    // RFC 7208 §2.4: with a null reverse-path, check "postmaster@" the HELO name.
    if (!helo) throw new UsageError('give --mail-from, or --helo to check the HELO identity of a null sender');
    return { ip, identity: 'helo', sender: `postmaster@${helo}`, localPart: 'postmaster', domain: helo, helo };
  }
  const at = mailFrom.lastIndexOf('@');
  const local = at < 0 ? '' : mailFrom.slice(0, at);
  const domain = normaliseDomain(at < 0 ? mailFrom : mailFrom.slice(at + 1));
  // RFC 7208 §4.3: a sender without a local-part is treated as postmaster@domain.
  const localPart = local === '' ? 'postmaster' : local;
  const sender = local === '' ? `postmaster@${domain}` : `${local}@${domain}`;
  return { ip, identity: 'mailfrom', sender, localPart, domain, helo };
}

const ERROR_STATUSES = new Set(['servfail', 'refused', 'timeout', 'error']);

class Evaluation {
  lookups = 0;
  voids = 0;
  readonly trace: SpfTraceStep[] = [];
  private ptrNames?: Promise<string[]>;
  private validated?: Promise<string[]>;

  constructor(
    private readonly deps: Deps,
    private readonly ip: IpAddress,
    private readonly base: Omit<MacroContext, 'domain' | 'validatedName'>,
  ) {}

  private step(s: SpfTraceStep): void {
    this.trace.push(s);
  }

  private macroContext(domain: string): MacroContext {
    return { ...this.base, domain, validatedName: () => this.validatedName(domain) };
  }

  private async expand(spec: string, domain: string): Promise<string> {
    try {
      return await expandDomainSpec(spec, this.macroContext(domain));
    } catch (e) {
      if (e instanceof MacroError) throw new SpfAbort('permerror', `cannot expand "${spec}": ${e.message}`);
      throw e;
    }
  }

  /** §4.6.4: a DNS-querying term is about to run. */
  private countLookup(term: string): void {
    this.lookups++;
    if (this.lookups > SPF_LIMITS.dnsLookups) {
      throw new SpfAbort('permerror', `more than ${SPF_LIMITS.dnsLookups} DNS-querying terms (include, a, mx, ptr, exists, redirect) were needed; "${term}" was number ${this.lookups} (RFC 7208 §4.6.4)`);
    }
  }

  private countVoid(name: string, type: string): void {
    this.voids++;
    if (this.voids > SPF_LIMITS.voidLookups) {
      throw new SpfAbort('permerror', `more than ${SPF_LIMITS.voidLookups} void lookups (no records or NXDOMAIN); the last was ${type} ${name} (RFC 7208 §4.6.4)`);
    }
  }

  /** A query whose failure is a temperror (RFC 7208 §4.4, §5). */
  private async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const a = await this.deps.resolver.query(name, type);
    if (ERROR_STATUSES.has(a.status)) {
      throw new SpfAbort('temperror', `DNS ${type} query for ${name} ${a.status === 'timeout' ? 'timed out' : `failed (${a.status})`}${a.detail ? `: ${a.detail}` : ''}`);
    }
    return a;
  }

  /** Addresses of the client's family at a name; [] when the name cannot be queried or has none. */
  private async addresses(name: string, countVoid: boolean): Promise<IpAddress[]> {
    if (nameProblem(name)) return [];
    const type = this.ip.family === 4 ? 'A' : 'AAAA';
    const a = await this.query(name, type);
    if (a.records.length === 0) {
      if (countVoid) this.countVoid(name, type);
      return [];
    }
    return a.records.flatMap((r) => {
      const ip = parseIp((r as { address: string }).address);
      return ip ? [ip] : [];
    });
  }

  private matchesAny(addrs: IpAddress[], m: Mechanism): boolean {
    const prefix = this.ip.family === 4 ? (m.cidr4 ?? 32) : (m.cidr6 ?? 128);
    return addrs.some((a) => inPrefix(this.ip, a, prefix));
  }

  /** PTR names of the client, at most 10 (RFC 7208 §4.6.4: the rest are ignored); DNS errors give none (§5.5). */
  private ptrLookup(): Promise<string[]> {
    this.ptrNames ??= (async () => {
      const a = await this.deps.resolver.query(reverseName(this.ip), 'PTR');
      if (a.status !== 'ok') return [];
      return a.records.slice(0, SPF_LIMITS.ptrNames).map((r) => (r as { target: string }).target.replace(/\.$/, ''));
    })();
    return this.ptrNames;
  }

  /** Whether a PTR name resolves back to the client (RFC 7208 §5.5); lookup errors skip the name. */
  private async validates(name: string): Promise<boolean> {
    if (nameProblem(name)) return false;
    const type = this.ip.family === 4 ? 'A' : 'AAAA';
    const a = await this.deps.resolver.query(name, type);
    if (a.status !== 'ok') return false;
    return a.records.some((r) => {
      const ip = parseIp((r as { address: string }).address);
      return !!ip && inPrefix(this.ip, ip, this.ip.family === 4 ? 32 : 128);
    });
  }

  /**
   * %{p} (RFC 7208 §7.3): the domain itself if validated, else a validated subdomain of it, else
   * any validated name, else "unknown". Its queries do not count toward the limits.
   */
  private validatedName(domain: string): Promise<string> {
    this.validated ??= (async () => {
      const names = await this.ptrLookup();
      const ok = await Promise.all(names.map((n) => this.validates(n)));
      return names.filter((_, i) => ok[i]);
    })();
    return this.validated.then((valid) => {
      const d = domain.toLowerCase();
      return (
        valid.find((n) => n.toLowerCase() === d) ??
        valid.find((n) => n.toLowerCase().endsWith(`.${d}`)) ??
        valid[0] ??
        'unknown'
      );
    });
  }

  /** §4.4/§4.5: the one SPF record of a domain, or an outcome saying why there is none. */
  private async fetchRecord(domain: string, depth: number): Promise<{ spf: SpfRecord; text: string } | HostOutcome> {
    const problem = domainProblem(domain);
    if (problem) {
      this.step({ depth, domain, term: 'record', outcome: 'none', detail: problem });
      return { result: 'none', reason: `"${domain}" is ${problem}, so there is no SPF record to check (RFC 7208 §4.3)` };
    }
    const a = await this.query(domain, 'TXT');
    const spf = a.records.map((r) => (r as { text: string }).text).filter(isSpfRecord);
    if (spf.length === 0) {
      const why = a.status === 'nxdomain' ? 'does not exist' : 'has no SPF record';
      this.step({ depth, domain, term: 'record', outcome: 'none', detail: why });
      return { result: 'none', reason: `${domain} ${why}` };
    }
    if (spf.length > 1) {
      throw new SpfAbort('permerror', `${domain} publishes ${spf.length} SPF records; exactly one is allowed (RFC 7208 §4.5)`);
    }
    const text = spf[0]!;
    const parsed = parseSpf(text);
    if (!parsed.ok) {
      throw new SpfAbort('permerror', `syntax error in the SPF record of ${domain}: ${parsed.error} (RFC 7208 §4.6)`);
    }
    this.step({ depth, domain, term: 'record', outcome: 'record', detail: text });
    return { spf: parsed.record, text };
  }

  /** Whether one mechanism matches (RFC 7208 §5); throws SpfAbort for permerror/temperror. */
  private async matches(m: Mechanism, domain: string, depth: number): Promise<{ match: boolean; detail?: string }> {
    switch (m.name) {
      case 'all':
        return { match: true };
      case 'ip4':
      case 'ip6': {
        const net = parseIp(m.network!);
        if (!net) throw new SpfAbort('permerror', `bad network in "${m.raw}"`);
        // §5.6: ip4 compares IPv4 clients (incl. IPv4-mapped), ip6 IPv6 clients only.
        if ((m.name === 'ip4') !== (this.ip.family === 4)) return { match: false, detail: `client is IPv${this.ip.family}` };
        const prefix = m.name === 'ip4' ? (m.cidr4 ?? 32) : (m.cidr6 ?? 128);
        return { match: inPrefix(this.ip, net, prefix) };
      }
      case 'a': {
        this.countLookup(m.raw);
        const target = m.domainSpec === undefined ? domain : await this.expand(m.domainSpec, domain);
        const addrs = await this.addresses(target, true);
        return { match: this.matchesAny(addrs, m), detail: `${target}: ${addrs.map(formatIp).join(', ') || 'no addresses'}` };
      }
      case 'mx': {
        this.countLookup(m.raw);
        const target = m.domainSpec === undefined ? domain : await this.expand(m.domainSpec, domain);
        if (nameProblem(target)) return { match: false, detail: `${target}: cannot be queried` };
        const mx = await this.query(target, 'MX');
        if (mx.records.length === 0) {
          // §5.4: no MX means no match; the target is not its own implicit MX.
          this.countVoid(target, 'MX');
          return { match: false, detail: `${target}: no MX records` };
        }
        if (mx.records.length > SPF_LIMITS.mxNames) {
          throw new SpfAbort('permerror', `${target} has ${mx.records.length} MX records; "mx" may look up at most ${SPF_LIMITS.mxNames} (RFC 7208 §4.6.4)`);
        }
        // RFC 7505 null MX ("0 .") names no host: nothing to look up.
        const hosts = mx.records
          .slice()
          .sort((x, y) => (x as { priority: number }).priority - (y as { priority: number }).priority)
          .map((r) => (r as { exchange: string }).exchange.replace(/\.$/, ''))
          .filter((h) => h !== '');
        const settled = await Promise.allSettled(hosts.map((h) => this.addresses(h, false)));
        const found = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
        if (this.matchesAny(found, m)) return { match: true, detail: `${target} MX: ${hosts.join(', ')}` };
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw failed.reason;
        return { match: false, detail: `${target} MX: ${hosts.join(', ') || '(null MX)'}` };
      }
      case 'ptr': {
        this.countLookup(m.raw);
        const target = (m.domainSpec === undefined ? domain : await this.expand(m.domainSpec, domain)).toLowerCase();
        const names = await this.ptrLookup();
        // §5.5: only names at or below the target need validating.
        const candidates = names.filter((n) => n.toLowerCase() === target || n.toLowerCase().endsWith(`.${target}`));
        for (const n of candidates) {
          if (await this.validates(n)) return { match: true, detail: `validated ${n}` };
        }
        return { match: false, detail: names.length ? `PTR: ${names.join(', ')}` : 'no PTR names' };
      }
      case 'exists': {
        this.countLookup(m.raw);
        const target = await this.expand(m.domainSpec!, domain);
        if (nameProblem(target)) return { match: false, detail: `${target}: cannot be queried` };
        // §5.7: always an A query, whatever the client's family.
        const a = await this.query(target, 'A');
        if (a.records.length === 0) {
          this.countVoid(target, 'A');
          return { match: false, detail: `${target}: no A record` };
        }
        return { match: true, detail: target };
      }
      case 'include': {
        this.countLookup(m.raw);
        const target = await this.expand(m.domainSpec!, domain);
        const inner = await this.checkHost(target, depth + 1, false);
        const mapped = INCLUDE_RESULT_MAP[inner.result];
        if (mapped === 'match' || mapped === 'no-match') return { match: mapped === 'match', detail: `${target}: ${inner.result}` };
        if (inner.result === 'none') {
          throw new SpfAbort('permerror', `${inner.reason}; an include target without an SPF record is a permerror (RFC 7208 §5.2)`);
        }
        // The innermost reason says what broke; the path of includes says where.
        const e = new SpfAbort(mapped, inner.reason);
        e.via = [`include:${target}`, ...(inner.via ?? [])];
        throw e;
      }
    }
  }

  /** §6.2: the explanation for a fail; any problem means "no explanation". */
  private async explanation(record: SpfRecord, domain: string): Promise<string | undefined> {
    if (record.exp === undefined) return undefined;
    try {
      const target = await expandDomainSpec(record.exp, this.macroContext(domain));
      if (nameProblem(target)) return undefined;
      // Not counted toward the §4.6.4 limits (the suite's exp-void case relies on this).
      const a = await this.deps.resolver.query(target, 'TXT');
      if (a.status !== 'ok' || a.records.length !== 1) return undefined;
      const text = (a.records[0] as { text: string }).text;
      // §6.2: explanation text is US-ASCII; a syntax error means "as if no exp".
      if (/[^\x20-\x7e]/.test(text) || macroStringProblem(text, { exp: true })) return undefined;
      return await expandMacros(text, this.macroContext(domain), { exp: true });
    } catch (e) {
      if (e instanceof MacroError) return undefined;
      throw e;
    }
  }

  /** check_host(<ip>, <domain>, <sender>) of RFC 7208 §4. */
  async checkHost(domain: string, depth: number, explain: boolean): Promise<HostOutcome> {
    // The step being evaluated is logged before it runs, so an include's own steps follow it.
    let current: SpfTraceStep | undefined;
    try {
      const fetched = await this.fetchRecord(domain, depth);
      if (!('spf' in fetched)) return fetched;
      const { spf: record, text } = fetched;
      for (const m of record.mechanisms) {
        current = { depth, domain, term: m.raw, outcome: 'no-match' };
        this.step(current);
        const r = await this.matches(m, domain, depth);
        current.outcome = r.match ? 'match' : 'no-match';
        if (r.detail !== undefined) current.detail = r.detail;
        if (!r.match) continue;
        const result = QUALIFIER_RESULTS[m.qualifier];
        const out: HostOutcome = { result, mechanism: m.raw, mechanismDomain: domain, record: text, reason: `"${m.raw}" in the SPF record of ${domain} matched` };
        if (result === 'fail' && explain) {
          const exp = await this.explanation(record, domain);
          if (exp !== undefined) out.explanation = exp;
        }
        return out;
      }
      current = undefined;
      // §6.1: redirect applies when nothing matched, and never when the record has an "all".
      const redirect = record.terms.find((t) => t.kind === 'modifier' && t.name === 'redirect');
      if (redirect && !record.mechanisms.some((m) => m.name === 'all')) {
        current = { depth, domain, term: redirect.raw, outcome: 'redirect' };
        this.step(current);
        this.countLookup(redirect.raw);
        const target = await this.expand(record.redirect!, domain);
        current.detail = target;
        const inner = await this.checkHost(target, depth + 1, explain);
        if (inner.result === 'none') {
          throw new SpfAbort('permerror', `redirect=${target} leads to no SPF record (${inner.reason}) (RFC 7208 §6.1)`);
        }
        return { ...inner, record: text, mechanism: inner.mechanism ?? redirect.raw, mechanismDomain: inner.mechanismDomain ?? domain };
      }
      return { result: 'neutral', record: text, reason: `no mechanism in the SPF record of ${domain} matched and it has no redirect, so the default applies (RFC 7208 §4.7)` };
    } catch (e) {
      if (!(e instanceof SpfAbort)) throw e;
      if (e.mechanism === undefined && current !== undefined) {
        e.mechanism = current.term;
        e.domain = domain;
      }
      if (current) {
        current.outcome = e.result;
        current.detail = e.message;
      } else {
        this.step({ depth, domain, term: 'record', outcome: e.result, detail: e.message });
      }
      return { result: e.result, reason: e.message, via: e.via, mechanism: e.mechanism, mechanismDomain: e.domain };
    }
  }
}

/**
 * Evaluates SPF for one client: MAIL FROM, or postmaster@HELO when MAIL FROM is empty.
 * Throws UsageError for an unusable --ip or a missing identity; everything else is a result.
 */
export async function evaluateSpf(deps: Deps, input: SpfInput): Promise<SpfEvaluation> {
  const id = spfIdentity(input);
  const at = id.sender.lastIndexOf('@');
  const ev = new Evaluation(deps, id.ip, {
    sender: id.sender,
    localPart: id.localPart,
    senderDomain: id.sender.slice(at + 1),
    ip: id.ip,
    // RFC 7208 §7.3 gives no value for a missing HELO; "unknown" mirrors its choice for %{p} and %{r}.
    helo: id.helo ?? input.helo ?? 'unknown',
    receiver: input.receiver ?? 'unknown',
    timestamp: Math.floor(deps.clock.now() / 1000),
  });
  const outcome = await ev.checkHost(id.domain, 0, true);
  const via = outcome.via ?? [];
  const path = via.length > 4 ? [...via.slice(0, 4), '…'] : via;
  const out: SpfEvaluation = {
    result: outcome.result,
    reason: path.length ? `${outcome.reason} (via ${path.join(' > ')})` : outcome.reason,
    identity: id.identity,
    sender: id.sender,
    domain: id.domain,
    ip: formatIp(id.ip),
    lookups: { count: ev.lookups, void: ev.voids, limit: SPF_LIMITS.dnsLookups, voidLimit: SPF_LIMITS.voidLookups },
    trace: ev.trace,
  };
  if (outcome.explanation !== undefined) out.explanation = outcome.explanation;
  if (outcome.mechanism !== undefined) out.mechanism = outcome.mechanism;
  if (outcome.mechanismDomain !== undefined) out.mechanismDomain = outcome.mechanismDomain;
  if (id.helo !== undefined) out.helo = id.helo;
  const topRecord = ev.trace.find((s) => s.depth === 0 && s.outcome === 'record');
  if (topRecord?.detail) out.record = topRecord.detail;
  return out;
}
