/**
 * send --clamd through the built binary against Debian's real clamd (scripts/services/clamd.sh, a
 * database of EICAR test signatures only): a virus stops the send before any connection, a clean
 * message is delivered, and an unreachable clamd is "could not complete" (exit 3) with nothing sent.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';
import { startFakeMx, type FakeMx } from '../helpers/smtp-server.js';

const skip = serviceSkip('clamd');
const env = serviceEnv('clamd') ?? {};
const CLAMD = `${env.CLAMD_HOST ?? '127.0.0.1'}:${env.CLAMD_PORT ?? '0'}`;

// The EICAR anti-virus test file (eicar.org), assembled at run time so this source file is not itself
// quarantined by a scanner on a developer's machine.
const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR' + '-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
// scripts/services/clamd.sh names its signatures Mailpace.Test.EICAR(.Hash); clamd appends .UNOFFICIAL.
const OUR_SIGNATURE = /^Mailpace\.Test\.EICAR(\.Hash)?\.UNOFFICIAL$/;

let mx: FakeMx;
let dns: DnsFixtureServer;
let dir: string;
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mailpace-send-clamd-'));
  writeFileSync(join(dir, 'eicar.txt'), EICAR);
  writeFileSync(join(dir, 'notes.txt'), 'Quarterly figures attached as plain text.\n');
  mx = await startFakeMx();
  dns = await startDnsServer({
    'example.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    'mx.example.test': { A: ['127.0.0.1'] },
  });
});
after(async () => {
  await mx?.stop();
  await dns?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const store = () => join(dir, `s${n++}.sqlite`);
const sendArgs = (clamd: string, attach: string, extra: string[] = []) => [
  'send',
  '--from', 'me@example.com',
  '--to', 'bob@example.test',
  '--subject', 'Figures',
  '--text', 'See the attachment.\n',
  '--attach', join(dir, attach),
  '--clamd', clamd,
  '--port', String(mx.port),
  '--helo', 'client.example.com',
  '--dns', `127.0.0.1:${dns.port}`,
  '--store', store(),
  '--timeout', '5s',
  ...extra,
];

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

test('EICAR as a .txt attachment: clamd finds it, exit 1, the signature in JSON, nothing reaches the MX', { skip }, async () => {
  const before = { connections: mx.connections, messages: mx.messages.length };
  const r = await runCli([...sendArgs(CLAMD, 'eicar.txt'), '--json'], { timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'send');
  assert.match(doc.virus, OUR_SIGNATURE);
  assert.equal(doc.queueId, null, 'nothing was queued');
  assert.deepEqual(doc.recipients, []);
  assert.deepEqual(doc.summary, { delivered: 0, deferred: 0, bounced: 0, suppressed: 0, expired: 0 });
  const f = doc.findings.find((x: { code: string }) => x.code === 'SEND_CONTENT_REJECTED');
  assert.ok(f, JSON.stringify(doc.findings));
  assert.equal(f.severity, 'error');
  assert.equal(f.check, 'virus-scan');
  assert.ok(f.message.includes(doc.virus));
  assert.equal(mx.connections, before.connections, 'no connection to the MX');
  assert.equal(mx.messages.length, before.messages);
});

test('EICAR attachment, human output: one line naming the signature, exit 1, nothing queued', { skip }, async () => {
  const s = join(dir, 'human.sqlite');
  const before = mx.connections;
  const args = sendArgs(CLAMD, 'eicar.txt');
  args.splice(args.indexOf('--store') + 1, 1, s);
  const r = await runCli(args, { timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /virus found by clamd .*Mailpace\.Test\.EICAR.* nothing was sent/);
  assert.equal(mx.connections, before);
  if (existsSync(s)) {
    const q = await runCli(['queue', 'list', '--json', '--store', s]);
    assert.equal(JSON.parse(q.stdout).messages.length, 0, 'nothing queued');
  }
});

test('a clean message with a .txt attachment passes clamd and is delivered, exit 0', { skip }, async () => {
  const before = mx.messages.length;
  const r = await runCli([...sendArgs(CLAMD, 'notes.txt'), '--json', '--verbose'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.virus, undefined);
  assert.deepEqual(doc.summary, { delivered: 1, deferred: 0, bounced: 0, suppressed: 0, expired: 0 });
  assert.match(r.stderr, /clamd .*clean/);
  assert.equal(mx.messages.length, before + 1);
  assert.ok(mx.messages.at(-1)!.includes('filename=notes.txt') || mx.messages.at(-1)!.includes('filename="notes.txt"'), 'the attachment travelled');
});

test('clamd unreachable (a closed port): exit 3, one line on stderr, nothing sent', { skip }, async () => {
  const port = await closedPort();
  const before = { connections: mx.connections, messages: mx.messages.length };
  const r = await runCli([...sendArgs(`127.0.0.1:${port}`, 'notes.txt'), '--json'], { timeoutMs: 60_000 });
  assert.equal(r.code, 3, `${r.stdout}\n${r.stderr}`);
  // one error line (and the project's indented hint line), no stack trace
  assert.match(r.stderr, new RegExp(`^mailpace-cli: clamd at 127\\.0\\.0\\.1:${port}: connection refused\\n(  hint: [^\\n]+\\n)?$`));
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  assert.equal(r.stdout, '', 'no report: nothing was attempted');
  assert.equal(mx.connections, before.connections, 'no connection to the MX');
  assert.equal(mx.messages.length, before.messages);
});
