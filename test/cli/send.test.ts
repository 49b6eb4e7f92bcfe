/**
 * send, queue, suppression and log through the built binary: JSON shape, exit codes, bad input
 * refused before any connection, state kept in the store between runs.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { assertValidJunit, failingCases } from '../helpers/junit.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { startFakeMx, type FakeMx } from '../helpers/smtp-server.js';

let dns: DnsFixtureServer;
let mx: FakeMx;
let dir: string;
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailpace-send-cli-'));
  mx = await startFakeMx({
    rcptReplies: {
      'unknown@example.test': { code: 550, message: '5.1.1 <unknown@example.test>: Recipient address rejected: User unknown' },
      'later@example.test': { code: 451, message: '4.3.0 Temporary failure, try again later' },
    },
  });
  dns = await startDnsServer({
    'example.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    'mx.example.test': { A: ['127.0.0.1'] },
  });
});
after(async () => {
  await mx.stop();
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
});

const store = () => join(dir, `s${n++}.sqlite`);
const base = (s: string) => ['--dns', `127.0.0.1:${dns.port}`, '--store', s, '--timeout', '3s'];
const sendArgs = (s: string, to: string[]) => ['send', '--from', 'me@example.com', ...to.flatMap((t) => ['--to', t]), '--port', String(mx.port), '--helo', 'client.example.com', ...base(s)];

test('send --json: delivered, exit 0, the documented shape', async () => {
  const s = store();
  const r = await runCli([...sendArgs(s, ['ok@example.test']), '--subject', 'Hello', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'send');
  assert.match(doc.messageId, /^<[^>]+@example\.com>$/);
  assert.equal(typeof doc.queueId, 'string');
  assert.deepEqual(doc.summary, { delivered: 1, deferred: 0, bounced: 0, suppressed: 0, expired: 0 });
  const rc = doc.recipients[0];
  assert.deepEqual(Object.keys(rc).sort(), ['attempts', 'hard', 'reason', 'recipient', 'status', 'suppressed']);
  assert.equal(rc.status, 'delivered');
  const a = rc.attempts[0];
  for (const k of ['at', 'mx', 'address', 'port', 'tls', 'reply', 'classification']) assert.ok(k in a, k);
  assert.deepEqual(Object.keys(a.classification).filter((k) => ['reason', 'hard', 'suppress', 'retry'].includes(k)).sort(), ['hard', 'reason', 'retry', 'suppress']);
  assert.ok(mx.messages.some((m) => m.includes(doc.messageId) && m.includes('Subject: Hello')));
});

test('a hard bounce exits 1 and suppresses; the next send reports it suppressed; suppression list shows it', async () => {
  const s = store();
  const r1 = await runCli([...sendArgs(s, ['unknown@example.test']), '--json']);
  assert.equal(r1.code, 1, r1.stderr);
  const d1 = JSON.parse(r1.stdout);
  assert.equal(d1.recipients[0].status, 'bounced');
  assert.equal(d1.recipients[0].reason, 'userunknown');
  assert.equal(d1.recipients[0].suppressed, true);
  const r2 = await runCli([...sendArgs(s, ['unknown@example.test']), '--json']);
  assert.equal(r2.code, 1);
  assert.equal(JSON.parse(r2.stdout).recipients[0].status, 'suppressed');
  const list = await runCli(['suppression', 'list', '--json', '--store', s]);
  assert.equal(list.code, 0);
  assert.deepEqual(JSON.parse(list.stdout).suppressions.map((x: { address: string; reason: string }) => [x.address, x.reason]), [['unknown@example.test', 'hard-bounce']]);
  // --force sends anyway
  const r3 = await runCli([...sendArgs(s, ['unknown@example.test']), '--force', '--json']);
  assert.equal(JSON.parse(r3.stdout).recipients[0].status, 'bounced');
});

test('a deferral exits 3 and stays queued; queue list shows it; log shows the attempt; queue delete removes it', async () => {
  const s = store();
  const r = await runCli([...sendArgs(s, ['later@example.test']), '--json']);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.recipients[0].status, 'deferred');
  assert.match(r.stderr, /queue run/);
  const q = await runCli(['queue', 'list', '--json', '--store', s]);
  const ql = JSON.parse(q.stdout);
  assert.equal(ql.command, 'queue list');
  assert.equal(ql.messages[0].queueId, doc.queueId);
  assert.equal(ql.messages[0].recipients[0].status, 'deferred');
  assert.equal(ql.messages[0].recipients[0].lastReply.code, 451);
  const log = await runCli(['log', '--json', '--store', s, '--recipient', 'later@example.test']);
  assert.equal(JSON.parse(log.stdout).entries[0].status, 'deferred');
  // queue run now: not due yet (5 min back-off) → nothing attempted, still queued
  const run = await runCli(['queue', 'run', '--json', '--store', s, ...base(s).slice(0, 2)]);
  assert.equal(run.code, 3);
  const del = await runCli(['queue', 'delete', doc.queueId, '--store', s]);
  assert.equal(del.code, 0);
  assert.equal(JSON.parse((await runCli(['queue', 'list', '--json', '--store', s])).stdout).messages.length, 0);
});

test('bad input is refused before any connection (exit 2, one line, no stack trace)', async () => {
  const s = store();
  const before = mx.connections;
  const key = join(dir, 'bad.pem');
  writeFileSync(key, 'not a key');
  const cases: [string[], RegExp][] = [
    [['send', '--to', 'a@example.test', ...base(s)], /--from is required/],
    [['send', '--from', 'me@example.com', ...base(s)], /--to/],
    [['send', '--from', 'not an address', '--to', 'a@example.test', ...base(s)], /--from "not an address" is not an address/],
    [['send', '--from', 'me@example.com', '--to', 'a@@x', ...base(s)], /--to "a@@x" is not an address/],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--message', join(dir, 'missing.eml'), ...base(s)], /cannot read --message .*no such file/],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--dkim-key', key, '--dkim-selector', 's1', ...base(s)], /key/i],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--dkim-key', key, ...base(s)], /--dkim-selector/],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--backoff', '1h,5m', ...base(s)], /--backoff/],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--relay', 'http://x', ...base(s)], /smtp:\/\//],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--relay', 'smtp://u:p@relay.example', ...base(s)], /must not carry credentials/],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--relay', 'smtp://relay.example', '--user', 'u', ...base(s)], /password/],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--attach', join(dir, 'bad.pem'), ...base(s)], /attach/i],
    [['send', '--from', 'me@example.com', '--to', 'a@example.test', '--clamd', 'nonsense:port:x', ...base(s)], /--clamd/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}\n${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.equal(mx.connections, before, 'nothing connected');
});

test('--dry-run prints the plan and sends nothing', async () => {
  const s = store();
  const before = mx.connections;
  const r = await runCli([...sendArgs(s, ['a@example.test', 'b@example.test', 'c@other.test']), '--separate', '--dry-run', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.dryRun, true);
  assert.deepEqual(doc.plan.domains, [
    { domain: 'example.test', recipients: 2, transactions: 2 },
    { domain: 'other.test', recipients: 1, transactions: 1 },
  ]);
  assert.equal(mx.connections, before);
});

test('suppression add/remove/import/export round trip', async () => {
  const s = store();
  assert.equal((await runCli(['suppression', 'add', 'A@example.test', '--reason', 'complaint', '--store', s])).code, 0);
  const csv = join(dir, 'import.csv');
  writeFileSync(csv, 'address,reason,detail\nb@example.test,hard-bounce,"550 5.1.1, user unknown"\nnot-an-address\n');
  const imp = await runCli(['suppression', 'import', csv, '--store', s, '--json']);
  assert.equal(imp.code, 1, 'a bad line is reported');
  assert.equal(JSON.parse(imp.stdout).added, 1);
  const exp = await runCli(['suppression', 'export', '--store', s]);
  assert.match(exp.stdout, /^address,reason,detail,source,created_at\r\n/, 'RFC 4180 CSV');
  assert.match(exp.stdout, /b@example\.test,hard-bounce,"550 5\.1\.1, user unknown",import,/);
  assert.match(exp.stdout, /a@example\.test,complaint,,cli,/);
  assert.equal((await runCli(['suppression', 'remove', 'a@example.test', '--store', s])).code, 0);
  assert.equal((await runCli(['suppression', 'remove', 'a@example.test', '--store', s])).code, 1);
  const list = JSON.parse((await runCli(['suppression', 'list', '--json', '--store', s])).stdout);
  assert.deepEqual(list.suppressions.map((x: { address: string }) => x.address), ['b@example.test']);
});

test('two send processes at once on one store: both complete, every attempt logged, the store intact', async () => {
  const s = store();
  const batch = (tag: string) => Array.from({ length: 15 }, (_, i) => `${tag}${i}@example.test`);
  const [a, b] = await Promise.all([
    runCli([...sendArgs(s, batch('a')), '--separate', '--json']),
    runCli([...sendArgs(s, batch('b')), '--separate', '--json']),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(JSON.parse(a.stdout).summary.delivered, 15);
  assert.equal(JSON.parse(b.stdout).summary.delivered, 15);
  const log = JSON.parse((await runCli(['log', '--json', '--limit', '1000', '--store', s])).stdout);
  assert.equal(log.entries.filter((e: { status: string }) => e.status === 'delivered').length, 30);
  assert.equal(JSON.parse((await runCli(['queue', 'list', '--json', '--store', s])).stdout).messages.length, 0);
});

test('send --format junit|github: a testcase per recipient, failing unless delivered; the exit code as with --json', async () => {
  const s = store();
  const r = await runCli([...sendArgs(s, ['fine@example.test', 'unknown@example.test', 'later@example.test']), '--format', 'junit']);
  assert.equal(r.code, 3, r.stderr);
  assertValidJunit(r.stdout);
  assert.deepEqual(failingCases(r.stdout).map((c) => c.slice(1)), [
    ['unknown@example.test', 'RECIPIENT_BOUNCED'],
    ['later@example.test', 'RECIPIENT_DEFERRED'],
    [r.stdout.match(/name="(message &lt;[^"]+&gt;)"/)![1]!, 'TLS_NOT_USED'], // the fake MX offers no STARTTLS: a warning fails too
  ]);
  assert.match(r.stdout, /<testsuite name="send" tests="4" failures="3" errors="0" skipped="0"/);
  assert.match(r.stdout, /bounced \(userunknown, hard\) — 550 5\.1\.1/);
  const g = await runCli([...sendArgs(store(), ['unknown@example.test']), '--format', 'github']);
  assert.equal(g.code, 1, g.stderr);
  assert.match(g.stdout, /^::error title=RECIPIENT_BOUNCED · send › unknown@example\.test::unknown@example\.test: bounced/m);
  assert.match(g.stdout, /^mailpace-cli send: 1 passed, 1 failed, 0 could not be checked, 0 skipped \(exit 1\)$/m);
  const q = await runCli(['queue', 'run', '--format', 'junit', ...base(s)]);
  assert.equal(q.code, 3, q.stderr);
  assertValidJunit(q.stdout);
  assert.deepEqual(failingCases(q.stdout).map((c) => c.slice(1)), [['later@example.test', 'RECIPIENT_DEFERRED']]);
  const both = await runCli([...sendArgs(store(), ['fine@example.test']), '--format', 'junit', '--json']);
  assert.equal(both.code, 2);
});

test('send --message without a terminal loads only what delivering it needs: no chalk, composer, DKIM, ink, react, ora or undici', async () => {
  const s = store();
  const trace = join(dir, `modules-${n}.txt`);
  const eml = join(dir, 'startup.eml');
  writeFileSync(eml, 'From: me@example.com\r\nTo: ok@example.test\r\nSubject: start-up\r\nMessage-ID: <startup@example.com>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n\r\nHello.\r\n');
  const r = await runCli(['send', '--from', 'me@example.com', '--to', 'ok@example.test', '--message', eml, '--port', String(mx.port), '--helo', 'client.example.com', ...base(s), '--json'], {
    env: { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).summary.delivered, 1);
  const loaded = readFileSync(trace, 'utf8');
  // tracing works: what the path needs is seen
  for (const m of ['node_modules/commander/', 'node_modules/nodemailer/dist/esm/smtp-connection/', 'node_modules/postal-mime/', 'node_modules/better-sqlite3/']) assert.ok(loaded.includes(m), `${m} not seen`);
  for (const m of ['node_modules/chalk/', 'node_modules/nodemailer/dist/esm/mail-composer/', 'node_modules/mailauth/', 'node_modules/ink/', 'node_modules/react/', 'node_modules/ora/', 'node_modules/undici/']) {
    assert.ok(!loaded.includes(m), `${m} was loaded by send --message`);
  }
});
