import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const EML = join(process.cwd(), 'test/fixtures/bounces/eml');
const f = (name: string) => join(EML, name);

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-bounce-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('bad usage: one line on stderr, exit 2, no stack trace', async () => {
  const t = tempDir();
  try {
    for (const [args, re] of [
      [['bounce', 'parse'], /needs a file, a directory, an mbox or -/],
      [['bounce', 'parse', join(t.dir, 'missing.eml')], /missing\.eml: no such file or directory/],
      [['bounce', 'parse', f('arf-01.eml'), '--format', 'xml'], /--format "xml" is not one of human, json, ndjson, csv/],
      [['--json', 'bounce', 'parse', f('arf-01.eml'), '--format', 'csv'], /--json and --format csv contradict/],
      [['bounce', 'parse', '-', '-'], /stdin\) can be given only once/],
    ] as [string[], RegExp][]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    }
  } finally {
    t.cleanup();
  }
});

test('--json: the documented document, summary included', async () => {
  const r = await runCli(['--json', 'bounce', 'parse', f('lhost-exim-02.eml'), f('arf-01.eml'), f('rfc3834-01.eml'), f('is-not-bounce-01.eml')]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'bounce parse');
  assert.deepEqual(doc.messages.map((m: any) => [m.kind, m.format]), [['bounce', 'Exim'], ['feedback', 'ARF'], ['auto-reply', 'RFC3834'], ['not-bounce', '']]);
  const r0 = doc.messages[0].results[0];
  assert.deepEqual(Object.keys(r0), ['recipient', 'reason', 'hard', 'status', 'replyCode', 'action', 'diagnostic', 'remoteMta', 'original']);
  assert.deepEqual([r0.recipient, r0.reason, r0.hard, r0.status, r0.replyCode], ['kijitora@example.jp', 'userunknown', true, '5.1.1', '550']);
  assert.equal(doc.messages[1].results[0].feedbackType, 'abuse');
  assert.deepEqual(doc.messages[3].results, []);
  assert.deepEqual(doc.summary, { messages: 4, bounces: 1, feedback: 1, autoReplies: 1, notBounces: 1, unreadable: 0, hard: 2, soft: 0 });
});

test('directories recurse, Maildir tmp/ is skipped, unreadable files are reported and the run goes on (ndjson)', async () => {
  const t = tempDir();
  try {
    for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(t.dir, 'Maildir', d), { recursive: true });
    copyFileSync(f('lhost-exim-02.eml'), join(t.dir, 'Maildir', 'cur', '1.host:2,S'));
    copyFileSync(f('arf-01.eml'), join(t.dir, 'Maildir', 'new', '2.host'));
    copyFileSync(f('lhost-exim-02.eml'), join(t.dir, 'Maildir', 'tmp', '3.host'));
    writeFileSync(join(t.dir, 'Maildir', 'dovecot-uidlist'), '3 V1 N2\n');
    writeFileSync(join(t.dir, 'Maildir', 'new', '4.host'), Buffer.from([0, 1, 2, 3]));
    const r = await runCli(['bounce', 'parse', join(t.dir, 'Maildir'), '--format', 'ndjson']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((m) => [m.file.slice(t.dir.length + 1), m.kind]), [
      ['Maildir/cur/1.host:2,S', 'bounce'],
      ['Maildir/new/2.host', 'feedback'],
      ['Maildir/new/4.host', 'unreadable'],
    ]);
    assert.match(lines[2].error, /not an email message/);
  } finally {
    t.cleanup();
  }
});

test('mbox with >From unescaping, and stdin; csv has one row per message and recipient', async () => {
  const t = tempDir();
  try {
    const a = readFileSync(f('lhost-exim-02.eml'), 'latin1');
    const b = readFileSync(f('lhost-yahoo-02.eml'), 'latin1');
    const mbox = join(t.dir, 'bounces.mbox');
    writeFileSync(mbox, `From MAILER-DAEMON Thu Jul 10 16:31:40 2014\n${a}\nFrom MAILER-DAEMON Fri Nov 21 22:23:29 2014\n${b}\n`, 'latin1');
    const r = await runCli(['bounce', 'parse', mbox, '--format', 'csv']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.stdout.trim().split('\r\n');
    assert.match(rows[0]!, /^file,messageId,kind,format,recipient,reason,hard,status,replyCode/);
    assert.equal(rows.length, 4, r.stdout);
    assert.match(rows[1]!, /bounces\.mbox#1,.*kijitora@example\.jp,userunknown,true,5\.1\.1,550/);
    assert.match(rows[3]!, /bounces\.mbox#2,.*kijitora@example\.ed\.jp,mailboxfull,false,5\.2\.2,550/);
    const s = await runCli(['--json', 'bounce', 'parse', '-'], { input: readFileSync(f('lhost-exim-02.eml')) });
    assert.equal(s.code, 0, s.stderr);
    assert.equal(JSON.parse(s.stdout).messages[0].file, '-');
  } finally {
    t.cleanup();
  }
});

test('--apply: hard bounces and complaints suppressed once; re-parsing adds nothing', async () => {
  const t = tempDir();
  const env = { MAILPACE_STORE: join(t.dir, 'store.sqlite') };
  try {
    const args = ['--json', 'bounce', 'parse', f('lhost-exim-02.eml'), f('arf-01.eml'), f('lhost-yahoo-02.eml'), f('rfc3834-01.eml'), '--apply'];
    const first = JSON.parse((await runCli(args, { env })).stdout);
    assert.deepEqual(first.messages[0].applied, [
      { recipient: 'kijitora@example.jp', action: 'suppressed', suppression: 'hard-bounce' },
      { recipient: 'sabatora@example.jp', action: 'suppressed', suppression: 'hard-bounce' },
    ]);
    assert.deepEqual(first.messages[1].applied, [{ recipient: 'redacted@example.net', action: 'suppressed', suppression: 'complaint' }]);
    assert.deepEqual(first.messages[2].applied, [{ recipient: 'kijitora@example.ed.jp', action: 'logged' }]);
    assert.deepEqual(first.messages[3].applied, []);
    assert.equal(first.summary.suppressed, 3);
    const again = JSON.parse((await runCli(args, { env })).stdout);
    assert.equal(again.summary.suppressed, 0);
    assert.ok(again.messages.flatMap((m: any) => m.applied).every((a: any) => a.action === 'already-applied'));
    const list = JSON.parse((await runCli(['--json', 'suppression', 'list'], { env })).stdout);
    const rows = (list.suppressions ?? list.entries ?? list.addresses) as any[];
    assert.deepEqual(rows.map((s) => [s.address, s.reason, s.source]).sort(), [
      ['kijitora@example.jp', 'hard-bounce', 'bounce'],
      ['redacted@example.net', 'complaint', 'bounce'],
      ['sabatora@example.jp', 'hard-bounce', 'bounce'],
    ]);
  } finally {
    t.cleanup();
  }
});

test('bounce parse --help has examples; --help loads neither postal-mime nor SQLite', async () => {
  const h = await runCli(['bounce', 'parse', '--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /\$ mailpace-cli bounce parse/);
  const t = tempDir();
  try {
    const trace = join(t.dir, 'modules.txt');
    const r = await runCli(['--help'], { env: { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /bounce/);
    const loaded = readFileSync(trace, 'utf8');
    assert.match(loaded, /node_modules\/commander\//);
    for (const m of ['node_modules/postal-mime/', 'node_modules/better-sqlite3/', 'core/bounce/']) assert.ok(!loaded.includes(m), `${m} loaded by --help`);
  } finally {
    t.cleanup();
  }
});
