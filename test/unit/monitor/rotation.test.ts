import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { orderInputs, rotationOf, runMonitor, type MonitorReport } from '../../../src/core/monitor/monitor.js';

const dir = mkdtempSync(join(tmpdir(), 'monitor-rot-'));
const base = { source: 'auto' as const, by: 'provider' as const, baselineMs: 7 * 86_400_000, now: Date.parse('2026-12-03T12:00:00Z') };

// A message (7A1B2C3D4E) received and deferred in the oldest rotation, deferred again in the
// next, expired in the live file; another (8B2C3D4E5F) received in mail.log.1, delivered in mail.log.
const OLDEST = [
  'Dec  1 09:00:00 mx postfix/smtpd[1]: 7A1B2C3D4E: client=app.example[198.51.100.7]',
  'Dec  1 09:00:01 mx postfix/qmgr[3]: 7A1B2C3D4E: from=<news@shop.example>, size=2345, nrcpt=1 (queue active)',
  'Dec  1 09:00:04 mx postfix/smtp[4]: 7A1B2C3D4E: to=<ann@yahoo.com>, relay=mta5.am0.yahoodns.net[67.195.204.72]:25, delay=3, delays=0.1/0/1.9/1, dsn=4.7.0, status=deferred (host mta5.am0.yahoodns.net[67.195.204.72] said: 421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints (in reply to MAIL FROM command))',
];
const MIDDLE = [
  'Dec  1 21:00:04 mx postfix/smtp[4]: 7A1B2C3D4E: to=<ann@yahoo.com>, relay=mta6.am0.yahoodns.net[98.136.96.74]:25, delay=43203, delays=43200/0/2/1, dsn=4.7.0, status=deferred (host mta6.am0.yahoodns.net[98.136.96.74] said: 421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user complaints (in reply to MAIL FROM command))',
  'Dec  1 23:59:58 mx postfix/smtpd[1]: 8B2C3D4E5F: client=app.example[198.51.100.7]',
  'Dec  1 23:59:59 mx postfix/qmgr[3]: 8B2C3D4E5F: from=<billing@invoices.example>, size=999, nrcpt=1 (queue active)',
];
const LIVE = [
  'Dec  2 00:00:02 mx postfix/smtp[4]: 8B2C3D4E5F: to=<bob@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=4, delays=0.1/0.01/0.9/3, dsn=2.0.0, status=sent (250 2.0.0 OK 1700000000 x1si123.1 - gsmtp)',
  'Dec  2 00:00:02 mx postfix/qmgr[3]: 8B2C3D4E5F: removed',
  'Dec  6 09:00:05 mx postfix/qmgr[3]: 7A1B2C3D4E: from=<news@shop.example>, status=expired, returned to sender',
  'Dec  6 09:00:05 mx postfix/qmgr[3]: 7A1B2C3D4E: removed',
];

function write(name: string, lines: string[], gz = false): string {
  const p = join(dir, name);
  const text = `${lines.join('\n')}\n`;
  writeFileSync(p, gz ? gzipSync(text) : text);
  return p;
}

/** The report without the per-file part (which names the files). */
function body(r: MonitorReport): unknown {
  const { sources: _sources, ...rest } = r;
  return rest;
}

test('rotations are one run: state carries across files, in either argument order, as in the concatenated log', async () => {
  const all = write('all.log', [...OLDEST, ...MIDDLE, ...LIVE]);
  const oldest = write('mail.log.2.gz', OLDEST, true);
  const middle = write('mail.log.1', MIDDLE);
  const live = write('mail.log', LIVE);
  // Modification times that contradict the names (copied files): the names decide.
  const t = new Date('2026-12-06T10:00:00Z');
  utimesSync(oldest, t, new Date('2026-12-06T12:00:00Z'));
  utimesSync(middle, t, new Date('2026-12-06T11:00:00Z'));
  utimesSync(live, t, t);
  const whole = await runMonitor({ ...base, inputs: [all], year: 2026 });
  assert.equal(whole.totals.received, 2);
  assert.equal(whole.totals.delivered, 1);
  assert.equal(whole.totals.deferred, 2);
  assert.equal(whole.totals.expired, 1);
  // The expiry counts under the destination of the last deferral, and both messages under their sender's domain.
  const yahoo = whole.providers.find((g) => g.key === 'yahoo');
  assert.equal(yahoo?.totals.expired, 1);
  assert.deepEqual(whole.senderDomains.map((d) => [d.domain, d.totals.received]).sort(), [['invoices.example', 1], ['shop.example', 1]]);
  for (const order of [[oldest, middle, live], [live, middle, oldest], [middle, live, oldest]]) {
    const r = await runMonitor({ ...base, inputs: order, year: 2026 });
    assert.deepEqual(r.sources.map((s) => s.file), [oldest, middle, live]);
    assert.deepEqual(body(r), body(whole), order.join(' '));
  }
  // Without --year each file's own time dates its lines: the same events.
  const byMtime = await runMonitor({ ...base, inputs: [live, oldest, middle] });
  assert.deepEqual(byMtime.totals, whole.totals);
  assert.deepEqual(byMtime.window, whole.window);
});

test('logrotate names order the inputs: higher numbers and earlier dates are older, the live file last', () => {
  assert.deepEqual(rotationOf('/var/log/mail.log.12.gz'), { number: 12 });
  assert.deepEqual(rotationOf('mail.log.1'), { number: 1 });
  assert.deepEqual(rotationOf('mail.log-20261130.zst'), { date: 20261130 });
  assert.deepEqual(rotationOf('mail.log'), {});
  const names = ['mail.log', 'mail.log.1', 'mail.log.10.gz', 'mail.log.2.gz'].map((n) => write(n, ['x']));
  assert.deepEqual(orderInputs(names).map((p) => p.slice(dir.length + 1)), ['mail.log.10.gz', 'mail.log.2.gz', 'mail.log.1', 'mail.log']);
  const dated = ['maillog', 'maillog-20261201', 'maillog-20261124.gz'].map((n) => write(n, ['x']));
  assert.deepEqual(orderInputs(dated).map((p) => p.slice(dir.length + 1)), ['maillog-20261124.gz', 'maillog-20261201', 'maillog']);
});
