/**
 * `--format junit` and `--format github` on the commands with findings besides `ci`: check-domain,
 * blocklist scan, score, probe and auth message. Each keeps its own exit code; the JUnit validates
 * against junit-10.xsd; the GitHub output annotates exactly the failing findings.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { assertValidJunit, failingCases } from '../helpers/junit.js';
import { ciZone } from '../helpers/ci-fixture.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../helpers/keys.js';
import { makeTestPki, startFakeMx, type FakeMx, type TestPki } from '../helpers/smtp-server.js';

let dns: DnsFixtureServer;
let pki: TestPki;
let mx: FakeMx;
let dir: string;

before(async () => {
  pki = await makeTestPki();
  dns = await startDnsServer(ciZone(rsaPublicKeyB64(2048)));
  mx = await startFakeMx({
    tls: { ...pki.good, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
    rcptReplies: { 'postmaster@rcpt-refused.ci.test': { code: 550, message: '5.1.1 Recipient address rejected' } },
  });
  dir = mkdtempSync(join(tmpdir(), 'mailpace-formats-'));
});
after(async () => {
  await mx.stop();
  await dns.stop();
  await pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const annotated = (out: string) => out.split('\n').filter((l) => l.startsWith('::error ')).map((l) => /title=(\w+) · /.exec(l)![1]);

test('check-domain --format junit: a case per domain, the failing one with its codes; exit 1 as with --json', async () => {
  const r = await runCli(['check-domain', 'good.ci.test', 'bad.ci.test', '-s', 's1', '--dns', dns.address, '--format', 'junit']);
  assert.equal(r.code, 1, r.stderr);
  assertValidJunit(r.stdout);
  assert.deepEqual(failingCases(r.stdout), [['mailpace-cli.check-domain', 'bad.ci.test', 'DKIM_KEY_MISSING']]);
  assert.match(r.stdout, /<testsuite name="check-domain" tests="2" failures="1" errors="0" skipped="0"/);
});

test('blocklist scan --format github: the listing annotated; exit 1', async () => {
  const r = await runCli(['blocklist', 'scan', '192.0.2.20', '192.0.2.10', '--zone', 'bl.ci.test', '--dns', dns.address, '--format', 'github']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(annotated(r.stdout), ['BLOCKLIST_LISTED']);
  assert.match(r.stdout, /^::error title=BLOCKLIST_LISTED · blocklist scan › 192\.0\.2\.20::192\.0\.2\.20 is listed on bl\.ci\.test/m);
  assert.match(r.stdout, /^mailpace-cli blocklist scan: 1 passed, 1 failed, 0 could not be checked, 0 skipped \(exit 1\)$/m);
});

test('score --format junit|github: --max-score becomes SCORE_ABOVE_MAX; --json and --format junit disagree (exit 2)', async () => {
  const files = ['test/fixtures/messages/html-only.eml', 'test/fixtures/messages/good.eml'];
  const j = await runCli(['score', ...files, '--engine', 'builtin', '--max-score', '5', '--format', 'junit']);
  assert.equal(j.code, 1, j.stderr);
  assertValidJunit(j.stdout);
  assert.deepEqual(failingCases(j.stdout), [['mailpace-cli.score', 'test/fixtures/messages/html-only.eml', 'SCORE_ABOVE_MAX']]);
  assert.match(j.stdout, /<property name="engine" value="builtin"\/>/);
  const g = await runCli(['score', ...files, '--engine', 'builtin', '--format', 'github']);
  assert.equal(g.code, 0, g.stderr);
  assert.deepEqual(annotated(g.stdout), []);
  assert.match(g.stdout, /^::warning title=LINT_IMAGE_ONLY · score › test\/fixtures\/messages\/html-only\.eml::/m);
  const both = await runCli(['score', files[1]!, '--json', '--format', 'junit']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--json and --format junit disagree/);
});

test('probe --format junit: the refused recipient domain is one failing case', async () => {
  const r = await runCli(['probe', 'rcpt-refused.ci.test', '--port', String(mx.port), '--ca-file', pki.caFile, '--helo', 'ci.example.net', '--dns', dns.address, '--format', 'junit']);
  assert.equal(r.code, 1, r.stderr);
  assertValidJunit(r.stdout);
  assert.deepEqual(failingCases(r.stdout), [['mailpace-cli.probe', 'rcpt-refused.ci.test', 'RCPT_REJECTED']]);
});

test('auth message --format github: a failing verdict fails its case on its warnings too; exit 1 as before', async () => {
  const r = await runCli(['auth', 'message', 'test/fixtures/messages/good.eml', '--dns', dns.address, '--format', 'github']);
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(annotated(r.stdout).sort(), ['AUTH_DKIM_NONE', 'AUTH_DMARC_NONE']);
  assert.match(r.stdout, /^mailpace-cli auth message: 0 passed, 1 failed/m);
});
