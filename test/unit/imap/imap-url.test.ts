import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imapUrl, parseImapUrl } from '../../../src/core/imap/imap-url.js';
import { parseSince } from '../../../src/cli/flags.js';

test('parseImapUrl: scheme decides implicit TLS and the default port; the mailbox defaults to INBOX', () => {
  assert.deepEqual(parseImapUrl('imaps://bounces@mail.example.com/INBOX'), { host: 'mail.example.com', port: 993, secure: true, user: 'bounces', mailbox: 'INBOX' });
  assert.deepEqual(parseImapUrl('imap://bounces@mail.example.com'), { host: 'mail.example.com', port: 143, secure: false, user: 'bounces', mailbox: 'INBOX' });
  assert.deepEqual(parseImapUrl('imaps://bounces%40example.com@[2001:db8::1]:1993/Bounces/2026%20Q4'), {
    host: '2001:db8::1',
    port: 1993,
    secure: true,
    user: 'bounces@example.com',
    mailbox: 'Bounces/2026 Q4',
  });
});

test('parseImapUrl: refuses passwords, missing users, other schemes, ;AUTH= and ;UID=', () => {
  for (const [u, re] of [
    ['imaps://u:p@h/INBOX', /must not carry a password/],
    ['imaps://h/INBOX', /has no user/],
    ['pop3://u@h/', /scheme must be/],
    ['not a url', /is not a URL/],
    ['imaps://u;AUTH=*@h/INBOX', /;AUTH= is not supported/],
    ['imaps://u@h/INBOX/;UID=4', /not a message/],
    ['imaps://u@h/INBOX?x=1', /only imap\[s\]:\/\/user@host/],
    ['imaps://u@h/%E0%A4%A', /bad percent-encoding/],
  ] as [string, RegExp][]) {
    const r = parseImapUrl(u);
    assert.ok('error' in r, u);
    assert.match(r.error, re, u);
  }
});

test('imapUrl round-trips and names one message with ;UID= (RFC 5092)', () => {
  const t = parseImapUrl('imaps://bounces%40example.com@mail.example.com:993/Bounces/2026%20Q4');
  assert.ok(!('error' in t));
  assert.equal(imapUrl(t), 'imaps://bounces%40example.com@mail.example.com/Bounces/2026%20Q4');
  assert.equal(imapUrl(t, 42), 'imaps://bounces%40example.com@mail.example.com/Bounces/2026%20Q4/;UID=42');
  assert.deepEqual(parseImapUrl(imapUrl(t)), t);
  const v6 = parseImapUrl('imap://u@[::1]:1143/INBOX');
  assert.ok(!('error' in v6));
  assert.equal(imapUrl(v6), 'imap://u@[::1]:1143/INBOX');
});

test('parseSince: a duration back from now, or a date / date-time no later than now', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  assert.equal(parseSince('7d', '--since', now).toISOString(), '2026-11-24T12:00:00.000Z');
  assert.equal(parseSince('12h', '--since', now).toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(parseSince('2026-11-30', '--since', now).toISOString(), '2026-11-30T00:00:00.000Z');
  assert.equal(parseSince('2026-11-30T08:00:00Z', '--since', now).toISOString(), '2026-11-30T08:00:00.000Z');
  assert.throws(() => parseSince('2026-12-02', '--since', now), /is in the future/);
  assert.throws(() => parseSince('2026-13-40', '--since', now), /is not a valid date/);
  assert.throws(() => parseSince('last week', '--since', now), /neither a duration .* nor a date/);
  assert.throws(() => parseSince('0s', '--since', now), /must be more than 0/);
});
