import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeFor, parseFailOn } from '../../../src/core/policy.js';
import { parseDuration } from '../../../src/core/duration.js';
import { UsageError } from '../../../src/core/errors.js';
import { FINDING_CODES } from '../../../src/core/finding-codes.js';
import type { Finding } from '../../../src/core/types.js';
import { FakeClock } from '../../../src/core/clock.js';

const f = (code: Finding['code'], severity: Finding['severity']): Finding => ({ code, severity, check: 'x', message: 'm' });

test('exit codes: 0 clean, 1 at/above --fail-on, 3 when a check could not run', () => {
  assert.equal(exitCodeFor([], 'error'), 0);
  assert.equal(exitCodeFor([f('DMARC_POLICY_NONE', 'warning')], 'error'), 0);
  assert.equal(exitCodeFor([f('DMARC_POLICY_NONE', 'warning')], 'warning'), 1);
  assert.equal(exitCodeFor([f('MX_NULL', 'info')], 'warning'), 0);
  assert.equal(exitCodeFor([f('MX_NULL', 'info')], 'info'), 1);
  assert.equal(exitCodeFor([f('SPF_MISSING', 'error')], 'error'), 1);
  assert.equal(exitCodeFor([f('SPF_MISSING', 'error'), f('DNS_TIMEOUT', 'error')], 'error'), 3);
});

test('--fail-on accepts error|warning|info only', () => {
  assert.equal(parseFailOn(undefined), 'error');
  assert.equal(parseFailOn('WARNING'), 'warning');
  assert.throws(() => parseFailOn('fatal'), UsageError);
});

test('durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('2s'), 2000);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(parseDuration('250'), 250);
  for (const bad of ['', 'fast', '2 weeks', '-1s', '1e9']) assert.throws(() => parseDuration(bad), UsageError, bad);
});

test('every finding code is SCREAMING_SNAKE with a description and a severity', () => {
  for (const [code, info] of Object.entries(FINDING_CODES)) {
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/);
    assert.ok(info.description.length > 10, code);
    assert.ok(['error', 'warning', 'info'].includes(info.severity), code);
  }
});

test('fake clock wakes sleepers in deadline order', async () => {
  const c = new FakeClock(0);
  const order: number[] = [];
  void c.sleep(300).then(() => order.push(300));
  void c.sleep(100).then(() => order.push(100));
  await c.advance(200);
  assert.deepEqual(order, [100]);
  assert.equal(c.now(), 200);
  await c.advance(100);
  assert.deepEqual(order, [100, 300]);
});
