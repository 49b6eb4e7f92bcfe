/** Decoder rules that follow from a report's structure rather than from a reply's wording. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBounce } from '../../../src/core/bounce/parse.js';

function dsn(fields: string, human = 'The message could not be delivered.'): Buffer {
  return Buffer.from(
    [
      'From: MAILER-DAEMON@mx.example.org',
      'To: sender@example.com',
      'Subject: Returned mail: see transcript for details',
      'Message-ID: <dsn-1@mx.example.org>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      human,
      '',
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.org',
      '',
      fields,
      '',
      '--b--',
      '',
    ].join('\r\n'),
  );
}

test('a local program that failed (X-Unix diagnostic, |program actual recipient) is mailererror', () => {
  const a = parseBounce(dsn('Final-Recipient: RFC822; neko@example.org\r\nX-Actual-Recipient: X-Unix; |/usr/local/bin/filter\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: X-Unix; 71'), 'a');
  assert.equal(a.results[0]?.reason, 'mailererror');
  const b = parseBounce(dsn('Final-Recipient: RFC822; neko@example.org\r\nX-Actual-Recipient: RFC822; |exec /usr/bin/procmail\r\nAction: failed\r\nStatus: 5.5.0'), 'b');
  assert.equal(b.results[0]?.reason, 'mailererror');
});

test('"User unknown" with no command named and no X.1.1 status is filtered; with X.1.1 or at RCPT it is an unknown user', () => {
  const unknownCommand = parseBounce(dsn('Final-Recipient: RFC822; neko@example.org\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 550 User unknown'), 'c');
  assert.deepEqual([unknownCommand.results[0]?.reason, unknownCommand.results[0]?.hard], ['filtered', false]);
  const x11 = parseBounce(dsn('Final-Recipient: RFC822; neko@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 User unknown'), 'd');
  assert.deepEqual([x11.results[0]?.reason, x11.results[0]?.hard], ['userunknown', true]);
  const rcpt = parseBounce(dsn('Final-Recipient: RFC822; neko@example.org\r\nAction: failed\r\nStatus: 5.0.0\r\nDiagnostic-Code: smtp; 550 User unknown', 'host mx.example.org said: 550 User unknown (in reply to RCPT TO command)'), 'e');
  assert.equal(rcpt.results[0]?.reason, 'userunknown');
});

test("PowerMTA's X-PowerMTA-BounceCategory is the MTA's own verdict: bad-mailbox is an unknown user, and suppressed", () => {
  const m = parseBounce(dsn('Final-Recipient: rfc822; neko@example.jp\r\nAction: failed\r\nStatus: 5.2.1\r\nDiagnostic-Code: smtp; 550 5.2.1 <neko@example.jp>... User Unknown\r\nX-PowerMTA-BounceCategory: bad-mailbox'), 'p');
  assert.deepEqual([m.results[0]?.reason, m.results[0]?.hard, m.results[0]?.suppress], ['userunknown', true, true]);
  // without the category the same reply with 5.2.1 and no command is the recipient's filter
  const plain = parseBounce(dsn('Final-Recipient: rfc822; neko@example.jp\r\nAction: failed\r\nStatus: 5.2.1\r\nDiagnostic-Code: smtp; 550 5.2.1 <neko@example.jp>... User Unknown'), 'q');
  assert.equal(plain.results[0]?.reason, 'filtered');
});

test('a quoted local part stays whole in Final-Recipient (RFC 5321 §4.1.2)', () => {
  const m = parseBounce(dsn('Final-Recipient: rfc822; "neko..nyaan."@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown'), 'r');
  assert.equal(m.results[0]?.recipient, '"neko..nyaan."@example.org');
});

test("Gmail's \"(state N)\" gives the reason when the quoted reply's status has nothing more specific", () => {
  const notice = (reply: string) =>
    Buffer.from(
      [
        'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
        'To: sender@gmail.com',
        'Subject: Delivery Status Notification (Failure)',
        '',
        'Delivery to the following recipient failed permanently:',
        '',
        '     neko@example.co.jp',
        '',
        'Technical details of permanent failure:',
        'Google tried to deliver your message, but it was rejected by the recipient domain. The error that the other server returned was:',
        reply,
        '',
      ].join('\r\n'),
    );
  assert.equal(parseBounce(notice('554 554 5.7.0 Header error (state 18).'), 'g1').results[0]?.reason, 'filtered');
  assert.equal(parseBounce(notice('500 Remote server does not support TLS (state 6).'), 'g2').results[0]?.reason, 'systemerror');
  // a specific status in the reply decides
  assert.equal(parseBounce(notice('550 550 5.2.2 <neko@example.co.jp>... Mailbox Full (state 14).'), 'g3').results[0]?.reason, 'mailboxfull');
});

test('recipients written in one block without blank lines between them (AOL) are each read', () => {
  const m = parseBounce(
    dsn(
      'Final-Recipient: rfc822; sabineko@example.jp\r\nOriginal-Recipient: rfc822;sabineko@example.jp\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 550 5.2.2 <sabineko@example.jp>... Mailbox Full\r\n' +
        'Final-Recipient: rfc822; mikeneko@example.jp\r\nOriginal-Recipient: rfc822;mikeneko@example.jp\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 <mikeneko@example.jp>... User Unknown',
    ),
    'aol',
  );
  assert.deepEqual(m.results.map((r) => [r.recipient, r.reason, r.status]), [
    ['sabineko@example.jp', 'mailboxfull', '5.2.2'],
    ['mikeneko@example.jp', 'userunknown', '5.1.1'],
  ]);
});

test('squeeze: white space folded and cut, the same whether or not only the start of a long text is read', async () => {
  const { squeeze } = await import('../../../src/core/bounce/text-bounce.js');
  const long = `  a \n\n b${' \t\n'.repeat(5000)}c ${'word '.repeat(3000)}`;
  const whole = (t: string, max: number) => t.replace(/\s+/g, ' ').trim().slice(0, max);
  // every character RegExp \s and trim() take for white space (NBSP, ideographic space, BOM, LS/PS, …), and some they do not
  const spaces = '\t\n\v\f\r \u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';
  const mixed = `${spaces}Mailbox${spaces}full\u200b(zero width)\u0085next${spaces}`;
  const cases: [string, number][] = [[long, 2000], [long, 10], ['  x  ', 500], [' '.repeat(9000) + 'y', 3], ['z'.repeat(5000), 2000], ['', 5], [spaces, 5], [mixed, 500], [mixed, 8], [mixed, 7], ['ab  cd', 3], ['ab  cd', 2]];
  for (const [t, max] of cases) assert.equal(squeeze(t, max), whole(t, max), JSON.stringify([t.slice(0, 40), max]));
});

test('an Amazon SES notification inside SNS\'s JSON envelope (the "Message" string) is read like a bare one', () => {
  const notification = { notificationType: 'Bounce', bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'gone@example.net', action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' }], reportingMTA: 'dsn; a1.smtp-out.example.com' }, mail: { messageId: 'm-1', commonHeaders: { from: ['me@example.com'], subject: 'Hi' } } };
  const envelope = JSON.stringify({ Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:us-west-2:1:t', Message: JSON.stringify(notification) }, null, 2);
  const raw = Buffer.from(['From: AWS Notifications <no-reply@sns.amazonaws.com>', 'To: bounces@example.com', 'Subject: AWS Notification Message', 'Message-ID: <sns-1@example.com>', 'Content-Type: text/plain; charset=UTF-8', '', envelope, ''].join('\n'));
  const m = parseBounce(raw, 'sns.eml');
  assert.equal(m.kind, 'bounce');
  assert.equal(m.format, 'AmazonSES');
  assert.deepEqual(m.results.map((r) => [r.recipient, r.reason, r.status, r.hard]), [['gone@example.net', 'userunknown', '5.1.1', true]]);
});
