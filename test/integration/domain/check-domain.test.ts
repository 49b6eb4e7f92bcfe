import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDnsServer, type DnsFixtureServer, type Zone } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { FakeClock } from '../../../src/core/clock.js';
import { SocketResolver } from '../../../src/core/dns/socket-resolver.js';
import { LimitingResolver } from '../../../src/core/dns/limiting-resolver.js';
import { checkDomains, type DomainReport } from '../../../src/core/domain/check-domain.js';
import type { PolicyFetcher } from '../../../src/core/domain/policy-fetch.js';

// exists.test (a domain with records), ent.exists.test (an empty non-terminal: only host.ent.exists.test
// has records), dangling.exists.test (a CNAME to a name that does not exist); every other name is NXDOMAIN.
const zone: Zone = JSON.parse(readFileSync('test/fixtures/zones/domain-existence.json', 'utf8'));

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer(zone);
});
after(() => srv.stop());

/** A fetcher that must not be used: nothing is fetched for a domain that does not exist. */
const fetches: string[] = [];
const fetcher: PolicyFetcher = {
  get: async (url) => {
    fetches.push(url);
    throw new Error(`unexpected fetch of ${url}`);
  },
  close: async () => undefined,
};

const CHECKS = ['spf', 'dkim', 'dmarc', 'mx', 'mtaSts', 'tlsRpt', 'bimi', 'dnssec', 'dane'] as const;
const codes = (r: DomainReport): string[] => r.findings.map((f) => f.code).sort();

test('NXDOMAIN at the domain: one DOMAIN_NOT_FOUND error, every check present and marked skipped', async () => {
  const report = await checkDomains(testDeps(srv), ['example.con', 'typo.exists.test'], { fetcher, fetchBimi: true });
  for (const d of report.domains) {
    assert.deepEqual(d.findings.map((f) => [f.code, f.severity, f.check, f.message]), [['DOMAIN_NOT_FOUND', 'error', 'domain', `${d.domain} does not exist in DNS (NXDOMAIN)`]]);
    assert.match(d.findings[0]!.fix ?? '', /spelling/);
    for (const c of CHECKS) assert.equal(d[c].skipped, true, `${d.domain} ${c}`);
    assert.deepEqual(d.sendingIps, []);
    assert.equal(d.spf.record, null);
    assert.deepEqual(d.mx.hosts, []);
  }
  // typo.exists.test sits below a domain with DMARC and BIMI records: nothing is inherited from it
  const typo = report.domains[1]!;
  assert.equal(typo.dmarc.record, null);
  assert.equal(typo.dmarc.orgDomain, 'exists.test');
  assert.equal(typo.bimi.record, null);
  assert.equal(srv.count('default._bimi.typo.exists.test'), 0, 'BIMI waits for the apex answer and is not asked');
  assert.deepEqual(fetches, []);
  assert.deepEqual(report.summary, { errors: 2, warnings: 0, infos: 0 });
});

test('an empty non-terminal (NOERROR, no records) is checked as usual, not DOMAIN_NOT_FOUND', async () => {
  const { domains: [d] } = await checkDomains(testDeps(srv), ['ent.exists.test'], { fetcher });
  assert.ok(!codes(d!).includes('DOMAIN_NOT_FOUND'), codes(d!).join(' '));
  for (const c of ['SPF_MISSING', 'MX_MISSING']) assert.ok(codes(d!).includes(c), c);
  for (const c of CHECKS) assert.equal('skipped' in d![c], false, c);
});

test('a CNAME to a missing name is NXDOMAIN about the target (RFC 6604): the alias exists and is checked', async () => {
  const { domains: [d] } = await checkDomains(testDeps(srv), ['dangling.exists.test'], { fetcher });
  assert.ok(!codes(d!).includes('DOMAIN_NOT_FOUND'), codes(d!).join(' '));
  assert.ok(codes(d!).includes('SPF_MISSING'));
});

test('a domain that exists: checks run, no skipped marker, and its MX is asked once (no extra question)', async () => {
  // no cache in front of the resolver: a second apex question would show in the server's log
  const base = new SocketResolver({ servers: [{ host: '127.0.0.1', port: srv.port }], timeoutMs: 2000 });
  const deps = { resolver: new LimitingResolver(base, 64), clock: new FakeClock(1_700_000_000_000), timeoutMs: 2000 };
  const before = srv.count('exists.test', 'MX');
  try {
    const { domains: [d], summary } = await checkDomains(deps, ['exists.test'], { fetcher });
    assert.equal(srv.count('exists.test', 'MX') - before, 1);
    assert.ok(!codes(d!).includes('DOMAIN_NOT_FOUND'));
    for (const c of CHECKS) assert.equal('skipped' in d![c], false, c);
    assert.equal(d!.spf.record, 'v=spf1 ip4:192.0.2.25 -all');
    assert.deepEqual(d!.mx.hosts, [{ exchange: 'mx.exists.test', priority: 10, addresses: ['192.0.2.25'] }]);
    assert.equal(d!.dmarc.policy, 'reject');
    assert.equal(summary.errors, 0);
  } finally {
    base.close();
  }
});

test('--profile bulk on a domain that does not exist: the verdict fails for that reason, no extra findings', async () => {
  const { domains: [d] } = await checkDomains(testDeps(srv), ['example.con'], { fetcher, profile: 'bulk' });
  assert.deepEqual(codes(d!), ['DOMAIN_NOT_FOUND']);
  assert.deepEqual([d!.bulkSender?.gmail, d!.bulkSender?.yahoo, d!.bulkSender?.microsoft], ['fail', 'fail', 'fail']);
  const failed = d!.bulkSender!.reasons.filter((x) => x.status === 'fail');
  assert.deepEqual(failed.map((x) => x.requirement), ['spf', 'dkim', 'dmarc', 'alignment']);
  for (const x of failed) assert.equal(x.detail, 'example.con does not exist in DNS (NXDOMAIN)');
});
