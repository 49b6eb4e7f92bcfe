/**
 * bounce fetch against a real IMAP server: Debian's Dovecot, started on loopback by
 * scripts/services/dovecot.sh (IMAP with STARTTLS, IMAPS, a test CA, passwd-file users). Each test
 * seeds its own folder of the `bounces` user with corpus messages (IMAP APPEND), runs the built CLI
 * and then looks at the folder over IMAP again: what was read, flagged, moved and suppressed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { runCli } from '../helpers/cli.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';

const skip = serviceSkip('dovecot');
const env = serviceEnv('dovecot');
const EML = join(process.cwd(), 'test/fixtures/bounces/eml');
const USER = 'bounces';
let password = '';
let dir: string;

/** The seeded messages and what bounce parse makes of them. */
const SEED = [
  { file: 'lhost-exim-02.eml', kind: 'bounce' }, // two hard bounces (userunknown)
  { file: 'lhost-postfix-09.eml', kind: 'bounce' }, // soft (toomanyconn)
  { file: 'arf-01.eml', kind: 'feedback' },
  { file: 'rfc3834-01.eml', kind: 'auto-reply' },
  { file: 'is-not-bounce-01.eml', kind: 'not-bounce' },
] as const;
const HANDLED = SEED.filter((s) => s.kind !== 'not-bounce').length;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mailpace-fetch-e2e-'));
  if (env) password = readFileSync(env.DOVECOT_PASSWORD_FILE!, 'utf8').trim();
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function imap<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
  const c = new ImapFlow({
    host: env!.DOVECOT_HOST!,
    port: Number(env!.DOVECOT_IMAPS_PORT),
    secure: true,
    auth: { user: USER, pass: password },
    logger: false,
    tls: { ca: readFileSync(env!.DOVECOT_CA_FILE!) },
  });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.logout();
  }
}

/** A fresh folder holding the SEED messages, unseen. */
async function seedFolder(): Promise<string> {
  const folder = `t${randomBytes(5).toString('hex')}`;
  await imap(async (c) => {
    await c.mailboxCreate(folder);
    for (const s of SEED) await c.append(folder, readFileSync(join(EML, s.file)), []);
  });
  return folder;
}

async function folderState(folder: string): Promise<{ messages: number; unseen: number }> {
  return imap(async (c) => {
    const st = await c.status(folder, { messages: true, unseen: true });
    return { messages: st ? st.messages ?? 0 : -1, unseen: st ? st.unseen ?? 0 : -1 };
  });
}

const url = (folder: string, scheme: 'imaps' | 'imap' = 'imaps') =>
  `${scheme}://${USER}@${env!.DOVECOT_HOST}:${scheme === 'imaps' ? env!.DOVECOT_IMAPS_PORT : env!.DOVECOT_IMAP_PORT}/${folder}`;
const fetchCli = (args: string[], pw: string | undefined = password) =>
  runCli(['bounce', 'fetch', '--ca-file', env!.DOVECOT_CA_FILE!, '--timeout', '10s', ...args], { env: { MAILPACE_IMAP_PASSWORD: pw, MAILPACE_STORE: undefined } });

test('imaps://: every new message classified; read-only without --apply or --move-to', { skip, timeout: 60_000 }, async () => {
  const folder = await seedFolder();
  const r = await fetchCli(['--json', '--imap', url(folder)]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'bounce fetch');
  assert.equal(doc.mailbox, url(folder));
  assert.deepEqual(doc.messages.map((m: { kind: string }) => m.kind), SEED.map((s) => s.kind));
  assert.deepEqual(doc.messages.map((m: { uid: number }) => m.uid), [1, 2, 3, 4, 5]);
  assert.equal(doc.messages[0].file, `${url(folder)}/;UID=1`);
  const exim = doc.messages[0];
  assert.equal(exim.format, 'Exim');
  assert.deepEqual(exim.results.map((x: { recipient: string; reason: string; hard: boolean }) => [x.recipient, x.reason, x.hard]), [
    ['kijitora@example.jp', 'userunknown', true],
    ['sabatora@example.jp', 'userunknown', true],
  ]);
  assert.deepEqual(doc.summary, { messages: 5, bounces: 2, feedback: 1, autoReplies: 1, notBounces: 1, unreadable: 0, hard: 2, soft: 1, markedSeen: 0, moved: 0 });
  assert.deepEqual(await folderState(folder), { messages: 5, unseen: 5 }, 'BODY.PEEK: nothing became \\Seen');
  assert.ok(!r.stdout.includes(password) && !r.stderr.includes(password), 'the password is never printed');
});

test('imap:// with STARTTLS (the default --tls required) and in plaintext (--tls none) read the same', { skip, timeout: 60_000 }, async () => {
  const folder = await seedFolder();
  const logSince = () => {
    const start = readFileSync(env!.DOVECOT_LOG!, 'utf8').length;
    return () => readFileSync(env!.DOVECOT_LOG!, 'utf8').slice(start);
  };
  const logA = logSince();
  const a = await fetchCli(['--format', 'ndjson', '--imap', url(folder, 'imap')]);
  assert.equal(a.code, 0, a.stderr);
  // Dovecot logs how each login was protected: "TLS" after STARTTLS, "secured" for plaintext on loopback
  assert.match(logA(), new RegExp(`imap-login: Info: Login: user=<${USER}>, method=PLAIN, .*, TLS, session`));
  const logB = logSince();
  const b = await fetchCli(['--format', 'ndjson', '--imap', url(folder, 'imap'), '--tls', 'none']);
  assert.equal(b.code, 0, b.stderr);
  assert.match(logB(), new RegExp(`imap-login: Info: Login: user=<${USER}>, method=PLAIN, .*, secured, session`));
  assert.doesNotMatch(logB(), /, TLS, session/);
  const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines(a.stdout).length, SEED.length);
  assert.deepEqual(lines(a.stdout).map((m) => [m.kind, m.results.length]), lines(b.stdout).map((m) => [m.kind, m.results.length]));
});

test('--apply --move-to: suppressed once, handled messages flagged \\Seen and moved, a person\'s mail left unseen in place', { skip, timeout: 60_000 }, async () => {
  const folder = await seedFolder();
  const done = `${folder}-done`;
  const store = join(dir, `${folder}.sqlite`);
  const pwFile = join(dir, 'imap-password');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  const r = await fetchCli(['--store', store, '--json', '--imap', url(folder), '--password-file', pwFile, '--apply', '--move-to', done], undefined);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.summary.markedSeen, HANDLED);
  assert.equal(doc.summary.moved, HANDLED);
  // two hard bounces and one complaint
  assert.equal(doc.summary.suppressed, 3);
  assert.deepEqual(await folderState(folder), { messages: 1, unseen: 1 }, 'only the not-bounce stays, unseen');
  assert.deepEqual(await folderState(done), { messages: HANDLED, unseen: 0 }, 'the folder was created and holds the handled messages, seen');

  const list = await runCli(['--store', store, '--json', 'suppression', 'list']);
  assert.equal(list.code, 0, list.stderr);
  const entries = JSON.parse(list.stdout).suppressions as { address: string; reason: string }[];
  assert.deepEqual(entries.map((e) => `${e.address} ${e.reason}`).sort(), ['kijitora@example.jp hard-bounce', 'redacted@example.net complaint', 'sabatora@example.jp hard-bounce']);

  // The moved messages read again from their new folder (--all: they are seen) add nothing twice.
  const again = await fetchCli(['--store', store, '--json', '--imap', url(done), '--all', '--apply']);
  assert.equal(again.code, 0, again.stderr);
  const d2 = JSON.parse(again.stdout);
  assert.equal(d2.summary.messages, HANDLED);
  assert.equal(d2.summary.suppressed, 0);
  const actions = d2.messages.flatMap((m: { applied?: { action: string }[] }) => (m.applied ?? []).map((a) => a.action));
  assert.ok(actions.length > 0 && actions.every((a: string) => a === 'already-applied'), actions.join(','));

  // And the source folder's next run finds only the unseen not-bounce.
  const next = await fetchCli(['--json', '--imap', url(folder)]);
  assert.equal(JSON.parse(next.stdout).summary.messages, 1);
});

test('--apply without --move-to flags handled messages \\Seen: the next run reads only new mail; --since filters by date', { skip, timeout: 60_000 }, async () => {
  const folder = await seedFolder();
  const store = join(dir, `${folder}.sqlite`);
  const r = await fetchCli(['--store', store, '--json', '--imap', url(folder), '--apply']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).summary.markedSeen, HANDLED);
  assert.deepEqual(await folderState(folder), { messages: SEED.length, unseen: 1 });
  const next = await fetchCli(['--json', '--imap', url(folder)]);
  assert.deepEqual(JSON.parse(next.stdout).messages.map((m: { kind: string }) => m.kind), ['not-bounce']);
  // APPEND gave every message today's internal date: a week back finds them all, tomorrow none
  const week = await fetchCli(['--json', '--imap', url(folder), '--all', '--since', '7d']);
  assert.equal(JSON.parse(week.stdout).summary.messages, SEED.length);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const future = await fetchCli(['--json', '--imap', url(folder), '--all', '--since', tomorrow]);
  assert.equal(future.code, 2, 'a date in the future is refused');
});

test('a wrong password: exit 3 (the mailbox could not be read, as placement says of a seed), one line, the password not echoed', { skip, timeout: 60_000 }, async () => {
  const wrong = `wrong-${randomBytes(6).toString('hex')}`;
  const r = await fetchCli(['--imap', url('INBOX')], wrong);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^mailpace-cli: IMAP login refused for user "bounces" at 127\.0\.0\.1:\d+: .+\n {2}hint: .+\n$/);
  assert.ok(!r.stderr.includes(wrong) && !r.stdout.includes(wrong));
  assert.equal(r.stdout, '');
});

test('a missing mailbox is exit 2; the test certificate without --ca-file is exit 3 with a hint', { skip, timeout: 60_000 }, async () => {
  const missing = await fetchCli(['--imap', url(`nope-${randomBytes(4).toString('hex')}`)]);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /mailbox "nope-[0-9a-f]+" does not exist/);
  const untrusted = await runCli(['bounce', 'fetch', '--imap', url('INBOX'), '--timeout', '10s'], { env: { MAILPACE_IMAP_PASSWORD: password } });
  assert.equal(untrusted.code, 3, untrusted.stderr);
  assert.match(untrusted.stderr, /TLS with IMAP server .* failed: .*\n {2}hint: .*--ca-file/);
  const wrongPort = await fetchCli(['--imap', `imaps://${USER}@${env!.DOVECOT_HOST}:${env!.DOVECOT_IMAP_PORT}/INBOX`]);
  assert.equal(wrongPort.code, 3);
  assert.match(wrongPort.stderr, /did not answer in TLS\n {2}hint: is this the plain IMAP port/);
});
