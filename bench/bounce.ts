/**
 * bench/bounce — `bounce parse` beside Debian's Sisimai (libsisimai-perl) on the same messages, in the
 * same run, whole process each; then the flat-memory check on 100,000 messages.
 *
 *   npm run build && node --import tsx bench/bounce.ts [--copies 20] [--runs 3] [--big 100000]
 *
 * Messages: the corpus in ../shared/corpora/bounces (or test/fixtures/bounces), every .eml copied
 * --copies times into one flat directory (434 × 20 = 8,680 files), since Sisimai reads a directory
 * without descending into it.
 *  - ours: the built CLI, `bounce parse <dir> --format ndjson`, stdout read and counted.
 *  - sisimai: bench/sisimai-driver.pl over the same directory (Sisimai::Mail → Message → Data, the
 *    loop of Sisimai->make, one line printed per result).
 * Runs are interleaved (ours, sisimai, sisimai, ours, …) so a busy machine slows both alike; medians
 * with min–max. Peak RSS and CPU time (user + system, every thread) from /usr/bin/time -v: on a
 * shared machine the CPU time says more about the work done than the wall time does.
 * Memory check: --big messages (default 100,000) as hard links to the corpus files in one directory,
 * and as one mbox file, each parsed once; peak RSS beside the 8,680-message run's shows whether
 * memory grows with the number of messages.
 * Targets (issue "bounce"): ≥ 5× Sisimai's messages/s; peak RSS ≤ 250 MB.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { median, table } from './util.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const COPIES = arg('--copies', 20);
const RUNS = arg('--runs', 3);
const BIG = arg('--big', 100_000);
const BIN = join(process.cwd(), 'bin', 'mailpace-cli.js');
const DRIVER = join(process.cwd(), 'bench', 'sisimai-driver.pl');
const SHARED = join(process.cwd(), '..', 'shared', 'corpora', 'bounces', 'eml');
const SOURCE = existsSync(SHARED) ? SHARED : join(process.cwd(), 'test', 'fixtures', 'bounces', 'eml');
const work = mkdtempSync(join(tmpdir(), 'bench-bounce-'));
const n0 = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

interface Run {
  ms: number;
  /** CPU seconds (user + system, all threads) from GNU time. */
  cpuS: number;
  rssMb: number;
  lines: number;
  code: number | null;
  stderr: string;
}

/** Wall time, peak RSS (GNU time -v) and stdout line count of one whole process. */
function measure(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-v', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN);
      const cpuS = Number(/User time \(seconds\): ([\d.]+)/.exec(stderr)?.[1] ?? NaN) + Number(/System time \(seconds\): ([\d.]+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ ms: performance.now() - t0, cpuS, rssMb: kb / 1024, lines, code, stderr });
    });
  });
}

/** Every .eml under the corpus folder (recursively: CRLF variants live in a subfolder). */
function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...corpusFiles(p));
    else if (e.name.endsWith('.eml')) out.push(p);
  }
  return out.sort();
}

/** `count` messages as hard links to the corpus files (cycled) in one flat directory. */
function linkDir(name: string, files: string[], count: number): string {
  const d = join(work, name);
  mkdirSync(d);
  for (let i = 0; i < count; i++) linkSync(files[i % files.length]!, join(d, `${String(i).padStart(6, '0')}.eml`));
  return d;
}

/** One mbox of `count` messages (RFC 4155 From_ lines, mboxrd >From quoting). */
async function writeMbox(files: string[], count: number): Promise<string> {
  const p = join(work, 'big.mbox');
  const out = createWriteStream(p);
  const bodies = files.map((f) => readFileSync(f, 'latin1').replace(/\r\n/g, '\n').replace(/^(>*From )/gm, '>$1'));
  for (let i = 0; i < count; i++) {
    const b = bodies[i % bodies.length]!;
    if (!out.write(`From bench@example.com Thu Jan  1 00:00:00 2026\n${b}${b.endsWith('\n') ? '' : '\n'}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return p;
}

function versions(): string {
  const perl = spawnSync('perl', ['-MSisimai', '-e', 'print Sisimai->version'], { encoding: 'utf8' });
  return `node ${process.version}, Sisimai ${perl.status === 0 ? perl.stdout.trim() : '(not installed: apt-get install libsisimai-perl)'}`;
}

async function main(): Promise<void> {
  if (!existsSync(join(process.cwd(), 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  const files = corpusFiles(SOURCE);
  const dir = linkDir('corpus', files, files.length * COPIES);
  const count = files.length * COPIES;
  console.log(`bench/bounce: ${n0(count)} messages (${files.length} corpus files × ${COPIES}) in ${dir}`);
  console.log(`${versions()}; ${availableParallelism()} CPUs, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);

  const hasSisimai = spawnSync('perl', ['-MSisimai', '-e', '1']).status === 0;
  const ours: Run[] = [];
  const peer: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
    for (const who of order) {
      if (who === 'ours') {
        const r = await measure(process.execPath, [BIN, 'bounce', 'parse', dir, '--format', 'ndjson', '--quiet']);
        if (r.code !== 0 || r.lines !== count) throw new Error(`ours: exit ${r.code}, ${r.lines} lines for ${count} messages\n${r.stderr}`);
        ours.push(r);
      } else if (hasSisimai) {
        const r = await measure('perl', [DRIVER, dir]);
        if (r.code !== 0) throw new Error(`sisimai: exit ${r.code}\n${r.stderr}`);
        peer.push(r);
      }
    }
  }
  const row = (name: string, rs: Run[], what: string) => {
    const ms = rs.map((r) => r.ms);
    const med = median(ms);
    const cpu = median(rs.map((r) => r.cpuS));
    return [name, `${n0(count / (med / 1000))}/s`, `${n0(med / 1000, 2)} s (${n0(Math.min(...ms) / 1000, 2)}–${n0(Math.max(...ms) / 1000, 2)})`, `${n0(cpu, 2)} s`, `${n0(count / cpu)}/s`, `${n0(median(rs.map((r) => r.rssMb)))} MB`, what];
  };
  const rows: (string | number)[][] = [['', 'messages/s', `wall (median of ${RUNS}, min–max)`, 'CPU (user+sys)', 'messages/CPU-s', 'peak RSS', 'output'], row('mailpace-cli bounce parse', ours, `${n0(ours[0]!.lines)} ndjson lines`)];
  if (peer.length > 0) rows.push(row('Sisimai (perl)', peer, `${n0(peer[0]!.lines)} result lines; ${/sisimai-driver: (\d+) messages/.exec(peer[0]!.stderr)?.[1] ?? '?'} messages read`));
  console.log(`\n${table(rows)}`);
  if (peer.length > 0) {
    const ratio = median(peer.map((r) => r.ms)) / median(ours.map((r) => r.ms));
    const cpuRatio = median(peer.map((r) => r.cpuS)) / median(ours.map((r) => r.cpuS));
    console.log(`\nspeed: ${ratio.toFixed(1)}× Sisimai's messages/s by wall time (target ≥ 5×); ${cpuRatio.toFixed(1)}× by CPU time (less sensitive to a busy machine)`);
  } else console.log('\nSisimai is not installed (apt-get install libsisimai-perl): no comparison');

  if (BIG > 0) {
    console.log(`\nmemory check: ${n0(BIG)} messages`);
    const bigDir = linkDir('big', files, BIG);
    const d = await measure(process.execPath, [BIN, 'bounce', 'parse', bigDir, '--format', 'ndjson', '--quiet']);
    if (d.code !== 0 || d.lines !== BIG) throw new Error(`big dir: exit ${d.code}, ${d.lines} lines\n${d.stderr}`);
    rmSync(bigDir, { recursive: true, force: true });
    const mbox = await writeMbox(files, BIG);
    const mb = statSync(mbox).size / 1048576;
    const m = await measure(process.execPath, [BIN, 'bounce', 'parse', mbox, '--format', 'ndjson', '--quiet']);
    if (m.code !== 0 || m.lines !== BIG) throw new Error(`big mbox: exit ${m.code}, ${m.lines} lines\n${m.stderr}`);
    console.log(
      table([
        ['input', 'messages', 'wall', 'messages/s', 'peak RSS'],
        [`directory (${n0(COPIES)}× corpus)`, n0(count), `${n0(median(ours.map((r) => r.ms)) / 1000, 1)} s`, n0(count / (median(ours.map((r) => r.ms)) / 1000)), `${n0(median(ours.map((r) => r.rssMb)))} MB`],
        ['directory (hard links)', n0(BIG), `${n0(d.ms / 1000, 1)} s`, n0(BIG / (d.ms / 1000)), `${n0(d.rssMb)} MB`],
        [`one mbox (${n0(mb)} MB)`, n0(BIG), `${n0(m.ms / 1000, 1)} s`, n0(BIG / (m.ms / 1000)), `${n0(m.rssMb)} MB`],
      ]),
    );
    const peak = Math.max(d.rssMb, m.rssMb, ...ours.map((r) => r.rssMb));
    console.log(`\npeak RSS ${n0(peak)} MB (target ≤ 250 MB); ${n0(BIG)} messages vs ${n0(count)}: ${n0(Math.max(d.rssMb, m.rssMb) - median(ours.map((r) => r.rssMb)))} MB more`);
  }
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
