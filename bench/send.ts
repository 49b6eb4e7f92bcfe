/**
 * bench/send — `send --separate` to 2,000 recipients beside the C load generator, measured in the
 * same run, loopback only.
 *
 *   npm run build && node --import tsx bench/send.ts [--recipients 2000] [--swaks 100] [--runs 3] [--compare <dir>]
 *
 * Each of ours and the two smtp-source runs is repeated --runs times, interleaved (ours, peer, peer,
 * ours, …) so a busy machine slows both alike; the table shows medians, min–max beside them.
 *
 * Receiver: Postfix's smtp-sink (a real, fast SMTP server that accepts and discards) on 127.0.0.1.
 * Message: bench/fixtures/send-2k.eml (2,048 bytes), no DKIM, no TLS (smtp-sink offers none).
 *  - ours: the built CLI, wall time from spawn to exit (start-up, SQLite store, DNS for the MX via the
 *    fixture DNS server, every transaction), messages/s, and peak RSS from /usr/bin/time -v.
 *  - CPU: user + system time of each run (/usr/bin/time -v), ours and smtp-source's alike: on a
 *    shared machine it moves less than the wall time does.
 *  - smtp-source -s 10 -m N -l 2048: the same number of 2 KB messages, 10 sessions, a new connection
 *    for every message (its default); and with -d (connections reused), for reference.
 *  - swaks: a shell loop of 100 single-message runs, the way people send test mail by hand; per-message
 *    time beside ours.
 *  - --compare <dir>: another build of mailpace-cli (a directory with bin/ and dist/, e.g. the previous
 *    version built elsewhere) run beside ours in every round (each goes first in turn), so both meet
 *    the same load.
 * Targets: ours ≥ 25 % of smtp-source's rate, ≥ 50× faster per message than swaks, peak RSS ≤ 200 MB.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer } from '../test/helpers/dns-server.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--recipients', 2000);
const SWAKS_N = arg('--swaks', 100);
const RUNS = arg('--runs', 3);
const COMPARE = process.argv.includes('--compare') ? process.argv[process.argv.indexOf('--compare') + 1] : undefined;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const DOMAIN = 'bench.example';
const BIN = join(process.cwd(), 'bin', 'mailpace-cli.js');
const MESSAGE = join(process.cwd(), 'bench', 'fixtures', 'send-2k.eml');
const work = mkdtempSync(join(tmpdir(), 'bench-send-'));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
  });
}

/** User + system seconds reported by /usr/bin/time -v (in its stderr). */
function cpuSeconds(stderr: string): number {
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr)?.[1];
  const sys = /System time \(seconds\): ([\d.]+)/.exec(stderr)?.[1];
  return Number(user ?? NaN) + Number(sys ?? NaN);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => {
        c.destroy();
        r(true);
      });
      c.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`smtp-sink did not listen on 127.0.0.1:${port}`);
}

async function main(): Promise<void> {
  for (const t of ['smtp-sink', 'smtp-source']) if (!has(t)) throw new Error(`${t} is not installed (Debian package postfix)`);
  const dns = await startDnsServer({ [DOMAIN]: { MX: [{ priority: 10, exchange: `mx.${DOMAIN}` }] }, [`mx.${DOMAIN}`]: { A: ['127.0.0.1'] } }, { cache: true });
  const port = await freePort();
  // smtp-sink drops privileges to -u when run as root; backlog 1000.
  const sink = spawn('/usr/sbin/smtp-sink', [...(process.getuid?.() === 0 ? ['-u', 'postfix'] : []), '-m', '1000', `127.0.0.1:${port}`, '1000'], { stdio: 'ignore' });
  const recipients = join(work, 'recipients.txt');
  writeFileSync(recipients, Array.from({ length: N }, (_, i) => `r${String(i).padStart(5, '0')}@${DOMAIN}`).join('\n') + '\n');
  const bytes = readFileSync(MESSAGE).length;
  try {
    await waitPort(port);
    console.log(`load average at the start   ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`node ${process.version}; receiver: smtp-sink on 127.0.0.1:${port}; ${fmt(N)} messages of ${fmt(bytes)} bytes (one per recipient), no DKIM, no TLS`);

    const oursMs: number[] = [];
    const rss: number[] = [];
    const srcMs: number[] = [];
    const srcDMs: number[] = [];
    const oursCpu: number[] = [];
    const srcCpu: number[] = [];
    const srcDCpu: number[] = [];
    let delivered = NaN;
    let oursCode: number | null = null;
    const other = { ms: [] as number[], cpu: [] as number[], rss: [] as number[] };
    /** One `send` of the built CLI at `bin` into the sink with a fresh store; throws unless all were delivered. */
    const sendRun = async (bin: string, store: string) => {
      const r = await run('/usr/bin/time', ['-v', process.execPath, bin, 'send', '--from', 'bench@example.net', '--separate', '--to-file', recipients, '--message', MESSAGE, '--port', String(port), '--helo', 'bench.example.net', '--dns', dns.address, '--store', store, '--quiet', '--json']);
      let got = NaN;
      try {
        got = JSON.parse(r.stdout).summary.delivered;
      } catch {
        console.log(`${bin} printed no JSON (exit ${r.code}):\n${r.stderr.split('\n').filter((l) => !/^\t/.test(l)).join('\n')}`);
      }
      if (got !== N) throw new Error(`${bin} delivered ${got} of ${N} (exit ${r.code})`);
      return { ms: r.ms, cpu: cpuSeconds(r.stderr), rssKb: Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1] ?? NaN), code: r.code, delivered: got };
    };
    const srcArgs = ['-s', '10', '-m', String(N), '-l', '2048', '-f', 'a@example.net', '-t', `b@${DOMAIN}`, `127.0.0.1:${port}`];
    for (let i = 0; i < RUNS; i++) {
      // ---- ours: a fresh store each run ----
      // with --compare, the two builds take turns going first
      const compare = async () => {
        if (!COMPARE) return;
        const o = await sendRun(join(COMPARE, 'bin', 'mailpace-cli.js'), join(work, `compare-${i}.sqlite`));
        other.ms.push(o.ms);
        other.cpu.push(o.cpu);
        other.rss.push(o.rssKb);
      };
      if (i % 2 === 1) await compare();
      const ours = await sendRun(BIN, join(work, `store-${i}.sqlite`));
      oursCode = ours.code;
      delivered = ours.delivered;
      rss.push(ours.rssKb);
      oursMs.push(ours.ms);
      oursCpu.push(ours.cpu);
      if (i % 2 === 0) await compare();
      // ---- smtp-source: same count and size, 10 sessions; then with connections reused ----
      const src = await run('/usr/bin/time', ['-v', '/usr/sbin/smtp-source', ...srcArgs]);
      if (src.code !== 0) throw new Error(`smtp-source failed (exit ${src.code}): ${src.stderr.slice(0, 300)}`);
      srcMs.push(src.ms);
      srcCpu.push(cpuSeconds(src.stderr));
      const srcD = await run('/usr/bin/time', ['-v', '/usr/sbin/smtp-source', '-d', ...srcArgs]);
      if (srcD.code !== 0) throw new Error(`smtp-source -d failed (exit ${srcD.code}): ${srcD.stderr.slice(0, 300)}`);
      srcDMs.push(srcD.ms);
      srcDCpu.push(cpuSeconds(srcD.stderr));
    }
    const rssKb = Math.max(...rss);
    const rate = (ms: number) => (N / ms) * 1000;
    const oursRate = rate(median(oursMs));
    const srcRate = rate(median(srcMs));
    const srcDRate = rate(median(srcDMs));
    const range = (xs: number[]) => `${fmt(rate(Math.max(...xs)), 0)}–${fmt(rate(Math.min(...xs)), 0)}`;

    // ---- swaks: one process per message, in a shell loop ----
    let swaksPer = NaN;
    if (has('swaks')) {
      const loop = `for i in $(seq ${SWAKS_N}); do swaks --silent 2 --server 127.0.0.1:${port} --helo bench.example.net --from bench@example.net --to r$i@${DOMAIN} --data "${MESSAGE}" >/dev/null || exit 1; done`;
      const sw = await run('bash', ['-c', loop]);
      if (sw.code === 0) swaksPer = sw.ms / SWAKS_N;
      else console.log(`swaks loop failed (exit ${sw.code}): ${sw.stderr.slice(0, 300)}`);
    }
    const oursPer = median(oursMs) / N;

    const cpu = (xs: number[]) => `${fmt(median(xs), 2)} s`;
    const rows: [string, string, string, string, string][] = [
      ['', 'msgs/s', 'per message', `range of ${RUNS} runs`, 'CPU (user+sys)'],
      [`mailpace-cli send --separate (exit ${oursCode}, ${fmt(delivered)} delivered)`, fmt(oursRate, 1), `${fmt(oursPer, 2)} ms`, range(oursMs), cpu(oursCpu)],
      [`smtp-source -s 10 -m ${N} -l 2048`, fmt(srcRate, 1), `${fmt(median(srcMs) / N, 2)} ms`, range(srcMs), cpu(srcCpu)],
      ['smtp-source -d (connections reused)', fmt(srcDRate, 1), `${fmt(median(srcDMs) / N, 2)} ms`, range(srcDMs), cpu(srcDCpu)],
      [`swaks, ${SWAKS_N} runs in a shell loop`, fmt(1000 / swaksPer, 1), `${fmt(swaksPer, 1)} ms`, '1 run', ''],
    ];
    if (COMPARE) rows.splice(2, 0, [`the build in ${COMPARE} (same rounds)`, fmt(rate(median(other.ms)), 1), `${fmt(median(other.ms) / N, 2)} ms`, range(other.ms), cpu(other.cpu)]);
    const w0 = Math.max(...rows.map((r) => r[0].length));
    for (const r of rows) console.log(`${r[0].padEnd(w0)}  ${r[1].padStart(9)}  ${r[2].padStart(12)}  ${r[3].padStart(16)}  ${r[4].padStart(14)}`);
    console.log('');
    const ratio = oursRate / srcRate;
    const speedup = swaksPer / oursPer;
    const rssMb = rssKb / 1024;
    console.log(`ours / smtp-source          ${fmt(ratio * 100, 1)} %   (target ≥ 25 %)  ${ratio >= 0.25 ? 'met' : 'NOT met'}`);
    console.log(`swaks per message / ours    ${fmt(speedup, 1)}×      (target ≥ 50×)   ${speedup >= 50 ? 'met' : 'NOT met'}`);
    console.log(`our peak RSS                ${fmt(rssMb, 1)} MB  (target ≤ 200 MB) ${rssMb <= 200 ? 'met' : 'NOT met'}`);
    console.log(`our wall time               ${fmt(median(oursMs) / 1000, 2)} s for ${fmt(delivered)} messages (median, from spawn to exit)`);
    if (COMPARE) console.log(`${COMPARE} / smtp-source  ${fmt((rate(median(other.ms)) / srcRate) * 100, 1)} %; wall ${fmt(median(other.ms) / 1000, 2)} s, peak RSS ${fmt(Math.max(...other.rss) / 1024, 1)} MB`);
    console.log(`load average at the end     ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} CPU(s)`);
  } finally {
    sink.kill();
    await dns.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
