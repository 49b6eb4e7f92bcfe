/**
 * `ci`: every check a project configures, run at once on one engine (one resolver and its cache,
 * one clock), each area through the same core code as its own command: check-domain for the
 * domains, a blocklist scan for the IPs and domains, score for the templates, probe for the
 * recipient domains. Each area becomes a suite of cases; a failure in one area never stops another.
 */
import type { CheckNotice, CheckSuite } from '../check-suite.js';
import { blocklistCases, probeCase, templateCase } from './cases.js';
import type { Deps } from '../deps.js';
import { checkDomains } from '../domain/check-domain.js';
import type { PolicyFetcher as DomainPolicyFetcher } from '../domain/policy-fetch.js';
import { MailpaceError, UsageError } from '../errors.js';
import type { HttpClient } from '../http/http-client.js';
import { mapPool } from '../pool.js';
import { runProbe, type ProbeOptions } from '../probe/probe.js';
import type { PolicyFetcher as ProbePolicyFetcher } from '../probe/mta-sts.js';
import type { ProbeReport } from '../probe/report.js';
import { scanBlocklists } from '../blocklist/scan.js';
import type { SelectedList } from '../blocklist/selection.js';
import type { Target } from '../blocklist/target.js';
import { scoreMessages, type ScoreInput, type ScoreOptions } from '../score/engine.js';
import type { Finding } from '../types.js';

export const CI_AREAS = ['domains', 'ips', 'templates', 'recipients'] as const;
export type CiArea = (typeof CI_AREAS)[number];

export interface CiPlan {
  domains?: { domains: string[]; selectors: string[]; ips: string[]; profile?: 'bulk' };
  /** IP addresses (ranges expanded) and domains, each asked of the lists that take its kind. */
  ips?: { targets: Target[]; lists: SelectedList[] };
  templates?: {
    inputs: ScoreInput[];
    options: ScoreOptions;
    maxScore?: number;
    /** Where the Rspamd URL came from ("config rspamd", "MAILPACE_RSPAMD_URL"); absent: none configured. */
    rspamdFrom?: string;
  };
  recipients?: {
    domains: string[];
    probe: ProbeOptions;
    /** Why the probes are not run at all (--skip-network-probes). */
    skip?: string;
  };
}

export interface CiDeps extends Deps {
  /** HTTPS for check-domain's MTA-STS policies. */
  domainFetcher: DomainPolicyFetcher;
  /** HTTPS for probe's MTA-STS policies. */
  probeFetcher?: ProbePolicyFetcher;
  /** HTTP for Rspamd (a client that refuses every request when no Rspamd is configured). */
  http: HttpClient;
}

export interface CiAreaResult extends CheckSuite {
  name: CiArea;
  /** templates: the engine that scored them. */
  engine?: 'rspamd' | 'builtin';
}

/** Recipient probes run at most this many domains at once (each probes up to --max-hosts hosts). */
const PROBE_CONCURRENCY = 4;

/** Host errors that mean the TCP connection itself failed, the mark of a filtered port. */
const CONNECT_FAILURES = new Set(['SMTP_CONNECT_TIMEOUT', 'SMTP_CONNECT_REFUSED', 'SMTP_CONNECT_FAILED']);

/** An area that threw: each of its cases could not be checked (exit 3), the other areas still report. */
function failedArea(area: CiArea, names: readonly string[], err: unknown, started: number, now: number): CiAreaResult {
  const message = err instanceof Error ? err.message : String(err);
  const finding: Finding = {
    code: 'CI_UNREACHABLE_CHECK',
    severity: 'error',
    check: area,
    message: `The ${area} could not be checked: ${message}`,
    fix: err instanceof MailpaceError && err.hint ? err.hint : 'Check that the service this area needs is reachable from here, then run again.',
  };
  return { name: area, cases: names.map((name) => ({ name, findings: [finding], incomplete: true })), notices: [], durationMs: now - started };
}

async function runDomains(deps: CiDeps, plan: NonNullable<CiPlan['domains']>): Promise<CiAreaResult> {
  const report = await checkDomains(deps, plan.domains, {
    selectors: plan.selectors,
    ips: plan.ips,
    profile: plan.profile,
    fetcher: deps.domainFetcher,
  });
  return {
    name: 'domains',
    notices: [],
    cases: report.domains.map((d) => ({
      name: d.domain,
      findings: d.findings,
      ...(d.bulkSender ? { details: { bulkSender: { gmail: d.bulkSender.gmail, yahoo: d.bulkSender.yahoo, microsoft: d.bulkSender.microsoft } } } : {}),
    })),
  };
}

async function runIps(deps: CiDeps, plan: NonNullable<CiPlan['ips']>): Promise<CiAreaResult> {
  const report = await scanBlocklists(deps, plan.targets, plan.lists, { concurrency: 32 });
  return { name: 'ips', cases: blocklistCases(plan.targets, report.results), notices: report.notices.map((message) => ({ level: 'warning', message })) };
}

async function runTemplates(deps: CiDeps, plan: NonNullable<CiPlan['templates']>): Promise<CiAreaResult> {
  const run = await scoreMessages(plan.inputs, plan.options, { http: deps.http, timeoutMs: deps.timeoutMs, resolver: deps.resolver });
  const notices: CheckNotice[] = [];
  if (run.engine === 'builtin') {
    notices.push({
      level: plan.rspamdFrom ? 'warning' : 'info',
      message: plan.rspamdFrom
        ? `Rspamd at ${plan.options.rspamd.url} (${plan.rspamdFrom}) could not be reached${run.fallbackReason ? ` (${run.fallbackReason})` : ''}: the templates were scored with the built-in lint instead.`
        : 'No Rspamd is configured ("rspamd" in the config file, or MAILPACE_RSPAMD_URL): the templates were scored with the built-in lint.',
    });
  }
  const cases = run.results.map((r) => templateCase(r, plan.maxScore));
  return { name: 'templates', engine: run.engine, properties: { engine: run.engine }, notices, cases };
}

/**
 * Every host of every recipient failed at the TCP connection (refused, timed out, unreachable) and
 * none answered: that is what a runner whose outbound port 25 is filtered sees, which most hosted CI
 * runners are. One domain's MX being down cannot look like this while another's answers.
 */
export function looksLikeBlockedPort(reports: readonly ProbeReport[]): boolean {
  const hosts = reports.flatMap((r) => r.hosts);
  return hosts.length > 0 && hosts.every((h) => !h.reachable && h.error !== undefined && CONNECT_FAILURES.has(h.error.code));
}

async function runRecipients(deps: CiDeps, plan: NonNullable<CiPlan['recipients']>): Promise<CiAreaResult> {
  if (plan.skip !== undefined) {
    return { name: 'recipients', notices: [], cases: plan.domains.map((name) => ({ name, findings: [], skipped: plan.skip! })) };
  }
  const probeDeps = { ...deps, fetchPolicy: deps.probeFetcher };
  const reports = await mapPool(plan.domains, PROBE_CONCURRENCY, (domain) => runProbe(probeDeps, { domain }, plan.probe));
  if (looksLikeBlockedPort(reports)) {
    const port = plan.probe.port;
    const reason = `outbound port ${port} looks blocked from this machine: no MX host of any recipient accepted a TCP connection`;
    return {
      name: 'recipients',
      notices: [
        {
          level: 'warning',
          message: `No MX host of ${plan.domains.join(', ')} accepted a connection on port ${port} (refused or timed out): outbound port ${port} looks blocked here, as on most hosted CI runners. The recipient probes are reported as skipped, not failed; run them from a host that can send mail, or pass --skip-network-probes.`,
        },
      ],
      cases: plan.domains.map((name, i) => ({ name, findings: [], skipped: reason, details: probeCase(name, reports[i]!).details })),
    };
  }
  return { name: 'recipients', notices: [], cases: plan.domains.map((name, i) => probeCase(name, reports[i]!)) };
}

/** The cases an area would have, for reporting an area that threw. */
function caseNames(area: CiArea, plan: CiPlan): string[] {
  switch (area) {
    case 'domains':
      return plan.domains!.domains;
    case 'ips':
      return plan.ips!.targets.map((t) => t.value);
    case 'templates':
      return plan.templates!.inputs.map((i) => i.file);
    case 'recipients':
      return plan.recipients!.domains;
  }
}

export interface CiReport {
  areas: CiAreaResult[];
  durationMs: number;
}

export async function runCi(deps: CiDeps, plan: CiPlan): Promise<CiReport> {
  const started = deps.clock.now();
  const areas = CI_AREAS.filter((a) => plan[a] !== undefined);
  const runners: Record<CiArea, () => Promise<CiAreaResult>> = {
    domains: () => runDomains(deps, plan.domains!),
    ips: () => runIps(deps, plan.ips!),
    templates: () => runTemplates(deps, plan.templates!),
    recipients: () => runRecipients(deps, plan.recipients!),
  };
  const results = await Promise.all(
    areas.map(async (area) => {
      const t0 = deps.clock.now();
      try {
        const r = await runners[area]();
        return { ...r, durationMs: deps.clock.now() - t0 };
      } catch (err) {
        // bad input is the caller's to report (exit 2); anything else is this area's failure alone
        if (err instanceof UsageError) throw err;
        return failedArea(area, caseNames(area, plan), err, t0, deps.clock.now());
      }
    }),
  );
  return { areas: results, durationMs: deps.clock.now() - started };
}
