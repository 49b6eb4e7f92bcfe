/**
 * check-domain: every check of one domain runs as early as its inputs allow (SPF, DKIM, DMARC, MX,
 * DNSSEC at once; MTA-STS, DANE and BIMI once MX/DMARC are known); a fleet of domains runs through a
 * bounded pool, one slow or broken domain never holding up or breaking the others.
 * Returns data; the CLI renders it and policy decides the exit code.
 */
import type { Deps } from '../deps.js';
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

export interface DomainReport {
  domain: string;
  spf: SpfResult;
  dkim: DkimResult;
  dmarc: DmarcResult;
  mx: MxResult;
  mtaSts: MtaStsResult;
  tlsRpt: TlsRptResult;
  bimi: BimiResult;
  dnssec: DnssecResult;
  dane: DaneResult;
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

export async function checkDomain(deps: Deps, domain: string, opts: CheckDomainOptions & { fetcher: PolicyFetcher }): Promise<DomainReport> {
  const mxP = checkMx(deps, domain);
  const dmarcP = checkDmarc(deps, domain);
  let sourcesReady!: (s: SpfResult['directSources']) => void;
  const sourcesP = new Promise<SpfResult['directSources']>((r) => (sourcesReady = r));
  const spfP = checkSpf(deps, domain, { onDirectSources: sourcesReady });
  const mxHostsP = mxP.then((m) => (m.result.nullMx ? [] : m.result.hosts.map((h) => h.exchange)));
  // MTA-STS presence (a cached TXT lookup checkMtaSts repeats) decides TLS-RPT's severity.
  const stsPresentP = deps.resolver.query(`_mta-sts.${domain}`, 'TXT').then((a) => a.records.some((r) => isStsRecord(r.text)));
  const daneP = mxHostsP.then((mxHosts) => checkDane(deps, domain, { mxHosts }));
  const [spf, dkim, dmarc, mx, dnssec, dane, mtaSts, tlsRpt, bimi, ips] = await Promise.all([
    spfP,
    checkDkim(deps, domain, opts.selectors ?? []),
    dmarcP,
    mxP,
    checkDnssec(deps, domain),
    daneP,
    mxHostsP.then((mxHosts) => checkMtaSts(deps, domain, { mxHosts, fetcher: opts.fetcher })),
    Promise.all([stsPresentP, daneP]).then(([mtaStsPresent, d]) => checkTlsRpt(deps, domain, { mtaStsPresent, danePresent: d.result.present })),
    dmarcP.then((d) => checkBimi(deps, domain, { dmarc: d.findings.some((f) => f.code.startsWith('DNS_')) ? null : d.result, fetchBimi: opts.fetchBimi, fetcher: opts.fetcher })),
    // Sending IPs start as soon as the record's own hosts are known, not after the whole include tree.
    sourcesP.then((directSources) => Promise.all(sendingIps(directSources, opts.ips ?? []).map((x) => checkSendingIp(deps, domain, x.ip, x.source)))),
  ]);
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
