import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.js';
import { classify } from '../../../src/core/delivery/classify.js';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryEngine } from '../../../src/core/delivery/engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { DEFAULT_MODEL, parseModel } from '../../../src/core/warmup/model.js';
import { ModelTransport } from '../../../src/core/warmup/model-transport.js';
import { buildPlan } from '../../../src/core/warmup/plan.js';
import { runSimulation, SIMULATION_POLICY, SimResolver, simulate, seededRandom } from '../../../src/core/warmup/simulate.js';
import { simulationDocument } from '../../../src/render/warmup.js';
import type { ProviderName } from '../../../src/core/warmup/providers.js';

const HOUR = 3_600_000;
const clean = parseModel({ bounceRate: 0, complaintRate: 0 });

function engineWith(model: typeof DEFAULT_MODEL) {
  const clock = new FakeClock(0);
  const store = new MemoryStore();
  const transport = new ModelTransport({ model, clock, random: seededRandom(1), providerOf: (d) => d.replace(/\.sim$/, '') as ProviderName, weightOf: () => 1 });
  const engine = new DeliveryEngine({ store, transport, clock, resolver: new SimResolver(), classify, worker: 'test', random: seededRandom(2) });
  const options = { ...DEFAULT_DELIVERY_OPTIONS, policy: SIMULATION_POLICY };
  return { clock, store, transport, engine, options };
}

test('a provider over its hourly capacity answers 421 4.7.28; the engine holds the destination and retries on its back-off', async () => {
  const model = parseModel({ bounceRate: 0, complaintRate: 0, providers: { gmail: { coldHourly: 2 } } });
  const { clock, store, engine, options } = engineWith(model);
  const rcpts = ['a@gmail.sim', 'b@gmail.sim', 'c@gmail.sim', 'd@gmail.sim', 'e@gmail.sim'];
  await engine.enqueue({ id: 'q1', messageId: '<q1@x>', sender: 's@sender.sim', raw: Buffer.from('x'), recipients: rcpts, options });
  await engine.runDue();
  let m: Awaited<ReturnType<typeof store.getQueued>> = (await store.getQueued('q1'))!;
  assert.deepEqual(m.recipients.map((r) => r.status), ['delivered', 'delivered', 'deferred', 'deferred', 'deferred']);
  // the destination throttle holds them: at least the first back-off step (5 min), longer with each strike
  for (const r of m.recipients.filter((x) => x.status === 'deferred')) assert.ok(r.nextAttemptAt >= 5 * 60_000);
  const limited = (await store.listDeliveries()).filter((e) => e.status === 'deferred');
  assert.equal(limited.length, 3);
  for (const e of limited) {
    assert.equal(e.replyCode, 421);
    assert.equal(e.enhancedCode, '4.7.28');
    assert.equal(e.classification?.rateLimited, true);
  }
  // run the queue on the fake clock until it is settled
  for (let i = 0; i < 50 && m; i++) {
    const due = Math.min(...m.recipients.filter((r) => r.status !== 'delivered').map((r) => r.nextAttemptAt));
    await clock.advance(Math.max(0, due - clock.now()));
    await engine.runDue();
    m = (await store.getQueued('q1'))!;
  }
  assert.equal(m, undefined, 'everything delivered in the end');
  const delivered = (await store.listDeliveries()).filter((e) => e.status === 'delivered');
  assert.equal(delivered.length, 5);
  // never more than the capacity (2) in one clock hour, and the rest only in later hours
  const perHour = new Map<number, number>();
  for (const e of delivered) perHour.set(Math.floor(e.at / HOUR), (perHour.get(Math.floor(e.at / HOUR)) ?? 0) + 1);
  assert.ok([...perHour.values()].every((n) => n <= 2), JSON.stringify([...perHour]));
  assert.ok(delivered.filter((e) => ['c@gmail.sim', 'd@gmail.sim', 'e@gmail.sim'].includes(e.recipient)).every((e) => e.at >= HOUR));
  const attempts = (await store.listDeliveries({ recipient: 'c@gmail.sim' })).length;
  assert.ok(attempts >= 2, `c was attempted ${attempts} times`);
});

test('greylisting is retried by the real retry policy after the greylisting delay, then accepted', async () => {
  const model = parseModel({ bounceRate: 0, complaintRate: 0, providers: { other: { greylistRate: 1 } } });
  const { clock, store, engine, options } = engineWith(model);
  await engine.enqueue({ id: 'q1', messageId: '<q1@x>', sender: 's@sender.sim', raw: Buffer.from('x'), recipients: ['a@other.sim', 'b@other.sim'], options });
  await engine.runDue();
  const first = (await store.getQueued('q1'))!;
  assert.deepEqual(first.recipients.map((r) => [r.status, r.nextAttemptAt]), [['deferred', 5 * 60_000], ['deferred', 5 * 60_000]]);
  await clock.advance(5 * 60_000);
  await engine.runDue();
  assert.equal(await store.getQueued('q1'), undefined, 'settled and out of the queue');
  const log = await store.listDeliveries();
  assert.deepEqual(log.map((e) => e.status).sort(), ['deferred', 'deferred', 'delivered', 'delivered']);
  assert.ok(log.filter((e) => e.status === 'deferred').every((e) => e.classification?.greylisted));
});

function steep(growth: number) {
  return buildPlan({ curve: 'geometric', target: 8000, start: 120, growth, mix: { gmail: 1 }, hours: { from: 8, to: 20 } });
}

test('a steep plan (×2/day) is throttled and flagged on the day the model predicts', async () => {
  const plan = steep(2);
  // the model: capacity(d+1) = max(capacity(d), 1.5 × busiest hour(d)); throttled when an hour needs more
  let cap = clean.providers.gmail!.coldHourly;
  let predicted = -1;
  for (const d of plan.days) {
    const perHour = Math.ceil(d.total / 12);
    if (perHour > cap) {
      predicted = d.day;
      break;
    }
    cap = Math.max(cap, clean.providers.gmail!.dailyGrowth * perHour);
  }
  assert.equal(predicted, 5);
  const r = await runSimulation({ plan, model: clean, seed: 1 });
  for (const d of r.days.slice(0, predicted - 1)) assert.deepEqual(d.flags, [], `day ${d.day}`);
  const bad = r.days[predicted - 1]!;
  assert.ok(bad.rateLimited > 0);
  assert.ok(bad.providers.gmail!.throttleReplies > 0);
  assert.ok(bad.flags.some((f) => f.code === 'WARMUP_DEFERRALS_HIGH'), JSON.stringify(bad.flags));
  assert.equal(r.verdict.ok, false);
  assert.equal(r.verdict.firstBadDay, predicted);
});

test('a gentle plan (×1.3/day) stays green, and the search suggests a growth for the steep one', async () => {
  const gentle = await runSimulation({ plan: steep(1.3), model: clean, seed: 1 });
  assert.equal(gentle.verdict.ok, true, JSON.stringify(gentle.days.filter((d) => d.flags.length)));
  assert.ok(gentle.days.every((d) => d.outcome === 'advance' && d.deferred === 0 && d.accepted === d.planned));
  const steepRun = await simulate({ plan: steep(2), model: clean, seed: 1 });
  assert.ok(steepRun.verdict.suggestedGrowth !== null && steepRun.verdict.suggestedGrowth >= 1.3 && steepRun.verdict.suggestedGrowth < 2, String(steepRun.verdict.suggestedGrowth));
});

test('a high bounce rate pauses the ramp for a day, then the stage is sent again', async () => {
  const plan = buildPlan({ curve: 'geometric', target: 6000, start: 3000, growth: 1.3, mix: { gmail: 0.5, other: 0.5 }, hours: { from: 8, to: 20 } });
  const model = parseModel({ bounceRate: 0.15, complaintRate: 0 });
  const r = await runSimulation({ plan, model, seed: 4 });
  const [d1, d2, d3] = r.days;
  assert.equal(d1!.outcome, 'pause');
  assert.ok(d1!.flags.some((f) => f.code === 'WARMUP_BOUNCES_PAUSE'));
  assert.ok(d1!.bounced / d1!.planned > 0.1);
  assert.equal(d2!.outcome, 'paused');
  assert.equal(d2!.planned, 0);
  assert.equal(d3!.stage, d1!.stage);
  assert.equal(r.verdict.firstBadDay, 1);
});

test('the same seed gives byte-identical JSON; another seed differs', async () => {
  const plan = buildPlan({ curve: 'mailtrap', target: 5000, mix: { gmail: 0.4, microsoft: 0.3, yahoo: 0.1, other: 0.2 }, hours: { from: 8, to: 20 } });
  const a = JSON.stringify(simulationDocument(await simulate({ plan, model: DEFAULT_MODEL, seed: 42 })));
  const b = JSON.stringify(simulationDocument(await simulate({ plan, model: DEFAULT_MODEL, seed: 42 })));
  const c = JSON.stringify(simulationDocument(await simulate({ plan, model: DEFAULT_MODEL, seed: 43 })));
  assert.equal(a, b);
  assert.notEqual(a, c);
  const doc = JSON.parse(a);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'warmup simulate');
  for (const k of ['day', 'planned', 'offered', 'accepted', 'deferred', 'bounced', 'complaints', 'backlog', 'p50DelayMs', 'p95DelayMs', 'providers', 'flags']) assert.ok(k in doc.days[0], k);
  assert.deepEqual(Object.keys(doc.verdict).sort(), ['firstBadDay', 'ok', 'suggestedGrowth']);
  assert.equal(doc.seed, 42);
  assert.ok(doc.model.providers.gmail);
});

test('large days are aggregated: totals still add up to the plan', async () => {
  const plan = buildPlan({ curve: 'geometric', target: 200_000, start: 100_000, growth: 2, mix: { other: 1 }, hours: { from: 0, to: 24 } });
  const model = parseModel({ bounceRate: 0, complaintRate: 0, providers: { other: { coldHourly: 1e6, greylistRate: 0 } } });
  const r = await runSimulation({ plan, model, seed: 1, maxRecipientsPerDay: 1000 });
  assert.deepEqual(r.days.map((d) => [d.planned, d.accepted, d.unit]), [[100_000, 100_000, 100], [200_000, 200_000, 200]]);
});

test('--model overrides are checked', () => {
  assert.throws(() => parseModel({ providers: { hotmale: {} } }), /unknown provider "hotmale"/);
  assert.throws(() => parseModel({ bounceRate: 2 }), /bounceRate must be a number from 0 to 1/);
  assert.equal(parseModel({ providers: { proton: { coldHourly: 7 } } }).providers.proton!.coldHourly, 7);
});
