import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { checkMx } from '../../../src/core/domain/mx.js';

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer({
    'good.test': { MX: [{ priority: 20, exchange: 'mx2.good.test' }, { priority: 10, exchange: 'mx1.good.test' }] },
    'mx1.good.test': { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] },
    'mx2.good.test': { A: ['192.0.2.2'] },
    'nomx.test': { A: ['192.0.2.80'] },
    'nothing.test': { TXT: ['x'] },
    'null.test': { MX: [{ priority: 0, exchange: '' }] },
    'cname.test': { MX: [{ priority: 10, exchange: 'alias.cname.test' }] },
    'alias.cname.test': { CNAME: 'real.cname.test' },
    'real.cname.test': { A: ['192.0.2.3'] },
    'unres.test': { MX: [{ priority: 10, exchange: 'gone.unres.test' }] },
    'ip.test': { MX: [{ priority: 10, exchange: '192.0.2.4' }] },
    'slow.test': { behaviour: 'timeout' },
  });
});
after(() => srv.stop());

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

test('hosts sorted by priority with their addresses', async () => {
  const { result, findings } = await checkMx(testDeps(srv), 'good.test');
  assert.deepEqual(findings, []);
  assert.deepEqual(result.hosts, [
    { exchange: 'mx1.good.test', priority: 10, addresses: ['192.0.2.1', '2001:db8::1'] },
    { exchange: 'mx2.good.test', priority: 20, addresses: ['192.0.2.2'] },
  ]);
  assert.equal(result.nullMx, false);
});

const cases: [string, string[]][] = [
  ['nomx.test', ['MX_MISSING']],
  ['nothing.test', ['MX_MISSING']],
  ['null.test', ['MX_NULL']],
  ['cname.test', ['MX_TARGET_CNAME']],
  ['unres.test', ['MX_TARGET_UNRESOLVABLE']],
  ['ip.test', ['MX_TARGET_IP']],
  ['slow.test', ['DNS_TIMEOUT']],
];
for (const [domain, expected] of cases) {
  test(`${domain} → ${expected.join(', ')}`, async () => {
    const { findings } = await checkMx(testDeps(srv, { timeoutMs: 200 }), domain);
    assert.deepEqual(codes(findings), expected);
  });
}

test('no MX: the implicit A fallback is reported', async () => {
  const { result, findings } = await checkMx(testDeps(srv), 'nomx.test');
  assert.deepEqual(result.implicit, ['192.0.2.80']);
  assert.match(findings[0]!.message, /192\.0\.2\.80/);
});

test('null MX is flagged, with no connection data', async () => {
  const { result } = await checkMx(testDeps(srv), 'null.test');
  assert.equal(result.nullMx, true);
});
