/**
 * runProbe end to end on loopback: a fixture DNS server (MX, A, PTR, TLSA, MTA-STS TXT) and fake
 * MXs in the set-ups the issue names. Every run also checks that no DATA was ever sent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { systemClock, type Clock } from '../../../src/core/clock.js';
import { SocketResolver } from '../../../src/core/dns/socket-resolver.js';
import { greylistRetrySchedule } from '../../../src/core/probe/greylisting.js';
import { runProbe, type ProbeDeps, type ProbeOptions, type ProbeTarget } from '../../../src/core/probe/probe.js';
import type { ProbeReport } from '../../../src/core/probe/report.js';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { makeTestPki, startFakeMx, startRawServer, TLS_SETUPS, type FakeMx, type FakeMxOptions, type TestPki } from '../../helpers/smtp-server.js';

let pki: TestPki;
let dns: DnsFixtureServer;
const servers: FakeMx[] = [];
const stops: (() => Promise<void>)[] = [];

before(async () => {
  pki = await makeTestPki();
  dns = await startDnsServer({
    'good.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    'multi.test': { MX: [{ priority: 20, exchange: 'mx2.example.test' }, { priority: 10, exchange: 'mx.example.test' }] },
    'implicit.test': { A: ['127.0.0.1'] },
    'nullmx.test': { MX: [{ priority: 0, exchange: '.' }] },
    'broken.test': { behaviour: 'servfail' },
    'noaddr.test': { MX: [{ priority: 10, exchange: 'nowhere.example.test' }] },
    'nowhere.example.test': { TXT: ['exists, no address'] },
    'sts.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    '_mta-sts.sts.test': { TXT: ['v=STSv1; id=2026'] },
    'mx.example.test': { A: ['127.0.0.1'] },
    'mx2.example.test': { A: ['127.0.0.2'] },
    'dual.test': { MX: [{ priority: 10, exchange: 'dual.example.test' }] },
    'dual.example.test': { A: ['127.0.0.3', '127.0.0.4'] },
    '1.0.0.127.in-addr.arpa': { PTR: ['mx.example.test'] },
  });
});
after(async () => {
  for (const s of servers) await s.stop();
  for (const s of stops) await s();
  await dns.stop();
  await pki.cleanup();
});

async function mx(opts: FakeMxOptions): Promise<FakeMx> {
  const s = await startFakeMx(opts);
  servers.push(s);
  return s;
}

function deps(over: Partial<ProbeDeps> = {}): ProbeDeps {
  return { resolver: new SocketResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 1000 }), clock: systemClock, timeoutMs: 2000, ...over };
}

function options(port: number, over: Partial<ProbeOptions> = {}): ProbeOptions {
  return { port, heloName: 'probe.example.net', mailFrom: 'probe@example.net', greylistWaitMs: 0, maxHosts: 5, caPem: [pki.caPem], ...over };
}

async function probe(port: number, target: ProbeTarget = { domain: 'good.test' }, over: Partial<ProbeOptions> = {}, d: Partial<ProbeDeps> = {}): Promise<ProbeReport> {
  return runProbe(deps(d), target, options(port, over));
}

const codes = (r: ProbeReport) => [...new Set(r.findings.map((f) => f.code))].sort();

/** A clock whose sleeps take no time: schedules run instantly and deterministically. */
class InstantClock implements Clock {
  constructor(private t = Date.now()) {}
  now() {
    return this.t;
  }
  async sleep(ms: number) {
    this.t += Math.max(0, ms);
  }
}

test('a good MX: banner, EHLO, TLS 1.2+1.3, trusted certificate naming the host, PTR, no greylisting, no DATA', async () => {
  const s = await mx({ tls: { ...pki.good, ...TLS_SETUPS['tls1.2-only'], maxVersion: 'TLSv1.3' } });
  const r = await probe(s.port);
  assert.deepEqual(codes(r), []);
  assert.equal(r.target, 'good.test');
  assert.equal(r.incomplete, false);
  const h = r.hosts[0]!;
  assert.equal(h.host, 'mx.example.test');
  assert.equal(h.priority, 10);
  assert.equal(h.address, '127.0.0.1');
  assert.equal(h.ptr, 'mx.example.test');
  assert.equal(h.banner?.code, 220);
  assert.ok(h.ehlo.includes('STARTTLS') && h.ehlo.includes('PIPELINING'));
  assert.equal(h.starttls, true);
  assert.deepEqual(h.tls?.negotiated, { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
  assert.deepEqual(h.tls?.versions, { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true });
  const c = h.tls!.certificate!;
  assert.equal(c.trusted, true);
  assert.equal(c.nameMatches, true);
  assert.equal(c.selfSigned, false);
  assert.deepEqual(c.altNames, ['mx.example.test', 'mx2.example.test', '127.0.0.1']);
  assert.deepEqual(h.greylisting, { tested: true, detected: false, firstReply: { code: 250, enhanced: null, text: 'Accepted' }, acceptedAfterMs: null });
  assert.ok(h.timings.totalMs >= 0 && h.timings.bannerMs !== undefined && h.timings.tlsMatrixMs !== undefined);
  assert.deepEqual(s.commands, ['MAIL FROM:<probe@example.net>', 'RCPT TO:<postmaster@good.test>']);
  // main session + one per TLS version
  assert.equal(s.connections, 5);
});

const MATRIX: [keyof typeof TLS_SETUPS | 'tls1.0-1.1', Record<string, boolean>, string[]][] = [
  ['tls1.2-only', { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': false }, []],
  ['tls1.0-1.3', { TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': true, 'TLSv1.3': true }, ['TLS_LEGACY_VERSION_ACCEPTED']],
  ['tls1.3-only', { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': true }, []],
  ['tls1.0-1.1', { TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': false, 'TLSv1.3': false }, ['TLS_LEGACY_VERSION_ACCEPTED', 'TLS_NO_MODERN_VERSION']],
];
for (const [setup, versions, expected] of MATRIX) {
  test(`TLS version matrix: ${setup}`, async () => {
    const range = setup === 'tls1.0-1.1' ? ({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' } as const) : TLS_SETUPS[setup];
    const s = await mx({ tls: { ...pki.good, ...range } });
    const r = await probe(s.port);
    assert.deepEqual(r.hosts[0]!.tls?.versions, versions);
    assert.deepEqual(codes(r), expected);
    // the main session uses Node's defaults (TLS 1.2+), like a current sender: a legacy-only host negotiates nothing
    const best = Object.keys(versions).filter((v) => versions[v]).pop()!;
    assert.equal(r.hosts[0]!.tls?.negotiated?.protocol, best === 'TLSv1.1' ? undefined : best);
  });
}

test('no STARTTLS: MX_NO_STARTTLS, no TLS section, no version attempts', async () => {
  const s = await mx({});
  const r = await probe(s.port);
  assert.deepEqual(codes(r), ['MX_NO_STARTTLS']);
  assert.equal(r.hosts[0]!.starttls, false);
  assert.equal(r.hosts[0]!.tls, null);
  assert.equal(s.connections, 1);
});

test('STARTTLS offered but the handshake breaks: STARTTLS_FAILED, and the probe carries on in plaintext', async () => {
  const srv = await startRawServer('broken-starttls');
  stops.push(srv.stop);
  const r = await probe(srv.port);
  assert.deepEqual(codes(r), ['STARTTLS_FAILED']);
  const h = r.hosts[0]!;
  assert.equal(h.starttls, true);
  assert.equal(h.tls?.negotiated, null);
  assert.deepEqual(h.tls?.versions, { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': false });
  assert.equal(h.greylisting.tested, true);
  assert.ok(!srv.received.join('').includes('DATA'));
});

const CERTS: [string, keyof TestPki, boolean, string[], (r: ProbeReport) => void][] = [
  ['expired', 'expired', true, ['CERT_EXPIRED'], (r) => {
    const c = r.hosts[0]!.tls!.certificate!;
    assert.ok(c.daysLeft < 0);
    assert.equal(c.trusted, false);
    assert.equal(c.trustError, 'CERT_HAS_EXPIRED');
  }],
  ['wrong-name', 'wrongName', true, ['CERT_NAME_MISMATCH'], (r) => assert.equal(r.hosts[0]!.tls!.certificate!.nameMatches, false)],
  ['self-signed', 'selfSigned', true, ['CERT_UNTRUSTED'], (r) => {
    const c = r.hosts[0]!.tls!.certificate!;
    assert.equal(c.selfSigned, true);
    assert.equal(c.trusted, false);
  }],
  ['expiring soon', 'expiringSoon', true, ['CERT_EXPIRING_SOON'], (r) => assert.ok(r.hosts[0]!.tls!.certificate!.daysLeft < 14)],
  ['good but CA not trusted (no --ca-file)', 'good', false, ['CERT_UNTRUSTED'], (r) => assert.equal(r.hosts[0]!.tls!.certificate!.trustError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE')],
  ['wildcard', 'wildcard', true, [], (r) => assert.equal(r.hosts[0]!.tls!.certificate!.nameMatches, true)],
];
for (const [name, key, trustCa, expected, check] of CERTS) {
  test(`certificate: ${name}`, async () => {
    const pair = pki[key] as { key: string; cert: string };
    const s = await mx({ tls: { ...pair, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } });
    const r = await probe(s.port, { domain: 'good.test' }, { caPem: trustCa ? [pki.caPem] : undefined });
    assert.deepEqual(codes(r), expected);
    check(r);
  });
}

test('greylisting is detected from the RCPT reply; without --greylist-wait there is one attempt', async () => {
  const s = await mx({ tls: pki.good, greylist: { delayMs: 300_000, clock: systemClock } });
  const r = await probe(s.port);
  assert.deepEqual(codes(r), ['GREYLISTING_DETECTED']);
  const g = r.hosts[0]!.greylisting;
  assert.equal(g.detected, true);
  assert.equal(g.pattern, 'greylist-word');
  assert.equal(g.firstReply?.code, 450);
  assert.equal(g.firstReply?.enhanced, '4.2.0');
  assert.equal(g.acceptedAfterMs, null);
  assert.equal(s.greylistLog.length, 1);
  assert.ok(!s.commands.includes('DATA'));
});

test('with --greylist-wait the probe reconnects on the back-off schedule and measures the delay (clock-driven)', async () => {
  const clock = new InstantClock();
  const s = await mx({ tls: pki.good, greylist: { delayMs: 300_000, clock } });
  const r = await probe(s.port, { domain: 'good.test' }, { greylistWaitMs: 600_000 }, { clock });
  const g = r.hosts[0]!.greylisting;
  const schedule = greylistRetrySchedule(600_000);
  const acceptedAt = schedule.find((o) => o >= 300_000)!;
  assert.equal(g.detected, true);
  assert.equal(g.acceptedAfterMs, acceptedAt);
  assert.equal(g.lastRefusedAfterMs, schedule[schedule.indexOf(acceptedAt) - 1]);
  assert.equal(g.retries, schedule.indexOf(acceptedAt) + 1);
  assert.deepEqual(s.greylistLog.map((x) => x.accepted), [...Array(schedule.indexOf(acceptedAt) + 1).fill(false), true]);
  assert.deepEqual(codes(r), ['GREYLISTING_DETECTED']);
  assert.ok(!s.commands.includes('DATA'));
});

test('a greylisting delay longer than the wait: GREYLISTING_NOT_CLEARED after the whole schedule', async () => {
  const clock = new InstantClock();
  const s = await mx({ tls: pki.good, greylist: { delayMs: 300_000, clock } });
  const r = await probe(s.port, { domain: 'good.test' }, { greylistWaitMs: 30_000 }, { clock });
  const g = r.hosts[0]!.greylisting;
  assert.equal(g.acceptedAfterMs, null);
  assert.equal(g.retries, greylistRetrySchedule(30_000).length);
  assert.equal(g.lastRefusedAfterMs, 30_000);
  assert.deepEqual(codes(r), ['GREYLISTING_DETECTED', 'GREYLISTING_NOT_CLEARED']);
});

test('a 5xx on the probe recipient is RCPT_REJECTED; a refused sender is MAIL_FROM_REJECTED', async () => {
  const s = await mx({ tls: pki.good, rcptReplies: { 'postmaster@good.test': { code: 550, message: '5.1.1 mailbox unavailable' } } });
  const r = await probe(s.port);
  assert.deepEqual(codes(r), ['RCPT_REJECTED']);
  assert.deepEqual(r.hosts[0]!.greylisting.firstReply, { code: 550, enhanced: '5.1.1', text: 'mailbox unavailable' });
  const s2 = await mx({ tls: pki.good, mailReply: { code: 553, message: '5.7.1 sender refused' } });
  const r2 = await probe(s2.port);
  assert.deepEqual(codes(r2), ['MAIL_FROM_REJECTED']);
  assert.deepEqual(s2.commands, ['MAIL FROM:<probe@example.net>'], 'no RCPT after a refused MAIL');
});

test('banner 554: SMTP_BANNER_ERROR, the host counts as reached', async () => {
  const s = await mx({ refuse: { code: 554, message: '5.7.1 You are not welcome here' } });
  const r = await probe(s.port);
  assert.deepEqual(codes(r), ['SMTP_BANNER_ERROR']);
  assert.deepEqual(r.hosts[0]!.banner, { code: 554, text: '5.7.1 You are not welcome here' });
  assert.equal(r.hosts[0]!.reachable, true);
  assert.equal(r.incomplete, false);
  assert.equal(s.connections, 1, 'no TLS attempts after a refusal');
});

test('a server that stalls after connect: SMTP_BANNER_ERROR, not reached, the run is incomplete', async () => {
  const srv = await startRawServer('stall');
  stops.push(srv.stop);
  const r = await probe(srv.port, { domain: 'good.test' }, { greetingFactor: 1 }, { timeoutMs: 300 });
  assert.deepEqual(codes(r), ['SMTP_BANNER_ERROR']);
  assert.equal(r.hosts[0]!.reachable, false);
  assert.equal(r.hosts[0]!.error?.code, 'SMTP_GREETING_TIMEOUT');
  assert.equal(r.incomplete, true);
});

test('a server that sends garbage: SMTP_BANNER_ERROR with the bytes shown safely', async () => {
  const srv = await startRawServer('garbage');
  stops.push(srv.stop);
  const r = await probe(srv.port);
  assert.deepEqual(codes(r), ['SMTP_BANNER_ERROR']);
  assert.equal(r.hosts[0]!.error?.code, 'SMTP_PROTOCOL_ERROR');
  assert.match(r.findings[0]!.message, /not an SMTP reply: \\x16\\x03/);
});

test('connection refused: SMTP_CONNECT_FAILED and incomplete', async () => {
  const srv = await startRawServer('close');
  await srv.stop();
  const r = await probe(srv.port);
  assert.deepEqual(codes(r), ['SMTP_CONNECT_FAILED']);
  assert.equal(r.hosts[0]!.reachable, false);
  assert.equal(r.incomplete, true);
});

test('several MX hosts: preference order, probed concurrently, --max-hosts, PTR missing on the second', async () => {
  const a = await mx({ tls: pki.good });
  const b = await mx({ tls: pki.good, host: '127.0.0.2', port: a.port });
  const r = await probe(a.port, { domain: 'multi.test' });
  assert.deepEqual(r.hosts.map((h) => [h.host, h.priority, h.address]), [
    ['mx.example.test', 10, '127.0.0.1'],
    ['mx2.example.test', 20, '127.0.0.2'],
  ]);
  assert.deepEqual(codes(r), ['PTR_MISSING']);
  assert.equal(r.hosts[1]!.findings[0]!.code, 'PTR_MISSING');
  assert.ok(a.connections > 0 && b.connections > 0);
  const one = await probe(a.port, { domain: 'multi.test' }, { maxHosts: 1 });
  assert.deepEqual(one.hosts.map((h) => h.host), ['mx.example.test']);
  assert.deepEqual(one.skippedHosts, ['mx2.example.test']);
});

test('a host whose first address refuses at the greeting or is down: the next address is probed, SMTP_ADDRESS_FAILED says which failed', async () => {
  const refusing = await mx({ refuse: { code: 554, message: '5.7.1 not here' }, host: '127.0.0.3' });
  const good = await mx({ tls: pki.wildcard, host: '127.0.0.4', port: refusing.port });
  const r = await probe(refusing.port, { domain: 'dual.test' });
  const h = r.hosts[0]!;
  assert.equal(h.address, '127.0.0.4');
  assert.equal(h.reachable, true);
  assert.equal(h.banner?.code, 220);
  assert.equal(h.failedAddresses?.length, 1);
  assert.equal(h.failedAddresses![0]!.address, '127.0.0.3');
  assert.match(h.failedAddresses![0]!.message, /554/);
  const failed = h.findings.filter((f) => f.code === 'SMTP_ADDRESS_FAILED');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.severity, 'warning');
  assert.match(failed[0]!.message, /127\.0\.0\.3 failed .*554.*127\.0\.0\.4 was probed/);
  assert.ok(!codes(r).includes('SMTP_BANNER_ERROR'), 'mail still gets through: no banner error for the host');
  assert.equal(refusing.connections, 1);
  assert.ok(good.connections > 0);

  // the first address down (nothing listens there): the same, with the connection error
  await refusing.stop();
  const r2 = await probe(refusing.port, { domain: 'dual.test' });
  const h2 = r2.hosts[0]!;
  assert.equal(h2.address, '127.0.0.4');
  assert.deepEqual(h2.failedAddresses!.map((a) => a.address), ['127.0.0.3']);
  assert.ok(codes(r2).includes('SMTP_ADDRESS_FAILED'));
  assert.ok(!codes(r2).includes('SMTP_CONNECT_FAILED'));
});

test('no MX: the domain itself is the implicit MX (RFC 5321 §5.1)', async () => {
  const s = await mx({ tls: pki.good });
  const r = await probe(s.port, { domain: 'implicit.test' });
  assert.deepEqual(r.hosts.map((h) => [h.host, h.priority]), [['implicit.test', 0]]);
  assert.deepEqual(codes(r), ['CERT_NAME_MISMATCH']);
});

test('null MX, NXDOMAIN, SERVFAIL and an MX without address: findings, and no connection attempted', async () => {
  const s = await mx({ tls: pki.good });
  const nul = await probe(s.port, { domain: 'nullmx.test' });
  assert.deepEqual(nul.findings.map((f) => [f.code, f.severity]), [['MX_NULL', 'error']]);
  assert.deepEqual(nul.hosts, []);
  assert.equal(nul.incomplete, false);
  assert.deepEqual(codes(await probe(s.port, { domain: 'missing.test' })), ['PROBE_NO_MAIL_HOSTS']);
  const fail = await probe(s.port, { domain: 'broken.test' });
  assert.deepEqual(fail.findings.map((f) => [f.code, f.check]), [['DNS_SERVFAIL', 'mx']]);
  const noaddr = await probe(s.port, { domain: 'noaddr.test' });
  assert.deepEqual(codes(noaddr), ['MX_TARGET_UNRESOLVABLE']);
  assert.equal(noaddr.hosts[0]!.reachable, false);
  assert.equal(s.connections, 0);
});

test('--host probes one host directly; an IP literal needs no DNS and is name-checked against IP SANs', async () => {
  const s = await mx({ tls: pki.good });
  const r = await probe(s.port, { host: '127.0.0.1' });
  assert.equal(r.target, '127.0.0.1');
  assert.equal(r.domain, null);
  assert.equal(r.hosts[0]!.priority, null);
  assert.equal(r.hosts[0]!.tls?.certificate?.nameMatches, true);
  assert.deepEqual(s.commands, ['MAIL FROM:<probe@example.net>', 'RCPT TO:<postmaster>']);
  const byName = await probe(s.port, { host: 'mx.example.test', domain: 'good.test' });
  assert.equal(byName.hosts[0]!.host, 'mx.example.test');
  assert.deepEqual(codes(byName), []);
});

test('MTA-STS: the host is checked against the policy; a policy that cannot be fetched is a finding', async () => {
  const s = await mx({ tls: pki.good });
  const policy = (mx: string, mode = 'enforce') => async () => ({ status: 200, body: `version: STSv1\nmode: ${mode}\nmx: ${mx}\nmax_age: 86400\n` });
  const ok = await probe(s.port, { domain: 'sts.test' }, {}, { fetchPolicy: policy('*.example.test') });
  assert.deepEqual(codes(ok), []);
  assert.deepEqual(ok.mtaSts, { published: true, id: '2026', mode: 'enforce', mx: ['*.example.test'], maxAge: 86400 });
  assert.deepEqual(ok.hosts[0]!.mtaSts, { mode: 'enforce', mxListed: true, failures: [] });
  const enforce = await probe(s.port, { domain: 'sts.test' }, {}, { fetchPolicy: policy('mail.other.test') });
  assert.deepEqual(enforce.findings.map((f) => [f.code, f.severity]), [['MTA_STS_MX_MISMATCH', 'error']]);
  const enforceTls = await probe(s.port, { domain: 'sts.test' }, { caPem: undefined }, { fetchPolicy: policy('*.example.test') });
  assert.deepEqual(codes(enforceTls), ['CERT_UNTRUSTED', 'MTA_STS_ENFORCE_FAILURE']);
  const testing = await probe(s.port, { domain: 'sts.test' }, { caPem: undefined }, { fetchPolicy: policy('*.example.test', 'testing') });
  assert.deepEqual(codes(testing), ['CERT_UNTRUSTED', 'MTA_STS_TESTING_FAILURE']);
  assert.match(testing.hosts[0]!.mtaSts!.failures.join(), /not trusted/);
  const gone = await probe(s.port, { domain: 'sts.test' }, {}, { fetchPolicy: async () => ({ status: 404, body: 'not found' }) });
  assert.deepEqual(codes(gone), ['MTA_STS_POLICY_UNREACHABLE']);
  const junk = await probe(s.port, { domain: 'sts.test' }, {}, { fetchPolicy: async () => ({ status: 200, body: '<html>' }) });
  assert.deepEqual(codes(junk), ['MTA_STS_POLICY_INVALID']);
});

test('DANE: TLSA records are compared with the presented certificate', async () => {
  const spki = new X509Certificate(pki.good.cert).publicKey.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(spki).digest('hex');
  // two servers, so two TLSA names (_<port>._tcp.<host>): the fixture server may cache answers per name
  const s = await mx({ tls: pki.good });
  const t = await mx({ tls: pki.good });
  const name = `_${s.port}._tcp.mx.example.test`;
  dns.zone[name] = { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: digest }], ad: true };
  dns.zone[`_${t.port}._tcp.mx.example.test`] = { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: '00'.repeat(32) }] };
  const ok = await probe(s.port);
  assert.deepEqual(codes(ok), []);
  assert.deepEqual(ok.hosts[0]!.dane, { tlsaName: name, records: 1, authenticated: true, usable: 1, matched: true });
  const bad = await probe(t.port);
  assert.deepEqual(codes(bad), ['DANE_TLSA_MISMATCH', 'DANE_TLSA_NOT_VALIDATED']);
  assert.equal(bad.hosts[0]!.dane?.matched, false);
});
