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

/**
 * A scripted IMAP server: sends `greeting`, then hands each command line to `answer` as its tag and
 * upper-case command ("UID FETCH" for UID commands).
 */
function imapServer(greeting: string, answer: (s: Socket, tag: string, c: string) => void): (s: Socket) => void {
  return (s) => {
    s.write(`${greeting}\r\n`);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const [tag, cmd, sub] = line.split(' ');
        if (!tag || !cmd) continue;
        answer(s, tag, cmd.toUpperCase() === 'UID' ? `UID ${sub?.toUpperCase()}` : cmd.toUpperCase());
      }
    });
  };
}

/** An IMAP server without STARTTLS that would accept any login. */
const noStarttls = imapServer('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready', (s, tag, c) => {
  if (c === 'CAPABILITY') s.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
  else if (c === 'LOGOUT') s.end(`* BYE\r\n${tag} OK bye\r\n`);
  else s.write(`${tag} NO not here\r\n`);
});

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

/**
 * A small IMAP server (RFC 9051) with two messages that sends the first in answer to UID FETCH and
 * then drops the connection, as a server that crashes or a link that fails mid-run would.
 */
function dropsMidFetch(message: Buffer): (s: Socket) => void {
  return imapServer('* OK [CAPABILITY IMAP4rev1] ready', (s, tag, c) => {
    if (c === 'CAPABILITY') s.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
    else if (c === 'LOGIN') s.write(`${tag} OK [CAPABILITY IMAP4rev1] logged in\r\n`);
    else if (c === 'LIST') s.write(`* LIST (\\Noselect) "/" ""\r\n${tag} OK done\r\n`);
    else if (c === 'SELECT' || c === 'EXAMINE') s.write(`* 2 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 3] ok\r\n${tag} OK [READ-ONLY] done\r\n`);
    else if (c === 'UID SEARCH' || c === 'SEARCH') s.write(`* SEARCH 1 2\r\n${tag} OK done\r\n`);
    else if (c === 'UID FETCH' || c === 'FETCH') {
      s.write(`* 1 FETCH (UID 1 BODY[] {${message.length}}\r\n`);
      s.write(message);
      s.write(')\r\n');
      // the second message never comes: the connection ends before it (and before the tagged OK)
      setTimeout(() => s.destroy(), 50);
    } else if (c === 'LOGOUT') s.end(`* BYE\r\n${tag} OK bye\r\n`);
    else s.write(`${tag} OK done\r\n`);
  });
}

test('the connection drops mid-FETCH: --json still prints one whole document with what was read and why it stopped, exit 3', async () => {
  const message = readFileSync(new URL('../fixtures/bounces/eml/lhost-postfix-06.eml', import.meta.url));
  const srv = await listen(dropsMidFetch(message));
  try {
    const r = await fetch(['--imap', `imap://bounces@127.0.0.1:${srv.port}/INBOX`, '--tls', 'none', '--timeout', '5s', '--json']);
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout) as { command: string; messages: { uid: number; kind: string; results: unknown[] }[]; summary: { messages: number; bounces: number }; findings: { code: string; severity: string; message: string; evidence: { fetched: number; found: number } }[] };
    assert.equal(doc.command, 'bounce fetch');
    assert.deepEqual(doc.messages.map((m) => [m.uid, m.kind]), [[1, 'bounce']]);
    assert.ok(doc.messages[0]!.results.length > 0);
    assert.equal(doc.summary.messages, 1);
    assert.equal(doc.findings.length, 1);
    assert.equal(doc.findings[0]!.code, 'BOUNCE_FETCH_INCOMPLETE');
    assert.equal(doc.findings[0]!.severity, 'error');
    assert.deepEqual([doc.findings[0]!.evidence.fetched, doc.findings[0]!.evidence.found], [1, 2]);
    assert.match(doc.findings[0]!.message, /^stopped after 1 of 2 messages: /);
    assert.match(r.stderr, /^mailpace-cli: the connection to IMAP server 127\.0\.0\.1:\d+ was lost during FETCH: .+\n$/);
    assert.ok(!r.stderr.includes(PASSWORD) && !r.stdout.includes(PASSWORD));

    // the same run in the other formats: what was read, then the error; ndjson and csv stay whole lines
    const nd = await fetch(['--imap', `imap://bounces@127.0.0.1:${srv.port}/INBOX`, '--tls', 'none', '--timeout', '5s', '--format', 'ndjson']);
    assert.equal(nd.code, 3, nd.stderr);
    const lines = nd.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]!) as { uid: number }).uid, 1);
    const human = await fetch(['--imap', `imap://bounces@127.0.0.1:${srv.port}/INBOX`, '--tls', 'none', '--timeout', '5s']);
    assert.equal(human.code, 3, human.stderr);
    assert.match(human.stdout, /1 message.*incomplete/);
  } finally {
    srv.server.close();
  }
});

test('a refused login: exit 3 (the mailbox could not be read), one line with a hint, the password not sent back', async () => {
  const srv = await listen(
    imapServer('* OK [CAPABILITY IMAP4rev1] ready', (s, tag, c) => {
      if (c === 'CAPABILITY') s.write(`* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`);
      else if (c === 'LOGIN') s.write(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n`);
      else if (c === 'LOGOUT') s.end(`* BYE\r\n${tag} OK bye\r\n`);
      else s.write(`${tag} OK done\r\n`);
    }),
  );
  try {
    const r = await fetch(['--imap', `imap://bounces@127.0.0.1:${srv.port}/INBOX`, '--tls', 'none', '--timeout', '5s', '--json']);
    oneLineError(r, 3, /^mailpace-cli: IMAP login refused for user "bounces" at 127\.0\.0\.1:\d+: .*Authentication failed.*\n {2}hint: check the user in --imap and the password/);
  } finally {
    srv.server.close();
  }
});
