/**
 * `monitor`'s engine: inputs (log files, stdin, the store's delivery log) → one reader per source
 * → events → Aggregate → detectors → MonitorReport. Pure apart from reading the inputs; time comes
 * from the caller (`now`), so tests run it on fixed logs with fixed windows.
 */
import type { Store, DeliveryLogEntry } from '../store/store.js';
import type { Finding } from '../types.js';
import { sortFindings, summarize, type FindingSummary } from '../types.js';
import { UsageError } from '../errors.js';
import type { LogReader, MonitorEvent, SourceFormat } from './events.js';
import { PostfixReader } from './postfix.js';
import { EximReader } from './exim.js';
import { KumoReader } from './kumomta.js';
import { CHUNK_BYTES, checkReadable, compressionOf, readLines } from './line-source.js';
import { countLine, PARALLEL_MIN_BYTES, readInHalves, type HalvesOptions } from './halves.js';
import { Aggregate, DAY_MS, HOUR_MS, hourOf, zeroCounts, type Counts, type GroupBy, type GroupStats } from './metrics.js';
import { detect } from './detect.js';
import { percentiles, wilson, type Interval } from './stats.js';
import { PROVIDER_ORDER } from './provider.js';
import { placementTrend, type PlacementTrend } from './placement-trend.js';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';

export type SourceChoice = SourceFormat | 'auto';

/** What the command line decides (also the follow mode's input). */
export interface MonitorSelection {
  source: SourceChoice;
  by: GroupBy;
  since?: number;
  until?: number;
  year?: number;
  baselineMs: number;
}

export interface MonitorOptions extends MonitorSelection {
  inputs: string[];
  now: number;
  store?: () => Promise<Store>;
  stdin?: NodeJS.ReadableStream;
  /** Called as input is read (bytes so far, of which file), for progress. */
  onProgress?: (p: { file: string; lines: number }) => void;
  /** How many unparseable lines to keep per source. */
  examples?: number;
  /** How a large plain Postfix log is read by two threads (monitor/halves.ts). */
  halves?: HalvesOptions;
}

export interface SourceReport {
  file: string;
  format: SourceFormat;
  lines: number;
  parsed: number;
  skipped: number;
  /** Well-formed lines without delivery meaning (connects, other programs). */
  ignored: number;
  /** Where classic time stamps got their year: "--year", "mtime" or "now" (stdin). */
  yearFrom?: 'flag' | 'mtime' | 'now';
  /** The first few skipped lines, with their line numbers. */
  skippedExamples: { line: number; text: string }[];
}

/** The counts reported per window, group, hour and day. */
export type Totals = Counts;

export interface GroupReport {
  key: string;
  totals: Totals;
  rates: { deferral: Interval; bounce: Interval };
  delay: { p50Ms: number; p95Ms: number; p99Ms: number; count: number } | null;
  topReplies: { text: string; kind: string; count: number; classification: Record<string, unknown> }[];
  blocklists: { list: string; ip: string; count: number }[];
}

export interface MonitorReport {
  window: { from: string | null; to: string | null };
  by: GroupBy;
  sources: SourceReport[];
  totals: Totals & { deferredMessages: number };
  groups: GroupReport[];
  /** Time to delivery and rates per provider (Gmail, Microsoft, Yahoo first), whatever --by is. */
  providers: GroupReport[];
  senderDomains: { domain: string; totals: Totals }[];
  hourly: { hour: string; totals: Totals }[];
  daily: { day: string; totals: Totals }[];
  spamScores: { count: number; mean: number; p50: number; p95: number; max: number } | null;
  /** --source store: the stored placement runs per provider, window against baseline (null without runs). */
  placement: PlacementTrend | null;
  findings: Finding[];
  summary: FindingSummary;
}

/** Picks a reader from a file's first lines. */
export function sniffFormat(lines: readonly string[]): SourceFormat {
  for (const l of lines.slice(0, 50)) {
    const t = l.trim();
    if (t === '') continue;
    if (t.startsWith('{') && /"type"\s*:/.test(t)) return 'kumomta';
    if (/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/.test(t)) return 'exim';
    if (/^([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)/.test(t)) return 'postfix';
  }
  return 'postfix';
}

export function makeReader(format: SourceFormat, opts: { year?: number; refMs?: number }): LogReader & { finish?: (emit: (e: MonitorEvent) => void) => void } {
  if (format === 'exim') return new EximReader();
  if (format === 'kumomta') return new KumoReader();
  return new PostfixReader(opts);
}

type Reader = ReturnType<typeof makeReader>;

/**
 * The readers of one run, one per log format: every input of that format feeds the same reader in
 * the order given, so a queue id's history that spans rotations (from= in mail.log.1, status= in
 * mail.log) is read as one.
 */
export class ReaderPool {
  private readonly readers = new Map<SourceFormat, Reader>();

  /** The reader for the next file of `format`. */
  forFile(format: SourceFormat, opts: { year?: number; refMs?: number }): Reader {
    const r = this.readers.get(format);
    if (r) {
      r.nextFile?.(opts);
      return r;
    }
    const made = makeReader(format, opts);
    this.readers.set(format, made);
    return made;
  }

  /**
   * After the last file (once): what is still pending is emitted, the spam scores are collected.
   * The readers keep their per-message state (--follow reads on with them).
   */
  finish(sink: (e: MonitorEvent) => void, scores?: number[]): void {
    for (const r of this.readers.values()) {
      r.finish?.(sink);
      if (r.scores && scores) scores.push(...r.scores);
    }
  }
}

/**
 * The size of a file that two threads should read (monitor/halves.ts): a plain Postfix log of at
 * least `minBytes` on a machine with two or more CPUs (an explicit `minBytes` asks regardless of
 * CPUs). Undefined for anything else: standard input, compressed files, other formats.
 */
function halvesSize(path: string, choice: SourceChoice, minBytes: number | undefined): number | undefined {
  if (path === '-' || (choice !== 'auto' && choice !== 'postfix')) return undefined;
  if (minBytes === undefined && availableParallelism() < 2) return undefined;
  // The first read's bytes: their complete lines are what a one-pass reading sniffs the format from.
  let head = Buffer.alloc(CHUNK_BYTES);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size < (minBytes ?? PARALLEL_MIN_BYTES)) return undefined;
    size = st.size;
    const fd = openSync(path, 'r');
    try {
      head = head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined; // the one-pass reading reports why
  }
  if (compressionOf(head) !== 'none') return undefined;
  if (choice === 'auto') {
    const lines = head.toString('utf8').split('\n');
    if (lines.length > 1) lines.pop(); // unfinished (or empty): the one-pass reading sniffs complete lines
    if (sniffFormat(lines) !== 'postfix') return undefined;
  }
  return size;
}

/**
 * Feeds one file (or stdin) through its reader into `sink`; the source's counts come back. With a
 * `pool`, the reader is the pool's (the caller finishes the pool after the last file); without,
 * the file is read on its own. With `aggregate` (the Aggregate `sink` adds to), a large plain
 * Postfix log is read by two threads (monitor/halves.ts).
 */
export async function readSource(
  path: string,
  choice: SourceChoice,
  sink: (e: MonitorEvent) => void,
  opts: { year?: number; stdin?: NodeJS.ReadableStream; examples?: number; onProgress?: MonitorOptions['onProgress']; scores?: number[]; pool?: ReaderPool; aggregate?: Aggregate; halves?: HalvesOptions },
): Promise<SourceReport> {
  const { mtimeMs } = checkReadable(path);
  const yearFrom: SourceReport['yearFrom'] = opts.year !== undefined ? 'flag' : path === '-' ? 'now' : 'mtime';
  const rep: SourceReport = { file: path, format: choice === 'auto' ? 'postfix' : (choice as SourceFormat), lines: 0, parsed: 0, skipped: 0, ignored: 0, skippedExamples: [] };
  const pool = opts.pool ?? new ReaderPool();
  let reader: Reader | undefined;
  const keep = opts.examples ?? 5;
  const readerOpts = opts.year !== undefined ? { year: opts.year } : { refMs: mtimeMs };
  const size = opts.aggregate && opts.pool ? halvesSize(path, choice, opts.halves?.minBytes) : undefined;
  if (size !== undefined) {
    rep.format = 'postfix';
    reader = pool.forFile('postfix', readerOpts);
    const counts = await readInHalves(path, size, opts.aggregate!, reader as PostfixReader, { ...opts.halves, reader: readerOpts, examples: keep, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    if (counts) {
      Object.assign(rep, counts);
      rep.yearFrom = yearFrom;
      return rep;
    }
  }
  await readLines(
    path,
    (lines) => {
      if (!reader) {
        if (choice === 'auto') rep.format = sniffFormat(lines);
        reader = pool.forFile(rep.format, readerOpts);
      }
      for (const l of lines) {
        rep.lines++;
        countLine(rep, reader.line(l, sink), l, rep.lines, keep);
      }
      opts.onProgress?.({ file: path, lines: rep.lines });
    },
    opts.stdin ? { stdin: opts.stdin } : {},
  );
  if (!opts.pool) pool.finish(sink, opts.scores);
  if (rep.format === 'postfix' || rep.format === 'exim') rep.yearFrom = rep.format === 'postfix' ? yearFrom : undefined;
  if (rep.yearFrom === undefined) delete rep.yearFrom;
  return rep;
}

/** The store's delivery log as events: each attempt is one outcome (the store keeps no receipts). */
export function storeEvent(e: DeliveryLogEntry): MonitorEvent | undefined {
  const kind = e.status === 'delivered' ? 'delivered' : e.status === 'deferred' ? 'deferred' : e.status === 'bounced' ? 'bounced' : e.status === 'expired' ? 'expired' : undefined;
  if (kind === undefined) return undefined; // "suppressed": never attempted
  const ev: MonitorEvent = { at: e.at, kind, recipient: e.recipient, queueId: e.queueId ?? e.messageId };
  if (e.mx) ev.relay = e.mx.toLowerCase();
  if (e.address) ev.relayIp = e.address;
  if (e.replyCode !== undefined) ev.code = e.replyCode;
  if (e.enhancedCode !== undefined) ev.dsn = e.enhancedCode;
  if (e.response !== undefined) ev.reply = e.response;
  else if (kind !== 'delivered') ev.reply = e.classification?.reason ?? kind;
  return ev;
}

/**
 * Where a file stands in logrotate's naming: "mail.log.3.gz" → rotation 3, "mail.log-20261130.zst"
 * (dateext) → date 20261130, "mail.log" → the live file. A compression suffix (.gz, .zst, .xz, .bz2)
 * is set aside first.
 */
export function rotationOf(path: string): { number?: number; date?: number } {
  const name = basename(path).replace(/\.(?:gz|zst|xz|bz2)$/, '');
  const n = /\.(\d{1,4})$/.exec(name);
  if (n) return { number: Number(n[1]) };
  const d = /-(\d{8})(?:\d{2})?$/.exec(name);
  if (d) return { date: Number(d[1]) };
  return {};
}

/**
 * Orders input files oldest first, so per-message state carries over from one to the next.
 * logrotate's names decide first: a rotated file ("mail.log.1", "mail.log.2.gz",
 * "mail.log-20261130") is older than a file without a rotation suffix ("mail.log"), a higher
 * number is older ("mail.log.2.gz" before "mail.log.1"), an earlier dateext date is older. Files
 * the names do not order (two live files, numbered beside dated) go by modification time, then by
 * the order given; standard input comes last.
 */
export function orderInputs(inputs: readonly string[]): string[] {
  const withKey = inputs.map((p, i) => {
    let t = Infinity;
    if (p !== '-') {
      try {
        t = statSync(p).mtimeMs;
      } catch {
        t = -Infinity; // reported as unreadable when read
      }
    }
    return { p, t, i, rot: p === '-' ? {} : rotationOf(p), stdin: p === '-' };
  });
  type K = (typeof withKey)[number];
  const byName = (a: K, b: K): number => {
    if (a.stdin !== b.stdin) return a.stdin ? 1 : -1;
    const ra = a.rot.number !== undefined || a.rot.date !== undefined;
    const rb = b.rot.number !== undefined || b.rot.date !== undefined;
    if (ra !== rb) return ra ? -1 : 1;
    if (a.rot.number !== undefined && b.rot.number !== undefined) return b.rot.number - a.rot.number;
    if (a.rot.date !== undefined && b.rot.date !== undefined) return a.rot.date - b.rot.date;
    return 0;
  };
  return withKey.sort((a, b) => byName(a, b) || a.t - b.t || a.i - b.i).map((x) => x.p);
}

export async function runMonitor(opts: MonitorOptions): Promise<MonitorReport> {
  if (opts.since !== undefined && opts.until !== undefined && opts.until <= opts.since) throw new UsageError('--until must be later than --since');
  const agg = new Aggregate({ by: opts.by, ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}), baselineMs: opts.baselineMs });
  const sink = (e: MonitorEvent) => agg.add(e);
  const sources: SourceReport[] = [];
  const scores: number[] = [];
  let placement: ReturnType<typeof placementTrend> = null;
  if (opts.source === 'store') {
    if (!opts.store) throw new UsageError('--source store needs the store');
    const store = await opts.store();
    try {
      const from = opts.since !== undefined ? opts.since - opts.baselineMs : undefined;
      const rows = await store.listDeliveries({ ...(from !== undefined ? { since: from } : {}), limit: 10_000_000 });
      const rep: SourceReport = { file: 'store', format: 'store', lines: rows.length, parsed: 0, skipped: 0, ignored: 0, skippedExamples: [] };
      for (let i = rows.length - 1; i >= 0; i--) {
        const ev = storeEvent(rows[i]!);
        if (ev) {
          rep.parsed++;
          sink(ev);
        } else rep.ignored++;
      }
      sources.push(rep);
      const runs = await store.listPlacementRuns({ ...(from !== undefined ? { since: from } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}) });
      placement = placementTrend(runs, { ...(opts.since !== undefined ? { since: opts.since } : {}), ...(opts.until !== undefined ? { until: opts.until } : {}), baselineMs: opts.baselineMs });
    } finally {
      await store.close();
    }
  } else {
    const inputs = opts.inputs.length === 0 ? ['-'] : orderInputs(opts.inputs);
    const pool = new ReaderPool();
    for (const path of inputs) {
      sources.push(
        await readSource(path, opts.source, sink, {
          ...(opts.year !== undefined ? { year: opts.year } : {}),
          ...(opts.stdin ? { stdin: opts.stdin } : {}),
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
          examples: opts.examples ?? 5,
          scores,
          pool,
          aggregate: agg,
          ...(opts.halves ? { halves: opts.halves } : {}),
        }),
      );
    }
    pool.finish(sink, scores);
  }
  return buildReport(agg, sources, scores, opts, placement);
}

function totalsOf(c: Counts): Totals {
  return { received: c.received, delivered: c.delivered, deferred: c.deferred, bounced: c.bounced, rejected: c.rejected, expired: c.expired, complaints: c.complaints };
}

function groupReport(g: GroupStats): GroupReport {
  const c = g.counts;
  const attempts = c.delivered + c.deferred + c.bounced + c.expired;
  const finals = c.delivered + c.bounced + c.expired;
  const p = percentiles(g.delays);
  const replies = [...g.replies.values()].sort((a, b) => b.windowCount - a.windowCount).slice(0, 5);
  return {
    key: g.key,
    totals: totalsOf(c),
    rates: { deferral: round(wilson(c.deferred, attempts)), bounce: round(wilson(c.bounced, finals)) },
    delay: p ? { p50Ms: Math.round(p.p50), p95Ms: Math.round(p.p95), p99Ms: Math.round(p.p99), count: g.delays.length } : null,
    topReplies: replies.map((r) => {
      const { rule: _rule, ...cls } = r.classification;
      return { text: r.text, kind: r.kind, count: r.windowCount, classification: cls };
    }),
    blocklists: [...g.blocklists.values()].sort((a, b) => b.count - a.count).map((b) => ({ list: b.list, ip: b.ip, count: b.count })),
  };
}

function round(i: Interval): Interval {
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return { value: r(i.value), low: r(i.low), high: r(i.high) };
}

/** Gmail, Microsoft, Yahoo first, then by volume. */
function providerSort(a: GroupReport, b: GroupReport): number {
  const ia = PROVIDER_ORDER.indexOf(a.key);
  const ib = PROVIDER_ORDER.indexOf(b.key);
  if (ia !== ib) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib);
  return volume(b.totals) - volume(a.totals) || a.key.localeCompare(b.key);
}
const volume = (t: Totals) => t.received + t.delivered + t.deferred + t.bounced + t.rejected + t.expired;

export function buildReport(agg: Aggregate, sources: SourceReport[], scores: number[], opts: Pick<MonitorOptions, 'since' | 'until' | 'by' | 'baselineMs'>, placement: ReturnType<typeof placementTrend> = null): MonitorReport {
  const hasWindow = agg.windowFirstAt !== Infinity;
  const from = opts.since ?? (hasWindow ? agg.windowFirstAt : undefined);
  const to = opts.until ?? (hasWindow ? agg.windowLastAt : undefined);
  const findings: Finding[] = [];
  if (from !== undefined && to !== undefined) {
    findings.push(...detect(agg, { windowFrom: from, windowTo: Math.min(to, hasWindow ? agg.windowLastAt : to), baselineMs: opts.baselineMs, historyStart: agg.firstAt }));
  }
  if (placement) findings.push(...placement.findings);
  const skipped = sources.reduce((n, s) => n + s.skipped, 0);
  if (skipped > 0) {
    const lines = sources.reduce((n, s) => n + s.lines, 0);
    const first = sources.find((s) => s.skippedExamples.length > 0);
    findings.push({
      code: 'MONITOR_UNPARSEABLE_LINES',
      severity: 'info',
      check: 'monitor',
      message: `${skipped} of ${lines} lines could not be read as ${[...new Set(sources.map((s) => s.format))].join('/')} log records and were skipped${first ? ` (first: ${first.file}:${first.skippedExamples[0]!.line})` : ''}`,
      fix: 'Check --source (auto picks from the first lines) and that the file is a mail log; the lines are listed under sources[].skippedExamples.',
      evidence: { skipped, lines },
    });
  }
  const t = agg.totals;
  if (t.received + t.delivered + t.deferred + t.bounced + t.rejected + t.expired + t.complaints === 0) {
    // Nothing at all in the input is a wrong file or --source (warning); a quiet window in a log that
    // has mail elsewhere is normal on a small server (info), so cron with --fail-on warning stays quiet.
    findings.push({
      code: 'MONITOR_NO_EVENTS',
      severity: agg.seen === 0 ? 'warning' : 'info',
      check: 'monitor',
      message: `no delivery events${opts.since !== undefined || opts.until !== undefined ? ' in the window' : ''} (${sources.reduce((n, s) => n + s.lines, 0)} lines read${agg.firstAt !== Infinity ? `; the input spans ${new Date(agg.firstAt).toISOString()} to ${new Date(agg.lastAt).toISOString()}` : ''})`,
      fix: 'Check the file, --source and --since/--until (classic syslog time stamps take their year from --year or the file time).',
    });
  }

  const groups = [...agg.groups.values()].map(groupReport);
  if (opts.by === 'provider') groups.sort(providerSort);
  else groups.sort((a, b) => volume(b.totals) - volume(a.totals) || a.key.localeCompare(b.key));
  // With --by provider the groups are the providers: reported once, computed once.
  const providers = agg.providers === agg.groups && opts.by === 'provider' ? groups : [...agg.providers.values()].map(groupReport).sort(providerSort);

  const hourly: MonitorReport['hourly'] = [];
  const daily = new Map<number, Counts>();
  const all = agg.series.get('all');
  if (all && from !== undefined && to !== undefined) {
    for (let h = hourOf(from); h <= to; h += HOUR_MS) {
      const c = all.hours.get(h) ?? zeroCounts();
      hourly.push({ hour: new Date(h).toISOString(), totals: totalsOf(c) });
      const d = Math.floor(h / DAY_MS) * DAY_MS;
      const dc = daily.get(d) ?? zeroCounts();
      for (const k of Object.keys(dc) as (keyof Counts)[]) dc[k] += c[k];
      daily.set(d, dc);
    }
  }
  let spamScores: MonitorReport['spamScores'] = null;
  if (scores.length > 0) {
    const p = percentiles(scores)!;
    spamScores = { count: scores.length, mean: Math.round((scores.reduce((a, b) => a + b, 0) / scores.length) * 100) / 100, p50: p.p50, p95: p.p95, max: Math.max(...scores) };
  }
  const sorted = sortFindings(findings);
  return {
    window: { from: from === undefined ? null : new Date(from).toISOString(), to: to === undefined ? null : new Date(to).toISOString() },
    by: opts.by,
    sources,
    totals: { ...totalsOf(agg.totals), deferredMessages: agg.deferredMessages.size },
    groups,
    providers,
    senderDomains: [...agg.senderDomains.entries()].map(([domain, c]) => ({ domain, totals: totalsOf(c) })).sort((a, b) => volume(b.totals) - volume(a.totals) || a.domain.localeCompare(b.domain)),
    hourly,
    daily: [...daily.entries()].map(([d, c]) => ({ day: new Date(d).toISOString().slice(0, 10), totals: totalsOf(c) })),
    spamScores,
    placement: placement?.trend ?? null,
    findings: sorted,
    summary: summarize(sorted),
  };
}
