import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionFor, builtinVerdict } from '../../../src/core/score/lint.js';
import { fixFirst } from '../../../src/core/score/fix-first.js';
import type { Finding } from '../../../src/core/types.js';

const f = (code: string, severity: Finding['severity'] = 'warning', extra: Partial<Finding> = {}): Finding =>
  ({ code, severity, check: 'x', message: `${code} message`, fix: `${code} fix`, ...extra }) as Finding;

test('built-in score: one symbol per code at its heaviest; executables weigh 4; Rspamd action thresholds', () => {
  const v = builtinVerdict([
    f('LINT_ATTACHMENT_BLOCKED', 'warning'),
    f('LINT_ATTACHMENT_BLOCKED', 'error'),
    f('LINT_MISSING_MESSAGE_ID'),
    f('LINT_NO_TEXT_PART'),
    f('LINT_NO_TEXT_PART'),
    f('LINT_HTML_CLIPPED', 'info'),
  ]);
  assert.deepEqual(v.symbols.map((s) => [s.name, s.score]), [
    ['LINT_ATTACHMENT_BLOCKED', 4],
    ['LINT_MISSING_MESSAGE_ID', 2.5],
    ['LINT_NO_TEXT_PART', 0.2],
    ['LINT_HTML_CLIPPED', 0],
  ]);
  assert.equal(v.score, 6.7);
  assert.equal(v.action, 'add header');
  assert.equal(v.requiredScore, 15);
  assert.equal(v.symbols[0]!.options.length, 2);
  assert.deepEqual(builtinVerdict([]), { score: 0, requiredScore: 15, action: 'no action', symbols: [] });
  assert.deepEqual([0, 3.99, 4, 6, 14.9, 15, 40].map(actionFor), ['no action', 'no action', 'greylist', 'add header', 'add header', 'reject', 'reject']);
});

test('what to fix first: most points first, advice from the table or the description, lint not repeated', () => {
  const symbols = [
    { name: 'UNKNOWN_NO_DESC', score: 9, options: [] },
    { name: 'MISSING_MID', score: 2.5, description: 'Message id is missing', options: [] },
    { name: 'CUSTOM_RULE', score: 1.5, description: 'A local rule', options: [] },
    { name: 'DMARC_POLICY_ALLOW', score: -0.5, description: 'DMARC permit policy', options: [] },
    { name: 'ARC_NA', score: 0, options: [] },
  ];
  const items = fixFirst(symbols, [f('LINT_MISSING_MESSAGE_ID'), f('LINT_ATTACHMENT_BLOCKED', 'error'), f('LINT_HTML_CLIPPED', 'info'), f('DNS_TIMEOUT', 'error')]);
  assert.deepEqual(items.map((i) => [i.name, i.source, i.points]), [
    ['LINT_ATTACHMENT_BLOCKED', 'lint', 4],
    ['MISSING_MID', 'rspamd', 2.5],
    ['CUSTOM_RULE', 'rspamd', 1.5],
  ]);
  assert.match(items[1]!.advice, /Message-ID/);
  assert.equal(items[2]!.advice, 'A local rule.');
  assert.equal(fixFirst(Array.from({ length: 9 }, (_, i) => ({ name: `S${i}`, score: i + 1, description: 'd', options: [] })), []).length, 5);
});
