/**
 * DKIM signing of `send`'s messages, verified with mailauth's verifier reading the public keys from
 * the fixture DNS server on 127.0.0.1 through our resolver; and the "is the key published?" check
 * against the same server (match, mismatch, missing, DNS failure).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { Deps } from '../../../src/core/deps.js';
import { UsageError } from '../../../src/core/errors.js';
import { mailauthResolver } from '../../../src/core/dns/mailauth-adapter.js';
import { composeMessage, readMessage, type PreparedMessage } from '../../../src/core/delivery/message.js';
import { checkDkimKeyPublished, DKIM_SIGNED_HEADERS, parseDkimPrivateKey, readDkimPrivateKey, signDkim, type DkimPrivateKey } from '../../../src/core/delivery/dkim-sign.js';
import { FINDING_CODES } from '../../../src/core/finding-codes.js';

interface VerifyRow {
  signingDomain: string;
  selector: string;
  algo: string;
  status: { result: string; comment?: string };
}
const { dkimVerify } = createRequire(import.meta.url)('mailauth/lib/dkim/verify') as {
  dkimVerify: (m: Buffer, o: object) => Promise<{ results: VerifyRow[] }>;
};

const T0 = Date.UTC(2025, 10, 27, 10, 0, 0);
const pem = (k: KeyObject) => k.export({ format: 'pem', type: 'pkcs8' }) as string;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
let rsaKey: DkimPrivateKey;
let edKey: DkimPrivateKey;
let otherKey: DkimPrivateKey;

let srv: DnsFixtureServer;
let deps: Deps;
let dir: string;

before(async () => {
  rsaKey = parseDkimPrivateKey(pem(rsa.privateKey));
  edKey = parseDkimPrivateKey(pem(ed.privateKey));
  otherKey = parseDkimPrivateKey(pem(other.privateKey));
  srv = await startDnsServer({
    'rsa._domainkey.example.com': { TXT: [[`v=DKIM1; k=rsa; p=${rsaKey.publicKeyB64.slice(0, 200)}`, rsaKey.publicKeyB64.slice(200)]] },
    'ed._domainkey.example.com': { TXT: [`v=DKIM1; k=ed25519; p=${edKey.publicKeyB64}`] },
    'esp._domainkey.mail.example.com': { TXT: [`v=DKIM1; p=${rsaKey.publicKeyB64}`] },
    'old._domainkey.example.com': { TXT: [`v=DKIM1; k=rsa; p=${otherKey.publicKeyB64}`] },
    'revoked._domainkey.example.com': { TXT: ['v=DKIM1; k=rsa; p='] },
    'edtype._domainkey.example.com': { TXT: [`v=DKIM1; k=ed25519; p=${edKey.publicKeyB64}`] },
    'garbled._domainkey.example.com': { TXT: ['v=DKIM1; p=notbase64!!'] },
    'two._domainkey.example.com': { TXT: [`v=DKIM1; p=${rsaKey.publicKeyB64}`, `v=DKIM1; p=${otherKey.publicKeyB64}`] },
    'pkcs1._domainkey.example.com': { TXT: [`v=DKIM1; p=${rsa.publicKey.export({ format: 'der', type: 'pkcs1' }).toString('base64')}`] },
    'cname._domainkey.example.com': { CNAME: 'key.provider.test' },
    'key.provider.test': { TXT: [`v=DKIM1; p=${rsaKey.publicKeyB64}`] },
    'spfonly._domainkey.example.com': { TXT: ['v=spf1 -all'] },
    'slow._domainkey.example.com': { behaviour: 'timeout' },
    'broken._domainkey.example.com': { behaviour: 'servfail' },
  });
  deps = testDeps(srv, { timeoutMs: 300 });
  dir = mkdtempSync(join(tmpdir(), 'mailpace-dkim-'));
});
after(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

const clock = () => ({ clock: new FakeClock(T0) });

async function composed(over: Partial<Parameters<typeof composeMessage>[1]> = {}): Promise<PreparedMessage> {
  return composeMessage(clock(), {
    from: 'Ann Example <ann@example.com>',
    to: ['bob@example.net'],
    subject: 'Signed',
    text: 'Hello Bob,\n\nthis message is signed.\n',
    html: '<p>Hello Bob,</p><p>this message is <b>signed</b>.</p>',
    headers: { 'List-Unsubscribe': '<mailto:unsub@example.com>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'Reply-To': 'help@example.com' },
    attachments: [{ filename: 'note.txt', content: Buffer.from('a note\n') }],
    ...over,
  });
}

async function verify(raw: Buffer): Promise<VerifyRow[]> {
  const r = await dkimVerify(raw, { resolver: mailauthResolver(deps.resolver), curTime: new Date(T0 + 60_000) });
  return r.results;
}

function tag(signature: string, name: string): string | undefined {
  const v = signature.slice(signature.indexOf(':') + 1).replace(/\r\n[ \t]+/g, ' ');
  for (const part of v.split(';')) {
    const [k, ...rest] = part.split('=');
    if (k!.trim() === name) return rest.join('=').replace(/\s+/g, '');
  }
  return undefined;
}

for (const [name, selector, key, algo] of [
  ['rsa', 'rsa', () => rsaKey, 'rsa-sha256'],
  ['ed25519', 'ed', () => edKey, 'ed25519-sha256'],
] as const) {
  test(`${name}: a composed message signed with ${algo} verifies with mailauth against the published key`, async () => {
    const m = await composed();
    const s = await signDkim(clock(), m.raw, { key: key(), selector, fromDomain: m.from.domain });
    assert.equal(s.algorithm, algo);
    assert.equal(s.domain, 'example.com');
    assert.ok(s.raw.subarray(s.signature.length + 2).equals(m.raw), 'the signature is prepended, the message unchanged');
    assert.ok(s.raw.toString('latin1').startsWith(`${s.signature}\r\nFrom: `) || s.raw.toString('latin1').startsWith(`${s.signature}\r\n`));
    assert.doesNotMatch(s.signature, /[^\r]\n/, 'CRLF folding');
    assert.equal(tag(s.signature, 'a'), algo);
    assert.equal(tag(s.signature, 'c'), 'relaxed/relaxed');
    assert.equal(tag(s.signature, 'd'), 'example.com');
    assert.equal(tag(s.signature, 's'), selector);
    assert.equal(tag(s.signature, 't'), String(T0 / 1000), 't= comes from the clock');
    assert.equal(tag(s.signature, 'x'), undefined, 'no expiry');
    const rows = await verify(s.raw);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status.result, 'pass', rows[0]!.status.comment);
    assert.equal(rows[0]!.signingDomain, 'example.com');
    assert.equal(rows[0]!.algo, algo);
  });
}

test('h= lists the usual fields that are present, and From once more than it occurs (oversigned)', async () => {
  const m = await composed();
  const s = await signDkim(clock(), m.raw, { key: rsaKey, selector: 'rsa', fromDomain: m.from.domain });
  const h = tag(s.signature, 'h')!.toLowerCase().split(':');
  assert.deepEqual(h.filter((x) => x === 'from'), ['from', 'from']);
  for (const f of ['to', 'subject', 'date', 'message-id', 'reply-to', 'mime-version', 'content-type', 'list-unsubscribe', 'list-unsubscribe-post']) assert.ok(h.includes(f), f);
  assert.ok(h.every((f) => DKIM_SIGNED_HEADERS.some((d) => d.toLowerCase() === f)), h.join(':'));
  assert.ok(!h.includes('cc') && !h.includes('references'), 'absent fields are not listed');
});

test('oversigning at work: a From added in transit breaks the signature; an unsigned field does not', async () => {
  const m = await composed();
  const s = await signDkim(clock(), m.raw, { key: rsaKey, selector: 'rsa', fromDomain: m.from.domain });
  const withFrom = Buffer.concat([Buffer.from('From: Attacker <ceo@example.com>\r\n'), s.raw]);
  assert.equal((await verify(withFrom))[0]!.status.result, 'fail');
  const withReceived = Buffer.concat([Buffer.from('Received: from relay.example.net by mx.example.net; Thu, 27 Nov 2025 10:00:05 +0000\r\n'), s.raw]);
  assert.equal((await verify(withReceived))[0]!.status.result, 'pass');
  const tampered = Buffer.from(s.raw.toString('latin1').replace('this message is signed', 'this message is forged'), 'latin1');
  assert.notEqual((await verify(tampered))[0]!.status.result, 'pass');
});

test('a message read from LF text is signed over its CRLF form and verifies', async () => {
  const input = Buffer.from('From: ann@example.com\nTo: bob@example.net\nSubject: read\n\nLine one  \nLine two\n\n\n');
  const m = await readMessage(clock(), input);
  const s = await signDkim(clock(), m.raw, { key: edKey, selector: 'ed', fromDomain: m.from.domain });
  assert.equal((await verify(s.raw))[0]!.status.result, 'pass');
});

test('d= from --dkim-domain; a domain outside the From organisation is signed but noticed', async () => {
  const m = await composed();
  const sub = await signDkim(clock(), m.raw, { key: rsaKey, selector: 'esp', domain: 'Mail.Example.COM', fromDomain: m.from.domain });
  assert.equal(sub.domain, 'mail.example.com');
  assert.deepEqual(sub.notices, []);
  assert.equal((await verify(sub.raw))[0]!.status.result, 'pass');
  const foreign = await signDkim(clock(), m.raw, { key: rsaKey, selector: 'esp', domain: 'esp.example.net', fromDomain: m.from.domain });
  assert.equal(foreign.notices.length, 1);
  assert.match(foreign.notices[0]!, /d=esp\.example\.net .*DMARC/);
});

test('bad selector or domain, and a message without From, are usage errors', async () => {
  const m = await composed();
  await assert.rejects(signDkim(clock(), m.raw, { key: rsaKey, selector: 'bad selector', fromDomain: 'example.com' }), UsageError);
  await assert.rejects(signDkim(clock(), m.raw, { key: rsaKey, selector: 'rsa', domain: 'not a domain', fromDomain: 'example.com' }), UsageError);
  await assert.rejects(signDkim(clock(), Buffer.from('Subject: x\r\n\r\nhi\r\n'), { key: rsaKey, selector: 'rsa', fromDomain: 'example.com' }), /no From header/);
});

// ---- key files ----------------------------------------------------------------------------------

test('key files: PKCS#8 and PKCS#1 RSA PEM, PKCS#8 Ed25519 PEM and a raw base64 Ed25519 key are read; the type comes from the key', async () => {
  const write = (name: string, data: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const a = await readDkimPrivateKey(write('rsa8.pem', pem(rsa.privateKey)));
  assert.equal(a.algorithm, 'rsa-sha256');
  assert.equal(a.bits, 2048);
  const b = await readDkimPrivateKey(write('rsa1.pem', rsa.privateKey.export({ format: 'pem', type: 'pkcs1' }) as string));
  assert.equal(b.publicKeyB64, a.publicKeyB64);
  const c = await readDkimPrivateKey(write('ed.pem', pem(ed.privateKey)));
  assert.equal(c.algorithm, 'ed25519-sha256');
  assert.equal(Buffer.from(c.publicKeyB64, 'base64').length, 32);
  // what dkimpy's dknewkey writes for ed25519: the raw 32-octet key in base64
  const der = ed.privateKey.export({ format: 'der', type: 'pkcs8' });
  const d = await readDkimPrivateKey(write('ed.key', `${der.subarray(der.length - 32).toString('base64')}\n`));
  assert.equal(d.publicKeyB64, c.publicKeyB64);
});

test('key files: missing, a directory, not a key, a public key, encrypted, too short, an EC key: one-line usage errors', async () => {
  const write = (name: string, data: string | Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  mkdirSync(join(dir, 'adir'), { recursive: true });
  const cases: [string, RegExp][] = [
    [join(dir, 'nope.pem'), /DKIM key file .*nope\.pem: no such file/],
    [join(dir, 'adir'), /it is a directory/],
    [write('garbage.pem', 'hello, I am not a key\n'), /is not a PEM private key/],
    [write('broken.pem', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), /cannot be read as a private key/],
    [write('public.pem', rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string), /is a public key/],
    [write('enc.pem', rsa.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'secret' }) as string), /is encrypted/],
    [write('small.pem', pem(generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey)), /512-bit RSA key.*RFC 8301/],
    [write('ec.pem', pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)), /holds a key of type ec; DKIM signs with rsa .* or ed25519/],
  ];
  for (const [path, re] of cases) {
    await assert.rejects(readDkimPrivateKey(path), (err: unknown) => {
      assert.ok(err instanceof UsageError, `${path}: ${String(err)}`);
      assert.doesNotMatch(err.message, /[\r\n]/);
      assert.match(err.message, re);
      return true;
    });
  }
});

// ---- is the key published? ------------------------------------------------------------------------

test('key published: no finding when the record holds the public half (RSA split strings, Ed25519, PKCS#1 p=, via CNAME)', async () => {
  assert.deepEqual(await checkDkimKeyPublished(deps, { domain: 'example.com', selector: 'rsa', privateKey: rsaKey }), []);
  assert.deepEqual(await checkDkimKeyPublished(deps, { domain: 'Example.COM', selector: 'ED', privateKey: edKey }), []);
  assert.deepEqual(await checkDkimKeyPublished(deps, { domain: 'example.com', selector: 'pkcs1', privateKey: rsaKey }), []);
  assert.deepEqual(await checkDkimKeyPublished(deps, { domain: 'example.com', selector: 'cname', privateKey: rsaKey }), []);
});

test('key published: another key, a revoked or garbled record, another key type, disagreeing records → DKIM_KEY_MISMATCH (warning)', async () => {
  const cases: [string, DkimPrivateKey, RegExp][] = [
    ['old', rsaKey, /not the public half of the private key/],
    ['revoked', rsaKey, /has an empty p= \(the key is revoked/],
    ['garbled', rsaKey, /not a readable rsa public key/],
    ['edtype', rsaKey, /has k=ed25519 while the private key is rsa/],
    ['rsa', edKey, /has k=rsa while the private key is ed25519/],
    ['two', rsaKey, /^2 key records at two\._domainkey\.example\.com, .*\(RFC 6376 §3\.6\.2\.2\); one holds a public key that is not/],
  ];
  for (const [selector, key, re] of cases) {
    const fs = await checkDkimKeyPublished(deps, { domain: 'example.com', selector, privateKey: key });
    assert.equal(fs.length, 1, selector);
    const f = fs[0]!;
    assert.equal(f.code, 'DKIM_KEY_MISMATCH');
    assert.equal(f.severity, 'warning');
    assert.equal(f.check, 'dkim-key');
    assert.match(f.message, re, selector);
    assert.match(f.fix!, new RegExp(`p=${key.publicKeyB64.slice(0, 20).replace(/[+/]/g, '\\$&')}`), 'the fix gives the record to publish');
  }
});

test('key published: no record (NXDOMAIN, or only non-key TXT) → DKIM_KEY_NOT_PUBLISHED (warning)', async () => {
  for (const selector of ['missing', 'spfonly']) {
    const fs = await checkDkimKeyPublished(deps, { domain: 'example.com', selector, privateKey: edKey });
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.code, 'DKIM_KEY_NOT_PUBLISHED');
    assert.equal(fs[0]!.severity, 'warning');
    assert.match(fs[0]!.message, new RegExp(`${selector}\\._domainkey\\.example\\.com`));
    assert.match(fs[0]!.fix!, /k=ed25519; p=/);
  }
});

test('key published: a DNS failure is a DNS_* finding for this check, not an exception', async () => {
  const [t] = await checkDkimKeyPublished(deps, { domain: 'example.com', selector: 'slow', privateKey: rsaKey });
  assert.equal(t!.code, 'DNS_TIMEOUT');
  assert.equal(t!.severity, 'error');
  const [s] = await checkDkimKeyPublished(deps, { domain: 'example.com', selector: 'broken', privateKey: rsaKey });
  assert.equal(s!.code, 'DNS_SERVFAIL');
});

test('the new codes are registered in the finding-code table', () => {
  assert.equal(FINDING_CODES.DKIM_KEY_MISMATCH.severity, 'warning');
  assert.equal(FINDING_CODES.DKIM_KEY_NOT_PUBLISHED.severity, 'warning');
});
