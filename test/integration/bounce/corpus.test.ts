/**
 * `bounce parse` against Sisimai v5.1's verdicts on its own corpus of real bounces, feedback-loop
 * reports and auto-replies (test/fixtures/bounces/, BSD-2-Clause, see SOURCES.md and NOTICE there):
 * every message parsed from its bytes, every (message, recipient) record compared field by field.
 *
 * Targets: reason ≥ 97%, recipient ≥ 99%, status ≥ 97%, hard ≥ 99%, all met; the test asserts
 * them. Status: Sisimai writes its own internal code (X.0.9NN) when a message gives none; we
 * report "" there, and the two count as agreeing (corpus-agreement.ts SISIMAI_INTERNAL_STATUS).
 * Run with BOUNCE_CORPUS_VERBOSE=1 to print every disagreement.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { agreement, FIXTURES } from './corpus-agreement.js';

const TARGET = { reason: 0.97, recipient: 0.99, status: 0.97, hard: 0.99 } as const;

const a = agreement();

test('corpus: per-field agreement with Sisimai v5.1', () => {
  const lines = Object.entries(a.stats).map(([f, s]) => `  ${f.padEnd(9)} ${s.agreed}/${s.counted} = ${((100 * s.agreed) / s.counted).toFixed(1)}% (target ${TARGET[f as keyof typeof TARGET] * 100}%${s.allowed ? `; ${s.allowed} on the allow-list` : ''})`);
  console.log(`bounce parse vs Sisimai v5.1 over ${a.messages} messages:\n${lines.join('\n')}`);
  if (process.env.BOUNCE_CORPUS_VERBOSE) console.log(a.disagreements.join('\n'));
  for (const [f, s] of Object.entries(a.stats)) {
    const rate = s.agreed / s.counted;
    assert.ok(s.counted > 400, `${f}: too few records counted (${s.counted})`);
    assert.ok(rate >= TARGET[f as keyof typeof TARGET], `${f}: ${(rate * 100).toFixed(1)}% fell below the target ${TARGET[f as keyof typeof TARGET] * 100}%:\n${a.disagreements.filter((d) => d.startsWith(f)).join('\n')}`);
  }
});

test('corpus: no result for the messages that are not bounces', () => {
  assert.deepEqual(a.notBounce, []);
});

test('corpus: every message of the folder parses without throwing', () => {
  const n = readdirSync(new URL('eml/', FIXTURES)).filter((f) => f.endsWith('.eml')).length + readdirSync(new URL('eml/crlf/', FIXTURES)).length;
  assert.ok(a.messages > 390 && a.messages <= n, `${a.messages} of ${n}`);
});
