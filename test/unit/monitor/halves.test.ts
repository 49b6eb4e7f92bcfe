/**
 * A large Postfix log read in two halves (monitor/halves.ts) must report exactly what one pass
 * reports: the whole JSON report is compared, with the split at every line of logs whose messages
 * straddle the split in every way, and through a real worker thread on a generated log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMonitor, type MonitorOptions } from '../../../src/core/monitor/monitor.js';
import { readSecondHalf, type HalvesOptions } from '../../../src/core/monitor/halves.js';
import type { GroupBy } from '../../../src/core/monitor/metrics.js';
import { generatePostfixLog } from '../../helpers/postfix-log.js';

const dir = mkdtempSync(join(tmpdir(), 'monitor-halves-'));
const base = { source: 'auto' as const, by: 'provider' as const, baselineMs: 7 * 86_400_000, now: Date.parse('2026-12-10T12:00:00Z') };

const YAHOO_421 = 'host mta5.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints (in reply to MAIL FROM command)';
const SPAMHAUS = 'host mx1.hotmail.com[52.101.0.1] said: 550 5.7.1 Service unavailable, Client host [203.0.113.5] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.5 (in reply to RCPT TO command)';

/**
 * Messages whose lines lie on both sides of any split: received in one place and delivered,
 * deferred, expired or rejected in another; a reply text first seen with one dsn and later with
 * another (the cluster keeps the first one's classification); scores, skipped lines, NOQUEUE
 * rejects, pickup, and a message that never leaves the queue.
 */
const STRADDLING = [
  'Dec  1 09:00:00 mx postfix/smtpd[1]: 7A1B2C3D4E: client=app.example[198.51.100.7]',
  'Dec  1 09:00:00 mx postfix/cleanup[2]: 7A1B2C3D4E: message-id=<a1@shop.example>',
  'Dec  1 09:00:01 mx postfix/qmgr[3]: 7A1B2C3D4E: from=<news@shop.example>, size=2345, nrcpt=2 (queue active)',
  `Dec  1 09:00:04 mx postfix/smtp[4]: 7A1B2C3D4E: to=<ann@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=3, delays=0.1/0/1.9/1, dsn=4.7.0, status=deferred (${YAHOO_421})`,
  'Dec  1 09:00:05 mx postfix/smtp[4]: 7A1B2C3D4E: to=<cat@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=4, delays=0.1/0.01/0.9/3, dsn=2.0.0, status=sent (250 2.0.0 OK 1700000000 x1si123.1 - gsmtp)',
  'Dec  1 09:00:06 mx postfix/smtpd[1]: 8B2C3D4E5F: client=app.example[198.51.100.7]',
  'this line is not a log line',
  'Dec  1 09:00:07 mx postfix/qmgr[3]: 8B2C3D4E5F: from=<billing@invoices.example>, size=999, nrcpt=1 (queue active)',
  'Dec  1 09:00:07 mx rspamd[77]: <a1b2c3>; task; rspamd_task_write_log: id: <x@shop.example>, qid: <8B2C3D4E5F>, ip: 198.51.100.7, from: <news@shop.example>, (default: F (no action): [3.40/15.00] [DKIM_SIGNED(0.00)]), len: 2345, time: 120.5ms',
  'Dec  1 09:00:08 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[192.0.2.9]: 450 4.2.0 <x@shop.example>: Recipient address rejected: Greylisted; from=<spam@bad.example> to=<x@shop.example> proto=ESMTP helo=<bad>',
  'Dec  1 09:10:00 mx postfix/pickup[9]: 9C3D4E5F60: uid=1000 from=<cron@shop.example>',
  'Dec  1 09:10:00 mx postfix/cleanup[2]: 9C3D4E5F60: warning: header X-Spamd-Result: default: False [7.20 / 15.00]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>',
  `Dec  1 09:10:02 mx postfix/smtp[4]: 8B2C3D4E5F: to=<bob@hotmail.com>, relay=mx1.hotmail.com[52.101.0.1]:25, delay=5, delays=0.1/0/2/3, dsn=5.7.1, status=bounced (${SPAMHAUS})`,
  'Dec  1 09:10:02 mx postfix/bounce[5]: 8B2C3D4E5F: sender non-delivery notification: 0D4E5F6071',
  `Dec  1 09:10:02 mx postfix/smtp[4]: 8B2C3D4E5F: to=<bo@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=5, delays=0.1/0/2/3, dsn=5.7.1, status=deferred (${YAHOO_421})`,
  'Dec  1 09:10:03 mx postfix/qmgr[3]: 8B2C3D4E5F: removed',
  'Dec  1 09:20:00 mx postfix/smtpd[1]: AE5F607182: client=app.example[198.51.100.7]',
  'Dec  1 09:20:01 mx postfix/cleanup[2]: AE5F607182: milter-reject: END-OF-MESSAGE from app.example[198.51.100.7]: 5.7.1 Spam message rejected; from=<news@shop.example> to=<dan@yahoo.com> proto=ESMTP helo=<app>',
  '',
  // The same reply with another dsn (soft_bounce turns a 5xx into a deferral): its cluster keeps the first one's classification.
  `Dec  1 21:00:04 mx postfix/smtp[4]: 7A1B2C3D4E: to=<ann@yahoo.com>, relay=mta6.am0.yahoodns.net[98.136.96.74]:25, delay=43203, delays=43200/0/2/1, dsn=5.7.1, status=deferred (${YAHOO_421})`,
  'Dec  1 21:30:00 mx postfix/qmgr[3]: 9C3D4E5F60: from=<cron@shop.example>, size=120, nrcpt=1 (queue active)',
  'Dec  1 21:30:01 mx postfix/local[6]: 9C3D4E5F60: to=<root@shop.example>, relay=local, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (delivered to mailbox)',
  'Dec  1 21:30:01 mx postfix/qmgr[3]: 9C3D4E5F60: removed',
  'Dec  2 08:00:00 mx postfix/smtpd[1]: BF60718293: client=app.example[198.51.100.7]',
  'Dec  2 08:00:01 mx postfix/qmgr[3]: BF60718293: from=<news@shop.example>, size=5000, nrcpt=1 (queue active)',
  `Dec  2 08:00:02 mx postfix/smtp[4]: BF60718293: to=<eve@hotmail.com>, relay=mx1.hotmail.com[52.101.0.1]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=5.7.1, status=bounced (${SPAMHAUS})`,
  'Dec  2 08:00:03 mx postfix/qmgr[3]: BF60718293: removed',
  'Dec  2 08:05:00 mx postfix/smtpd[1]: C071829304: client=app.example[198.51.100.7]',
  'Dec  3 10:00:00 mx postfix/qmgr[3]: 7A1B2C3D4E: from=<news@shop.example>, status=expired, returned to sender',
  'Dec  3 10:00:00 mx postfix/qmgr[3]: 7A1B2C3D4E: removed',
  'garbage at the end',
];

/**
 * Where the halves cannot be read apart and the second is read again in order: a queue id that
 * arrives again while the first half still has it in flight (its old sender is still used for a
 * delivery logged before the new from=), and a queue id whose deferral comes before its arrival
 * (its expiry names the deferred recipient).
 */
const REUSED = [
  'Dec  1 09:00:00 mx postfix/smtpd[1]: 7A1B2C3D4E: client=app.example[198.51.100.7]',
  'Dec  1 09:00:01 mx postfix/qmgr[3]: 7A1B2C3D4E: from=<news@shop.example>, size=2345, nrcpt=1 (queue active)',
  `Dec  1 09:00:04 mx postfix/smtp[4]: 7A1B2C3D4E: to=<ann@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=3, delays=0.1/0/1.9/1, dsn=4.7.0, status=deferred (${YAHOO_421})`,
  'Dec  1 09:05:00 mx postfix/smtpd[1]: 8B2C3D4E5F: client=app.example[198.51.100.7]',
  'Dec  1 10:00:00 mx postfix/smtpd[1]: 7A1B2C3D4E: client=other.example[198.51.100.8]',
  'Dec  1 10:00:00 mx postfix/smtp[4]: 7A1B2C3D4E: to=<ann@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=3, delays=0.1/0/1.9/1, dsn=2.0.0, status=sent (250 ok dirdel)',
  'Dec  1 10:00:01 mx postfix/qmgr[3]: 7A1B2C3D4E: from=<other@else.example>, size=10, nrcpt=1 (queue active)',
  'Dec  1 10:00:05 mx postfix/smtp[4]: 7A1B2C3D4E: to=<zed@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=4, delays=0.1/0.01/0.9/3, dsn=2.0.0, status=sent (250 2.0.0 OK)',
  'Dec  1 10:00:06 mx postfix/qmgr[3]: 8B2C3D4E5F: removed',
  'Dec  1 10:00:07 mx postfix/smtpd[1]: 8B2C3D4E5F: client=app.example[198.51.100.7]',
  'Dec  1 10:00:08 mx postfix/qmgr[3]: 8B2C3D4E5F: from=<late@shop.example>, size=10, nrcpt=1 (queue active)',
  'Dec  1 10:00:09 mx postfix/qmgr[3]: 7A1B2C3D4E: removed',
  `Dec  1 10:01:00 mx postfix/smtp[4]: D1E2F3A4B5: to=<yve@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=3, delays=0.1/0/1.9/1, dsn=4.7.0, status=deferred (${YAHOO_421})`,
  'Dec  1 10:02:00 mx postfix/smtpd[1]: D1E2F3A4B5: client=app.example[198.51.100.7]',
  'Dec  1 10:03:00 mx postfix/qmgr[3]: D1E2F3A4B5: from=<x@shop.example>, status=expired, returned to sender',
];

/** A --year log that crosses New Year (the year steps at the first January line). */
const NEW_YEAR = [
  'Dec 31 23:59:00 mx postfix/smtpd[1]: 7A1B2C3D4E: client=app.example[198.51.100.7]',
  'Dec 31 23:59:01 mx postfix/qmgr[3]: 7A1B2C3D4E: from=<news@shop.example>, size=2345, nrcpt=1 (queue active)',
  'Dec 31 23:59:30 mx postfix/smtp[4]: 7A1B2C3D4E: to=<cat@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=4, delays=0.1/0.01/0.9/3, dsn=2.0.0, status=sent (250 2.0.0 OK)',
  'Jan  1 00:00:10 mx postfix/smtpd[1]: 8B2C3D4E5F: client=app.example[198.51.100.7]',
  'Jan  1 00:00:11 mx postfix/qmgr[3]: 8B2C3D4E5F: from=<news@shop.example>, size=2345, nrcpt=1 (queue active)',
  'Jan  1 00:00:12 mx postfix/qmgr[3]: 7A1B2C3D4E: removed',
  'Jan  1 00:01:00 mx postfix/smtp[4]: 8B2C3D4E5F: to=<dan@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=4, delays=0.1/0.01/0.9/3, dsn=2.0.0, status=sent (250 2.0.0 OK)',
];

function write(name: string, lines: string[]): { path: string; starts: number[] } {
  const path = join(dir, name);
  const text = `${lines.join('\n')}\n`;
  writeFileSync(path, text);
  utimesSync(path, new Date('2026-12-06T12:00:00Z'), new Date('2026-12-06T12:00:00Z'));
  // The byte position of every line start after the first.
  const starts: number[] = [];
  let pos = 0;
  for (const l of lines.slice(0, -1)) starts.push((pos += Buffer.byteLength(l) + 1));
  return { path, starts };
}

const ONE_PASS: HalvesOptions = { minBytes: Number.MAX_SAFE_INTEGER };

async function report(opts: Partial<MonitorOptions> & { inputs: string[] }, halves: HalvesOptions): Promise<string> {
  return JSON.stringify(await runMonitor({ ...base, ...opts, halves }));
}

/** Every split of `lines`, for each option set: the same report as one pass, and which way the halves were joined. */
async function everySplit(name: string, lines: string[], variants: Partial<MonitorOptions>[]): Promise<Map<string, number>> {
  const { path, starts } = write(name, lines);
  const ways = new Map<string, number>();
  for (const v of variants) {
    const expected = await report({ ...v, inputs: [path] }, ONE_PASS);
    for (const splitAt of starts) {
      const got = await report({ ...v, inputs: [path] }, { minBytes: 0, splitAt, second: readSecondHalf, onJoin: (how) => ways.set(how, (ways.get(how) ?? 0) + 1) });
      assert.equal(got, expected, `${name} ${JSON.stringify(v)} split at byte ${splitAt} (line ${starts.indexOf(splitAt) + 2})`);
    }
  }
  return ways;
}

test('split at every line: messages straddling the split count as in one pass, for every --by, with --year, mtime and a window', async () => {
  const variants: Partial<MonitorOptions>[] = [
    ...(['provider', 'sender-domain', 'destination', 'relay'] as GroupBy[]).map((by) => ({ by, year: 2026 })),
    { by: 'provider' },
    { by: 'provider', year: 2026, since: Date.parse('2026-12-01T21:00:00Z'), until: Date.parse('2026-12-03T00:00:00Z') },
  ];
  const ways = await everySplit('straddling.log', STRADDLING, variants);
  // Nothing here stops the halves from being read apart.
  assert.deepEqual([...ways.keys()], ['merged']);
  assert.equal(ways.get('merged'), variants.length * (STRADDLING.length - 1));
});

test('split at every line: a reused queue id and lines before their arrival fall back to one pass over the second half, with the same report', async () => {
  const ways = await everySplit('reused.log', REUSED, [{ year: 2026 }, { by: 'sender-domain', year: 2026 }]);
  assert.ok((ways.get('reread') ?? 0) > 0, 'some splits need the second half read again');
  assert.ok((ways.get('merged') ?? 0) > 0, 'others merge');
});

test('split at every line: a --year log that crosses New Year', async () => {
  const ways = await everySplit('new-year.log', NEW_YEAR, [{ year: 2026 }, {}]);
  assert.ok((ways.get('reread') ?? 0) > 0, 'a split after the December lines and before the January ones is read again under --year');
  // Without --year the file time dates each line on its own: every split merges.
  const withoutYear = await everySplit('new-year-mtime.log', NEW_YEAR, [{}]);
  assert.deepEqual([...withoutYear.keys()], ['merged']);
});

test('rotated files each read in halves: the state carries from file to file as in one pass', async () => {
  const a = write('mail.log.1', STRADDLING.slice(0, 16)).path;
  const b = write('mail.log', STRADDLING.slice(16)).path;
  const expected = await report({ inputs: [a, b], year: 2026 }, ONE_PASS);
  assert.equal(await report({ inputs: [a, b], year: 2026 }, { minBytes: 0, second: readSecondHalf }), expected);
  assert.equal(await report({ inputs: [b, a], year: 2026 }, { minBytes: 0, second: readSecondHalf }), expected);
});

test('a generated log read by a real worker thread: the same report as one pass, for each --by', async () => {
  const g = generatePostfixLog({
    start: new Date('2026-11-02T00:00:00Z'),
    hours: 30,
    peakPerHour: 300,
    seed: 9,
    deferralBurst: { provider: 'gmail', rate: 0.5, fromHour: 20, hours: 2 },
    blocklist: { provider: 'microsoft', list: 'zen.spamhaus.org', ip: '203.0.113.5', rate: 0.3, fromHour: 25, hours: 1 },
  });
  const path = join(dir, 'generated.log');
  writeFileSync(path, g.text);
  assert.ok(g.lines > 20_000);
  for (const by of ['provider', 'relay'] as GroupBy[]) {
    const expected = await report({ inputs: [path], by, year: 2026 }, ONE_PASS);
    const ways: string[] = [];
    assert.equal(await report({ inputs: [path], by, year: 2026 }, { minBytes: 0, onJoin: (how) => ways.push(how) }), expected);
    assert.deepEqual(ways, ['merged']);
  }
});

test('a worker thread that fails (or cannot start): the second half is read again here, with the same report', async () => {
  const { path } = write('worker-fails.log', STRADDLING);
  const ways: string[] = [];
  const failing = async () => {
    throw new Error('no worker threads here');
  };
  assert.equal(await report({ inputs: [path], year: 2026 }, { minBytes: 0, second: failing, onJoin: (how) => ways.push(how) }), await report({ inputs: [path], year: 2026 }, ONE_PASS));
  assert.deepEqual(ways, ['reread']);
});

test('other formats, compressed files and standard input are read in one pass', async () => {
  const exim = join(process.cwd(), 'test/fixtures/monitor/exim-mainlog');
  const gz = join(dir, 'mail.log.gz');
  writeFileSync(gz, gzipSync(`${STRADDLING.join('\n')}\n`));
  for (const path of [exim, gz]) {
    const ways: string[] = [];
    assert.equal(await report({ inputs: [path], year: 2026 }, { minBytes: 0, second: readSecondHalf, onJoin: (how) => ways.push(how) }), await report({ inputs: [path], year: 2026 }, ONE_PASS), path);
    assert.deepEqual(ways, [], path);
  }
});

test('a file without a line start past its middle is read in one pass', async () => {
  const { path } = write('one-line.log', [STRADDLING[0]!]);
  const ways: string[] = [];
  assert.equal(await report({ inputs: [path], year: 2026 }, { minBytes: 0, second: readSecondHalf, onJoin: (how) => ways.push(how) }), await report({ inputs: [path], year: 2026 }, ONE_PASS));
  assert.deepEqual(ways, []);
});
