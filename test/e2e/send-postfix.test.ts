/**
 * send against a real MX: Debian's Postfix behind postgrey, started on loopback by
 * scripts/services/postfix.sh. Its delivering listener (POSTFIX_DELIVER_PORT) takes mail for
 * @deliver.mailpace.test after greylisting and puts it into one Maildir (POSTFIX_MAILDIR).
 * Runs the built CLI: the first attempt must be greylisted, a later one delivered, and the message
 * must land in Postfix's mailbox exactly once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';

const skip = serviceSkip('postfix');
const env = serviceEnv('postfix');
const DOMAIN = env?.POSTFIX_DELIVER_DOMAIN ?? 'deliver.mailpace.test';
let dns: DnsFixtureServer;
let dir: string;

before(async () => {
  dns = await startDnsServer({
    [DOMAIN]: { MX: [{ priority: 10, exchange: 'mx.mailpace.test' }] },
    'relay.example': { MX: [{ priority: 10, exchange: 'mx.mailpace.test' }] },
    'mx.mailpace.test': { A: ['127.0.0.1'] },
  });
  dir = mkdtempSync(join(tmpdir(), 'mailpace-send-e2e-'));
});
after(async () => {
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Files in the Maildir (new/ and cur/) whose content holds this Message-ID. */
function mailboxCopies(messageId: string): string[] {
  const found: string[] = [];
  for (const sub of ['new', 'cur']) {
    const d = join(env!.POSTFIX_MAILDIR!, sub);
    let names: string[] = [];
    try {
      names = readdirSync(d);
    } catch {
      continue; // virtual(8) creates the Maildir on first delivery
    }
    for (const n of names) {
      const text = readFileSync(join(d, n), 'latin1');
      if (new RegExp(`^Message-ID:\\s*${messageId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'im').test(text)) found.push(join(d, n));
    }
  }
  return found;
}

const common = () => ['--port', env!.POSTFIX_DELIVER_PORT!, '--dns', dns.address, '--timeout', '10s', '--helo', 'client.mailpace.test', '--json'];

test('greylisted by postgrey first, delivered on a later attempt, and in Postfix\'s Maildir exactly once', { skip, timeout: 180_000 }, async () => {
  // A recipient postgrey has never seen: a new triplet, so the first RCPT is greylisted.
  const rcpt = `send-${randomBytes(6).toString('hex')}@${DOMAIN}`;
  const store = join(dir, 's.sqlite');
  const r = await runCli(
    ['send', '--from', 'sender@example.net', '--to', rcpt, '--subject', 'mailpace e2e', '--text', 'hello from the send e2e test\n', '--retry', '--backoff', '2s,4s', '--greylist-delay', '6s', '--store', store, ...common()],
    { timeoutMs: 150_000 },
  );
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'send');
  assert.match(doc.messageId, /^<[^@\s]+@[^@\s]+>$/);
  assert.deepEqual(doc.summary, { delivered: 1, deferred: 0, bounced: 0, suppressed: 0, expired: 0 });
  const rec = doc.recipients[0];
  assert.equal(rec.recipient, rcpt);
  assert.equal(rec.status, 'delivered');
  assert.ok(rec.attempts.length >= 2, JSON.stringify(rec.attempts));

  const first = rec.attempts[0];
  assert.equal(first.reply.code, 450, JSON.stringify(first));
  assert.equal(first.reply.enhanced, '4.2.0');
  assert.match(first.reply.text, /Greylisted/);
  assert.equal(first.classification.greylisted, true, JSON.stringify(first.classification));
  assert.equal(first.classification.retry, true);
  assert.equal(first.classification.hard, false);
  assert.equal(first.port, Number(env!.POSTFIX_DELIVER_PORT));

  const last = rec.attempts[rec.attempts.length - 1];
  assert.equal(last.reply.code, 250, JSON.stringify(last));
  assert.match(last.reply.text, /queued as [0-9A-F]+/);
  assert.equal(last.mx, 'mx.mailpace.test');
  // no attempt between the greylisting and the delivery was delivered twice
  assert.equal(rec.attempts.filter((a: { reply: { code: number } }) => a.reply.code === 250).length, 1);

  // virtual(8) delivers after smtpd's 250: wait for the file, then count copies
  let copies: string[] = [];
  for (let i = 0; i < 100 && copies.length === 0; i++) {
    copies = mailboxCopies(doc.messageId);
    if (copies.length === 0) await sleep(100);
  }
  await sleep(500); // a second copy, if one were coming, would be written by now
  copies = mailboxCopies(doc.messageId);
  assert.equal(copies.length, 1, `copies of ${doc.messageId} in ${env!.POSTFIX_MAILDIR}: ${copies.join(', ')}`);
  const delivered = readFileSync(copies[0]!, 'latin1');
  assert.match(delivered, new RegExp(`^Delivered-To: ${rcpt.replace(/\./g, '\\.')}`, 'im'));
  assert.match(delivered, /hello from the send e2e test/);
  assert.match(delivered, /^Subject: mailpace e2e\s*$/m);

  // the store keeps the same story: nothing left queued, both attempts logged
  const q = await runCli(['queue', 'list', '--store', store, '--json']);
  assert.equal(q.code, 0, q.stderr);
  assert.deepEqual(JSON.parse(q.stdout).messages, []);
  const log = await runCli(['log', '--store', store, '--json']);
  assert.equal(log.code, 0, log.stderr);
  const statuses = JSON.parse(log.stdout).entries.filter((e: { recipient: string }) => e.recipient === rcpt).map((e: { status: string }) => e.status);
  assert.ok(statuses.includes('deferred') && statuses.includes('delivered'), statuses.join(','));
});

test('a domain Postfix does not serve is refused as relaying: bounced, nothing delivered, exit 1', { skip, timeout: 60_000 }, async () => {
  const rcpt = `someone-${randomBytes(4).toString('hex')}@relay.example`;
  const r = await runCli(['send', '--from', 'sender@example.net', '--to', rcpt, '--subject', 'relay', '--retry', '--store', join(dir, 'relay.sqlite'), ...common()], { timeoutMs: 50_000 });
  assert.equal(r.code, 1, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  const doc = JSON.parse(r.stdout);
  const rec = doc.recipients[0];
  assert.equal(rec.status, 'bounced');
  assert.equal(rec.attempts.length, 1);
  assert.equal(rec.attempts[0].reply.code, 554);
  assert.match(rec.attempts[0].reply.text, /Relay access denied/);
  assert.equal(rec.attempts[0].classification.hard, true);
  assert.equal(rec.attempts[0].classification.retry, false);
  assert.equal(mailboxCopies(doc.messageId).length, 0);
});
