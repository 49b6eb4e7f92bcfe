import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ewma, mad, median, percentile, percentiles, wilson } from '../../../src/core/monitor/stats.js';
import { normalizeReply, ipInReply } from '../../../src/core/monitor/replies.js';
import { eximDuration } from '../../../src/core/monitor/exim.js';

test('Wilson interval: textbook values (Newcombe 1998, 81/263 → 0.2553–0.3662)', () => {
  const w = wilson(81, 263);
  assert.ok(Math.abs(w.low - 0.2553) < 5e-4, String(w.low));
  assert.ok(Math.abs(w.high - 0.3662) < 5e-4, String(w.high));
  assert.deepEqual(wilson(0, 0), { value: 0, low: 0, high: 1 });
  const zero = wilson(0, 10);
  assert.equal(zero.low, 0);
  assert.ok(zero.high > 0.25 && zero.high < 0.3);
});

test('percentiles are nearest-rank; median/MAD; EWMA tracks a level', () => {
  const xs = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual(percentiles(xs), { p50: 50, p95: 95, p99: 99 });
  assert.equal(percentiles([]), undefined);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Math.abs(mad([1, 1, 2, 2, 4, 6, 9]) - 1.4826) < 1e-9);
  const e = new Ewma(0.1);
  for (let i = 0; i < 200; i++) e.push(10);
  assert.ok(Math.abs(e.mean - 10) < 1e-9 && e.sd < 1e-9);
});

test('percentiles select the same order statistics a full sort gives: ascending, descending, ties, constant, random, NaN', () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const bySort = (xs: number[]) => {
    const s = Float64Array.from(xs).sort();
    const at = (q: number) => s[Math.min(s.length, Math.max(1, Math.ceil(q * s.length))) - 1];
    return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
  };
  const shapes: ((i: number, n: number) => number)[] = [
    (i) => i,
    (i, n) => n - i,
    () => Math.floor(rnd() * 4),
    () => 7,
    () => Math.round(rnd() * 1e6) / 100,
    (i) => (i % 3 === 0 ? 1e9 : rnd()),
  ];
  for (const n of [1, 2, 63, 64, 65, 100, 1000, 4099]) {
    for (const shape of shapes) {
      const xs = Array.from({ length: n }, (_, i) => shape(i, n));
      assert.deepEqual(percentiles(xs), bySort(xs), `n=${n} ${shape}`);
      // One percentile on its own (the detectors' hourly p95) is the same order statistic.
      assert.equal(percentile(xs, 0.95), bySort(xs).p95, `p95 n=${n} ${shape}`);
      assert.equal(percentile(xs, 0.5), bySort(xs).p50, `p50 n=${n} ${shape}`);
    }
  }
  const withNaN = [3, NaN, ...Array.from({ length: 100 }, (_, i) => i)];
  assert.deepEqual(percentiles(withNaN), bySort(withNaN));
  assert.equal(percentile(withNaN, 0.95), bySort(withNaN).p95);
  assert.equal(percentile([], 0.95), undefined);
});

test('reply normalisation masks addresses, IPs and ids and joins multi-line replies', () => {
  assert.equal(
    normalizeReply('550-5.1.1 <bob@example.org>: The email account that you tried to reach does not exist. 550-5.1.1 Please try 550 5.1.1 double-checking 1700000000 x12ab34cd - gsmtp'),
    '550 5.1.1 <addr>: The email account that you tried to reach does not exist. Please try double-checking 1700000000 <id> - gsmtp',
  );
  assert.equal(normalizeReply('554 5.7.1 Client host [203.0.113.5] blocked'), '554 5.7.1 Client host [<ip>] blocked');
  assert.equal(normalizeReply('451 4.7.1 from 2001:db8::5 later'), '451 4.7.1 from <ip> later');
  assert.equal(ipInReply('Client host [203.0.113.5] blocked using zen', '192.0.2.1'), '203.0.113.5');
  assert.equal(ipInReply('host 192.0.2.1 says 203.0.113.5', '192.0.2.1'), '203.0.113.5');
});

test('Exim durations', () => {
  assert.equal(eximDuration('1m2s'), 62_000);
  assert.equal(eximDuration('0.512s'), 512);
  assert.equal(eximDuration('1d2h'), 93_600_000);
  assert.equal(eximDuration('x'), undefined);
});
