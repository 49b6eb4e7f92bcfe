import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertMessage } from '../../../src/core/score/message.js';
import { notAMessageReason } from '../../../src/core/score/message-check.js';
import { UsageError } from '../../../src/core/errors.js';
import { eml } from './craft.js';

/** Deterministic pseudo-random bytes (a linear congruential generator): garbage without flakiness. */
function garbage(n: number, seed = 42): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >> 16;
  }
  return b;
}

test('messages are accepted: CRLF, LF, an mbox From line, obsolete WSP before the colon', () => {
  assert.equal(notAMessageReason(Buffer.from(eml({}, 'hi'))), undefined);
  assert.equal(notAMessageReason(Buffer.from(eml({}, 'hi').replace(/\r\n/g, '\n'))), undefined);
  assert.equal(notAMessageReason(Buffer.from(`From sender@example.com Thu Nov 27 10:00:00 2025\n${eml({}, 'hi')}`)), undefined);
  assert.equal(notAMessageReason(Buffer.from('Subject : hi\r\n\r\nbody')), undefined);
  // headers only, no body
  assert.equal(notAMessageReason(Buffer.from('From: a@example.com\r\nTo: b@example.net\r\n')), undefined);
  // a message with binary attachments is still a message: only the header section is judged
  assert.equal(notAMessageReason(Buffer.concat([Buffer.from(eml({}, '')), garbage(4096)])), undefined);
});

test('empty, whitespace, binary garbage, images, plain text and JSON are not messages', () => {
  assert.match(notAMessageReason(Buffer.alloc(0))!, /empty/);
  assert.match(notAMessageReason(Buffer.from(' \r\n\t\n'))!, /whitespace/);
  for (const seed of [1, 2, 3, 4, 5]) assert.ok(notAMessageReason(garbage(2048, seed)), `garbage seed ${seed}`);
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), garbage(512)]);
  assert.ok(notAMessageReason(png));
  assert.match(notAMessageReason(Buffer.from('Dear Bob,\nthis is just a letter.\n'))!, /header field/);
  assert.match(notAMessageReason(Buffer.from('{"from": "a@example.com"}'))!, /header field|message header/);
  assert.match(notAMessageReason(Buffer.from('Foo: bar\r\nBaz: qux\r\n\r\nbody'))!, /no message header/);
  assert.match(notAMessageReason(Buffer.from('From: a@example.com\0\0\0\r\n\r\n'))!, /NUL/);
  // a header-like first line followed by binary
  assert.match(notAMessageReason(Buffer.concat([Buffer.from('From: a@example.com\r\n'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8])]))!, /binary/);
});

test('assertMessage throws a UsageError naming the file', () => {
  assert.throws(
    () => assertMessage(Buffer.alloc(0), 'templates/welcome.eml'),
    (e: unknown) => e instanceof UsageError && /^templates\/welcome\.eml: not an email message: the file is empty/.test(e.message),
  );
});
