import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRspamd, closedPort } from '../integration/score/fake-rspamd.js';
import { runCli, type CliOptions, type CliResult } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';

const FIX = 'test/fixtures/messages';

/** The score command reads these; the developer's own settings must not reach the tests. */
const cli = (args: string[], opts: CliOptions = {}) => runCli(args, { ...opts, env: { MAILPACE_RSPAMD_URL: undefined, MAILPACE_RSPAMD_PASSWORD: undefined, ...opts.env } });

const json = (r: CliResult) => JSON.parse(r.stdout) as { schemaVersion: number; command: string; results: any[] };

let tmp: string;
let fake: FakeRspamd;
let dns: DnsFixtureServer;
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mailpace-score-'));
  fake = await new FakeRspamd().start();
  dns = await startDnsServer({ 'spam-domain.com.dbl.test': { A: ['127.0.1.2'] }, 'slow-domain.net.dbl.test': { behaviour: 'timeout' } });
});
after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await fake.stop();
  await dns.stop();
});

test('builtin engine, --json: the documented document shape, one result per file, lint exit code', async () => {
  const r = await cli(['score', '--engine', 'builtin', '--json', `${FIX}/good.eml`, `${FIX}/missing-headers.eml`]);
  assert.equal(r.code, 1, r.stderr); // LINT_FROM_INVALID is an error (--fail-on error by default)
  const doc = json(r);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'score');
  assert.deepEqual(doc.results.map((x) => x.file), [`${FIX}/good.eml`, `${FIX}/missing-headers.eml`]);
  const [good, bad] = doc.results;
  for (const key of ['file', 'engine', 'score', 'requiredScore', 'action', 'symbols', 'findings']) assert.ok(key in good, key);
  assert.deepEqual([good.engine, good.score, good.action, good.findings], ['builtin', 0, 'no action', []]);
  assert.equal(bad.score, 7.5);
  assert.deepEqual(Object.keys(bad.symbols[0]).sort(), ['description', 'name', 'options', 'score']);
  assert.deepEqual(bad.findings.map((f: any) => f.code), ['LINT_FROM_INVALID', 'LINT_MISSING_DATE', 'LINT_MISSING_MESSAGE_ID', 'LINT_SUBJECT_MISSING']);
  assert.equal(r.stderr, '');
});

test('--max-score: exit 1 above it, 0 at or below; --fail-on warning also fails on warnings', async () => {
  const above = await cli(['score', '--engine', 'builtin', '--max-score', '4', `${FIX}/html-only.eml`]);
  assert.equal(above.code, 1);
  assert.match(above.stdout, /5\.2 \/ 15 {2}greylist {2}above --max-score 4/);
  assert.equal((await cli(['score', '--engine', 'builtin', '--max-score', '5.2', `${FIX}/html-only.eml`])).code, 0);
  assert.equal((await cli(['score', '--engine', 'builtin', '--fail-on', 'warning', `${FIX}/html-only.eml`])).code, 1);
});

test('bad input is exit 2 with the file named: missing, empty, binary, directory, not a message', async () => {
  const empty = join(tmp, 'empty.eml');
  writeFileSync(empty, '');
  const bin = join(tmp, 'random.bin');
  writeFileSync(bin, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 197 + 13) % 256)));
  const text = join(tmp, 'notes.txt');
  writeFileSync(text, 'Remember to send the newsletter on Monday.\n');
  const dir = join(tmp, 'a-directory');
  mkdirSync(dir);
  const cases: [string, RegExp][] = [
    [join(tmp, 'nope.eml'), /nope\.eml: cannot read: no such file/],
    [empty, /empty\.eml: not an email message: the file is empty/],
    [bin, /random\.bin: not an email message/],
    [text, /notes\.txt: not an email message: it does not start with a header field/],
    [dir, /a-directory: cannot read: is a directory/],
  ];
  for (const [file, message] of cases) {
    const r = await cli(['score', '--engine', 'builtin', '--json', `${FIX}/good.eml`, file]);
    assert.equal(r.code, 2, file);
    assert.equal(r.stdout, '', 'nothing scored when one input is bad');
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const stdinGarbage = await cli(['score', '--engine', 'builtin', '-'], { input: Buffer.from([0, 1, 2, 3, 0xff, 0xfe]) });
  assert.equal(stdinGarbage.code, 2);
  assert.match(stdinGarbage.stderr, /stdin: not an email message/);
});

test('bad flags are exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['score'], /no message given/],
    [['score', '-', '-'], /only once/],
    [['score', '--max-score', 'lots', `${FIX}/good.eml`], /--max-score "lots" must be a number/],
    [['score', '--concurrency', '0', `${FIX}/good.eml`], /--concurrency "0" must be an integer ≥ 1/],
    [['score', '--ip', 'mail.example.com', `${FIX}/good.eml`], /not an IPv4 or IPv6 address/],
    [['score', '--rspamd', 'localhost:11333', `${FIX}/good.eml`], /must be an http: or https: URL|is not a URL/],
    [['score', '--engine', 'spamassassin', `${FIX}/good.eml`], /Allowed choices are auto, rspamd, builtin/],
    [['score', '--link-zone', 'dbl.test:domain', `${FIX}/good.eml`], /--link-zone needs --check-links/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, message, args.join(' '));
  }
  const env = await cli(['score', `${FIX}/good.eml`], { env: { MAILPACE_RSPAMD_URL: 'ftp://x' } });
  assert.equal(env.code, 2);
  assert.match(env.stderr, /MAILPACE_RSPAMD_URL "ftp:\/\/x"/);
});

test('stdin: "-" reads one message', async () => {
  const r = await cli(['score', '--engine', 'builtin', '--json', '-'], { input: 'From: a@example.com\r\nTo: b@example.net\r\nSubject: s\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000\r\nMessage-ID: <x@example.com>\r\n\r\nhello\r\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json(r).results.map((x) => [x.file, x.score]), [['-', 0]]);
});

test('through Rspamd (--rspamd): its score, action and symbols, the envelope sent as given', async () => {
  const before = fake.requests.length;
  const r = await cli([
    'score', '--json', '--rspamd', fake.url, '--ip', '192.0.2.10', '--hostname', 'mail.example.com', '--helo', 'mail.example.com',
    '--from', 'bounce@example.com', '--rcpt', 'x@example.net', '--rcpt', 'y@example.net', '--all-symbols', `${FIX}/good.eml`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const res = json(r).results[0];
  assert.equal(res.engine, 'rspamd');
  assert.equal(res.requiredScore, 15);
  assert.deepEqual(res.symbols.map((s: any) => s.name), ['MISSING_MID', 'R_SPF_ALLOW', 'ARC_NA', 'SIZE_BYTES']);
  assert.deepEqual(res.symbols[2], { name: 'ARC_NA', score: 0, description: 'ARC signature absent', options: [] });
  assert.equal(res.fixFirst[0].name, 'MISSING_MID');
  const reqs = fake.requests.slice(before);
  assert.deepEqual(reqs.map((q) => q.path), ['/ping', '/checkv2']);
  const h = reqs[1]!.headers.filter(([k]) => ['IP', 'Helo', 'Hostname', 'From', 'Rcpt', 'Pass'].includes(k));
  assert.deepEqual(h, [['IP', '192.0.2.10'], ['Helo', 'mail.example.com'], ['Hostname', 'mail.example.com'], ['From', 'bounce@example.com'], ['Rcpt', 'x@example.net'], ['Rcpt', 'y@example.net'], ['Pass', 'all']]);
});

test('MAILPACE_RSPAMD_URL and MAILPACE_RSPAMD_PASSWORD; envelope defaults from the message', async () => {
  const guarded = await new FakeRspamd({ password: 'pw' }).start();
  try {
    const r = await cli(['score', '--json', `${FIX}/good.eml`], { env: { MAILPACE_RSPAMD_URL: guarded.url, MAILPACE_RSPAMD_PASSWORD: 'pw' } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(json(r).results[0].envelope, {
      rcpt: ['bob@example.net'], from: 'bounce@example.com', ip: '192.0.2.10', helo: 'mail.example.com', hostname: 'mail.example.com',
      headers: [['IP', '192.0.2.10'], ['Helo', 'mail.example.com'], ['Hostname', 'mail.example.com'], ['From', 'bounce@example.com'], ['Rcpt', 'bob@example.net']].map(([name, value]) => ({ name, value })),
    });
    const wrong = await cli(['score', `${FIX}/good.eml`], { env: { MAILPACE_RSPAMD_URL: guarded.url, MAILPACE_RSPAMD_PASSWORD: 'nope' } });
    assert.equal(wrong.code, 3);
    assert.match(wrong.stderr, /refused the request \(HTTP 403/);
  } finally {
    await guarded.stop();
  }
});

test('an explicit --rspamd or --engine rspamd that cannot be reached is exit 3, one line and a hint', async () => {
  const port = await closedPort();
  const r = await cli(['score', '--json', '--rspamd', `http://127.0.0.1:${port}`, `${FIX}/good.eml`]);
  assert.equal(r.code, 3);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^mailpace-cli: cannot reach Rspamd at http://127.0.0.1:${port}: connection refused\\n  hint: `));
  const viaEnv = await cli(['score', '--engine', 'rspamd', `${FIX}/good.eml`], { env: { MAILPACE_RSPAMD_URL: `http://127.0.0.1:${port}` } });
  assert.equal(viaEnv.code, 3);
});

test('a hanging Rspamd is a timeout (exit 3) bounded by --timeout', async () => {
  const hang = await new FakeRspamd({ mode: 'hang' }).start();
  try {
    const r = await cli(['score', '--timeout', '300ms', '--rspamd', hang.url, `${FIX}/good.eml`]);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /did not answer within 300 ms/);
  } finally {
    await hang.stop();
  }
});

test('auto with nothing on the default port: built-in lint, a one-line notice on stderr, JSON intact', async (t) => {
  const open = await new Promise<boolean>((res) => {
    const s = createConnection({ host: '127.0.0.1', port: 11333 }, () => {
      s.destroy();
      res(true);
    });
    s.on('error', () => res(false));
  });
  if (open) return t.skip('something listens on 127.0.0.1:11333, so auto would use it');
  const r = await cli(['score', '--json', `${FIX}/good.eml`]);
  assert.equal(r.code, 0);
  assert.equal(json(r).results[0].engine, 'builtin');
  assert.match(r.stderr, /^mailpace-cli: no Rspamd at http:\/\/127\.0\.0\.1:11333 \(connection refused\); using the built-in lint[^\n]*\n$/);
  const quiet = await cli(['score', '--quiet', `${FIX}/good.eml`]);
  assert.equal(quiet.stderr, '');
});

test('--bulk, --allow-attachment and --attachment-allow-list', async () => {
  const bulk = await cli(['score', '--engine', 'builtin', '--json', '--bulk', `${FIX}/bulk-mailto-only.eml`]);
  assert.equal(bulk.code, 1);
  assert.deepEqual(json(bulk).results[0].findings.map((f: any) => f.code), ['LINT_NO_ONE_CLICK_UNSUBSCRIBE']);
  assert.equal((await cli(['score', '--engine', 'builtin', `${FIX}/bulk-mailto-only.eml`])).code, 0);
  const files = async (args: string[]) =>
    json(await cli(['score', '--engine', 'builtin', '--json', ...args, `${FIX}/attachments.eml`])).results[0].findings
      .filter((f: any) => f.code === 'LINT_ATTACHMENT_BLOCKED')
      .map((f: any) => f.evidence.filename);
  assert.deepEqual(await files([]), ['invoice-1042.pdf.exe', 'data.xml']);
  assert.deepEqual(await files(['--allow-attachment', 'xml']), ['invoice-1042.pdf.exe']);
  assert.deepEqual(await files(['--attachment-allow-list', 'xml']), ['invoice-1042.pdf.exe', 'invoice-1042.pdf']);
});

test('--check-links against a domain list on a fixture DNS server', async () => {
  const msg = join(tmp, 'links.eml');
  writeFileSync(msg, 'From: a@example.com\r\nTo: b@example.net\r\nSubject: s\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000\r\nMessage-ID: <x@example.com>\r\n\r\nGo to https://www.spam-domain.com/deal now.\r\n');
  const r = await cli(['score', '--engine', 'builtin', '--json', '--check-links', '--link-zone', 'dbl.test:domain', '--dns', dns.address, msg]);
  assert.equal(r.code, 1, r.stderr);
  const f = json(r).results[0].findings;
  assert.deepEqual(f.map((x: any) => x.code), ['LINT_LINK_BLOCKLISTED']);
  assert.match(f[0].message, /spam-domain\.com is listed/);
  // a list that does not answer makes the verdict partial: exit 3, with the finding saying which
  const slow = join(tmp, 'slow-links.eml');
  writeFileSync(slow, 'From: a@example.com\r\nTo: b@example.net\r\nSubject: s\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000\r\nMessage-ID: <y@example.com>\r\n\r\nhttps://slow-domain.net/\r\n');
  const t = await cli(['score', '--engine', 'builtin', '--json', '--timeout', '200ms', '--check-links', '--link-zone', 'dbl.test:domain', '--dns', dns.address, slow]);
  assert.equal(t.code, 3);
  assert.deepEqual(json(t).results[0].findings.map((x: any) => x.code), ['LINT_LINK_CHECK_UNREACHABLE_CHECK']);
});

test('human output, and help with examples', async () => {
  const r = await cli(['score', '--engine', 'builtin', `${FIX}/html-only.eml`, `${FIX}/good.eml`, '--max-score', '4']);
  assert.match(r.stdout, /html-only\.eml {2}builtin {2}5\.2 \/ 15 {2}greylist/);
  assert.match(r.stdout, /what to fix first:\n {4}1\. LINT_IMAGE_ONLY/);
  assert.match(r.stdout, /2 messages scored, 1 above --max-score 4/);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour off a TTY');
  const help = await cli(['score', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--rspamd <url>', '--rspamd-password', '--ip', '--helo', '--from', '--rcpt', '--engine', '--max-score', '--concurrency', '--bulk', '--check-links', '--allow-attachment', 'Examples:', 'MAILPACE_RSPAMD_URL']) {
    assert.ok(help.stdout.includes(flag), flag);
  }
});
