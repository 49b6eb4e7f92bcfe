import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { runMonitor, sniffFormat, storeEvent } from '../../../src/core/monitor/monitor.js';
import { MailpaceError, UsageError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';

const FIX = join(process.cwd(), 'test', 'fixtures', 'monitor');
const dir = mkdtempSync(join(tmpdir(), 'monitor-src-'));
const base = { source: 'auto' as const, by: 'provider' as const, baselineMs: 7 * 86_400_000, now: Date.parse('2026-12-01T12:00:00Z') };

const POSTFIX = [
  'Dec  1 10:00:00 mx postfix/smtpd[1]: 4B2C81E0A2: client=app.example[198.51.100.7]',
  'Dec  1 10:00:01 mx postfix/qmgr[3]: 4B2C81E0A2: from=<news@shop.example>, size=2345, nrcpt=1 (queue active)',
  'Dec  1 10:00:03 mx postfix/smtp[4]: 4B2C81E0A2: to=<bob@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=2.5, delays=0.1/0.01/0.9/1.5, dsn=2.0.0, status=sent (250 2.0.0 OK)',
  'Dec  1 10:00:03 mx postfix/qmgr[3]: 4B2C81E0A2: removed',
].join('\n');

test('plain, gzip and stdin give the same counts; several files are one run', async () => {
  const plain = join(dir, 'mail.log');
  const gz = join(dir, 'mail.log.1.gz');
  writeFileSync(plain, `${POSTFIX}\n`);
  writeFileSync(gz, gzipSync(`${POSTFIX.replace(/4B2C81E0A2/g, '5C3D92F1B3')}\n`));
  const r = await runMonitor({ ...base, inputs: [plain, gz], year: 2026 });
  assert.equal(r.sources.length, 2);
  assert.equal(r.totals.received, 2);
  assert.equal(r.totals.delivered, 2);
  assert.equal(r.providers[0]!.key, 'gmail');
  assert.equal(r.providers[0]!.delay?.p50Ms, 2500);
  const s = await runMonitor({ ...base, inputs: ['-'], year: 2026, stdin: Readable.from([Buffer.from(`${POSTFIX}\n`)]) });
  assert.equal(s.totals.delivered, 1);
  assert.equal(s.sources[0]!.yearFrom, 'flag');
});

test('the year comes from the file time when --year is not given', async () => {
  const p = join(dir, 'old.log');
  writeFileSync(p, `${POSTFIX}\n`);
  utimesSync(p, new Date('2024-12-02T00:00:00Z'), new Date('2024-12-02T00:00:00Z'));
  const r = await runMonitor({ ...base, inputs: [p] });
  assert.equal(r.sources[0]!.yearFrom, 'mtime');
  assert.ok(r.window.from!.startsWith('2024-12-01'), r.window.from!);
});

test('a truncated gzip file and a missing file are unreadable input (exit 3), not a crash', async () => {
  const gz = gzipSync(Buffer.from(`${POSTFIX}\n`.repeat(200)));
  const cut = join(dir, 'cut.log.gz');
  writeFileSync(cut, gz.subarray(0, gz.length - 40));
  await assert.rejects(runMonitor({ ...base, inputs: [cut], year: 2026 }), (e: Error) => e instanceof MailpaceError && !(e instanceof UsageError) && /truncated/.test(e.message));
  await assert.rejects(runMonitor({ ...base, inputs: [join(dir, 'nope.log')] }), (e: Error) => e instanceof MailpaceError && /no such file/.test(e.message));
  await assert.rejects(runMonitor({ ...base, inputs: [dir] }), (e: Error) => e instanceof MailpaceError && /directory/.test(e.message));
});

test('garbage lines are counted, the first few shown, and never fatal', async () => {
  const p = join(dir, 'garbage.log');
  writeFileSync(p, `${POSTFIX}\n${Array.from({ length: 9 }, (_, i) => `junk ${i}`).join('\n')}\n`);
  const r = await runMonitor({ ...base, inputs: [p], year: 2026 });
  assert.equal(r.sources[0]!.skipped, 9);
  assert.equal(r.sources[0]!.skippedExamples.length, 5);
  assert.deepEqual(r.sources[0]!.skippedExamples[0], { line: 5, text: 'junk 0' });
  assert.ok(r.findings.some((f) => f.code === 'MONITOR_UNPARSEABLE_LINES' && f.severity === 'info'));
});

test('KumoMTA JSON records, from the zstd file KumoMTA writes, equal the plain file', async () => {
  for (const f of ['kumomta.jsonl', 'kumomta.jsonl.zst']) {
    const r = await runMonitor({ ...base, inputs: [join(FIX, f)] });
    assert.equal(r.sources[0]!.format, 'kumomta');
    assert.deepEqual(
      { ...r.totals },
      { received: 2, delivered: 1, deferred: 1, bounced: 1, rejected: 1, expired: 1, complaints: 1, deferredMessages: 1 },
    );
    assert.equal(r.sources[0]!.skipped, 1);
    const gmail = r.providers.find((p) => p.key === 'gmail')!;
    assert.equal(gmail.delay?.p50Ms, 3000);
    const ms = r.providers.find((p) => p.key === 'microsoft')!;
    assert.deepEqual(ms.blocklists, [{ list: 'S3150', ip: '203.0.113.5', count: 1 }]);
    assert.ok(r.findings.some((f) => f.code === 'BLOCKLIST_REPLY' && /S3150 lists 203\.0\.113\.5/.test(f.message)));
  }
});

test('a truncated zstd file is unreadable input', async () => {
  const z = readFileSync(join(FIX, 'kumomta.jsonl.zst'));
  const cut = join(dir, 'cut.zst');
  writeFileSync(cut, z.subarray(0, z.length - 30));
  await assert.rejects(runMonitor({ ...base, inputs: [cut] }), (e: Error) => e instanceof MailpaceError && /cannot read/.test(e.message));
});

test('Exim main log: arrivals, deliveries (=> and ->), deferrals, failures, retry timeouts, rejects', async () => {
  const r = await runMonitor({ ...base, inputs: [join(FIX, 'exim-mainlog')] });
  assert.equal(r.sources[0]!.format, 'exim');
  assert.equal(r.totals.received, 3);
  assert.equal(r.totals.delivered, 3);
  assert.equal(r.totals.deferred, 1);
  assert.equal(r.totals.bounced, 1);
  assert.equal(r.totals.expired, 1);
  assert.equal(r.totals.rejected, 1);
  assert.equal(r.sources[0]!.skipped, 1);
  const other = r.providers.find((p) => p.key === 'other')!;
  assert.equal(other.delay?.p95Ms, 361_000);
  const grey = other.topReplies.find((t) => t.kind === 'deferred')!;
  assert.equal(grey.classification.greylisted, true);
});

test('the store\'s delivery log as a source', async () => {
  const store = new MemoryStore();
  const at = Date.parse('2026-12-01T10:00:00Z');
  await store.logDelivery({ at, messageId: 'm1', recipient: 'a@gmail.com', status: 'delivered', mx: 'gmail-smtp-in.l.google.com', replyCode: 250, response: '250 OK' });
  await store.logDelivery({ at: at + 1000, messageId: 'm2', recipient: 'b@yahoo.com', status: 'deferred', mx: 'mta5.am0.yahoodns.net', replyCode: 421, enhancedCode: '4.7.0', response: '421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints' });
  await store.logDelivery({ at: at + 2000, messageId: 'm3', recipient: 'c@x.example', status: 'suppressed' });
  const r = await runMonitor({ ...base, source: 'store', inputs: [], store: async () => store });
  assert.equal(r.totals.delivered, 1);
  assert.equal(r.totals.deferred, 1);
  assert.equal(r.sources[0]!.ignored, 1);
  assert.deepEqual(r.providers.find((p) => p.key === 'yahoo')!.blocklists, [{ list: 'TSS04', ip: '203.0.113.5', count: 1 }]);
  assert.equal(storeEvent({ at, messageId: 'x', recipient: 'r@x', status: 'suppressed' }), undefined);
});

test('format sniffing', () => {
  assert.equal(sniffFormat(['{"type":"Delivery"}']), 'kumomta');
  assert.equal(sniffFormat(['2025-12-01 10:00:00 1vQ2aB-000123-AB <= a@b']), 'exim');
  assert.equal(sniffFormat(['Dec  1 10:00:00 mx postfix/smtpd[1]: x']), 'postfix');
  assert.equal(sniffFormat(['2026-12-01T10:00:00+00:00 mx postfix/smtpd[1]: x']), 'postfix');
});

test('no events: a warning for an input without any, info for a quiet window', async () => {
  const p = join(dir, 'quiet.log');
  writeFileSync(p, `${POSTFIX}\n`);
  const none = await runMonitor({ ...base, inputs: [p], year: 2026, since: Date.parse('2027-01-01T00:00:00Z') });
  assert.deepEqual(none.findings.map((f) => [f.code, f.severity]), [['MONITOR_NO_EVENTS', 'info']]);
  const other = join(dir, 'other.log');
  writeFileSync(other, 'Dec  1 10:00:00 mx dovecot[9]: imap-login: Login\n');
  const empty = await runMonitor({ ...base, inputs: [other], year: 2026 });
  assert.deepEqual(empty.findings.map((f) => [f.code, f.severity]), [['MONITOR_NO_EVENTS', 'warning']]);
});

test('LineSplitter: ASCII and UTF-8 chunks, CRLF, and a character cut between chunks give the same lines', async () => {
  const { LineSplitter } = await import('../../../src/core/monitor/line-source.js');
  const text = 'Dec  1 10:00:00 mx a: plain\r\nDec  1 10:00:01 mx b: from=<jos\u00e9@b\u00fccher.example>\nlast';
  const bytes = Buffer.from(text, 'utf8');
  const expected = ['Dec  1 10:00:00 mx a: plain', 'Dec  1 10:00:01 mx b: from=<jos\u00e9@b\u00fccher.example>', 'last'];
  for (let cut = 1; cut < bytes.length; cut++) {
    const s = new LineSplitter();
    const got = [...s.push(bytes.subarray(0, cut)), ...s.push(bytes.subarray(cut))];
    const tail = s.end();
    if (tail !== undefined) got.push(tail);
    assert.deepEqual(got, expected, `cut at byte ${cut}`);
  }
});
