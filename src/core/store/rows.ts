/**
 * Table rows → the Store's objects, shared by the SQL stores (SQLite and PostgreSQL have the same
 * columns; SQLite keeps JSON as text and booleans as 0/1, PostgreSQL as json and boolean).
 */
import type { Classification } from '../delivery/classification.js';
import type { CachedMtaStsPolicy, DeliveryLogEntry, PlacementRun, PlacementSeedRecord, QueuedRecipient, RecipientStatus, Suppression, SuppressionReason } from './store.js';

export interface DeliveryRow {
  id: number;
  message_id: string;
  recipient: string;
  status: string;
  reply_code: number | null;
  enhanced_code: string | null;
  response: string | null;
  mx: string | null;
  at: number;
  queue_id: string | null;
  address: string | null;
  port: number | null;
  tls_protocol: string | null;
  tls_cipher: string | null;
  classification: string | Classification | null;
  tag: string | null;
}
export interface SuppressionRow {
  address: string;
  reason: string;
  detail: string | null;
  source: string | null;
  created_at: number;
}
export interface RecipientRow {
  queue_id: string;
  recipient: string;
  domain: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  reply_code: number | null;
  enhanced_code: string | null;
  response: string | null;
  reason: string | null;
  hard: number | boolean | null;
}

export function toSuppression(r: SuppressionRow): Suppression {
  return {
    address: r.address,
    reason: r.reason as SuppressionReason,
    ...(r.detail === null ? {} : { detail: r.detail }),
    ...(r.source === null ? {} : { source: r.source }),
    createdAt: r.created_at,
  };
}
export function toDelivery(r: DeliveryRow): DeliveryLogEntry {
  const e: DeliveryLogEntry = { id: r.id, messageId: r.message_id, recipient: r.recipient, status: r.status, at: r.at };
  if (r.queue_id !== null) e.queueId = r.queue_id;
  if (r.mx !== null) e.mx = r.mx;
  if (r.address !== null) e.address = r.address;
  if (r.port !== null) e.port = r.port;
  if (r.tls_protocol !== null) e.tls = { protocol: r.tls_protocol, cipher: r.tls_cipher ?? '' };
  if (r.reply_code !== null) e.replyCode = r.reply_code;
  if (r.enhanced_code !== null) e.enhancedCode = r.enhanced_code;
  if (r.response !== null) e.response = r.response;
  if (r.classification !== null) e.classification = typeof r.classification === 'string' ? (JSON.parse(r.classification) as Classification) : r.classification;
  if (r.tag !== null) e.tag = r.tag;
  return e;
}
/** The columns of a delivery_log row, in the order deliveryFromArray reads them. */
export const DELIVERY_COLUMNS: readonly (keyof DeliveryRow)[] = ['id', 'message_id', 'recipient', 'status', 'reply_code', 'enhanced_code', 'response', 'mx', 'at', 'queue_id', 'address', 'port', 'tls_protocol', 'tls_cipher', 'classification', 'tag'];
/**
 * A delivery_log row read as an array in DELIVERY_COLUMNS order: the same entry as toDelivery of the
 * keyed row, read by position (a report reads one row per recipient, thousands after a large send).
 */
export function deliveryFromArray(a: readonly unknown[]): DeliveryLogEntry {
  const e: DeliveryLogEntry = { id: a[0] as number, messageId: a[1] as string, recipient: a[2] as string, status: a[3] as string, at: a[8] as number };
  if (a[9] !== null) e.queueId = a[9] as string;
  if (a[7] !== null) e.mx = a[7] as string;
  if (a[10] !== null) e.address = a[10] as string;
  if (a[11] !== null) e.port = a[11] as number;
  if (a[12] !== null) e.tls = { protocol: a[12] as string, cipher: (a[13] as string | null) ?? '' };
  if (a[4] !== null) e.replyCode = a[4] as number;
  if (a[5] !== null) e.enhancedCode = a[5] as string;
  if (a[6] !== null) e.response = a[6] as string;
  const c = a[14] as DeliveryRow['classification'];
  if (c !== null) e.classification = typeof c === 'string' ? (JSON.parse(c) as Classification) : c;
  if (a[15] !== null) e.tag = a[15] as string;
  return e;
}
/** The columns of a queue_recipient row, in the order recipientFromArray reads them. */
export const RECIPIENT_COLUMNS: readonly (keyof RecipientRow)[] = ['queue_id', 'recipient', 'domain', 'status', 'attempts', 'next_attempt_at', 'first_attempt_at', 'last_attempt_at', 'reply_code', 'enhanced_code', 'response', 'reason', 'hard'];
/** A queue_recipient row read as an array in RECIPIENT_COLUMNS order: the same object as toRecipient of the keyed row. */
export function recipientFromArray(a: readonly unknown[]): QueuedRecipient {
  const q: QueuedRecipient = { recipient: a[1] as string, domain: a[2] as string, status: a[3] as RecipientStatus, attempts: a[4] as number, nextAttemptAt: a[5] as number };
  if (a[6] !== null) q.firstAttemptAt = a[6] as number;
  if (a[7] !== null) q.lastAttemptAt = a[7] as number;
  if (a[10] !== null) {
    q.lastReply = { text: a[10] as string };
    if (a[8] !== null) q.lastReply.code = a[8] as number;
    if (a[9] !== null) q.lastReply.enhanced = a[9] as string;
  }
  if (a[11] !== null) q.reason = a[11] as string;
  if (a[12] !== null) q.hard = a[12] === true || a[12] === 1;
  return q;
}
export function toRecipient(r: RecipientRow): QueuedRecipient {
  const q: QueuedRecipient = { recipient: r.recipient, domain: r.domain, status: r.status as RecipientStatus, attempts: r.attempts, nextAttemptAt: r.next_attempt_at };
  if (r.first_attempt_at !== null) q.firstAttemptAt = r.first_attempt_at;
  if (r.last_attempt_at !== null) q.lastAttemptAt = r.last_attempt_at;
  if (r.response !== null) {
    q.lastReply = { text: r.response };
    if (r.reply_code !== null) q.lastReply.code = r.reply_code;
    if (r.enhanced_code !== null) q.lastReply.enhanced = r.enhanced_code;
  }
  if (r.reason !== null) q.reason = r.reason;
  if (r.hard !== null) q.hard = r.hard === true || r.hard === 1;
  return q;
}

export interface PlacementRunRow {
  id: string;
  started_at: number;
  finished_at: number;
  message_id: string;
}
export interface PlacementSeedRow {
  run_id: string;
  position: number;
  address: string;
  provider: string;
  placement: string;
  folder: string | null;
  time_to_inbox_ms: number | null;
  send_status: string;
  error: string | null;
}

/** The seed rows of one run, in order (the SQL stores insert these columns). */
export function placementSeedRows(run: PlacementRun): unknown[][] {
  return run.seeds.map((s, i) => [run.id, i, s.address, s.provider, s.placement, s.folder ?? null, s.timeToInboxMs ?? null, s.sendStatus, s.error ?? null]);
}
export const PLACEMENT_SEED_COLUMNS = 'run_id, position, address, provider, placement, folder, time_to_inbox_ms, send_status, error';

/** Run rows and their seed rows (ordered by run, position) → runs. */
export function toPlacementRuns(runs: readonly PlacementRunRow[], seeds: readonly PlacementSeedRow[]): PlacementRun[] {
  const byId = new Map<string, PlacementRun>();
  const out = runs.map((r) => {
    const run: PlacementRun = { id: r.id, startedAt: r.started_at, finishedAt: r.finished_at, messageId: r.message_id, seeds: [] };
    byId.set(r.id, run);
    return run;
  });
  for (const s of seeds) {
    const rec: PlacementSeedRecord = { address: s.address, provider: s.provider, placement: s.placement, sendStatus: s.send_status };
    if (s.folder !== null) rec.folder = s.folder;
    if (s.time_to_inbox_ms !== null) rec.timeToInboxMs = s.time_to_inbox_ms;
    if (s.error !== null) rec.error = s.error;
    byId.get(s.run_id)?.seeds.push(rec);
  }
  return out;
}

export interface MtaStsRow {
  domain: string;
  policy_id: string;
  mode: string;
  /** JSON text (SQLite) or already parsed json (PostgreSQL). */
  mx: string | string[];
  max_age: number;
  fetched_at: number;
  expires_at: number;
}

export function toMtaStsPolicy(r: MtaStsRow): CachedMtaStsPolicy {
  return {
    domain: r.domain,
    id: r.policy_id,
    mode: r.mode as CachedMtaStsPolicy['mode'],
    mx: typeof r.mx === 'string' ? (JSON.parse(r.mx) as string[]) : r.mx,
    maxAge: Number(r.max_age),
    fetchedAt: Number(r.fetched_at),
    expiresAt: Number(r.expires_at),
  };
}
