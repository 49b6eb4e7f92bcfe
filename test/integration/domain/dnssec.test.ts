import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { checkDane, checkDnssec, decodeTlsa } from '../../../src/core/domain/dnssec.js';

const KEY = Buffer.alloc(64, 7).toString('base64');
const ksk = (algorithm = 13) => ({ flags: 257, protocol: 3, algorithm, key: KEY });
const zsk = (algorithm = 13) => ({ flags: 256, protocol: 3, algorithm, key: KEY });
const ds = (algorithm = 13, digestType = 2) => ({ keyTag: 2371, algorithm, digestType, digest: 'ab'.repeat(digestType === 1 ? 20 : 32) });
const SHA256 = 'cd'.repeat(32);

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer({
    // DNSSEC
    'validated.test': { ad: true, A: ['192.0.2.1'], DNSKEY: [ksk(), zsk()], DS: [ds()] },
    'mail.validated.test': { ad: true, A: ['192.0.2.2'] },
    'signed.test': { DNSKEY: [ksk(8)], DS: [ds(8)] },
    'sub.signed.test': { A: ['192.0.2.3'] },
    'nods.test': { DNSKEY: [ksk()] },
    'unsigned.test': { A: ['192.0.2.4'] },
    'weak.test': { ad: true, DNSKEY: [ksk(5)], DS: [ds(5, 1)] },
    'weakds.test': { ad: true, DNSKEY: [ksk(13)], DS: [ds(13, 1)] },
    'mixedds.test': { ad: true, DNSKEY: [ksk(13)], DS: [ds(13, 1), ds(13, 2)] },
    'broken.test': { behaviour: 'servfail' },
    // DANE
    '_25._tcp.mx1.dane.test': { ad: true, TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: SHA256 }] },
    '_25._tcp.mx2.dane.test': { ad: true, TLSA: [{ usage: 2, selector: 0, matchingType: 2, data: 'ef'.repeat(64) }] },
    '_25._tcp.mx.noad.test': { TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: SHA256 }] },
    '_25._tcp.mx.pkix.test': { ad: true, TLSA: [{ usage: 1, selector: 1, matchingType: 1, data: SHA256 }] },
    '_25._tcp.mx.mixed.test': { ad: true, TLSA: [{ usage: 0, selector: 0, matchingType: 1, data: SHA256 }, { usage: 3, selector: 1, matchingType: 1, data: SHA256 }] },
    '_25._tcp.mx.short.test': { ad: true, TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: 'ab'.repeat(20) }] },
    '_25._tcp.mx.unknown.test': { ad: true, TLSA: [{ usage: 7, selector: 4, matchingType: 9, data: SHA256 }] },
    '_25._tcp.mx1.partial.test': { ad: true, TLSA: [{ usage: 3, selector: 1, matchingType: 1, data: SHA256 }] },
    'mx2.partial.test': { A: ['192.0.2.9'] },
    '_25._tcp.mx.slow.test': { behaviour: 'timeout' },
  });
});
after(() => srv.stop());

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();
const deps = () => testDeps(srv, { timeoutMs: 200 });

test('a validated, signed zone: status validated, keys and DS decoded, no findings', async () => {
  const { result, findings } = await checkDnssec(deps(), 'validated.test');
  assert.deepEqual(findings, []);
  assert.equal(result.status, 'validated');
  assert.equal(result.zone, 'validated.test');
  assert.deepEqual(result.dnskey.map((k) => [k.flags, k.algorithmName, k.sep]), [[257, 'ECDSAP256SHA256', true], [256, 'ECDSAP256SHA256', false]]);
  assert.deepEqual(result.ds.map((d) => [d.keyTag, d.digestName]), [[2371, 'SHA-256']]);
});

test('a name below the apex: AD on its own answers, keys found at the organisational domain', async () => {
  const { result, findings } = await checkDnssec(deps(), 'mail.validated.test');
  assert.deepEqual(findings, []);
  assert.equal(result.status, 'validated');
  assert.equal(result.zone, 'validated.test');
});

test('the queries ask DNSKEY, DS, SOA and A', async () => {
  await checkDnssec(deps(), 'unsigned.test');
  for (const type of ['DNSKEY', 'DS', 'SOA', 'A']) assert.ok(srv.count('unsigned.test', type) > 0, type);
});

const cases: [string, string[], string][] = [
  ['signed.test', ['DNSSEC_NOT_VALIDATED'], 'signed'],
  ['sub.signed.test', ['DNSSEC_NOT_VALIDATED'], 'signed'],
  ['nods.test', ['DNSSEC_NOT_VALIDATED', 'DNSSEC_NO_DS'], 'signed'],
  ['unsigned.test', ['DNSSEC_UNSIGNED'], 'unsigned'],
  ['nowhere.test', ['DNSSEC_UNSIGNED'], 'unsigned'],
  ['weak.test', ['DNSSEC_WEAK_ALGORITHM'], 'validated'],
  ['weakds.test', ['DNSSEC_WEAK_ALGORITHM'], 'validated'],
  ['mixedds.test', [], 'validated'],
  ['broken.test', ['DNS_SERVFAIL'], 'unknown'],
];
for (const [domain, expected, status] of cases) {
  test(`${domain} → ${status}${expected.length ? `, ${expected.join(', ')}` : ''}`, async () => {
    const { result, findings } = await checkDnssec(deps(), domain);
    assert.deepEqual(codes(findings), expected);
    assert.equal(result.status, status);
    for (const f of findings) {
      assert.equal(f.check, 'dnssec');
      assert.ok(f.fix);
    }
  });
}

test('weak algorithm and digest findings name them', async () => {
  assert.match((await checkDnssec(deps(), 'weak.test')).findings[0]!.message, /RSASHA1/);
  assert.match((await checkDnssec(deps(), 'weakds.test')).findings[0]!.message, /SHA-1/);
});

test('DANE: DANE-EE and DANE-TA records on every MX, validated: usable, decoded, no findings', async () => {
  const { result, findings } = await checkDane(deps(), 'dane.test', { mxHosts: ['mx1.dane.test', 'MX2.dane.test.'] });
  assert.deepEqual(findings, []);
  assert.equal(result.present, true);
  assert.equal(result.allHosts, true);
  assert.deepEqual(
    result.hosts.map((h) => [h.name, h.validated, h.usable, h.tlsa.map((t) => `${t.usageName} ${t.selectorName} ${t.matchingTypeName}`)]),
    [
      ['_25._tcp.mx1.dane.test', true, true, ['DANE-EE SPKI SHA2-256']],
      ['_25._tcp.mx2.dane.test', true, true, ['DANE-TA Cert SHA2-512']],
    ],
  );
});

test('DANE: no TLSA anywhere is not a finding, only present: false', async () => {
  const { result, findings } = await checkDane(deps(), 'plain.test', { mxHosts: ['mx.plain.test'] });
  assert.deepEqual(findings, []);
  assert.equal(result.present, false);
  assert.equal(result.allHosts, false);
});

const daneCases: [string, string[], string[]][] = [
  ['noad.test', ['mx.noad.test'], ['DANE_TLSA_NOT_VALIDATED']],
  ['pkix.test', ['mx.pkix.test'], ['DANE_TLSA_PKIX_USAGE']],
  ['mixed.test', ['mx.mixed.test'], ['DANE_TLSA_PKIX_USAGE']],
  ['short.test', ['mx.short.test'], ['DANE_TLSA_INVALID']],
  ['unknown.test', ['mx.unknown.test'], ['DANE_TLSA_INVALID']],
  ['partial.test', ['mx1.partial.test', 'mx2.partial.test'], ['DANE_PARTIAL']],
  ['slow.test', ['mx.slow.test', 'mx1.dane.test'], ['DNS_TIMEOUT']],
];
for (const [domain, mxHosts, expected] of daneCases) {
  test(`DANE ${domain} → ${expected.join(', ')}`, async () => {
    const { findings } = await checkDane(deps(), domain, { mxHosts });
    assert.deepEqual(codes(findings), expected);
    for (const f of findings) {
      assert.equal(f.check, 'dane');
      assert.ok(f.fix);
    }
  });
}

test('DANE: PKIX-only host has no usable record; a DANE-EE record next to it keeps it usable', async () => {
  const pkix = await checkDane(deps(), 'pkix.test', { mxHosts: ['mx.pkix.test'] });
  assert.equal(pkix.result.hosts[0]!.usable, false);
  assert.match(pkix.findings[0]!.message, /1 \(PKIX-EE\).*no usable TLSA record/);
  const mixed = await checkDane(deps(), 'mixed.test', { mxHosts: ['mx.mixed.test'] });
  assert.equal(mixed.result.hosts[0]!.usable, true);
  assert.equal(mixed.result.allHosts, true);
});

test('DANE: a timeout on one MX does not hide the others', async () => {
  const { result } = await checkDane(deps(), 'slow.test', { mxHosts: ['mx.slow.test', 'mx1.dane.test'] });
  assert.deepEqual(result.hosts.map((h) => h.host), ['mx1.dane.test']);
  assert.equal(result.present, true);
  assert.equal(result.allHosts, false);
});

test('decodeTlsa explains digest length and unknown values', () => {
  assert.deepEqual(decodeTlsa({ usage: 3, selector: 1, matchingType: 1, data: SHA256 }).problems, []);
  assert.match(decodeTlsa({ usage: 3, selector: 1, matchingType: 1, data: 'ab' }).problems[0]!, /32 octets, this one is 1/);
  assert.deepEqual(decodeTlsa({ usage: 9, selector: 2, matchingType: 3, data: 'ab' }).problems, ['usage 9 is not defined', 'selector 2 is not defined', 'matching type 3 is not defined']);
  assert.match(decodeTlsa({ usage: 3, selector: 0, matchingType: 0, data: '' }).problems[0]!, /empty/);
});
