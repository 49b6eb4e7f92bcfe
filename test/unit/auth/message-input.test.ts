import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { headerValues, inspectMessage, receivedClientIp, returnPath } from '../../../src/core/auth/message-input.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/messages/auth/${name}`, import.meta.url));

function problem(buf: Buffer): string {
  const r = inspectMessage(buf);
  assert.equal(r.ok, false, 'expected the input to be rejected');
  return r.ok ? '' : r.problem;
}

test('bad input is rejected with a specific one-line reason', () => {
  const cases: [string, RegExp][] = [
    ['empty.eml', /empty/],
    ['whitespace-only.eml', /only white space/],
    ['binary-garbage.eml', /binary data in the header section \(byte 0x00 at offset 4\)/],
    ['no-headers.eml', /no header fields/],
    ['body-text-only.eml', /line 1 of the header section is not a header field \("Hello Bob,"/],
    ['truncated-header.eml', /truncated/],
    ['nul-in-header.eml', /binary data.*0x00/],
    ['continuation-first.eml', /continuation line/],
  ];
  for (const [file, re] of cases) {
    const p = problem(fixture(file));
    assert.match(p, re, file);
    assert.ok(!p.includes('\n'), `${file}: one line`);
  }
});

test('a file cut inside a folded header line with a trailing line break is still a (header-only) message', () => {
  const r = inspectMessage(Buffer.from('From: a@example.com\r\nSubject: one\r\n two\r\n'));
  assert.ok(r.ok);
  assert.equal(r.message.headerOnly, true);
  assert.equal(headerValues(r.message, 'subject')[0], 'one two');
  // the empty line mailauth needs to see the end of the header section
  assert.ok(r.message.raw.toString().endsWith('two\r\n\r\n'));
});

test('bare CR in a header line and a long non-header line are rejected; the long line is shortened', () => {
  assert.match(problem(Buffer.from('From: a@example.com\r\nSub\rject: x\r\n\r\nbody')), /bare CR/);
  const p = problem(Buffer.from(`${'x'.repeat(200)}\r\n\r\nbody`));
  assert.ok(p.length < 150);
  assert.match(p, /…/);
});

test('mbox From line, LF line endings and a BOM are tolerated; Return-Path and Received are read', () => {
  const r = inspectMessage(fixture('mbox-lf.eml'));
  assert.ok(r.ok);
  assert.ok(!r.message.raw.toString().startsWith('From alice'), 'mbox separator removed');
  assert.equal(returnPath(r.message), 'bounces@bounce.example.com');
  assert.equal(receivedClientIp(r.message), '192.0.2.20');
  assert.equal(headerValues(r.message, 'from')[0], 'Alice <alice@example.com>');

  const bom = inspectMessage(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('From: a@example.com\n\nx\n')]));
  assert.ok(bom.ok);
  assert.equal(bom.message.raw[0], 'F'.charCodeAt(0));
});

test('Return-Path: <> is the null sender; no Return-Path is undefined', () => {
  const a = inspectMessage(Buffer.from('Return-Path: <>\r\nFrom: a@example.com\r\n\r\nx'));
  assert.ok(a.ok);
  assert.equal(returnPath(a.message), '');
  const b = inspectMessage(Buffer.from('From: a@example.com\r\n\r\nx'));
  assert.ok(b.ok);
  assert.equal(returnPath(b.message), undefined);
  assert.equal(receivedClientIp(b.message), undefined);
});

test('UTF-8 header values (RFC 6532) and obsolete "Name :" syntax are accepted', () => {
  const r = inspectMessage(Buffer.from('From: Zoë <zoe@exämple.com>\r\nSubject : héllo\r\n\r\nx'));
  assert.ok(r.ok);
  assert.equal(headerValues(r.message, 'subject')[0], 'héllo');
});

test('RFC 2047 encoded-words are decoded for display; malformed ones are left alone', async () => {
  const { decodeEncodedWords } = await import('../../../src/core/auth/message-input.js');
  assert.equal(decodeEncodedWords('=?utf-8?q?Caf=C3=A9_au_lait?='), 'Café au lait');
  assert.equal(decodeEncodedWords('=?UTF-8?B?w6l0w6k=?= =?utf-8?q?_!?='), 'été !');
  assert.equal(decodeEncodedWords('=?iso-8859-1?q?na=EFve?= plain'), 'naïve plain');
  assert.equal(decodeEncodedWords('=?x-unknown-charset?q?abc?='), '=?x-unknown-charset?q?abc?=');
  assert.equal(decodeEncodedWords('no words here'), 'no words here');
});
