import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReply, parseReply, parseReplyLine, readReplies, replyClass, ReplySyntaxError, splitEnhancedCode, tryParseReply } from '../../../src/core/smtp/reply.js';

test('single-line replies: code, text, optional final line break, bare code', () => {
  assert.deepEqual(parseReply('250 OK'), { code: 250, lines: ['OK'], text: 'OK' });
  assert.deepEqual(parseReply('250 OK\r\n'), { code: 250, lines: ['OK'], text: 'OK' });
  assert.deepEqual(parseReply('354'), { code: 354, lines: [''], text: '' });
  assert.deepEqual(parseReply('220\tmx.example.test ESMTP'), { code: 220, lines: ['mx.example.test ESMTP'], text: 'mx.example.test ESMTP' });
});

test('multi-line replies keep every line; CRLF and LF both end lines', () => {
  const r = parseReply('250-mx.example.test hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n');
  assert.equal(r.code, 250);
  assert.deepEqual(r.lines, ['mx.example.test hello', 'PIPELINING', 'SIZE 1000', 'STARTTLS']);
  assert.equal(r.text, 'mx.example.test hello\nPIPELINING\nSIZE 1000\nSTARTTLS');
  assert.deepEqual(parseReply('250-a\n250 b').lines, ['a', 'b']);
  assert.deepEqual(parseReply('250-\r\n250 last').lines, ['', 'last'], 'an empty continuation line is allowed');
});

test('enhanced status codes (RFC 3463) are split off, on every line of a multi-line reply', () => {
  const r = parseReply('450-4.2.0 <a@b>: Recipient address rejected:\r\n450 4.2.0 Greylisted, see http://example/');
  assert.equal(r.enhanced, '4.2.0');
  assert.deepEqual(r.lines, ['<a@b>: Recipient address rejected:', 'Greylisted, see http://example/']);
  assert.equal(parseReply('250 2.1.5 Ok').enhanced, '2.1.5');
  assert.equal(parseReply('550 5.7.1').enhanced, '5.7.1');
  assert.equal(parseReply('550 5.7.1').text, '');
  assert.equal(parseReply('421 4.7.500 Server busy').enhanced, '4.7.500');
});

test('an enhanced-looking prefix that disagrees with the reply code, or is malformed, stays text', () => {
  const mismatch = parseReply('250 5.7.1 odd server');
  assert.equal(mismatch.enhanced, undefined, 'class 5 on a 250 reply is not an enhanced code');
  assert.equal(mismatch.text, '5.7.1 odd server');
  assert.equal(parseReply('250 2.01.0 leading zero').enhanced, undefined, 'RFC 3463 §2: no leading zeros');
  assert.equal(parseReply('250 2.1000.0 four digits').enhanced, undefined);
  assert.equal(parseReply('250 3.1.0 class 3 does not exist').enhanced, undefined);
  assert.equal(parseReply('250 2.1.5x glued').enhanced, undefined, 'the code must be followed by a space or the end');
  assert.deepEqual(splitEnhancedCode(450, '4.2.0  two spaces'), { enhanced: '4.2.0', text: 'two spaces' });
});

test('a continuation line whose enhanced code differs keeps its prefix as text', () => {
  const r = parseReply('550-5.1.1 first\r\n550 5.7.1 second');
  assert.equal(r.enhanced, '5.1.1');
  assert.deepEqual(r.lines, ['first', '5.7.1 second']);
});

test('malformed replies throw ReplySyntaxError (garbage, mixed codes, truncated, extra lines, empty)', () => {
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['hello there', /not an SMTP reply line/],
    ['<html>\r\n', /not an SMTP reply line/],
    ['250-a\r\n251 b', /has code 251/],
    ['250-a\r\n250-b', /continuation line \(truncated\)/],
    ['250 a\r\n250 b', /ends the reply but more lines follow/],
    ['2500 too long', /not an SMTP reply line/],
    ['099 low', /not an SMTP reply line/],
    ['600 high', /not an SMTP reply line/],
    ['25 short', /not an SMTP reply line/],
    ['\x16\x03\x01\x00\xa5', /not an SMTP reply line/],
  ];
  for (const [raw, msg] of bad) {
    assert.throws(() => parseReply(raw), (e: unknown) => e instanceof ReplySyntaxError && msg.test(e.message), JSON.stringify(raw));
    assert.equal(tryParseReply(raw), undefined);
  }
});

test('parseReplyLine tells continuation from final lines', () => {
  assert.deepEqual(parseReplyLine('250-PIPELINING'), { code: 250, more: true, text: 'PIPELINING' });
  assert.deepEqual(parseReplyLine('250 OK\r'), { code: 250, more: false, text: 'OK' });
  assert.equal(parseReplyLine('OK 250'), undefined);
});

test('readReplies splits a stream into complete replies and keeps the incomplete rest', () => {
  const { replies, rest } = readReplies('220 hi\r\n250-a\r\n250 b\r\n250-partial\r\n250 no newline');
  assert.deepEqual(replies.map((r) => [r.code, r.lines]), [
    [220, ['hi']],
    [250, ['a', 'b']],
  ]);
  assert.equal(rest, '250-partial\r\n250 no newline');
  assert.deepEqual(readReplies(''), { replies: [], rest: '' });
  assert.throws(() => readReplies('220 ok\r\ngarbage\r\n'), ReplySyntaxError);
});

test('replyClass follows the first digit (RFC 5321 §4.2.1) and formatReply makes one line', () => {
  assert.equal(replyClass(250), 'positive');
  assert.equal(replyClass(354), 'intermediate');
  assert.equal(replyClass(451), 'transient');
  assert.equal(replyClass(554), 'permanent');
  assert.equal(formatReply(parseReply('450-4.2.0 a\r\n450 4.2.0 b')), '450 4.2.0 a b');
  assert.equal(formatReply({ code: 250, enhanced: null, text: '' }), '250');
});
