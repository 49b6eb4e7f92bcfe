import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, appendFileSync, renameSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tailer } from '../../../src/core/monitor/tail.js';
import { Aggregate } from '../../../src/core/monitor/metrics.js';
import { dashboard } from '../../../src/cli/monitor-follow.js';

test('Tailer: appended lines, a partial last line, a rotation (old file read to its end), a truncation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tail-'));
  const p = join(dir, 'mail.log');
  writeFileSync(p, 'old\n');
  const t = new Tailer([p], new Map([[p, 4]]));
  const got: string[] = [];
  const poll = () => t.poll((_f, ls) => got.push(...ls));
  await poll();
  assert.deepEqual(got, []);
  appendFileSync(p, 'a\nb');
  await poll();
  assert.deepEqual(got, ['a']);
  appendFileSync(p, '\n');
  await poll();
  assert.deepEqual(got, ['a', 'b']);
  appendFileSync(p, 'c\n');
  renameSync(p, `${p}.1`);
  writeFileSync(p, 'd\n');
  await poll();
  assert.deepEqual(got, ['a', 'b', 'c', 'd']);
  truncateSync(p, 0); // copytruncate: seen as shrunk at the next poll, then read from the start
  await poll();
  appendFileSync(p, 'e\n');
  await poll();
  assert.deepEqual(got, ['a', 'b', 'c', 'd', 'e']);
  await t.close();
});

test('dashboard: the current hour per provider against the baseline deferral rate', () => {
  const now = Date.parse('2026-12-01T10:30:00Z');
  const agg = new Aggregate({ by: 'provider', baselineMs: 7 * 86_400_000 });
  for (let h = 1; h <= 5; h++) for (let i = 0; i < 20; i++) agg.add({ at: now - h * 3_600_000, kind: i === 0 ? 'deferred' : 'delivered', relay: 'gmail-smtp-in.l.google.com', recipient: 'a@gmail.com' });
  for (let i = 0; i < 10; i++) agg.add({ at: now - 60_000, kind: i < 5 ? 'deferred' : 'delivered', relay: 'gmail-smtp-in.l.google.com', recipient: 'a@gmail.com', ...(i >= 5 ? { delayMs: 2000 } : {}) });
  const d = dashboard(agg, now, 123, ['x']);
  assert.equal(d.hour, '2026-12-01T10:00:00.000Z');
  assert.equal(d.rows[0]!.provider, 'gmail');
  assert.equal(d.rows[0]!.deferralRate, 0.5);
  assert.ok(Math.abs(d.rows[0]!.baselineDeferralRate! - 0.05) < 1e-9);
  assert.equal(d.rows[0]!.p95Ms, 2000);
});

test('followWindow: the previous and current hour by default; from --since (growing) up to --until when given', async () => {
  const { followWindow } = await import('../../../src/cli/monitor-follow.js');
  const now = Date.parse('2026-12-01T10:30:00Z');
  const first = Date.parse('2026-11-20T00:00:00Z');
  assert.deepEqual(followWindow(first, now, {}), { from: Date.parse('2026-12-01T09:00:00Z'), to: now });
  const since = Date.parse('2026-11-28T00:00:00Z');
  assert.deepEqual(followWindow(first, now, { since }), { from: since, to: now });
  assert.deepEqual(followWindow(first, now + 3_600_000, { since }), { from: since, to: now + 3_600_000 });
  // Never before the log's first line; nothing once --until has passed the start.
  assert.deepEqual(followWindow(now - 60_000, now, { since }), { from: now - 60_000, to: now });
  const until = Date.parse('2026-11-30T00:00:00Z');
  assert.deepEqual(followWindow(first, now, { since, until }), { from: since, to: until });
  assert.equal(followWindow(first, now, { since: now + 1, until: now + 2 }), undefined);
});
