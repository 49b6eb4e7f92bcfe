/**
 * The in-memory store (tests, `--store :memory:`, the warm-up simulator): the same contract as
 * SQLite and PostgreSQL, nothing kept after the process ends.
 */
import {
  applyUpdate,
  countRows,
  isSettled,
  nextDue,
  normalizeAddress,
  recipientIndex,
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
  type ReplyRecord,
  type Store,
  type Suppression,
  type SuppressionReason,
} from './store.js';

interface Lease {
  worker: string;
  until: number;
}

/**
 * A copy the caller may change; `options` is shared, as no caller changes it (the engine spreads it
 * into its own object), and so is each recipient's lastReply, which the store keeps frozen (it is
 * replaced, never changed). A claim copies every recipient of every due message (a throttled
 * destination's backlog on every retry), so this is written out field by field, in the order the
 * SQL stores give (rows.ts), rather than spread.
 */
function cloneMessage(m: QueuedMessage): QueuedMessage {
  const from = m.recipients;
  const recipients = new Array<QueuedRecipient>(from.length);
  for (let i = 0; i < from.length; i++) {
    const r = from[i]!;
    if (r.firstAttemptAt !== undefined && r.lastAttemptAt !== undefined && r.lastReply !== undefined && r.reason !== undefined && r.hard !== undefined) {
      // a recipient tried before has them all: one literal, the same fields in the same order
      recipients[i] = { recipient: r.recipient, domain: r.domain, status: r.status, attempts: r.attempts, nextAttemptAt: r.nextAttemptAt, firstAttemptAt: r.firstAttemptAt, lastAttemptAt: r.lastAttemptAt, lastReply: r.lastReply, reason: r.reason, hard: r.hard };
      continue;
    }
    const c: QueuedRecipient = { recipient: r.recipient, domain: r.domain, status: r.status, attempts: r.attempts, nextAttemptAt: r.nextAttemptAt };
    if (r.firstAttemptAt !== undefined) c.firstAttemptAt = r.firstAttemptAt;
    if (r.lastAttemptAt !== undefined) c.lastAttemptAt = r.lastAttemptAt;
    if (r.lastReply !== undefined) c.lastReply = r.lastReply;
    if (r.reason !== undefined) c.reason = r.reason;
    if (r.hard !== undefined) c.hard = r.hard;
    recipients[i] = c;
  }
  return { ...m, recipients };
}

/** The store's own, frozen copy of a reply (shared by the copies it hands out). */
function ownReply(r: ReplyRecord): ReplyRecord {
  return Object.isFrozen(r) ? r : Object.freeze({ ...r });
}

export interface MemoryStoreOptions {
  /**
   * Keep the delivery log (default true). The warm-up simulator does not: its figures come from
   * the engine's events, and a throttled backlog retried all day, every day, would add a row per
   * attempt without bound.
   */
  keepLog?: boolean;
}

export class MemoryStore implements Store {
  private readonly keepLog: boolean;
  constructor(options: MemoryStoreOptions = {}) {
    this.keepLog = options.keepLog ?? true;
  }
  /** Recipient lookup per queued message (recipients never change once queued). */
  private readonly recipientIndex = new WeakMap<QueuedMessage, Map<string, QueuedRecipient>>();
  private readonly suppressions = new Map<string, Suppression>();
  private readonly deliveries: DeliveryLogEntry[] = [];
  private readonly queue = new Map<string, QueuedMessage>();
  /**
   * Each queued message's earliest due time (Infinity: nothing pending), kept up to date by every
   * write, so a claim looks at each message once instead of at each of its recipients.
   */
  protected readonly dueAt = new Map<string, number>();
  /** True while the queue's insertion order is also its createdAt order (the usual case): claims then need no sort. */
  private inCreationOrder = true;
  private lastCreatedAt = -Infinity;
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
    if (this.suppressions.size === 0) return out;
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
    for (const r of m.recipients) {
      r.recipient = normalizeAddress(r.recipient);
      if (r.lastReply) r.lastReply = ownReply(r.lastReply);
    }
    if (m.createdAt < this.lastCreatedAt) this.inCreationOrder = false;
    else this.lastCreatedAt = m.createdAt;
    this.queue.set(m.id, m);
    this.dueAt.set(m.id, nextDue(m) ?? Infinity);
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
    // createdAt order (ties: queue order, as a stable sort keeps them)
    const candidates: Iterable<QueuedMessage> =
      opts.id !== undefined ? [this.queue.get(opts.id)].filter((m) => m !== undefined) : this.inCreationOrder ? this.queue.values() : [...this.queue.values()].sort((a, b) => a.createdAt - b.createdAt);
    for (const m of candidates) {
      if (out.length >= opts.limit) break;
      if (!(this.dueAt.get(m.id)! <= opts.now)) continue;
      const lease = this.leases.get(m.id);
      if (lease && lease.until > opts.now) continue;
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
      if (b.hold) this.hold(m, b.hold.recipients, b.hold.until);
      this.apply(m, b.updates);
      if (this.keepLog) for (const e of b.log) this.addLogRow(e);
    }
  }
  private hold(m: QueuedMessage, addresses: readonly string[], until: number): void {
    if (addresses.length === 0) return;
    const find = this.finder(m);
    for (const a of addresses) {
      const r = find(a);
      if (r) r.nextAttemptAt = until;
    }
    this.dueAt.set(m.id, nextDue(m) ?? Infinity);
  }
  private apply(m: QueuedMessage, updates: readonly RecipientUpdate[]): void {
    if (updates.length === 0) return;
    const find = this.finder(m);
    for (const u of updates) {
      const r = find(u.recipient);
      if (!r) continue;
      applyUpdate(r, u);
      if (u.lastReply !== undefined) r.lastReply = ownReply(u.lastReply);
    }
    this.dueAt.set(m.id, nextDue(m) ?? Infinity);
  }
  /**
   * Looks up a message's recipient records by address. Writes mostly come in queue order (a batch,
   * a held backlog): it looks a few records past the previous one first; else the index, keyed by
   * normalised address (an address found as given is already normal).
   */
  private finder(m: QueuedMessage): (address: string) => QueuedRecipient | undefined {
    const byAddress = recipientIndex(this.recipientIndex, m);
    const recipients = m.recipients;
    let cursor = 0;
    return (address) => {
      for (let j = cursor, end = Math.min(recipients.length, cursor + 4); j < end; j++) {
        if (recipients[j]!.recipient === address) {
          cursor = j + 1;
          return recipients[j];
        }
      }
      return byAddress.get(address) ?? byAddress.get(normalizeAddress(address));
    };
  }
  async release(queueId: string, worker: string): Promise<void> {
    const lease = this.leases.get(queueId);
    if (lease && lease.worker === worker) this.leases.delete(queueId);
    const m = this.queue.get(queueId);
    if (m && isSettled(m)) {
      this.queue.delete(queueId);
      this.dueAt.delete(queueId);
    }
  }
  async deleteQueued(id: string): Promise<boolean> {
    this.leases.delete(id);
    this.dueAt.delete(id);
    return this.queue.delete(id);
  }
  async deleteAllQueued(): Promise<number> {
    const n = this.queue.size;
    this.queue.clear();
    this.dueAt.clear();
    this.leases.clear();
    return n;
  }

  async logDelivery(e: DeliveryLogEntry): Promise<number> {
    return this.keepLog ? this.addLogRow(e) : 0;
  }
  private addLogRow(e: DeliveryLogEntry): number {
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
