import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { startDnsServer, type DnsFixtureServer, type Zone } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { makeTestPki, type TestPki } from '../../helpers/smtp-server.js';
import { issueLeaf, startHttpsServer, type HttpsFixtureServer, type HttpsReply } from '../../helpers/https-server.js';
import { checkMtaSts, mxMatchesPattern, parseStsPolicy, parseStsRecord } from '../../../src/core/domain/mta-sts.js';
import { createPolicyFetcher, PolicyFetchError, type PolicyFetcher } from '../../../src/core/domain/policy-fetch.js';

const PATH = '/.well-known/mta-sts.txt';
const policy = (lines: string[], eol = '\n') => lines.join(eol) + eol;
const enforce = (mx: string[], maxAge = 604800, mode = 'enforce') => policy(['version: STSv1', `mode: ${mode}`, ...mx.map((m) => `mx: ${m}`), `max_age: ${maxAge}`]);
const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

/** Each case: the policy served at mta-sts.<domain> (or none), the TXT records, the MX hosts. */
interface Case {
  txt?: string[];
  reply?: HttpsReply;
  mx?: string[];
}
const CASES: Record<string, Case> = {
  'good.test': { reply: { body: enforce(['mx1.good.test', '*.relay.good.test']), headers: TEXT }, mx: ['mx1.good.test', 'a.relay.good.test'] },
  'crlf.test': { reply: { body: policy(['version: STSv1', 'mode: enforce', 'mx: mx.crlf.test', 'max_age: 86400'], '\r\n'), headers: TEXT }, mx: ['mx.crlf.test'] },
  'barecr.test': { reply: { body: policy(['version: STSv1', 'mode: enforce', 'mx: mx.barecr.test', 'max_age: 86400'], '\r'), headers: TEXT } },
  'norecord.test': { txt: ['v=spf1 -all'] },
  'badid.test': { txt: ['v=STSv1; id=not-valid!'], reply: { body: enforce(['mx.badid.test']), headers: TEXT } },
  'noid.test': { txt: ['v=STSv1;'], reply: { body: enforce(['mx.noid.test']), headers: TEXT } },
  'multi.test': { txt: ['v=STSv1; id=1', 'v=STSv1; id=2'], reply: { body: enforce(['mx.multi.test']), headers: TEXT } },
  'testing.test': { reply: { body: enforce(['mx.testing.test'], 604800, 'testing'), headers: TEXT }, mx: ['mx.testing.test'] },
  'modenone.test': { reply: { body: policy(['version: STSv1', 'mode: none', 'max_age: 86400']), headers: TEXT }, mx: ['mx.elsewhere.test'] },
  'mismatch.test': { reply: { body: enforce(['*.mismatch.test']), headers: TEXT }, mx: ['mx.deep.mismatch.test', 'mx.mismatch.test'] },
  'apex.test': { reply: { body: enforce(['*.apex.test']), headers: TEXT }, mx: ['apex.test'] },
  'mismatchtesting.test': { reply: { body: enforce(['mx.other.test'], 604800, 'testing'), headers: TEXT }, mx: ['mx.mismatchtesting.test'] },
  'shortage.test': { reply: { body: enforce(['mx.shortage.test'], 3600), headers: TEXT }, mx: ['mx.shortage.test'] },
  'oneday.test': { reply: { body: enforce(['mx.oneday.test'], 86400), headers: TEXT } },
  'maxyear.test': { reply: { body: enforce(['mx.maxyear.test'], 31557600), headers: TEXT } },
  'overyear.test': { reply: { body: enforce(['mx.overyear.test'], 31557601), headers: TEXT } },
  'nomxlines.test': { reply: { body: policy(['version: STSv1', 'mode: enforce', 'max_age: 604800']), headers: TEXT } },
  'html.test': { reply: { body: enforce(['mx.html.test']), headers: { 'content-type': 'text/html' } } },
  'casing.test': { reply: { body: policy(['version: STSv1', 'Mode: enforce', 'mx: mx.casing.test', 'max_age: 604800']), headers: TEXT } },
  'redirect.test': { reply: { status: 301, headers: { location: 'https://www.redirect.test/mta-sts.txt' } } },
  'status404.test': {},
  'stall.test': { reply: { stall: 'headers' } },
  'stallbody.test': { reply: { stall: 'body', body: enforce(['mx.stallbody.test']), headers: TEXT } },
  'big.test': { reply: { body: 'x'.repeat(70 * 1024), headers: TEXT } },
  'bigchunked.test': { reply: { body: `${enforce(['mx.bigchunked.test'])}${'#'.repeat(80 * 1024)}`, headers: TEXT, chunkSize: 8192 } },
  'wrongcert.test': { reply: { body: enforce(['mx.wrongcert.test']), headers: TEXT } },
  'selfsigned.test': { reply: { body: enforce(['mx.selfsigned.test']), headers: TEXT } },
  'binary.test': { reply: { body: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x80, 0x81]), headers: TEXT } },
  'longtxt.test': { txt: [`v=STSv1; id=${'a'.repeat(4000)}`], reply: { body: enforce(['mx.longtxt.test']), headers: TEXT } },
  'nonascii.test': { txt: ['v=STSv1; id=café2024'], reply: { body: enforce(['mx.nonascii.test']), headers: TEXT } },
  'expiredcert.test': { reply: { body: enforce(['mx.expiredcert.test']), headers: TEXT } },
};

let dns: DnsFixtureServer;
let web: HttpsFixtureServer;
let pki: TestPki;
let fetcher: PolicyFetcher;
let closedPort: number;

before(async () => {
  pki = await makeTestPki();
  const hosts = Object.keys(CASES).map((d) => `mta-sts.${d}`);
  const leaf = await issueLeaf(pki, hosts);
  const zone: Zone = {
    'mta-sts.nohost.test': { TXT: ['unrelated'] },
    '_mta-sts.nohost.test': { TXT: ['v=STSv1; id=1'] },
    '_mta-sts.policydnsfail.test': { TXT: ['v=STSv1; id=1'] },
    'mta-sts.policydnsfail.test': { behaviour: 'servfail' },
    '_mta-sts.slowtxt.test': { behaviour: 'timeout' },
    '_mta-sts.refused.test': { TXT: ['v=STSv1; id=1'] },
    'mta-sts.refused.test': { A: ['127.0.0.1'] },
  };
  const routes: Record<string, HttpsReply> = {};
  for (const [domain, c] of Object.entries(CASES)) {
    zone[`_mta-sts.${domain}`] = { TXT: c.txt ?? ['v=STSv1; id=20240101000000Z'] };
    zone[`mta-sts.${domain}`] = { A: ['127.0.0.1'] };
    if (c.reply) routes[`mta-sts.${domain}${PATH}`] = c.reply;
  }
  dns = await startDnsServer(zone);
  web = await startHttpsServer({
    cert: leaf,
    sni: { 'mta-sts.wrongcert.test': pki.wrongName, 'mta-sts.selfsigned.test': pki.selfSigned, 'mta-sts.expiredcert.test': pki.expired },
    routes,
  });
  fetcher = createPolicyFetcher({ resolver: testDeps(dns).resolver, ca: pki.caPem, port: web.port, timeoutMs: 1000 });
  // A port nobody listens on: bind, read the port, close.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});

after(async () => {
  await fetcher?.close();
  await web?.stop();
  await dns?.stop();
  await pki?.cleanup();
});

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();
const run = (domain: string, f: PolicyFetcher = fetcher) => checkMtaSts(testDeps(dns, { timeoutMs: 300 }), domain, { mxHosts: CASES[domain]?.mx, fetcher: f });

test('a valid enforce policy whose patterns cover every MX: no findings, active', async () => {
  const { result, findings } = await run('good.test');
  assert.deepEqual(findings, []);
  assert.equal(result.active, true);
  assert.equal(result.mode, 'enforce');
  assert.equal(result.id, '20240101000000Z');
  assert.deepEqual(result.policy?.mx, ['mx1.good.test', '*.relay.good.test']);
  assert.equal(result.policy?.maxAge, 604800);
  assert.equal(result.policy?.lineEndings, 'lf');
  assert.equal(result.policyUrl, 'https://mta-sts.good.test/.well-known/mta-sts.txt');
  assert.deepEqual(result.unmatchedMx, []);
});

test('the policy host is resolved through our resolver, not the system one', async () => {
  // The net guard makes the system resolver fail for any non-loopback name, so a successful fetch
  // of mta-sts.good.test can only have been resolved by the fixture DNS server; the log shows it.
  const fresh = createPolicyFetcher({ resolver: testDeps(dns).resolver, ca: pki.caPem, port: web.port, timeoutMs: 1000 });
  try {
    const before = dns.count('mta-sts.good.test', 'A');
    const res = await fresh.get('https://mta-sts.good.test/.well-known/mta-sts.txt');
    assert.equal(res.status, 200);
    assert.equal(dns.count('mta-sts.good.test', 'A'), before + 1);
    assert.ok(web.log.some((r) => r.host === 'mta-sts.good.test' && r.path === PATH));
  } finally {
    await fresh.close();
  }
});

test('CRLF line endings are as valid as LF (RFC 8461 §3.2)', async () => {
  const { result, findings } = await run('crlf.test');
  assert.deepEqual(findings, []);
  assert.equal(result.policy?.lineEndings, 'crlf');
  assert.equal(result.active, true);
});

const cases: [string, string[]][] = [
  ['norecord.test', ['MTA_STS_MISSING']],
  ['badid.test', ['MTA_STS_RECORD_INVALID']],
  ['noid.test', ['MTA_STS_RECORD_INVALID']],
  ['multi.test', ['MTA_STS_RECORD_INVALID']],
  ['testing.test', ['MTA_STS_TESTING']],
  ['modenone.test', ['MTA_STS_MODE_NONE']],
  ['mismatch.test', ['MTA_STS_MX_MISMATCH']],
  ['apex.test', ['MTA_STS_MX_MISMATCH']],
  ['mismatchtesting.test', ['MTA_STS_MX_MISMATCH', 'MTA_STS_TESTING']],
  ['shortage.test', ['MTA_STS_MAX_AGE_SHORT']],
  ['oneday.test', []],
  ['maxyear.test', []],
  ['overyear.test', ['MTA_STS_POLICY_INVALID']],
  ['nomxlines.test', ['MTA_STS_POLICY_INVALID']],
  ['html.test', ['MTA_STS_POLICY_INVALID']],
  ['casing.test', ['MTA_STS_POLICY_INVALID']],
  ['barecr.test', ['MTA_STS_POLICY_INVALID']],
  ['big.test', ['MTA_STS_POLICY_INVALID']],
  ['bigchunked.test', ['MTA_STS_POLICY_INVALID']],
  ['binary.test', ['MTA_STS_POLICY_INVALID']],
  ['longtxt.test', ['MTA_STS_RECORD_INVALID']],
  ['nonascii.test', ['MTA_STS_RECORD_INVALID']],
  ['redirect.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['status404.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['stall.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['stallbody.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['wrongcert.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['selfsigned.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['expiredcert.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['nohost.test', ['MTA_STS_POLICY_UNREACHABLE']],
  ['policydnsfail.test', ['DNS_SERVFAIL']],
  ['slowtxt.test', ['DNS_TIMEOUT']],
];
for (const [domain, expected] of cases) {
  test(`${domain} → ${expected.join(', ') || 'no findings'}`, async () => {
    const { findings } = await run(domain);
    assert.deepEqual(codes(findings), expected);
    for (const f of findings) {
      assert.equal(f.check, 'mta-sts');
      assert.ok(f.fix, `${f.code} has a fix`);
    }
  });
}

test('MX mismatch: wildcards match exactly one label; the error names the unmatched host', async () => {
  const { result, findings } = await run('mismatch.test');
  assert.deepEqual(result.unmatchedMx, ['mx.deep.mismatch.test']);
  assert.equal(findings[0]!.severity, 'error');
  assert.match(findings[0]!.message, /mx\.deep\.mismatch\.test/);
  const apex = await run('apex.test');
  assert.deepEqual(apex.result.unmatchedMx, ['apex.test'], '"*.apex.test" does not match apex.test itself');
});

test('MX mismatch in testing mode is a warning, not an error', async () => {
  const { findings } = await run('mismatchtesting.test');
  assert.equal(findings.find((f) => f.code === 'MTA_STS_MX_MISMATCH')!.severity, 'warning');
});

test('mode none needs no mx lines and skips MX matching', async () => {
  const { result } = await run('modenone.test');
  assert.equal(result.mode, 'none');
  assert.deepEqual(result.unmatchedMx, []);
});

test('an invalid record still fetches the policy, but the policy is not active', async () => {
  const { result } = await run('badid.test');
  assert.equal(result.policy?.mode, 'enforce');
  assert.equal(result.active, false);
});

test('max_age over one year is invalid; the message names the limit', async () => {
  const { findings } = await run('overyear.test');
  assert.match(findings[0]!.message, /31557600/);
});

test('content type, casing and bare CR problems are each spelled out', async () => {
  assert.match((await run('html.test')).findings[0]!.message, /text\/html.*not text\/plain/);
  assert.match((await run('casing.test')).findings[0]!.message, /"Mode" must be written "mode"/);
  assert.match((await run('barecr.test')).findings[0]!.message, /bare CR/);
  assert.match((await run('nomxlines.test')).findings[0]!.message, /no "mx:" line/);
});

test('binary garbage in the policy is reported without control characters in the message', async () => {
  const { findings } = await run('binary.test');
  assert.match(findings[0]!.message, /is not "key: value"/);
  assert.doesNotMatch(findings[0]!.message, /[\x00-\x08]/);
});

test('oversized policies are cut off at 64 KiB, with or without Content-Length', async () => {
  for (const d of ['big.test', 'bigchunked.test']) {
    const { findings, result } = await run(d);
    assert.match(findings[0]!.message, /larger than 64 KiB/);
    assert.equal((findings[0]!.evidence as { reason: string }).reason, 'too-large');
    assert.equal(result.policyText, null);
  }
});

test('redirects are reported, never followed (RFC 8461 §3.3)', async () => {
  const { findings } = await run('redirect.test');
  assert.match(findings[0]!.message, /HTTP 301 redirecting to https:\/\/www\.redirect\.test/);
  assert.equal((findings[0]!.evidence as { reason: string }).reason, 'redirect');
  assert.ok(!web.log.some((r) => r.host === 'www.redirect.test'));
});

test('a server that never answers, or stalls mid-body, times out', async () => {
  for (const d of ['stall.test', 'stallbody.test']) {
    const { findings } = await run(d);
    assert.equal((findings[0]!.evidence as { reason: string }).reason, 'timeout', d);
  }
});

test('certificate failures say what is wrong', async () => {
  assert.match((await run('wrongcert.test')).findings[0]!.message, /not valid for this host name/);
  assert.match((await run('selfsigned.test')).findings[0]!.message, /self-signed/);
  assert.match((await run('expiredcert.test')).findings[0]!.message, /expired/);
});

test('without --ca-file the test CA is not trusted', async () => {
  const untrusting = createPolicyFetcher({ resolver: testDeps(dns).resolver, port: web.port, timeoutMs: 1000 });
  try {
    const { findings } = await run('good.test', untrusting);
    assert.deepEqual(codes(findings), ['MTA_STS_POLICY_UNREACHABLE']);
    assert.equal((findings[0]!.evidence as { reason: string }).reason, 'tls');
  } finally {
    await untrusting.close();
  }
});

test('connection refused is reported as such', async () => {
  const refusing = createPolicyFetcher({ resolver: testDeps(dns).resolver, ca: pki.caPem, port: closedPort, timeoutMs: 1000 });
  try {
    const { findings } = await run('refused.test', refusing);
    assert.deepEqual(codes(findings), ['MTA_STS_POLICY_UNREACHABLE']);
    assert.equal((findings[0]!.evidence as { reason: string }).reason, 'connect');
    assert.match(findings[0]!.message, /connection refused/);
  } finally {
    await refusing.close();
  }
});

test('a policy host without address records is a "dns" failure with a fix', async () => {
  const { findings } = await run('nohost.test');
  assert.equal((findings[0]!.evidence as { reason: string }).reason, 'dns');
  assert.match(findings[0]!.fix!, /A \(and\/or AAAA\) record for mta-sts\.nohost\.test/);
});

test('the fetcher refuses non-https URLs', async () => {
  await assert.rejects(fetcher.get('http://mta-sts.good.test/.well-known/mta-sts.txt'), (e: unknown) => e instanceof PolicyFetchError && e.reason === 'bad-url');
});

test('mxMatchesPattern follows RFC 8461 §4.1', () => {
  assert.equal(mxMatchesPattern('mail.example.com', 'mail.example.com'), true);
  assert.equal(mxMatchesPattern('MAIL.Example.com.', 'mail.example.com'), true);
  assert.equal(mxMatchesPattern('mx1.example.com', '*.example.com'), true);
  assert.equal(mxMatchesPattern('a.b.example.com', '*.example.com'), false);
  assert.equal(mxMatchesPattern('example.com', '*.example.com'), false);
  assert.equal(mxMatchesPattern('mail.example.net', '*.example.com'), false);
});

test('parseStsRecord holds the record to the ABNF', () => {
  assert.deepEqual(parseStsRecord('v=STSv1; id=20160831085700Z;').errors, []);
  assert.deepEqual(parseStsRecord('v=STSv1;id=abc ; ext=1').errors, []);
  assert.match(parseStsRecord('v=STSv1; id=' + 'a'.repeat(33)).errors[0]!, /1 to 32/);
  assert.match(parseStsRecord('v = STSv1; id=1').errors[0]!, /exactly "v=STSv1"/);
  assert.match(parseStsRecord('v=STSv1; id=1; id=2').errors[0]!, /twice/);
});

test('parseStsPolicy: fields, mixed endings, bad wildcard, extensions', () => {
  const ok = parseStsPolicy('version: STSv1\r\nmode: enforce\nmx: *.example.com\nmax_age: 0\nfoo_bar: baz\n');
  assert.deepEqual(ok.errors, []);
  assert.equal(ok.policy.lineEndings, 'mixed');
  assert.deepEqual(ok.policy.extensions, { foo_bar: 'baz' });
  assert.match(parseStsPolicy('version: STSv1\nmode: enforce\nmx: mail.*.example.com\nmax_age: 60\n').errors.join(), /leftmost label/);
  assert.match(parseStsPolicy('version: STSv1\nmode: enforce\nmode: testing\nmx: a.b\nmax_age: 60\n').errors.join(), /more than once/);
  assert.match(parseStsPolicy('').errors.join(), /empty/);
  assert.match(parseStsPolicy('version: STSv1\nmode: enforce\nmx: a.b\nmax_age: 12345678901\n').errors.join(), /10 digits/);
});
