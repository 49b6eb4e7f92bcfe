/**
 * `mailpace-cli probe` as a user runs it: the built binary against fake MXs and a fixture DNS
 * server on loopback. Checks the JSON contract, the human card, exit codes and bad arguments.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '../../src/core/clock.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { runCli } from '../helpers/cli.js';
import { makeTestPki, startFakeMx, startRawServer, type FakeMx, type RawServer, type TestPki } from '../helpers/smtp-server.js';

let pki: TestPki;
let dns: DnsFixtureServer;
let good: FakeMx;
let expired: FakeMx;
let grey: FakeMx;
let stall: RawServer;
let closedPort: number;

before(async () => {
  pki = await makeTestPki();
  dns = await startDnsServer({
    'good.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    'nullmx.test': { MX: [{ priority: 0, exchange: '.' }] },
    'mx.example.test': { A: ['127.0.0.1'] },
    '1.0.0.127.in-addr.arpa': { PTR: ['mx.example.test'] },
  });
  good = await startFakeMx({ tls: { ...pki.good, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } });
  expired = await startFakeMx({ tls: pki.expired });
  grey = await startFakeMx({ tls: pki.good, greylist: { delayMs: 600_000, clock: systemClock } });
  stall = await startRawServer('stall');
  const closed = await startRawServer('close');
  closedPort = closed.port;
  await closed.stop();
});
after(async () => {
  for (const s of [good, expired, grey, stall]) await s.stop();
  await dns.stop();
  await pki.cleanup();
});

const common = () => ['--dns', dns.address, '--timeout', '2s', '--helo', 'probe.example.net'];

test('--json: exit 0, one document with the documented shape, nothing on stderr', async () => {
  const r = await runCli(['probe', 'good.test', '--port', String(good.port), '--ca-file', pki.caFile, '--json', ...common()]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'probe');
  assert.equal(doc.target, 'good.test');
  assert.deepEqual(doc.findings, []);
  assert.equal(doc.hosts.length, 1);
  const h = doc.hosts[0];
  for (const k of ['host', 'address', 'port', 'priority', 'ptr', 'banner', 'ehlo', 'starttls', 'tls', 'greylisting', 'timings', 'findings']) assert.ok(k in h, k);
  assert.deepEqual([h.host, h.address, h.port, h.priority, h.ptr], ['mx.example.test', '127.0.0.1', good.port, 10, 'mx.example.test']);
  assert.equal(h.banner.code, 220);
  assert.ok(h.ehlo.includes('STARTTLS'));
  assert.equal(h.starttls, true);
  for (const k of ['negotiated', 'versions', 'certificate']) assert.ok(k in h.tls, k);
  // refused versions come with OpenSSL's reason (an addition to the contract)
  assert.match(h.tls.versionErrors.TLSv1, /^ERR_SSL_|handshake/);
  assert.deepEqual(Object.keys(h.tls.negotiated).sort(), ['cipher', 'protocol']);
  assert.deepEqual(h.tls.versions, { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true });
  for (const k of ['subject', 'altNames', 'issuer', 'validFrom', 'validTo', 'daysLeft', 'trusted', 'nameMatches', 'selfSigned']) assert.ok(k in h.tls.certificate, k);
  assert.equal(h.tls.certificate.trusted, true);
  assert.equal(h.tls.certificate.nameMatches, true);
  assert.deepEqual(Object.keys(h.greylisting).sort(), ['acceptedAfterMs', 'detected', 'firstReply', 'tested']);
  assert.deepEqual(Object.keys(h.greylisting.firstReply).sort(), ['code', 'enhanced', 'text']);
  assert.equal(typeof h.timings.totalMs, 'number');
  assert.ok(!good.commands.includes('DATA'));
});

test('human output: a card per host, exit 0', async () => {
  const r = await runCli(['probe', 'good.test', '--port', String(good.port), '--ca-file', pki.caFile, ...common()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^mx\.example\.test {2}pref 10 {2}127\.0\.0\.1/m);
  assert.match(r.stdout, /banner +220 mx\.example\.test ESMTP/);
  assert.match(r.stdout, /versions +1\.0 ✗ {2}1\.1 ✗ {2}1\.2 ✓ {2}1\.3 ✓/);
  assert.match(r.stdout, /trusted ✓ · name ✓/);
  assert.match(r.stdout, /1\/1 host reached: 0 errors, 0 warnings, 0 infos/);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour off a TTY');
});

test('an expired certificate: exit 1 with CERT_EXPIRED', async () => {
  const r = await runCli(['probe', '--host', 'mx.example.test', '--port', String(expired.port), '--ca-file', pki.caFile, '--json', ...common()]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.findings.map((f: { code: string }) => f.code), ['CERT_EXPIRED']);
  assert.equal(doc.hosts[0].priority, null);
});

test('greylisting is an info finding: exit 0; --fail-on info makes it exit 1', async () => {
  const args = ['probe', '127.0.0.1', '--port', String(grey.port), '--ca-file', pki.caFile, '--json', ...common()];
  const r = await runCli(args);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.target, '127.0.0.1');
  assert.equal(doc.hosts[0].greylisting.detected, true);
  assert.deepEqual(doc.hosts[0].greylisting.firstReply.code, 450);
  assert.ok(doc.findings.some((f: { code: string }) => f.code === 'GREYLISTING_DETECTED'));
  assert.equal((await runCli([...args, '--fail-on', 'info'])).code, 1);
});

test('no host reachable: exit 3 (connection refused, or a server that never greets)', async () => {
  const refused = await runCli(['probe', 'good.test', '--port', String(closedPort), '--json', ...common()]);
  assert.equal(refused.code, 3, refused.stderr);
  assert.deepEqual(JSON.parse(refused.stdout).findings.map((f: { code: string }) => f.code), ['SMTP_CONNECT_FAILED']);
  const stalled = await runCli(['probe', 'good.test', '--port', String(stall.port), '--json', '--dns', dns.address, '--timeout', '200ms']);
  assert.equal(stalled.code, 3, stalled.stderr);
  assert.deepEqual(JSON.parse(stalled.stdout).findings.map((f: { code: string }) => f.code), ['SMTP_BANNER_ERROR']);
});

test('a null MX: exit 1, no connection', async () => {
  const r = await runCli(['probe', 'nullmx.test', '--port', String(good.port), '--json', ...common()]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.hosts, []);
  assert.deepEqual(doc.findings.map((f: { code: string }) => f.code), ['MX_NULL']);
});

test('--verbose: the SMTP transcript on stderr, stdout still one JSON document', async () => {
  const r = await runCli(['probe', '127.0.0.1', '--port', String(good.port), '--json', '-v', ...common()]);
  assert.equal(r.code, 0, r.stderr);
  // without --ca-file the test CA is unknown: a warning, not an error
  assert.deepEqual(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code), ['CERT_UNTRUSTED']);
  assert.match(r.stderr, /--- 127\.0\.0\.1 main/);
  assert.match(r.stderr, /C: EHLO probe\.example\.net/);
  assert.match(r.stderr, /S: 220 mx\.example\.test ESMTP/);
  assert.match(r.stderr, /--- 127\.0\.0\.1 TLSv1\.1/);
});

const BAD: [string[], RegExp][] = [
  [['probe', 'good.test', '--port', 'abc'], /--port "abc" is not a number/],
  [['probe', 'good.test', '--port', '70000'], /--port 70000 is out of range/],
  [['probe'], /give a recipient domain/],
  [['probe', 'exa mple.test'], /is not a domain name/],
  [['probe', '--host', 'bad host!'], /--host/],
  [['probe', 'good.test', '--ca-file', '/nonexistent/ca.pem'], /cannot read --ca-file .*no such file/],
  [['probe', 'good.test', '--ca-file', '/etc/hostname'], /contains no PEM certificate/],
  [['probe', 'good.test', '--greylist-wait', 'soon'], /--greylist-wait "soon" is not a duration/],
  [['probe', 'good.test', '--max-hosts', '0'], /--max-hosts 0 is out of range/],
  [['probe', 'good.test', '--mail-from', 'not-an-address'], /--mail-from "not-an-address" is not an address/],
  [['probe', 'good.test', '--rcpt', 'a@b@c'], /--rcpt/],
  [['probe', 'good.test', '--helo', 'under_score..test'], /--helo/],
  [['probe', 'good.test', '--fail-on', 'never'], /Allowed choices are error, warning, info/],
];
for (const [args, msg] of BAD) {
  test(`bad arguments exit 2 with one line: ${args.slice(1).join(' ') || '(none)'}`, async () => {
    const r = await runCli([...args, '--dns', dns.address]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('--help documents every flag with examples', async () => {
  const r = await runCli(['probe', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--host', '--port', '--helo', '--mail-from', '--rcpt', '--greylist-wait', '--max-hosts', '--ca-file', '--fail-on']) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /Examples:\n\s+\$ mailpace-cli probe example\.org/);
  const top = await runCli(['--help']);
  assert.match(top.stdout, /probe/);
});
