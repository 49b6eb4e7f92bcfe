import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { checkPtr, isGenericPtr } from '../../../src/core/domain/ptr.js';
import { reverseName } from '../../../src/core/net/ip-address.js';

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer({
    [reverseName('192.0.2.1')]: { PTR: ['mail.good.test'] },
    'mail.good.test': { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] },
    [reverseName('2001:db8::1')]: { PTR: ['mail.good.test'] },
    [reverseName('192.0.2.2')]: { PTR: ['other.good.test'] },
    'other.good.test': { A: ['192.0.2.99'] },
    [reverseName('192.0.2.3')]: { PTR: ['192-0-2-3.dyn.isp.test'] },
    '192-0-2-3.dyn.isp.test': { A: ['192.0.2.3'] },
    [reverseName('192.0.2.4')]: { behaviour: 'timeout' },
  });
});
after(() => srv.stop());

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

test('reverse names: in-addr.arpa and nibble ip6.arpa', () => {
  assert.equal(reverseName('192.0.2.1'), '1.2.0.192.in-addr.arpa');
  assert.equal(reverseName('2001:db8::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(reverseName('::ffff:192.0.2.1'), '1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa');
});

const cases: [string, string[], boolean][] = [
  ['192.0.2.1', [], true],
  ['2001:db8::1', [], true],
  ['192.0.2.2', ['PTR_NOT_FORWARD_CONFIRMED'], false],
  ['192.0.2.3', ['PTR_GENERIC'], true],
  ['192.0.2.9', ['PTR_MISSING'], false],
  ['192.0.2.4', ['DNS_TIMEOUT'], false],
];
for (const [ip, expected, fcrdns] of cases) {
  test(`${ip} → ${expected.join(', ') || 'ok'}`, async () => {
    const { result, findings } = await checkPtr(testDeps(srv, { timeoutMs: 200 }), ip, '--ip');
    assert.deepEqual(codes(findings), expected);
    assert.equal(result.forwardConfirmed, fcrdns);
  });
}

test('generic PTR heuristics', () => {
  assert.equal(isGenericPtr('203-0-113-5.static.example.net', '203.0.113.5'), true);
  assert.equal(isGenericPtr('5.113.0.203.in-addr.example.net', '203.0.113.5'), true);
  assert.equal(isGenericPtr('host203.pool.isp.example', '198.51.100.1'), true);
  assert.equal(isGenericPtr('dhcp-12.isp.example', '198.51.100.1'), true);
  assert.equal(isGenericPtr('ec2-3-4-5-6.compute-1.amazonaws.com', '3.4.5.6'), true);
  assert.equal(isGenericPtr('mail.example.com', '203.0.113.5'), false);
  assert.equal(isGenericPtr('mx-out-2.mailhost.example', '203.0.113.5'), false);
  assert.equal(isGenericPtr('smtp.dynamics-crm.example', '203.0.113.5'), false);
});
