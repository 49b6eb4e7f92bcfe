/**
 * The shape every command's result takes for CI reports (JUnit XML, GitHub annotations): suites of
 * cases, each case one thing checked (a domain, an IP, a message, a recipient domain) with its
 * findings. `ci` reports one suite per area; other commands one suite.
 */
import type { Finding } from './types.js';

export interface CheckCase {
  /** What was checked: "example.com", "203.0.113.5", "emails/welcome.eml". */
  name: string;
  findings: Finding[];
  /** Not checked, and why (e.g. outbound port 25 is blocked here). */
  skipped?: string;
  /** Checked only in part: a lookup or a connection failed (exit 3 unless something failed outright). */
  incomplete?: boolean;
  /** A few facts worth showing beside the verdict (score, engine, hosts …). */
  details?: Record<string, unknown>;
}

/** Something the reader should know about a suite that is not a finding about one case. */
export interface CheckNotice {
  level: 'warning' | 'info';
  message: string;
}

export interface CheckSuite {
  name: string;
  cases: CheckCase[];
  notices: CheckNotice[];
  durationMs?: number;
  /** Facts about the whole suite (e.g. engine: builtin), shown as JUnit properties. */
  properties?: Record<string, string>;
}
