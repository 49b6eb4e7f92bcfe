/**
 * GitHub Actions output: workflow commands on stdout (`::error title=…::message`, `::warning`,
 * `::notice`), which the runner turns into annotations on the run, and a Markdown job summary for
 * $GITHUB_STEP_SUMMARY.
 *
 * Escaping follows the runner's rules (docs.github.com, "Workflow commands for GitHub Actions";
 * actions/toolkit packages/core/src/command.ts, escapeData and escapeProperty): in the message,
 * "%" → %25, CR → %0D, LF → %0A; in a property value, additionally ":" → %3A and "," → %2C, since
 * those delimit the properties. "%" goes first so the escapes themselves are not escaped again.
 */
import type { CheckSuite } from '../core/check-suite.js';
import { caseStatus, failingFindings, isIncompleteFinding, type CaseStatus } from '../core/policy.js';
import type { Finding, Severity } from '../core/types.js';
import { SEVERITY_RANK } from '../core/types.js';

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export function workflowCommand(level: AnnotationLevel, title: string, message: string): string {
  return `::${level} title=${escapeProperty(title)}::${escapeData(message)}`;
}

const findingMessage = (f: Finding) => `${f.message}${f.fix ? `\nfix: ${f.fix}` : ''}`;

/**
 * Annotations: every finding that fails the run (at or above --fail-on) or could not be checked is an
 * error; other warnings are warnings; informational findings are left out (they are in the summary
 * counts and the other formats). Skipped cases and suite notices are warnings or notices.
 */
export function renderGithubCommands(suites: readonly CheckSuite[], failOn: Severity, command: string): string {
  const lines: string[] = [];
  for (const s of suites) {
    for (const n of s.notices) lines.push(workflowCommand(n.level === 'warning' ? 'warning' : 'notice', `${command}: ${s.name}`, n.message));
    for (const c of s.cases) {
      if (c.skipped !== undefined) {
        lines.push(workflowCommand('warning', `${s.name} › ${c.name}: skipped`, c.skipped));
        continue;
      }
      const failing = new Set(failingFindings(c.findings, failOn));
      for (const f of c.findings) {
        const level: AnnotationLevel | undefined =
          failing.has(f) || isIncompleteFinding(f) ? 'error' : SEVERITY_RANK[f.severity] >= SEVERITY_RANK.warning ? 'warning' : undefined;
        if (level) lines.push(workflowCommand(level, `${f.code} · ${s.name} › ${c.name}`, findingMessage(f)));
      }
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

const MARK: Record<CaseStatus, string> = { passed: '✅', failed: '❌', error: '⚠️', skipped: '⏭️' };

/** Markdown text that cannot open HTML, links, tables or emphasis. */
export function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|#]/g, (ch) => (ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : `\\${ch}`)).replace(/\r?\n/g, ' ');
}

export interface SummaryOptions {
  title: string;
  failOn: Severity;
  exitCode: number;
}

/** The job summary: a table per suite (status of each case), then what failed with its fix, then notices. */
export function renderGithubSummary(suites: readonly CheckSuite[], opts: SummaryOptions): string {
  const verdict = opts.exitCode === 0 ? 'passed' : opts.exitCode === 1 ? 'failed' : 'could not complete';
  const out: string[] = [`## ${mdText(opts.title)}: ${verdict} (exit ${opts.exitCode})`, ''];
  out.push('| area | passed | failed | errors | skipped |', '|---|---:|---:|---:|---:|');
  for (const s of suites) {
    const st = s.cases.map((c) => caseStatus(c, opts.failOn));
    const n = (x: CaseStatus) => st.filter((y) => y === x).length;
    out.push(`| ${mdText(s.name)} | ${n('passed')} | ${n('failed')} | ${n('error')} | ${n('skipped')} |`);
  }
  const problems: string[] = [];
  for (const s of suites) {
    for (const c of s.cases) {
      const status = caseStatus(c, opts.failOn);
      if (status === 'passed') continue;
      if (status === 'skipped') {
        problems.push(`- ${MARK.skipped} **${mdText(s.name)} › ${mdText(c.name)}**: skipped — ${mdText(c.skipped!)}`);
        continue;
      }
      const shown = [...failingFindings(c.findings, opts.failOn), ...c.findings.filter(isIncompleteFinding)];
      problems.push(`- ${MARK[status]} **${mdText(s.name)} › ${mdText(c.name)}**`);
      for (const f of shown) problems.push(`  - \`${f.code}\` ${mdText(f.message)}${f.fix ? `<br>fix: ${mdText(f.fix)}` : ''}`);
    }
  }
  if (problems.length > 0) out.push('', `### Failures (--fail-on ${opts.failOn})`, '', ...problems);
  const notices = suites.flatMap((s) => s.notices.map((n) => `- ${n.level === 'warning' ? '⚠️' : 'ℹ️'} ${mdText(s.name)}: ${mdText(n.message)}`));
  if (notices.length > 0) out.push('', '### Notes', '', ...notices);
  return `${out.join('\n')}\n`;
}
