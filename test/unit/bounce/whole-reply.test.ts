import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wholeReply } from '../../../src/core/bounce/parse.js';

const transcript = `   ----- Transcript of session follows -----
... while talking to gmail-smtp-in.l.google.com.:
>>> DATA
<<< 552-5.7.0 This message was blocked because its content presents a potential
<<< 552-5.7.0 security issue. Please visit
<<< 552 5.7.0 content and attachment content guidelines. - gsmtp
554 5.0.0 Service unavailable
`;

test('wholeReply: a Diagnostic-Code cut after the first line of a multi-line reply is completed from the transcript', () => {
  assert.equal(
    wholeReply('552-5.7.0 This message was blocked because its content presents a potential', transcript),
    '552-5.7.0 This message was blocked because its content presents a potential 552-5.7.0 security issue. Please visit 552 5.7.0 content and attachment content guidelines. - gsmtp',
  );
  // complete already, or nothing to complete it from: unchanged
  assert.equal(wholeReply('550 5.1.1 User unknown', transcript), '550 5.1.1 User unknown');
  assert.equal(wholeReply('552-5.7.0 Something else', transcript), '552-5.7.0 Something else');
  assert.equal(wholeReply('', transcript), '');
});
