/**
 * placement from the outside, without a mailbox server: seed files and flags it refuses (exit 2,
 * one line, before any connection), and seeds whose IMAP server is not there or does not speak IMAP
 * (exit 3, one line, nothing sent). Real placement runs are in test/e2e/placement-dovecot.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../helpers/cli.js';

const PASSWORD = 'Seed-Pa55-never-printed';
let dir: string;
let n = 0;
let garbage: Server;
let garbagePort = 0;
let closedPort = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailpace-placement-cli-'));
  // answers every connection with something that is not an IMAP greeting
  garbage = createServer((s) => {
    s.on('error', () => {});
    s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
  });
  garbage.listen(0, '127.0.0.1');
  await once(garbage, 'listening');
  garbagePort = (garbage.address() as AddressInfo).port;
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  closedPort = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
});
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await new Promise<void>((resolve) => garbage.close(() => resolve()));
});

function seedFile(content: unknown): string {
  const p = join(dir, `seeds${n++}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}
const seed = (extra: Record<string, unknown> = {}) => ({ address: 'seed1@example.org', imap: 'imaps://seed1@127.0.0.1:993', passwordEnv: 'SEED_PW', ...extra });
const placement = (seeds: string, extra: string[] = []) =>
  runCli(['placement', '--seeds', seeds, '--from', 'me@example.com', '--relay', 'smtp://127.0.0.1:9', '--store', ':memory:', ...extra], { env: { SEED_PW: PASSWORD, MAILPACE_STORE: undefined } });

function oneLine(r: CliResult, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, re);
  assert.ok(!r.stderr.includes(PASSWORD), 'the password is never printed');
}

const refusals: [string, unknown, RegExp][] = [
  ['not JSON', '[{"address": ', /seeds\d+\.json is not valid JSON/],
  ['not an array', { address: 'a@b.example' }, /must be a JSON array of seeds/],
  ['empty', [], /lists no seeds/],
  ['a password in the file', [seed({ password: 'hunter2' })], /seed 1 has a password in the file \("password"\): refused/],
  ['a password in the IMAP URL', [seed({ imap: 'imaps://seed1:hunter2@127.0.0.1:993' })], /must not carry a password: name an environment variable with "passwordEnv"/],
  ['an unknown key', [seed({ passwordENV: 'X' })], /seed 1: unknown key "passwordENV"/],
  ['an unknown folder key', [seed({ folders: { inbox: 'INBOX', junk: 'Junk' } })], /unknown key "folders\.junk"/],
  ['no address', [{ imap: 'imaps://u@127.0.0.1' }], /seed 1 has no "address"/],
  ['a bad address', [seed({ address: 'not-an-address' })], /"not-an-address" is not an email address/],
  ['the same address twice', [seed(), seed({ address: 'SEED1@example.org' })], /seed 2: SEED1@example\.org is listed twice/],
  ['no imap', [{ address: 'a@b.example' }], /has no "imap"/],
  ['an http URL', [seed({ imap: 'https://u@127.0.0.1' })], /the scheme must be imaps:\/\/ or imap:\/\//],
  ['passwordEnv not set', [seed({ passwordEnv: 'PLACEMENT_UNSET_VARIABLE' })], /the environment variable PLACEMENT_UNSET_VARIABLE \(its "passwordEnv"\) is not set/],
  ['no password at all', [seed({ passwordEnv: undefined })], /has no "passwordEnv": give --password-file/],
  ['tls none with imaps', [seed({ tls: 'none' })], /contradicts imaps:\/\//],
];
for (const [name, content, re] of refusals) {
  test(`seed file refused, exit 2: ${name}`, async () => {
    oneLine(await placement(seedFile(content)), 2, re);
  });
}

test('flags refused, exit 2', async () => {
  const ok = seedFile([seed()]);
  oneLine(await runCli(['placement', '--from', 'me@example.com']), 2, /placement needs --seeds/);
  oneLine(await runCli(['placement', '--seeds', ok]), 2, /--from is required/);
  oneLine(await placement(ok, ['--poll', 'often']), 2, /--poll/);
  oneLine(await placement(ok, ['--format', 'xml']), 2, /--format "xml" is not one of human, json, csv/);
  oneLine(await placement(ok, ['--json', '--format', 'csv']), 2, /--json and --format csv contradict each other/);
  oneLine(await placement(ok, ['--message', join(dir, 'missing.eml')]), 2, /missing\.eml/);
  oneLine(await placement(ok, ['--text', 'a', '--text-file', 'b']), 2, /give --text or --text-file, not both/);
  oneLine(await placement(join(dir, 'no-such-seeds.json')), 2, /no-such-seeds\.json/);
  oneLine(await placement(ok, ['--runs', '3']), 2, /--runs counts the runs of --every; give --every too/);
  oneLine(await placement(ok, ['--every', 'hourly']), 2, /--every/);
  oneLine(await placement(ok, ['--every', '0s']), 2, /--every "0s" must be more than 0/);
  oneLine(await placement(ok, ['--every', '1m', '--runs', '0']), 2, /--runs 0 is out of range/);
  oneLine(await placement(ok, ['--backoff', '5m']), 2, /--backoff "5m" must be <first>,<max>/);
});

test('the IMAP server is not there: exit 3, one line, nothing sent', async () => {
  const r = await placement(seedFile([seed({ imap: `imaps://seed1@127.0.0.1:${closedPort}` })]), ['--timeout', '3s']);
  oneLine(r, 3, /^mailpace-cli: no seed mailbox could be read, nothing sent: seed1@example\.org: IMAP: cannot connect to IMAP server 127\.0\.0\.1:\d+: connection refused$/);
});

test('the IMAP server does not speak IMAP: exit 3, one line', async () => {
  const r = await placement(seedFile([seed({ imap: `imap://seed1@127.0.0.1:${garbagePort}` })]), ['--timeout', '3s']);
  oneLine(r, 3, /^mailpace-cli: no seed mailbox could be read, nothing sent: seed1@example\.org: IMAP: 127\.0\.0\.1:\d+ did not answer as an IMAP server/);
});

test('--help names the contract: flags and exit codes', async () => {
  const r = await runCli(['placement', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--seeds', '--password-file', '--message', '--relay', '--dkim-key', '--poll', '--keep', '--format', '--every', '--runs', '--backoff']) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /130\/143 stopped by Ctrl-C\/SIGTERM/);
  assert.match(r.stdout, /Exit codes: 0 every copy in the inbox; 1 any spam/);
});
