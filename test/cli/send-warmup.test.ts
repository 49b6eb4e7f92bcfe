/**
 * send --warmup through the built binary: a plan written by `warmup plan --out` caps each
 * provider's day; over-cap recipients stay queued (deferred, warmup-cap) and later runs on the same
 * day send nothing more to that provider. Gmail- and Microsoft-hosted test domains are fixture DNS
 * names whose MX hosts resolve to the loopback fake MX.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { startFakeMx, type FakeMx } from '../helpers/smtp-server.js';

let dns: DnsFixtureServer;
let mx: FakeMx;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailpace-warmup-send-'));
  mx = await startFakeMx({});
  dns = await startDnsServer({
    'gm.example': { MX: [{ priority: 5, exchange: 'gmail-smtp-in.l.google.com' }] },
    'gmail-smtp-in.l.google.com': { A: ['127.0.0.1'] },
    'ms.example': { MX: [{ priority: 0, exchange: 'ms-example.mail.protection.outlook.com' }] },
    'ms-example.mail.protection.outlook.com': { A: ['127.0.0.1'] },
  });
});
after(async () => {
  await mx.stop();
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A one-day plan sending around the clock: gmail 3 a day (2 an hour), microsoft 4 a day. */
function writePlan(): string {
  const path = join(dir, 'plan.json');
  writeFileSync(
    path,
    JSON.stringify({
      schemaVersion: 1,
      command: 'warmup plan',
      curve: 'geometric',
      target: 7,
      hours: { from: 0, to: 24 },
      days: [{ day: 1, total: 7, hourlyCap: 6, providers: { gmail: { volume: 3, hourlyCap: 2 }, microsoft: { volume: 4, hourlyCap: 4 } } }],
      mix: { gmail: 0.43, microsoft: 0.57 },
      sources: [],
    }),
  );
  return path;
}

test('send --warmup: caps per provider; the rest waits as warmup-cap; a second run the same hour sends no more', async () => {
  const plan = writePlan();
  const store = join(dir, 'w.sqlite');
  const to = ['a@gm.example', 'b@gm.example', 'c@gm.example', 'a@ms.example', 'b@ms.example'];
  const args = ['send', '--from', 'me@example.com', ...to.flatMap((t) => ['--to', t]), '--separate', '--warmup', plan, '--port', String(mx.port), '--helo', 'client.example.com', '--dns', `127.0.0.1:${dns.port}`, '--store', store, '--timeout', '3s', '--json'];
  const before = mx.messages.length;
  const r = await runCli(args);
  assert.equal(r.code, 3, `deferred recipients exit 3\n${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  const byStatus = (s: string) => doc.recipients.filter((x: { status: string }) => x.status === s).map((x: { recipient: string }) => x.recipient).sort();
  assert.deepEqual(byStatus('delivered'), ['a@gm.example', 'a@ms.example', 'b@gm.example', 'b@ms.example'], 'gmail: 2 an hour; microsoft: both');
  const waiting = doc.recipients.filter((x: { status: string }) => x.status === 'deferred');
  assert.deepEqual(waiting.map((x: { recipient: string; reason: string }) => [x.recipient, x.reason]), [['c@gm.example', 'warmup-cap']]);
  assert.ok(Date.parse(waiting[0].nextAttemptAt) > Date.now(), 'it waits for the next hour');
  assert.equal(waiting[0].attempts.length, 0, 'a held recipient was never offered');
  const f = doc.findings.find((x: { code: string }) => x.code === 'WARMUP_CAP_REACHED');
  assert.ok(f, JSON.stringify(doc.findings));
  assert.match(f.message, /^gmail: day 1 of the warm-up plan allows 3 today and 2 an hour/);
  assert.equal(mx.messages.length - before, 4);

  // the log counts per provider: a second send in the same hour gets nothing more to gmail
  const again = await runCli(args.map((a) => (a === 'c@gm.example' ? 'd@gm.example' : a)));
  const doc2 = JSON.parse(again.stdout);
  assert.deepEqual(
    doc2.recipients.filter((x: { recipient: string }) => x.recipient.endsWith('@gm.example')).map((x: { status: string; reason: string }) => `${x.status}/${x.reason}`),
    ['deferred/warmup-cap', 'deferred/warmup-cap', 'deferred/warmup-cap'],
  );
  assert.deepEqual(
    doc2.recipients.filter((x: { recipient: string }) => x.recipient.endsWith('@ms.example')).map((x: { status: string }) => x.status),
    ['delivered', 'delivered'],
    'microsoft had 4 for the day: 2 used, 2 left',
  );
  const log = JSON.parse((await runCli(['log', '--json', '--store', store])).stdout);
  assert.equal(log.entries.length, 6, 'six attempts logged in all');
});

test('send --warmup with a file that is not a plan: exit 2 before any connection, saying how to write one', async () => {
  const bad = join(dir, 'notaplan.json');
  writeFileSync(bad, '{"command":"send"}');
  const before = mx.messages.length;
  const r = await runCli(['send', '--from', 'me@example.com', '--to', 'a@gm.example', '--warmup', bad, '--port', String(mx.port), '--dns', `127.0.0.1:${dns.port}`, '--store', join(dir, 'x.sqlite')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /is not a warm-up plan: .*make one with: mailpace-cli warmup plan … --out plan\.json/);
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  assert.equal(mx.messages.length, before);
  const missing = await runCli(['send', '--from', 'me@example.com', '--to', 'a@gm.example', '--warmup', join(dir, 'nope.json'), '--dns', `127.0.0.1:${dns.port}`, '--store', join(dir, 'x.sqlite')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--warmup/);
});
