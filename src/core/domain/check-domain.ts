/**
 * check-domain: every check of one domain runs as early as its inputs allow (SPF, DKIM, DMARC, MX,
 * DNSSEC at once; MTA-STS, DANE and BIMI once MX/DMARC are known); a fleet of domains runs through a
 * bounded pool, one slow or broken domain never holding up or breaking the others.
 * A domain that does not exist (NXDOMAIN for its own name) is one DOMAIN_NOT_FOUND finding, its checks
 * marked skipped, rather than a dozen "missing" records.
 * Returns data; the CLI renders it and policy decides the exit code.
 */
import type { Deps } from '../deps.js';
import type { DnsAnswer } from '../dns/types.js';
import { mapPool } from '../pool.js';
import { evaluateSpf } from '../spf/evaluate.js';
import { sortFindings, summarize, type Finding, type FindingSummary } from '../types.js';
import { bulkSenderFindings, bulkSenderVerdict, type BulkSenderVerdict } from './bulk-sender.js';
import { collapseDnsFindings } from './check-runner.js';
import { checkBimi, type BimiResult } from './bimi.js';
import { checkDkim, type DkimResult } from './dkim.js';
import { checkDmarc, type DmarcResult } from './dmarc.js';
import { checkDane, checkDnssec, type DaneResult, type DnssecResult } from './dnssec.js';
import { checkMtaSts, isStsRecord, type MtaStsResult } from './mta-sts.js';
import { checkMx, type MxResult } from './mx.js';
import { organizationalDomain } from './org-domain.js';
import { createPolicyFetcher, type PolicyFetcher } from './policy-fetch.js';
import { checkPtr, type PtrResult } from './ptr.js';
import { checkSpf, type SpfResult } from './spf.js';
import { checkTlsRpt, type TlsRptResult } from './tls-rpt.js';

export interface CheckDomainOptions {
  selectors?: readonly string[];
  /** Sending IPs to check (PTR, FCrDNS, SPF verdict); when empty, the single hosts named by the domain's SPF. */
  ips?: readonly string[];
  /** Domains checked at once (fleets). */
  concurrency?: number;
  /** "bulk": add the Gmail/Yahoo/Microsoft bulk-sender verdict. */
  profile?: 'bulk';
  /** HTTPS client for MTA-STS policies and BIMI assets; one is created (and closed) when absent. */
  fetcher?: PolicyFetcher;
  /** Download and check the BIMI logo and certificate. */
  fetchBimi?: boolean;
}

export interface SendingIp extends PtrResult {
  /** auth spf's verdict for this IP sending as postmaster@<domain> (only for --ip addresses). */
  spf?: string;
}

/**
 * `skipped: true` on a check's result: the check was not run, because the domain does not exist
 * (DOMAIN_NOT_FOUND); the result then holds only empty values. Absent on a check that ran.
 */
export interface Skippable {
  skipped?: true;
}

export interface DomainReport {
  domain: string;
  spf: SpfResult & Skippable;
  dkim: DkimResult & Skippable;
  dmarc: DmarcResult & Skippable;
  mx: MxResult & Skippable;
  mtaSts: MtaStsResult & Skippable;
  tlsRpt: TlsRptResult & Skippable;
  bimi: BimiResult & Skippable;
  dnssec: DnssecResult & Skippable;
  dane: DaneResult & Skippable;
  /** [] when the checks were skipped. */
  sendingIps: SendingIp[];
  bulkSender?: BulkSenderVerdict;
  findings: Finding[];
}

export interface CheckDomainReport {
  domains: DomainReport[];
  summary: FindingSummary;
}

/** At most this many SPF-named addresses are checked per domain (ranges are never expanded). */
export const MAX_SPF_IPS = 16;

/** The IPs to check: --ip values, else the single hosts the domain's own SPF names directly. */
export function sendingIps(directSources: SpfResult['directSources'], given: readonly string[]): { ip: string; source: string }[] {
  if (given.length > 0) return given.map((ip) => ({ ip, source: '--ip' }));
  const out: { ip: string; source: string }[] = [];
  const seen = new Set<string>();
  for (const s of directSources) {
    for (const ip of s.addresses) {
      if (seen.has(ip) || out.length >= MAX_SPF_IPS) continue;
      seen.add(ip);
      out.push({ ip, source: `spf ${s.term}` });
    }
  }
  return out;
}

async function checkSendingIp(deps: Deps, domain: string, ip: string, source: string): Promise<{ result: SendingIp; findings: Finding[] }> {
  const fromFlag = source === '--ip';
  const [ptr, spf] = await Promise.all([
    checkPtr(deps, ip, source),
    fromFlag ? evaluateSpf(deps, { ip, mailFrom: `postmaster@${domain}` }) : Promise.resolve(undefined),
  ]);
  const result: SendingIp = { ...ptr.result };
  const findings = [...ptr.findings];
  if (spf) {
    result.spf = spf.result;
    if (spf.result !== 'pass') {
      findings.push({
        code: 'SPF_IP_NOT_AUTHORIZED',
        severity: 'error',
        check: 'spf',
        message: `${ip} would get SPF ${spf.result} sending as ${domain}: ${spf.reason}`,
        fix: `Add ip${ip.includes(':') ? '6' : '4'}:${ip} (or the include: of the service that owns it) to ${domain}'s SPF record.`,
        evidence: { ip, result: spf.result, mechanism: spf.mechanism },
      });
    }
  }
  return { result, findings };
}

/**
 * Whether an answer for a question at the domain's own name says the domain does not exist. RFC 8020
 * §2: an NXDOMAIN means that name and every name below it do not exist, so a single NXDOMAIN at the
 * apex settles it, and every record the checks would look for (_dmarc., _domainkey., _mta-sts., …) is
 * absent. An empty non-terminal (a name that exists only as the parent of others) is NOERROR with no
 * records, never NXDOMAIN. With a CNAME in the answer the NXDOMAIN is about the end of the chain
 * (RFC 6604 §3): the domain itself exists, as an alias whose target is missing, and is checked as usual.
 */
export function isDomainNotFound(apex: DnsAnswer): boolean {
  return apex.status === 'nxdomain' && apex.cnames.length === 0;
}

/** The report of a domain that does not exist: one DOMAIN_NOT_FOUND, every check skipped and empty. */
export function domainNotFoundReport(domain: string, apex: DnsAnswer, opts: CheckDomainOptions = {}): DomainReport {
  const skipped = { skipped: true } as const;
  const report: DomainReport = {
    domain,
    spf: { record: null, lookups: 0, voidLookups: 0, tree: null, directSources: [], ...skipped },
    dkim: { source: opts.selectors?.length ? 'user' : 'common', tried: [], selectors: [], ...skipped },
    dmarc: { record: null, policy: null, subdomainPolicy: null, pct: null, adkim: null, aspf: null, rua: [], ruf: [], orgDomain: organizationalDomain(domain), inherited: false, recordDomain: null, ...skipped },
    mx: { nullMx: false, hosts: [], ...skipped },
    mtaSts: { record: null, records: [], id: null, policyUrl: null, policyText: null, policy: null, mode: null, active: false, unmatchedMx: [], ...skipped },
    tlsRpt: { record: null, records: [], rua: [], valid: false, ...skipped },
    bimi: { record: null, recordDomain: null, inherited: false, declined: false, logoUrl: null, authorityUrl: null, dmarcEnforced: null, logo: null, certificate: null, ...skipped },
    dnssec: { status: 'unknown', validated: false, signed: false, zone: null, dnskey: [], ds: [], ...skipped },
    dane: { hosts: [], present: false, allHosts: false, ...skipped },
    sendingIps: [],
    findings: [
      {
        code: 'DOMAIN_NOT_FOUND',
        severity: 'error',
        check: 'domain',
        message: `${domain} does not exist in DNS (NXDOMAIN)`,
        fix: `Check the spelling of ${domain}. If it is your domain, check its registration (an expired or suspended domain drops out of DNS) and that the registrar delegates it to your DNS host.`,
        evidence: { qname: apex.name, qtype: apex.type, rcode: apex.rcode ?? 3, ...(apex.server ? { server: apex.server } : {}) },
      },
    ],
  };
  // The verdict is a plain "fail" everywhere; its per-requirement findings would only repeat the one error.
  if (opts.profile === 'bulk') report.bulkSender = bulkSenderVerdict(report);
  return report;
}

export async function checkDomain(deps: Deps, domain: string, opts: CheckDomainOptions & { fetcher: PolicyFetcher }): Promise<DomainReport> {
  // The MX check's own first question, asked here and handed to it: its answer also says whether the
  // domain exists at all, at no extra round trip (the checks below all start at once, as before).
  const apexMxP = deps.resolver.query(domain, 'MX');
  const mxP = checkMx(deps, domain, apexMxP);
  const dmarcP = checkDmarc(deps, domain);
  let sourcesReady!: (s: SpfResult['directSources']) => void;
  const sourcesP = new Promise<SpfResult['directSources']>((r) => (sourcesReady = r));
  const spfP = checkSpf(deps, domain, { onDirectSources: sourcesReady });
  const mxHostsP = mxP.then((m) => (m.result.nullMx ? [] : m.result.hosts.map((h) => h.exchange)));
  // MTA-STS presence (a cached TXT lookup checkMtaSts repeats) decides TLS-RPT's severity.
  const stsPresentP = deps.resolver.query(`_mta-sts.${domain}`, 'TXT').then((a) => a.records.some((r) => isStsRecord(r.text)));
  const daneP = mxHostsP.then((mxHosts) => checkDane(deps, domain, { mxHosts }));
  const checks = Promise.all([
    spfP,
    checkDkim(deps, domain, opts.selectors ?? []),
    dmarcP,
    mxP,
    checkDnssec(deps, domain),
    daneP,
    mxHostsP.then((mxHosts) => checkMtaSts(deps, domain, { mxHosts, fetcher: opts.fetcher })),
    Promise.all([stsPresentP, daneP]).then(([mtaStsPresent, d]) => checkTlsRpt(deps, domain, { mtaStsPresent, danePresent: d.result.present })),
    // BIMI also waits for the apex answer (which MTA-STS and DANE wait for already, through MX): a
    // domain that does not exist must not have its organisational domain's logo fetched in the background.
    Promise.all([dmarcP, apexMxP]).then(([d, apex]) =>
      isDomainNotFound(apex) ? { result: domainNotFoundReport(domain, apex).bimi, findings: [] } : checkBimi(deps, domain, { dmarc: d.findings.some((f) => f.code.startsWith('DNS_')) ? null : d.result, fetchBimi: opts.fetchBimi, fetcher: opts.fetcher }),
    ),
    // Sending IPs start as soon as the record's own hosts are known, not after the whole include tree.
    sourcesP.then((directSources) => Promise.all(sendingIps(directSources, opts.ips ?? []).map((x) => checkSendingIp(deps, domain, x.ip, x.source)))),
  ]);
  // The apex answer comes no later than the checks (the MX check waits for it first). When the domain
  // does not exist, the report is made at once; the checks still in flight (DNS questions below a name
  // that does not exist, answered NXDOMAIN at once) end on their own and are not awaited. Their
  // failure, if any, is handled here so that it cannot surface as an unhandled rejection.
  checks.catch(() => undefined);
  const apex = await apexMxP;
  if (isDomainNotFound(apex)) return domainNotFoundReport(domain, apex, opts);
  const [spf, dkim, dmarc, mx, dnssec, dane, mtaSts, tlsRpt, bimi, ips] = await checks;
  const report: DomainReport = {
    domain,
    spf: spf.result,
    dkim: dkim.result,
    dmarc: dmarc.result,
    mx: mx.result,
    mtaSts: mtaSts.result,
    tlsRpt: tlsRpt.result,
    bimi: bimi.result,
    dnssec: dnssec.result,
    dane: dane.result,
    sendingIps: ips.map((p) => p.result),
    findings: [],
  };
  const all = [spf, dkim, dmarc, mx, dnssec, dane, mtaSts, tlsRpt, bimi, ...ips].flatMap((c) => c.findings);
  report.findings = sortFindings(collapseDnsFindings(all));
  if (opts.profile === 'bulk') {
    report.bulkSender = bulkSenderVerdict(report);
    report.findings = sortFindings([...report.findings, ...bulkSenderFindings(domain, report.bulkSender)]);
  }
  return report;
}

export async function checkDomains(
  deps: Deps,
  domains: readonly string[],
  opts: CheckDomainOptions = {},
  onDomain?: (report: DomainReport, index: number) => void,
): Promise<CheckDomainReport> {
  const fetcher = opts.fetcher ?? createPolicyFetcher({ resolver: deps.resolver });
  try {
    const reports = await mapPool(domains, opts.concurrency ?? 8, async (d, i) => {
      const r = await checkDomain(deps, d, { ...opts, fetcher });
      onDomain?.(r, i);
      return r;
    });
    return { domains: reports, summary: summarize(reports.flatMap((r) => r.findings)) };
  } finally {
    if (!opts.fetcher) await fetcher.close();
  }
}
