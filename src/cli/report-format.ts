/**
 * The CI report formats every command with findings offers besides its own: `--format junit`
 * (JUnit XML on stdout) and `--format github` (workflow commands on stdout, plus a Markdown job
 * summary appended to $GITHUB_STEP_SUMMARY when the runner sets it).
 */
import { appendFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import type { CliContext } from './context.js';
import type { CheckSuite } from '../core/check-suite.js';
import { caseStatus, type CaseStatus } from '../core/policy.js';
import type { Severity } from '../core/types.js';
import { renderGithubCommands, renderGithubSummary } from '../render/github.js';
import { renderJunit } from '../render/junit.js';

export const REPORT_FORMATS = ['junit', 'github'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export function isReportFormat(f: unknown): f is ReportFormat {
  return (REPORT_FORMATS as readonly unknown[]).includes(f);
}

/**
 * --format against the formats a command offers; --json is --format json, and the two must agree.
 * Without either: human.
 */
export function outputFormat<F extends string>(ctx: CliContext, value: string | undefined, formats: readonly F[]): F {
  if (value === undefined) return (ctx.json ? 'json' : 'human') as F;
  const f = value.toLowerCase();
  if (!(formats as readonly string[]).includes(f)) throw new UsageError(`--format "${value}" must be one of: ${formats.join(', ')}`);
  if (ctx.json && f !== 'json') throw new UsageError(`--json and --format ${f} disagree: pass one of them`);
  return f as F;
}

export interface ReportRun {
  /** The command as typed: "ci", "check-domain", "blocklist scan" … */
  command: string;
  suites: CheckSuite[];
  failOn: Severity;
  exitCode: number;
  durationMs?: number;
}

export function junitFor(run: ReportRun): string {
  return renderJunit(run.suites, { name: `mailpace-cli ${run.command}`, failOn: run.failOn, timestamp: new Date(), durationMs: run.durationMs });
}

/** "3 passed, 1 failed, 1 skipped" */
export function caseCounts(suites: readonly CheckSuite[], failOn: Severity): Record<CaseStatus, number> {
  const counts: Record<CaseStatus, number> = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const s of suites) for (const c of s.cases) counts[caseStatus(c, failOn)]++;
  return counts;
}

export function writeReport(ctx: CliContext, format: ReportFormat, run: ReportRun): void {
  if (format === 'junit') {
    ctx.io.stdout.write(junitFor(run));
    return;
  }
  ctx.io.stdout.write(renderGithubCommands(run.suites, run.failOn, `mailpace-cli ${run.command}`));
  const n = caseCounts(run.suites, run.failOn);
  ctx.out(`mailpace-cli ${run.command}: ${n.passed} passed, ${n.failed} failed, ${n.error} could not be checked, ${n.skipped} skipped (exit ${run.exitCode})`);
  const summaryPath = ctx.io.env.GITHUB_STEP_SUMMARY;
  if (summaryPath) {
    try {
      appendFileSync(summaryPath, `${renderGithubSummary(run.suites, { title: `mailpace-cli ${run.command}`, failOn: run.failOn, exitCode: run.exitCode })}\n`);
    } catch (e) {
      ctx.notice(`mailpace-cli: cannot write the job summary to $GITHUB_STEP_SUMMARY (${summaryPath}): ${(e as Error).message}`);
    }
  }
}
