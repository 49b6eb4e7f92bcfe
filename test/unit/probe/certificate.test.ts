import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { analyzeCertificate, certificateMatchesName, commonName, dnsIdMatches, parseSubjectAltName } from '../../../src/core/probe/certificate.js';
import { expandedIp as canonicalIp, reverseName } from '../../../src/core/net/ip-address.js';
import { makeTestPki, type TestPki } from '../../helpers/smtp-server.js';

// [presented, reference, matches] — RFC 6125 §6.4.3 as tightened by RFC 9525 §6.3
const DNS_ID_CASES: [string, string, boolean][] = [
  ['mx.example.com', 'mx.example.com', true],
  ['MX.Example.COM', 'mx.example.com', true],
  ['mx.example.com.', 'mx.example.com', true],
  ['mx.example.com', 'mx.example.com.', true],
  ['mx.example.com', 'mx2.example.com', false],
  ['*.example.com', 'mx.example.com', true],
  ['*.example.com', 'MX.EXAMPLE.COM', true],
  ['*.example.com', 'a.b.example.com', false], // one label only
  ['*.example.com', 'example.com', false], // not the bare domain
  ['*.example.com', '.example.com', false],
  ['*.com', 'example.com', false], // too broad
  ['*', 'localhost', false],
  ['m*.example.com', 'mx.example.com', false], // partial wildcards are refused
  ['*x.example.com', 'mx.example.com', false],
  ['mx.*.com', 'mx.example.com', false], // wildcard not left-most
  ['*.*.example.com', 'a.b.example.com', false],
  ['*.xn--bcher-kva.example', 'mx.xn--bcher-kva.example', true],
  ['*.bücher.example', 'mx.xn--bcher-kva.example', true], // U-label compared as A-label
  ['', 'mx.example.com', false],
];

test('DNS-ID matching follows RFC 6125/9525 wildcard rules', () => {
  for (const [p, r, want] of DNS_ID_CASES) assert.equal(dnsIdMatches(p, r), want, `${p} vs ${r}`);
});

test('our matcher agrees with OpenSSL on the strict cases (X509Certificate.checkHost, no partial wildcards)', async () => {
  const pki = await makeTestPki();
  try {
    for (const [pem, names] of [
      [pki.wildcard.cert, ['mx.example.test', 'a.b.example.test', 'example.test', 'other.example.net']],
      [pki.good.cert, ['mx.example.test', 'mx2.example.test', 'www.example.test', 'example.test']],
    ] as const) {
      const x = new X509Certificate(pem);
      const san = parseSubjectAltName(x.subjectAltName);
      for (const n of names) {
        const openssl = x.checkHost(n, { partialWildcards: false, multiLabelWildcards: false }) !== undefined;
        assert.equal(certificateMatchesName(n, san, commonName(x.subject)), openssl, n);
      }
    }
  } finally {
    await pki.cleanup();
  }
});

test('the CN counts only when there is no DNS SAN (RFC 6125 §6.4.4); IPs match iPAddress SANs only', () => {
  assert.equal(certificateMatchesName('mx.example.com', { dns: [], ip: [] }, 'mx.example.com'), true);
  assert.equal(certificateMatchesName('mx.example.com', { dns: ['other.example.com'], ip: [] }, 'mx.example.com'), false);
  assert.equal(certificateMatchesName('192.0.2.1', { dns: ['192.0.2.1'], ip: [] }, '192.0.2.1'), false);
  assert.equal(certificateMatchesName('192.0.2.1', { dns: [], ip: ['192.0.2.1'] }, undefined), true);
  assert.equal(certificateMatchesName('2001:db8::1', { dns: [], ip: ['2001:DB8:0:0:0:0:0:1'] }, undefined), true);
  assert.equal(certificateMatchesName('[2001:db8::1]', { dns: [], ip: ['2001:db8::1'] }, undefined), true);
  assert.equal(certificateMatchesName('2001:db8::2', { dns: [], ip: ['2001:db8::1'] }, undefined), false);
});

test("Node's subjectAltName string is parsed, quoted values included", () => {
  assert.deepEqual(parseSubjectAltName('DNS:a.example, DNS:*.b.example, IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:1, email:x@y'), {
    dns: ['a.example', '*.b.example'],
    ip: ['192.0.2.1', '2001:DB8:0:0:0:0:0:1'],
  });
  assert.deepEqual(parseSubjectAltName('DNS:"a,b.example", DNS:c.example'), { dns: ['a,b.example', 'c.example'], ip: [] });
  assert.deepEqual(parseSubjectAltName(undefined), { dns: [], ip: [] });
});

test('IP helpers: canonical IPv6 and reverse-mapping names', () => {
  assert.equal(canonicalIp('2001:db8::1'), '2001:0db8:0000:0000:0000:0000:0000:0001');
  assert.equal(canonicalIp('::ffff:192.0.2.1'), '0000:0000:0000:0000:0000:ffff:c000:0201');
  assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1');
  assert.equal(reverseName('192.0.2.25'), '25.2.0.192.in-addr.arpa');
  assert.equal(reverseName('2001:db8::25'), '5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
  assert.equal(reverseName('::1'), `1.${'0.'.repeat(31)}ip6.arpa`);
});

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});
after(() => pki.cleanup());

const der = (pem: string) => new X509Certificate(pem).raw;

test('analyzeCertificate: a good certificate', () => {
  const now = Date.now();
  const r = analyzeCertificate([der(pki.good.cert), der(pki.caPem)], { name: 'mx.example.test', authorized: true, now })!;
  assert.equal(r.subject, 'CN=mx.example.test');
  assert.equal(r.issuer, 'CN=mailpace test CA');
  assert.deepEqual(r.altNames, ['mx.example.test', 'mx2.example.test', '127.0.0.1']);
  assert.ok(r.daysLeft >= 88 && r.daysLeft <= 90, String(r.daysLeft));
  assert.equal(r.trusted, true);
  assert.equal(r.trustError, undefined);
  assert.equal(r.nameMatches, true);
  assert.equal(r.selfSigned, false);
  assert.equal(r.chainLength, 2);
  assert.match(r.fingerprint256, /^[0-9a-f]{64}$/);
});

test('analyzeCertificate: expired, expiring, wrong name, self-signed, no name, empty chain', () => {
  const now = Date.now();
  const expired = analyzeCertificate([der(pki.expired.cert)], { name: 'mx.example.test', authorized: false, authorizationError: 'CERT_HAS_EXPIRED', now })!;
  assert.ok(expired.daysLeft < -365);
  assert.equal(expired.validTo, '2020-02-01T00:00:00.000Z');
  assert.equal(expired.trustError, 'CERT_HAS_EXPIRED');
  const soon = analyzeCertificate([der(pki.expiringSoon.cert)], { name: 'mx.example.test', authorized: true, now })!;
  assert.ok(soon.daysLeft >= 3 && soon.daysLeft <= 5, String(soon.daysLeft));
  assert.equal(analyzeCertificate([der(pki.wrongName.cert)], { name: 'mx.example.test', authorized: true, now })!.nameMatches, false);
  const self = analyzeCertificate([der(pki.selfSigned.cert)], { name: 'mx.example.test', authorized: false, authorizationError: 'DEPTH_ZERO_SELF_SIGNED_CERT', now })!;
  assert.equal(self.selfSigned, true);
  assert.equal(self.nameMatches, true);
  assert.equal(analyzeCertificate([der(pki.good.cert)], { authorized: true, now })!.nameMatches, null);
  assert.equal(analyzeCertificate([], { authorized: false, now }), undefined);
  assert.equal(analyzeCertificate([der(pki.good.cert)], { name: '127.0.0.1', authorized: true, now })!.nameMatches, true);
});
