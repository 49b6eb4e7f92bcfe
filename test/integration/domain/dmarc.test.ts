import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { checkDmarc } from '../../../src/core/domain/dmarc.js';

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer({
    '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@good.test; ruf=mailto:f@good.test; adkim=s; aspf=r; fo=1'] },
    '_dmarc.none.test': { TXT: ['v=DMARC1; p=none; rua=mailto:d@none.test'] },
    '_dmarc.norua.test': { TXT: ['v=DMARC1; p=quarantine'] },
    '_dmarc.pct.test': { TXT: ['v=DMARC1; p=quarantine; pct=25; rua=mailto:d@pct.test'] },
    '_dmarc.multi.test': { TXT: ['v=DMARC1; p=none', 'v=DMARC1; p=reject'] },
    '_dmarc.syntax.test': { TXT: ['v=DMARC1; p=maybe; rua=mailto:d@syntax.test'] },
    '_dmarc.syntax2.test': { TXT: ['v=DMARC1; p=reject; pct=150; adkim=x; rua=d@syntax2.test'] },
    '_dmarc.ext.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:a@reports.example,mailto:b@ok-reports.example'] },
    'ext.test._report._dmarc.ok-reports.example': { TXT: ['v=DMARC1'] },
    '_dmarc.sp.test': { TXT: ['v=DMARC1; p=reject; sp=none; rua=mailto:d@sp.test'] },
    '_dmarc.org.test': { TXT: ['v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@org.test'] },
    '_dmarc.orgnone.test': { TXT: ['v=DMARC1; p=reject; sp=none; rua=mailto:d@orgnone.test'] },
    '_dmarc.other.test': { TXT: ['not a dmarc record'] },
    '_dmarc.slow.test': { behaviour: 'timeout' },
    '_dmarc.subsub.sp.test': { behaviour: 'servfail' },
  });
});
after(() => srv.stop());

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

test('a complete record: every tag reported, no findings', async () => {
  const { result, findings } = await checkDmarc(testDeps(srv), 'good.test');
  assert.deepEqual(findings, []);
  assert.deepEqual(
    { p: result.policy, sp: result.subdomainPolicy, pct: result.pct, adkim: result.adkim, aspf: result.aspf, rua: result.rua, ruf: result.ruf, org: result.orgDomain, inh: result.inherited },
    { p: 'reject', sp: 'reject', pct: 100, adkim: 's', aspf: 'r', rua: ['mailto:d@good.test'], ruf: ['mailto:f@good.test'], org: 'good.test', inh: false },
  );
});

const cases: [string, string[]][] = [
  ['missing.test', ['DMARC_MISSING']],
  ['other.test', ['DMARC_MISSING']],
  ['none.test', ['DMARC_POLICY_NONE']],
  ['norua.test', ['DMARC_NO_RUA']],
  ['pct.test', ['DMARC_PCT_PARTIAL']],
  ['multi.test', ['DMARC_MULTIPLE_RECORDS']],
  ['syntax.test', ['DMARC_SYNTAX_ERROR']],
  ['syntax2.test', ['DMARC_NO_RUA', 'DMARC_SYNTAX_ERROR']],
  ['ext.test', ['DMARC_RUA_NOT_AUTHORIZED']],
  ['sp.test', ['DMARC_SUBDOMAIN_POLICY_NONE']],
  ['slow.test', ['DNS_TIMEOUT']],
];
for (const [domain, expected] of cases) {
  test(`${domain} → ${expected.join(', ')}`, async () => {
    const { findings } = await checkDmarc(testDeps(srv, { timeoutMs: 200 }), domain);
    assert.deepEqual(codes(findings), expected);
  });
}

test('a subdomain falls back to the organisational domain and uses sp=', async () => {
  const { result, findings } = await checkDmarc(testDeps(srv), 'mail.org.test');
  assert.equal(result.inherited, true);
  assert.equal(result.orgDomain, 'org.test');
  assert.equal(result.recordDomain, '_dmarc.org.test');
  assert.equal(result.subdomainPolicy, 'quarantine');
  assert.deepEqual(findings, []);
});

test('an inherited sp=none is a DMARC_POLICY_NONE for the subdomain', async () => {
  const { findings } = await checkDmarc(testDeps(srv), 'news.orgnone.test');
  assert.deepEqual(codes(findings), ['DMARC_POLICY_NONE']);
});

test('the unauthorised destination is named with the record it needs', async () => {
  const { findings } = await checkDmarc(testDeps(srv), 'ext.test');
  assert.deepEqual(findings[0]!.evidence, { uri: 'mailto:a@reports.example', expected: 'ext.test._report._dmarc.reports.example' });
});

test('a SERVFAIL on the fallback lookup is a DNS finding, not a missing record', async () => {
  const { findings } = await checkDmarc(testDeps(srv), 'subsub.sp.test');
  assert.deepEqual(codes(findings), ['DNS_SERVFAIL']);
});
