/**
 * send --warmup's caps: sending days counted from the log, daily and hourly caps per provider,
 * sending hours, the next window, and the plan file's validation.
 */
process.env.TZ = 'UTC';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../src/core/errors.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { planIdOf, readPlanFile, WarmupBudget, warmupTag, type WarmupEnforcement } from '../../../src/core/warmup/enforce.js';
import { buildPlan } from '../../../src/core/warmup/plan.js';

const H = 3_600_000;
const DAY = 24 * H;
// 2026-03-02 00:00 UTC
const MIDNIGHT = Date.UTC(2026, 2, 2);

function plan(): WarmupEnforcement {
  const days = [
    { day: 1, total: 30, hourlyCap: 10, providers: { gmail: { volume: 20, hourlyCap: 5 }, other: { volume: 10, hourlyCap: 10 } } },
    { day: 2, total: 60, hourlyCap: 20, providers: { gmail: { volume: 40, hourlyCap: 10 }, other: { volume: 20, hourlyCap: 20 } } },
  ];
  const hours = { from: 8, to: 20 };
  return { id: planIdOf({ hours, days }), hours, days };
}

async function log(store: MemoryStore, p: WarmupEnforcement, provider: 'gmail' | 'other', at: number, status: string, n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await store.logDelivery({ messageId: '<m@x>', recipient: `r${at}-${i}@x.example`, status, at, tag: warmupTag(p.id, provider) });
}

test('day 1: the first sending day caps gmail at 5 an hour and 20 a day', async () => {
  const p = plan();
  const b = await WarmupBudget.load(new MemoryStore(), p, MIDNIGHT + 9 * H);
  assert.equal(b.day, 1);
  let taken = 0;
  while (b.take('gmail')) taken++;
  assert.equal(taken, 5, 'hourly cap');
  assert.equal(b.nextWindow('gmail'), MIDNIGHT + 10 * H, 'the next hour has room');
  assert.equal(b.get('gmail').usedToday, 5);
});

test('what the log already counts today (delivered and bounced, not deferred) is used up', async () => {
  const p = plan();
  const store = new MemoryStore();
  await log(store, p, 'gmail', MIDNIGHT + 8 * H + 1, 'delivered', 12);
  await log(store, p, 'gmail', MIDNIGHT + 9 * H + 1, 'bounced', 3);
  await log(store, p, 'gmail', MIDNIGHT + 9 * H + 2, 'deferred', 50); // retried later: not counted
  const b = await WarmupBudget.load(store, p, MIDNIGHT + 9 * H + 30 * 60_000);
  assert.equal(b.day, 1);
  assert.deepEqual({ today: b.get('gmail').usedToday, hour: b.get('gmail').usedThisHour }, { today: 15, hour: 3 });
  assert.equal(b.take('gmail'), true);
  assert.equal(b.take('gmail'), true);
  assert.equal(b.take('gmail'), false, 'the hour has 5: 3 logged + 2 taken');
  const later = await WarmupBudget.load(store, p, MIDNIGHT + 15 * H);
  let taken = 0;
  while (later.take('gmail')) taken++;
  assert.equal(taken, 5, 'the day has 20: 15 used, 5 left');
  assert.equal(later.nextWindow('gmail'), MIDNIGHT + DAY + 8 * H, 'the day is used up: tomorrow at 08:00');
});

test('sending days, not calendar days: a week without mail does not advance the plan', async () => {
  const p = plan();
  const store = new MemoryStore();
  await log(store, p, 'gmail', MIDNIGHT + 9 * H, 'delivered');
  const b = await WarmupBudget.load(store, p, MIDNIGHT + 8 * DAY + 9 * H);
  assert.equal(b.day, 2);
  assert.equal(b.get('gmail').dailyCap, 40);
  await log(store, p, 'gmail', MIDNIGHT + 8 * DAY + 9 * H, 'delivered');
  const after = await WarmupBudget.load(store, p, MIDNIGHT + 20 * DAY + 9 * H);
  assert.equal(after.day, 3);
  assert.equal(after.get('gmail').dailyCap, 40, 'past the last day the last day holds');
});

test('outside the sending hours nothing goes; a provider the plan does not name counts as "other"', async () => {
  const p = plan();
  const early = await WarmupBudget.load(new MemoryStore(), p, MIDNIGHT + 6 * H);
  assert.equal(early.take('gmail'), false);
  assert.equal(early.nextWindow('gmail'), MIDNIGHT + 8 * H);
  const late = await WarmupBudget.load(new MemoryStore(), p, MIDNIGHT + 20 * H + 5);
  assert.equal(late.take('other'), false);
  assert.equal(late.nextWindow('other'), MIDNIGHT + DAY + 8 * H);
  const b = await WarmupBudget.load(new MemoryStore(), p, MIDNIGHT + 12 * H);
  assert.equal(b.key('yahoo'), 'other');
  for (let i = 0; i < 10; i++) assert.equal(b.take(b.key('yahoo')), true);
  assert.equal(b.take('other'), false, 'yahoo used up the shared "other" budget');
});

test('a plan of another id is not counted', async () => {
  const p = plan();
  const store = new MemoryStore();
  await store.logDelivery({ messageId: '<m@x>', recipient: 'a@x.example', status: 'delivered', at: MIDNIGHT + 9 * H, tag: 'warmup:0123456789ab:gmail' });
  const b = await WarmupBudget.load(store, p, MIDNIGHT + 9 * H + 1);
  assert.equal(b.get('gmail').usedToday, 0);
});

test('the plan file: what `warmup plan --out` writes is read back; anything else is a usage error', () => {
  const built = buildPlan({ curve: 'geometric', target: 1000, mix: { gmail: 0.5, other: 0.5 }, hours: { from: 8, to: 20 } });
  const doc = JSON.stringify({ schemaVersion: 1, command: 'warmup plan', ...built });
  const e = readPlanFile(doc, 'plan.json');
  assert.equal(e.days.length, built.days.length);
  assert.equal(e.id, planIdOf(built), 'the id depends on the days and hours only');
  const bad: [string, RegExp][] = [
    ['{', /plan\.json is not JSON: .*make one with: mailpace-cli warmup plan/],
    ['{"command":"send"}', /plan\.json is not a warm-up plan: "command" is not "warmup plan"/],
    [JSON.stringify({ ...JSON.parse(doc), hours: { from: 20, to: 8 } }), /"hours" is not \{from, to\} within 0-24/],
    [JSON.stringify({ ...JSON.parse(doc), days: [] }), /"days" is empty/],
    [JSON.stringify({ ...JSON.parse(doc), days: [{ total: 1, providers: { hotmail: { volume: 1, hourlyCap: 1 } } }] }), /day 1: "providers\.hotmail"/],
    [JSON.stringify({ ...JSON.parse(doc), days: [{ total: 2, providers: { gmail: { volume: 1, hourlyCap: 1 } } }] }), /day 1: the providers add up to 1, not 2/],
  ];
  for (const [text, re] of bad) assert.throws(() => readPlanFile(text, 'plan.json'), (err: unknown) => err instanceof UsageError && re.test(err.message), text);
});
