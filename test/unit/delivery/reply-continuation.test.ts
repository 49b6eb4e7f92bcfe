import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, withoutContinuationCodes } from '../../../src/core/delivery/classify.js';

test('withoutContinuationCodes: the repeats of a multi-line reply\'s code go, the first stays', () => {
  assert.equal(
    withoutContinuationCodes('550-5.7.1 [192.0.2.1 13] messages with multiple 550-5.7.1 addresses in from: header 550 5.7.1 are not accepted.'),
    '550-5.7.1 [192.0.2.1 13] messages with multiple addresses in from: header are not accepted.',
  );
  assert.equal(withoutContinuationCodes('host said: 452 4.2.2 over quota'), 'host said: 452 4.2.2 over quota');
  // another code in the text is not a continuation of the first
  assert.equal(withoutContinuationCodes('550 5.1.1 unknown; earlier 421 4.4.2 timeout'), '550 5.1.1 unknown; earlier 421 4.4.2 timeout');
});

test('classify: phrases split across a multi-line reply are found; au (KDDI)\'s address-less "550 : User unknown" is filtered', () => {
  assert.equal(classify({ code: 550, enhanced: '5.7.1', text: '550-5.7.1 Messages with multiple 550-5.7.1 addresses in From: header are not accepted.' }).reason, 'notcompliantrfc');
  assert.equal(classify({ code: 550, enhanced: '5.2.1', text: '550-5.2.1 The user you are trying to contact is receiving mail at a rate that 550-5.2.1 prevents additional messages from being delivered.' }).reason, 'speeding');
  assert.equal(classify({ code: 550, text: '550 : User unknown' }).reason, 'filtered');
  assert.equal(classify({ code: 550, text: '550 <kijitora@ezweb.ne.jp>: User unknown', stage: 'rcpt' }).reason, 'userunknown');
});
