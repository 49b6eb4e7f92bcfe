import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRspamd, closedPort, startGarbageServer } from './fake-rspamd.js';
import { UndiciHttpClient } from '../../../src/core/http/undici-http-client.js';
import { HttpError } from '../../../src/core/http/http-error.js';
import { RspamdClient } from '../../../src/core/score/rspamd-client.js';
import { RspamdError } from '../../../src/core/score/rspamd-error.js';

const MESSAGE = Buffer.from('From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
let http: UndiciHttpClient;
const servers: { stop(): Promise<void> }[] = [];

before(() => {
  http = new UndiciHttpClient({ connections: 4 });
});
after(async () => {
  await http.close();
  for (const s of servers) await s.stop();
});

async function fake(opts: ConstructorParameters<typeof FakeRspamd>[0] = {}): Promise<FakeRspamd> {
  const f = await new FakeRspamd(opts).start();
  servers.push(f);
  return f;
}

const client = (url: string, extra: { password?: string; timeoutMs?: number } = {}) => new RspamdClient(http, { url, timeoutMs: 300, ...extra });

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<RspamdError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RspamdError, `expected RspamdError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('POST /checkv2: raw body and envelope headers (repeated Rcpt, Pass: all, Password, Filename)', async () => {
  const f = await fake({ password: 's3cret' });
  const c = client(`${f.url}/`, { password: 's3cret' });
  const r = await c.check(
    MESSAGE,
    { ip: '192.0.2.10', helo: 'mail.example.com', hostname: 'mail.example.com', from: 'a@example.com', rcpt: ['b@example.net', 'c@example.net'], user: 'alice' },
    { allSymbols: true, filename: 'welcome.eml' },
  );
  const req = f.requests.at(-1)!;
  assert.equal(req.method, 'POST');
  assert.equal(req.path, '/checkv2');
  assert.ok(req.body.equals(MESSAGE));
  const sent = req.headers.filter(([k]) => ['IP', 'Helo', 'Hostname', 'From', 'Rcpt', 'User', 'Pass', 'Password', 'Filename'].includes(k));
  assert.deepEqual(sent, [
    ['IP', '192.0.2.10'],
    ['Helo', 'mail.example.com'],
    ['Hostname', 'mail.example.com'],
    ['From', 'a@example.com'],
    ['Rcpt', 'b@example.net'],
    ['Rcpt', 'c@example.net'],
    ['User', 'alice'],
    ['Password', 's3cret'],
    ['Pass', 'all'],
    ['Filename', 'welcome.eml'],
  ]);
  assert.equal(r.requiredScore, 15);
  assert.deepEqual(r.symbols.map((s) => s.name), ['MISSING_MID', 'R_SPF_ALLOW', 'ARC_NA', 'SIZE_BYTES']);
});

test('a URL path prefix is kept (Rspamd behind a proxy)', async () => {
  const f = await fake();
  await assert.rejects(client(`${f.url}/rspamd`).check(MESSAGE, { rcpt: [] }), (e: RspamdError) => e.code === 'RSPAMD_HTTP_STATUS' && e.status === 404);
  assert.equal(f.requests.at(-1)!.path, '/rspamd/checkv2');
});

test('ping answers when Rspamd is there', async () => {
  const f = await fake();
  await client(f.url).ping();
  assert.equal(f.requests.at(-1)!.path, '/ping');
});

test('unreachable: nothing listening', async () => {
  const port = await closedPort();
  const e = await rejectsWith(client(`http://127.0.0.1:${port}`).check(MESSAGE, { rcpt: [] }), 'RSPAMD_UNREACHABLE', /connection refused/);
  assert.equal(e.temporary, true);
  assert.match(e.hint ?? '', /--engine builtin/);
  await rejectsWith(client(`http://127.0.0.1:${port}`).ping(), 'RSPAMD_UNREACHABLE');
});

test('HTTP 500 with Rspamd\'s error body', async () => {
  const f = await fake({ mode: 'status500' });
  const e = await rejectsWith(client(f.url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_HTTP_STATUS', /HTTP 500: invalid command/);
  assert.equal(e.status, 500);
  assert.equal(e.temporary, true);
});

test('controller password: missing or wrong is RSPAMD_UNAUTHORIZED with a hint', async () => {
  const f = await fake({ password: 'right' });
  const e = await rejectsWith(client(f.url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_UNAUTHORIZED', /HTTP 403/);
  assert.match(e.hint ?? '', /--rspamd-password/);
  await rejectsWith(client(f.url, { password: 'wrong' }).check(MESSAGE, { rcpt: [] }), 'RSPAMD_UNAUTHORIZED');
  const f401 = await fake({ mode: 'unauthorized' });
  await rejectsWith(client(f401.url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_UNAUTHORIZED', /HTTP 401/);
});

test('bad JSON, an empty body, and JSON that is not a /checkv2 result', async () => {
  await rejectsWith(client((await fake({ mode: 'badjson' })).url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_BAD_JSON', /not JSON: \{"score"/);
  await rejectsWith(client((await fake({ mode: 'empty' })).url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_BAD_JSON');
  await rejectsWith(client((await fake({ mode: 'notcheckv2' })).url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_BAD_REPLY', /no numeric "score"/);
});

test('a server that accepts and never answers: RSPAMD_TIMEOUT', async () => {
  const f = await fake({ mode: 'hang' });
  await rejectsWith(client(f.url, { timeoutMs: 150 }).check(MESSAGE, { rcpt: [] }), 'RSPAMD_TIMEOUT', /within 150 ms/);
});

test('a connection dropped before the reply, and bytes that are not HTTP', async () => {
  const f = await fake({ mode: 'close' });
  const dropped = await rejectsWith(client(f.url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_BAD_REPLY');
  assert.ok(dropped.cause instanceof HttpError);
  const g = await startGarbageServer();
  servers.push(g);
  const garbage = await rejectsWith(client(g.url).check(MESSAGE, { rcpt: [] }), 'RSPAMD_BAD_REPLY');
  assert.equal((garbage.cause as HttpError).code, 'HTTP_PROTOCOL');
});

test('a URL that is not http is refused before any connection', async () => {
  await rejectsWith(client('ftp://127.0.0.1:21').check(MESSAGE, { rcpt: [] }), 'RSPAMD_BAD_URL');
  await rejectsWith(client('not a url').ping(), 'RSPAMD_BAD_URL');
});
