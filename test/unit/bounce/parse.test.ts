import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseBounce } from '../../../src/core/bounce/parse.js';
import { splitMbox } from '../../../src/core/bounce/sources.js';
import { parseDeliveryStatus, addressValue } from '../../../src/core/bounce/rfc3464.js';

const fixture = (p: string) => readFileSync(new URL(`../../fixtures/bounces/${p}`, import.meta.url));

test('RFC 6533 message/global-delivery-status with UTF-8 local parts parses', () => {
  const a = parseBounce(fixture('rfc6533/lhost-postfix-06-global.eml'), 'a.eml');
  assert.equal(a.kind, 'bounce');
  assert.equal(a.results[0]!.recipient, 'ñeko-猫@neko.example.jp');
  assert.equal(a.results[0]!.status, '5.4.4');
  const b = parseBounce(fixture('rfc6533/rfc3464-03-global.eml'), 'b.eml');
  assert.equal(b.kind, 'bounce');
  assert.equal(b.format, 'RFC6533');
  assert.equal(b.results[0]!.recipient, 'kïjitora@example.com');
});

test('DSN fields: address types, RFC 6533 \\x{HEX} escapes, per-recipient blocks', () => {
  assert.equal(addressValue('utf-8; j\\x{00FC}rgen@example.de'), 'jürgen@example.de');
  assert.equal(addressValue('rfc822; <bob@example.com>'), 'bob@example.com');
  const r = parseDeliveryStatus('Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\nRemote-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; b@example.com\nAction: delayed\nStatus: 4.2.2\n');
  assert.equal(r.reportingMta, 'mx.example.com');
  assert.deepEqual(r.recipients.map((x) => [x.finalRecipient, x.action, x.status, x.diagnostic, x.remoteMta]), [
    ['a@example.com', 'failed', '5.1.1', '550 5.1.1 no such user', 'mx.example.org'],
    ['b@example.com', 'delayed', '4.2.2', '', ''],
  ]);
});

test('a hard bounce is suppressed, mailbox full is soft', () => {
  const m = parseBounce(fixture('eml/lhost-exim-02.eml'), 'x');
  assert.equal(m.format, 'Exim');
  assert.deepEqual(m.results.map((r) => [r.recipient, r.reason, r.hard, r.replyCode, r.suppress]), [
    ['kijitora@example.jp', 'userunknown', true, '550', true],
    ['sabatora@example.jp', 'userunknown', true, '550', true],
  ]);
  const y = parseBounce(fixture('eml/lhost-yahoo-02.eml'), 'y');
  assert.equal(y.results[0]!.reason, 'mailboxfull');
  assert.equal(y.results[0]!.hard, false);
  assert.equal(y.results[0]!.suppress, false);
});

test('ARF: feedback type, user agent, source IP; the reported recipient', () => {
  const m = parseBounce(fixture('eml/arf-01.eml'), 'arf');
  assert.equal(m.kind, 'feedback');
  assert.equal(m.format, 'ARF');
  assert.equal(m.results[0]!.feedbackType, 'abuse');
  assert.equal(m.results[0]!.sourceIp, '192.0.2.89');
  assert.equal(m.results[0]!.recipient, 'redacted@example.net');
});

const msg = (headers: string, body = 'Hello.\n') => Buffer.from(`${headers}\nMessage-ID: <x@example.com>\n\n${body}`);

test('auto-replies: RFC 3834, X-Autoreply, subjects in several languages; X-Auto-Response-Suppress alone is not one', () => {
  for (const h of [
    'From: Bob <bob@example.com>\nSubject: Re: hi\nAuto-Submitted: auto-replied',
    'From: bob@example.com\nSubject: hi\nX-Autoreply: yes',
    'From: bob@example.com\nSubject: Automatische Antwort: Angebot',
    'From: bob@example.com\nSubject: Réponse automatique : devis',
    'From: bob@example.com\nSubject: Risposta automatica: ciao',
    'From: bob@example.com\nSubject: Automatisch antwoord: offerte',
    'From: bob@example.com\nSubject: Respuesta automática: hola',
    'From: bob@example.com\nSubject: Resposta automática: olá',
    'From: bob@example.com\nSubject: =?UTF-8?B?6Ieq5YuV6L+U5L+hOiDjgZPjgpPjgavjgaHjga8=?=',
  ]) {
    const m = parseBounce(msg(h), 't');
    assert.equal(m.kind, 'auto-reply', h);
    assert.equal(m.results[0]!.reason, 'vacation');
    assert.equal(m.results[0]!.recipient, 'bob@example.com');
    assert.equal(m.results[0]!.suppress, false);
  }
  const plain = parseBounce(msg('From: bob@example.com\nSubject: the quarterly numbers\nX-Auto-Response-Suppress: All'), 't');
  assert.equal(plain.kind, 'not-bounce');
  assert.deepEqual(plain.results, []);
});

test('never throws: empty, binary and broken input is unreadable with a reason', () => {
  for (const raw of [Buffer.alloc(0), Buffer.from([0, 1, 2, 3, 0, 0, 255]), Buffer.from('just some words\nno headers\n')]) {
    const m = parseBounce(raw, 'bad');
    assert.equal(m.kind, 'unreadable');
    assert.match(m.error ?? '', /not an email message/);
  }
  const broken = parseBounce(Buffer.from('From: MAILER-DAEMON@example.com\nSubject: Undelivered Mail\nContent-Type: multipart/report; boundary="nope"\nContent-Transfer-Encoding: base64\n\n%%%%\n--nope\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.1.1\n'), 'b');
  assert.equal(broken.kind, 'bounce');
  assert.equal(broken.results[0]!.recipient, 'x@example.org');
});

test('CRLF copies give the same results as LF', () => {
  const lf = parseBounce(fixture('eml/lhost-postfix-06.eml'), 'x');
  const crlf = parseBounce(Buffer.from(fixture('eml/lhost-postfix-06.eml').toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1'), 'x');
  assert.deepEqual(crlf.results.map((r) => [r.recipient, r.reason, r.status]), lf.results.map((r) => [r.recipient, r.reason, r.status]));
});

test('mbox: From_ lines split messages, >From lines are unescaped', async () => {
  const mbox = 'From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nSubject: one\n\nbody\n>From here\n>>From there\n\nFrom b@example.com Mon Jan  1 00:00:00 2024\r\nFrom: b@example.com\r\nSubject: two\r\n\r\nsecond\r\n';
  const out = [];
  for await (const m of splitMbox([Buffer.from(mbox.slice(0, 50)), Buffer.from(mbox.slice(50))], 'box')) out.push(m);
  assert.deepEqual(out.map((m) => m.file), ['box#1', 'box#2']);
  assert.equal(Buffer.from(out[0]!.raw).toString(), 'From: a@example.com\nSubject: one\n\nbody\nFrom here\n>From there\n');
  assert.equal(Buffer.from(out[1]!.raw).toString(), 'From: b@example.com\nSubject: two\n\nsecond\n');
});

test('Amazon SES notifications (JSON over SNS): bounce, complaint, delivery', () => {
  const b = parseBounce(fixture('eml/lhost-amazonses-09.eml'), 'ses');
  assert.deepEqual([b.kind, b.format, b.results[0]!.recipient, b.results[0]!.reason, b.results[0]!.status, b.results[0]!.hard], ['bounce', 'AmazonSES', 'bounce@simulator.amazonses.com', 'userunknown', '5.1.1', true]);
  const c = parseBounce(fixture('eml/lhost-amazonses-11.eml'), 'ses');
  assert.deepEqual([c.kind, c.results[0]!.recipient, c.results[0]!.reason], ['feedback', 'complaint@simulator.amazonses.com', 'feedback']);
  const d = parseBounce(fixture('eml/lhost-amazonses-12.eml'), 'ses');
  assert.deepEqual([d.results[0]!.reason, d.results[0]!.status], ['delivered', '2.6.0']);
});

test('a Hotmail complaint without a feedback-report part is feedback for X-HmXmrOriginalRecipient', () => {
  const m = parseBounce(fixture('eml/arf-23.eml'), 'hm');
  assert.deepEqual([m.kind, m.results[0]!.recipient, m.results[0]!.feedbackType], ['feedback', 'kijitora@example.com', 'abuse']);
});
