/**
 * Throw-away databases on the private PostgreSQL cluster of scripts/services/postgres.sh. Each test
 * gets its own database (CREATE DATABASE … per call), dropped at the end, so tests never see each
 * other's rows. Outside CI a cluster that is not running skips the tests with the reason; in CI it
 * fails them (see serviceSkip).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { serviceEnv, serviceSkip } from './services.js';

export const postgresSkip = (): false | string => serviceSkip('postgres');

export interface PgService {
  host: string;
  port: number;
  user: string;
  password: string;
  /** postgres://user:password@127.0.0.1:port/<db> */
  url(db: string, opts?: { password?: string | null }): string;
}

export function pgService(): PgService {
  const env = serviceEnv('postgres');
  if (!env) throw new Error('postgres is not running: start it with scripts/services/postgres.sh start');
  const host = env.POSTGRES_HOST!;
  const port = Number(env.POSTGRES_PORT);
  const user = env.POSTGRES_USER!;
  const password = env.POSTGRES_PASSWORD!;
  return {
    host,
    port,
    user,
    password,
    url(db, opts = {}) {
      const pw = opts.password === null ? '' : `:${encodeURIComponent(opts.password ?? password)}`;
      return `postgres://${user}${pw}@${host}:${port}/${db}`;
    },
  };
}

/** Runs SQL on the cluster's maintenance database. */
async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const s = pgService();
  const c = new pg.Client({ connectionString: s.url('postgres') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new, empty database; returns its URL (with the password) and how to drop it. */
export async function freshDatabase(prefix = 't'): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: pgService().url(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Runs SQL in one database (assertions on the raw tables). */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}
