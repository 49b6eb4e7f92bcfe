import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { checkTlsRpt, parseTlsRpt } from '../../../src/core/domain/tls-rpt.js';

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer({
    '_smtp._tls.good.test': { TXT: ['v=TLSRPTv1; rua=mailto:tls@good.test,https://reports.good.test/v1/tlsrpt'] },
    '_smtp._tls.ext.test': { TXT: ['v=TLSRPTv1;rua=mailto:tls@ext.test; x-extension=1;'] },
    '_smtp._tls.other.test': { TXT: ['v=spf1 -all'] },
    '_smtp._tls.http.test': { TXT: ['v=TLSRPTv1; rua=http://reports.http.test/'] },
    '_smtp._tls.norua.test': { TXT: ['v=TLSRPTv1;'] },
    '_smtp._tls.badmail.test': { TXT: ['v=TLSRPTv1; rua=mailto:nobody'] },
    '_smtp._tls.case.test': { TXT: ['v=TLSRPTv1; RUA=mailto:tls@case.test'] },
    '_smtp._tls.twice.test': { TXT: ['v=TLSRPTv1; rua=mailto:a@twice.test', 'v=TLSRPTv1; rua=mailto:b@twice.test'] },
    '_smtp._tls.version.test': { TXT: ['v=tlsrptv1; rua=mailto:a@version.test'] },
    '_smtp._tls.slow.test': { behaviour: 'timeout' },
    '_smtp._tls.fail.test': { behaviour: 'servfail' },
  });
});
after(() => srv.stop());

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();
const run = (domain: string, mtaStsPresent = false, danePresent = false) => checkTlsRpt(testDeps(srv, { timeoutMs: 200 }), domain, { mtaStsPresent, danePresent });

test('a valid record: destinations parsed, no findings', async () => {
  const { result, findings } = await run('good.test');
  assert.deepEqual(findings, []);
  assert.equal(result.valid, true);
  assert.deepEqual(result.rua, ['mailto:tls@good.test', 'https://reports.good.test/v1/tlsrpt']);
});

test('unknown extension fields are ignored (RFC 8460 §3)', async () => {
  const { result, findings } = await run('ext.test');
  assert.deepEqual(findings, []);
  assert.equal(result.valid, true);
});

test('missing: info on its own, warning when MTA-STS or DANE is published', async () => {
  const alone = await run('none.test');
  assert.deepEqual(codes(alone.findings), ['TLSRPT_MISSING']);
  assert.equal(alone.findings[0]!.severity, 'info');
  const withSts = await run('none.test', true);
  assert.equal(withSts.findings[0]!.severity, 'warning');
  assert.match(withSts.findings[0]!.message, /MTA-STS/);
  const withDane = await run('none.test', false, true);
  assert.equal(withDane.findings[0]!.severity, 'warning');
  assert.match(withDane.findings[0]!.message, /DANE/);
  const other = await run('other.test');
  assert.deepEqual(codes(other.findings), ['TLSRPT_MISSING'], 'TXT records that are not v=TLSRPTv1 are discarded');
});

const cases: [string, string[], RegExp][] = [
  ['http.test', ['TLSRPT_INVALID'], /must be a mailto: or https: URI/],
  ['norua.test', ['TLSRPT_INVALID'], /no rua=/],
  ['badmail.test', ['TLSRPT_INVALID'], /not a valid mailto: address/],
  ['case.test', ['TLSRPT_INVALID'], /must be written "rua="/],
  ['twice.test', ['TLSRPT_INVALID'], /2 "v=TLSRPTv1" records/],
  ['version.test', ['TLSRPT_INVALID'], /exactly "v=TLSRPTv1"/],
  ['slow.test', ['DNS_TIMEOUT'], /timed out/],
  ['fail.test', ['DNS_SERVFAIL'], /SERVFAIL/],
];
for (const [domain, expected, message] of cases) {
  test(`${domain} → ${expected.join(', ')}`, async () => {
    const { findings, result } = await run(domain, true);
    assert.deepEqual(codes(findings), expected);
    assert.match(findings[0]!.message, message);
    assert.equal(findings[0]!.check, 'tls-rpt');
    assert.ok(findings[0]!.fix);
    assert.equal(result.valid, false);
  });
}

test('parseTlsRpt: spaces around ";" and "," are allowed', () => {
  assert.deepEqual(parseTlsRpt('v=TLSRPTv1 ; rua=mailto:a@b.test , mailto:c@d.test ;').errors, []);
  assert.deepEqual(parseTlsRpt('v=TLSRPTv1; rua=mailto:a@b.test,').errors, ['rua= has an empty entry']);
});
