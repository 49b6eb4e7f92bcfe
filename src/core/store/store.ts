/**
 * Persistent state for commands that act: the suppression list, the delivery queue and the
 * delivery log. The interface is asynchronous so that a networked store (PostgreSQL) implements
 * exactly the same contract as the embedded ones (SQLite, in-memory); every implementation passes
 * the same contract tests (test/helpers/store-contract.ts).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Classification } from '../delivery/classification.js';

export const SUPPRESSION_REASONS = {
  'hard-bounce': 'The receiver said the address does not exist or will never accept mail (5xx about the recipient).',
  'soft-bounce': 'Repeated soft bounces (mailbox full) over several days.',
  complaint: 'The recipient reported a message as spam (feedback loop).',
  unsubscribe: 'The recipient unsubscribed.',
  manual: 'Added by hand.',
} as const;
export type SuppressionReason = keyof typeof SUPPRESSION_REASONS;

export interface Suppression {
  address: string;
  reason: SuppressionReason;
  /** The reply or report that caused it ("550 5.1.1 user unknown"). */
  detail?: string;
  /** Where it came from: "send", "bounce", "import", "cli" … */
  source?: string;
  /** ms since epoch */
  createdAt: number;
}

/** A recipient's state in the queue. "sending": an attempt is in progress (written before DATA). */
export type RecipientStatus = 'queued' | 'sending' | 'delivered' | 'deferred' | 'bounced' | 'expired' | 'suppressed';
export const FINAL_STATUSES: ReadonlySet<RecipientStatus> = new Set(['delivered', 'bounced', 'expired', 'suppressed']);

/** FINAL_STATUSES as an SQL list, for `status NOT IN …` (SQLite and PostgreSQL alike). */
export const FINAL_STATUSES_SQL = `(${[...FINAL_STATUSES].map((s) => `'${s}'`).join(',')})`;

/** FINAL_STATUSES.has(status), as comparisons: the queue's loops ask it of every recipient of every claim. */
export function isFinal(status: RecipientStatus): boolean {
  return status === 'delivered' || status === 'bounced' || status === 'expired' || status === 'suppressed';
}

export interface ReplyRecord {
  code?: number;
  enhanced?: string;
  text: string;
}

export interface TlsRecord {
  protocol: string;
  cipher: string;
}

export interface QueuedRecipient {
  recipient: string;
  /** The recipient domain (lower case, punycode): the unit of routing and rate limits. */
  domain: string;
  status: RecipientStatus;
  attempts: number;
  /** ms since epoch; when the next attempt is due (queued/deferred). */
  nextAttemptAt: number;
  firstAttemptAt?: number;
  lastAttemptAt?: number;
  lastReply?: ReplyRecord;
  reason?: string;
  hard?: boolean;
}

export interface QueuedMessage {
  /** Queue id (short, unique, sortable by creation). */
  id: string;
  messageId: string;
  /** Envelope sender (MAIL FROM); "" is the null reverse-path. */
  sender: string;
  /** The message as sent (signed when DKIM was asked for). */
  raw: Buffer;
  createdAt: number;
  /** createdAt + max age: after this, deferred recipients expire. */
  expiresAt: number;
  /** How to deliver it (relay, port, TLS mode, HELO, retry policy …): opaque to the store. */
  options: Record<string, unknown>;
  recipients: QueuedRecipient[];
}

/** A message claimed by one worker until leaseUntil. */
export interface Claim {
  message: QueuedMessage;
  worker: string;
  leaseUntil: number;
}

export interface DeliveryLogEntry {
  id?: number;
  /** ms since epoch */
  at: number;
  queueId?: string;
  messageId: string;
  recipient: string;
  /** "delivered", "deferred", "bounced", "expired", "suppressed" */
  status: string;
  mx?: string;
  address?: string;
  port?: number;
  tls?: TlsRecord | null;
  replyCode?: number;
  enhancedCode?: string;
  response?: string;
  classification?: Classification;
  /** What the attempt counts toward, e.g. a warm-up plan's "warmup:<plan id>:<provider>" (counted by countDeliveries). */
  tag?: string;
}

/** Log rows of one UTC hour with one tag and status (countDeliveries). */
export interface DeliveryCount {
  tag: string;
  /** Start of the hour, ms since epoch. */
  hour: number;
  status: string;
  count: number;
}

export interface DeliveryFilter {
  recipient?: string;
  /** ms since epoch, inclusive */
  since?: number;
  messageId?: string;
  queueId?: string;
  /** Newest first; at most this many. */
  limit?: number;
}

/** One seed's outcome in a stored placement run (the trend data `monitor --source store` reads). */
export interface PlacementSeedRecord {
  address: string;
  provider: string;
  /** inbox | spam | other:<folder> | missing | bounced | unknown */
  placement: string;
  folder?: string;
  /** Receiver's acceptance → the copy seen (found copies only). */
  timeToInboxMs?: number;
  /** The send outcome: delivered, deferred, bounced, expired, suppressed, not-sent. */
  sendStatus: string;
  error?: string;
}

/** One `placement` run: every seed's outcome, kept so trends per provider can be computed. */
export interface PlacementRun {
  id: string;
  /** ms since epoch */
  startedAt: number;
  finishedAt: number;
  messageId: string;
  seeds: PlacementSeedRecord[];
}

/** What one attempt changes for one recipient, written together with its log entry. */
export interface RecipientUpdate {
  recipient: string;
  status: RecipientStatus;
  nextAttemptAt?: number;
  lastReply?: ReplyRecord;
  reason?: string;
  hard?: boolean;
  /** Counts as an attempt (false for "sending" marks and suppressions). */
  attempted?: boolean;
  at: number;
}

/** What one attempt writes for one message. */
export interface AttemptRecord {
  queueId: string;
  updates: readonly RecipientUpdate[];
  log: readonly DeliveryLogEntry[];
  /**
   * Recipients that wait until `until`, otherwise unchanged (not an attempt): a throttled
   * destination's backlog, held on every claim while the throttle lasts, as one list of addresses
   * rather than an update each. Applied before `updates`.
   */
  hold?: { recipients: readonly string[]; until: number };
}

/**
 * An MTA-STS policy as last fetched (RFC 8461 §3.2), kept for max_age (§3.3) so that it goes on
 * being applied when a later fetch fails, and is fetched again only when the domain's TXT record
 * announces a new id (§3.1).
 */
export interface CachedMtaStsPolicy {
  /** The recipient domain, lower case. */
  domain: string;
  /** The id of the _mta-sts TXT record the policy was fetched under. */
  id: string;
  mode: 'enforce' | 'testing' | 'none';
  mx: string[];
  /** The policy's max_age, seconds. */
  maxAge: number;
  /** ms since epoch */
  fetchedAt: number;
  /** fetchedAt + max_age: after this the policy is no longer applied. */
  expiresAt: number;
}

export interface Store {
  // Suppression list
  addSuppression(s: Suppression): Promise<void>;
  /** Many at once, in one transaction (an import; PostgreSQL streams them with COPY). A later duplicate wins. */
  addSuppressions(list: readonly Suppression[]): Promise<void>;
  getSuppression(address: string): Promise<Suppression | undefined>;
  /** One query for a batch: the suppressed ones among `addresses`, keyed by normalised address. */
  suppressedAmong(addresses: readonly string[]): Promise<Map<string, Suppression>>;
  removeSuppression(address: string): Promise<boolean>;
  listSuppressions(filter?: { reason?: SuppressionReason }): Promise<Suppression[]>;

  // Queue
  enqueue(message: QueuedMessage): Promise<void>;
  getQueued(id: string): Promise<QueuedMessage | undefined>;
  listQueue(): Promise<QueuedMessage[]>;
  /**
   * Claims up to `limit` messages that have a recipient due at `now` and no live lease (a crashed
   * worker's lease expires), or the one message `id`. Atomic: two workers never hold one message.
   */
  claim(opts: { worker: string; now: number; leaseMs: number; limit: number; id?: string }): Promise<Claim[]>;
  /**
   * Applies recipient updates and their log entries, for one or several messages, in one
   * transaction; only while `worker` holds each message's lease (else nothing is written and it
   * rejects). Several at once: the engine groups the writes of concurrent SMTP transactions into
   * one commit.
   */
  recordAttempts(worker: string, batch: readonly AttemptRecord[]): Promise<void>;
  /** Ends the lease; a message whose recipients are all final leaves the queue. */
  release(queueId: string, worker: string): Promise<void>;
  deleteQueued(id: string): Promise<boolean>;
  deleteAllQueued(): Promise<number>;

  // Delivery log
  logDelivery(e: DeliveryLogEntry): Promise<number>;
  /** Many rows in one transaction, in the given order (`store copy`). */
  logDeliveries(entries: readonly DeliveryLogEntry[]): Promise<void>;
  /** Newest first. */
  listDeliveries(filter?: DeliveryFilter): Promise<DeliveryLogEntry[]>;
  /** Log rows whose tag starts with `tagPrefix` (at or after `since`), counted per tag, hour and status. */
  countDeliveries(filter: { tagPrefix: string; since?: number }): Promise<DeliveryCount[]>;

  // Placement runs
  /** Keeps one run with its seeds (one transaction); an id already stored is refused. */
  addPlacementRun(run: PlacementRun): Promise<void>;
  /** Runs started in [since, until] (ms, inclusive), oldest first, seeds in the order recorded. */
  listPlacementRuns(filter?: { since?: number; until?: number }): Promise<PlacementRun[]>;

  // MTA-STS policy cache (RFC 8461 §3.3)
  /** The domain's cached policy, expired or not (the caller compares expiresAt with its clock). */
  getMtaStsPolicy(domain: string): Promise<CachedMtaStsPolicy | undefined>;
  /** Replaces the domain's cached policy. */
  putMtaStsPolicy(policy: CachedMtaStsPolicy): Promise<void>;

  close(): Promise<void>;
}

export const HOUR_MS = 3_600_000;

/** Adds one log row to per-(tag, hour, status) counts: the memory store's countDeliveries and its tests. */
export function countRows(rows: Iterable<Pick<DeliveryLogEntry, 'tag' | 'at' | 'status'>>, filter: { tagPrefix: string; since?: number }): DeliveryCount[] {
  const out = new Map<string, DeliveryCount>();
  for (const r of rows) {
    if (r.tag === undefined || !r.tag.startsWith(filter.tagPrefix) || (filter.since !== undefined && r.at < filter.since)) continue;
    const hour = Math.floor(r.at / HOUR_MS) * HOUR_MS;
    const key = `${r.tag}\u0000${hour}\u0000${r.status}`;
    const c = out.get(key);
    if (c) c.count++;
    else out.set(key, { tag: r.tag, hour, status: r.status, count: 1 });
  }
  return [...out.values()];
}

/** Addresses compare case-insensitively in the domain and (pragmatically) in the local part. */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** The domain of an address, lower case (the part after the last "@"). */
export function addressDomain(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).trim().toLowerCase();
}

/** Is every recipient in a final state? */
export function isSettled(m: Pick<QueuedMessage, 'recipients'>): boolean {
  return m.recipients.every((r) => isFinal(r.status));
}

/** The earliest time a recipient of `m` is due, or undefined when none is pending. */
export function nextDue(m: Pick<QueuedMessage, 'recipients'>): number | undefined {
  let due: number | undefined;
  for (const r of m.recipients) {
    if (isFinal(r.status)) continue;
    if (due === undefined || r.nextAttemptAt < due) due = r.nextAttemptAt;
  }
  return due;
}

/**
 * A message's recipient records by (normalised) address, built once per message object and kept in
 * `indexes` (recipients never change once queued; a --separate send has thousands).
 */
export function recipientIndex(indexes: WeakMap<QueuedMessage, Map<string, QueuedRecipient>>, m: QueuedMessage): Map<string, QueuedRecipient> {
  let index = indexes.get(m);
  if (!index) {
    index = new Map(m.recipients.map((r) => [r.recipient, r]));
    indexes.set(m, index);
  }
  return index;
}

/** Applies updates to a message's recipient records, found through recipientIndex (the engine's copy of a claimed message). */
export function applyUpdates(indexes: WeakMap<QueuedMessage, Map<string, QueuedRecipient>>, m: QueuedMessage, updates: readonly RecipientUpdate[]): void {
  const index = recipientIndex(indexes, m);
  for (const u of updates) {
    const r = index.get(normalizeAddress(u.recipient));
    if (r) applyUpdate(r, u);
  }
}

/** Applies one update to a recipient record (shared by every Store implementation). */
export function applyUpdate(r: QueuedRecipient, u: RecipientUpdate): void {
  r.status = u.status;
  if (u.nextAttemptAt !== undefined) r.nextAttemptAt = u.nextAttemptAt;
  if (u.lastReply !== undefined) r.lastReply = u.lastReply;
  if (u.reason !== undefined) r.reason = u.reason;
  if (u.hard !== undefined) r.hard = u.hard;
  if (u.attempted) {
    r.attempts += 1;
    r.firstAttemptAt ??= u.at;
    r.lastAttemptAt = u.at;
  }
}

/** $MAILPACE_STORE, else $XDG_STATE_HOME/mailpace-cli/store.sqlite (default ~/.local/state). */
export function defaultStorePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MAILPACE_STORE) return env.MAILPACE_STORE;
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'mailpace-cli', 'store.sqlite');
}
