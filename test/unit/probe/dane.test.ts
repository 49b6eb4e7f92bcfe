import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import type { TlsaRecord } from '../../../src/core/dns/types.js';
import { matchTlsa, tlsaMatchesCertificate } from '../../../src/core/probe/dane.js';
import { makeTestPki, type TestPki } from '../../helpers/smtp-server.js';

let pki: TestPki;
let leaf: Buffer;
let ca: Buffer;
before(async () => {
  pki = await makeTestPki();
  leaf = new X509Certificate(pki.good.cert).raw;
  ca = new X509Certificate(pki.caPem).raw;
});
after(() => pki.cleanup());

const spki = (der: Buffer) => new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
const sha = (alg: string, b: Buffer) => createHash(alg).update(b).digest('hex');
const rec = (usage: number, selector: number, matchingType: number, data: string): TlsaRecord => ({ type: 'TLSA', name: '_25._tcp.mx.example.test', ttl: 60, usage, selector, matchingType, data });

test('selector × matching type (RFC 6698 §2.1.2, §2.1.3)', () => {
  assert.ok(tlsaMatchesCertificate(rec(3, 0, 0, leaf.toString('hex')), leaf));
  assert.ok(tlsaMatchesCertificate(rec(3, 0, 1, sha('sha256', leaf)), leaf));
  assert.ok(tlsaMatchesCertificate(rec(3, 0, 2, sha('sha512', leaf)), leaf));
  assert.ok(tlsaMatchesCertificate(rec(3, 1, 0, spki(leaf).toString('hex')), leaf));
  assert.ok(tlsaMatchesCertificate(rec(3, 1, 1, sha('sha256', spki(leaf)).toUpperCase()), leaf), 'hex case does not matter');
  assert.ok(tlsaMatchesCertificate(rec(3, 1, 2, sha('sha512', spki(leaf))), leaf));
  assert.ok(!tlsaMatchesCertificate(rec(3, 1, 1, sha('sha256', spki(ca))), leaf));
  assert.ok(!tlsaMatchesCertificate(rec(3, 2, 1, sha('sha256', leaf)), leaf), 'unknown selector');
  assert.ok(!tlsaMatchesCertificate(rec(3, 0, 3, sha('sha256', leaf)), leaf), 'unknown matching type');
  assert.ok(!tlsaMatchesCertificate(rec(3, 1, 1, 'ab'), Buffer.from('not a certificate')), 'garbage DER does not throw');
});

test('DANE-EE pins the leaf, DANE-TA an issuer; usages 0/1 are unusable for SMTP (RFC 7672 §3.1.3)', () => {
  const ee = rec(3, 1, 1, sha('sha256', spki(leaf)));
  const ta = rec(2, 1, 1, sha('sha256', spki(ca)));
  assert.deepEqual(matchTlsa([ee], [leaf, ca]), { usable: 1, unusableUsages: 0, matched: true, matchedRecord: { usage: 3, selector: 1, matchingType: 1 } });
  assert.equal(matchTlsa([ta], [leaf, ca]).matched, true);
  assert.equal(matchTlsa([ta], [leaf]).matched, false, 'the CA was not presented');
  assert.equal(matchTlsa([rec(2, 1, 1, sha('sha256', spki(leaf)))], [leaf, ca]).matched, false, 'a TA record does not match the leaf');
  assert.equal(matchTlsa([rec(3, 1, 1, sha('sha256', spki(ca)))], [leaf, ca]).matched, false, 'an EE record does not match the CA');
  const pkix = matchTlsa([rec(1, 1, 1, sha('sha256', spki(leaf))), rec(0, 0, 1, sha('sha256', ca))], [leaf, ca]);
  assert.deepEqual(pkix, { usable: 0, unusableUsages: 2, matched: false });
  assert.equal(matchTlsa([ee], []).matched, false);
});
