import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { ed25519PublicKeyB64, rsaPkcs1PublicKeyB64, rsaPublicKeyB64 } from '../../helpers/keys.js';
import { checkDkim } from '../../../src/core/domain/dkim.js';

let srv: DnsFixtureServer;
const k2048 = rsaPublicKeyB64(2048);
const k1024 = rsaPublicKeyB64(1024);
const k768 = rsaPublicKeyB64(768);
const ed = ed25519PublicKeyB64();
const pkcs1 = rsaPkcs1PublicKeyB64(2048);

before(async () => {
  srv = await startDnsServer({
    'good._domainkey.d.test': { TXT: [[`v=DKIM1; k=rsa; p=${k2048.slice(0, 200)}`, k2048.slice(200)]] },
    'weak._domainkey.d.test': { TXT: [`v=DKIM1; p=${k1024}`] },
    'short._domainkey.d.test': { TXT: [`v=DKIM1; p=${k768}`] },
    'testing._domainkey.d.test': { TXT: [`v=DKIM1; t=y; p=${k2048}`] },
    'strict._domainkey.d.test': { TXT: [`v=DKIM1; t=s; p=${k2048}`] },
    'sha1._domainkey.d.test': { TXT: [`v=DKIM1; h=sha1:sha256; p=${k2048}`] },
    'revoked._domainkey.d.test': { TXT: ['v=DKIM1; p='] },
    'garbled._domainkey.d.test': { TXT: ['v=DKIM1; p=notbase64!!'] },
    'badtag._domainkey.d.test': { TXT: ['v=DKIM1;; p=abc'] },
    'vnotfirst._domainkey.d.test': { TXT: [`p=${k2048}; v=DKIM1`] },
    'ed._domainkey.d.test': { TXT: [`v=DKIM1; k=ed25519; p=${ed}`] },
    'edbad._domainkey.d.test': { TXT: ['v=DKIM1; k=ed25519; p=AAAA'] },
    'dsa._domainkey.d.test': { TXT: [`v=DKIM1; k=dsa; p=${k2048}`] },
    'pkcs1._domainkey.d.test': { TXT: [`v=DKIM1; p=${pkcs1}`] },
    'two._domainkey.d.test': { TXT: [`v=DKIM1; p=${k2048}`, `v=DKIM1; p=${k1024}`] },
    'cname._domainkey.d.test': { CNAME: 'key.provider.test' },
    'key.provider.test': { TXT: [`v=DKIM1; p=${k2048}`] },
    'slow._domainkey.d.test': { behaviour: 'timeout' },
    // common selectors: google and s1 exist at common.test
    'google._domainkey.common.test': { TXT: [`v=DKIM1; p=${k2048}`] },
    's1._domainkey.common.test': { TXT: [`k=rsa; p=${k1024}`] },
  });
});
after(() => srv.stop());

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

const cases: [string, string[], Record<string, unknown>?][] = [
  ['good', [], { found: true, keyType: 'rsa', bits: 2048 }],
  ['weak', ['DKIM_KEY_WEAK'], { bits: 1024 }],
  ['short', ['DKIM_KEY_TOO_SHORT'], { bits: 768 }],
  ['testing', ['DKIM_TESTING'], { testing: true }],
  ['strict', ['DKIM_STRICT_SUBDOMAIN']],
  ['sha1', ['DKIM_SHA1_ALLOWED']],
  ['revoked', ['DKIM_KEY_REVOKED'], { found: true, bits: null }],
  ['garbled', ['DKIM_RECORD_INVALID']],
  ['badtag', ['DKIM_RECORD_INVALID']],
  ['vnotfirst', ['DKIM_RECORD_INVALID']],
  ['ed', [], { keyType: 'ed25519', bits: 256 }],
  ['edbad', ['DKIM_RECORD_INVALID']],
  ['dsa', ['DKIM_RECORD_INVALID']],
  ['two', ['DKIM_RECORD_INVALID']],
  ['cname', [], { found: true, bits: 2048 }],
  ['pkcs1', [], { found: true, bits: 2048 }],
  ['missing', ['DKIM_KEY_MISSING'], { found: false }],
  ['slow', ['DNS_TIMEOUT']],
];
for (const [sel, expected, fields] of cases) {
  test(`selector ${sel} → ${expected.join(', ') || 'no findings'}`, async () => {
    const { result, findings } = await checkDkim(testDeps(srv, { timeoutMs: 200 }), 'd.test', [sel]);
    assert.deepEqual(codes(findings), expected);
    assert.equal(result.source, 'user');
    assert.equal(result.selectors.length, 1);
    for (const [k, v] of Object.entries(fields ?? {})) assert.deepEqual((result.selectors[0] as any)[k], v, k);
  });
}

test('without --selector the common list is tried and only found selectors are reported', async () => {
  const { result, findings } = await checkDkim(testDeps(srv), 'common.test');
  assert.equal(result.source, 'common');
  assert.ok(result.tried.length >= 20);
  for (const s of ['google', 'selector1', 'selector2', 's1', 's2', 'k1', 'default', 'amazonses', 'fm3', 'mxvault', 'zoho', 'pm', 'mandrill']) assert.ok(result.tried.includes(s), s);
  assert.deepEqual(result.selectors.map((s) => s.selector).sort(), ['google', 's1']);
  assert.deepEqual(codes(findings), ['DKIM_KEY_WEAK']);
});

test('no common selector found → DKIM_NONE_FOUND (info), listing what was tried', async () => {
  const { result, findings } = await checkDkim(testDeps(srv), 'nothing.test');
  assert.deepEqual(codes(findings), ['DKIM_NONE_FOUND']);
  assert.equal(findings[0]!.severity, 'info');
  assert.deepEqual((findings[0]!.evidence as any).tried, result.tried);
});
