/** monitor: delivery health and anomalies from MTA logs or the store's delivery log. */
import type { CliContext } from '../context.js';
import { jsonDocument, toJson, toNdjsonLine } from '../../render/json.js';
import { renderMonitor } from '../../render/monitor.js';
import { startSpinner } from '../../render/progress.js';
import { exitCodeFor, parseFailOn } from '../../core/policy.js';
import { UsageError } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import { GROUP_BY, type GroupBy } from '../../core/monitor/metrics.js';
import { runMonitor, type MonitorReport, type MonitorSelection, type SourceChoice } from '../../core/monitor/monitor.js';
import { positiveDuration, wholeNumber } from '../flags.js';

const SOURCES = ['postfix', 'exim', 'kumomta', 'store', 'auto'] as const;

/** --since/--until: a duration back from now ("1h", "2d") or a date/time ("2026-12-01", "2026-12-01T14:00", RFC 3339). */
export function parseWhen(value: string, flag: string, now: number): number {
  const v = value.trim();
  if (/^\d+(?:\.\d+)?\s*(ms|s|m|h|d)$/i.test(v)) return now - parseDuration(v, flag);
  if (/^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$/.test(v)) {
    const ms = Date.parse(v.replace(' ', 'T'));
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(`${flag} "${value}" is neither a duration back from now (e.g. 1h, 2d) nor a date/time (e.g. 2026-12-01 or 2026-12-01T14:00:00Z)`);
}

export interface MonitorFlags extends MonitorSelection {
  format: 'human' | 'json' | 'ndjson';
  failOn: ReturnType<typeof parseFailOn>;
  prometheus?: string;
  follow: boolean;
}

export function parseMonitorFlags(ctx: CliContext, opts: Record<string, any>, now: number): MonitorFlags {
  const source = String(opts.source ?? 'auto');
  if (!(SOURCES as readonly string[]).includes(source)) throw new UsageError(`--source "${source}" must be one of: ${SOURCES.join(', ')}`);
  const by = String(opts.by ?? 'provider');
  if (!(GROUP_BY as readonly string[]).includes(by)) throw new UsageError(`--by "${by}" must be one of: ${GROUP_BY.join(', ')}`);
  const format = ctx.json ? 'json' : String(opts.format ?? 'human');
  if (!['human', 'json', 'ndjson'].includes(format)) throw new UsageError(`--format "${format}" must be one of: human, json, ndjson`);
  const f: MonitorFlags = {
    source: source as SourceChoice,
    by: by as GroupBy,
    baselineMs: positiveDuration(String(opts.baseline ?? '7d'), '--baseline'),
    format: format as MonitorFlags['format'],
    failOn: parseFailOn(opts.failOn),
    follow: !!opts.follow,
  };
  if (opts.since !== undefined) f.since = parseWhen(String(opts.since), '--since', now);
  if (opts.until !== undefined) f.until = parseWhen(String(opts.until), '--until', now);
  if (f.since !== undefined && f.until !== undefined && f.until <= f.since) throw new UsageError('--until must be later than --since');
  if (opts.year !== undefined) f.year = wholeNumber(String(opts.year), '--year', 1970, 9999);
  if (opts.prometheusTextfile !== undefined) f.prometheus = String(opts.prometheusTextfile);
  return f;
}

export function renderReport(ctx: CliContext, report: MonitorReport, format: MonitorFlags['format']): void {
  if (format === 'json') ctx.out(toJson(jsonDocument('monitor', report)).trimEnd());
  else if (format === 'ndjson') {
    const { findings, groups, hourly, sources, ...rest } = report;
    let s = '';
    for (const x of sources) s += toNdjsonLine({ schemaVersion: 1, command: 'monitor', type: 'source', ...x });
    for (const x of groups) s += toNdjsonLine({ schemaVersion: 1, command: 'monitor', type: 'group', ...x });
    for (const x of hourly) s += toNdjsonLine({ schemaVersion: 1, command: 'monitor', type: 'hour', ...x });
    for (const x of findings) s += toNdjsonLine({ schemaVersion: 1, command: 'monitor', type: 'finding', ...x });
    s += toNdjsonLine({ schemaVersion: 1, command: 'monitor', type: 'summary', ...rest });
    ctx.io.stdout.write(s);
  } else ctx.out(renderMonitor(ctx.color, report));
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const now = Date.now();
  const flags = parseMonitorFlags(ctx, opts, now);
  if (flags.source === 'store' && args.length > 0) throw new UsageError('--source store reads the delivery log of --store; give no log files with it');
  if (args.filter((a) => a === '-').length > 1) throw new UsageError('- (standard input) can be given once');
  if (flags.follow) {
    if (flags.source === 'store') throw new UsageError('--follow tails log files; it does not work with --source store');
    if (args.length === 0 || args.includes('-')) throw new UsageError('--follow needs log files to tail (not standard input)');
    const { follow } = await import('../monitor-follow.js');
    return follow(ctx, args, flags);
  }
  const spinner = flags.format === 'human' ? await startSpinner(ctx, 'reading logs') : undefined;
  let report: MonitorReport;
  try {
    report = await runMonitor({
      inputs: args,
      source: flags.source,
      by: flags.by,
      ...(flags.since !== undefined ? { since: flags.since } : {}),
      ...(flags.until !== undefined ? { until: flags.until } : {}),
      ...(flags.year !== undefined ? { year: flags.year } : {}),
      baselineMs: flags.baselineMs,
      now,
      store: () => ctx.store(),
      ...(ctx.io.stdin ? { stdin: ctx.io.stdin } : {}),
      ...(spinner?.visible ? { onProgress: ({ file, lines }: { file: string; lines: number }) => spinner.update(`reading ${file}: ${lines.toLocaleString('en-US')} lines`) } : {}),
    });
  } finally {
    spinner?.stop();
  }
  if (flags.prometheus) {
    const { writePrometheusTextfile } = await import('../../core/monitor/prometheus.js');
    await writePrometheusTextfile(flags.prometheus, report, now);
  }
  renderReport(ctx, report, flags.format);
  return exitCodeFor(report.findings, flags.failOn);
}
