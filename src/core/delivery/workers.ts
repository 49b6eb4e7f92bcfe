/**
 * Queue workers: `queue run --workers <n>` runs n of these in one process, and any number of
 * processes on any number of machines can run them against one shared store. Each worker claims a
 * small batch (a lease), delivers it through its own engine, releases it and claims again, so work
 * spreads over every worker and a crashed worker holds no more than one batch until its lease ends.
 */
import type { Clock } from '../clock.js';
import { isSettled, nextDue, type Store } from '../store/store.js';
import type { DeliveryEngine } from './engine.js';

export interface WorkerRunOptions {
  store: Store;
  clock: Clock;
  /** One engine per worker (each has its own worker name in claims). */
  engines: readonly DeliveryEngine[];
  /** Messages per claim (default 10). */
  batch?: number;
  /**
   * false: one pass, until nothing is due. true: until the queue is empty, waiting for the next
   * due recipient and for other workers' leases (a crashed worker's messages are taken over when
   * its lease ends).
   */
  retry: boolean;
  /** While waiting, look again at least this often (default 1 s): others' leases end, new mail arrives. */
  pollMs?: number;
  signal?: AbortSignal;
}

export async function runWorkers(o: WorkerRunOptions): Promise<void> {
  const batch = o.batch ?? 10;
  const pollMs = o.pollMs ?? 1000;
  await Promise.all(
    o.engines.map(async (engine, i) => {
      for (;;) {
        if (o.signal?.aborted) return;
        let claimed: number;
        try {
          claimed = await engine.runDue({ limit: batch, ...(o.signal ? { signal: o.signal } : {}) });
        } catch (err) {
          if (o.signal?.aborted) return;
          throw err;
        }
        if (claimed > 0) continue;
        if (!o.retry) return;
        const wait = await idleWait(o.store, o.clock, pollMs, `sweep-${i}`);
        if (wait === undefined) return;
        try {
          await o.clock.sleep(wait, o.signal);
        } catch {
          return; // aborted
        }
      }
    }),
  );
}

/**
 * Nothing was claimable: how long to wait before looking again, or undefined when the queue is
 * empty. A settled message a worker died before releasing is taken out of the queue here.
 */
async function idleWait(store: Store, clock: Clock, pollMs: number, worker: string): Promise<number | undefined> {
  const queue = await store.listQueue();
  let pending = 0;
  let soonest = Infinity;
  for (const m of queue) {
    if (isSettled(m)) {
      await store.release(m.id, worker);
      continue;
    }
    pending++;
    soonest = Math.min(soonest, nextDue(m) ?? Infinity);
  }
  if (pending === 0) return undefined;
  // Due already but not claimable: another worker holds it (or held it and died); look again soon.
  return Math.max(20, Math.min(pollMs, soonest - clock.now()));
}
