/**
 * The clamd INSTREAM client against a fake clamd written here: a net server on 127.0.0.1 port 0 (or a
 * unix socket in a temporary directory) that decodes the protocol as clamd(8) describes it and then
 * misbehaves on demand. The real clamd is in test/e2e/clamd.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ClamdError,
  parseClamdReply,
  parseClamdTarget,
  scanWithClamd,
  type ClamdTarget,
} from '../../../src/core/delivery/clamd.js';
import { UsageError } from '../../../src/core/errors.js';

type Reply = string | Buffer;

interface Behaviour {
  /** Written as soon as a client connects (a server that is not clamd). */
  onConnect?: Reply;
  /** After the zero-length chunk: the reply (NUL included by the caller), or 'silent' to never answer. */
  onEnd?: Reply | 'silent';
  /**
   * After this many stream bytes: write `reply` (if any) and close, as clamd does past StreamMaxLength.
   * `sessions`: only on the first n connections (a flaky server); every connection when absent.
   */
  limit?: { bytes: number; reply?: Reply; how: 'end' | 'destroy'; sessions?: number };
  /** Close without a word once the command has been read. */
  closeAfterCommand?: boolean;
  /** Never read: the client's socket buffer fills and it must wait for 'drain' that never comes. */
  neverRead?: boolean;
  /** Write the reply in pieces, one per tick, to test reassembly. */
  splitReply?: boolean;
}

interface Session {
  command: string;
  chunks: number[];
  data: Buffer;
  ended: boolean;
}

class FakeClamd {
  readonly sessions: Session[] = [];
  private server = net.createServer((c) => this.handle(c));
  private sockets = new Set<net.Socket>();
  constructor(private readonly b: Behaviour) {}

  async listen(where: { path: string } | { port: 0 } = { port: 0 }): Promise<ClamdTarget> {
    await new Promise<void>((resolve) => {
      if ('path' in where) this.server.listen(where.path, resolve);
      else this.server.listen(0, '127.0.0.1', resolve);
    });
    if ('path' in where) return { socketPath: where.path };
    return { host: '127.0.0.1', port: (this.server.address() as net.AddressInfo).port };
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private reply(c: net.Socket, r: Reply, then?: 'end' | 'destroy') {
    const buf = typeof r === 'string' ? Buffer.from(r, 'latin1') : r;
    const finish = () => {
      if (then === 'end') c.end();
      else if (then === 'destroy') c.destroy();
    };
    if (!this.b.splitReply) {
      c.write(buf, finish);
      return;
    }
    let i = 0;
    const next = () => {
      if (c.destroyed) return;
      if (i >= buf.length) return finish();
      c.write(buf.subarray(i, i + 3));
      i += 3;
      setTimeout(next, 2);
    };
    next();
  }

  private handle(c: net.Socket) {
    this.sockets.add(c);
    c.on('close', () => this.sockets.delete(c));
    c.on('error', () => {});
    const s: Session = { command: '', chunks: [], data: Buffer.alloc(0), ended: false };
    this.sessions.push(s);
    if (this.b.onConnect !== undefined) this.reply(c, this.b.onConnect);
    if (this.b.neverRead) {
      c.pause();
      return;
    }
    let buf = Buffer.alloc(0);
    let state: 'command' | 'length' | 'data' | 'done' = 'command';
    let need = 0;
    const parts: Buffer[] = [];
    let total = 0;
    c.on('data', (d: Buffer) => {
      if (state === 'done') return;
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (state === 'command') {
          const nul = buf.indexOf(0);
          if (nul < 0) return;
          s.command = buf.subarray(0, nul).toString('latin1');
          buf = buf.subarray(nul + 1);
          if (this.b.closeAfterCommand) {
            state = 'done';
            c.destroy();
            return;
          }
          state = 'length';
        } else if (state === 'length') {
          if (buf.length < 4) return;
          need = buf.readUInt32BE(0);
          buf = buf.subarray(4);
          if (need === 0) {
            state = 'done';
            s.ended = true;
            s.data = Buffer.concat(parts);
            const r = this.b.onEnd ?? 'stream: OK\0';
            if (r !== 'silent') this.reply(c, r, 'end');
            return;
          }
          s.chunks.push(need);
          state = 'data';
        } else {
          if (buf.length === 0) return;
          const take = buf.subarray(0, need);
          parts.push(Buffer.from(take));
          total += take.length;
          need -= take.length;
          buf = buf.subarray(take.length);
          const limit = this.b.limit && (this.b.limit.sessions === undefined || this.sessions.indexOf(s) < this.b.limit.sessions) ? this.b.limit : undefined;
          if (limit && total > limit.bytes) {
            state = 'done';
            s.data = Buffer.concat(parts);
            if (limit.reply !== undefined) this.reply(c, limit.reply, limit.how);
            else if (limit.how === 'end') c.end();
            else c.destroy();
            return;
          }
          if (need === 0) state = 'length';
        }
      }
    });
  }
}

const fakes: FakeClamd[] = [];
const dirs: string[] = [];
after(async () => {
  for (const f of fakes) await f.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function fake(b: Behaviour = {}, where?: { path: string }): Promise<{ f: FakeClamd; target: ClamdTarget }> {
  const f = new FakeClamd(b);
  fakes.push(f);
  const target = await f.listen(where);
  return { f, target };
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'mailpace-clamd-'));
  dirs.push(d);
  return d;
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<ClamdError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ClamdError, `expected ClamdError, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    // the CLI prints the message as one line
    assert.doesNotMatch(err.message, /[\r\n]/);
    return err;
  }
  assert.fail(`expected ${code}`);
}

const MESSAGE = Buffer.from('From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n');
const opts = { timeoutMs: 2000 };

test('OK: the command is zINSTREAM, the data arrives intact in length-prefixed chunks, the verdict is clean', async () => {
  const { f, target } = await fake();
  assert.deepEqual(await scanWithClamd(target, MESSAGE, opts), { clean: true });
  const s = f.sessions[0]!;
  assert.equal(s.command, 'zINSTREAM');
  assert.ok(s.ended);
  assert.ok(s.data.equals(MESSAGE));
  assert.deepEqual(s.chunks, [MESSAGE.length]);
});

test('chunking: small chunk size, and a 3 MiB message in 64 KiB chunks (backpressure on the way)', async () => {
  const { f, target } = await fake();
  const small = Buffer.from('x'.repeat(5000));
  assert.deepEqual(await scanWithClamd(target, new Uint8Array(small), { ...opts, chunkSize: 1000 }), { clean: true });
  assert.deepEqual(f.sessions[0]!.chunks, [1000, 1000, 1000, 1000, 1000]);
  assert.ok(f.sessions[0]!.data.equals(small));

  const big = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  assert.deepEqual(await scanWithClamd(target, big, { timeoutMs: 10_000 }), { clean: true });
  const s = f.sessions[1]!;
  assert.equal(s.chunks.length, 49);
  assert.ok(s.chunks.every((n) => n <= 64 * 1024));
  assert.ok(s.data.equals(big));
});

test('a Uint8Array view into a larger buffer sends only its own bytes', async () => {
  const { f, target } = await fake();
  const backing = Buffer.from('AAAAhello clamdZZZZ');
  const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, 11);
  await scanWithClamd(target, view, opts);
  assert.equal(f.sessions[0]!.data.toString(), 'hello clamd');
});

test('an empty message is a zero-length stream', async () => {
  const { f, target } = await fake();
  assert.deepEqual(await scanWithClamd(target, Buffer.alloc(0), opts), { clean: true });
  assert.deepEqual(f.sessions[0]!.chunks, []);
  assert.ok(f.sessions[0]!.ended);
});

test('FOUND: the signature name comes back as clamd sent it', async () => {
  const { target } = await fake({ onEnd: 'stream: Eicar-Test-Signature FOUND\0' });
  assert.deepEqual(await scanWithClamd(target, MESSAGE, opts), { clean: false, signature: 'Eicar-Test-Signature' });
  const { target: t2 } = await fake({ onEnd: 'stream: Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68) FOUND\0' });
  assert.deepEqual(await scanWithClamd(t2, MESSAGE, opts), { clean: false, signature: 'Win.Test.EICAR_HDB-1(44d88612fea8a8f36de82e1278abb02f:68)' });
});

test('a reply split over several packets is reassembled', async () => {
  const { target } = await fake({ onEnd: 'stream: Eicar-Test-Signature FOUND\0', splitReply: true });
  assert.deepEqual(await scanWithClamd(target, MESSAGE, opts), { clean: false, signature: 'Eicar-Test-Signature' });
});

test('ERROR: clamd could not scan → CLAMD_SCAN_ERROR with its text, temporary', async () => {
  const { target } = await fake({ onEnd: "stream: Can't allocate memory ERROR\0" });
  const err = await rejectsWith(scanWithClamd(target, MESSAGE, opts), 'CLAMD_SCAN_ERROR', /scan failed: stream: Can't allocate memory ERROR/);
  assert.equal(err.temporary, true);
  assert.equal(err.reply, "stream: Can't allocate memory ERROR");
});

test('size limit: clamd replies and closes while the client is still sending → CLAMD_SIZE_LIMIT, permanent', async () => {
  const message = Buffer.alloc(8 * 1024 * 1024, 0x61);
  for (const how of ['end', 'destroy'] as const) {
    const { f, target } = await fake({ limit: { bytes: 1024 * 1024, reply: 'INSTREAM size limit exceeded. ERROR\0', how } });
    const err = await rejectsWith(scanWithClamd(target, message, { timeoutMs: 5000 }), 'CLAMD_SIZE_LIMIT', /8388608 bytes.*INSTREAM size limit exceeded/);
    assert.equal(err.temporary, false);
    assert.ok(err.hint?.includes('StreamMaxLength'));
    assert.ok(f.sessions[0]!.data.length < message.length, 'the server stopped reading before the end');
  }
});

test('server closes early: after the command, and mid-stream without a reply → CLAMD_CLOSED, temporary', async () => {
  const { target } = await fake({ closeAfterCommand: true });
  const err = await rejectsWith(scanWithClamd(target, MESSAGE, opts), 'CLAMD_CLOSED', /closed the connection|lost the connection/);
  assert.equal(err.temporary, true);

  // mid-stream: tried twice (the second attempt covers a reply lost to a write race), then reported
  for (const how of ['destroy', 'end'] as const) {
    const { f, target: t2 } = await fake({ limit: { bytes: 100_000, how } });
    const e2 = await rejectsWith(
      scanWithClamd(t2, Buffer.alloc(4 * 1024 * 1024), { timeoutMs: 5000 }),
      'CLAMD_CLOSED',
      /(closed|lost) the connection.* while the message was being sent \(\d+ of 4194304 bytes handed over\)$/,
    );
    assert.match(e2.hint ?? '', /StreamMaxLength/);
    assert.equal(f.sessions.length, 2);
  }
});

test('a connection lost mid-stream once is tried again, and the second answer counts', async () => {
  const { f, target } = await fake({ limit: { bytes: 100_000, how: 'destroy', sessions: 1 }, onEnd: 'stream: Eicar-Test-Signature FOUND\0' });
  const message = Buffer.alloc(2 * 1024 * 1024, 0x62);
  assert.deepEqual(await scanWithClamd(target, message, { timeoutMs: 5000 }), { clean: false, signature: 'Eicar-Test-Signature' });
  assert.equal(f.sessions.length, 2);
  assert.ok(f.sessions[1]!.data.equals(message));
});

test('no second attempt after a reply, a timeout, or a close after the whole message', async () => {
  const { f, target } = await fake({ onEnd: "stream: Can't allocate memory ERROR\0" });
  await rejectsWith(scanWithClamd(target, MESSAGE, opts), 'CLAMD_SCAN_ERROR');
  assert.equal(f.sessions.length, 1);
  const { f: f2, target: t2 } = await fake({ onEnd: 'silent' });
  await rejectsWith(scanWithClamd(t2, MESSAGE, { timeoutMs: 100 }), 'CLAMD_TIMEOUT');
  assert.equal(f2.sessions.length, 1);
  const { f: f3, target: t3 } = await fake({ onEnd: '' });
  await rejectsWith(scanWithClamd(t3, MESSAGE, opts), 'CLAMD_CLOSED', /without a reply after the whole message \(\d+ bytes\)$/);
  assert.equal(f3.sessions.length, 1);
});

test('server never answers → CLAMD_TIMEOUT, temporary, within the timeout', async () => {
  const { target } = await fake({ onEnd: 'silent' });
  const t0 = performance.now();
  const err = await rejectsWith(scanWithClamd(target, MESSAGE, { timeoutMs: 150 }), 'CLAMD_TIMEOUT', /no verdict within 150 ms/);
  const took = performance.now() - t0;
  assert.ok(took >= 140 && took < 1500, `took ${took} ms`);
  assert.equal(err.temporary, true);
});

test('server never reads: the client waits on backpressure, then times out', async () => {
  const { target } = await fake({ neverRead: true });
  const err = await rejectsWith(scanWithClamd(target, Buffer.alloc(32 * 1024 * 1024), { timeoutMs: 300 }), 'CLAMD_TIMEOUT', /did not take the whole message/);
  assert.equal(err.temporary, true);
});

test('garbage: a line-based server, a reply without NUL then close, a too long reply, OK before the end', async () => {
  const { target } = await fake({ onConnect: '220 mx.example.com ESMTP\r\n', neverRead: true });
  const t0 = performance.now();
  const err = await rejectsWith(scanWithClamd(target, MESSAGE, { timeoutMs: 5000 }), 'CLAMD_BAD_REPLY', /not a clamd reply: "220 mx\.example\.com ESMTP"$/);
  assert.ok(performance.now() - t0 < 2000, 'judged on the first line, not at the timeout');
  assert.equal(err.temporary, false);

  const { target: t2 } = await fake({ onEnd: Buffer.from([0xde, 0xad, 0xbe, 0xef]) });
  await rejectsWith(scanWithClamd(t2, MESSAGE, opts), 'CLAMD_BAD_REPLY', /not a clamd reply: "\\xde\\xad\\xbe\\xef"/);

  const { target: t3 } = await fake({ onConnect: 'y'.repeat(10_000) });
  await rejectsWith(scanWithClamd(t3, MESSAGE, opts), 'CLAMD_BAD_REPLY', /…"$/);

  const { target: t4 } = await fake({ onEnd: 'stream: maybe\0' });
  await rejectsWith(scanWithClamd(t4, MESSAGE, opts), 'CLAMD_BAD_REPLY', /"stream: maybe"/);

  const { target: t5 } = await fake({ onConnect: 'stream: OK\0', neverRead: true });
  await rejectsWith(scanWithClamd(t5, Buffer.alloc(8 * 1024 * 1024), opts), 'CLAMD_BAD_REPLY', /before the end of the stream/);

  const { target: t6 } = await fake({ onEnd: '\0' });
  await rejectsWith(scanWithClamd(t6, MESSAGE, opts), 'CLAMD_BAD_REPLY', /empty reply/);
});

test('connection refused → CLAMD_UNREACHABLE, temporary, with a hint', async () => {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const err = await rejectsWith(scanWithClamd({ host: '127.0.0.1', port }, MESSAGE, opts), 'CLAMD_UNREACHABLE', new RegExp(`^clamd at 127\\.0\\.0\\.1:${port}: connection refused$`));
  assert.equal(err.temporary, true);
  assert.ok(err.hint);
  assert.equal(err.target, `127.0.0.1:${port}`);
});

test('a target node:net refuses outright (port out of range) is a ClamdError too', async () => {
  await rejectsWith(scanWithClamd({ host: '127.0.0.1', port: 70000 }, MESSAGE, opts), 'CLAMD_UNREACHABLE', /cannot connect/);
});

test('unix socket: a verdict over the socket; no socket file; a file that is not a socket', async () => {
  const dir = tempDir();
  const path = join(dir, 'clamd.sock');
  const { f, target } = await fake({ onEnd: 'stream: Eicar-Test-Signature FOUND\0' }, { path });
  assert.deepEqual(target, { socketPath: path });
  assert.deepEqual(await scanWithClamd(target, MESSAGE, opts), { clean: false, signature: 'Eicar-Test-Signature' });
  assert.ok(f.sessions[0]!.data.equals(MESSAGE));

  const missing = join(dir, 'nothing.sock');
  const err = await rejectsWith(scanWithClamd({ socketPath: missing }, MESSAGE, opts), 'CLAMD_UNREACHABLE', /: no such socket file$/);
  assert.equal(err.temporary, true);

  const plain = join(dir, 'plain-file');
  writeFileSync(plain, 'not a socket');
  await rejectsWith(scanWithClamd({ socketPath: plain }, MESSAGE, opts), 'CLAMD_UNREACHABLE');
});

test('IPv6 loopback target', async (t) => {
  const srv = new FakeClamd({});
  fakes.push(srv);
  const server = (srv as unknown as { server: net.Server }).server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', resolve);
    });
  } catch {
    t.skip('no IPv6 loopback on this machine');
    return;
  }
  const port = (server.address() as net.AddressInfo).port;
  const target = parseClamdTarget(`[::1]:${port}`);
  assert.deepEqual(await scanWithClamd(target, MESSAGE, opts), { clean: true });
});

test('abort: an aborted signal before and during the scan → CLAMD_ABORTED', async () => {
  const { target } = await fake({ onEnd: 'silent' });
  await rejectsWith(scanWithClamd(target, MESSAGE, { timeoutMs: 2000, signal: AbortSignal.abort() }), 'CLAMD_ABORTED');
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  const t0 = performance.now();
  await rejectsWith(scanWithClamd(target, MESSAGE, { timeoutMs: 5000, signal: ac.signal }), 'CLAMD_ABORTED', /cancelled/);
  assert.ok(performance.now() - t0 < 2000);
});

test('parseClamdReply: the reply forms of clamd(8)', () => {
  assert.deepEqual(parseClamdReply('stream: OK'), { kind: 'ok' });
  assert.deepEqual(parseClamdReply('stream: OK\0'), { kind: 'ok' });
  assert.deepEqual(parseClamdReply('stream: OK\n'), { kind: 'ok' });
  assert.deepEqual(parseClamdReply('stream: Eicar-Signature FOUND'), { kind: 'found', signature: 'Eicar-Signature' });
  assert.deepEqual(parseClamdReply('INSTREAM size limit exceeded. ERROR'), { kind: 'size-limit', text: 'INSTREAM size limit exceeded. ERROR' });
  assert.equal(parseClamdReply('stream: Zip module failure ERROR').kind, 'error');
  assert.equal(parseClamdReply('stream:  FOUND').kind, 'garbage');
  assert.equal(parseClamdReply('PONG').kind, 'garbage');
  assert.equal(parseClamdReply('').kind, 'garbage');
});

test('parseClamdTarget: host:port, [v6]:port, socket paths; bad values are one-line UsageErrors', () => {
  assert.deepEqual(parseClamdTarget('127.0.0.1:3310'), { host: '127.0.0.1', port: 3310 });
  assert.deepEqual(parseClamdTarget(' localhost:3310 '), { host: 'localhost', port: 3310 });
  assert.deepEqual(parseClamdTarget('clamav.internal:65535'), { host: 'clamav.internal', port: 65535 });
  assert.deepEqual(parseClamdTarget('[::1]:3310'), { host: '::1', port: 3310 });
  assert.deepEqual(parseClamdTarget('[2001:db8::5]:1'), { host: '2001:db8::5', port: 1 });
  assert.deepEqual(parseClamdTarget('/run/clamav/clamd.ctl'), { socketPath: '/run/clamav/clamd.ctl' });
  assert.deepEqual(parseClamdTarget('./clamd.sock'), { socketPath: './clamd.sock' });
  assert.deepEqual(parseClamdTarget('../run/clamd.sock'), { socketPath: '../run/clamd.sock' });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['127.0.0.1', /expected host:port/],
    ['localhost', /expected host:port/],
    ['clamd.sock', /expected host:port.*socket path starting with \//],
    ['127.0.0.1:0', /port must be 1-65535/],
    ['127.0.0.1:65536', /port must be 1-65535/],
    ['127.0.0.1:33a', /expected host:port/],
    ['127.0.0.1:', /expected host:port/],
    [':3310', /expected host:port/],
    ['::1', /brackets/],
    ['::1:3310', /brackets/],
    ['[::1]', /in brackets with a port/],
    ['[127.0.0.1]:3310', /not an IPv6 address/],
    ['[::1]:99999', /port must be 1-65535/],
    ['999.1.1.1:3310', /not an IP address or host name/],
    ['bad_host!:3310', /not an IP address or host name/],
    ['tcp://127.0.0.1:3310', /brackets|expected host:port|not an IP address/],
  ];
  for (const [value, re] of bad) {
    assert.throws(
      () => parseClamdTarget(value),
      (e: unknown) => e instanceof UsageError && re.test(e.message) && !/[\r\n]/.test(e.message),
      `"${value}" should be refused with ${re}`,
    );
  }
});
