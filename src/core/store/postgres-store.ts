/**
 * The shared store: one PostgreSQL database for many machines and workers (node-postgres, a small
 * pool). The same contract as SQLite; what differs is how concurrency is made safe:
 * - schema changes are numbered migrations recorded in a `mailpace_schema` table and applied under
 *   a transaction-level advisory lock, so processes starting at once migrate once;
 * - queue claims are `SELECT … FOR UPDATE SKIP LOCKED` plus a lease (claimed_by, lease_until), so
 *   workers on any number of machines never hold one message at once and never wait for each other;
 * - a recipient's new state and its delivery-log rows are written in one transaction.
 * Import this module only where a postgres:// store is opened: it loads `pg`.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { userInfo } from 'node:os';
import pg from 'pg';
import pgPass from 'pgpass';
import { parseIntoClientConfig } from 'pg-connection-string';
import { from as copyFrom } from 'pg-copy-streams';
import { MailpaceError, UsageError } from '../errors.js';
import { scrub } from './location.js';
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
  type QueuedRecipient,
  type RecipientUpdate,
  type Store,
  type Suppression,
  type SuppressionReason,
} from './store.js';
import { PLACEMENT_SEED_COLUMNS, placementSeedRows, toDelivery, toMtaStsPolicy, toPlacementRuns, toRecipient, toSuppression, type DeliveryRow, type MtaStsRow, type PlacementRunRow, type PlacementSeedRow, type RecipientRow, type SuppressionRow } from './rows.js';

const FINAL_SQL = FINAL_STATUSES_SQL;

/** Append only: never edit a migration that has shipped. Version n is MIGRATIONS[n - 1]. */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE suppression (
     address text PRIMARY KEY,
     reason text NOT NULL,
     detail text,
     source text,
     created_at bigint NOT NULL
   );
   CREATE INDEX suppression_created ON suppression (created_at, address);
   CREATE TABLE delivery_log (
     id bigserial PRIMARY KEY,
     at bigint NOT NULL,
     queue_id text,
     message_id text NOT NULL,
     recipient text NOT NULL,
     status text NOT NULL,
     mx text,
     address text,
     port integer,
     tls_protocol text,
     tls_cipher text,
     reply_code integer,
     enhanced_code text,
     response text,
     reason text,
     classification json
   );
   CREATE INDEX delivery_log_at ON delivery_log (at, id);
   CREATE INDEX delivery_log_recipient ON delivery_log (recipient, at);
   CREATE INDEX delivery_log_message ON delivery_log (message_id);
   CREATE INDEX delivery_log_queue ON delivery_log (queue_id);
   CREATE TABLE queue_message (
     id text PRIMARY KEY,
     message_id text NOT NULL,
     sender text NOT NULL,
     raw bytea NOT NULL,
     created_at bigint NOT NULL,
     expires_at bigint NOT NULL,
     options json NOT NULL,
     claimed_by text,
     lease_until bigint NOT NULL DEFAULT 0
   );
   CREATE INDEX queue_message_order ON queue_message (created_at, id);
   CREATE TABLE queue_recipient (
     queue_id text NOT NULL REFERENCES queue_message (id) ON DELETE CASCADE,
     position integer NOT NULL,
     recipient text NOT NULL,
     domain text NOT NULL,
     status text NOT NULL,
     attempts integer NOT NULL DEFAULT 0,
     next_attempt_at bigint NOT NULL,
     first_attempt_at bigint,
     last_attempt_at bigint,
     reply_code integer,
     enhanced_code text,
     response text,
     reason text,
     hard boolean,
     PRIMARY KEY (queue_id, recipient)
   );
   CREATE INDEX queue_recipient_due ON queue_recipient (next_attempt_at, queue_id) WHERE status NOT IN ${FINAL_SQL};`,
  // 2: what an attempt counts toward (a warm-up plan and provider), counted per hour.
  `ALTER TABLE delivery_log ADD COLUMN tag text;
   CREATE INDEX delivery_log_tag ON delivery_log (tag, at) WHERE tag IS NOT NULL;`,
  // 3: placement runs (one row per run, one per seed), the data of placement trends.
  `CREATE TABLE placement_run (
     id text PRIMARY KEY,
     started_at bigint NOT NULL,
     finished_at bigint NOT NULL,
     message_id text NOT NULL
   );
   CREATE INDEX placement_run_started ON placement_run (started_at);
   CREATE TABLE placement_seed (
     run_id text NOT NULL REFERENCES placement_run (id) ON DELETE CASCADE,
     position integer NOT NULL,
     address text NOT NULL,
     provider text NOT NULL,
     placement text NOT NULL,
     folder text,
     time_to_inbox_ms bigint,
     send_status text NOT NULL,
     error text,
     PRIMARY KEY (run_id, position)
   );`,
  // 4: MTA-STS policies as fetched, kept for their max_age (RFC 8461 §3.3).
  `CREATE TABLE mta_sts_policy (
     domain text PRIMARY KEY,
     policy_id text NOT NULL,
     mode text NOT NULL,
     mx json NOT NULL,
     max_age bigint NOT NULL,
     fetched_at bigint NOT NULL,
     expires_at bigint NOT NULL
   );`,
];

/**
 * The advisory-lock key of schema migrations: "mailpace" in ASCII as a bigint. Transaction-level,
 * so it is released at COMMIT or ROLLBACK even if the process dies in between
 * (https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS).
 */
const MIGRATION_LOCK = `x'6d61696c70616365'::bigint`;

/** One row of recordAttempts' UPDATE … FROM unnest: a recipient update, or a hold (status null: kept). */
type PgUpdate = Omit<RecipientUpdate, 'status'> & { queueId: string; status: RecipientUpdate['status'] | null };

interface MessageRow {
  id: string;
  message_id: string;
  sender: string;
  raw: Buffer;
  created_at: number;
  expires_at: number;
  options: Record<string, unknown>;
}


/** One COPY text-format field: backslash escapes for the characters the format reserves; \N is NULL. */
function copyField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  // https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2 (text format): backslash,
  // newline, carriage return and the delimiter (tab) must be escaped.
  return String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

const LOG_COLUMNS = 'at, queue_id, message_id, recipient, status, mx, address, port, tls_protocol, tls_cipher, reply_code, enhanced_code, response, reason, classification, tag';
/** Rows from parallel arrays (see logColumns), inserted in array order so ids follow it. */
const LOG_INSERT = `INSERT INTO delivery_log (${LOG_COLUMNS})
  SELECT ${LOG_COLUMNS} FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::int[], $12::text[], $13::text[], $14::text[], $15::json[], $16::text[])
    WITH ORDINALITY AS t(${LOG_COLUMNS}, n) ORDER BY n`;

function logColumns(entries: readonly DeliveryLogEntry[]): unknown[][] {
  const cols: unknown[][] = Array.from({ length: 16 }, () => []);
  for (const e of entries) {
    const row = [
      e.at,
      e.queueId ?? null,
      e.messageId,
      normalizeAddress(e.recipient),
      e.status,
      e.mx ?? null,
      e.address ?? null,
      e.port ?? null,
      e.tls?.protocol ?? null,
      e.tls?.cipher ?? null,
      e.replyCode ?? null,
      e.enhancedCode ?? null,
      e.response ?? null,
      e.classification?.reason ?? null,
      e.classification ? JSON.stringify(e.classification) : null,
      e.tag ?? null,
    ];
    row.forEach((v, i) => cols[i]!.push(v));
  }
  return cols;
}

export interface PostgresStoreOptions {
  /** The URL with the password masked: every message about this store names it so. */
  display: string;
  /** From the URL, else PGPASSWORD; without either, pg reads ~/.pgpass (PGPASSFILE). */
  password?: string;
  /** Connections in the pool (default 4). */
  poolSize?: number;
  /** How long to wait for a connection (default 10 s). */
  connectTimeoutMs?: number;
  /** Apply pending migrations on open (default true; `store status` looks without changing). */
  migrate?: boolean;
}

export interface MigrationResult {
  from: number;
  to: number;
  /** The versions this process applied (empty when another process or an earlier run did). */
  applied: number[];
}

/** bigint (int8: timestamps in ms, counts) as a JS number: every value here is far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: string) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/**
 * pg leaves the socket open when a login fails on the client side (no password for a SCRAM
 * challenge: pg's SASL step throws after the server has asked), and the pool does not end a client
 * that failed to connect; the server would keep the process alive until its authentication_timeout.
 * This client closes its socket when connecting fails.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (err: Error) => void): void;
  override connect(callback?: (err: Error) => void): Promise<pg.Client> | void {
    const destroy = () => (this as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    if (!callback) {
      return super.connect().catch((e: unknown) => {
        destroy();
        throw e;
      });
    }
    super.connect((err: Error) => {
      if (err) destroy();
      callback(err);
    });
  }
}

export class PostgresStore implements Store {
  private migration: MigrationResult | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    readonly display: string,
    private readonly secret: string | undefined,
  ) {}

  /** Connects, checks the schema and (unless migrate: false) brings it up to date. */
  static async open(url: string, opts: PostgresStoreOptions): Promise<PostgresStore> {
    // The URL's fields, without the ones it leaves out: pg's own connectionString handling would
    // let an absent password override the one given here (and fall back to its deprecated pgpass).
    const fromUrl = Object.fromEntries(Object.entries(parseIntoClientConfig(url)).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    const config: pg.PoolConfig = {
      ...fromUrl,
      max: opts.poolSize ?? 4,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 10_000,
      application_name: 'mailpace-cli',
      types,
      Client: ClosingClient,
    };
    // Without a password in the URL or PGPASSWORD, look in ~/.pgpass (PGPASSFILE), as libpq does
    // (https://www.postgresql.org/docs/current/libpq-pgpass.html): the file must be private (0600).
    // (pg takes an undefined result as "no password"; its types say string only.)
    config.password = opts.password ?? (fromUrl.password as string | undefined) ?? ((() => passwordFile(url)) as () => Promise<string>);
    const pool = new pg.Pool(config);
    // An idle connection the server closes (restart, network) must not crash the process.
    pool.on('error', () => {});
    const store = new PostgresStore(pool, opts.display, opts.password);
    try {
      if (opts.migrate === false) await store.schemaVersion();
      else store.migration = await store.migrate();
    } catch (e) {
      await pool.end().catch(() => {});
      throw store.wrap(e);
    }
    return store;
  }

  /** What opening this store migrated (undefined when opened with migrate: false). */
  get migrated(): MigrationResult | undefined {
    return this.migration;
  }

  static get codeVersion(): number {
    return PG_MIGRATIONS.length;
  }

  /** The database's schema version (0: no mailpace tables yet). */
  async schemaVersion(): Promise<number> {
    return this.run(async () => {
      const { rows } = await this.pool.query<{ v: number | null }>(
        `SELECT CASE WHEN to_regclass('mailpace_schema') IS NULL THEN 0 END AS v`,
      );
      if (rows[0]!.v === 0) return 0;
      const r = await this.pool.query<{ v: number }>('SELECT COALESCE(max(version), 0) AS v FROM mailpace_schema');
      return r.rows[0]!.v;
    });
  }

  private tooNew(version: number): MailpaceError {
    return new MailpaceError('STORE_TOO_NEW', `store ${this.display} has schema ${version}, newer than this mailpace-cli understands (${PG_MIGRATIONS.length})`, {
      hint: 'upgrade mailpace-cli here: a newer one has migrated the shared database',
    });
  }

  /** Applies pending migrations, one transaction under the advisory lock; a database newer than the code is refused. */
  async migrate(): Promise<MigrationResult> {
    const current = await this.schemaVersion();
    if (current > PG_MIGRATIONS.length) throw this.tooNew(current);
    if (current === PG_MIGRATIONS.length) return { from: current, to: current, applied: [] };
    return this.tx(async (c) => {
      // Everyone who found work to do queues here; the first applies it, the others find none left.
      await c.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await c.query(`CREATE TABLE IF NOT EXISTS mailpace_schema (
        version integer PRIMARY KEY,
        applied_at timestamptz NOT NULL DEFAULT now(),
        applied_by text
      )`);
      const { rows } = await c.query<{ v: number }>('SELECT COALESCE(max(version), 0) AS v FROM mailpace_schema');
      const from = rows[0]!.v;
      if (from > PG_MIGRATIONS.length) throw this.tooNew(from);
      const applied: number[] = [];
      for (let v = from; v < PG_MIGRATIONS.length; v++) {
        await c.query(PG_MIGRATIONS[v]!);
        await c.query('INSERT INTO mailpace_schema (version, applied_by) VALUES ($1, $2)', [v + 1, `mailpace-cli pid ${process.pid}`]);
        applied.push(v + 1);
      }
      return { from, to: PG_MIGRATIONS.length, applied };
    });
  }

  /** Runs `fn`, turning connection and server errors into one-line MailpaceErrors naming this store. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.wrap(e);
    }
  }

  /**
   * One transaction on one pooled connection. `queueState`: a claim, an attempt's writes or a
   * release — committed without waiting for the WAL flush (synchronous_commit off for this
   * transaction only). Such a commit is visible at once and can only be lost if the PostgreSQL
   * server itself crashes before the flush (about 3 × wal_writer_delay), never corrupting anything
   * (https://www.postgresql.org/docs/current/wal-async-commit.html); what is lost then is a lease or
   * a recipient's latest state, so the message is tried again after the lease: at-least-once, the
   * same exposure as a worker's crash. A message's enqueue and the suppression list keep the flush.
   */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, opts: { queueState?: boolean } = {}): Promise<T> {
    return this.run(async () => {
      const c = await this.pool.connect();
      let broken = false;
      try {
        await c.query('BEGIN');
        if (opts.queueState) await c.query('SET LOCAL synchronous_commit TO off');
        const out = await fn(c);
        await c.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await c.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw e;
      } finally {
        c.release(broken);
      }
    });
  }

  /** A pg or socket error as a MailpaceError: bad credentials or names are usage (2), the rest could-not-complete (3). */
  wrap(e: unknown): Error {
    if (e instanceof MailpaceError) return e;
    const err = e as Error & { code?: string; severity?: string };
    const detail = scrub(String(err?.message ?? e), this.secret).split('\n')[0]!;
    const where = `store ${this.display}`;
    switch (err?.code) {
      case '28P01': // invalid_password
      case '28000': // invalid_authorization_specification (no such role, pg_hba refuses)
        return new UsageError(`${where}: login refused: ${detail}`, { cause: e, hint: 'check the user and the password (in the URL, PGPASSWORD or ~/.pgpass)' });
      case '3D000': // invalid_catalog_name
        return new UsageError(`${where}: ${detail}`, { cause: e, hint: 'create it (createdb) or fix the database name in the URL' });
      case 'SASL':
        return new UsageError(`${where}: the server wants a password and none was given: ${detail}`, { cause: e, hint: 'give it in the URL, PGPASSWORD or ~/.pgpass' });
      case 'ECONNREFUSED':
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'ETIMEDOUT':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
      case 'ECONNRESET':
        return new MailpaceError('STORE_UNREACHABLE', `cannot reach ${where}: ${detail}`, { temporary: true, cause: e, hint: 'is PostgreSQL running and listening there?' });
    }
    if (/timeout|terminated/i.test(detail) && !err?.severity) {
      return new MailpaceError('STORE_UNREACHABLE', `cannot reach ${where}: ${detail}`, { temporary: true, cause: e, hint: 'is PostgreSQL running and listening there?' });
    }
    // The password must be SASL-ready: pg's own check when the password is not a string.
    if (/SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string/.test(detail)) {
      return new UsageError(`${where}: the server wants a password and none was given`, { cause: e, hint: 'give it in the URL, PGPASSWORD or ~/.pgpass' });
    }
    return new MailpaceError('STORE_ERROR', `${where}: ${detail}`, { cause: e });
  }

  // ---- suppression list

  async addSuppression(s: Suppression): Promise<void> {
    await this.run(() =>
      this.pool.query(
        `INSERT INTO suppression (address, reason, detail, source, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, source = excluded.source, created_at = excluded.created_at`,
        [normalizeAddress(s.address), s.reason, s.detail ?? null, s.source ?? null, s.createdAt],
      ),
    );
  }

  /**
   * COPY into a temporary table, then one upsert: COPY streams rows without a round trip (or a
   * parameter limit) per row, which is what makes a million-address import take seconds.
   */
  async addSuppressions(list: readonly Suppression[]): Promise<void> {
    if (list.length === 0) return;
    await this.tx(async (c) => {
      await c.query('CREATE TEMP TABLE suppression_import (ord bigserial, address text, reason text, detail text, source text, created_at bigint) ON COMMIT DROP');
      const copy = c.query(copyFrom('COPY suppression_import (address, reason, detail, source, created_at) FROM STDIN'));
      await pipeline(Readable.from(copyLines(list)), copy);
      // DISTINCT ON keeps the last line of an address: one upsert may not touch a row twice.
      await c.query(
        `INSERT INTO suppression (address, reason, detail, source, created_at)
         SELECT DISTINCT ON (address) address, reason, detail, source, created_at FROM suppression_import ORDER BY address, ord DESC
         ON CONFLICT (address) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, source = excluded.source, created_at = excluded.created_at`,
      );
    });
  }

  async getSuppression(address: string): Promise<Suppression | undefined> {
    const { rows } = await this.run(() => this.pool.query<SuppressionRow>('SELECT * FROM suppression WHERE address = $1', [normalizeAddress(address)]));
    return rows[0] ? toSuppression(rows[0]) : undefined;
  }

  async suppressedAmong(addresses: readonly string[]): Promise<Map<string, Suppression>> {
    const out = new Map<string, Suppression>();
    if (addresses.length === 0) return out;
    // One query per batch of recipients, however many.
    const { rows } = await this.run(() => this.pool.query<SuppressionRow>('SELECT * FROM suppression WHERE address = ANY($1::text[])', [addresses.map(normalizeAddress)]));
    for (const r of rows) out.set(r.address, toSuppression(r));
    return out;
  }

  async removeSuppression(address: string): Promise<boolean> {
    const r = await this.run(() => this.pool.query('DELETE FROM suppression WHERE address = $1', [normalizeAddress(address)]));
    return (r.rowCount ?? 0) > 0;
  }

  async listSuppressions(filter: { reason?: SuppressionReason } = {}): Promise<Suppression[]> {
    const { rows } = await this.run(() =>
      this.pool.query<SuppressionRow>('SELECT * FROM suppression WHERE ($1::text IS NULL OR reason = $1) ORDER BY created_at, address', [filter.reason ?? null]),
    );
    return rows.map(toSuppression);
  }

  // ---- queue

  async enqueue(m: QueuedMessage): Promise<void> {
    await this.tx(async (c) => {
      await c.query('INSERT INTO queue_message (id, message_id, sender, raw, created_at, expires_at, options) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        m.id,
        m.messageId,
        m.sender,
        m.raw,
        m.createdAt,
        m.expiresAt,
        JSON.stringify(m.options),
      ]);
      const rs = m.recipients;
      await c.query(
        `INSERT INTO queue_recipient (queue_id, position, recipient, domain, status, attempts, next_attempt_at, first_attempt_at, last_attempt_at, reply_code, enhanced_code, response, reason, hard)
         SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::bigint[], $9::bigint[], $10::int[], $11::text[], $12::text[], $13::text[], $14::bool[])`,
        [
          m.id,
          rs.map((_, i) => i),
          rs.map((r) => normalizeAddress(r.recipient)),
          rs.map((r) => r.domain),
          rs.map((r) => r.status),
          rs.map((r) => r.attempts),
          rs.map((r) => r.nextAttemptAt),
          rs.map((r) => r.firstAttemptAt ?? null),
          rs.map((r) => r.lastAttemptAt ?? null),
          rs.map((r) => r.lastReply?.code ?? null),
          rs.map((r) => r.lastReply?.enhanced ?? null),
          rs.map((r) => r.lastReply?.text ?? null),
          rs.map((r) => r.reason ?? null),
          rs.map((r) => r.hard ?? null),
        ],
      );
    });
  }

  /** Messages with their recipients, in the order of `rows`: two queries whatever the count. */
  private async load(q: pg.Pool | pg.PoolClient, rows: MessageRow[]): Promise<QueuedMessage[]> {
    if (rows.length === 0) return [];
    const rr = await q.query<RecipientRow>('SELECT * FROM queue_recipient WHERE queue_id = ANY($1::text[]) ORDER BY queue_id, position', [rows.map((r) => r.id)]);
    const byId = new Map<string, QueuedRecipient[]>();
    for (const r of rr.rows) {
      const list = byId.get(r.queue_id);
      if (list) list.push(toRecipient(r));
      else byId.set(r.queue_id, [toRecipient(r)]);
    }
    return rows.map((row) => ({
      id: row.id,
      messageId: row.message_id,
      sender: row.sender,
      raw: row.raw,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      options: row.options,
      recipients: byId.get(row.id) ?? [],
    }));
  }

  async getQueued(id: string): Promise<QueuedMessage | undefined> {
    return this.run(async () => {
      const { rows } = await this.pool.query<MessageRow>('SELECT * FROM queue_message WHERE id = $1', [id]);
      return (await this.load(this.pool, rows))[0];
    });
  }

  async listQueue(): Promise<QueuedMessage[]> {
    return this.run(async () => {
      const { rows } = await this.pool.query<MessageRow>('SELECT * FROM queue_message ORDER BY created_at, id');
      return this.load(this.pool, rows);
    });
  }

  async claim(opts: { worker: string; now: number; leaseMs: number; limit: number; id?: string }): Promise<Claim[]> {
    const until = opts.now + opts.leaseMs;
    return this.tx(async (c) => {
      // One statement: lock the due, unleased rows no other transaction holds (SKIP LOCKED: workers
      // never wait for each other), and lease them. A row another worker leased and committed after
      // our snapshot is re-checked against lease_until when locked, and left out.
      // https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE
      const { rows } = await c.query<MessageRow>(
        `WITH due AS (
           SELECT m.id FROM queue_message m
           WHERE m.lease_until <= $1 AND ($2::text IS NULL OR m.id = $2)
             AND EXISTS (SELECT 1 FROM queue_recipient r WHERE r.queue_id = m.id AND r.status NOT IN ${FINAL_SQL} AND r.next_attempt_at <= $1)
           ORDER BY m.created_at, m.id
           LIMIT $3
           FOR UPDATE SKIP LOCKED
         )
         UPDATE queue_message m SET claimed_by = $4, lease_until = $5 FROM due WHERE m.id = due.id
         RETURNING m.*`,
        [opts.now, opts.id ?? null, opts.limit, opts.worker, until],
      );
      rows.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return (await this.load(c, rows)).map((message) => ({ message, worker: opts.worker, leaseUntil: until }));
    }, { queueState: true });
  }

  async recordAttempts(worker: string, batch: readonly AttemptRecord[]): Promise<void> {
    if (batch.length === 0) return;
    await this.tx(async (c) => {
      // Lock the messages (in id order: two writers never deadlock) and check this worker holds each.
      const ids = [...new Set(batch.map((b) => b.queueId))].sort();
      const { rows } = await c.query<{ id: string; claimed_by: string | null }>('SELECT id, claimed_by FROM queue_message WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [ids]);
      const owner = new Map(rows.map((r) => [r.id, r.claimed_by]));
      for (const id of ids) if (owner.get(id) !== worker) throw new Error(`queue entry ${id} is not claimed by ${worker}`);

      // a hold is an update that changes nothing but the next attempt (status null: kept)
      const updates = batch.flatMap((b) => [
        ...(b.hold ? b.hold.recipients.map((a) => ({ queueId: b.queueId, recipient: normalizeAddress(a), status: null, nextAttemptAt: b.hold!.until, at: 0 }) as PgUpdate) : []),
        ...b.updates.map((u): PgUpdate => ({ queueId: b.queueId, ...u, recipient: normalizeAddress(u.recipient) })),
      ]);
      const keys = new Set(updates.map((u) => `${u.queueId}\u0000${u.recipient}`));
      // One UPDATE … FROM unnest for the batch; when a recipient appears twice (a rate-limit hold and
      // its own result) the updates must apply in order, one statement each.
      const groups = keys.size === updates.length ? [updates] : updates.map((u) => [u]);
      for (const g of groups) {
        if (g.length === 0) continue;
        await c.query(
          `UPDATE queue_recipient r SET status = COALESCE(u.status, r.status),
             next_attempt_at = COALESCE(u.next, r.next_attempt_at),
             reply_code = CASE WHEN u.has_reply THEN u.code ELSE r.reply_code END,
             enhanced_code = CASE WHEN u.has_reply THEN u.enhanced ELSE r.enhanced_code END,
             response = CASE WHEN u.has_reply THEN u.text ELSE r.response END,
             reason = COALESCE(u.reason, r.reason),
             hard = COALESCE(u.hard, r.hard),
             attempts = r.attempts + CASE WHEN u.attempted THEN 1 ELSE 0 END,
             first_attempt_at = CASE WHEN u.attempted THEN COALESCE(r.first_attempt_at, u.at) ELSE r.first_attempt_at END,
             last_attempt_at = CASE WHEN u.attempted THEN u.at ELSE r.last_attempt_at END
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bool[], $6::int[], $7::text[], $8::text[], $9::text[], $10::bool[], $11::bool[], $12::bigint[])
             AS u(queue_id, recipient, status, next, has_reply, code, enhanced, text, reason, hard, attempted, at)
           WHERE r.queue_id = u.queue_id AND r.recipient = u.recipient`,
          [
            g.map((u) => u.queueId),
            g.map((u) => u.recipient),
            g.map((u) => u.status),
            g.map((u) => u.nextAttemptAt ?? null),
            g.map((u) => !!u.lastReply),
            g.map((u) => u.lastReply?.code ?? null),
            g.map((u) => u.lastReply?.enhanced ?? null),
            g.map((u) => u.lastReply?.text ?? null),
            g.map((u) => u.reason ?? null),
            g.map((u) => u.hard ?? null),
            g.map((u) => !!u.attempted),
            g.map((u) => u.at),
          ],
        );
      }
      const log = batch.flatMap((b) => b.log);
      if (log.length > 0) await c.query(LOG_INSERT, logColumns(log));
    }, { queueState: true });
  }

  async release(queueId: string, worker: string): Promise<void> {
    await this.tx(async (c) => {
      // A settled message leaves the queue (its recipients go with it: ON DELETE CASCADE) …
      const gone = await c.query(`DELETE FROM queue_message m WHERE m.id = $1 AND NOT EXISTS (SELECT 1 FROM queue_recipient r WHERE r.queue_id = $1 AND r.status NOT IN ${FINAL_SQL})`, [queueId]);
      // … any other is free for the next worker at once.
      if ((gone.rowCount ?? 0) === 0) await c.query('UPDATE queue_message SET claimed_by = NULL, lease_until = 0 WHERE id = $1 AND claimed_by = $2', [queueId, worker]);
    }, { queueState: true });
  }

  async deleteQueued(id: string): Promise<boolean> {
    const r = await this.run(() => this.pool.query('DELETE FROM queue_message WHERE id = $1', [id]));
    return (r.rowCount ?? 0) > 0;
  }

  async deleteAllQueued(): Promise<number> {
    const r = await this.run(() => this.pool.query('DELETE FROM queue_message'));
    return r.rowCount ?? 0;
  }

  // ---- delivery log

  async logDelivery(e: DeliveryLogEntry): Promise<number> {
    const { rows } = await this.run(() => this.pool.query<{ id: number }>(`${LOG_INSERT} RETURNING id`, logColumns([e])));
    return rows[0]!.id;
  }

  async logDeliveries(entries: readonly DeliveryLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.tx(async (c) => {
      for (let i = 0; i < entries.length; i += 5000) await c.query(LOG_INSERT, logColumns(entries.slice(i, i + 5000)));
    });
  }

  async listDeliveries(filter: DeliveryFilter = {}): Promise<DeliveryLogEntry[]> {
    const { rows } = await this.run(() =>
      this.pool.query<DeliveryRow>(
        `SELECT * FROM delivery_log
         WHERE ($1::text IS NULL OR recipient = $1) AND ($2::bigint IS NULL OR at >= $2)
           AND ($3::text IS NULL OR message_id = $3) AND ($4::text IS NULL OR queue_id = $4)
         ORDER BY at DESC, id DESC LIMIT $5`,
        [filter.recipient === undefined ? null : normalizeAddress(filter.recipient), filter.since ?? null, filter.messageId ?? null, filter.queueId ?? null, filter.limit ?? null],
      ),
    );
    return rows.map(toDelivery);
  }

  async countDeliveries(filter: { tagPrefix: string; since?: number }): Promise<DeliveryCount[]> {
    const { rows } = await this.run(() =>
      this.pool.query<DeliveryCount>(
        `SELECT tag, (at / ${HOUR_MS}) * ${HOUR_MS} AS hour, status, count(*) AS count FROM delivery_log
         WHERE tag IS NOT NULL AND starts_with(tag, $1) AND ($2::bigint IS NULL OR at >= $2)
         GROUP BY tag, hour, status`,
        [filter.tagPrefix, filter.since ?? null],
      ),
    );
    return rows;
  }

  async addPlacementRun(run: PlacementRun): Promise<void> {
    await this.tx(async (c) => {
      await c.query('INSERT INTO placement_run (id, started_at, finished_at, message_id) VALUES ($1, $2, $3, $4)', [run.id, run.startedAt, run.finishedAt, run.messageId]);
      for (const row of placementSeedRows(run)) await c.query(`INSERT INTO placement_seed (${PLACEMENT_SEED_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, row);
    });
  }

  async listPlacementRuns(filter: { since?: number; until?: number } = {}): Promise<PlacementRun[]> {
    return this.run(async () => {
      const p = [filter.since ?? null, filter.until ?? null];
      const where = 'WHERE ($1::bigint IS NULL OR r.started_at >= $1) AND ($2::bigint IS NULL OR r.started_at <= $2)';
      const runs = await this.pool.query<PlacementRunRow>(`SELECT r.* FROM placement_run r ${where} ORDER BY r.started_at, r.id`, p);
      const seeds = await this.pool.query<PlacementSeedRow>(`SELECT s.* FROM placement_seed s JOIN placement_run r ON r.id = s.run_id ${where} ORDER BY s.run_id, s.position`, p);
      return toPlacementRuns(runs.rows, seeds.rows);
    });
  }

  // ---- MTA-STS policy cache

  async getMtaStsPolicy(domain: string): Promise<CachedMtaStsPolicy | undefined> {
    const { rows } = await this.run(() => this.pool.query<MtaStsRow>('SELECT * FROM mta_sts_policy WHERE domain = $1', [domain.toLowerCase()]));
    return rows[0] ? toMtaStsPolicy(rows[0]) : undefined;
  }

  async putMtaStsPolicy(p: CachedMtaStsPolicy): Promise<void> {
    await this.run(() =>
      this.pool.query(
        `INSERT INTO mta_sts_policy (domain, policy_id, mode, mx, max_age, fetched_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (domain) DO UPDATE SET policy_id = excluded.policy_id, mode = excluded.mode, mx = excluded.mx,
           max_age = excluded.max_age, fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
        [p.domain.toLowerCase(), p.id, p.mode, JSON.stringify(p.mx), p.maxAge, p.fetchedAt, p.expiresAt],
      ),
    );
  }

  /** Row counts for `store status`. */
  async counts(now: number): Promise<StoreCounts> {
    return this.run(async () => {
      const a = await this.pool.query<{ s: number; q: number; l: number; d: number }>(
        `SELECT (SELECT count(*) FROM suppression) AS s, (SELECT count(*) FROM queue_message) AS q,
                (SELECT count(*) FROM queue_message WHERE lease_until > $1) AS l, (SELECT count(*) FROM delivery_log) AS d`,
        [now],
      );
      const b = await this.pool.query<{ status: string; n: number }>('SELECT status, count(*) AS n FROM queue_recipient GROUP BY status ORDER BY status');
      const r = a.rows[0]!;
      return { suppressions: r.s, queuedMessages: r.q, leasedMessages: r.l, deliveries: r.d, recipients: Object.fromEntries(b.rows.map((x) => [x.status, x.n])) };
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The ~/.pgpass entry for this URL's host, port, database and user, or undefined. */
function passwordFile(url: string): Promise<string | undefined> {
  const u = new URL(url);
  const info = { host: decodeURIComponent(u.hostname) || 'localhost', port: u.port || '5432', database: decodeURIComponent(u.pathname.slice(1)), user: decodeURIComponent(u.username) || userInfo().username };
  return new Promise((resolve) => pgPass(info, resolve));
}

function* copyLines(list: readonly Suppression[]): Generator<string> {
  let chunk = '';
  for (const s of list) {
    chunk += `${copyField(normalizeAddress(s.address))}\t${copyField(s.reason)}\t${copyField(s.detail)}\t${copyField(s.source)}\t${copyField(s.createdAt)}\n`;
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
