/**
 * The in-memory store (tests, `--store :memory:`, the warm-up simulator): the same contract as
 * SQLite and PostgreSQL, nothing kept after the process ends.
 */
import {
  applyUpdates,
  countRows,
  FINAL_STATUSES,
  isSettled,
  normalizeAddress,
  type AttemptRecord,
  type CachedMtaStsPolicy,
  type Claim,
  type DeliveryCount,
  type DeliveryFilter,
  type DeliveryLogEntry,
  type PlacementRun,
  type QueuedMessage,
  type QueuedRecipient,
  type RecipientUpdate,
  type Store,
  type Suppression,
  type SuppressionReason,
} from './store.js';

interface Lease {
  worker: string;
  until: number;
}

/** A copy the caller may change; `options` is shared, as no caller changes it (the engine spreads it into its own object). */
function cloneMessage(m: QueuedMessage): QueuedMessage {
  return { ...m, recipients: m.recipients.map((r) => ({ ...r, ...(r.lastReply ? { lastReply: { ...r.lastReply } } : {}) })) };
}

export class MemoryStore implements Store {
  /** Recipient lookup per queued message (recipients never change once queued). */
  private readonly recipientIndex = new WeakMap<QueuedMessage, Map<string, QueuedRecipient>>();
  private readonly suppressions = new Map<string, Suppression>();
  private readonly deliveries: DeliveryLogEntry[] = [];
  /** The queue as stored (subclasses read it without the copy getQueued makes). */
  protected readonly queue = new Map<string, QueuedMessage>();
  private readonly leases = new Map<string, Lease>();
  private readonly placementRuns = new Map<string, PlacementRun>();
  private readonly mtaSts = new Map<string, CachedMtaStsPolicy>();

  async addSuppression(s: Suppression): Promise<void> {
    const address = normalizeAddress(s.address);
    this.suppressions.set(address, { ...s, address });
  }
  async addSuppressions(list: readonly Suppression[]): Promise<void> {
    for (const s of list) await this.addSuppression(s);
  }
  async getSuppression(address: string): Promise<Suppression | undefined> {
    return this.suppressions.get(normalizeAddress(address));
  }
  async suppressedAmong(addresses: readonly string[]): Promise<Map<string, Suppression>> {
    const out = new Map<string, Suppression>();
    for (const a of addresses) {
      const s = this.suppressions.get(normalizeAddress(a));
      if (s) out.set(s.address, s);
    }
    return out;
  }
  async removeSuppression(address: string): Promise<boolean> {
    return this.suppressions.delete(normalizeAddress(address));
  }
  async listSuppressions(filter: { reason?: SuppressionReason } = {}): Promise<Suppression[]> {
    return [...this.suppressions.values()]
      .filter((s) => filter.reason === undefined || s.reason === filter.reason)
      .sort((a, b) => a.createdAt - b.createdAt || a.address.localeCompare(b.address));
  }

  async enqueue(message: QueuedMessage): Promise<void> {
    if (this.queue.has(message.id)) throw new Error(`queue id ${message.id} already exists`);
    const m = { ...cloneMessage(message), options: structuredClone(message.options) };
    for (const r of m.recipients) r.recipient = normalizeAddress(r.recipient);
    this.queue.set(m.id, m);
  }
  async getQueued(id: string): Promise<QueuedMessage | undefined> {
    const m = this.queue.get(id);
    return m ? cloneMessage(m) : undefined;
  }
  async listQueue(): Promise<QueuedMessage[]> {
    return [...this.queue.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)).map(cloneMessage);
  }
  async claim(opts: { worker: string; now: number; leaseMs: number; limit: number; id?: string }): Promise<Claim[]> {
    const out: Claim[] = [];
    const candidates = opts.id === undefined ? [...this.queue.values()].sort((a, b) => a.createdAt - b.createdAt) : [this.queue.get(opts.id)].filter((m) => m !== undefined);
    for (const m of candidates) {
      if (out.length >= opts.limit) break;
      const lease = this.leases.get(m.id);
      if (lease && lease.until > opts.now) continue;
      if (!m.recipients.some((r) => !FINAL_STATUSES.has(r.status) && r.nextAttemptAt <= opts.now)) continue;
      const until = opts.now + opts.leaseMs;
      this.leases.set(m.id, { worker: opts.worker, until });
      out.push({ message: cloneMessage(m), worker: opts.worker, leaseUntil: until });
    }
    return out;
  }
  async recordAttempts(worker: string, batch: readonly AttemptRecord[]): Promise<void> {
    for (const b of batch) {
      const lease = this.leases.get(b.queueId);
      if (!this.queue.has(b.queueId) || !lease || lease.worker !== worker) throw new Error(`queue entry ${b.queueId} is not claimed by ${worker}`);
    }
    for (const b of batch) {
      const m = this.queue.get(b.queueId)!;
      applyUpdates(this.recipientIndex, m, b.updates);
      for (const e of b.log) await this.logDelivery(e);
    }
  }
  async release(queueId: string, worker: string): Promise<void> {
    const lease = this.leases.get(queueId);
    if (lease && lease.worker === worker) this.leases.delete(queueId);
    const m = this.queue.get(queueId);
    if (m && isSettled(m)) this.queue.delete(queueId);
  }
  async deleteQueued(id: string): Promise<boolean> {
    this.leases.delete(id);
    return this.queue.delete(id);
  }
  async deleteAllQueued(): Promise<number> {
    const n = this.queue.size;
    this.queue.clear();
    this.leases.clear();
    return n;
  }

  async logDelivery(e: DeliveryLogEntry): Promise<number> {
    const id = this.deliveries.length + 1;
    this.deliveries.push({ ...e, recipient: normalizeAddress(e.recipient), id });
    return id;
  }
  async logDeliveries(entries: readonly DeliveryLogEntry[]): Promise<void> {
    for (const e of entries) await this.logDelivery(e);
  }
  async listDeliveries(filter: DeliveryFilter = {}): Promise<DeliveryLogEntry[]> {
    const r = filter.recipient === undefined ? undefined : normalizeAddress(filter.recipient);
    const rows = this.deliveries
      .filter(
        (d) =>
          (r === undefined || d.recipient === r) &&
          (filter.since === undefined || d.at >= filter.since) &&
          (filter.messageId === undefined || d.messageId === filter.messageId) &&
          (filter.queueId === undefined || d.queueId === filter.queueId),
      )
      .sort((a, b) => b.at - a.at || b.id! - a.id!);
    return filter.limit === undefined ? rows : rows.slice(0, filter.limit);
  }
  async countDeliveries(filter: { tagPrefix: string; since?: number }): Promise<DeliveryCount[]> {
    return countRows(this.deliveries, filter);
  }
  async addPlacementRun(run: PlacementRun): Promise<void> {
    if (this.placementRuns.has(run.id)) throw new Error(`placement run ${run.id} already exists`);
    this.placementRuns.set(run.id, structuredClone(run));
  }
  async listPlacementRuns(filter: { since?: number; until?: number } = {}): Promise<PlacementRun[]> {
    return [...this.placementRuns.values()]
      .filter((r) => (filter.since === undefined || r.startedAt >= filter.since) && (filter.until === undefined || r.startedAt <= filter.until))
      .sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id))
      .map((r) => structuredClone(r));
  }
  async getMtaStsPolicy(domain: string): Promise<CachedMtaStsPolicy | undefined> {
    const p = this.mtaSts.get(domain.toLowerCase());
    return p ? { ...p, mx: [...p.mx] } : undefined;
  }
  async putMtaStsPolicy(policy: CachedMtaStsPolicy): Promise<void> {
    const domain = policy.domain.toLowerCase();
    this.mtaSts.set(domain, { ...policy, domain, mx: [...policy.mx] });
  }
  async close(): Promise<void> {}
}
