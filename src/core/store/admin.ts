/**
 * What `store status` and `store copy` need beyond the Store interface: row counts, and moving
 * everything from one store to another (a laptop's SQLite file to the team's PostgreSQL).
 */
import type { Store } from './store.js';

export interface StoreCounts {
  suppressions: number;
  queuedMessages: number;
  /** Queued messages a worker holds right now (lease not yet expired). */
  leasedMessages: number;
  /** Queued recipients by status. */
  recipients: Record<string, number>;
  deliveries: number;
}

export interface CopyResult {
  suppressions: number;
  queued: number;
  /** Queue ids already in the target: left as they are there. */
  skippedQueued: string[];
  deliveries: number;
  /** Placement runs copied (a run id the target already has is skipped). */
  placementRuns: number;
}

/**
 * Copies the suppression list (upserted: the source's entry wins), the queue (messages whose id
 * the target already has are skipped, and no lease is copied) and the delivery log (appended,
 * oldest first, so the target's newest-first order holds) and the placement runs the target lacks.
 */
export async function copyStore(from: Store, to: Store, batch = 50_000): Promise<CopyResult> {
  const suppressions = await from.listSuppressions();
  for (let i = 0; i < suppressions.length; i += batch) await to.addSuppressions(suppressions.slice(i, i + batch));
  const skippedQueued: string[] = [];
  let queued = 0;
  for (const m of await from.listQueue()) {
    if (await to.getQueued(m.id)) {
      skippedQueued.push(m.id);
      continue;
    }
    await to.enqueue(m);
    queued++;
  }
  const log = (await from.listDeliveries()).reverse();
  for (let i = 0; i < log.length; i += batch) await to.logDeliveries(log.slice(i, i + batch).map(({ id: _id, ...e }) => e));
  const have = new Set((await to.listPlacementRuns()).map((r) => r.id));
  let placementRuns = 0;
  for (const r of await from.listPlacementRuns()) {
    if (have.has(r.id)) continue;
    await to.addPlacementRun(r);
    placementRuns++;
  }
  return { suppressions: suppressions.length, queued, skippedQueued, deliveries: log.length, placementRuns };
}
