/**
 * The default store: one SQLite file (better-sqlite3), WAL journal so a reader never blocks the
 * writer, schema changes as numbered migrations recorded in PRAGMA user_version.
 * Import this module only where a store is needed: it loads a native addon.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MailpaceError } from '../errors.js';
import { normalizeAddress, type DeliveryLogEntry, type Store, type Suppression, type SuppressionReason } from './store.js';

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
];

interface DeliveryRow {
  id: number;
  message_id: string;
  recipient: string;
  status: string;
  reply_code: number | null;
  enhanced_code: string | null;
  response: string | null;
  mx: string | null;
  at: number;
}
interface SuppressionRow {
  address: string;
  reason: string;
  detail: string | null;
  created_at: number;
}

function toSuppression(r: SuppressionRow): Suppression {
  return { address: r.address, reason: r.reason as SuppressionReason, ...(r.detail === null ? {} : { detail: r.detail }), createdAt: r.created_at };
}
function toDelivery(r: DeliveryRow): DeliveryLogEntry {
  const e: DeliveryLogEntry = { id: r.id, messageId: r.message_id, recipient: r.recipient, status: r.status, at: r.at };
  if (r.reply_code !== null) e.replyCode = r.reply_code;
  if (r.enhanced_code !== null) e.enhancedCode = r.enhanced_code;
  if (r.response !== null) e.response = r.response;
  if (r.mx !== null) e.mx = r.mx;
  return e;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path);
    } catch (e) {
      throw new MailpaceError('STORE_OPEN_FAILED', `cannot open store ${path}: ${(e as Error).message}`, {
        cause: e,
        hint: 'set --store or MAILPACE_STORE to a writable path',
      });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  private migrate(): void {
    const current = this.schemaVersion;
    if (current > MIGRATIONS.length) {
      throw new MailpaceError('STORE_TOO_NEW', `store ${this.path} has schema ${current}, newer than this mailpace-cli understands (${MIGRATIONS.length})`, {
        hint: 'upgrade mailpace-cli or point --store at another file',
      });
    }
    const apply = this.db.transaction(() => {
      for (let v = current; v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      }
    });
    apply();
  }

  addSuppression(s: Suppression): void {
    this.db
      .prepare(
        `INSERT INTO suppression (address, reason, detail, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(address) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, created_at = excluded.created_at`,
      )
      .run(normalizeAddress(s.address), s.reason, s.detail ?? null, s.createdAt);
  }
  getSuppression(address: string): Suppression | undefined {
    const r = this.db.prepare('SELECT * FROM suppression WHERE address = ?').get(normalizeAddress(address)) as SuppressionRow | undefined;
    return r ? toSuppression(r) : undefined;
  }
  removeSuppression(address: string): boolean {
    return this.db.prepare('DELETE FROM suppression WHERE address = ?').run(normalizeAddress(address)).changes > 0;
  }
  listSuppressions(): Suppression[] {
    return (this.db.prepare('SELECT * FROM suppression ORDER BY created_at, address').all() as SuppressionRow[]).map(toSuppression);
  }
  logDelivery(e: DeliveryLogEntry): number {
    const r = this.db
      .prepare(
        `INSERT INTO delivery_log (message_id, recipient, status, reply_code, enhanced_code, response, mx, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(e.messageId, normalizeAddress(e.recipient), e.status, e.replyCode ?? null, e.enhancedCode ?? null, e.response ?? null, e.mx ?? null, e.at);
    return Number(r.lastInsertRowid);
  }
  listDeliveries(filter: { recipient?: string; since?: number } = {}): DeliveryLogEntry[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM delivery_log
         WHERE (@recipient IS NULL OR recipient = @recipient) AND (@since IS NULL OR at >= @since)
         ORDER BY at, id`,
      )
      .all({ recipient: filter.recipient === undefined ? null : normalizeAddress(filter.recipient), since: filter.since ?? null }) as DeliveryRow[];
    return rows.map(toDelivery);
  }
  close(): void {
    this.db.close();
  }
}
