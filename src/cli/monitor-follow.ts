/**
 * monitor --follow: reads the logs once, then tails them (with rotations). Every few seconds the
 * detectors run over the current and previous hour against the baseline; new alerts are printed
 * as they fire (one line each, or NDJSON), and on a terminal a live ink dashboard shows the current
 * hour per provider against its baseline. Ends on Ctrl-C (SIGINT/SIGTERM) with exit code by --fail-on.
 */
import type { CliContext } from './context.js';
import type { MonitorFlags } from './commands/monitor.js';
import type { Finding } from '../core/types.js';
import { exitCodeFor } from '../core/policy.js';
import { toNdjsonLine } from '../render/json.js';
import { renderFinding } from '../render/findings.js';
import { UsageError } from '../core/errors.js';
import { Aggregate, HOUR_MS, hourOf, zeroCounts } from '../core/monitor/metrics.js';
import { buildReport, orderInputs, readSource, ReaderPool, type SourceReport } from '../core/monitor/monitor.js';
import { detect } from '../core/monitor/detect.js';
import { Tailer } from '../core/monitor/tail.js';
import { checkReadable, compressionOf } from '../core/monitor/line-source.js';
import { Ewma, percentiles, wilson } from '../core/monitor/stats.js';
import type { MonitorEvent } from '../core/monitor/events.js';
import { openSync, readSync, closeSync, statSync } from 'node:fs';

export interface DashboardRow {
  provider: string;
  delivered: number;
  deferred: number;
  bounced: number;
  deferralRate: number;
  baselineDeferralRate: number | null;
  p95Ms: number | null;
}

export interface DashboardState {
  hour: string;
  lines: number;
  rows: DashboardRow[];
  alerts: string[];
}

function isCompressed(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, 0);
    return compressionOf(b) !== 'none';
  } finally {
    closeSync(fd);
  }
}

/** The current hour per provider, with the deferral-rate EWMA of the hours before it. */
export function dashboard(agg: Aggregate, now: number, lines: number, alerts: string[]): DashboardState {
  const H = hourOf(now);
  const rows: DashboardRow[] = [];
  for (const [key, s] of agg.series) {
    if (!key.startsWith('provider:')) continue;
    const c = s.hours.get(H) ?? zeroCounts();
    const e = new Ewma(0.1);
    for (let h = H - 7 * 24 * HOUR_MS; h < H; h += HOUR_MS) {
      const x = s.hours.get(h);
      const n = x ? x.delivered + x.deferred + x.bounced + x.expired : 0;
      if (x && n >= 5) e.push(x.deferred / n);
    }
    const attempts = c.delivered + c.deferred + c.bounced + c.expired;
    const d = s.delays?.get(H);
    rows.push({
      provider: key.slice(9),
      delivered: c.delivered,
      deferred: c.deferred,
      bounced: c.bounced,
      deferralRate: wilson(c.deferred, attempts).value,
      baselineDeferralRate: e.count > 0 ? e.mean : null,
      p95Ms: d && d.length ? percentiles(d)!.p95 : null,
    });
  }
  rows.sort((a, b) => b.delivered + b.deferred + b.bounced - (a.delivered + a.deferred + a.bounced));
  return { hour: new Date(H).toISOString(), lines, rows, alerts };
}

/**
 * The hours the detectors judge on each tick: from --since (a fixed start: the window grows as the
 * log does) or else the previous hour, up to now or --until. Undefined once --until has passed
 * or before --since.
 */
export function followWindow(firstAt: number, now: number, sel: { since?: number; until?: number }): { from: number; to: number } | undefined {
  const from = Math.max(firstAt, sel.since ?? hourOf(now) - HOUR_MS);
  const to = sel.until !== undefined ? Math.min(now, sel.until) : now;
  return to >= from ? { from, to } : undefined;
}

export async function follow(ctx: CliContext, paths: string[], flags: MonitorFlags): Promise<number> {
  const files = orderInputs(paths);
  for (const p of files) checkReadable(p);
  const agg = new Aggregate({ by: flags.by, baselineMs: flags.baselineMs });
  const sink = (e: MonitorEvent) => agg.add(e);
  const sources: SourceReport[] = [];
  const scores: number[] = [];
  const offsets = new Map<string, number>();
  const live: string[] = [];
  const pool = new ReaderPool();
  for (const p of files) {
    const size = statSync(p).size;
    // A large plain Postfix log is read by two threads (monitor/halves.ts), its state then where one pass leaves it.
    const rep = await readSource(p, flags.source, sink, { ...(flags.year !== undefined ? { year: flags.year } : {}), scores, pool, aggregate: agg });
    sources.push(rep);
    if (!isCompressed(p)) {
      live.push(p);
      offsets.set(p, Math.max(size, statSync(p).size));
    }
  }
  pool.finish(sink, scores);
  if (live.length === 0) throw new UsageError('--follow: every file given is compressed; give the live log (e.g. /var/log/mail.log)');
  // The live files read on with the readers of the files read so far (a message received before
  // the start and delivered after it keeps its sender), their state kept across polls.
  const readers = new Map(live.map((p) => [p, pool.forFile(sources.find((s) => s.file === p)!.format, flags.year !== undefined ? { year: flags.year } : { refMs: Date.now() })]));
  const tailer = new Tailer(live, offsets);
  let lines = sources.reduce((n, s) => n + s.lines, 0);
  const seen = new Set<string>();
  const all: Finding[] = [];
  const alerts: string[] = [];
  // A pseudo-terminal without a size (columns 0: `script`, some CI runners) cannot lay out the dashboard.
  const tty = ctx.interactive && flags.format === 'human' && ((ctx.io.stderr as NodeJS.WriteStream).columns ?? 0) >= 60;
  const view = tty ? await (await import('../render/monitor-live.js')).startMonitorLive(ctx) : undefined;

  const tick = async () => {
    await tailer.poll((path, ls) => {
      const r = readers.get(path)!;
      for (const l of ls) r.line(l, sink);
      lines += ls.length;
    });
    const now = Date.now();
    if (agg.firstAt === Infinity) return;
    const w = followWindow(agg.firstAt, now, flags);
    if (!w) return;
    const found = detect(agg, { windowFrom: w.from, windowTo: w.to, baselineMs: flags.baselineMs, historyStart: agg.firstAt });
    for (const f of found) {
      const ev = f.evidence as { group?: string; since?: string; list?: string; ip?: string } | undefined;
      const key = `${f.code}|${ev?.group ?? ev?.list ?? ''}|${ev?.ip ?? ''}|${ev?.since ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      all.push(f);
      const line = `${new Date(now).toISOString()} ${f.severity.toUpperCase()} ${f.code} ${f.message}`;
      alerts.push(line);
      if (alerts.length > 8) alerts.shift();
      if (flags.format === 'ndjson' || flags.format === 'json') ctx.io.stdout.write(toNdjsonLine({ schemaVersion: 1, command: 'monitor', type: 'finding', at: new Date(now).toISOString(), ...f }));
      else if (!view) ctx.out(renderFinding(ctx.color, f, ''));
    }
    view?.update(dashboard(agg, now, lines, [...alerts]));
  };

  await tick();
  if (!view && flags.format === 'human') ctx.notice(`following ${live.join(', ')} (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      tick().finally(() => (busy = false));
    }, 1000);
    const stop = () => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await tailer.close();
  view?.stop();
  if (flags.prometheus) {
    const { writePrometheusTextfile } = await import('../core/monitor/prometheus.js');
    await writePrometheusTextfile(flags.prometheus, buildReport(agg, sources, scores, { by: flags.by, baselineMs: flags.baselineMs }), Date.now());
  }
  return exitCodeFor(all, flags.failOn);
}
