/** check_host() over the real resolver and the fixture DNS server: the DNS failure modes and wire details. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { evaluateSpf } from '../../../src/core/spf/evaluate.js';

let srv: DnsFixtureServer;
const longInclude = Array.from({ length: 20 }, (_, i) => `ip4:198.51.${i}.0/24`).join(' ');

before(async () => {
  srv = await startDnsServer({
    'servfail.test': { behaviour: 'servfail' },
    'refused.test': { behaviour: 'refused' },
    'garbage.test': { behaviour: 'garbage' },
    'silent.test': { behaviour: 'timeout' },
    'wrongid.test': { behaviour: 'wrong-id' },
    'inc-servfail.example.test': { TXT: ['v=spf1 include:servfail.test -all'] },
    'a-refused.example.test': { TXT: ['v=spf1 a:refused.test -all'] },
    // an answer bigger than our 1232-octet EDNS buffer: answered truncated over UDP, then over TCP
    'big.example.test': { TXT: [`v=spf1 ${longInclude} ip4:192.0.2.0/24 -all`, 'x'.repeat(500), 'y'.repeat(500)] },
    'alias.example.test': { CNAME: 'target.example.test' },
    'target.example.test': { TXT: ['v=spf1 ip4:192.0.2.5 -all'] },
    'odd.example.test': { TXT: ['v=spf1 a:foo:bar/baz.example.test mx:foo:bar/baz.example.test -all'] },
    'foo:bar/baz.example.test': { A: ['192.0.2.77'], MX: [{ priority: 0, exchange: 'foo:bar/baz.example.test' }] },
    'exp.example.test': { TXT: ['v=spf1 a a:exp.example.test -all exp=why.example.test'], A: ['192.0.2.1'] },
    'why.example.test': { TXT: ['no %{i}'] },
  });
});
after(() => srv.stop());

const run = (mailFrom: string, ip = '192.0.2.5', timeoutMs = 2000) => evaluateSpf(testDeps(srv, { timeoutMs }), { ip, mailFrom });

test('SERVFAIL, REFUSED, garbage, silence and a reply with the wrong ID are all temperror', async () => {
  for (const d of ['servfail.test', 'refused.test', 'garbage.test', 'silent.test', 'wrongid.test']) {
    const ev = await run(`a@${d}`, '192.0.2.5', 200);
    assert.equal(ev.result, 'temperror', d);
    assert.match(ev.reason, new RegExp(`TXT query for ${d.replace('.', '\\.')}`), d);
  }
});

test('a DNS failure inside an include or an "a" target is a temperror of the whole check', async () => {
  const inc = await run('a@inc-servfail.example.test');
  assert.equal(inc.result, 'temperror');
  assert.equal(inc.mechanism, 'include:servfail.test');
  const a = await run('a@a-refused.example.test');
  assert.equal(a.result, 'temperror');
  assert.equal(a.mechanism, 'a:refused.test');
});

test('a record larger than a UDP answer is fetched over TCP', async () => {
  srv.log.length = 0;
  const ev = await run('a@big.example.test', '192.0.2.200');
  assert.equal(ev.result, 'pass');
  assert.equal(ev.mechanism, 'ip4:192.0.2.0/24');
  assert.ok(srv.log.some((q) => q.name === 'big.example.test' && q.transport === 'tcp'));
});

test('an SPF record reached through a CNAME is used', async () => {
  const ev = await run('a@alias.example.test');
  assert.equal(ev.result, 'pass');
});

test('names with ":" and "/" are queried as they are (RFC 7208 §7.1 allows them)', async () => {
  const ev = await run('a@odd.example.test', '192.0.2.77');
  assert.equal(ev.result, 'pass');
  assert.equal(ev.mechanism, 'a:foo:bar/baz.example.test');
});

test('each name/type is asked once per check, and exp= once, after the result', async () => {
  srv.log.length = 0;
  const ev = await run('a@exp.example.test', '192.0.2.9');
  assert.equal(ev.result, 'fail');
  assert.equal(ev.explanation, 'no 192.0.2.9');
  assert.equal(srv.count('exp.example.test', 'A'), 1, '"a" and "a:exp.example.test" share one answer');
  assert.equal(srv.count('why.example.test', 'TXT'), 1);
  const last = srv.log[srv.log.length - 1]!;
  assert.deepEqual([last.name, last.type], ['why.example.test', 'TXT']);
  assert.equal(ev.lookups.count, 2);
  assert.equal(ev.lookups.void, 0);
});
