import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync, appendFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { runCli, BIN } from '../helpers/cli.js';
import { generatePostfixLog } from '../helpers/postfix-log.js';
import { runMonitor } from '../../src/core/monitor/monitor.js';
import { PARALLEL_MIN_BYTES } from '../../src/core/monitor/halves.js';

const dir = mkdtempSync(join(tmpdir(), 'monitor-cli-'));
const g = generatePostfixLog({ start: new Date('2026-11-02T00:00:00Z'), hours: 24 * 3, peakPerHour: 150, seed: 21, rfc3339: true, blocklist: { provider: 'gmail', list: 'zen.spamhaus.org', ip: '203.0.113.5', rate: 0.3, fromHour: 60, hours: 1 } });
const clean = generatePostfixLog({ start: new Date('2026-11-02T00:00:00Z'), hours: 24 * 3, peakPerHour: 150, seed: 22, rfc3339: true });
const LOG = join(dir, 'mail.log');
const CLEAN = join(dir, 'clean.log');
writeFileSync(LOG, g.text);
writeFileSync(CLEAN, clean.text);

test('--json: the documented document, and exit 1 on a blocklist reply (an error)', async () => {
  const r = await runCli(['monitor', LOG, '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'monitor');
  for (const k of ['window', 'sources', 'totals', 'groups', 'hourly', 'findings']) assert.ok(k in doc, k);
  assert.deepEqual(Object.keys(doc.window), ['from', 'to']);
  for (const k of ['file', 'format', 'lines', 'parsed', 'skipped']) assert.ok(k in doc.sources[0], k);
  for (const k of ['received', 'delivered', 'deferred', 'bounced', 'rejected', 'expired']) assert.equal(typeof doc.totals[k], 'number', k);
  assert.equal(doc.totals.delivered, g.expected.delivered);
  assert.equal(doc.totals.bounced, g.expected.bounced);
  const gmail = doc.groups[0];
  assert.equal(gmail.key, 'gmail');
  for (const k of ['key', 'totals', 'rates', 'delay', 'topReplies', 'blocklists']) assert.ok(k in gmail, k);
  for (const k of ['value', 'low', 'high']) assert.equal(typeof gmail.rates.deferral[k], 'number');
  for (const k of ['p50Ms', 'p95Ms', 'p99Ms']) assert.equal(typeof gmail.delay[k], 'number');
  for (const k of ['text', 'count', 'classification']) assert.ok(k in gmail.topReplies[0], k);
  assert.deepEqual(gmail.blocklists[0], { list: 'zen.spamhaus.org', ip: '203.0.113.5', count: gmail.blocklists[0].count });
  assert.ok(doc.findings.some((f: { code: string }) => f.code === 'BLOCKLIST_REPLY'));
});

test('a log past PARALLEL_MIN_BYTES is read by the built worker thread: the same report as one pass', async () => {
  const big = generatePostfixLog({ start: new Date('2026-11-02T00:00:00Z'), hours: 48, peakPerHour: 1400, seed: 23, deferralBurst: { provider: 'gmail', rate: 0.5, fromHour: 30, hours: 2 } });
  const BIG = join(dir, 'big.log');
  writeFileSync(BIG, big.text);
  assert.ok(Buffer.byteLength(big.text) >= PARALLEL_MIN_BYTES, `${Buffer.byteLength(big.text)} bytes`);
  const r = await runCli(['monitor', BIG, '--json', '--year', '2026']);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const { schemaVersion: _v, command: _c, ...doc } = JSON.parse(r.stdout);
  const one = await runMonitor({ inputs: [BIG], source: 'auto', by: 'provider', baselineMs: 7 * 86_400_000, now: Date.now(), year: 2026, halves: { minBytes: Number.MAX_SAFE_INTEGER } });
  for (const k of ['window', 'sources', 'totals', 'groups', 'providers', 'senderDomains', 'hourly', 'daily', 'findings'] as const) assert.deepEqual(doc[k], JSON.parse(JSON.stringify(one[k])), k);
  // The built code starts its worker thread (halves-worker.js) and merges, rather than reading the second half again.
  const built = (await import(pathToFileURL(join(BIN, '../../dist/core/monitor/monitor.js')).href)) as typeof import('../../src/core/monitor/monitor.js');
  const ways: string[] = [];
  await built.runMonitor({ inputs: [BIG], source: 'auto', by: 'provider', baselineMs: 7 * 86_400_000, now: Date.now(), year: 2026, halves: { onJoin: (how) => ways.push(how) } });
  assert.deepEqual(ways, ['merged']);
  rmSync(BIG);
});

test('a clean log exits 0 with --fail-on warning; human output names the providers', async () => {
  const r = await runCli(['monitor', CLEAN, '--fail-on', 'warning']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /gmail[^\n]*delivered/);
  assert.match(r.stdout, /no anomalies/);
  assert.ok(!/\x1b\[/.test(r.stdout), 'no colour off a TTY');
});

test('ndjson: one JSON record per line', async () => {
  const r = await runCli(['monitor', CLEAN, '--format', 'ndjson', '--by', 'sender-domain']);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(recs.some((x) => x.type === 'group' && x.key === 'shop.example'));
  assert.equal(recs[recs.length - 1].type, 'summary');
});

test('bad input: exit 2 for bad flags, 3 for unreadable or truncated files, one line each', async () => {
  for (const [args, code, re] of [
    [['monitor', CLEAN, '--since', 'last tuesday'], 2, /--since "last tuesday" is neither a duration/],
    [['monitor', CLEAN, '--until', '2026-11-01', '--since', '2026-11-03'], 2, /--until must be later than --since/],
    [['monitor', CLEAN, '--year', '20x6'], 2, /--year "20x6" is not a number/],
    [['monitor', CLEAN, '--baseline', 'forever'], 2, /--baseline "forever" is not a duration/],
    [['monitor', CLEAN, '--by', 'colour'], 2, /--by|colour/],
    [['monitor', join(dir, 'missing.log')], 3, /cannot read .*missing\.log: no such file/],
  ] as [string[], number, RegExp][]) {
    const r = await runCli(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  }
  const gz = gzipSync(Buffer.from(clean.text));
  const cut = join(dir, 'cut.log.gz');
  writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
  const t = await runCli(['monitor', cut]);
  assert.equal(t.code, 3);
  assert.match(t.stderr, /^mailpace-cli: cannot read .*cut\.log\.gz: the gzip stream is truncated\n$/);
});

test('garbage lines: counted and shown, exit 0', async () => {
  const p = join(dir, 'garbage.log');
  writeFileSync(p, `${clean.text}not a log line\n\u0000\u0001\n`);
  const r = await runCli(['monitor', p, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.sources[0].skipped, 2);
  assert.equal(doc.sources[0].skippedExamples[0].text, 'not a log line');
});

test('--prometheus-textfile writes the metrics atomically (no temporary file left)', async () => {
  const out = join(dir, 'mail.prom');
  const r = await runCli(['monitor', CLEAN, '--prometheus-textfile', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const text = readFileSync(out, 'utf8');
  assert.match(text, /# TYPE mailpace_delivered_total counter\nmailpace_delivered_total\{provider="gmail"\} \d+/);
  assert.match(text, /mailpace_delivery_delay_seconds\{provider="gmail",quantile="0.95"\} [\d.]+/);
  assert.ok(!readFileSync(out, 'utf8').includes('NaN'));
  assert.deepEqual(
    (await import('node:fs')).readdirSync(dir).filter((f) => f.includes('.tmp')),
    [],
  );
  const bad = await runCli(['monitor', CLEAN, '--prometheus-textfile', join(dir, 'no', 'such', 'dir.prom')]);
  assert.equal(bad.code, 3);
  assert.match(bad.stderr, /cannot write --prometheus-textfile/);
});

test('--help loads neither ink, react, mailauth nor SQLite; monitor --help documents the exit codes', async () => {
  const trace = join(dir, 'trace.txt');
  const env = { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` };
  const r = await runCli(['--help'], { env });
  assert.equal(r.code, 0);
  const loaded = readFileSync(trace, 'utf8');
  assert.match(loaded, /node_modules\/commander\//);
  for (const m of ['node_modules/ink/', 'node_modules/react/', 'node_modules/mailauth/', 'node_modules/better-sqlite3/', 'node_modules/fzstd/', 'core/monitor/']) assert.ok(!loaded.includes(m), `${m} loaded by --help`);
  rmSync(trace, { force: true });
  const h = await runCli(['monitor', '--help'], { env });
  assert.match(h.stdout, /Exit codes:[^]*0 nothing at or above --fail-on; 1 an anomaly[^]*2 bad usage[^]*3 an input could not be read/);
  // a plain run reads no ink either (no TTY)
  rmSync(trace, { force: true });
  await runCli(['monitor', CLEAN, '--json'], { env });
  const run = readFileSync(trace, 'utf8');
  assert.ok(!run.includes('node_modules/ink/') && !run.includes('node_modules/better-sqlite3/'));
  // nor the DNS stack: reading a log resolves no names
  for (const m of ['core/dns/socket-resolver', 'node:dgram']) assert.ok(!run.includes(m), `${m} loaded by monitor`);
});

test('--follow (no TTY): prints alerts as lines as the log grows, and follows a rotation', async () => {
  const live = join(dir, 'live.log');
  writeFileSync(live, '');
  const child = spawn(process.execPath, [BIN, 'monitor', live, '--follow', '--format', 'ndjson'], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const waitFor = async (re: RegExp) => {
    for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, re);
  };
  const now = new Date();
  const line = (i: number, ip: string) =>
    `${now.toISOString().replace('Z', '+00:00')} mx postfix/smtp[1]: A${String(i).padStart(9, '0')}: to=<u${i}@gmail.com>, relay=gmail-smtp-in.l.google.com[192.0.2.10]:25, delay=1, delays=0/0/0.5/0.5, dsn=5.7.1, status=bounced (host gmail-smtp-in.l.google.com[192.0.2.10] said: 550 5.7.1 Client host [${ip}] blocked using zen.spamhaus.org (in reply to RCPT TO command))\n`;
  try {
    await new Promise((r) => setTimeout(r, 500));
    appendFileSync(live, line(1, '203.0.113.5'));
    await waitFor(/"code":"BLOCKLIST_REPLY"[^\n]*203\.0\.113\.5/);
    renameSync(live, `${live}.1`);
    writeFileSync(live, line(2, '203.0.113.66'));
    await waitFor(/"code":"BLOCKLIST_REPLY"[^\n]*203\.0\.113\.66/);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 1, 'an error-level alert fired: exit 1 on stop');
  assert.ok(existsSync(`${live}.1`));
});

test('--follow: the live log reads on with the state of what was read first (an expiry counts under the deferral\'s provider)', async () => {
  const live = join(dir, 'carry.log');
  const prom = join(dir, 'carry.prom');
  const stamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+00:00');
  const t = Date.now() - 60_000;
  writeFileSync(
    live,
    [
      `${stamp(t)} mx postfix/qmgr[3]: 9C8D7E6F5A: from=<news@shop.example>, size=2345, nrcpt=1 (queue active)`,
      `${stamp(t + 1000)} mx postfix/smtp[4]: 9C8D7E6F5A: to=<ann@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=1, delays=0/0/0.5/0.5, dsn=4.7.0, status=deferred (host mta5.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages temporarily deferred (in reply to MAIL FROM command))`,
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [BIN, 'monitor', live, '--follow', '--format', 'ndjson', '--prometheus-textfile', prom], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  try {
    await new Promise((r) => setTimeout(r, 1500));
    appendFileSync(live, `${stamp(Date.now())} mx postfix/qmgr[3]: 9C8D7E6F5A: from=<news@shop.example>, status=expired, returned to sender\n`);
    await new Promise((r) => setTimeout(r, 3000));
  } finally {
    child.kill('SIGTERM');
  }
  await new Promise((r) => child.on('close', r));
  const text = readFileSync(prom, 'utf8');
  assert.match(text, /^mailpace_expired_total\{provider="yahoo"\} 1$/m, err);
  assert.doesNotMatch(text, /^mailpace_expired_total\{provider="other"\} [1-9]/m);
});

test('--source store: placement runs kept by `placement` become trends per provider; a drop is a warning (exit 1 with --fail-on warning)', async () => {
  const { SqliteStore } = await import('../../src/core/store/sqlite-store.js');
  const path = join(dir, 'placement.sqlite');
  const store = new SqliteStore(path);
  const t0 = Date.parse('2026-11-02T00:00:00Z');
  for (let i = 0; i < 12; i++) {
    // yahoo's seed goes to spam in the last three runs; gmail stays in the inbox
    const spam = i >= 9;
    await store.addPlacementRun({
      id: `run${i}`,
      startedAt: t0 + i * 3_600_000,
      finishedAt: t0 + i * 3_600_000 + 30_000,
      messageId: `<run${i}@example.com>`,
      seeds: [
        { address: 'seed1@gmail.example', provider: 'gmail', placement: 'inbox', folder: 'INBOX', timeToInboxMs: 2000 + i * 100, sendStatus: 'delivered' },
        { address: 'seed2@gmail.example', provider: 'gmail', placement: 'inbox', folder: 'INBOX', timeToInboxMs: 3000 + i * 100, sendStatus: 'delivered' },
        { address: 'seed3@yahoo.example', provider: 'yahoo', placement: spam ? 'spam' : 'inbox', folder: spam ? 'Bulk' : 'INBOX', timeToInboxMs: 4000, sendStatus: 'delivered' },
        { address: 'seed4@yahoo.example', provider: 'yahoo', placement: spam ? 'spam' : 'inbox', folder: spam ? 'Bulk' : 'INBOX', timeToInboxMs: 4100, sendStatus: 'delivered' },
      ],
    });
  }
  await store.close();
  const r = await runCli(['monitor', '--source', 'store', '--store', path, '--json', '--fail-on', 'warning'], { env: { MAILPACE_STORE: undefined } });
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual({ window: doc.placement.window.runs, baseline: doc.placement.baseline.runs }, { window: 3, baseline: 9 });
  const yahoo = doc.placement.providers.find((p: { provider: string }) => p.provider === 'yahoo');
  assert.deepEqual([yahoo.window.inboxRate, yahoo.baseline.inboxRate], [0, 1]);
  assert.equal(yahoo.runs.length, 12);
  const drops = doc.findings.filter((f: { code: string }) => f.code.startsWith('PLACEMENT_'));
  assert.deepEqual(drops.map((f: { code: string; evidence: { provider: string } }) => `${f.code}:${f.evidence.provider}`), ['PLACEMENT_INBOX_RATE_DROP:yahoo']);
  const human = await runCli(['monitor', '--source', 'store', '--store', path], { env: { MAILPACE_STORE: undefined } });
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /Placement runs: 3 in the window \(2026-11-02T09:00:00\.000Z → 2026-11-02T11:00:00\.000Z\), 9 before it/);
  assert.match(human.stdout, /yahoo\n {4}window {4}inbox 0% \(0\/6; 6 spam\)/);
  assert.match(human.stdout, /PLACEMENT_INBOX_RATE_DROP/);
});
