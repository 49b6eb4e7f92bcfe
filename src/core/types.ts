/**
 * The result vocabulary shared by every check and command.
 * A Finding is a result; an exception means a check could not run (see errors.ts).
 */
import type { FindingCode } from './finding-codes.js';

export type { FindingCode } from './finding-codes.js';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  /** Stable SCREAMING_SNAKE identifier from FINDING_CODES. */
  code: FindingCode;
  severity: Severity;
  /** Which check produced it: "spf", "dkim", "dmarc", "mx", … */
  check: string;
  /** One sentence, specific to this domain/host. */
  message: string;
  /** What to do about it. */
  fix?: string;
  /** The raw material the finding is about (record text, reply, …). */
  evidence?: unknown;
}

export interface FindingSummary {
  errors: number;
  warnings: number;
  infos: number;
}

/** Severity rank: higher is worse. */
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function summarize(findings: readonly Finding[]): FindingSummary {
  const s: FindingSummary = { errors: 0, warnings: 0, infos: 0 };
  for (const f of findings) {
    if (f.severity === 'error') s.errors++;
    else if (f.severity === 'warning') s.warnings++;
    else s.infos++;
  }
  return s;
}

/** Worst first, then by check, then by code: a stable, prioritised order. */
export function sortFindings<T extends Finding>(findings: readonly T[]): T[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      a.check.localeCompare(b.check) ||
      a.code.localeCompare(b.code),
  );
}
