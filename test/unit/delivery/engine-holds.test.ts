/**
 * The engine's holds of a rate-limited destination, on a fake clock with a scripted transport:
 * who is held, until when, and that a hold is not an attempt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.js';
import { classify } from '../../../src/core/delivery/classify.js';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryEngine, type DeliveryOptions } from '../../../src/core/delivery/engine.js';
import { DEFAULT_RETRY_POLICY, backoffMs } from '../../../src/core/delivery/retry-policy.js';
import type { DeliveryTransport, TransactionRequest, TransactionResult } from '../../../src/core/delivery/transport.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import type { AttemptRecord } from '../../../src/core/store/store.js';
import { SimResolver } from '../../../src/core/warmup/simulate.js';

/** Gmail's rate-limit reply (https://support.google.com/a/answer/3726730). */
const THROTTLE = { code: 421, enhanced: '4.7.28', text: 'Our system has detected an unusual rate of unsolicited mail originating from your IP address. Mail sent from your IP address has been temporarily rate limited.' };

/** Answers 421 4.7.28 to the listed recipients and 250 to the others; keeps each transaction's recipients. */
class ScriptedTransport implements DeliveryTransport {
  readonly transactions: string[][] = [];
  constructor(private readonly throttled: ReadonlySet<string>) {}
  async transact(req: TransactionRequest): Promise<TransactionResult> {
    this.transactions.push([...req.recipients]);
    const accepted = req.recipients.filter((r) => !this.throttled.has(r));
    if (accepted.length > 0 && req.beforeData) await req.beforeData(accepted);
    return {
      host: `mx.${req.route.domain}`,
      tls: null,
      hostFailures: [],
      results: req.recipients.map((recipient) => (this.throttled.has(recipient) ? { recipient, reply: THROTTLE, stage: 'rcpt' as const } : { recipient, reply: { code: 250, text: 'OK' }, stage: 'message' as const })),
    };
  }
  async closeIdle(): Promise<void> {}
  async close(): Promise<void> {}
}

/** A memory store that keeps every record the engine writes. */
class RecordingStore extends MemoryStore {
  readonly written: AttemptRecord[] = [];
  override async recordAttempts(worker: string, batch: readonly AttemptRecord[]): Promise<void> {
    this.written.push(...batch);
    return super.recordAttempts(worker, batch);
  }
}

function rig(throttled: string[]) {
  const clock = new FakeClock(0);
  const store = new RecordingStore();
  const transport = new ScriptedTransport(new Set(throttled));
  const engine = new DeliveryEngine({ store, transport, clock, resolver: new SimResolver(), classify, worker: 'w', concurrency: 1 });
  return { clock, store, transport, engine };
}

const FIRST = backoffMs(DEFAULT_RETRY_POLICY, 1);

test('a rate limit holds the message\'s other recipients at that destination, outside the throttled batch, without trying them', async () => {
  const { store, transport, engine } = rig(['a@gmail.sim']);
  // one recipient per transaction: b and c are batches of their own, behind a's
  const options: DeliveryOptions = { ...DEFAULT_DELIVERY_OPTIONS, maxRcpt: 1 };
  await engine.enqueue({ id: 'q1', messageId: '<q1@x>', sender: 's@sender.sim', raw: Buffer.from('x'), recipients: ['a@gmail.sim', 'b@gmail.sim', 'c@gmail.sim', 'd@yahoo.sim'], options });
  await engine.runDue();
  assert.deepEqual(transport.transactions, [['a@gmail.sim'], ['d@yahoo.sim']]);
  const m = (await store.getQueued('q1'))!;
  assert.deepEqual(
    m.recipients.map((r) => [r.recipient, r.status, r.attempts, r.nextAttemptAt]),
    [
      ['a@gmail.sim', 'deferred', 1, FIRST],
      ['b@gmail.sim', 'queued', 0, FIRST],
      ['c@gmail.sim', 'queued', 0, FIRST],
      ['d@yahoo.sim', 'delivered', 1, 0],
    ],
  );
});

test('a whole message throttled in one batch writes its outcome only; a message queued behind it is held as one list', async () => {
  const { clock, store, transport, engine } = rig(['a@gmail.sim', 'b@gmail.sim']);
  await engine.enqueue({ id: 'q1', messageId: '<q1@x>', sender: 's@sender.sim', raw: Buffer.from('x'), recipients: ['a@gmail.sim', 'b@gmail.sim'], options: DEFAULT_DELIVERY_OPTIONS });
  await engine.runDue();
  // each throttled recipient strikes the destination: the second strike doubles the hold
  const until = FIRST * 2;
  let m = (await store.getQueued('q1'))!;
  assert.deepEqual(m.recipients.map((r) => [r.status, r.attempts]), [['deferred', 1], ['deferred', 1]]);
  assert.deepEqual(m.recipients.map((r) => r.nextAttemptAt), [FIRST, until]);
  assert.deepEqual(store.written.filter((w) => w.queueId === 'q1').map((w) => [w.updates.length, w.hold ?? null]), [[2, null]], 'the two outcomes, no hold of the batch itself');
  // a second message to the destination while the throttle lasts: held, not offered
  await clock.advance(60_000);
  await engine.enqueue({ id: 'q2', messageId: '<q2@x>', sender: 's@sender.sim', raw: Buffer.from('x'), recipients: ['c@gmail.sim', 'd@gmail.sim'], options: DEFAULT_DELIVERY_OPTIONS });
  await engine.runDue();
  assert.equal(transport.transactions.length, 1);
  assert.deepEqual(store.written.filter((w) => w.queueId === 'q2').map((w) => [w.updates.length, w.hold ?? null]), [[0, { recipients: ['c@gmail.sim', 'd@gmail.sim'], until }]]);
  m = (await store.getQueued('q2'))!;
  assert.deepEqual(m.recipients.map((r) => [r.status, r.attempts, r.nextAttemptAt]), [['queued', 0, until], ['queued', 0, until]]);
});
