/** Rendering of `ci`: the human report (area by area, what failed with its fix) and the JSON document. */
import type { ChalkInstance } from 'chalk';
import type { CiAreaResult, CiReport } from '../core/ci/run-ci.js';
import { caseStatus, failingFindings, isIncompleteFinding, type CaseStatus } from '../core/policy.js';
import { summarize, type Severity } from '../core/types.js';
import { renderFinding, plural } from './findings.js';
import { jsonDocument } from './json.js';

export interface CiRenderOptions {
  config: string;
  failOn: Severity;
  exitCode: number;
}

function mark(c: ChalkInstance, s: CaseStatus): string {
  switch (s) {
    case 'passed':
      return c.green('✓');
    case 'failed':
      return c.red('✗');
    case 'error':
      return c.yellow('?');
    case 'skipped':
      return c.dim('-');
  }
}

function caseNote(area: CiAreaResult, details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  if (area.name === 'templates') return `  score ${details.score} (${details.engine === 'rspamd' ? 'Rspamd' : 'built-in lint'})`;
  if (area.name === 'ips') {
    const listed = details.listedOn as string[];
    return listed.length > 0 ? `  listed on ${listed.join(', ')}` : `  clean on ${plural(details.lists as number, 'list')}`;
  }
  if (area.name === 'domains' && details.bulkSender) {
    const v = details.bulkSender as Record<string, string>;
    return `  bulk sender: Gmail ${v.gmail}, Yahoo ${v.yahoo}, Microsoft ${v.microsoft}`;
  }
  return '';
}

function durationText(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function renderCiHuman(c: ChalkInstance, report: CiReport, opts: CiRenderOptions): string {
  const out: string[] = [c.bold(`mailpace-cli ci`) + c.dim(`  ${opts.config}, --fail-on ${opts.failOn}`)];
  const counts: Record<CaseStatus, number> = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const area of report.areas) {
    const st = area.cases.map((x) => caseStatus(x, opts.failOn));
    st.forEach((s) => counts[s]++);
    const n = (s: CaseStatus) => st.filter((x) => x === s).length;
    const parts = [`${n('passed')} passed`, n('failed') && `${n('failed')} failed`, n('error') && `${n('error')} could not be checked`, n('skipped') && `${n('skipped')} skipped`].filter(Boolean);
    out.push('', `${c.bold(area.name)}${area.engine ? c.dim(` (${area.engine === 'rspamd' ? 'Rspamd' : 'built-in lint'})`) : ''}  ${parts.join(', ')}  ${c.dim(durationText(area.durationMs))}`);
    area.cases.forEach((x, i) => {
      const s = st[i]!;
      out.push(`  ${mark(c, s)} ${x.name}${c.dim(caseNote(area, x.details))}`);
      if (s === 'skipped') {
        out.push(`      ${c.dim(`skipped: ${x.skipped}`)}`);
        return;
      }
      const shown = [...failingFindings(x.findings, opts.failOn), ...x.findings.filter(isIncompleteFinding)];
      for (const f of shown) out.push(renderFinding(c, f, '      '));
      const rest = summarize(x.findings.filter((f) => !shown.includes(f)));
      const more = [rest.errors && plural(rest.errors, 'error'), rest.warnings && plural(rest.warnings, 'warning'), rest.infos && plural(rest.infos, 'note')].filter(Boolean);
      if (more.length > 0) out.push(`      ${c.dim(`also ${more.join(', ')} below --fail-on ${opts.failOn}`)}`);
    });
    for (const note of area.notices) out.push(`  ${note.level === 'warning' ? c.yellow('!') : c.blue('i')} ${note.message}`);
  }
  const total = counts.passed + counts.failed + counts.error + counts.skipped;
  const verdict =
    opts.exitCode === 0 ? c.green.bold('✓ passed') : opts.exitCode === 1 ? c.red.bold('✗ failed') : c.yellow.bold('? could not complete');
  const tail = [`${counts.passed} of ${total} passed`, counts.failed && `${counts.failed} failed`, counts.error && `${counts.error} could not be checked`, counts.skipped && `${counts.skipped} skipped`].filter(Boolean);
  out.push('', `${verdict}  ${tail.join(', ')}  ${c.dim(`(exit ${opts.exitCode}, ${durationText(report.durationMs)})`)}`);
  return out.join('\n');
}

/** The JSON document: one entry per area, each case with its status and findings. */
export function ciJson(report: CiReport, opts: CiRenderOptions) {
  const counts: Record<CaseStatus, number> = { passed: 0, failed: 0, error: 0, skipped: 0 };
  const areas = report.areas.map((a) => {
    const cases = a.cases.map((x) => {
      const status = caseStatus(x, opts.failOn);
      counts[status]++;
      return {
        name: x.name,
        status,
        ...(x.skipped !== undefined ? { skipped: x.skipped } : {}),
        findings: x.findings,
        ...(x.details ? { details: x.details } : {}),
      };
    });
    const statuses = new Set(cases.map((x) => x.status));
    const status: CaseStatus = statuses.has('failed') ? 'failed' : statuses.has('error') ? 'error' : cases.length > 0 && statuses.size === 1 && statuses.has('skipped') ? 'skipped' : 'passed';
    return {
      area: a.name,
      status,
      ...(a.engine ? { engine: a.engine } : {}),
      durationMs: Math.round(a.durationMs ?? 0),
      cases,
      notices: a.notices,
    };
  });
  return jsonDocument('ci', {
    config: opts.config,
    failOn: opts.failOn,
    exitCode: opts.exitCode,
    areas,
    summary: { cases: areas.reduce((n, a) => n + a.cases.length, 0), ...counts, findings: summarize(report.areas.flatMap((a) => a.cases.flatMap((x) => x.findings))) },
    durationMs: Math.round(report.durationMs),
  });
}
