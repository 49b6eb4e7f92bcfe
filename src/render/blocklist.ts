/**
 * Rendering of `blocklist scan`: the human table (grouped by target, listings first), CSV and NDJSON
 * rows, and the JSON document.
 */
import type { ChalkInstance } from 'chalk';
import type { BlocklistResult, ResultStatus } from '../core/blocklist/query.js';
import type { ScanReport } from '../core/blocklist/scan.js';
import { csvRow as csvCells } from './csv.js';
import { jsonDocument } from './json.js';

export const BLOCKLIST_COMMAND = 'blocklist scan';

/** Row order inside a target: what needs action first. */
const STATUS_ORDER: Record<ResultStatus, number> = { listed: 0, error: 1, timeout: 2, clean: 3 };

/** Above this many targets, targets that are clean everywhere are only counted. */
const SHOW_ALL_TARGETS = 20;

const fmt = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, word: string, many = `${word}s`) => `${fmt(n)} ${n === 1 ? word : many}`;

export function statusLabel(c: ChalkInstance, s: ResultStatus): string {
  switch (s) {
    case 'listed':
      return c.red.bold('✗ listed ');
    case 'error':
      return c.yellow('! error  ');
    case 'timeout':
      return c.yellow('… timeout');
    case 'clean':
      return c.green('✓ clean  ');
  }
}

function groupByTarget(results: readonly BlocklistResult[]): Map<string, BlocklistResult[]> {
  const groups = new Map<string, BlocklistResult[]>();
  for (const r of results) {
    const g = groups.get(r.target);
    if (g) g.push(r);
    else groups.set(r.target, [r]);
  }
  return groups;
}

function durationText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function summaryLine(report: ScanReport): string {
  const s = report.summary;
  const parts = [
    `${plural(s.listed, 'listing')}${s.listed > 0 ? ` (${plural(s.listedTargets, 'target')})` : ''}`,
    `${fmt(s.clean)} clean`,
    plural(s.errors, 'error'),
    plural(s.timeouts, 'timeout'),
  ];
  return `${plural(s.targets, 'target')} × ${plural(s.lists, 'list')}: ${plural(s.queries, 'lookup')} in ${durationText(s.durationMs)} — ${parts.join(', ')}`;
}

/** The human report: one block per target that needs attention, then the summary and the notices. */
export function renderBlocklistHuman(c: ChalkInstance, report: ScanReport): string {
  const lines: string[] = [];
  const groups = groupByTarget(report.results);
  const many = groups.size > SHOW_ALL_TARGETS;
  const listW = Math.max(4, ...report.results.filter((r) => r.status !== 'clean').map((r) => r.list.length));
  const codeW = Math.max(0, ...report.results.filter((r) => r.status !== 'clean').map((r) => r.codes.join(',').length));
  let quietTargets = 0;
  for (const [target, rows] of groups) {
    const listed = rows.filter((r) => r.status === 'listed').length;
    const problems = rows.filter((r) => r.status !== 'clean');
    if (many && problems.length === 0) {
      quietTargets++;
      continue;
    }
    const head =
      listed > 0
        ? c.red(`listed on ${listed} of ${plural(rows.length, 'list')}`)
        : problems.length > 0
          ? c.yellow(`not listed on ${rows.length - problems.length} of ${plural(rows.length, 'list')}; ${problems.length} could not be checked`)
          : c.green(`clean on ${rows.length === 1 ? 'the only list asked' : `all ${rows.length} lists`}`);
    lines.push(`${c.bold(target)}  ${head}`);
    const sorted = [...problems].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
    for (const r of sorted) {
      const codes = r.codes.join(',');
      const what = r.status === 'listed' || r.meanings.length > 0 ? r.meanings.join('; ') : (r.detail ?? '');
      lines.push(`  ${statusLabel(c, r.status)}  ${r.list.padEnd(listW)}  ${c.dim(codes.padEnd(codeW))}${codeW ? '  ' : ''}${what}`);
      const indent = ' '.repeat(15);
      if (r.status === 'listed') {
        if (r.txt) lines.push(`${indent}${c.dim('reason:')} ${r.txt}`);
        if (r.removalUrl) lines.push(`${indent}${c.dim('removal:')} ${r.removalUrl}`);
      }
    }
    const clean = rows.filter((r) => r.status === 'clean');
    if (clean.length > 0 && problems.length > 0) {
      lines.push(`  ${statusLabel(c, 'clean')}  ${c.dim(clean.map((r) => r.list).join(', '))}`);
    } else if (clean.length > 0) {
      lines.push(`  ${c.dim(clean.map((r) => r.list).join(', '))}`);
    }
    lines.push('');
  }
  if (quietTargets > 0) lines.push(c.green(`${plural(quietTargets, 'other target')} clean on every list asked`), '');
  lines.push(c.bold(summaryLine(report)));
  for (const n of report.notices) lines.push(`${c.yellow('note:')} ${n}`);
  return lines.join('\n');
}

/** The `--json` document: the issue's contract, plus notices and extra summary counters. */
export function blocklistJson(report: ScanReport) {
  return jsonDocument(BLOCKLIST_COMMAND, {
    results: report.results.map(resultJson),
    summary: report.summary,
    notices: report.notices,
  });
}

/** One result as it appears in JSON and NDJSON (stable field order). */
export function resultJson(r: BlocklistResult) {
  return {
    target: r.target,
    zone: r.zone,
    list: r.list,
    status: r.status,
    codes: r.codes,
    meanings: r.meanings,
    txt: r.txt,
    removalUrl: r.removalUrl,
    listId: r.listId,
    targetKind: r.targetKind,
    ...(r.detail !== undefined ? { detail: r.detail } : {}),
  };
}

export const CSV_COLUMNS = ['target', 'zone', 'list', 'status', 'codes', 'meanings', 'txt', 'removalUrl', 'detail'] as const;

/** The CSV header line (RFC 4180, CRLF). */
export function csvHeader(): string {
  return csvCells([...CSV_COLUMNS]);
}

/** One CSV row per result: codes space-separated, meanings "; "-separated. */
export function csvRow(r: BlocklistResult): string {
  return csvCells([r.target, r.zone, r.list, r.status, r.codes.join(' '), r.meanings.join('; '), r.txt, r.removalUrl, r.detail]);
}

/** NDJSON, as check-domain does it: one document per result as it arrives, then a summary document. */
export function ndjsonResult(r: BlocklistResult) {
  return jsonDocument(BLOCKLIST_COMMAND, { type: 'result' as const, ...resultJson(r) });
}

export function ndjsonSummary(report: ScanReport) {
  return jsonDocument(BLOCKLIST_COMMAND, { type: 'summary' as const, ...report.summary, notices: report.notices });
}
