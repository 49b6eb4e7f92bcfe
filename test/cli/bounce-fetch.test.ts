/**
 * bounce fetch from the outside: bad usage (exit 2, one line), and servers that are not what they
 * should be — nothing listening, a server that speaks garbage, one that offers no STARTTLS — each a
 * one-line exit 3, with the password never sent in plaintext. The real-server runs are in
 * test/e2e/bounce-fetch-dovecot.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const PASSWORD = 'Sekr1t-never-printed';

async function listen(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number; received: () => string }> {
  let received = '';
  const server = createServer((s) => {
    s.on('data', (d) => (received += d.toString('latin1')));
    s.on('error', () => {});
    onConnection(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, received: () => received };
}

const fetch = (args: string[], env: Record<string, string | undefined> = { MAILPACE_IMAP_PASSWORD: PASSWORD }) =>
  runCli(['bounce', 'fetch', ...args], { env: { MAILPACE_IMAP_PASSWORD: undefined, ...env } });

function oneLineError(r: { code: number | null; stdout: string; stderr: string }, code: number, re: RegExp): void {
  assert.equal(r.code, code, r.stderr);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(r.stderr.split('\n').filter(Boolean).every((l) => l.startsWith('mailpace-cli: ') || l.startsWith('  hint: ')), r.stderr);
  assert.equal(r.stdout, '');
  assert.ok(!r.stderr.includes(PASSWORD), 'the password is never printed');
}

test('bad usage: one line on stderr, exit 2, nothing sent anywhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-fetch-'));
  try {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    const u = 'imaps://bounces@127.0.0.1:1/INBOX';
    for (const [args, env, re] of [
      [[], undefined, /needs --imap imaps:\/\/user@host/],
      [['--imap', 'bounces@example.com'], undefined, /is not a URL/],
      [['--imap', 'https://bounces@example.com/INBOX'], undefined, /the scheme must be imaps:\/\/ or imap:\/\//],
      [['--imap', `imaps://bounces:${PASSWORD}@127.0.0.1/INBOX`], undefined, /must not carry a password/],
      [['--imap', 'imaps://127.0.0.1/INBOX'], undefined, /has no user/],
      [['--imap', u], {}, /needs the IMAP password: set MAILPACE_IMAP_PASSWORD or give --password-file/],
      [['--imap', u, '--password-file', join(dir, 'missing')], {}, /cannot read --password-file .*missing: no such file/],
      [['--imap', u, '--password-file', empty], {}, /--password-file .* is empty/],
      [['--imap', u, '--since', 'yesterday'], undefined, /--since "yesterday" is neither a duration .* nor a date/],
      [['--imap', u, '--since', '2999-01-01'], undefined, /--since "2999-01-01" is in the future/],
      [['--imap', u, '--tls', 'none'], undefined, /--tls none contradicts imaps:\/\//],
      [['--imap', u, '--tls', 'sometimes'], undefined, /Allowed choices are required, opportunistic, none|argument 'sometimes' is invalid/],
      [['--imap', u, '--move-to', 'inbox'], undefined, /--move-to "inbox" is the mailbox being read/],
      [['--imap', u, '--format', 'xml'], undefined, /--format "xml" is not one of/],
      [['--imap', u, '--ca-file', empty], undefined, /--ca-file .* contains no PEM certificate/],
    ] as [string[], Record<string, string> | undefined, RegExp][]) {
      const r = await fetch(args, env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.ok(!r.stderr.includes(PASSWORD));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nothing listening: exit 3, one line', async () => {
  const { server, port } = await listen(() => {});
  server.close();
  await once(server, 'close');
  const r = await fetch(['--imap', `imaps://bounces@127.0.0.1:${port}/INBOX`]);
  oneLineError(r, 3, /^mailpace-cli: cannot connect to IMAP server 127\.0\.0\.1:\d+: connection refused\n$/);
});

test('a server that speaks garbage: exit 3, one line, no password sent', async () => {
  const srv = await listen((s) => s.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
  try {
    const r = await fetch(['--imap', `imap://bounces@127.0.0.1:${srv.port}/INBOX`, '--timeout', '1s']);
    oneLineError(r, 3, /did not answer as an IMAP server/);
    assert.ok(!srv.received().includes(PASSWORD));
  } finally {
    srv.server.close();
  }
});

test('a server that drops the connection after its greeting: exit 3, one line', async () => {
  const srv = await listen((s) => {
    s.write('* OK IMAP4rev1 ready\r\n');
    s.once('data', () => s.destroy());
  });
  try {
    const r = await fetch(['--imap', `imap://bounces@127.0.0.1:${srv.port}/INBOX`, '--tls', 'opportunistic', '--timeout', '2s']);
    assert.equal(r.code, 3, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stderr.split('\n').filter(Boolean).length <= 2, true, r.stderr);
  } finally {
    srv.server.close();
  }
});

/** An IMAP server without STARTTLS that would accept any login. */
function noStarttls(s: Socket): void {
  s.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const [tag, cmd] = line.split(' ');
      if (!tag || !cmd) continue;
      const c = cmd.toUpperCase();
      if (c === 'CAPABILITY') s.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
      else if (c === 'LOGOUT') s.end(`* BYE\r\n${tag} OK bye\r\n`);
      else s.write(`${tag} NO not here\r\n`);
    }
  });
}

test('imap:// to a server without STARTTLS: refused before the login (--tls required is the default)', async () => {
  const srv = await listen(noStarttls);
  try {
    const r = await fetch(['--imap', `imap://bounces@127.0.0.1:${srv.port}/INBOX`]);
    oneLineError(r, 3, /TLS with IMAP server 127\.0\.0\.1:\d+ failed: .*\n {2}hint: .*/);
    assert.ok(!srv.received().includes(Buffer.from(`\0bounces\0${PASSWORD}`).toString('base64')), 'AUTHENTICATE PLAIN never sent');
    assert.doesNotMatch(srv.received(), /LOGIN|AUTHENTICATE/i);
  } finally {
    srv.server.close();
  }
});

test('bounce fetch --help has examples; --help loads neither imapflow nor the bounce code', async () => {
  const h = await runCli(['bounce', 'fetch', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /\$ .*mailpace-cli bounce fetch --imap imaps:\/\//);
  assert.match(h.stdout, /Exit codes: 0 fetched/);
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-fetch-'));
  try {
    const trace = join(dir, 'modules.txt');
    const r = await runCli(['--help'], { env: { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` } });
    assert.equal(r.code, 0, r.stderr);
    const loaded = readFileSync(trace, 'utf8');
    for (const m of ['node_modules/imapflow/', 'core/imap/', 'core/bounce/', 'node_modules/better-sqlite3/']) assert.ok(!loaded.includes(m), `${m} loaded by --help`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
