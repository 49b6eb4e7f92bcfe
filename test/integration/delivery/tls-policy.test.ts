/**
 * TLS policy through the delivery engine (RFC 8461 MTA-STS, RFC 7672 DANE): the engine, the real
 * SMTP transport, fixture DNS, a real HTTPS policy host and fake MXs with certificates from the test
 * CA. A policy failure is our own refusal: deferred, a finding, and nothing reaches the MX.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { FakeClock } from '../../../src/core/clock.js';
import { classify } from '../../../src/core/delivery/classify.js';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryEngine } from '../../../src/core/delivery/engine.js';
import { sendReport } from '../../../src/core/delivery/report.js';
import { SmtpTransport } from '../../../src/core/delivery/smtp-transport.js';
import { tlsPolicyFor } from '../../../src/core/delivery/tls-policy.js';
import { httpsPolicyFetcher } from '../../../src/core/probe/mta-sts.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import type { Store } from '../../../src/core/store/store.js';
import { testDeps } from '../../helpers/deps.js';
import { startDnsServer, type Zone } from '../../helpers/dns-server.js';
import { issueLeaf, startHttpsServer, type HttpsFixtureServer } from '../../helpers/https-server.js';
import { makeTestPki, startFakeMx, type FakeMx, type FakeMxOptions, type KeyPair, type TestPki } from '../../helpers/smtp-server.js';

const RAW = Buffer.from('From: sender@example.com\r\nTo: x@example.test\r\nSubject: t\r\nMessage-ID: <tls1@example.com>\r\n\r\nHello\r\n');
const MX_HOST = 'mx.example.test';

/** Recipient domains with a published policy (each its own mta-sts.<domain> host). */
const POLICIES: Record<string, string> = {
  'enforce.test': `version: STSv1\nmode: enforce\nmx: ${MX_HOST}\nmax_age: 86400\n`,
  'enforce-wild.test': 'version: STSv1\nmode: enforce\nmx: *.example.test\nmax_age: 86400\n',
  'elsewhere.test': 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n',
  'testing.test': 'version: STSv1\nmode: testing\nmx: mx.elsewhere.test\nmax_age: 86400\n',
};

let pki: TestPki;
let https: HttpsFixtureServer;

before(async () => {
  pki = await makeTestPki();
  const cert = await issueLeaf(pki, Object.keys(POLICIES).map((d) => `mta-sts.${d}`));
  https = await startHttpsServer({
    cert,
    routes: Object.fromEntries(Object.entries(POLICIES).map(([d, body]) => [`mta-sts.${d}/.well-known/mta-sts.txt`, { body, headers: { 'content-type': 'text/plain' } }])),
  });
});
after(async () => {
  await https.stop();
  await pki.cleanup();
});

/** The zone for `domain` → MX_HOST at 127.0.0.1, its MTA-STS record and policy host when it has one. */
function zoneFor(domain: string, extra: Zone = {}): Zone {
  const z: Zone = { [domain]: { MX: [{ priority: 10, exchange: MX_HOST }] }, [MX_HOST]: { A: ['127.0.0.1'] } };
  if (POLICIES[domain] || domain === 'unreachable.test') {
    z[`_mta-sts.${domain}`] = { TXT: ['v=STSv1; id=20240101T000000'] };
    // unreachable.test: the record is there, the policy host has no address
    if (POLICIES[domain]) z[`mta-sts.${domain}`] = { A: ['127.0.0.1'] };
  }
  return { ...z, ...extra };
}

/** sha256 of the leaf's SubjectPublicKeyInfo: a DANE-EE SPKI SHA2-256 (3 1 1) record's data. */
function spkiSha256(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('hex');
}

let seq = 0;

/**
 * One send of one message to `x@<domain>` through a fresh engine whose tlsPolicy is tlsPolicyFor
 * with the HTTPS fetcher on the test port. `zone` gets the MX's port (for TLSA names).
 */
async function deliver(domain: string, mxOpts: FakeMxOptions, zone: (mxPort: number) => Zone, o: { store?: Store; clock?: FakeClock; httpsPort?: number } = {}) {
  const mx = await startFakeMx(mxOpts);
  const dns = await startDnsServer(zone(mx.port));
  const deps = testDeps(dns, { timeoutMs: 2000 });
  const clock = o.clock ?? new FakeClock(1_700_000_000_000);
  const store = o.store ?? new MemoryStore();
  const transport = new SmtpTransport({ resolver: deps.resolver, clock, heloName: 'client.example.com', timeouts: { connectMs: 2000, greetingMs: 3000, commandMs: 3000 }, ca: pki.caPem });
  const fetcher = httpsPolicyFetcher({ resolver: deps.resolver, timeoutMs: 2000, ca: [pki.caPem], portOverride: o.httpsPort ?? https.port });
  const engine = new DeliveryEngine({
    store,
    transport,
    clock,
    resolver: deps.resolver,
    classify,
    worker: 'test',
    random: () => 0.5,
    // the TLSA name is _<port>._tcp.<mx host>: the port the MX listens on, as the route uses
    tlsPolicy: (d, port, s) => tlsPolicyFor({ resolver: deps.resolver, fetcher, port, policyCache: { store, clock } }, d, s),
  });
  try {
    const id = `t${++seq}`;
    const recipient = `x@${domain}`;
    await engine.enqueue({ id, messageId: '<tls1@example.com>', sender: 'sender@example.com', raw: RAW, recipients: [recipient], options: { ...DEFAULT_DELIVERY_OPTIONS, port: mx.port } });
    await engine.runDue({ id });
    const report = await sendReport(store, { queueId: id, messageId: '<tls1@example.com>', recipients: [recipient], findings: engine.findings });
    return { report, rc: report.recipients[0]!, findings: engine.findings, mx: snapshot(mx), store };
  } finally {
    await transport.close();
    await mx.stop();
    await dns.stop();
  }
}

function snapshot(mx: FakeMx) {
  return { connections: mx.connections, messages: [...mx.messages], commands: [...mx.commands] };
}

function assertNothingSent(mx: { messages: string[]; commands: string[] }) {
  assert.equal(mx.messages.length, 0, 'no message reached the MX');
  assert.ok(!mx.commands.some((c) => c.startsWith('MAIL FROM')), `no transaction started: ${mx.commands.join(', ')}`);
}

// ---- MTA-STS (RFC 8461) ----

test('MTA-STS enforce: mx matches, STARTTLS with a CA-signed certificate naming the host → delivered over TLS', async () => {
  const r = await deliver('enforce.test', { tls: pki.good }, () => zoneFor('enforce.test'));
  assert.equal(r.rc.status, 'delivered', JSON.stringify(r.report));
  assert.equal(r.mx.messages.length, 1);
  const a = r.rc.attempts[0]!;
  assert.equal(a.mx, MX_HOST);
  assert.match(a.tls!.protocol, /^TLSv1\.[23]$/);
  assert.ok(!r.findings.some((f) => f.code === 'MTA_STS_POLICY_FAILED'), JSON.stringify(r.findings));
});

test('MTA-STS enforce with a wildcard mx pattern (*.example.test) matches the host → delivered', async () => {
  const r = await deliver('enforce-wild.test', { tls: pki.good }, () => zoneFor('enforce-wild.test'));
  assert.equal(r.rc.status, 'delivered', JSON.stringify(r.report));
  assert.equal(r.mx.messages.length, 1);
});

test('MTA-STS enforce: the MX host is not among the policy mx hosts → deferred, MTA_STS_POLICY_FAILED, no connection', async () => {
  const r = await deliver('elsewhere.test', { tls: pki.good }, () => zoneFor('elsewhere.test'));
  assert.equal(r.rc.status, 'deferred');
  const f = r.findings.find((x) => x.code === 'MTA_STS_POLICY_FAILED');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.severity, 'error');
  assert.match(f.message, /mx\.example\.test is not among the MTA-STS policy's mx hosts/);
  assert.equal(r.mx.connections, 0, 'a host outside the policy is never contacted');
  assertNothingSent(r.mx);
  assert.equal(r.rc.attempts[0]!.classification?.reason, 'securityerror');
  assert.equal(r.rc.suppressed, false);
  // the recipient stays queued for a retry
  const q = await r.store.listQueue();
  assert.equal(q[0]!.recipients[0]!.status, 'deferred');
});

test('MTA-STS enforce: the MX offers no STARTTLS → deferred, MTA_STS_POLICY_FAILED, nothing sent', async () => {
  const r = await deliver('enforce.test', {}, () => zoneFor('enforce.test'));
  assert.equal(r.rc.status, 'deferred');
  assert.ok(r.findings.some((x) => x.code === 'MTA_STS_POLICY_FAILED'), JSON.stringify(r.findings));
  assert.ok(!r.findings.some((x) => x.code === 'TLS_NOT_USED'));
  assertNothingSent(r.mx);
});

test('MTA-STS enforce: a certificate for another name (chain valid) → deferred, MTA_STS_POLICY_FAILED, nothing sent', async () => {
  const r = await deliver('enforce.test', { tls: pki.wrongName }, () => zoneFor('enforce.test'));
  assert.equal(r.rc.status, 'deferred');
  const f = r.findings.find((x) => x.code === 'MTA_STS_POLICY_FAILED');
  assert.ok(f, JSON.stringify(r.findings));
  assert.match(f.message, /does not name it/);
  assertNothingSent(r.mx);
});

test('MTA-STS enforce: a self-signed certificate (untrusted chain) → deferred, MTA_STS_POLICY_FAILED', async () => {
  const r = await deliver('enforce.test', { tls: pki.selfSigned }, () => zoneFor('enforce.test'));
  assert.equal(r.rc.status, 'deferred');
  const f = r.findings.find((x) => x.code === 'MTA_STS_POLICY_FAILED');
  assert.ok(f, JSON.stringify(r.findings));
  assert.match(f.message, /does not verify/);
  assertNothingSent(r.mx);
});

test('MTA-STS testing mode with an mx mismatch and a wrong certificate: reported, not enforced → delivered', async () => {
  const r = await deliver('testing.test', { tls: pki.wrongName }, () => zoneFor('testing.test'));
  assert.equal(r.rc.status, 'delivered', JSON.stringify(r.report));
  assert.equal(r.mx.messages.length, 1);
  // the policy was fetched and parsed (no "could not be used" warning): testing mode only reports
  assert.ok(https.log.some((l) => l.host === 'mta-sts.testing.test' && l.path === '/.well-known/mta-sts.txt'));
  assert.ok(!r.findings.some((x) => x.code === 'MTA_STS_POLICY_FAILED'), JSON.stringify(r.findings));
});

test('MTA-STS published but the policy host cannot be reached → delivered (opportunistic) with a warning', async () => {
  const r = await deliver('unreachable.test', { tls: pki.good }, () => zoneFor('unreachable.test'));
  assert.equal(r.rc.status, 'delivered', JSON.stringify(r.report));
  assert.equal(r.mx.messages.length, 1);
  const f = r.findings.find((x) => x.code === 'MTA_STS_POLICY_FAILED');
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /opportunistic/);
});

// ---- the MTA-STS policy cache (RFC 8461 §3.3) ----

test('MTA-STS cache: a stored enforce policy is still enforced while the policy host is down, until max_age ends', async () => {
  // its own policy host, so that stopping it leaves the other tests' host alone
  const cert = await issueLeaf(pki, ['mta-sts.cached.test']);
  const own = await startHttpsServer({ cert, routes: { 'mta-sts.cached.test/.well-known/mta-sts.txt': { body: 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 3600\n', headers: { 'content-type': 'text/plain' } } } });
  const zone = (id: string) => () => ({ ...zoneFor('cached.test'), '_mta-sts.cached.test': { TXT: [`v=STSv1; id=${id}`] }, 'mta-sts.cached.test': { A: ['127.0.0.1'] } });
  const store = new MemoryStore();
  const clock = new FakeClock(1_700_000_000_000);
  const first = await deliver('cached.test', { tls: pki.good }, zone('cache1'), { store, clock, httpsPort: own.port });
  assert.equal(first.rc.status, 'deferred', 'the fetched policy does not list the MX');
  assert.equal(own.log.length, 1);
  const stored = await store.getMtaStsPolicy('cached.test');
  assert.deepEqual(stored && { id: stored.id, mode: stored.mode, mx: stored.mx, maxAge: stored.maxAge, expiresAt: stored.expiresAt - stored.fetchedAt }, { id: 'cache1', mode: 'enforce', mx: ['mx.elsewhere.test'], maxAge: 3600, expiresAt: 3_600_000 });
  const port = own.port;
  await own.stop();

  // 30 minutes later the record announces a new id, so a sender must fetch, and the policy host
  // is down: without the cache this would be opportunistic delivery with a warning (see the
  // unreachable test above); the stored policy still refuses the host.
  await clock.advance(30 * 60_000);
  const second = await deliver('cached.test', { tls: pki.good }, zone('cache2'), { store, clock, httpsPort: port });
  assert.equal(second.rc.status, 'deferred', JSON.stringify(second.report));
  assertNothingSent(second.mx);
  assert.equal(second.mx.connections, 0);
  const refused = second.findings.find((f) => f.code === 'MTA_STS_POLICY_FAILED');
  assert.equal(refused?.severity, 'error', JSON.stringify(second.findings));
  const cached = second.findings.find((f) => f.code === 'MTA_STS_POLICY_CACHED');
  assert.ok(cached, JSON.stringify(second.findings));
  assert.match(cached.message, /fetching https:\/\/mta-sts\.cached\.test\/\.well-known\/mta-sts\.txt failed/);
  assert.match(cached.message, /id cache1, mode enforce/);

  // past max_age the stored policy no longer applies: opportunistic, with the fetch warning
  await clock.advance(31 * 60_000);
  const third = await deliver('cached.test', { tls: pki.good }, zone('cache2'), { store, clock, httpsPort: port });
  assert.equal(third.rc.status, 'delivered', JSON.stringify(third.report));
  assert.equal(third.findings.find((f) => f.code === 'MTA_STS_POLICY_FAILED')?.severity, 'warning');
  assert.ok(!third.findings.some((f) => f.code === 'MTA_STS_POLICY_CACHED'));
});

test('MTA-STS cache: the same id uses the stored policy without a fetch; a new id fetches the new policy', async () => {
  const route = 'mta-sts.rotate.test/.well-known/mta-sts.txt';
  const cert = await issueLeaf(pki, ['mta-sts.rotate.test']);
  const routes: Record<string, { body: string; headers: Record<string, string> }> = { [route]: { body: 'version: STSv1\nmode: enforce\nmx: mx.elsewhere.test\nmax_age: 86400\n', headers: { 'content-type': 'text/plain' } } };
  const own = await startHttpsServer({ cert, routes });
  try {
    const zone = (id: string) => () => ({ ...zoneFor('rotate.test'), '_mta-sts.rotate.test': { TXT: [`v=STSv1; id=${id}`] }, 'mta-sts.rotate.test': { A: ['127.0.0.1'] } });
    const store = new MemoryStore();
    const clock = new FakeClock(1_700_000_000_000);
    const first = await deliver('rotate.test', { tls: pki.good }, zone('v1'), { store, clock, httpsPort: own.port });
    assert.equal(first.rc.status, 'deferred');
    assert.equal(own.log.length, 1);

    // the domain fixes its policy but keeps the id: senders keep the stored one, no fetch
    routes[route] = { body: `version: STSv1\nmode: enforce\nmx: ${MX_HOST}\nmax_age: 86400\n`, headers: { 'content-type': 'text/plain' } };
    await clock.advance(60_000);
    const same = await deliver('rotate.test', { tls: pki.good }, zone('v1'), { store, clock, httpsPort: own.port });
    assert.equal(same.rc.status, 'deferred', 'the stored policy (same id) still lists another MX');
    assert.equal(own.log.length, 1, 'no fetch while the id is unchanged');
    assert.ok(!same.findings.some((f) => f.code === 'MTA_STS_POLICY_CACHED'), 'an unchanged id is the normal case, not a fallback');

    // a new id: fetched again, stored, and the MX is now allowed
    await clock.advance(60_000);
    const changed = await deliver('rotate.test', { tls: pki.good }, zone('v2'), { store, clock, httpsPort: own.port });
    assert.equal(own.log.length, 2, 'the new id triggered a fetch');
    assert.equal(changed.rc.status, 'delivered', JSON.stringify(changed.report));
    assert.equal(changed.mx.messages.length, 1);
    const stored = await store.getMtaStsPolicy('rotate.test');
    assert.equal(stored?.id, 'v2');
    assert.deepEqual(stored?.mx, [MX_HOST]);
  } finally {
    await own.stop();
  }
});

// ---- DANE (RFC 7672) ----

function daneZone(domain: string, mxPort: number, cert: KeyPair | string, ad: boolean): Zone {
  const data = typeof cert === 'string' ? cert : spkiSha256(cert.cert);
  return zoneFor(domain, { [`_${mxPort}._tcp.${MX_HOST}`]: { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data }], ad } });
}

test('DANE: authenticated TLSA 3 1 1 matching the leaf SPKI → delivered over TLS', async () => {
  // the self-signed leaf: DANE-EE pins the key, neither chain nor name matter (RFC 7672 §3.1.1)
  const r = await deliver('dane.test', { tls: pki.selfSigned }, (port) => daneZone('dane.test', port, pki.selfSigned, true));
  assert.equal(r.rc.status, 'delivered', JSON.stringify(r.report));
  assert.equal(r.mx.messages.length, 1);
  assert.match(r.rc.attempts[0]!.tls!.protocol, /^TLSv1\.[23]$/);
  assert.ok(!r.findings.some((x) => x.code === 'DANE_FAILED'));
});

test('DANE: authenticated TLSA that matches no certificate → deferred, DANE_FAILED, nothing sent', async () => {
  const r = await deliver('dane.test', { tls: pki.good }, (port) => daneZone('dane.test', port, 'ab'.repeat(32), true));
  assert.equal(r.rc.status, 'deferred');
  const f = r.findings.find((x) => x.code === 'DANE_FAILED');
  assert.ok(f, JSON.stringify(r.findings));
  assert.match(f.message, /matches none of its 1 TLSA record/);
  assertNothingSent(r.mx);
});

test('DANE: authenticated TLSA and the MX offers no STARTTLS → deferred, DANE_FAILED, nothing sent', async () => {
  const r = await deliver('dane.test', {}, (port) => daneZone('dane.test', port, pki.good, true));
  assert.equal(r.rc.status, 'deferred');
  assert.ok(r.findings.some((x) => x.code === 'DANE_FAILED'), JSON.stringify(r.findings));
  assertNothingSent(r.mx);
});

test('DANE: TLSA records without the AD bit are not used (RFC 7672 §2.2) → delivered', async () => {
  const r = await deliver('dane.test', { tls: pki.good }, (port) => daneZone('dane.test', port, 'ab'.repeat(32), false));
  assert.equal(r.rc.status, 'delivered', JSON.stringify(r.report));
  assert.equal(r.mx.messages.length, 1);
  assert.ok(!r.findings.some((x) => x.code === 'DANE_FAILED'));
});

test('DANE takes precedence over MTA-STS (RFC 8461 §2): a matching TLSA delivers where the policy would refuse the host', async () => {
  // elsewhere.test's enforce policy does not list mx.example.test; the host's DANE record wins
  const r = await deliver('elsewhere.test', { tls: pki.good }, (port) => daneZone('elsewhere.test', port, pki.good, true));
  assert.equal(r.rc.status, 'delivered', JSON.stringify(r.report));
  assert.equal(r.mx.messages.length, 1);
  assert.ok(!r.findings.some((x) => x.code === 'MTA_STS_POLICY_FAILED' || x.code === 'DANE_FAILED'), JSON.stringify(r.findings));
});
