import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer, type Zone } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { checkSpf } from '../../../src/core/domain/spf.js';

const zone: Zone = {
  // 4 nested includes, a and mx: a realistic tree
  'good.test': { TXT: ['v=spf1 include:a.good.test mx a ip4:192.0.2.10 ip6:2001:db8::10 ip4:198.51.100.0/24 -all'], MX: [{ priority: 10, exchange: 'mx.good.test' }], A: ['192.0.2.80'] },
  'mx.good.test': { A: ['192.0.2.25'] },
  'a.good.test': { TXT: ['v=spf1 include:b.good.test ~all'] },
  'b.good.test': { TXT: ['v=spf1 include:c.good.test ~all'] },
  'c.good.test': { TXT: ['v=spf1 include:d.good.test ~all'] },
  'd.good.test': { TXT: ['v=spf1 ip4:203.0.113.0/24 ~all'] },
  'none.test': { TXT: ['some other txt'] },
  'multi.test': { TXT: ['v=spf1 -all', 'v=spf1 mx -all'] },
  'syntax.test': { TXT: ['v=spf1 ip4:192.0.2.300 -all'] },
  'plusall.test': { TXT: ['v=spf1 +all'] },
  'noall.test': { TXT: ['v=spf1 ip4:192.0.2.1'] },
  'ptr.test': { TXT: ['v=spf1 ptr -all'] },
  'loop.test': { TXT: ['v=spf1 include:loop2.test -all'] },
  'loop2.test': { TXT: ['v=spf1 include:loop.test -all'] },
  'incmissing.test': { TXT: ['v=spf1 include:gone.test include:nospf.test -all'] },
  'nospf.test': { TXT: ['hello'] },
  'void.test': { TXT: ['v=spf1 a:v1.void.test a:v2.void.test mx:v3.void.test exists:v4.void.test -all'] },
  'redirect.test': { TXT: ['v=spf1 redirect=good.test'] },
  'allredirect.test': { TXT: ['v=spf1 -all redirect=good.test'] },
  'afterall.test': { TXT: ['v=spf1 -all mx'] },
  'neutral.test': { TXT: ['v=spf1 mx ?all'], MX: [{ priority: 1, exchange: 'mx.good.test' }] },
  'bigmx.test': { TXT: ['v=spf1 mx -all'], MX: Array.from({ length: 12 }, (_, i) => ({ priority: i, exchange: `mx${i}.bigmx.test` })) },
  '*.bigmx.test': { A: ['192.0.2.99'] },
  'macro.test': { TXT: ['v=spf1 include:%{ir}.%{v}._spf.macro.test exists:%{i}.x.macro.test -all'] },
  'broken-include.test': { TXT: ['v=spf1 include:timeout.test -all'] },
  'timeout.test': { behaviour: 'timeout' },
  'servfail.test': { behaviour: 'servfail' },
  'long.test': { TXT: [`v=spf1 ${Array.from({ length: 40 }, (_, i) => `ip4:10.0.${i}.0/24`).join(' ')} -all`] },
};
// 11 includes: one over the limit, and a 300-include record that must not crash
for (let i = 0; i < 11; i++) zone[`inc${i}.many.test`] = { TXT: [`v=spf1 ip4:10.1.${i}.0/24 -all`] };
zone['many.test'] = { TXT: [`v=spf1 ${Array.from({ length: 11 }, (_, i) => `include:inc${i}.many.test`).join(' ')} -all`] };
zone['huge.test'] = { TXT: [`v=spf1 ${Array.from({ length: 300 }, (_, i) => `include:h${i}.huge.test`).join(' ')} -all`] };
zone['*.huge.test'] = { TXT: ['v=spf1 ip4:10.9.9.9 -all'] };

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer(zone);
});
after(() => srv.stop());

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

test('a clean, nested record: tree, exact lookup count, no findings', async () => {
  const { result, findings } = await checkSpf(testDeps(srv), 'good.test');
  assert.deepEqual(findings, []);
  // include:a (1) + mx (1) + a (1) + a.good.test's include:b (1) + b's include:c (1) + c's include:d (1) = 6
  assert.equal(result.lookups, 6);
  assert.equal(result.voidLookups, 0);
  assert.equal(result.tree!.children[0]!.domain, 'a.good.test');
  assert.equal(result.tree!.children[0]!.children[0]!.children[0]!.children[0]!.domain, 'd.good.test');
  const sources = Object.fromEntries(result.directSources.map((s) => [s.term, s]));
  assert.deepEqual(sources['mx']!.addresses, ['192.0.2.25']);
  assert.deepEqual(sources['a']!.addresses, ['192.0.2.80']);
  assert.deepEqual(sources['ip4:192.0.2.10']!.addresses, ['192.0.2.10']);
  assert.equal(sources['ip4:198.51.100.0/24']!.range, '198.51.100.0/24');
});

const cases: [string, string[]][] = [
  ['none.test', ['SPF_MISSING']],
  ['nxdomain.test', ['SPF_MISSING']],
  ['multi.test', ['SPF_MULTIPLE_RECORDS']],
  ['syntax.test', ['SPF_SYNTAX_ERROR']],
  ['plusall.test', ['SPF_PLUS_ALL']],
  ['noall.test', ['SPF_NO_ALL']],
  ['ptr.test', ['SPF_PTR_MECHANISM']],
  ['loop.test', ['SPF_INCLUDE_LOOP']],
  ['incmissing.test', ['SPF_INCLUDE_MISSING', 'SPF_INCLUDE_MISSING']],
  ['many.test', ['SPF_TOO_MANY_LOOKUPS']],
  ['void.test', ['SPF_TOO_MANY_VOID_LOOKUPS']],
  ['allredirect.test', ['SPF_REDIRECT_IGNORED']],
  ['afterall.test', ['SPF_ALL_NOT_LAST']],
  ['neutral.test', ['SPF_NEUTRAL_ALL']],
  ['bigmx.test', ['SPF_MX_TOO_MANY_HOSTS']],
  ['long.test', ['SPF_RECORD_TOO_LONG']],
  ['timeout.test', ['DNS_TIMEOUT']],
  ['servfail.test', ['DNS_SERVFAIL']],
  ['broken-include.test', ['DNS_TIMEOUT']],
];
for (const [domain, expected] of cases) {
  test(`${domain} → ${expected.join(', ')}`, async () => {
    const { findings } = await checkSpf(testDeps(srv, { timeoutMs: 200 }), domain);
    assert.deepEqual(codes(findings), expected.sort());
    for (const f of findings) {
      assert.equal(f.check, 'spf');
      assert.ok(f.message.length > 10);
    }
  });
}

test('void lookups are counted per RFC 7208 §4.6.4 (a, mx, exists, include targets)', async () => {
  const { result } = await checkSpf(testDeps(srv), 'void.test');
  assert.equal(result.voidLookups, 4);
  assert.equal(result.lookups, 4);
});

test('the walk continues past the limit: 11 includes counted, all children present', async () => {
  const { result } = await checkSpf(testDeps(srv), 'many.test');
  assert.equal(result.lookups, 11);
  assert.equal(result.tree!.children.length, 11);
});

test('redirect is followed and counted', async () => {
  const { result, findings } = await checkSpf(testDeps(srv), 'redirect.test');
  assert.deepEqual(findings, []);
  assert.equal(result.lookups, 7);
  assert.equal(result.tree!.children[0]!.via, 'redirect');
});

test('a redirect next to "all" is not followed', async () => {
  const { result } = await checkSpf(testDeps(srv), 'allredirect.test');
  assert.equal(result.tree!.children.length, 0);
});

test('terms with macros are counted but not followed', async () => {
  const { result, findings } = await checkSpf(testDeps(srv), 'macro.test');
  assert.equal(result.lookups, 2);
  assert.match(result.tree!.children[0]!.error!, /macro/);
  assert.deepEqual(findings, []);
});

test('300 includes: no crash, every include counted and followed', async () => {
  const { result, findings } = await checkSpf(testDeps(srv), 'huge.test');
  assert.equal(result.lookups, 300);
  assert.equal(result.tree!.children.length, 300);
  assert.ok(result.tree!.children.every((c) => c.record === 'v=spf1 ip4:10.9.9.9 -all'));
  assert.deepEqual(codes(findings), ['SPF_RECORD_TOO_LONG', 'SPF_TOO_MANY_LOOKUPS']);
});

test('include loops are reported once and the walk terminates', async () => {
  const { result, findings } = await checkSpf(testDeps(srv), 'loop.test');
  assert.equal(findings.length, 1);
  assert.deepEqual(findings[0]!.evidence, { chain: ['loop.test', 'loop2.test', 'loop.test'] });
  assert.equal(result.tree!.children[0]!.children[0]!.error, 'loop');
});
