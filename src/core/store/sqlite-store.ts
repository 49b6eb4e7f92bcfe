/**
 * The default store: one SQLite file (better-sqlite3), WAL journal so a reader never blocks the
 * writer, schema changes as numbered migrations recorded in PRAGMA user_version.
 * Import this module only where a store is needed: it loads a native addon.
 */
import { accessSync, constants as fsConstants, mkdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, delimiter, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { MailpaceError } from '../errors.js';
import type { StoreCounts } from './admin.js';
import {
  FINAL_STATUSES_SQL,
  normalizeAddress,
  type AttemptRecord,
  type CachedMtaStsPolicy,
  type Claim,
  HOUR_MS,
  type DeliveryCount,
  type DeliveryFilter,
  type DeliveryLogEntry,
  type PlacementRun,
  type QueuedMessage,
  type Store,
  type Suppression,
  type SuppressionReason,
} from './store.js';
import { DELIVERY_COLUMNS, deliveryFromArray, PLACEMENT_SEED_COLUMNS, placementSeedRows, RECIPIENT_COLUMNS, recipientFromArray, toMtaStsPolicy, toPlacementRuns, toSuppression, type MtaStsRow, type PlacementRunRow, type PlacementSeedRow, type SuppressionRow } from './rows.js';

/** Append only: never edit a migration that has shipped. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE suppression (
     address TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     detail TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE delivery_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     message_id TEXT NOT NULL,
     recipient TEXT NOT NULL,
     status TEXT NOT NULL,
     reply_code INTEGER,
     enhanced_code TEXT,
     response TEXT,
     mx TEXT,
     at INTEGER NOT NULL
   );
   CREATE INDEX delivery_log_recipient ON delivery_log(recipient, at);`,
  // 2: the delivery queue (a message, its recipients, a lease per message) and a fuller log.
  `ALTER TABLE suppression ADD COLUMN source TEXT;
   ALTER TABLE delivery_log ADD COLUMN queue_id TEXT;
   ALTER TABLE delivery_log ADD COLUMN address TEXT;
   ALTER TABLE delivery_log ADD COLUMN port INTEGER;
   ALTER TABLE delivery_log ADD COLUMN tls_protocol TEXT;
   ALTER TABLE delivery_log ADD COLUMN tls_cipher TEXT;
   ALTER TABLE delivery_log ADD COLUMN reason TEXT;
   ALTER TABLE delivery_log ADD COLUMN classification TEXT;
   CREATE INDEX delivery_log_at ON delivery_log(at);
   CREATE INDEX delivery_log_message ON delivery_log(message_id);
   CREATE TABLE queue_message (
     id TEXT PRIMARY KEY,
     message_id TEXT NOT NULL,
     sender TEXT NOT NULL,
     raw BLOB NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     options TEXT NOT NULL,
     claimed_by TEXT,
     lease_until INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE queue_recipient (
     queue_id TEXT NOT NULL REFERENCES queue_message(id) ON DELETE CASCADE,
     recipient TEXT NOT NULL,
     domain TEXT NOT NULL,
     status TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     first_attempt_at INTEGER,
     last_attempt_at INTEGER,
     reply_code INTEGER,
     enhanced_code TEXT,
     response TEXT,
     reason TEXT,
     hard INTEGER,
     PRIMARY KEY (queue_id, recipient)
   );
   CREATE INDEX queue_recipient_due ON queue_recipient(status, next_attempt_at);`,
  // 3: what an attempt counts toward (a warm-up plan and provider), counted per hour.
  `ALTER TABLE delivery_log ADD COLUMN tag TEXT;
   CREATE INDEX delivery_log_tag ON delivery_log(tag, at) WHERE tag IS NOT NULL;`,
  // 4: placement runs (one row per run, one per seed), the data of placement trends.
  `CREATE TABLE placement_run (
     id TEXT PRIMARY KEY,
     started_at INTEGER NOT NULL,
     finished_at INTEGER NOT NULL,
     message_id TEXT NOT NULL
   );
   CREATE INDEX placement_run_started ON placement_run(started_at);
   CREATE TABLE placement_seed (
     run_id TEXT NOT NULL REFERENCES placement_run(id) ON DELETE CASCADE,
     position INTEGER NOT NULL,
     address TEXT NOT NULL,
     provider TEXT NOT NULL,
     placement TEXT NOT NULL,
     folder TEXT,
     time_to_inbox_ms INTEGER,
     send_status TEXT NOT NULL,
     error TEXT,
     PRIMARY KEY (run_id, position)
   );`,
  // 5: MTA-STS policies as fetched, kept for their max_age (RFC 8461 §3.3).
  `CREATE TABLE mta_sts_policy (
     domain TEXT PRIMARY KEY,
     policy_id TEXT NOT NULL,
     mode TEXT NOT NULL,
     mx TEXT NOT NULL,
     max_age INTEGER NOT NULL,
     fetched_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL
   );`,
];

/** Commits between background write-outs of the WAL (flushWalSoon): a few MB of frames. */
const WAL_FLUSH_COMMITS = 200;

const FINAL_SQL = FINAL_STATUSES_SQL;

interface MessageRow {
  id: string;
  message_id: string;
  sender: string;
  raw: Buffer;
  created_at: number;
  expires_at: number;
  options: string;
}


export interface SqliteStoreOptions {
  /** better-sqlite3's `nativeBinding`: the path of better_sqlite3.node, instead of its own lookup. */
  nativeBinding?: string;
  /** Apply pending migrations on open (default true; `store status` looks without changing). */
  migrate?: boolean;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** Statements in raw mode (rows as arrays), prepared on first use. */
  private recipientRows: Database.Statement | undefined;
  private deliveryRows: Database.Statement | undefined;
  /** recordAttempts' transaction, built once: better-sqlite3 makes a new wrapper per transaction() call. */
  private recordTx: ((worker: string, batch: readonly AttemptRecord[]) => void) | undefined;
  /**
   * A classification's JSON text, per classification object: the engine hands the same object
   * for every recipient that got the same reply, so a bulk send serialises each one once.
   */
  private readonly classificationText = new WeakMap<object, string>();
  /** A write-out of the WAL file running in the background (see flushWalSoon), and commits since the last. */
  private walFlush: Promise<void> | undefined;
  private commitsSinceFlush = 0;
  /** What opening this store migrated: from, to, the versions applied (undefined with migrate: false). */
  migrated: { from: number; to: number; applied: number[] } | undefined;

  constructor(
    readonly path: string,
    opts: SqliteStoreOptions = {},
  ) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, opts.nativeBinding === undefined ? {} : { nativeBinding: opts.nativeBinding });
    } catch (e) {
      // better-sqlite3 loads its native addon here, on first use: an install whose build script was
      // skipped (npm ≥ 11 without an allowScripts approval) or failed fails here, not at import.
      const binding = nativeBindingError(e);
      if (binding) throw binding;
      throw new MailpaceError('STORE_OPEN_FAILED', `cannot open store ${path}: ${(e as Error).message}`, {
        cause: e,
        hint: 'set --store or MAILPACE_STORE to a writable path',
      });
    }
    this.db.pragma('journal_mode = WAL');
    // Several processes (two `send`s, `queue run` workers) share one file: wait for the write lock
    // rather than fail, and keep transactions short. synchronous=NORMAL is durable against a
    // process crash in WAL mode (only a power loss can lose the last transactions).
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('synchronous = NORMAL');
    // A checkpoint is where WAL mode with synchronous=NORMAL pays its fsync; at the default 1,000
    // pages a `send` to thousands of recipients checkpoints every few hundred commits (measured:
    // 4,000 small commits 379 ms → 167 ms with this). The WAL is checkpointed and removed when
    // the last connection closes anyway.
    this.db.pragma('wal_autocheckpoint = 10000');
    if (opts.migrate !== false) this.migrate();
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    if (this.schemaVersion === MIGRATIONS.length) {
      this.migrated = { from: MIGRATIONS.length, to: MIGRATIONS.length, applied: [] };
      return;
    }
    // The version is read again inside an IMMEDIATE transaction: processes starting at once
    // migrate one after the other, and the later ones find nothing left to do.
    const apply = this.db.transaction(() => {
      const current = this.schemaVersion;
      if (current > MIGRATIONS.length) {
        throw new MailpaceError('STORE_TOO_NEW', `store ${this.path} has schema ${current}, newer than this mailpace-cli understands (${MIGRATIONS.length})`, {
          hint: 'upgrade mailpace-cli or point --store at another file',
        });
      }
      const applied: number[] = [];
      for (let v = current; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
        applied.push(v + 1);
      }
      this.migrated = { from: current, to: MIGRATIONS.length, applied };
    });
    apply.immediate();
  }

  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  async addSuppression(s: Suppression): Promise<void> {
    this.upsertSuppression(s);
  }
  private upsertSuppression(s: Suppression): void {
    this.stmt(
      `INSERT INTO suppression (address, reason, detail, source, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(address) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, source = excluded.source, created_at = excluded.created_at`,
    ).run(normalizeAddress(s.address), s.reason, s.detail ?? null, s.source ?? null, s.createdAt);
  }
  async addSuppressions(list: readonly Suppression[]): Promise<void> {
    this.db.transaction(() => {
      for (const s of list) this.upsertSuppression(s);
    })();
  }
  async getSuppression(address: string): Promise<Suppression | undefined> {
    const r = this.stmt('SELECT * FROM suppression WHERE address = ?').get(normalizeAddress(address)) as SuppressionRow | undefined;
    return r ? toSuppression(r) : undefined;
  }
  async suppressedAmong(addresses: readonly string[]): Promise<Map<string, Suppression>> {
    const out = new Map<string, Suppression>();
    // One statement per batch (json_each keeps it one prepared statement whatever the batch size).
    const rows = this.stmt('SELECT s.* FROM suppression s JOIN json_each(?) j ON s.address = j.value').all(
      JSON.stringify(addresses.map(normalizeAddress)),
    ) as SuppressionRow[];
    for (const r of rows) out.set(r.address, toSuppression(r));
    return out;
  }
  async removeSuppression(address: string): Promise<boolean> {
    return this.stmt('DELETE FROM suppression WHERE address = ?').run(normalizeAddress(address)).changes > 0;
  }
  async listSuppressions(filter: { reason?: SuppressionReason } = {}): Promise<Suppression[]> {
    return (
      this.stmt('SELECT * FROM suppression WHERE (@reason IS NULL OR reason = @reason) ORDER BY created_at, address').all({ reason: filter.reason ?? null }) as SuppressionRow[]
    ).map(toSuppression);
  }

  async enqueue(m: QueuedMessage): Promise<void> {
    this.db.transaction(() => {
      this.stmt(
        `INSERT INTO queue_message (id, message_id, sender, raw, created_at, expires_at, options) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(m.id, m.messageId, m.sender, m.raw, m.createdAt, m.expiresAt, JSON.stringify(m.options));
      const ins = this.stmt(
        `INSERT INTO queue_recipient (queue_id, recipient, domain, status, attempts, next_attempt_at, first_attempt_at, last_attempt_at, reply_code, enhanced_code, response, reason, hard)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const r of m.recipients) {
        ins.run(
          m.id,
          normalizeAddress(r.recipient),
          r.domain,
          r.status,
          r.attempts,
          r.nextAttemptAt,
          r.firstAttemptAt ?? null,
          r.lastAttemptAt ?? null,
          r.lastReply?.code ?? null,
          r.lastReply?.enhanced ?? null,
          r.lastReply?.text ?? null,
          r.reason ?? null,
          r.hard === undefined ? null : r.hard ? 1 : 0,
        );
      }
    })();
  }
  private load(row: MessageRow): QueuedMessage {
    // Rows as arrays (better-sqlite3's raw mode): a claimed --separate send has thousands of
    // recipients, and building a keyed object per row first costs twice as much as the arrays.
    this.recipientRows ??= this.db.prepare(`SELECT ${RECIPIENT_COLUMNS.join(', ')} FROM queue_recipient WHERE queue_id = ? ORDER BY rowid`).raw(true);
    const recipients = (this.recipientRows.all(row.id) as unknown[][]).map(recipientFromArray);
    return {
      id: row.id,
      messageId: row.message_id,
      sender: row.sender,
      raw: Buffer.from(row.raw),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      options: JSON.parse(row.options) as Record<string, unknown>,
      recipients,
    };
  }
  async getQueued(id: string): Promise<QueuedMessage | undefined> {
    const row = this.stmt('SELECT * FROM queue_message WHERE id = ?').get(id) as MessageRow | undefined;
    return row ? this.load(row) : undefined;
  }
  async listQueue(): Promise<QueuedMessage[]> {
    return (this.stmt('SELECT * FROM queue_message ORDER BY created_at, id').all() as MessageRow[]).map((r) => this.load(r));
  }
  async claim(opts: { worker: string; now: number; leaseMs: number; limit: number; id?: string }): Promise<Claim[]> {
    const until = opts.now + opts.leaseMs;
    // BEGIN IMMEDIATE takes the write lock first, so two processes never claim the same row; the
    // UPDATE … WHERE lease_until <= now re-checks the lease inside that lock.
    const rows = this.db
      .transaction(() => {
        const ids = this.stmt(
          `SELECT m.id FROM queue_message m
           WHERE m.lease_until <= @now AND (@id IS NULL OR m.id = @id)
             AND EXISTS (SELECT 1 FROM queue_recipient r WHERE r.queue_id = m.id AND r.status NOT IN ${FINAL_SQL} AND r.next_attempt_at <= @now)
           ORDER BY m.created_at, m.id LIMIT @limit`,
        ).all({ now: opts.now, id: opts.id ?? null, limit: opts.limit }) as { id: string }[];
        const upd = this.stmt('UPDATE queue_message SET claimed_by = ?, lease_until = ? WHERE id = ? AND lease_until <= ?');
        const got: MessageRow[] = [];
        for (const { id } of ids) {
          if (upd.run(opts.worker, until, id, opts.now).changes === 1) got.push(this.stmt('SELECT * FROM queue_message WHERE id = ?').get(id) as MessageRow);
        }
        return got;
      })
      .immediate();
    return rows.map((r) => ({ message: this.load(r), worker: opts.worker, leaseUntil: until }));
  }
  async recordAttempts(worker: string, batch: readonly AttemptRecord[]): Promise<void> {
    this.recordTx ??= this.db.transaction((w: string, b: readonly AttemptRecord[]) => this.writeAttempts(w, b)).immediate;
    this.recordTx(worker, batch);
    if (++this.commitsSinceFlush >= WAL_FLUSH_COMMITS) this.flushWalSoon();
  }
  /**
   * Starts writing the WAL file out to disk in the background (fdatasync on the libuv thread
   * pool). With synchronous=NORMAL, commits are not synced; the checkpoint at close syncs the
   * whole WAL first (https://www.sqlite.org/pragma.html#pragma_synchronous), which after a long
   * send is tens of MB written while the command waits. Written out along the way, while the
   * process waits for the network anyway, what is left for the checkpoint is small. Only ever
   * more durable: nothing is skipped, and a failure here (no WAL, a platform that refuses to sync
   * a read-only handle) changes nothing.
   */
  private flushWalSoon(): void {
    this.commitsSinceFlush = 0;
    if (this.walFlush || this.path === ':memory:') return;
    this.walFlush = (async () => {
      try {
        const handle = await open(`${this.path}-wal`, 'r');
        try {
          await handle.datasync();
        } finally {
          await handle.close();
        }
      } catch {
        // nothing to write out, or not allowed: the checkpoint syncs as it always does
      } finally {
        this.walFlush = undefined;
      }
    })();
  }
  private writeAttempts(worker: string, batch: readonly AttemptRecord[]): void {
    const ownerOf = this.stmt('SELECT claimed_by FROM queue_message WHERE id = ?');
    // the records of one message usually come together: each run of them is checked once
    let checked: string | undefined;
    for (const { queueId } of batch) {
      if (queueId === checked) continue;
      const owner = ownerOf.get(queueId) as { claimed_by: string | null } | undefined;
      if (!owner || owner.claimed_by !== worker) throw new Error(`queue entry ${queueId} is not claimed by ${worker}`);
      checked = queueId;
    }
    const upd = this.stmt(
      `UPDATE queue_recipient SET status = ?,
         next_attempt_at = COALESCE(?, next_attempt_at),
         reply_code = CASE WHEN ? THEN ? ELSE reply_code END,
         enhanced_code = CASE WHEN ? THEN ? ELSE enhanced_code END,
         response = CASE WHEN ? THEN ? ELSE response END,
         reason = COALESCE(?, reason),
         hard = COALESCE(?, hard),
         attempts = attempts + ?,
         first_attempt_at = CASE WHEN ? = 1 THEN COALESCE(first_attempt_at, ?) ELSE first_attempt_at END,
         last_attempt_at = CASE WHEN ? = 1 THEN ? ELSE last_attempt_at END
       WHERE queue_id = ? AND recipient = ?`,
    );
    // A "sending" mark (one per transaction, before DATA) changes the status alone: a
    // statement of its own with positional parameters is half the work of the general one.
    const mark = this.stmt('UPDATE queue_recipient SET status = ? WHERE queue_id = ? AND recipient = ?');
    const wait = this.stmt('UPDATE queue_recipient SET next_attempt_at = ? WHERE queue_id = ? AND recipient = ?');
    for (const { queueId, updates, log, hold } of batch) {
      if (hold) for (const a of hold.recipients) wait.run(hold.until, queueId, normalizeAddress(a));
      for (const u of updates) {
        const recipient = normalizeAddress(u.recipient);
        if (u.nextAttemptAt === undefined && !u.lastReply && u.reason === undefined && u.hard === undefined && !u.attempted) {
          mark.run(u.status, queueId, recipient);
          continue;
        }
        const r = u.lastReply;
        const has = r ? 1 : 0;
        const attempted = u.attempted ? 1 : 0;
        upd.run(u.status, u.nextAttemptAt ?? null, has, r?.code ?? null, has, r?.enhanced ?? null, has, r?.text ?? null, u.reason ?? null, u.hard === undefined ? null : u.hard ? 1 : 0, attempted, attempted, u.at, attempted, u.at, queueId, recipient);
      }
      for (const e of log) this.insertLog(e);
    }
  }
  async release(queueId: string, worker: string): Promise<void> {
    this.db
      .transaction(() => {
        this.stmt('UPDATE queue_message SET claimed_by = NULL, lease_until = 0 WHERE id = ? AND claimed_by = ?').run(queueId, worker);
        const pending = this.stmt(`SELECT COUNT(*) AS n FROM queue_recipient WHERE queue_id = ? AND status NOT IN ${FINAL_SQL}`).get(queueId) as { n: number };
        if (pending.n === 0) this.deleteRows(queueId);
      })
      .immediate();
    // a claim's work is done: what it wrote goes out to disk while the caller reports on it
    // (after a few commits only: queue workers release a small batch every few messages)
    if (this.commitsSinceFlush >= WAL_FLUSH_COMMITS / 4) this.flushWalSoon();
  }
  private deleteRows(id: string): number {
    this.stmt('DELETE FROM queue_recipient WHERE queue_id = ?').run(id);
    return this.stmt('DELETE FROM queue_message WHERE id = ?').run(id).changes;
  }
  async deleteQueued(id: string): Promise<boolean> {
    return this.db.transaction(() => this.deleteRows(id) > 0).immediate();
  }
  async deleteAllQueued(): Promise<number> {
    return this.db
      .transaction(() => {
        this.stmt('DELETE FROM queue_recipient').run();
        return this.stmt('DELETE FROM queue_message').run().changes;
      })
      .immediate();
  }

  private insertLog(e: DeliveryLogEntry): number {
    const r = this.stmt(
      `INSERT INTO delivery_log (message_id, recipient, status, reply_code, enhanced_code, response, mx, at, queue_id, address, port, tls_protocol, tls_cipher, reason, classification, tag)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      e.messageId,
      normalizeAddress(e.recipient),
      e.status,
      e.replyCode ?? null,
      e.enhancedCode ?? null,
      e.response ?? null,
      e.mx ?? null,
      e.at,
      e.queueId ?? null,
      e.address ?? null,
      e.port ?? null,
      e.tls?.protocol ?? null,
      e.tls?.cipher ?? null,
      e.classification?.reason ?? null,
      e.classification ? this.classificationJson(e.classification) : null,
      e.tag ?? null,
    );
    return Number(r.lastInsertRowid);
  }
  private classificationJson(c: object): string {
    let text = this.classificationText.get(c);
    if (text === undefined) this.classificationText.set(c, (text = JSON.stringify(c)));
    return text;
  }
  async logDelivery(e: DeliveryLogEntry): Promise<number> {
    return this.insertLog(e);
  }
  async logDeliveries(entries: readonly DeliveryLogEntry[]): Promise<void> {
    this.db.transaction(() => {
      for (const e of entries) this.insertLog(e);
    })();
  }
  async listDeliveries(filter: DeliveryFilter = {}): Promise<DeliveryLogEntry[]> {
    // raw mode, as in load(): a send's report reads one row per recipient
    this.deliveryRows ??= this.db.prepare(
      `SELECT ${DELIVERY_COLUMNS.join(', ')} FROM delivery_log
       WHERE (@recipient IS NULL OR recipient = @recipient) AND (@since IS NULL OR at >= @since)
         AND (@messageId IS NULL OR message_id = @messageId) AND (@queueId IS NULL OR queue_id = @queueId)
       ORDER BY at DESC, id DESC LIMIT @limit`,
    ).raw(true);
    const rows = this.deliveryRows.all({
      recipient: filter.recipient === undefined ? null : normalizeAddress(filter.recipient),
      since: filter.since ?? null,
      messageId: filter.messageId ?? null,
      queueId: filter.queueId ?? null,
      limit: filter.limit ?? -1,
    }) as unknown[][];
    return rows.map(deliveryFromArray);
  }
  async countDeliveries(filter: { tagPrefix: string; since?: number }): Promise<DeliveryCount[]> {
    // The prefix is matched with a range (tag >= p AND tag < p + U+FFFF), which the (tag, at) index serves.
    return this.stmt(
      `SELECT tag, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour, status, COUNT(*) AS count FROM delivery_log
       WHERE tag >= @lo AND tag < @hi AND (@since IS NULL OR at >= @since)
       GROUP BY tag, hour, status`,
    ).all({ lo: filter.tagPrefix, hi: `${filter.tagPrefix}\uffff`, since: filter.since ?? null }) as DeliveryCount[];
  }
  async addPlacementRun(run: PlacementRun): Promise<void> {
    this.db.transaction(() => {
      this.stmt('INSERT INTO placement_run (id, started_at, finished_at, message_id) VALUES (?, ?, ?, ?)').run(run.id, run.startedAt, run.finishedAt, run.messageId);
      const ins = this.stmt(`INSERT INTO placement_seed (${PLACEMENT_SEED_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const row of placementSeedRows(run)) ins.run(...row);
    })();
  }
  async listPlacementRuns(filter: { since?: number; until?: number } = {}): Promise<PlacementRun[]> {
    const where = 'WHERE (@since IS NULL OR started_at >= @since) AND (@until IS NULL OR started_at <= @until)';
    const p = { since: filter.since ?? null, until: filter.until ?? null };
    const runs = this.stmt(`SELECT * FROM placement_run ${where} ORDER BY started_at, id`).all(p) as PlacementRunRow[];
    const seeds = this.stmt(`SELECT s.* FROM placement_seed s JOIN placement_run r ON r.id = s.run_id ${where.replace(/started_at/g, 'r.started_at')} ORDER BY s.run_id, s.position`).all(p) as PlacementSeedRow[];
    return toPlacementRuns(runs, seeds);
  }
  async getMtaStsPolicy(domain: string): Promise<CachedMtaStsPolicy | undefined> {
    const r = this.stmt('SELECT * FROM mta_sts_policy WHERE domain = ?').get(domain.toLowerCase()) as MtaStsRow | undefined;
    return r ? toMtaStsPolicy(r) : undefined;
  }
  async putMtaStsPolicy(p: CachedMtaStsPolicy): Promise<void> {
    this.stmt(
      `INSERT INTO mta_sts_policy (domain, policy_id, mode, mx, max_age, fetched_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(domain) DO UPDATE SET policy_id = excluded.policy_id, mode = excluded.mode, mx = excluded.mx,
         max_age = excluded.max_age, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
    ).run(p.domain.toLowerCase(), p.id, p.mode, JSON.stringify(p.mx), p.maxAge, p.fetchedAt, p.expiresAt);
  }
  /** Row counts for `store status`. */
  async counts(now: number): Promise<StoreCounts> {
    const n = (sql: string, ...p: unknown[]) => (this.stmt(sql).get(...p) as { n: number }).n;
    const byStatus = this.stmt('SELECT status, COUNT(*) AS n FROM queue_recipient GROUP BY status ORDER BY status').all() as { status: string; n: number }[];
    return {
      suppressions: n('SELECT COUNT(*) AS n FROM suppression'),
      queuedMessages: n('SELECT COUNT(*) AS n FROM queue_message'),
      leasedMessages: n('SELECT COUNT(*) AS n FROM queue_message WHERE lease_until > ?', now),
      recipients: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
      deliveries: n('SELECT COUNT(*) AS n FROM delivery_log'),
    };
  }
  async close(): Promise<void> {
    // the WAL is checkpointed and removed on close: no handle of ours may still be open on it
    await this.walFlush;
    this.db.close();
  }
}

// ---- a missing or unusable native binding: one line that says what to run, never a stack trace

/** How better-sqlite3's native addon failed to load, or undefined when the error is something else. */
export function classifyBindingError(err: unknown): { kind: 'missing' | 'abi' | 'load'; detail: string } | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  const message = typeof e?.message === 'string' ? e.message : '';
  const firstLine = message.split('\n')[0]!.trim();
  // The `bindings` package's own error when no build/Release/better_sqlite3.node exists (its message
  // goes on with every path it tried); a nativeBinding path that does not exist; `bindings` itself gone.
  if (message.includes('Could not locate the bindings file')) return { kind: 'missing', detail: firstLine };
  if (e?.code === 'MODULE_NOT_FOUND' && /\.node'|'bindings'/.test(message)) return { kind: 'missing', detail: firstLine };
  const abi = /NODE_MODULE_VERSION (\d+)[^]*?NODE_MODULE_VERSION (\d+)/.exec(message);
  if (abi) return { kind: 'abi', detail: `built for NODE_MODULE_VERSION ${abi[1]}, Node.js ${process.version} needs ${abi[2]}` };
  if (e?.code === 'ERR_DLOPEN_FAILED' || /did not self-register|invalid ELF header|wrong ELF class|not a valid Win32 application/.test(message)) {
    return { kind: 'load', detail: firstLine.length > 160 ? `${firstLine.slice(0, 160)}…` : firstLine };
  }
  return undefined;
}

export interface BindingContext {
  /** The directory whose node_modules holds better-sqlite3, if it can be found. */
  installRoot?: string;
  /** The build tools missing from PATH (when a rebuild would have to compile). */
  missingTools: string[];
  /** Whether installRoot's package.json approves better-sqlite3's install script (npm ≥ 11 allowScripts). */
  approved: boolean;
}

/** What to run, for where mailpace-cli is installed: a checkout or a project, or a global (or nested) package. */
export function bindingHint(ctx: BindingContext): string {
  const root = ctx.installRoot;
  const installed = root !== undefined && basename(dirname(root)) === 'node_modules';
  let hint: string;
  if (root !== undefined && basename(dirname(root)) === '_npx') {
    hint = `remove npx's copy (${root}) and run \`npx --allow-scripts=better-sqlite3 mailpace-cli\` again, or install it: \`npm install -g --allow-scripts=better-sqlite3 mailpace-cli\``;
  } else if (root === undefined || installed) {
    hint = 'reinstall with its install script allowed: `npm install -g --allow-scripts=better-sqlite3 mailpace-cli` (npm ≥ 11 skips unapproved install scripts)';
  } else if (ctx.approved) {
    hint = `run \`npm rebuild better-sqlite3\` in ${root}`;
  } else {
    hint = `run \`npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3\` in ${root} (npm 10: \`npm rebuild better-sqlite3\`)`;
  }
  if (ctx.missingTools.length) {
    hint += `; without a prebuilt binary for this platform it compiles, which needs python3, make and a C++ compiler (missing here: ${ctx.missingTools.join(', ')})`;
  }
  return hint;
}

/** The MailpaceError for a native-binding failure (exit 3: the install is broken, not the input), or undefined. */
export function nativeBindingError(err: unknown, ctx: BindingContext = bindingContext()): MailpaceError | undefined {
  const c = classifyBindingError(err);
  if (!c) return undefined;
  const what = {
    missing: "better-sqlite3's native binding is missing (its install script was skipped or failed)",
    abi: `better-sqlite3's native binding was built for another Node.js version (${c.detail})`,
    load: `better-sqlite3's native binding does not load on this machine (${c.detail})`,
  }[c.kind];
  return new MailpaceError('STORE_NATIVE_BINDING', `cannot open the store: ${what}`, { cause: err, hint: bindingHint(ctx) });
}

/** Looks at this installation (only on the error path): where better-sqlite3 lives, its approval, the build tools on PATH. */
export function bindingContext(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): BindingContext {
  let installRoot: string | undefined;
  let approved = false;
  try {
    installRoot = dirname(dirname(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'))));
    const pkg = JSON.parse(readFileSync(join(installRoot, 'package.json'), 'utf8')) as { allowScripts?: Record<string, unknown> };
    approved = Object.entries(pkg.allowScripts ?? {}).some(([k, v]) => v === true && (k === 'better-sqlite3' || k.startsWith('better-sqlite3@')));
  } catch {
    // not resolvable, or no package.json at the root: the hint falls back to reinstalling
  }
  return { installRoot, approved, missingTools: platform === 'win32' ? [] : missingBuildTools(env.PATH ?? '') };
}

function missingBuildTools(path: string): string[] {
  const dirs = path.split(delimiter).filter(Boolean);
  const found = (names: string[]) =>
    names.some((n) =>
      dirs.some((d) => {
        try {
          accessSync(join(d, n), fsConstants.X_OK);
          return true;
        } catch {
          return false;
        }
      }),
    );
  const need: [string, string[]][] = [
    ['python3', ['python3', 'python']],
    ['make', ['make']],
    ['a C++ compiler', ['c++', 'g++', 'clang++']],
  ];
  return need.filter(([, names]) => !found(names)).map(([what]) => what);
}
