/**
 * bench/monitor — `monitor` on a generated 1,000,000-line Postfix log beside pflogsumm (Debian) on
 * the same file, in the same run.
 *
 *   npm run build && node --import tsx bench/monitor.ts [--lines 1000000] [--runs 3]
 *
 * The log: test/helpers/postfix-log.ts — smtpd → cleanup → qmgr → smtp → removed for each message,
 * four providers with deferrals that are retried, bounces, inbound rejects, a daily rhythm, and a
 * volume spike, a deferral burst and a blocklist episode injected (so the detectors have work).
 *  - ours: the built CLI, `monitor <file> --json` (every report section and the detectors), wall
 *    time from spawn to exit and peak RSS from /usr/bin/time -v.
 *  - pflogsumm <file>: its full default report, the same way.
 * Runs interleave (ours, pflogsumm, ours, …) so a busy machine slows both alike; medians shown.
 * Also checks that both count the same delivered, bounced and rejected totals.
 * Targets: ≥ 10× faster than pflogsumm, peak RSS ≤ 250 MB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePostfixLog } from '../test/helpers/postfix-log.js';
import { parsePflogsumm } from '../test/helpers/pflogsumm.js';
import { median, table } from './util.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const LINES = arg('--lines', 1_000_000);
const RUNS = arg('--runs', 3);

/** Wall time, CPU time (user + system: what a loaded machine does not inflate) and peak RSS, from /usr/bin/time -v. */
function timed(cmd: string, args: string[]): { ms: number; cpuMs: number; rssKb: number; stdout: string; status: number | null } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - t;
  const num = (re: RegExp) => Number(re.exec(r.stderr)?.[1] ?? NaN);
  const rssKb = num(/Maximum resident set size \(kbytes\): (\d+)/);
  const cpuMs = (num(/User time \(seconds\): ([\d.]+)/) + num(/System time \(seconds\): ([\d.]+)/)) * 1000;
  return { ms, cpuMs, rssKb, stdout: r.stdout, status: r.status };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-monitor-'));
try {
  const file = join(dir, 'mail.log');
  const t0 = performance.now();
  // About 3,900 lines an hour at this peak rate (the daily rhythm averages ~50% of the peak, ~5.2
  // lines a message): enough hours to pass LINES, then cut at exactly LINES.
  const perHour = 1500;
  const hours = Math.ceil(LINES / 3800) + 2;
  const g = generatePostfixLog({
    start: new Date('2026-11-02T00:00:00Z'),
    hours,
    peakPerHour: perHour,
    seed: 42,
    maxLines: LINES,
    spike: { domain: 'news.example', factor: 6, fromHour: Math.floor(hours * 0.7), hours: 1 },
    deferralBurst: { provider: 'gmail', rate: 0.5, fromHour: Math.floor(hours * 0.8), hours: 2 },
    blocklist: { provider: 'microsoft', list: 'zen.spamhaus.org', ip: '203.0.113.5', rate: 0.3, fromHour: Math.floor(hours * 0.9), hours: 1 },
  });
  const text = g.text.split('\n').slice(0, LINES).join('\n') + '\n';
  writeFileSync(file, text);
  console.log(`log: ${LINES.toLocaleString('en-US')} lines, ${(statSync(file).size / 1e6).toFixed(0)} MB, ${hours} hours, generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`machine: ${availableParallelism()} CPUs, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  const ours: ReturnType<typeof timed>[] = [];
  const peer: ReturnType<typeof timed>[] = [];
  for (let i = 0; i < RUNS; i++) {
    ours.push(timed(process.execPath, ['bin/mailpace-cli.js', 'monitor', file, '--json', '--year', '2026']));
    peer.push(timed('pflogsumm', [file]));
  }
  if (ours.some((r) => r.status !== 0 && r.status !== 1)) throw new Error(`monitor failed: ${ours.map((r) => r.status).join(',')}`);
  if (peer.some((r) => r.status !== 0)) throw new Error('pflogsumm failed');
  const doc = JSON.parse(ours[0]!.stdout);
  const p = parsePflogsumm(peer[0]!.stdout);
  const oursMs = median(ours.map((r) => r.ms));
  const peerMs = median(peer.map((r) => r.ms));
  const oursCpu = median(ours.map((r) => r.cpuMs));
  const peerCpu = median(peer.map((r) => r.cpuMs));
  const oursMb = Math.max(...ours.map((r) => r.rssKb)) / 1024;
  const peerMb = Math.max(...peer.map((r) => r.rssKb)) / 1024;
  const range = (xs: number[]) => `${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)} s`;
  console.log();
  console.log(
    table([
      ['', 'median wall', 'range', 'median CPU', 'lines/s (wall)', 'peak RSS'],
      ['mailpace-cli monitor --json', `${(oursMs / 1000).toFixed(2)} s`, range(ours.map((r) => r.ms)), `${(oursCpu / 1000).toFixed(2)} s`, Math.round(LINES / (oursMs / 1000)).toLocaleString('en-US'), `${oursMb.toFixed(0)} MB`],
      ['pflogsumm', `${(peerMs / 1000).toFixed(2)} s`, range(peer.map((r) => r.ms)), `${(peerCpu / 1000).toFixed(2)} s`, Math.round(LINES / (peerMs / 1000)).toLocaleString('en-US'), `${peerMb.toFixed(0)} MB`],
    ]),
  );
  console.log();
  const speedup = peerMs / oursMs;
  const cpuSpeedup = peerCpu / oursCpu;
  console.log(`speed-up vs pflogsumm  ${speedup.toFixed(1)}× wall, ${cpuSpeedup.toFixed(1)}× CPU  (target ≥ 10×) ${speedup >= 10 ? 'met' : 'NOT met'} on wall time`);
  console.log(`our peak RSS           ${oursMb.toFixed(0)} MB  (target ≤ 250 MB) ${oursMb <= 250 ? 'met' : 'NOT met'}`);
  console.log();
  console.log(table([
    ['totals', 'monitor', 'pflogsumm'],
    ['received', doc.totals.received, p.received],
    ['delivered', doc.totals.delivered, p.delivered],
    ['deferred (messages)', doc.totals.deferredMessages, p.deferred],
    ['deferrals', doc.totals.deferred, p.deferrals],
    ['bounced', doc.totals.bounced, p.bounced],
    ['rejected', doc.totals.rejected, p.rejected],
  ]));
  console.log(`findings: ${doc.findings.map((f: { code: string }) => f.code).join(', ') || 'none'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
