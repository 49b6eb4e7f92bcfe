/**
 * send --relay with SMTP AUTH through the built binary: STARTTLS (test CA via --ca-file), the
 * password from MAILPACE_SMTP_PASSWORD or --password-file, a refused login, and the password never
 * written anywhere — stdout, stderr (with --verbose, which prints the SMTP transcript) or the store.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { makeTestPki, startFakeMx, type FakeMx, type TestPki } from '../helpers/smtp-server.js';

const USER = 'relay-user';
const PASSWORD = 'S3cret-Relay-Pa55-7f1e9c';
const WRONG = 'Wr0ng-Relay-Pa55-2b8d4a';

let pki: TestPki;
let relay: FakeMx;
let dns: DnsFixtureServer;
let dir: string;
let n = 0;

before(async () => {
  pki = await makeTestPki();
  dir = mkdtempSync(join(tmpdir(), 'mailpace-send-relay-'));
  relay = await startFakeMx({ tls: pki.good, auth: { user: USER, pass: PASSWORD } });
  // the relay is an IP literal: nothing to resolve, but never the system resolver either
  dns = await startDnsServer({});
});
after(async () => {
  await relay.stop();
  await dns.stop();
  await pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const storePath = () => join(dir, `s${n++}.sqlite`);
const sendArgs = (store: string, to: string, extra: string[] = []) => [
  'send',
  '--from', 'me@example.com',
  '--to', to,
  '--subject', 'via relay',
  '--relay', `smtp://127.0.0.1:${relay.port}`,
  '--user', USER,
  '--ca-file', pki.caFile,
  '--helo', 'client.example.com',
  '--dns', `127.0.0.1:${dns.port}`,
  '--store', store,
  '--timeout', '3s',
  ...extra,
];

/** The secret in every form it could leak in: as is, and inside AUTH PLAIN / LOGIN base64. */
function secretForms(pass: string): string[] {
  return [pass, Buffer.from(`\0${USER}\0${pass}`).toString('base64'), Buffer.from(pass).toString('base64')];
}

function assertNoSecret(pass: string, r: CliResult, store: string): void {
  const files = [store, `${store}-wal`, `${store}-journal`].filter((f) => existsSync(f));
  assert.ok(files.includes(store), 'the store file exists after the run');
  const bytes = files.map((f) => readFileSync(f).toString('latin1'));
  for (const s of secretForms(pass)) {
    assert.ok(!r.stdout.includes(s), `stdout carries the password (${s})`);
    assert.ok(!r.stderr.includes(s), `stderr carries the password (${s})`);
    for (const [i, b] of bytes.entries()) assert.ok(!b.includes(s), `${files[i]} carries the password (${s})`);
  }
}

test('relay with AUTH after STARTTLS, password from MAILPACE_SMTP_PASSWORD: delivered, exit 0, no password anywhere', async () => {
  const store = storePath();
  const before = relay.messages.length;
  const r = await runCli([...sendArgs(store, 'one@example.org'), '--json', '--verbose'], { env: { MAILPACE_SMTP_PASSWORD: PASSWORD } });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.command, 'send');
  assert.deepEqual(doc.summary, { delivered: 1, deferred: 0, bounced: 0, suppressed: 0, expired: 0 });
  const a = doc.recipients[0].attempts[0];
  assert.equal(a.address, '127.0.0.1');
  assert.equal(a.port, relay.port);
  // STARTTLS came before AUTH: the session that delivered was encrypted
  assert.match(a.tls.protocol, /^TLSv1\.[23]$/);
  assert.equal(relay.messages.length, before + 1);
  assert.ok(relay.messages.at(-1)!.includes('Subject: via relay'));
  // --verbose printed the transcript, AUTH included, with the credentials redacted
  assert.match(r.stderr, /AUTH/);
  assert.match(r.stderr, /<redacted>/);
  assertNoSecret(PASSWORD, r, store);
});

test('relay with AUTH, password from --password-file (first line): delivered, exit 0', async () => {
  const store = storePath();
  const file = join(dir, 'relay-password');
  writeFileSync(file, `${PASSWORD}\nsecond line is ignored\n`, { mode: 0o600 });
  const before = relay.messages.length;
  const r = await runCli([...sendArgs(store, 'two@example.org'), '--password-file', file, '--json', '--verbose'], { env: { MAILPACE_SMTP_PASSWORD: undefined } });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.recipients[0].status, 'delivered');
  assert.equal(relay.messages.length, before + 1);
  assertNoSecret(PASSWORD, r, store);
});

test('relay refuses the login (535): bounced (not suppressed), RELAY_AUTH_FAILED, exit 1, nothing sent, the wrong password nowhere', async () => {
  const store = storePath();
  const before = { messages: relay.messages.length, mails: relay.commands.filter((c) => c.startsWith('MAIL FROM')).length };
  const r = await runCli([...sendArgs(store, 'three@example.org'), '--json', '--verbose'], { env: { MAILPACE_SMTP_PASSWORD: WRONG } });
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  // 535 5.7.8 is permanent (RFC 4954 §6): retrying with the same password cannot succeed
  assert.equal(doc.recipients[0].status, 'bounced');
  assert.deepEqual(doc.summary, { delivered: 0, deferred: 0, bounced: 1, suppressed: 0, expired: 0 });
  assert.equal(doc.recipients[0].suppressed, false, 'a sender-side failure never suppresses the recipient');
  const a = doc.recipients[0].attempts[0];
  assert.equal(a.reply.code, 535);
  assert.equal(a.classification.reason, 'securityerror');
  assert.ok(doc.findings.some((f: { code: string }) => f.code === 'RELAY_AUTH_FAILED'));
  assert.equal(relay.messages.length, before.messages, 'nothing reached the relay');
  assert.equal(relay.commands.filter((c) => c.startsWith('MAIL FROM')).length, before.mails, 'no MAIL FROM after a refused login');
  assertNoSecret(WRONG, r, store);
  const sup = await runCli(['suppression', 'list', '--json', '--store', store]);
  assert.deepEqual(JSON.parse(sup.stdout).suppressions, []);
  for (const s of secretForms(WRONG)) assert.ok(!sup.stdout.includes(s));
});

test('the human report (no --json) with --verbose: no password either', async () => {
  const store = storePath();
  const ok = await runCli([...sendArgs(store, 'four@example.org'), '--verbose'], { env: { MAILPACE_SMTP_PASSWORD: PASSWORD } });
  assert.equal(ok.code, 0, ok.stderr);
  assertNoSecret(PASSWORD, ok, store);
  const store2 = storePath();
  const bad = await runCli([...sendArgs(store2, 'five@example.org'), '--verbose'], { env: { MAILPACE_SMTP_PASSWORD: WRONG } });
  assert.equal(bad.code, 1, bad.stderr);
  assertNoSecret(WRONG, bad, store2);
});
