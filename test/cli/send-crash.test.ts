/**
 * send survives kill -9: the built CLI is killed (SIGKILL, no clean-up of any kind) while it waits
 * to retry a greylisted recipient; `queue run` on the same store later delivers the message, once.
 * The recipient MX is an in-process smtp-server greylisting on the real clock, found through a
 * fixture DNS server's MX record. Loopback only.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/core/clock.js';
import { BIN, runCli } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { startFakeMx, type FakeMx } from '../helpers/smtp-server.js';

let dns: DnsFixtureServer;
let mx: FakeMx;
let dir: string;

before(async () => {
  mx = await startFakeMx({ greylist: { delayMs: 1000, clock: systemClock } });
  dns = await startDnsServer({
    'crash.example': { MX: [{ priority: 10, exchange: 'mx.crash.example' }] },
    'mx.crash.example': { A: ['127.0.0.1'] },
  });
  dir = mkdtempSync(join(tmpdir(), 'mailpace-send-crash-'));
});
after(async () => {
  await mx.stop();
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves when `pred` holds, checking every 20 ms; rejects after `ms` with `what`. */
async function until(pred: () => boolean, ms: number, what: () => string): Promise<void> {
  for (let waited = 0; !pred(); waited += 20) {
    if (waited >= ms) throw new Error(`timed out waiting for ${what()}`);
    await sleep(20);
  }
}

test('kill -9 while waiting out greylisting: queue run delivers the message exactly once, and the log keeps both attempts', { timeout: 60_000 }, async () => {
  const store = join(dir, 's.sqlite');
  const rcpt = 'someone@crash.example';
  const global = ['--dns', dns.address, '--store', store, '--timeout', '5s'];
  const child: ChildProcess = spawn(
    process.execPath,
    [BIN, 'send', '--from', 'sender@example.net', '--to', rcpt, '--subject', 'crash test', '--port', String(mx.port), '--helo', 'client.example.net', '--retry', '--backoff', '1s,1s', '--greylist-delay', '1s', '--json', ...global],
    { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.on('data', (d) => (stdout += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  try {
    // the first RCPT was greylisted, and the CLI says it is waiting for the next attempt
    await until(() => mx.greylistLog.length >= 1, 20_000, () => `the first RCPT (stderr: ${stderr})`);
    await until(() => /next attempt in/.test(stderr), 20_000, () => `the CLI to wait (stderr: ${stderr})`);
    child.kill('SIGKILL');
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const end = await exited;
  assert.equal(end.signal, 'SIGKILL', `the CLI ended by itself before the kill: ${JSON.stringify(end)}\n${stderr}\n${stdout}`);
  assert.equal(stdout, '', 'killed before it could report');
  // killed between attempts: one greylisted RCPT, nothing delivered yet
  assert.deepEqual(mx.greylistLog.map((g) => g.accepted), [false]);
  assert.equal(mx.messages.length, 0);

  // the store kept the message queued, with the deferred recipient due after the greylisting delay
  const q1 = await runCli(['queue', 'list', '--json', ...global]);
  assert.equal(q1.code, 0, q1.stderr);
  const queued = JSON.parse(q1.stdout).messages;
  assert.equal(queued.length, 1, q1.stdout);
  const messageId: string = queued[0].messageId;
  const r0 = queued[0].recipients[0];
  assert.equal(r0.recipient, rcpt);
  assert.equal(r0.status, 'deferred');
  assert.equal(r0.attempts, 1);
  assert.equal(r0.lastReply.code, 450);

  // after the delay (the store's own next-attempt time), one pass of the queue delivers it
  const due = Date.parse(r0.nextAttemptAt);
  const greyUntil = mx.greylistLog[0]!.at + 1000;
  await sleep(Math.max(due, greyUntil) - Date.now() + 100);
  const run = await runCli(['queue', 'run', '--helo', 'client.example.net', '--json', ...global]);
  assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
  const doc = JSON.parse(run.stdout);
  assert.equal(doc.command, 'queue run');
  assert.equal(doc.messages[0].recipients[0].status, 'delivered');

  const copies = mx.messages.filter((m) => m.includes(messageId));
  assert.equal(copies.length, 1, `${mx.messages.length} message(s) at the MX, ${copies.length} with ${messageId}`);
  assert.equal(mx.messages.length, 1);
  assert.deepEqual(mx.greylistLog.map((g) => g.accepted), [false, true]);

  const q2 = await runCli(['queue', 'list', '--json', ...global]);
  assert.equal(q2.code, 0, q2.stderr);
  assert.deepEqual(JSON.parse(q2.stdout).messages, []);

  const log = await runCli(['log', '--json', ...global]);
  assert.equal(log.code, 0, log.stderr);
  const entries = JSON.parse(log.stdout).entries.filter((e: { messageId: string; status: string }) => e.messageId === messageId && e.status !== 'sending');
  // newest first: the delivery, then the greylisted attempt
  assert.deepEqual(entries.map((e: { status: string }) => e.status), ['delivered', 'deferred'], log.stdout);
  assert.equal(entries[1].reply.code, 450);
  assert.equal(entries[1].classification.greylisted, true);
  assert.equal(entries[0].reply.code, 250);
});
