/**
 * One large plain Postfix log read by two threads at once: this thread reads the first half, a
 * worker thread the second, each into its own Aggregate, and the halves merge into exactly what
 * one pass over the file counts (the same JSON, byte for byte; test/unit/monitor/halves.test.ts
 * splits logs at every line and compares).
 *
 * The second half starts without knowing the messages in flight at its start. Its reader notes the
 * queue ids that arrive in it (client=, pickup) and holds back the lines of any other queue id that
 * need per-message state (to=, from=, removed, cleanup's rejects: LineResult.Later). Once the first
 * half is read, its reader, with the state at the split, reads those held-back lines in input
 * order, and then takes over the second half's messages in flight, so the next file of a run (or
 * the end of the input) finds the state one pass would have left. Where the halves could disagree
 * — a queue id that arrives in the second half while the first still has it, a queue id that
 * arrives after lines of it were held back, a --year log whose year steps in the first half — the
 * second half is read again in this thread, in order, as it is when the worker cannot start.
 * Aggregate.absorb merges by input position (Aggregate.seq), so what was seen first — a reply
 * cluster's classification, the order of equal counts — is what one pass sees first.
 */
import { Worker } from 'node:worker_threads';
import { closeSync, openSync, readSync } from 'node:fs';
import { LineResult, type MonitorEvent } from './events.js';
import { PostfixReader, type QueueEntry } from './postfix.js';
import { Aggregate, type AggregateData, type AggregateOptions } from './metrics.js';
import { readLines } from './line-source.js';
import type { ClockState } from './syslog.js';

/**
 * Below this size one thread is as fast: a second thread first loads the code and warms it up
 * (~0.1–0.2 s), and on a 16 MiB log (130,000 lines) one thread takes about that long.
 */
export const PARALLEL_MIN_BYTES = 16 * 1024 * 1024;
/**
 * Where the second half starts, as a share of the file: the worker thread starts reading about 0.1 s
 * after this one (a thread of its own to start, the code to load) and sends its counts across, so
 * it gets less (measured on the 1,000,000-line log of bench/monitor.ts: both halves then end
 * within about 50 ms of each other).
 */
const SPLIT_SHARE = 0.57;
/** Input positions (Aggregate.seq) of the second half lie this far past the first half's. */
const SECOND_HALF = 2 ** 32;

/** How a run reads large logs in halves (tests set where and how). */
export interface HalvesOptions {
  /** Files at least this large (default PARALLEL_MIN_BYTES, and only on two or more CPUs; set, it applies on any machine). */
  minBytes?: number;
  /** Where the second half starts (a byte position after a "\n"), instead of splitPoint's. */
  splitAt?: number;
  /** Reads the second half instead of a worker thread (tests: readSecondHalf in this thread). */
  second?: (input: HalfInput) => Promise<HalfResult>;
  /** Told how the halves were joined: merged, or the second read again here (tests). */
  onJoin?: (how: 'merged' | 'reread') => void;
}

export interface HalfInput {
  path: string;
  /** Byte position where the second half starts (the start of a line). */
  start: number;
  reader: { year?: number; refMs?: number };
  aggregate: AggregateOptions;
  examples: number;
  /** Aggregate.seq of the half's first line. */
  seq: number;
}

/** What reading some lines gave: counts, and the first few skipped lines with their numbers. */
export interface LineCounts {
  lines: number;
  parsed: number;
  ignored: number;
  skipped: number;
  skippedExamples: { line: number; text: string }[];
}

export interface HalfResult extends LineCounts {
  data: AggregateData;
  scores: number[];
  /** Held-back lines: their index in the half (0-based), text, and time stamp as the half's clock read it. */
  later: { i: number; text: string; at: number }[];
  /** The half's messages in flight at its end, and its receipts' order. */
  messages: [string, QueueEntry][];
  pendingSeq: number;
  clock: ClockState;
  /** The queue ids that arrived in the half, one per line: one string crosses between threads faster than a set of 100,000. */
  arrived: string;
  arrivedAfterHeld: boolean;
}

function newCounts(): LineCounts {
  return { lines: 0, parsed: 0, ignored: 0, skipped: 0, skippedExamples: [] };
}

/** Counts one line's result (a skipped line as number `lineNo`, 1-based, while fewer than `keep` are kept). */
export function countLine(c: LineCounts, r: LineResult, text: string, lineNo: number, keep: number): void {
  if (r === LineResult.Parsed) c.parsed++;
  else if (r === LineResult.Ignored) c.ignored++;
  else {
    c.skipped++;
    if (c.skippedExamples.length < keep) c.skippedExamples.push({ line: lineNo, text: text.length > 200 ? `${text.slice(0, 200)}…` : text });
  }
}

/** The worker's part: from `start` to the end of the file, on its own. */
export async function readSecondHalf(input: HalfInput): Promise<HalfResult> {
  const reader = new PostfixReader({ ...input.reader, later: true });
  const agg = new Aggregate(input.aggregate);
  const sink = (e: MonitorEvent) => agg.add(e);
  const c = newCounts();
  const later: HalfResult['later'] = [];
  await readLines(
    input.path,
    (lines) => {
      for (const l of lines) {
        const i = c.lines++;
        agg.seq = input.seq + i;
        const r = reader.line(l, sink);
        if (r === LineResult.Later) later.push({ i, text: l, at: reader.laterAt });
        else countLine(c, r, l, i + 1, input.examples);
      }
    },
    { start: input.start },
  );
  const st = reader.state();
  return { ...c, data: agg.data(), scores: reader.scores, later, messages: [...st.messages], pendingSeq: st.pendingSeq, clock: st.clock, arrived: st.arrived!.join('\n'), arrivedAfterHeld: reader.arrivedAfterHeld };
}

/** Where the second half starts: after the first "\n" at or past SPLIT_SHARE of the file (undefined: no such line). */
export function splitPoint(path: string, size: number): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let pos = Math.floor(size * SPLIT_SHARE); pos < size; pos += buf.length) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) return undefined;
      const nl = buf.subarray(0, n).indexOf(10);
      if (nl >= 0) return pos + nl + 1 < size ? pos + nl + 1 : undefined;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the second half in a worker thread: halves-worker.js beside this module once built; run
 * from the TypeScript source (the tests, under tsx), the worker registers tsx's loader first, which
 * a worker thread does not inherit. The worker gets none of this process's Node options
 * (`execArgv: []`): they are not its business, and some stop a worker from starting at all
 * (`--input-type`, an `--import` of a TypeScript file).
 */
function inWorker(input: HalfInput): Promise<HalfResult> {
  const self = import.meta.url;
  const fromSource = self.endsWith('.ts');
  const url = new URL(fromSource ? './halves-worker.ts' : './halves-worker.js', self);
  return new Promise((resolve, reject) => {
    const w = fromSource
      ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData: input, execArgv: [] })
      : new Worker(url, { workerData: input, execArgv: [] });
    w.once('message', (m: HalfResult) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`the worker thread stopped (${code})`)));
  });
}

/**
 * Reads a plain Postfix log in two halves into `agg` with `reader` (the run's Postfix reader, which
 * ends in the state one pass leaves). Returns the lines' counts, or undefined when the file has no
 * line start past its middle (the caller reads it in one pass). `second` replaces the worker
 * thread (tests read both halves in this thread); `splitAt` sets where the second half starts.
 */
export async function readInHalves(
  path: string,
  size: number,
  agg: Aggregate,
  reader: PostfixReader,
  opts: HalvesOptions & {
    reader: { year?: number; refMs?: number };
    examples: number;
    onProgress?: (p: { file: string; lines: number }) => void;
  },
): Promise<LineCounts | undefined> {
  const split = opts.splitAt ?? splitPoint(path, size);
  if (split === undefined) return undefined;
  const base = agg.seq + 1;
  const withYear = opts.reader.year !== undefined;
  // With --year the clock runs on from file to file: the second half starts at the year this file starts in.
  const startYear = reader.state().clock.year;
  const input: HalfInput = { path, start: split, reader: withYear ? { year: startYear } : opts.reader, aggregate: agg.opts, examples: opts.examples, seq: base + SECOND_HALF };
  const second = (opts.second ?? inWorker)(input).catch(() => undefined);

  const sink = (e: MonitorEvent) => agg.add(e);
  const c = newCounts();
  await readLines(
    path,
    (lines) => {
      for (const l of lines) {
        agg.seq = base + c.lines++;
        countLine(c, reader.line(l, sink), l, c.lines, opts.examples);
      }
      opts.onProgress?.({ file: path, lines: c.lines });
    },
    { end: split },
  );
  const firstLines = c.lines;
  const half = await second;
  const at = reader.state();
  let conflict = half === undefined || half.arrivedAfterHeld;
  if (!conflict && withYear) {
    const step = at.clock.lastMonth !== -1 && half!.clock.firstMonth !== -1 && half!.clock.firstMonth < at.clock.lastMonth - 6;
    conflict = at.clock.year !== startYear || step;
  }
  if (!conflict && at.messages.size > 0) conflict = anyListed(half!.arrived, at.messages);
  opts.onJoin?.(conflict ? 'reread' : 'merged');
  if (conflict) {
    // One pass over the second half, here, in order.
    const more = newCounts();
    await readLines(
      path,
      (lines) => {
        for (const l of lines) {
          agg.seq = input.seq + more.lines++;
          countLine(more, reader.line(l, sink), l, firstLines + more.lines, opts.examples);
        }
        opts.onProgress?.({ file: path, lines: firstLines + more.lines });
      },
      { start: split },
    );
    agg.seq = base + 2 * SECOND_HALF;
    return joinCounts(c, more, opts.examples);
  }
  const h = half!;
  // The held-back lines, with the first half's state of their messages, counted apart and merged by position.
  const rest = new Aggregate(agg.opts);
  const restSink = (e: MonitorEvent) => rest.add(e);
  const heldCounts = newCounts();
  for (const x of h.later) {
    rest.seq = input.seq + x.i;
    countLine(heldCounts, reader.line(x.text, restSink, x.at), x.text, firstLines + x.i + 1, opts.examples);
  }
  reader.adopt({ messages: h.messages, pendingSeq: h.pendingSeq, clock: h.clock }, withYear);
  for (const s of h.scores) reader.scores.push(s);
  agg.absorb(h.data);
  agg.absorb(rest.data());
  agg.seq = base + 2 * SECOND_HALF;
  const secondCounts: LineCounts = {
    lines: h.lines,
    parsed: h.parsed + heldCounts.parsed,
    ignored: h.ignored + heldCounts.ignored,
    skipped: h.skipped + heldCounts.skipped,
    skippedExamples: [...h.skippedExamples.map((x) => ({ line: x.line + firstLines, text: x.text })), ...heldCounts.skippedExamples],
  };
  opts.onProgress?.({ file: path, lines: firstLines + h.lines });
  return joinCounts(c, secondCounts, opts.examples);
}

/** Whether a line of `list` ("\n"-separated) is a key of `keys`. */
function anyListed(list: string, keys: Map<string, unknown>): boolean {
  for (let p = 0; p < list.length; ) {
    let nl = list.indexOf('\n', p);
    if (nl < 0) nl = list.length;
    if (keys.has(list.slice(p, nl))) return true;
    p = nl + 1;
  }
  return false;
}

function joinCounts(a: LineCounts, b: LineCounts, keep: number): LineCounts {
  return {
    lines: a.lines + b.lines,
    parsed: a.parsed + b.parsed,
    ignored: a.ignored + b.ignored,
    skipped: a.skipped + b.skipped,
    skippedExamples: [...a.skippedExamples, ...b.skippedExamples].sort((x, y) => x.line - y.line).slice(0, keep),
  };
}
