import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEnhancedCode, splitEnhanced } from '../../../src/core/smtp/enhanced-codes.js';

test('enhanced codes are explained by class and detail (RFC 3463)', () => {
  assert.match(describeEnhancedCode('4.2.2')!, /^persistent transient failure.*: mailbox full$/);
  assert.match(describeEnhancedCode('5.1.1')!, /^permanent failure.*mailbox does not exist/);
  assert.match(describeEnhancedCode('5.7.26')!, /multiple authentication checks failed/);
  // an unregistered detail falls back to the subject
  assert.match(describeEnhancedCode('4.4.99')!, /network and routing status$/);
  assert.match(describeEnhancedCode('5.9.1')!, /unknown status$/);
});

test('malformed codes are not explained', () => {
  for (const bad of ['', '3.1.1', '5.1', '5.1.1.1', 'x.1.1', '5.1000.1']) {
    assert.equal(describeEnhancedCode(bad), undefined, bad);
  }
  assert.deepEqual(splitEnhanced('2.0.0'), { class: 2, subject: 0, detail: 0 });
});
