import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostfixReader, splitPostfixReply } from '../../../src/core/monitor/postfix.js';
import { ClassicClock, parseSyslog } from '../../../src/core/monitor/syslog.js';
import { LineResult, type MonitorEvent } from '../../../src/core/monitor/events.js';

function read(lines: string[], opts: { year?: number; refMs?: number } = { year: 2026 }): { events: MonitorEvent[]; results: LineResult[] } {
  const r = new PostfixReader(opts);
  const events: MonitorEvent[] = [];
  const results = lines.map((l) => r.line(l, (e) => events.push(e)));
  r.finish((e) => events.push(e));
  return { events, results };
}

test('classic time stamps take the year from --year, or the year before the file time when later in the year', () => {
  const withYear = new ClassicClock({ year: 2024 });
  assert.equal(new Date(withYear.parse('Feb 29 12:00:01 mx x')).getFullYear(), 2024);
  // A log touched on 2026-01-02 with December lines: those are from 2025, not 2026.
  const mtime = new ClassicClock({ refMs: new Date(2026, 0, 2, 1).getTime() });
  assert.equal(new Date(mtime.parse('Dec 31 23:59:59 mx x')).getFullYear(), 2025);
  assert.equal(new Date(mtime.parse('Jan  2 00:30:00 mx x')).getFullYear(), 2026);
  // --year: a log crossing New Year moves on to the next year.
  const crossing = new ClassicClock({ year: 2025 });
  assert.equal(new Date(crossing.parse('Dec 31 23:59:59 mx x')).getFullYear(), 2025);
  assert.equal(new Date(crossing.parse('Jan  1 00:00:01 mx x')).getFullYear(), 2026);
  // maillog_file pads the day with a zero
  const d = new Date(new ClassicClock({ year: 2026 }).parse('Dec 01 19:18:38 mx x'));
  assert.deepEqual([d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()], [11, 1, 19, 18, 38]);
});

test('RFC 3339 time stamps carry their own year and zone', () => {
  const s = parseSyslog('2026-12-01T19:18:38.123456+01:00 mx postfix/smtp[12]: ABC123: to=<a@b>', new ClassicClock({ year: 1999 }));
  assert.equal(s?.at, Date.parse('2026-12-01T18:18:38.123Z'));
  assert.equal(s?.program, 'postfix/smtp');
  assert.equal(s?.message, 'ABC123: to=<a@b>');
});

test('a message: received at client=, sender from qmgr, delivered with delay, relay, dsn', () => {
  const { events, results } = read([
    'Dec  1 10:00:00 mx postfix/smtpd[1]: 4B2C81E0A2: client=app.example[198.51.100.7]',
    'Dec  1 10:00:00 mx postfix/cleanup[2]: 4B2C81E0A2: message-id=<x@shop.example>',
    'Dec  1 10:00:01 mx postfix/qmgr[3]: 4B2C81E0A2: from=<news@shop.example>, size=2345, nrcpt=1 (queue active)',
    'Dec  1 10:00:03 mx postfix/smtp[4]: 4B2C81E0A2: to=<bob@gmail.com>, relay=gmail-smtp-in.l.google.com[142.250.1.27]:25, delay=2.5, delays=0.1/0.01/0.9/1.5, dsn=2.0.0, status=sent (250 2.0.0 OK  1700000000 x-gsmtp)',
    'Dec  1 10:00:03 mx postfix/qmgr[3]: 4B2C81E0A2: removed',
  ]);
  assert.deepEqual(results, [LineResult.Parsed, LineResult.Ignored, LineResult.Parsed, LineResult.Parsed, LineResult.Parsed]);
  assert.equal(events.length, 2);
  assert.equal(events[0]!.kind, 'received');
  assert.equal(events[0]!.sender, 'news@shop.example');
  assert.equal(events[0]!.size, 2345);
  const d = events[1]!;
  assert.equal(d.kind, 'delivered');
  assert.equal(d.sender, 'news@shop.example');
  assert.equal(d.recipient, 'bob@gmail.com');
  assert.equal(d.relay, 'gmail-smtp-in.l.google.com');
  assert.equal(d.relayIp, '142.250.1.27');
  assert.equal(d.delayMs, 2500);
  assert.equal(d.dsn, '2.0.0');
});

test('deferred and bounced replies keep the code, the stage and the text without "host … said:"', () => {
  const { events } = read([
    'Dec  1 10:00:03 mx postfix/smtp[4]: ABCDEF1234: to=<bob@example.org>, relay=mx.example.org[192.0.2.1]:25, delay=5, delays=0/0/1/4, dsn=4.7.1, status=deferred (host mx.example.org[192.0.2.1] said: 450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted (in reply to RCPT TO command))',
    'Dec  1 10:00:04 mx postfix/smtp[4]: ABCDEF1235: to=<ann@example.org>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.1]:25: Connection refused)',
    'Dec  1 10:00:05 mx postfix/error[5]: ABCDEF1236: to=<x@mailpace.test>, relay=none, delay=0.1, delays=0/0/0/0.1, dsn=5.0.0, status=bounced (test MX does not deliver)',
    'Dec  1 10:00:06 mx postfix/qmgr[3]: ABCDEF1237: from=<a@shop.example>, status=expired, returned to sender',
  ]);
  assert.deepEqual(events.map((e) => e.kind), ['deferred', 'deferred', 'bounced', 'expired']);
  assert.equal(events[0]!.code, 450);
  assert.equal(events[0]!.stage, 'rcpt');
  assert.equal(events[0]!.reply, '450 4.7.1 <bob@example.org>: Recipient address rejected: Greylisted');
  assert.equal(events[1]!.networkError, 'Connection refused');
  assert.equal(events[1]!.stage, 'connect');
  assert.equal(events[2]!.reply, 'test MX does not deliver');
  assert.equal(events[3]!.sender, 'a@shop.example');
});

test('NOQUEUE rejects of smtpd and postscreen, cleanup rejects; 4xx ones are marked temporary', () => {
  const { events } = read([
    'Dec  1 10:00:00 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 450 4.2.0 <a@mailpace.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/mailpace.test.html; from=<s@shop.example> to=<a@mailpace.test> proto=ESMTP helo=<client>',
    'Dec  1 10:00:01 mx postfix/smtpd[1]: NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 <z@elsewhere.example>: Relay access denied; from=<s@shop.example> to=<z@elsewhere.example> proto=ESMTP helo=<client>',
    'Dec  1 10:00:02 mx postfix/postscreen[6]: NOQUEUE: reject: RCPT from [203.0.113.9]:4711: 550 5.7.1 Service unavailable; client [203.0.113.9] blocked using zen.spamhaus.org; from=<x@spam.example>, to=<a@mailpace.test>, proto=ESMTP, helo=<spam>',
    'Dec  1 10:00:03 mx postfix/cleanup[2]: 5D1E2F3A4B: milter-reject: END-OF-MESSAGE from app[198.51.100.7]: 5.7.1 Spam message rejected; from=<s@shop.example> to=<a@mailpace.test> proto=ESMTP helo=<app>',
  ]);
  assert.equal(events.length, 4);
  assert.ok(events.every((e) => e.kind === 'rejected'));
  assert.equal(events[0]!.temporary, true);
  assert.equal(events[0]!.code, 450);
  assert.equal(events[0]!.recipient, 'a@mailpace.test');
  assert.equal(events[0]!.sender, 's@shop.example');
  assert.equal(events[1]!.temporary, false);
  assert.equal(events[2]!.relayIp, '203.0.113.9');
  assert.equal(events[3]!.dsn, '5.7.1');
});

test('garbage and other programs: skipped vs ignored; never an exception', () => {
  const { results } = read(['garbage here', '\u0000\u0001binary', 'Dec  1 10:00:00 mx dovecot[9]: imap-login: Login', 'Dec  1 10:00:00 mx postfix/anvil[9]: statistics: max connection rate 1/60s', '']);
  assert.deepEqual(results, [LineResult.Skipped, LineResult.Skipped, LineResult.Ignored, LineResult.Ignored, LineResult.Ignored]);
});

test('splitPostfixReply: lost connection at the greeting is a network error at that stage', () => {
  const r = splitPostfixReply('lost connection with mx.example.org[192.0.2.1] while receiving the initial server greeting');
  assert.equal(r.stage, 'greeting');
  assert.ok(r.networkError);
});

test("Rspamd scores: from rspamd's own log lines and from spam headers logged by header_checks", () => {
  const r = new PostfixReader({ year: 2026 });
  const noop = () => undefined;
  r.line('Dec  1 10:00:00 mx rspamd[77]: <a1b2c3>; task; rspamd_task_write_log: id: <x@shop.example>, qid: <4B2C81E0A2>, ip: 198.51.100.7, from: <news@shop.example>, (default: F (no action): [3.40/15.00] [DKIM_SIGNED(0.00){shop.example;s=s1;}]), len: 2345, time: 120.5ms', noop);
  r.line('Dec  1 10:00:01 mx postfix/cleanup[2]: 4B2C81E0A3: warning: header X-Spamd-Result: default: False [7.20 / 15.00]; from=<a@b> to=<c@d> proto=ESMTP helo=<h>', noop);
  r.line('Dec  1 10:00:02 mx postfix/cleanup[2]: 4B2C81E0A4: info: header X-Spam-Score: -0.5 from app[198.51.100.7]; from=<a@b> to=<c@d>', noop);
  assert.deepEqual(r.scores, [3.4, 7.2, -0.5]);
});

test("qmgr's expiry names no recipient: each recipient still deferred expires under its own destination, until \"removed\"", () => {
  // The shape of a real expiry (qmgr_active.c logs "status=expired, returned to sender", bounce(8)
  // sends the notification, then the queue file is removed): two recipients deferred, one of them
  // delivered on the retry, the other still deferred when the message expires.
  const { events } = read([
    'Dec  1 10:00:00 mx postfix/smtpd[1]: C93CEB08A0: client=app.example[198.51.100.7]',
    'Dec  1 10:00:00 mx postfix/qmgr[3]: C93CEB08A0: from=<news@shop.example>, size=1844, nrcpt=2 (queue active)',
    'Dec  1 10:00:30 mx postfix/smtp[4]: C93CEB08A0: to=<ann@slow.example>, relay=none, delay=30, delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.example[192.0.2.7]:25: Connection timed out)',
    'Dec  1 10:00:31 mx postfix/smtp[5]: C93CEB08A0: to=<bob@grey.example>, relay=mx.grey.example[192.0.2.8]:25, delay=31, delays=0/0/0.5/0.5, dsn=4.7.1, status=deferred (host mx.grey.example[192.0.2.8] said: 450 4.7.1 Try again later (in reply to RCPT TO command))',
    'Dec  1 10:10:00 mx postfix/qmgr[3]: C93CEB08A0: from=<news@shop.example>, size=1844, nrcpt=2 (queue active)',
    'Dec  1 10:10:01 mx postfix/smtp[5]: C93CEB08A0: to=<bob@grey.example>, relay=mx.grey.example[192.0.2.8]:25, delay=601, delays=600/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok)',
    'Dec  1 10:10:30 mx postfix/smtp[4]: C93CEB08A0: to=<ann@slow.example>, relay=none, delay=630, delays=600/0/30/0, dsn=4.4.1, status=deferred (connect to mx.slow.example[192.0.2.7]:25: Connection timed out)',
    'Dec  6 10:00:30 mx postfix/qmgr[3]: C93CEB08A0: from=<news@shop.example>, status=expired, returned to sender',
    'Dec  6 10:00:30 mx postfix/bounce[6]: C93CEB08A0: sender non-delivery notification: D1E2F3A4B5',
    'Dec  6 10:00:30 mx postfix/qmgr[3]: C93CEB08A0: removed',
    // Queue id reused later (or an expiry whose deferrals lie before the log): counted once, without a recipient.
    'Dec  7 10:00:00 mx postfix/qmgr[3]: C93CEB08A0: from=<news@shop.example>, status=expired, returned to sender',
  ]);
  const expired = events.filter((e) => e.kind === 'expired');
  assert.equal(expired.length, 2);
  assert.equal(expired[0]!.recipient, 'ann@slow.example');
  assert.equal(expired[0]!.relay, 'none');
  assert.equal(expired[0]!.sender, 'news@shop.example');
  assert.equal(expired[0]!.reply, 'returned to sender');
  assert.equal(expired[1]!.recipient, undefined);
});

test('expiries count under their destination in the report, and expiries of several recipients count each', async () => {
  const { Aggregate } = await import('../../../src/core/monitor/metrics.js');
  const agg = new Aggregate({ by: 'destination', baselineMs: 7 * 86_400_000 });
  const r = new PostfixReader({ year: 2026 });
  for (const l of [
    'Dec  1 10:00:00 mx postfix/smtpd[1]: AB12CD34EF: client=app.example[198.51.100.7]',
    'Dec  1 10:00:00 mx postfix/qmgr[3]: AB12CD34EF: from=<news@shop.example>, size=1844, nrcpt=3 (queue active)',
    'Dec  1 10:00:01 mx postfix/smtp[4]: AB12CD34EF: to=<a@one.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.one.example[192.0.2.1]:25: Connection refused)',
    'Dec  1 10:00:01 mx postfix/smtp[4]: AB12CD34EF: to=<b@one.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.4.1, status=deferred (connect to mx.one.example[192.0.2.1]:25: Connection refused)',
    'Dec  1 10:00:02 mx postfix/smtp[5]: AB12CD34EF: to=<c@two.example>, relay=mx.two.example[192.0.2.2]:25, delay=2, delays=0/0/1/1, dsn=4.2.0, status=deferred (host mx.two.example[192.0.2.2] said: 450 4.2.0 Greylisted (in reply to RCPT TO command))',
    'Dec  1 11:00:00 mx postfix/qmgr[3]: AB12CD34EF: from=<news@shop.example>, status=expired, returned to sender',
    'Dec  1 11:00:00 mx postfix/qmgr[3]: AB12CD34EF: removed',
  ]) r.line(l, (e) => agg.add(e));
  assert.equal(agg.totals.expired, 3);
  assert.equal(agg.groups.get('one.example')?.counts.expired, 2);
  assert.equal(agg.groups.get('two.example')?.counts.expired, 1);
  assert.equal(agg.groups.has('(unknown)'), false);
});

test('receipts never followed by qmgr count at the end in the order they were first seen; a queue id used again after "removed" starts afresh', () => {
  const { events } = read([
    'Dec  1 10:00:00 mx postfix/smtpd[1]: AAAAA11111: client=a.example[192.0.2.1]',
    'Dec  1 10:00:01 mx postfix/pickup[2]: BBBBB22222: uid=0 from=<root>',
    'Dec  1 10:00:02 mx postfix/smtpd[1]: CCCCC33333: client=c.example[192.0.2.3]',
    // A second client= for the first id moves its time, not its place.
    'Dec  1 10:00:03 mx postfix/smtpd[1]: AAAAA11111: client=a.example[192.0.2.1]',
    'Dec  1 10:00:04 mx postfix/qmgr[3]: DDDDD44444: from=<x@d.example>, size=10, nrcpt=1 (queue active)',
    'Dec  1 10:00:05 mx postfix/smtp[4]: DDDDD44444: to=<y@e.example>, relay=mx.e.example[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=4.4.1, status=deferred (connect to mx.e.example[192.0.2.5]:25: Connection refused)',
    'Dec  1 10:00:06 mx postfix/qmgr[3]: DDDDD44444: removed',
    // The id comes back for another message: no sender and no deferred recipient from before.
    'Dec  1 10:00:07 mx postfix/smtpd[1]: DDDDD44444: client=f.example[192.0.2.6]',
    'Dec  1 10:00:08 mx postfix/qmgr[3]: DDDDD44444: from=<>, status=expired, returned to sender',
  ]);
  const received = events.filter((e) => e.kind === 'received');
  // DDDDD44444's first message had no receipt line (its client= lies before the log's start).
  assert.deepEqual(received.map((e) => [e.queueId, new Date(e.at).getSeconds()]), [
    ['AAAAA11111', 3],
    ['BBBBB22222', 1],
    ['CCCCC33333', 2],
    ['DDDDD44444', 7],
  ]);
  const expired = events.filter((e) => e.kind === 'expired');
  assert.equal(expired.length, 1);
  assert.equal(expired[0]!.recipient, undefined);
  assert.equal(expired[0]!.sender, '');
});

test('a cleanup reject counts the receipt once and keeps nothing for the id', () => {
  const r = new PostfixReader({ year: 2026 });
  const events: MonitorEvent[] = [];
  r.line('Dec  1 10:00:00 mx postfix/smtpd[1]: AAAAA11111: client=a.example[192.0.2.1]', (e) => events.push(e));
  r.line('Dec  1 10:00:01 mx postfix/cleanup[2]: AAAAA11111: milter-reject: END-OF-MESSAGE from a.example[192.0.2.1]: 5.7.1 Spam; from=<s@a.example> to=<r@b.example> proto=ESMTP helo=<a>', (e) => events.push(e));
  r.finish((e) => events.push(e));
  assert.deepEqual(events.map((e) => e.kind), ['received', 'rejected']);
  assert.equal((r as unknown as { messages: Map<string, unknown> }).messages.size, 0);
});

test('relay hosts, IPs and DSN codes: many distinct ones and upper-case ones read the same as each line on its own', () => {
  const lines: string[] = [];
  for (let i = 0; i < 60; i++) {
    const n = (i * 7) % 23; // more distinct relays than are kept, coming back out of order
    const host = n % 5 === 0 ? `MX${n}.Example.COM` : `mx${n}.example.com`;
    lines.push(`Dec  1 10:00:${String(i % 60).padStart(2, '0')} mx postfix/smtp[4]: Q${String(i).padStart(9, '0')}: to=<u${i}@d${n}.example>, relay=${host}[192.0.2.${n}]:25, delay=0.5, delays=0/0/0/0.5, dsn=2.0.${n % 3}, status=sent (250 ok)`);
  }
  const together = read(lines).events;
  assert.equal(together.length, 60);
  for (let i = 0; i < 60; i++) {
    const alone = read([lines[i]!]).events[0]!;
    const n = (i * 7) % 23;
    assert.equal(together[i]!.relay, `mx${n}.example.com`);
    assert.equal(together[i]!.relayIp, `192.0.2.${n}`);
    assert.equal(together[i]!.dsn, `2.0.${n % 3}`);
    assert.deepEqual(together[i], alone);
  }
});

test('syslog headers: the program ends at "[pid]" or at the first ": ", whichever comes first', () => {
  const clock = new ClassicClock({ year: 2026 });
  const p = (l: string) => {
    const s = parseSyslog(l, clock);
    return s && [s.program, s.message];
  };
  assert.deepEqual(p('Dec  1 10:00:00 mx postfix/smtpd: warning: x'), ['postfix/smtpd', 'warning: x']);
  assert.deepEqual(p('Dec  1 10:00:00 mx postfix-out/smtp[12]: ABCDE12345: removed'), ['postfix-out/smtp', 'ABCDE12345: removed']);
  assert.deepEqual(p('Dec  1 10:00:00 mx kernel: [123.4] eth0: up'), ['kernel', '[123.4] eth0: up']);
  assert.deepEqual(p('Dec  1 10:00:00 mx postfix/submission/smtpd[7]: x: y'), ['postfix/submission/smtpd', 'x: y']);
  assert.equal(p('Dec  1 10:00:00 mx prog[12]'), undefined);
  assert.equal(p('Dec  1 10:00:00 mx prog:no-space'), undefined);
  // The postfix reader takes the service after the last "/" of the program.
  const events: MonitorEvent[] = [];
  const r = new PostfixReader({ year: 2026 });
  assert.equal(r.line('Dec  1 10:00:00 mx postfix/submission/smtpd[7]: ABCDE12345: client=a.example[192.0.2.1]', (e) => events.push(e)), LineResult.Parsed);
  assert.equal(r.line('Dec  1 10:00:00 mx smtpd[7]: ABCDE12346: client=a.example[192.0.2.1]', (e) => events.push(e)), LineResult.Ignored);
  r.finish((e) => events.push(e));
  assert.deepEqual(events.map((e) => e.queueId), ['ABCDE12345']);
});
