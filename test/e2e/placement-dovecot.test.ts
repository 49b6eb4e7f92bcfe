/**
 * placement against a real mailbox server: Debian's Dovecot from scripts/services/dovecot.sh (IMAPS
 * with a test CA, passwd-file users, LMTP with Sieve; the seed users' Sieve script files mail that
 * carries X-Spam-Flag: YES into Junk).
 *
 * The receiving side between our delivery engine and Dovecot is a loopback SMTP server
 * (test/helpers/seed-mx.ts, smtp-server) playing the seeds' MX: it accepts a message with 250, then — DELAY_MS later, like a
 * queueing MTA — hands it to Dovecot's LMTP port in a real LMTP session, after stamping what a
 * receiver's filters would: a Received field, Authentication-Results, and for seed2 a spam verdict
 * (X-Spam-Flag: YES, X-Spam-Status). nobody@ is refused with 550 5.1.1 at RCPT; seed3's copy is
 * accepted and dropped (its IMAP server is a closed port). So the copies really arrive in Dovecot
 * and Sieve really files them; placement sees them only over IMAP.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { runCli } from '../helpers/cli.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';
import { startSeedMx, type SeedMx } from '../helpers/seed-mx.js';

const skip = serviceSkip('dovecot');
const env = serviceEnv('dovecot');
const DELAY_MS = 1500;
const POLL = '500ms';
let password = '';
let dir: string;
let mx: SeedMx;
let closedPort = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailpace-placement-e2e-'));
  if (!env) return;
  password = readFileSync(env.DOVECOT_PASSWORD_FILE!, 'utf8').trim();
  mx = await startSeedMx({ lmtpHost: env.DOVECOT_HOST!, lmtpPort: Number(env.DOVECOT_LMTP_PORT), users: env.DOVECOT_USERS!.split(','), spamUsers: ['seed2'], delayMs: DELAY_MS });
  // a port nothing listens on: seed3's IMAP server is down
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  closedPort = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (mx) await mx.stop();
});

async function imap<T>(user: string, fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({ host: env!.DOVECOT_HOST!, port: Number(env!.DOVECOT_IMAPS_PORT), secure: true, auth: { user, pass: password }, logger: false, tls: { ca: readFileSync(env!.DOVECOT_CA_FILE!) } });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout();
  }
}

/** UIDs of messages with this token in a folder. */
const withToken = (user: string, folder: string, token: string) =>
  imap(user, async (c) => {
    await c.mailboxOpen(folder);
    return (await c.search({ header: { 'X-Mailpace-Placement': token } }, { uid: true })) || [];
  });

const imaps = (user: string) => `imaps://${user}@${env!.DOVECOT_HOST}:${env!.DOVECOT_IMAPS_PORT}`;
let n = 0;
function seedFile(seeds: unknown[]): string {
  const p = join(dir, `seeds${n++}.json`);
  writeFileSync(p, JSON.stringify(seeds));
  return p;
}
const placement = (seeds: string, extra: string[], pwEnv: Record<string, string | undefined> = { SEED_PW: password }) =>
  runCli(
    ['placement', '--seeds', seeds, '--from', 'sender@example.com', '--subject', 'placement e2e', '--relay', `smtp://127.0.0.1:${mx.port}`, '--helo', 'client.example.com', '--ca-file', env!.DOVECOT_CA_FILE!, '--poll', POLL, '--store', join(dir, `s${n++}.sqlite`), ...extra],
    { env: { ...pwEnv, MAILPACE_STORE: undefined, MAILPACE_SMTP_PASSWORD: undefined }, timeoutMs: 120_000 },
  );

test('inbox, Junk via Sieve, an unreachable IMAP server and a refused address in one run', { skip, timeout: 120_000 }, async () => {
  const seeds = seedFile([
    { address: 'seed1@mailpace.test', provider: 'mailpace', imap: imaps('seed1'), passwordEnv: 'SEED_PW' },
    { address: 'seed2@mailpace.test', provider: 'mailpace', imap: imaps('seed2'), folders: { inbox: 'INBOX', spam: 'Junk' }, passwordEnv: 'SEED_PW' },
    { address: 'seed3@mailpace.test', provider: 'down', imap: `imaps://seed3@127.0.0.1:${closedPort}`, passwordEnv: 'SEED_PW' },
    // a seed whose address the receiver no longer knows; its mailbox login still works
    { address: 'nobody@mailpace.test', provider: 'mailpace', imap: imaps('bounces'), passwordEnv: 'SEED_PW' },
  ]);
  const r = await placement(seeds, ['--json', '--timeout', '30s']);
  assert.equal(r.code, 3, r.stderr); // seed3's mailbox could not be read
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'placement');
  assert.match(doc.messageId, /^<.+@.+>$/);
  const by = (a: string) => doc.seeds.find((s: { address: string }) => s.address === a);

  const s1 = by('seed1@mailpace.test');
  assert.equal(s1.placement, 'inbox');
  assert.equal(s1.folder, 'INBOX');
  assert.equal(s1.send.status, 'delivered');
  assert.equal(s1.send.reply.code, 250);
  assert.deepEqual(s1.authentication, { spf: 'pass', dkim: 'none', dmarc: 'pass', arc: 'none' });
  assert.equal(s1.spamHeaders['x-spam-status'], 'No, score=0.3 required=5.0');
  // the MX waits DELAY_MS before LMTP; we look every 500 ms
  assert.ok(s1.timeToInboxMs >= DELAY_MS - 50, `timeToInboxMs ${s1.timeToInboxMs}`);
  assert.ok(s1.timeToInboxMs < DELAY_MS + 500 + 3000, `timeToInboxMs ${s1.timeToInboxMs}`);
  assert.ok(s1.timeFromSendStartMs >= s1.timeToInboxMs);
  assert.ok(Date.parse(s1.foundAt) >= mx.handed.get('seed1@mailpace.test')!);
  assert.ok(Date.parse(s1.acceptedAt) < mx.handed.get('seed1@mailpace.test')!);
  // the MX's Received, then Dovecot's own (LMTP), oldest first
  assert.ok(s1.hops.length >= 2, JSON.stringify(s1.hops));
  assert.equal(s1.hops[0].by, 'mx.mailpace.test');
  assert.equal(s1.cleanedUp, true);
  assert.equal(s1.watch, 'idle'); // Dovecot offers IDLE

  const s2 = by('seed2@mailpace.test');
  assert.equal(s2.placement, 'spam');
  assert.equal(s2.folder, 'Junk');
  assert.equal(s2.spamHeaders['x-spam-flag'], 'YES');
  assert.match(s2.spamHeaders['x-spam-status'], /^Yes, score=7\.1/);
  assert.equal(s2.authentication.spf, 'pass');
  assert.ok(s2.timeToInboxMs >= DELAY_MS - 50);
  assert.equal(s2.cleanedUp, true);

  const s3 = by('seed3@mailpace.test');
  assert.equal(s3.placement, 'unknown');
  assert.equal(s3.send.status, 'not-sent');
  assert.match(s3.error, /cannot connect to IMAP server 127\.0\.0\.1:\d+: connection refused/);

  const nb = by('nobody@mailpace.test');
  assert.equal(nb.placement, 'bounced');
  assert.equal(nb.send.status, 'bounced');
  assert.equal(nb.send.reply.code, 550);
  assert.match(nb.send.reply.text, /User unknown/);
  assert.equal(nb.foundAt, null);

  assert.deepEqual(
    { ...doc.summary.providers.mailpace, p50Ms: typeof doc.summary.providers.mailpace.p50Ms },
    { seeds: 3, inbox: 1, spam: 1, other: 0, missing: 0, bounced: 1, unknown: 0, inboxRate: 1 / 3, spamRate: 1 / 3, p50Ms: 'number', p95Ms: s1.timeToInboxMs },
  );
  assert.equal(doc.summary.providers.down.unknown, 1);
  // cleaned up: neither copy is left in any folder
  assert.deepEqual(await withToken('seed1', 'INBOX', s1.token), []);
  assert.deepEqual(await withToken('seed2', 'Junk', s2.token), []);
  assert.deepEqual(await withToken('seed2', 'INBOX', s2.token), []);
});

test('all in the inbox: exit 0, human report; --keep leaves the copy', { skip, timeout: 120_000 }, async () => {
  const seeds = seedFile([{ address: 'seed1@mailpace.test', provider: 'mailpace', imap: imaps('seed1') }]);
  const pw = join(dir, 'pw');
  writeFileSync(pw, `${password}\n`, { mode: 0o600 });
  const r = await placement(seeds, ['--password-file', pw, '--keep', '--timeout', '30s'], {});
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /✓ seed1@mailpace\.test \[mailpace\]: inbox in \d+\.\ds after acceptance/);
  assert.match(r.stdout, /auth \(mx\.mailpace\.test\): spf=pass dkim=none dmarc=pass arc=none/);
  assert.match(r.stdout, /test copy kept/);
  assert.match(r.stdout, /mailpace: inbox 100%, spam 0% of 1; time to inbox p50 \d/);
  assert.equal(r.stderr, '');
  const token = /X-Mailpace-Placement/.test(r.stdout) ? '' : undefined;
  assert.equal(token, undefined); // the token is not in the report's human form
  // the copy is still there: find it by its subject among the newest and delete it
  const left = await imap('seed1', async (c) => {
    await c.mailboxOpen('INBOX');
    const uids = (await c.search({ header: { 'X-Mailpace-Placement': 'mp-' } }, { uid: true })) || [];
    if (uids.length) await c.messageDelete(uids.join(','), { uid: true });
    return uids.length;
  });
  assert.equal(left, 1);
});

test('a refused IMAP login: exit 3 and one line, nothing sent', { skip, timeout: 60_000 }, async () => {
  const seeds = seedFile([{ address: 'seed1@mailpace.test', imap: imaps('seed1'), passwordEnv: 'SEED_PW' }]);
  const before = mx.handed.size;
  const r = await placement(seeds, ['--timeout', '10s'], { SEED_PW: 'wrong-password-for-seed1' });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^mailpace-cli: no seed mailbox could be read, nothing sent: seed1@mailpace\.test: IMAP: IMAP login refused for user "seed1"/);
  assert.ok(!r.stderr.includes('wrong-password-for-seed1'));
  assert.equal(mx.handed.size, before);
});

test('IDLE: a copy delivered to the inbox is seen at once, not at the next --poll', { skip, timeout: 120_000 }, async () => {
  const seeds = seedFile([{ address: 'seed1@mailpace.test', imap: imaps('seed1'), passwordEnv: 'SEED_PW' }]);
  // polling alone would look at 0 s and then only at 30 s
  const r = await runCli(
    ['placement', '--seeds', seeds, '--from', 'sender@example.com', '--relay', `smtp://127.0.0.1:${mx.port}`, '--helo', 'client.example.com', '--ca-file', env!.DOVECOT_CA_FILE!, '--poll', '30s', '--timeout', '60s', '--store', join(dir, 'idle.sqlite'), '--json'],
    { env: { SEED_PW: password, MAILPACE_STORE: undefined, MAILPACE_SMTP_PASSWORD: undefined }, timeoutMs: 90_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const s1 = JSON.parse(r.stdout).seeds[0];
  assert.equal(s1.placement, 'inbox');
  assert.equal(s1.watch, 'idle');
  assert.ok(s1.timeToInboxMs >= DELAY_MS - 50 && s1.timeToInboxMs < DELAY_MS + 2000, `timeToInboxMs ${s1.timeToInboxMs}`);
  assert.ok(Date.parse(s1.foundAt) - mx.handed.get('seed1@mailpace.test')! < 1000, 'found within a second of the LMTP hand-over');
});
