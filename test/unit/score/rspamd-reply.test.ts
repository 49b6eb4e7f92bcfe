import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkv2Problem, normaliseCheckv2 } from '../../../src/core/score/rspamd-reply.js';

test('a /checkv2 reply is normalised; symbols sorted by impact, then by name', () => {
  const r = normaliseCheckv2({
    is_skipped: false,
    score: 5.2,
    required_score: 15,
    action: 'greylist',
    symbols: {
      B_ZERO: { name: 'B_ZERO', score: 0, metric_score: 0 },
      A_ZERO: { name: 'A_ZERO', score: 0, metric_score: 0, options: ['x', 3] },
      NEG: { name: 'NEG', score: -3, metric_score: -3, description: 'negative' },
      POS: { name: 'POS', score: 3, metric_score: 3, description: 'positive' },
      BIG: { name: 'BIG', score: 4.5, metric_score: 2 },
      NONAME: { score: 1 },
      JUNK: 'not an object',
    },
    messages: { smtp_message: 'hi', other: 5 },
    'message-id': 'm1@example.com',
    time_real: 0.01,
    milter: {},
  });
  assert.deepEqual(
    r.symbols.map((s) => [s.name, s.score]),
    [['BIG', 4.5], ['POS', 3], ['NEG', -3], ['NONAME', 1], ['A_ZERO', 0], ['B_ZERO', 0]],
  );
  assert.deepEqual(r.symbols.find((s) => s.name === 'A_ZERO')!.options, ['x', '3']);
  assert.equal(r.symbols.find((s) => s.name === 'POS')!.description, 'positive');
  assert.equal(r.symbols.find((s) => s.name === 'BIG')!.description, undefined);
  assert.deepEqual(r.messages, { smtp_message: 'hi' });
  assert.equal(r.messageId, 'm1@example.com');
  assert.equal(r.requiredScore, 15);
});

test('replies that are not /checkv2 results are named', () => {
  assert.match(checkv2Problem([])!, /not a JSON object/);
  assert.match(checkv2Problem(null)!, /not a JSON object/);
  assert.match(checkv2Problem({ error: 'invalid command', error_domain: 'protocol-error' })!, /Rspamd reported an error: invalid command/);
  assert.match(checkv2Problem({ required_score: 15, action: 'no action', symbols: {} })!, /score/);
  assert.match(checkv2Problem({ score: 'high', required_score: 15, action: 'x' })!, /score/);
  assert.match(checkv2Problem({ score: 1, action: 'x' })!, /required_score/);
  assert.match(checkv2Problem({ score: 1, required_score: 15 })!, /action/);
  assert.match(checkv2Problem({ score: 1, required_score: 15, action: 'x', symbols: [] })!, /symbols/);
  assert.equal(checkv2Problem({ score: 0, required_score: 15, action: 'no action' }), undefined);
  assert.deepEqual(normaliseCheckv2({ score: 0, required_score: 15, action: 'no action' }).symbols, []);
});
