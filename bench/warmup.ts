/**
 * bench/warmup — `warmup simulate` at 1,000,000 messages a day for 100 days, time and peak RSS.
 *
 *   npm run build && node --import tsx bench/warmup.ts [--runs 3]
 *
 * Two runs of the built CLI, each repeated --runs times (the table shows medians):
 *  - ramp: a 100-day geometric plan that reaches 1,000,000/day on day 100 (what people simulate
 *    before a warm-up); the receivers keep up, so the work is the plan's own volume.
 *  - flat: 1,000,000/day from a cold IP for 100 days (`--volume`), the worst case: the providers
 *    throttle for days, so a backlog of millions is retried by the real retry policy every day.
 * Both go through the delivery engine with aggregation (at most 5,000 simulated recipients a day).
 * No other tool simulates a warm-up, so there is no peer to run beside it; the target is the
 * issue's: ≤ 10 s.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { median } from './util.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg('--runs', 3);
const BIN = join(process.cwd(), 'bin', 'mailpace-cli.js');

interface Run {
  ms: number;
  userS: number;
  rssKb: number;
  doc: { days: unknown[]; verdict: { ok: boolean; firstBadDay: number | null }; unit: number };
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, BIN, 'warmup', 'simulate', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', () => {
      const ms = performance.now() - t0;
      try {
        resolve({
          ms,
          userS: Number(/User time \(seconds\): ([\d.]+)/.exec(err)?.[1] ?? NaN),
          rssKb: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1] ?? NaN),
          doc: JSON.parse(out),
        });
      } catch {
        reject(new Error(`warmup simulate ${args.join(' ')} printed no JSON:\n${err.slice(0, 500)}`));
      }
    });
  });
}

const SCENARIOS: [string, string[]][] = [
  ['ramp: geometric to 1,000,000/day over 100 days', ['--target', '1m/day', '--days', '100', '--no-suggest']],
  ['flat: 1,000,000/day for 100 days from a cold IP', ['--volume', '1m/day', '--days', '100']],
];

async function main(): Promise<void> {
  console.log(`load average at the start  ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} CPU(s); node ${process.version}`);
  const rows: string[][] = [['scenario', 'wall (median)', 'CPU user', 'peak RSS', 'days', 'verdict', 'target ≤ 10 s']];
  for (const [name, args] of SCENARIOS) {
    const runs: Run[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await run(args));
    const ms = median(runs.map((r) => r.ms));
    const last = runs[runs.length - 1]!;
    rows.push([
      name,
      `${(ms / 1000).toFixed(2)} s`,
      `${median(runs.map((r) => r.userS)).toFixed(2)} s`,
      `${(Math.max(...runs.map((r) => r.rssKb)) / 1024).toFixed(0)} MB`,
      String(last.doc.days.length),
      last.doc.verdict.ok ? 'green' : `first bad day ${last.doc.verdict.firstBadDay}`,
      ms <= 10_000 ? 'met' : 'NOT met',
    ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  '));
  console.log(`load average at the end    ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
