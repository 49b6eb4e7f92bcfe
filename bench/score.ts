/**
 * bench/score: 200 messages through the real Rspamd (scripts/services/rspamd.sh start) —
 *   - mailpace-cli score, one process, the 200 files scored concurrently over one connection pool;
 *   - the same through the core engine in this process (no Node start-up);
 *   - the peer: 200 sequential `rspamc` calls (Rspamd's own client), same envelope;
 * and our per-message overhead over the raw HTTP round trip: our engine one message at a time vs a
 * bare node:http POST /checkv2 with the same headers, both sequential.
 *
 *   node --import tsx bench/score.ts [--messages 200] [--concurrency 8]
 * Loopback only. Exits 1 when Rspamd is not running or rspamc is missing.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { serviceEnv } from '../test/helpers/services.js';
import { UndiciHttpClient } from '../src/core/http/undici-http-client.js';
import { DEFAULT_ALLOWED_EXTENSIONS } from '../src/core/score/attachment-extensions.js';
import { chooseEngine, scoreMessage, scoreMessages, type ScoreInput, type ScoreOptions } from '../src/core/score/engine.js';

const run = promisify(execFile);
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const N = arg('--messages', 200);
const CONCURRENCY = arg('--concurrency', 8);

const env = serviceEnv('rspamd');
if (!env?.RSPAMD_URL) {
  console.error('bench/score: Rspamd is not running; start it with scripts/services.sh start (or scripts/services/rspamd.sh start)');
  process.exit(1);
}
const URL_ = env.RSPAMD_URL;
const hostPort = new URL(URL_).host;
const ENV = { ip: '192.0.2.10', helo: 'mail.example.com', hostname: 'mail.example.com', from: 'team@example.com', rcpt: 'bob@example.net' };

// 200 distinct messages: the fixtures, each copy with its own Message-ID and Subject
const FIX = 'test/fixtures/messages';
const sources = readdirSync(FIX).filter((f) => f.endsWith('.eml')).sort().map((f) => readFileSync(join(FIX, f), 'latin1'));
const dir = mkdtempSync(join(tmpdir(), 'mailpace-bench-score-'));
const files: string[] = [];
for (let i = 0; i < N; i++) {
  const src = sources[i % sources.length]!;
  const text = src
    .replace(/^Message-ID: <[^>]*>/im, `Message-ID: <bench-${i}@example.com>`)
    .replace(/^Subject: (.*)$/im, `Subject: $1 #${i}`);
  const file = join(dir, `m${String(i).padStart(3, '0')}.eml`);
  writeFileSync(file, Buffer.from(text, 'latin1'));
  files.push(file);
}
const inputs: ScoreInput[] = files.map((file) => ({ file, raw: readFileSync(file) }));

function options(concurrency: number): ScoreOptions {
  return {
    engine: 'rspamd',
    rspamd: { url: URL_, explicit: true },
    envelope: { ip: ENV.ip, helo: ENV.helo, hostname: ENV.hostname, from: ENV.from, rcpt: [ENV.rcpt] },
    allSymbols: false,
    lint: { bulk: false, allowedExtensions: [...DEFAULT_ALLOWED_EXTENSIONS] },
    concurrency,
    checkLinks: false,
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

function rawCheck(body: Uint8Array): Promise<void> {
  const u = new URL('/checkv2', URL_);
  const headers = ['IP', ENV.ip, 'Helo', ENV.helo, 'Hostname', ENV.hostname, 'From', ENV.from, 'Rcpt', ENV.rcpt];
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
        resolve();
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
// the raw baseline gets keep-alive too, so the comparison is our code vs the bare exchange
const { Agent } = await import('node:http');
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

function cliRun(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [
      'bin/mailpace-cli.js', 'score', '--json', '--rspamd', URL_, '--concurrency', String(CONCURRENCY), '--fail-on', 'error',
      '--ip', ENV.ip, '--helo', ENV.helo, '--hostname', ENV.hostname, '--from', ENV.from, '--rcpt', ENV.rcpt, ...files,
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0 && code !== 1) return reject(new Error(`mailpace-cli exited ${code}`));
      const n = JSON.parse(out).results.length;
      if (n !== N) return reject(new Error(`mailpace-cli scored ${n} of ${N}`));
      resolve(ms);
    });
  });
}

async function rspamcSequential(): Promise<number> {
  const t0 = performance.now();
  for (const f of files) {
    await run('rspamc', ['-h', hostPort, '-i', ENV.ip, '--helo', ENV.helo, '--hostname', ENV.hostname, '-F', ENV.from, '-r', ENV.rcpt, '-j', f], { maxBuffer: 16 * 1024 * 1024 });
  }
  return performance.now() - t0;
}

try {
  await run('rspamc', ['--help']).catch(() => {
    throw new Error('rspamc not found (Debian package rspamd)');
  });
  const { stdout: version } = await run('rspamd', ['--version']);
  // warm-up: first requests pay for Rspamd's lazy initialisation and our module loading
  const http = new UndiciHttpClient({ connections: CONCURRENCY });
  await scoreMessages(inputs.slice(0, 10), options(CONCURRENCY), { http, timeoutMs: 10_000 });
  for (const i of inputs.slice(0, 10)) await rawCheck(i.raw);

  const cli = await cliRun();
  const engine = await timed(() => scoreMessages(inputs, options(CONCURRENCY), { http, timeoutMs: 10_000 }));
  const rspamc = await rspamcSequential();
  // Overhead, paired: each message once raw and once through our engine, back to back in alternating
  // order, so Rspamd's own variance (and a busy machine) cancels out in the per-message difference.
  const seqHttp = new UndiciHttpClient({ connections: 1 });
  const chosen = await chooseEngine(options(1), { http: seqHttp, timeoutMs: 10_000 });
  const rawMs: number[] = [];
  const oursMs: number[] = [];
  for (const [i, input] of inputs.entries()) {
    const r = async () => rawMs.push((await timed(() => rawCheck(input.raw))).ms);
    const o = async () => oursMs.push((await timed(() => scoreMessage(input, chosen, options(1), { http: seqHttp, timeoutMs: 10_000 }))).ms);
    if (i % 2 === 0) {
      await r();
      await o();
    } else {
      await o();
      await r();
    }
  }
  await seqHttp.close();
  await http.close();
  keepAlive.destroy();

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const diffs = oursMs.map((o, i) => o - rawMs[i]!);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const per = (ms: number) => (ms / N).toFixed(2);
  const line = (label: string, ms: number, note = '') => console.log(`  ${label.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms  ${per(ms).padStart(6)} ms/msg${note}`);
  console.log(`bench/score: ${N} messages (${sources.length} fixtures, varied), ${version.trim()} at ${URL_}, same envelope for all`);
  line(`mailpace-cli score, one process, concurrency ${CONCURRENCY}`, cli, `   (${(rspamc / cli).toFixed(1)}x faster than rspamc)`);
  line(`core engine in-process, concurrency ${CONCURRENCY} (no Node start-up)`, engine.ms);
  line(`rspamc x ${N}, sequential (peer)`, rspamc);
  console.log('  per-message overhead over the raw HTTP round trip (sequential, keep-alive, paired per message):');
  line('raw node:http POST /checkv2', sum(rawMs), `   median ${median(rawMs).toFixed(2)} ms`);
  line('our engine, one at a time (parse + lint + client)', sum(oursMs), `   median ${median(oursMs).toFixed(2)} ms`);
  console.log(`  overhead: median ${median(diffs).toFixed(2)} ms per message (mean ${(sum(diffs) / N).toFixed(2)} ms)`);
  console.log(`  verdict: our wall time ${cli <= rspamc ? '<=' : '>'} rspamc's (${cli.toFixed(0)} vs ${rspamc.toFixed(0)} ms)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
