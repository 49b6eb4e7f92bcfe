import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsAnswer, RecordType, Resolver } from '../../../src/core/dns/types.js';
import { discoverMtaSts, evaluateMtaSts, mxPatternMatches, parseMtaStsPolicy, parseMtaStsRecord, PolicySyntaxError, type FetchedText } from '../../../src/core/probe/mta-sts.js';

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.test\r\nmx: *.mx.example.test\r\nmax_age: 604800\r\n';

test('TXT record: v=STSv1 first, id of 1–32 alphanumerics (RFC 8461 §3.1)', () => {
  assert.deepEqual(parseMtaStsRecord('v=STSv1; id=20240101T000000;'), { id: '20240101T000000' });
  assert.deepEqual(parseMtaStsRecord('v=STSv1;id=abc123; ext=1'), { id: 'abc123' });
  assert.equal(parseMtaStsRecord('id=abc; v=STSv1'), undefined);
  assert.equal(parseMtaStsRecord('v=STSv1; id=has-dash'), undefined);
  assert.equal(parseMtaStsRecord('v=STSv1'), undefined);
  assert.equal(parseMtaStsRecord(`v=STSv1; id=${'a'.repeat(33)}`), undefined);
});

test('policy file: fields, CRLF or LF, several mx lines, unknown keys ignored (RFC 8461 §3.2)', () => {
  assert.deepEqual(parseMtaStsPolicy(POLICY), { version: 'STSv1', mode: 'enforce', mx: ['mx1.example.test', '*.mx.example.test'], maxAge: 604800 });
  assert.deepEqual(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 0\nfuture_key: x\n'), { version: 'STSv1', mode: 'none', mx: [], maxAge: 0 });
});

test('bad policies are refused with the reason, as check-domain refuses them', () => {
  const bad: [string, RegExp][] = [
    ['mode: enforce\nmx: a.test\nmax_age: 1', /no "version: STSv1" line/],
    ['version: STSv2\nmode: enforce\nmx: a.test\nmax_age: 1', /only "STSv1" is defined/],
    ['version: STSv1\nmode: strict\nmx: a.test\nmax_age: 1', /must be enforce, testing or none/],
    ['version: STSv1\nmode: enforce\nmx: a.test', /no "max_age:" line/],
    ['version: STSv1\nmode: enforce\nmx: a.test\nmax_age: 99999999', /above the maximum/],
    ['version: STSv1\nmode: enforce\nmx: a.test\nmax_age: -1', /whole number of seconds/],
    ['version: STSv1\nmode: testing\nmax_age: 10', /no "mx:" line/],
    ['<html><body>404</body></html>', /is not "key: value"/],
    // refused by check-domain, and so now by probe too
    ['version: STSv1\nmode: enforce\nmode: testing\nmx: a.test\nmax_age: 1', /"mode" appears more than once/],
    ['version: STSv1\nMode: enforce\nmx: a.test\nmax_age: 1', /case-sensitive/],
    ['version: STSv1\nmode: enforce\nmx: mail.*.test\nmax_age: 1', /wildcard may only be the whole leftmost label/],
  ];
  for (const [text, msg] of bad) assert.throws(() => parseMtaStsPolicy(text), (e: unknown) => e instanceof PolicySyntaxError && msg.test(e.message), text);
});

test('mx patterns: exact, or one label under a wildcard (RFC 8461 §4.1)', () => {
  assert.ok(mxPatternMatches('mx1.example.test', 'MX1.example.test.'));
  assert.ok(mxPatternMatches('*.example.test', 'mx1.example.test'));
  assert.ok(!mxPatternMatches('*.example.test', 'a.mx1.example.test'));
  assert.ok(!mxPatternMatches('*.example.test', 'example.test'));
  assert.ok(!mxPatternMatches('mx1.example.test', 'mx2.example.test'));
});

test('a host is judged against the policy: listed, TLS, trusted, named, in date', () => {
  const policy = parseMtaStsPolicy(POLICY);
  const good = { host: 'mx1.example.test', tls: true, trusted: true, nameMatches: true, expired: false };
  assert.deepEqual(evaluateMtaSts(policy, good), { mode: 'enforce', mxListed: true, failures: [] });
  const bad = evaluateMtaSts(policy, { host: 'mx9.other.test', tls: true, trusted: false, nameMatches: false, expired: true });
  assert.equal(bad.mxListed, false);
  assert.equal(bad.failures.length, 3);
  assert.match(bad.failures.join('\n'), /not trusted/);
  assert.deepEqual(evaluateMtaSts(policy, { ...good, tls: false }).failures, ['no working STARTTLS (RFC 8461 §4.2)']);
  assert.deepEqual(evaluateMtaSts({ ...policy, mode: 'none' }, { ...good, tls: false }).failures, []);
});

function txtResolver(map: Record<string, string[] | 'servfail'>): Resolver {
  return {
    async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
      const v = map[name];
      if (v === 'servfail') return { name, type, status: 'servfail', records: [], cnames: [], ad: false };
      const records = (v ?? []).map((text) => ({ name, type: 'TXT', ttl: 60, text })) as unknown as DnsAnswer<T>['records'];
      return { name, type, status: v ? 'ok' : 'nxdomain', records, cnames: [], ad: false };
    },
  };
}

const fetchOk = (body: string, status = 200) => async (url: string): Promise<FetchedText> => {
  assert.equal(url, 'https://mta-sts.example.test/.well-known/mta-sts.txt');
  return { status, body };
};

test('discovery: record + policy; no record; DNS failure; several records; bad record', async () => {
  const r = txtResolver({
    '_mta-sts.example.test': ['v=STSv1; id=1', 'unrelated'],
    '_mta-sts.two.test': ['v=STSv1; id=1', 'v=STSv1; id=2'],
    '_mta-sts.bad.test': ['v=STSv1; id=has space'],
    '_mta-sts.fail.test': 'servfail',
  });
  const ok = await discoverMtaSts(r, 'example.test', fetchOk(POLICY));
  assert.equal(ok.published, true);
  assert.equal(ok.id, '1');
  assert.equal(ok.policy?.mode, 'enforce');
  assert.deepEqual(await discoverMtaSts(r, 'none.test', fetchOk(POLICY)), { published: false });
  const fail = await discoverMtaSts(r, 'fail.test', fetchOk(POLICY));
  assert.equal(fail.dnsError?.code, 'DNS_SERVFAIL');
  const two = await discoverMtaSts(r, 'two.test');
  assert.match(two.error!, /2 "v=STSv1" TXT records/);
  assert.equal(two.errorKind, 'record');
  assert.match((await discoverMtaSts(r, 'bad.test')).error!, /malformed/);
});

test('discovery: HTTP errors, fetch failures, unparseable and oversized policies become errors', async () => {
  const r = txtResolver({ '_mta-sts.example.test': ['v=STSv1; id=1'] });
  const notFound = await discoverMtaSts(r, 'example.test', fetchOk('', 404));
  assert.match(notFound.error!, /HTTP 404/);
  assert.equal(notFound.errorKind, 'unreachable');
  assert.match((await discoverMtaSts(r, 'example.test', fetchOk('', 301))).error!, /HTTP 301.*no redirects/);
  const refused = await discoverMtaSts(r, 'example.test', async () => {
    throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
  });
  assert.match(refused.error!, /ECONNREFUSED/);
  const garbage = await discoverMtaSts(r, 'example.test', fetchOk('garbage'));
  assert.match(garbage.error!, /does not parse/);
  assert.equal(garbage.errorKind, 'invalid');
  assert.match((await discoverMtaSts(r, 'example.test', fetchOk('x'.repeat(70_000)))).error!, /larger than 64 KiB/);
  assert.match((await discoverMtaSts(r, 'example.test')).error!, /not fetched/);
});
