/**
 * check-domain: every check of one domain runs concurrently; a fleet of domains runs through a
 * bounded pool, one slow or broken domain never holding up or breaking the others.
 * Returns data; the CLI renders it and policy decides the exit code.
 */
import type { Deps } from '../deps.js';
import { mapPool } from '../pool.js';
import { sortFindings, summarize, type Finding, type FindingSummary } from '../types.js';
import { collapseDnsFindings } from './check-runner.js';
import { checkDkim, type DkimResult } from './dkim.js';
import { checkDmarc, type DmarcResult } from './dmarc.js';
import { checkMx, type MxResult } from './mx.js';
import { checkPtr, type PtrResult } from './ptr.js';
import { checkSpf, type SpfResult } from './spf.js';

export interface CheckDomainOptions {
  selectors?: readonly string[];
  /** Sending IPs to check (PTR, FCrDNS); when empty, the single hosts named by the domain's SPF. */
  ips?: readonly string[];
  /** Domains checked at once (fleets). */
  concurrency?: number;
}

export interface DomainReport {
  domain: string;
  spf: SpfResult;
  dkim: DkimResult;
  dmarc: DmarcResult;
  mx: MxResult;
  sendingIps: PtrResult[];
  findings: Finding[];
}

export interface CheckDomainReport {
  domains: DomainReport[];
  summary: FindingSummary;
}

/** At most this many SPF-named addresses are checked per domain (ranges are never expanded). */
export const MAX_SPF_IPS = 16;

/** The IPs to check: --ip values, else the single hosts the domain's own SPF names directly. */
export function sendingIps(spf: SpfResult, given: readonly string[]): { ip: string; source: string }[] {
  if (given.length > 0) return given.map((ip) => ({ ip, source: '--ip' }));
  const out: { ip: string; source: string }[] = [];
  const seen = new Set<string>();
  for (const s of spf.directSources) {
    for (const ip of s.addresses) {
      if (seen.has(ip) || out.length >= MAX_SPF_IPS) continue;
      seen.add(ip);
      out.push({ ip, source: `spf ${s.term}` });
    }
  }
  return out;
}

export async function checkDomain(deps: Deps, domain: string, opts: CheckDomainOptions = {}): Promise<DomainReport> {
  const [spf, dkim, dmarc, mx] = await Promise.all([
    checkSpf(deps, domain),
    checkDkim(deps, domain, opts.selectors ?? []),
    checkDmarc(deps, domain),
    checkMx(deps, domain),
  ]);
  const ptr = await Promise.all(sendingIps(spf.result, opts.ips ?? []).map((s) => checkPtr(deps, s.ip, s.source)));
  return {
    domain,
    spf: spf.result,
    dkim: dkim.result,
    dmarc: dmarc.result,
    mx: mx.result,
    sendingIps: ptr.map((p) => p.result),
    findings: sortFindings(collapseDnsFindings([...spf.findings, ...dkim.findings, ...dmarc.findings, ...mx.findings, ...ptr.flatMap((p) => p.findings)])),
  };
}

export async function checkDomains(
  deps: Deps,
  domains: readonly string[],
  opts: CheckDomainOptions = {},
  onDomain?: (report: DomainReport, index: number) => void,
): Promise<CheckDomainReport> {
  const reports = await mapPool(domains, opts.concurrency ?? 8, async (d, i) => {
    const r = await checkDomain(deps, d, opts);
    onDomain?.(r, i);
    return r;
  });
  return { domains: reports, summary: summarize(reports.flatMap((r) => r.findings)) };
}
