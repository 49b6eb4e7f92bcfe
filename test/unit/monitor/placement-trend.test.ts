/**
 * Placement trends on generated runs: a provider whose seeds go to spam, or whose copies take far
 * longer to arrive, is flagged; steady runs and single-run noise are not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placementStats, placementTrend, splitRuns, RECENT_RUNS } from '../../../src/core/monitor/placement-trend.js';
import { runMonitor } from '../../../src/core/monitor/monitor.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import type { PlacementRun } from '../../../src/core/store/store.js';
import { seededRandom as rng } from '../../../src/core/warmup/simulate.js';

const T0 = Date.parse('2026-11-02T00:00:00Z');
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;

type Seed = PlacementRun['seeds'][number];
/** Hourly runs, two seeds at gmail and outlook each; `change(i, provider)` overrides one run's seeds. */
function runs(n: number, change: (i: number, provider: string, k: number) => Partial<Seed> | undefined = () => undefined, seed = 1): PlacementRun[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    id: `run${i}`,
    startedAt: T0 + i * HOUR,
    finishedAt: T0 + i * HOUR + 60_000,
    messageId: `<run${i}@example.com>`,
    seeds: ['gmail', 'outlook'].flatMap((p) =>
      [0, 1].map((k) => ({ address: `seed${k}@${p}.example`, provider: p, placement: 'inbox', folder: 'INBOX', timeToInboxMs: Math.round(2000 + r() * 3000), sendStatus: 'delivered', ...change(i, p, k) })),
    ),
  }));
}
const codes = (t: ReturnType<typeof placementTrend>) => (t?.findings ?? []).map((f) => `${f.code}:${(f.evidence as { provider: string }).provider}`);

test('steady runs, with one missing copy now and then: no findings', () => {
  for (const s of [1, 2, 3]) {
    const r = rng(100 + s);
    const list = runs(48, () => (r() < 0.05 ? { placement: 'missing', folder: undefined, timeToInboxMs: undefined } : undefined), s);
    const t = placementTrend(list, { baselineMs: WEEK });
    assert.deepEqual(codes(t), [], `seed ${s}`);
    assert.equal(t!.trend.window.runs, RECENT_RUNS);
    assert.equal(t!.trend.baseline.runs, 48 - RECENT_RUNS);
  }
});

test('gmail seeds filed as spam in the last three runs: PLACEMENT_INBOX_RATE_DROP for gmail only', () => {
  const list = runs(24, (i, p) => (i >= 21 && p === 'gmail' ? { placement: 'spam', folder: '[Gmail]/Spam' } : undefined));
  const t = placementTrend(list, { baselineMs: WEEK })!;
  assert.deepEqual(codes(t), ['PLACEMENT_INBOX_RATE_DROP:gmail']);
  const f = t.findings[0]!;
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /^gmail: inbox rate 0% over the last 3 placement run\(s\) \(0 of 6 seeds; 6 in spam\), down from 100% over 21 run\(s\) before$/);
  const gmail = t.trend.providers.find((p) => p.provider === 'gmail')!;
  assert.deepEqual({ inbox: gmail.window.inbox, spam: gmail.window.spam, inboxRate: gmail.window.inboxRate }, { inbox: 0, spam: 6, inboxRate: 0 });
  assert.equal(gmail.baseline.inboxRate, 1);
  assert.equal(gmail.runs.length, 24);
  assert.equal(gmail.runs[23]!.inboxRate, 0);
  assert.equal(gmail.runs[0]!.startedAt, '2026-11-02T00:00:00.000Z');
});

test('one seed in spam in one recent run is noise, not a drop', () => {
  const list = runs(24, (i, p, k) => (i === 23 && p === 'gmail' && k === 0 ? { placement: 'spam' } : undefined));
  assert.deepEqual(codes(placementTrend(list, { baselineMs: WEEK })), []);
});

test('too little history: a drop with fewer than three baseline runs is not flagged', () => {
  const list = runs(5, (i, p) => (i >= 2 && p === 'gmail' ? { placement: 'spam' } : undefined));
  assert.deepEqual(codes(placementTrend(list, { baselineMs: WEEK })), []);
});

test('time to inbox at outlook grows from seconds to minutes: PLACEMENT_TIME_TO_INBOX_GROWTH; 2× of a few seconds is not', () => {
  const slow = runs(24, (i, p) => (i >= 21 && p === 'outlook' ? { timeToInboxMs: 95_000 } : undefined));
  const t = placementTrend(slow, { baselineMs: WEEK })!;
  assert.deepEqual(codes(t), ['PLACEMENT_TIME_TO_INBOX_GROWTH:outlook']);
  assert.match(t.findings[0]!.message, /^outlook: time to inbox p50 95 s over the last 3 placement run\(s\), up from \d\.\d s \(p95 \d\.\d s\) over 21 run\(s\) before$/);
  const slightly = runs(24, (i, p) => (i >= 21 && p === 'outlook' ? { timeToInboxMs: 11_000 } : undefined));
  assert.deepEqual(codes(placementTrend(slightly, { baselineMs: WEEK })), []);
});

test('--since/--until choose the window; the baseline reaches back --baseline from its start', () => {
  const list = runs(48);
  const w = splitRuns(list, { since: T0 + 40 * HOUR, until: T0 + 44 * HOUR, baselineMs: 10 * HOUR });
  assert.deepEqual(w.window.map((r) => r.id), ['run40', 'run41', 'run42', 'run43', 'run44']);
  assert.deepEqual(w.baseline.map((r) => r.id), ['run30', 'run31', 'run32', 'run33', 'run34', 'run35', 'run36', 'run37', 'run38', 'run39']);
  const t = placementTrend(list, { since: T0 + 40 * HOUR, until: T0 + 44 * HOUR, baselineMs: 10 * HOUR })!;
  assert.equal(t.trend.window.from, '2026-11-03T16:00:00.000Z');
  assert.equal(t.trend.window.runs, 5);
  assert.equal(placementTrend([], { baselineMs: WEEK }), null);
});

test('placementStats: unknown seeds do not count toward the rate; percentiles over inbox copies', () => {
  const seeds: PlacementRun['seeds'] = [
      { address: 'a@x', provider: 'x', placement: 'inbox', timeToInboxMs: 1000, sendStatus: 'delivered' },
      { address: 'b@x', provider: 'x', placement: 'inbox', timeToInboxMs: 3000, sendStatus: 'delivered' },
      { address: 'c@x', provider: 'x', placement: 'spam', timeToInboxMs: 100, sendStatus: 'delivered' },
      { address: 'd@x', provider: 'x', placement: 'other:Promotions', sendStatus: 'delivered' },
      { address: 'e@x', provider: 'x', placement: 'unknown', sendStatus: 'not-sent' },
  ];
  const s = placementStats(seeds, 1);
  assert.deepEqual(s, { runs: 1, seeds: 5, inbox: 2, spam: 1, other: 1, missing: 0, bounced: 0, unknown: 1, inboxRate: 0.5, p50Ms: 1000, p95Ms: 3000 });
});

test('monitor --source store reads the stored placement runs into report.placement and its findings', async () => {
  const store = new MemoryStore();
  for (const r of runs(24, (i, p) => (i >= 21 && p === 'gmail' ? { placement: 'missing', folder: undefined, timeToInboxMs: undefined } : undefined))) await store.addPlacementRun(r);
  const report = await runMonitor({ inputs: [], source: 'store', by: 'provider', baselineMs: WEEK, now: T0 + 48 * HOUR, store: async () => store });
  assert.ok(report.placement);
  assert.deepEqual(report.placement.providers.map((p) => p.provider), ['gmail', 'outlook']);
  assert.equal(report.placement.window.runs, 3);
  assert.ok(report.findings.some((f) => f.code === 'PLACEMENT_INBOX_RATE_DROP' && /^gmail: inbox rate 0% .*6 missing/.test(f.message)), JSON.stringify(report.findings));
  assert.ok(!report.findings.some((f) => f.code === 'PLACEMENT_INBOX_RATE_DROP' && /^outlook/.test(f.message)));
});
