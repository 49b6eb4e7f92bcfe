/**
 * --domain-ips: the sending addresses a domain publishes, to scan them all at once.
 * From its SPF record (RFC 7208): ip4/ip6 single hosts, the addresses of "a" and "mx" mechanisms, and
 * the record a redirect= points to; plus the addresses of the domain's own MX hosts.
 * include: is not followed (it names someone else's servers, usually an ESP's whole fleet), ranges are
 * not expanded (pass them as CIDR targets), and macros cannot be resolved without a sender.
 */
import { MailpaceError, UsageError } from '../errors.js';
import { isFailure, answerError } from '../dns/lookup.js';
import type { Resolver } from '../dns/types.js';
import { hasMacro, isSpfRecord, parseSpf } from '../spf/parse.js';
import { parseTargetInput, type Target } from './target.js';

/** RFC 7208 §4.6.4: at most 10 DNS-querying terms per evaluation, and at most 10 MX hosts per "mx". */
const MAX_DNS_TERMS = 10;
const MAX_MX_HOSTS = 10;

export interface DomainIps {
  domain: string;
  /** Each address with where it came from ("spf ip4", "spf a:host", "MX mx1.example.com"). */
  addresses: { target: Target; via: string }[];
  notes: string[];
}

export async function domainSendingIps(resolver: Resolver, domain: string): Promise<DomainIps> {
  const out: DomainIps = { domain, addresses: [], notes: [] };
  const seen = new Set<string>();
  const failures: string[] = [];
  let dnsTerms = 0;

  const add = (address: string, via: string) => {
    const p = parseTargetInput(address);
    if (p.kind !== 'single' || p.target.kind === 'domain') return;
    const key = `${p.target.kind} ${p.target.value}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.addresses.push({ target: p.target, via });
  };

  const hostAddresses = async (host: string, via: string) => {
    const [a, aaaa] = await Promise.all([resolver.query(host, 'A'), resolver.query(host, 'AAAA')]);
    for (const ans of [a, aaaa]) {
      if (isFailure(ans)) failures.push(answerError(ans).message);
      else ans.records.forEach((r) => add(r.address, via));
    }
  };

  const mxAddresses = async (name: string, via: (host: string) => string) => {
    const mx = await resolver.query(name, 'MX');
    if (isFailure(mx)) {
      failures.push(answerError(mx).message);
      return;
    }
    const hosts = [...mx.records].sort((x, y) => x.priority - y.priority).map((r) => r.exchange.replace(/\.$/, ''));
    // A null MX ("." , RFC 7505) says the domain takes no mail: nothing to scan.
    const real = hosts.filter((h) => h !== '').slice(0, MAX_MX_HOSTS);
    await Promise.all(real.map((h) => hostAddresses(h, via(h))));
  };

  const walkSpf = async (name: string, depth: number): Promise<void> => {
    const txt = await resolver.query(name, 'TXT');
    if (isFailure(txt)) {
      failures.push(answerError(txt).message);
      return;
    }
    const records = txt.records.map((r) => r.text).filter(isSpfRecord);
    if (records.length === 0) {
      out.notes.push(`${name} has no SPF record`);
      return;
    }
    if (records.length > 1) out.notes.push(`${name} publishes ${records.length} SPF records (a permerror for receivers); using the first`);
    const parsed = parseSpf(records[0]!);
    if (!parsed.ok) {
      out.notes.push(`${name}: SPF record does not parse (${parsed.error}); its addresses were not collected`);
      return;
    }
    const tasks: Promise<void>[] = [];
    for (const m of parsed.record.mechanisms) {
      if (m.name === 'ip4' || m.name === 'ip6') {
        const single = m.name === 'ip4' ? m.cidr4 === undefined || m.cidr4 === 32 : m.cidr6 === undefined || m.cidr6 === 128;
        if (single) add(m.network!, `SPF ${m.name} in ${name}`);
        else out.notes.push(`${name} authorises the range ${m.network}/${m.name === 'ip4' ? m.cidr4 : m.cidr6}: ranges are not expanded (pass it as a target to scan it)`);
        continue;
      }
      if (m.name !== 'a' && m.name !== 'mx') {
        if (m.name === 'include') out.notes.push(`include:${m.domainSpec} in ${name} is not followed (it names another operator's servers)`);
        continue;
      }
      if (++dnsTerms > MAX_DNS_TERMS) {
        out.notes.push(`${name}: more than ${MAX_DNS_TERMS} DNS mechanisms (RFC 7208 §4.6.4); the rest were not followed`);
        break;
      }
      const host = m.domainSpec ?? name;
      if (hasMacro(host)) {
        out.notes.push(`${m.raw} in ${name} uses a macro; it cannot be resolved without a sender`);
        continue;
      }
      if (m.name === 'a') tasks.push(hostAddresses(host, `SPF a:${host}`));
      else tasks.push(mxAddresses(host, (h) => `SPF mx:${host} (${h})`));
    }
    await Promise.all(tasks);
    const redirect = parsed.record.redirect;
    if (redirect && !parsed.record.mechanisms.some((m) => m.name === 'all')) {
      if (hasMacro(redirect)) out.notes.push(`redirect=${redirect} uses a macro; not followed`);
      else if (depth >= MAX_DNS_TERMS || ++dnsTerms > MAX_DNS_TERMS) out.notes.push(`redirect=${redirect}: lookup limit reached; not followed`);
      else await walkSpf(redirect.replace(/\.$/, ''), depth + 1);
    }
  };

  await Promise.all([walkSpf(domain, 0), mxAddresses(domain, (h) => `MX ${h}`)]);

  if (out.addresses.length === 0) {
    if (failures.length > 0) {
      throw new MailpaceError('DOMAIN_IPS_DNS', `could not collect the sending addresses of ${domain}: ${failures[0]}`, {
        temporary: true,
        hint: 'check --dns and try again',
      });
    }
    throw new UsageError(`${domain} publishes no sending addresses (no single-host SPF ip4/ip6, a or mx terms, and no MX hosts)`, {
      hint: out.notes.length > 0 ? out.notes.join('; ') : 'pass the addresses or ranges as targets instead',
    });
  }
  for (const f of failures) out.notes.push(`some addresses may be missing: ${f}`);
  return out;
}
