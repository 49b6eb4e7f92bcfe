/**
 * Checks report, policy decides: the mapping from findings to an exit code.
 * 0 all good; 1 a finding at or above --fail-on; 3 something could not be checked.
 */
import { UsageError } from './errors.js';
import type { CheckCase } from './check-suite.js';
import { SEVERITIES, SEVERITY_RANK, type Finding, type Severity } from './types.js';

export const EXIT = { OK: 0, FINDINGS: 1, USAGE: 2, INCOMPLETE: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export function parseFailOn(value: string | undefined): Severity {
  const v = (value ?? 'error').toLowerCase();
  if (!(SEVERITIES as readonly string[]).includes(v)) {
    throw new UsageError(`--fail-on "${value}" must be one of: ${SEVERITIES.join(', ')}`);
  }
  return v as Severity;
}

/** Findings whose code marks a check that could not run (DNS_TIMEOUT, …). */
export function isIncompleteFinding(f: Finding): boolean {
  return f.code.startsWith('DNS_') || f.code.endsWith('_UNREACHABLE_CHECK');
}

export function exitCodeFor(findings: readonly Finding[], failOn: Severity, opts: { incomplete?: boolean } = {}): ExitCode {
  // "Could not complete" wins: the verdict is partial, a retry may change it.
  if (opts.incomplete || findings.some(isIncompleteFinding)) return EXIT.INCOMPLETE;
  const threshold = SEVERITY_RANK[failOn];
  return findings.some((f) => SEVERITY_RANK[f.severity] >= threshold) ? EXIT.FINDINGS : EXIT.OK;
}

export type CaseStatus = 'passed' | 'failed' | 'error' | 'skipped';

/** The findings of a case that fail it: at or above --fail-on, and not a "could not check" finding. */
export function failingFindings(findings: readonly Finding[], failOn: Severity): Finding[] {
  const threshold = SEVERITY_RANK[failOn];
  return findings.filter((f) => !isIncompleteFinding(f) && SEVERITY_RANK[f.severity] >= threshold);
}

/**
 * One case's verdict: skipped (not run); failed (a finding at or above --fail-on); error (could not
 * be checked completely, and nothing failed outright); passed.
 */
export function caseStatus(c: CheckCase, failOn: Severity): CaseStatus {
  if (c.skipped !== undefined) return 'skipped';
  if (failingFindings(c.findings, failOn).length > 0) return 'failed';
  if (c.incomplete || c.findings.some(isIncompleteFinding)) return 'error';
  return 'passed';
}

/** The exit code of a run reported as cases (skipped cases count for nothing). */
export function exitCodeForCases(cases: readonly CheckCase[], failOn: Severity): ExitCode {
  const run = cases.filter((c) => c.skipped === undefined);
  return exitCodeFor(
    run.flatMap((c) => c.findings),
    failOn,
    { incomplete: run.some((c) => c.incomplete) },
  );
}
