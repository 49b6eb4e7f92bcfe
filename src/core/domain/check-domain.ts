/**
 * check-domain: SPF, DKIM, DMARC and MX for one domain, checks run concurrently; several domains
 * run concurrently too. Returns data; the CLI renders it and policy decides the exit code.
 */
import type { Deps } from '../deps.js';
import { sortFindings, summarize, type Finding, type FindingSummary } from '../types.js';
import { collapseDnsFindings } from './check-runner.js';
import { checkDkim, type DkimResult } from './dkim.js';
import { checkDmarc, type DmarcResult } from './dmarc.js';
import { checkMx, type MxResult } from './mx.js';
import { checkSpf, type SpfResult } from './spf.js';

export interface CheckDomainOptions {
  selectors?: readonly string[];
}

export interface DomainReport {
  domain: string;
  spf: SpfResult;
  dkim: DkimResult;
  dmarc: DmarcResult;
  mx: MxResult;
  findings: Finding[];
}

export interface CheckDomainReport {
  domains: DomainReport[];
  summary: FindingSummary;
}

export async function checkDomain(deps: Deps, domain: string, opts: CheckDomainOptions = {}): Promise<DomainReport> {
  const [spf, dkim, dmarc, mx] = await Promise.all([
    checkSpf(deps, domain),
    checkDkim(deps, domain, opts.selectors ?? []),
    checkDmarc(deps, domain),
    checkMx(deps, domain),
  ]);
  return {
    domain,
    spf: spf.result,
    dkim: dkim.result,
    dmarc: dmarc.result,
    mx: mx.result,
    findings: sortFindings(collapseDnsFindings([...spf.findings, ...dkim.findings, ...dmarc.findings, ...mx.findings])),
  };
}

export async function checkDomains(deps: Deps, domains: readonly string[], opts: CheckDomainOptions = {}): Promise<CheckDomainReport> {
  const reports = await Promise.all(domains.map((d) => checkDomain(deps, d, opts)));
  return { domains: reports, summary: summarize(reports.flatMap((r) => r.findings)) };
}
