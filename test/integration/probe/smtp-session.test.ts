/**
 * The SMTP client layer against real servers on loopback: smtp-server set-ups and raw misbehaving
 * TCP servers. Covers the paths `probe` uses (handshake, single commands) and those `send` will
 * use (AUTH, a whole message), with transcripts and typed errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { systemClock } from '../../../src/core/clock.js';
import { SmtpSession, type SmtpSessionOptions } from '../../../src/core/smtp/session.js';
import { SmtpSessionError } from '../../../src/core/smtp/smtp-error.js';
import { makeTestPki, startFakeMx, startRawServer, type FakeMx, type RawBehaviour, type TestPki } from '../../helpers/smtp-server.js';

let pki: TestPki;
let tlsMx: FakeMx;
let plainMx: FakeMx;
let authMx: FakeMx;
const stops: (() => Promise<void>)[] = [];

before(async () => {
  pki = await makeTestPki();
  tlsMx = await startFakeMx({ tls: { ...pki.good, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' } });
  plainMx = await startFakeMx({});
  authMx = await startFakeMx({ tls: pki.good, auth: { user: 'alice', pass: 's3cret-pass' } });
  stops.push(tlsMx.stop, plainMx.stop, authMx.stop);
});
after(async () => {
  for (const s of stops) await s();
  await pki.cleanup();
});

function opts(port: number, over: Partial<SmtpSessionOptions> = {}): SmtpSessionOptions {
  return {
    address: '127.0.0.1',
    port,
    serverName: 'mx.example.test',
    heloName: 'probe.example.net',
    startTls: 'opportunistic',
    timeouts: { connectMs: 2000, greetingMs: 2000, commandMs: 2000 },
    clock: systemClock,
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<SmtpSessionError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SmtpSessionError, `expected SmtpSessionError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the session to fail');
}

test('STARTTLS session: banner, both EHLO replies, TLS details, then MAIL/RCPT/RSET/QUIT', async () => {
  const s = await SmtpSession.open(opts(tlsMx.port, { tls: { ca: pki.caPem } }));
  assert.equal(s.banner.code, 220);
  assert.match(s.banner.text, /^mx\.example\.test ESMTP/);
  assert.equal(s.startTlsOffered, true);
  assert.ok(s.ehloPlain!.extensions.some((e) => e.keyword === 'STARTTLS'));
  assert.ok(!s.ehlo!.extensions.some((e) => e.keyword === 'STARTTLS'), 'the post-TLS EHLO no longer offers STARTTLS');
  assert.equal(s.tls?.protocol, 'TLSv1.3');
  assert.equal(s.tls?.authorized, true, 'chain verified against the test CA');
  assert.ok(s.tls!.chain.length >= 1);
  assert.ok(s.timings.startTlsMs !== undefined && s.timings.ehloMs !== undefined);
  assert.deepEqual(await s.mailFrom('probe@example.net'), { code: 250, lines: ['Accepted'], text: 'Accepted' });
  assert.equal((await s.rcptTo('postmaster@example.test')).code, 250);
  assert.equal((await s.rset()).code, 250);
  assert.equal((await s.quit())?.code, 221);
  assert.equal(s.isClosed, true);
  const lines = s.transcript.entries.filter((e) => e.dir === 'client').map((e) => e.text);
  assert.deepEqual(lines, ['EHLO probe.example.net', 'STARTTLS', 'EHLO probe.example.net', 'MAIL FROM:<probe@example.net>', 'RCPT TO:<postmaster@example.test>', 'RSET', 'QUIT']);
  assert.ok(!tlsMx.commands.includes('DATA'));
});

test('without a trust anchor the chain is reported unverified, not refused', async () => {
  const s = await SmtpSession.open(opts(tlsMx.port));
  assert.equal(s.tls?.authorized, false);
  assert.equal(s.tls?.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  await s.quit();
});

test('pinned TLS versions: the handshake fails with the OpenSSL reason when the server refuses the version', async () => {
  const s = await SmtpSession.open(opts(tlsMx.port, { startTls: 'require', tls: { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } }));
  assert.equal(s.tls?.protocol, 'TLSv1.2');
  await s.quit();
  const e = await failure(SmtpSession.open(opts(tlsMx.port, { startTls: 'require', tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } })));
  assert.equal(e.code, 'SMTP_TLS_FAILED');
  assert.equal(e.phase, 'tls-handshake');
  assert.match(e.systemCode ?? '', /^ERR_SSL_/);
  assert.ok(e.transcript.some((t) => t.text === 'STARTTLS'));
});

test('no STARTTLS: opportunistic stays in plaintext, require fails', async () => {
  const s = await SmtpSession.open(opts(plainMx.port));
  assert.equal(s.startTlsOffered, false);
  assert.equal(s.tls, undefined);
  await s.quit();
  const e = await failure(SmtpSession.open(opts(plainMx.port, { startTls: 'require' })));
  assert.equal(e.code, 'SMTP_TLS_FAILED');
  assert.equal(e.phase, 'starttls');
  assert.ok((e.replyCode ?? 0) >= 500, String(e.replyCode));
});

test('a 554 greeting is SMTP_GREETING_REJECTED with the reply, permanent', async () => {
  const mx = await startFakeMx({ refuse: { code: 554, message: '5.7.1 No SMTP service here' } });
  stops.push(mx.stop);
  const e = await failure(SmtpSession.open(opts(mx.port)));
  assert.equal(e.code, 'SMTP_GREETING_REJECTED');
  assert.equal(e.phase, 'greeting');
  assert.equal(e.replyCode, 554);
  assert.equal(e.enhancedCode, '5.7.1');
  assert.equal(e.temporary, false);
  assert.equal(e.transcript.filter((t) => t.dir === 'server').length, 1);
});

const RAW: [RawBehaviour, string, string][] = [
  ['stall', 'SMTP_GREETING_TIMEOUT', 'greeting'],
  ['slow-multiline', 'SMTP_GREETING_TIMEOUT', 'greeting'],
  ['garbage', 'SMTP_PROTOCOL_ERROR', 'greeting'],
  ['close', 'SMTP_CONNECTION_CLOSED', 'greeting'],
  ['garbage-after-ehlo', 'SMTP_PROTOCOL_ERROR', 'ehlo'],
];
for (const [behaviour, code, phase] of RAW) {
  test(`misbehaving server "${behaviour}" → ${code} in ${phase}`, async () => {
    const srv = await startRawServer(behaviour);
    stops.push(srv.stop);
    const e = await failure(SmtpSession.open(opts(srv.port, { timeouts: { connectMs: 1000, greetingMs: 300, commandMs: 300 } })));
    assert.equal(e.code, code);
    assert.equal(e.phase, phase);
    assert.doesNotMatch(e.message, /[\x00-\x08\x0e-\x1f]/, 'no raw control bytes in messages');
  });
}

test('a server that stops answering, or hangs up, after EHLO fails the next command', async () => {
  const stall = await startRawServer('stall-after-ehlo');
  const close = await startRawServer('close-after-ehlo');
  stops.push(stall.stop, close.stop);
  const fast = { timeouts: { connectMs: 1000, greetingMs: 1000, commandMs: 300 } };
  const s1 = await SmtpSession.open(opts(stall.port, fast));
  const e1 = await failure(s1.mailFrom('a@example.net'));
  assert.equal(e1.code, 'SMTP_TIMEOUT');
  await failure(s1.rcptTo('b@example.test')); // the session is dead; further commands fail at once
  const s2 = await SmtpSession.open(opts(close.port, fast));
  const e2 = await failure(s2.mailFrom('a@example.net'));
  assert.equal(e2.code, 'SMTP_CONNECTION_CLOSED');
  assert.equal(await s2.quit(), undefined, 'quit on a dead session does not throw');
});

test('connection refused, not an IP, and a cancelled connect', async () => {
  const free = await new Promise<number>((r) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => r(p));
    });
  });
  const refused = await failure(SmtpSession.open(opts(free)));
  assert.equal(refused.code, 'SMTP_CONNECT_REFUSED');
  assert.equal(refused.phase, 'connect');
  assert.equal(refused.systemCode, 'ECONNREFUSED');
  const name = await failure(SmtpSession.open(opts(25, { address: 'mx.example.test' })));
  assert.equal(name.code, 'SMTP_CONNECT_FAILED');
  const srv = await startRawServer('stall');
  stops.push(srv.stop);
  const ac = new AbortController();
  const p = SmtpSession.open(opts(srv.port, { signal: ac.signal }));
  setImmediate(() => ac.abort());
  assert.equal((await failure(p)).code, 'SMTP_ABORTED');
});

test('commands with line breaks are refused before anything is sent (no SMTP injection)', async () => {
  const s = await SmtpSession.open(opts(plainMx.port));
  assert.throws(() => s.command('NOOP\r\nRSET'), /line break/);
  await assert.rejects(async () => s.rcptTo('a@example.test>\r\nDATA'), /line break/);
  assert.equal((await s.command('NOOP')).code, 250);
  await s.quit();
  await assert.rejects(SmtpSession.open(opts(plainMx.port, { heloName: 'x\r\nMAIL FROM:<a@b>' })), /line break/);
});

test('for `send`: AUTH with the secret kept out of the transcript, and a whole message through DATA', async () => {
  const seen: string[] = [];
  const s = await SmtpSession.open(opts(authMx.port, { tls: { ca: pki.caPem }, onTranscript: (e) => seen.push(e.text) }));
  await assert.rejects(s.login({ user: 'alice', pass: 'wrong' }), (e: unknown) => e instanceof SmtpSessionError && e.replyCode === 535);
  await s.login({ user: 'alice', pass: 's3cret-pass' });
  assert.equal((await s.mailFrom('alice@example.net')).code, 250);
  assert.equal((await s.rcptTo('bob@example.test')).code, 250);
  assert.equal((await s.data(Buffer.from('Subject: hi\r\n\r\nhello\r\n'))).code, 250);
  await assert.rejects(s.login({ user: 'alice', pass: 's3cret-pass' }), /before any other command/);
  assert.equal(authMx.messages.length, 1);
  assert.match(authMx.messages[0]!, /hello/);
  await s.quit();
  const text = s.transcript.format();
  assert.ok(!text.includes('s3cret-pass') && !text.includes(Buffer.from('\0alice\0s3cret-pass').toString('base64')), text);
  assert.ok(!seen.join('\n').includes(Buffer.from('\0alice\0s3cret-pass').toString('base64')));
  assert.match(text, /AUTH PLAIN <redacted>/);
});
