/**
 * `mailpace-cli auth message` as a user runs it: the built binary, a fixture DNS server on
 * 127.0.0.1, messages signed in the test. Checks JSON, human output, exit codes and bad input.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { runCli } from '../helpers/cli.js';
import { message, rsaKey, sign, tamperBody, type TestKey } from '../integration/auth/signing.js';

let srv: DnsFixtureServer;
let dir: string;
let k: TestKey;
const files: Record<string, string> = {};
const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'messages', 'auth');

before(async () => {
  k = rsaKey();
  srv = await startDnsServer({
    'example.com': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] },
    '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject'] },
    's1._domainkey.example.com': { TXT: [k.record] },
    '_dmarc.slow.example': { TXT: ['v=DMARC1; p=reject'] },
    's1._domainkey.slow.example': { behaviour: 'timeout' },
  });
  dir = mkdtempSync(join(tmpdir(), 'mailpace-auth-'));
  const put = (name: string, buf: Buffer) => {
    files[name] = join(dir, name);
    writeFileSync(files[name]!, buf);
  };
  const signed = await sign(message(), { domain: 'example.com', selector: 's1', key: k });
  put('good.eml', signed);
  put('tampered.eml', tamperBody(signed, 'reset your password', 'claim your prize'));
  put('slow.eml', await sign(message({ from: 'a@slow.example' }), { domain: 'slow.example', selector: 's1', key: k }));
});
after(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

const dns = () => ['--dns', srv.address, '--timeout', '300ms'];

test('aligned DKIM pass: exit 0, one JSON document with the documented shape', async () => {
  const r = await runCli(['auth', 'message', files['good.eml']!, '--json', '--ip', '192.0.2.10', '--mail-from', 'bounce@example.com', ...dns()]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'auth message');
  for (const key of ['spf', 'dkim', 'dmarc', 'arc', 'findings']) assert.ok(key in doc, key);
  assert.equal(doc.verdict, 'pass');
  assert.deepEqual(
    { result: doc.spf.result, domain: doc.spf.domain, explanation: typeof doc.spf.explanation },
    { result: 'pass', domain: 'example.com', explanation: 'string' },
  );
  assert.equal(doc.dkim.length, 1);
  const s = doc.dkim[0];
  assert.deepEqual([s.domain, s.selector, s.result, s.aligned, typeof s.info], ['example.com', 's1', 'pass', true, 'string']);
  assert.equal(doc.dmarc.result, 'pass');
  assert.equal(doc.dmarc.policy, 'reject');
  assert.equal(doc.dmarc.alignment.spf.aligned, true);
  assert.equal(doc.dmarc.alignment.dkim.aligned, true);
  assert.equal(typeof doc.dmarc.alignment.dkim.explanation, 'string');
  assert.equal(typeof doc.dmarc.explanation, 'string');
  assert.deepEqual([doc.arc.result, doc.arc.chainLength], ['none', 0]);
  assert.deepEqual(doc.findings, []);
});

test('DMARC fails (body tampered, p=reject): exit 1, findings say why', async () => {
  const r = await runCli(['auth', 'message', files['tampered.eml']!, '--json', ...dns()]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.dkim[0].result, 'fail');
  assert.equal(doc.dmarc.result, 'fail');
  assert.equal(doc.dmarc.disposition, 'reject');
  const codes = doc.findings.map((f: { code: string }) => f.code);
  assert.ok(codes.includes('AUTH_DKIM_FAIL'));
  assert.ok(codes.includes('AUTH_DMARC_FAIL'));
  assert.equal(doc.findings[0].severity, 'error', 'worst first');
});

test('a DNS timeout on the only DKIM key: exit 3 with DNS_TIMEOUT', async () => {
  const r = await runCli(['auth', 'message', files['slow.eml']!, '--json', ...dns()]);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.verdict, 'temperror');
  assert.ok(doc.findings.some((f: { code: string; check: string }) => f.code === 'DNS_TIMEOUT' && f.check === 'dkim'));
});

test('stdin with -', async () => {
  const r = await runCli(['auth', 'message', '-', '--json', ...dns()], { input: readFileSync(files['good.eml']!) });
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.source, 'stdin');
  assert.equal(doc.dmarc.result, 'pass');
});

test('human output: a mark per mechanism and the alignment explained, no colour off a TTY', async () => {
  const r = await runCli(['auth', 'message', files['good.eml']!, '--ip', '192.0.2.10', '--mail-from', 'bounce@example.com', ...dns()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /✓ SPF +pass +example\.com \(MAIL FROM\) for 192\.0\.2\.10/);
  assert.match(r.stdout, /✓ DKIM +pass +d=example\.com s=s1 rsa-sha256 2048-bit · aligned/);
  assert.match(r.stdout, /- ARC +none/);
  assert.match(r.stdout, /✓ DMARC +pass +example\.com p=reject/);
  assert.match(r.stdout, /DKIM: ✓ The DKIM signing domain example\.com is the From domain itself: aligned \(relaxed alignment, adkim=r\)/);
  assert.match(r.stdout, /Verdict: pass/);
  assert.ok(!/\x1b\[/.test(r.stdout), 'no ANSI escapes');

  const bad = await runCli(['auth', 'message', files['tampered.eml']!, ...dns()]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /✗ DKIM +fail +d=example\.com/);
  assert.match(bad.stdout, /✗ DMARC +fail/);
  assert.match(bad.stdout, /✗ AUTH_DMARC_FAIL/);
});

test('bad input: exit 2, one line on stderr naming the file, nothing on stdout', async () => {
  const cases: [string, RegExp][] = [
    ['empty.eml', /empty/],
    ['whitespace-only.eml', /white space/],
    ['binary-garbage.eml', /binary data/],
    ['no-headers.eml', /no header fields/],
    ['body-text-only.eml', /not a header field/],
    ['truncated-header.eml', /truncated/],
    ['nul-in-header.eml', /binary data/],
    ['continuation-first.eml', /continuation line/],
  ];
  for (const [name, re] of cases) {
    const file = join(FIXTURES, name);
    const r = await runCli(['auth', 'message', file, '--json', ...dns()]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, '', name);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${name}: ${r.stderr}`);
    assert.ok(lines[0]!.includes(file), `${name}: names the file`);
    assert.match(lines[0]!, re, name);
  }
});

test('bad input: missing, directory, unreadable file; empty stdin', async () => {
  const missing = await runCli(['auth', 'message', join(dir, 'nope.eml'), ...dns()]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read .*nope\.eml: no such file/);

  const isDir = await runCli(['auth', 'message', dir, ...dns()]);
  assert.equal(isDir.code, 2);
  assert.match(isDir.stderr, /is a directory/);

  if (process.getuid?.() !== 0) {
    // root reads anything, so this case only means something for other users
    const locked = join(dir, 'locked.eml');
    writeFileSync(locked, 'From: a@example.com\r\n\r\nx');
    chmodSync(locked, 0o000);
    const r = await runCli(['auth', 'message', locked, ...dns()]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /permission denied/);
  }

  const empty = await runCli(['auth', 'message', '-', ...dns()], { input: '' });
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /stdin: the file is empty/);
});

test('bad flags: exit 2 with the flag named', async () => {
  const ip = await runCli(['auth', 'message', files['good.eml']!, '--ip', '300.1.2.3', ...dns()]);
  assert.equal(ip.code, 2);
  assert.match(ip.stderr, /--ip "300\.1\.2\.3" is not an IPv4 or IPv6 address/);
  const mf = await runCli(['auth', 'message', files['good.eml']!, '--mail-from', 'not an address', ...dns()]);
  assert.equal(mf.code, 2);
  assert.match(mf.stderr, /--mail-from/);
  const helo = await runCli(['auth', 'message', files['good.eml']!, '--helo', 'a b', ...dns()]);
  assert.equal(helo.code, 2);
  const none = await runCli(['auth', 'message']);
  assert.equal(none.code, 2);
});

test('auth message --help documents exit codes and loads no mailauth; running it does', async () => {
  const tdir = mkdtempSync(join(tmpdir(), 'mailpace-trace-'));
  const trace = join(tdir, 'modules.txt');
  const env = { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` };
  try {
    const h = await runCli(['auth', 'message', '--help'], { env });
    assert.equal(h.code, 0, h.stderr);
    assert.match(h.stdout, /Exit codes:[^]*0 +DMARC passes[^]*1 +DMARC fails[^]*2 +bad input[^]*3 +a DNS failure/);
    const helpLoaded = readFileSync(trace, 'utf8');
    assert.match(helpLoaded, /node_modules\/commander\//, 'tracing works');
    assert.ok(!helpLoaded.includes('node_modules/mailauth/'), 'mailauth loaded by --help');

    rmSync(trace, { force: true });
    const r = await runCli(['auth', 'message', files['good.eml']!, '--json', ...dns()], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(trace, 'utf8').includes('node_modules/mailauth/'), 'the command itself does load mailauth');
  } finally {
    rmSync(tdir, { recursive: true, force: true });
  }
});
