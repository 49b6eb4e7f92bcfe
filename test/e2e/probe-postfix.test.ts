/**
 * probe against a real MX: Debian's Postfix with postgrey greylisting, started on loopback by
 * scripts/services/postfix.sh (private config, no relaying, no delivery). Runs the built CLI.
 * The probe must see real greylisting and, with --greylist-wait, measure postgrey's delay.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';

const skip = serviceSkip('postfix');
const env = serviceEnv('postfix');
let dns: DnsFixtureServer;

before(async () => {
  dns = await startDnsServer({
    'mailpace.test': { MX: [{ priority: 10, exchange: 'mx.mailpace.test' }] },
    'mx.mailpace.test': { A: ['127.0.0.1'] },
    '1.0.0.127.in-addr.arpa': { PTR: ['mx.mailpace.test'] },
  });
});
after(() => dns.stop());

/** A recipient postgrey has never seen: every run starts a new triplet. */
const freshRcpt = () => `probe-${randomBytes(6).toString('hex')}@mailpace.test`;

const base = () => ['--port', env!.POSTFIX_PORT!, '--dns', dns.address, '--timeout', '5s', '--helo', 'probe.example.net', '--mail-from', 'probe@example.net', '--json'];

test('real greylisting is detected, and --greylist-wait measures postgrey\'s delay', { skip, timeout: 120_000 }, async () => {
  const delayMs = Number(env!.POSTGREY_DELAY) * 1000;
  const r = await runCli(['probe', 'mailpace.test', ...base(), '--ca-file', env!.POSTFIX_CA_FILE!, '--rcpt', freshRcpt(), '--greylist-wait', '60s'], { timeoutMs: 100_000 });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const h = doc.hosts[0];
  assert.equal(h.host, 'mx.mailpace.test');
  assert.equal(h.banner.code, 220);
  assert.equal(h.greylisting.tested, true);
  assert.equal(h.greylisting.detected, true);
  assert.equal(h.greylisting.pattern, 'greylist-word');
  assert.equal(h.greylisting.firstReply.code, 450);
  assert.equal(h.greylisting.firstReply.enhanced, '4.2.0');
  assert.match(h.greylisting.firstReply.text, /Greylisted/);
  // postgrey counts whole seconds, so acceptance can come up to 1 s before the nominal delay
  assert.ok(h.greylisting.acceptedAfterMs >= delayMs - 1000, `accepted after ${h.greylisting.acceptedAfterMs} ms, delay ${delayMs} ms`);
  assert.ok(h.greylisting.acceptedAfterMs <= 60_000);
  assert.ok(h.greylisting.lastRefusedAfterMs === undefined || h.greylisting.lastRefusedAfterMs < h.greylisting.acceptedAfterMs);
  assert.ok(h.greylisting.retries >= 1);
  assert.ok(doc.findings.some((f: { code: string }) => f.code === 'GREYLISTING_DETECTED'));
  // Postfix logged no queued message: the probe never sent DATA
  const log = readFileSync(env!.POSTFIX_LOG!, 'utf8');
  assert.doesNotMatch(log, /postfix\/cleanup\[\d+\]: [0-9A-F]+: message-id/);
});

test('STARTTLS with the test certificate: trusted with --ca-file, names the MX, TLS 1.0–1.3 accepted', { skip, timeout: 60_000 }, async () => {
  const r = await runCli(['probe', 'mailpace.test', ...base(), '--ca-file', env!.POSTFIX_CA_FILE!, '--rcpt', freshRcpt()]);
  assert.equal(r.code, 0, r.stderr);
  const h = JSON.parse(r.stdout).hosts[0];
  assert.equal(h.starttls, true);
  assert.ok(h.ehlo.includes('STARTTLS') && h.ehlo.includes('ENHANCEDSTATUSCODES'));
  assert.equal(h.tls.negotiated.protocol, 'TLSv1.3');
  assert.deepEqual(h.tls.versions, { TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': true, 'TLSv1.3': true });
  assert.equal(h.tls.certificate.trusted, true);
  assert.equal(h.tls.certificate.nameMatches, true);
  assert.equal(h.ptr, 'mx.mailpace.test');
  assert.deepEqual(h.findings.map((f: { code: string }) => f.code).sort(), ['GREYLISTING_DETECTED', 'TLS_LEGACY_VERSION_ACCEPTED']);
});

test('a recipient outside the MX\'s domain is refused as relaying: RCPT_REJECTED, exit 1', { skip, timeout: 60_000 }, async () => {
  const r = await runCli(['probe', '--host', '127.0.0.1', ...base(), '--rcpt', 'someone@elsewhere.example']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  const rej = doc.findings.find((f: { code: string }) => f.code === 'RCPT_REJECTED');
  assert.ok(rej, JSON.stringify(doc.findings));
  assert.match(rej.message, /554 5\.7\.1 .*Relay access denied/);
});
