/**
 * bench/store — the shared PostgreSQL store beside the embedded SQLite store, measured in the same run.
 *
 *   MAILPACE_SERVICES_DIR=… node --import tsx bench/store.ts [--messages 1000] [--suppressions 1000000] [--runs 3]
 *
 * Needs the private cluster of scripts/services/postgres.sh (a fresh database is made and dropped).
 *
 * 1. Queue throughput: --messages one-recipient messages are queued, then workers take them the way
 *    `queue run` does: claim (SKIP LOCKED + lease) → "sending" mark (before DATA) → result with its
 *    delivery-log row (one transaction) → release (the settled message leaves the queue); one
 *    message a claim (`--concurrency 1`), and 10 a claim with the marks and the results each
 *    written in one commit (what the engine's group commit does at --concurrency 10). No SMTP:
 *    this is what the store carries. PostgreSQL with 1, 4 and 16 workers (each its own connection,
 *    as separate `queue run` processes or --workers have), SQLite with one process (a file has one
 *    writer at a time). Messages per second, median of --runs.
 * 2. Suppression lookups on a --suppressions list: the list is imported (PostgreSQL: COPY; SQLite:
 *    one transaction) and timed; then send's check, suppressedAmong, with batches of 100 addresses
 *    (half of them listed), for 2 s: addresses checked per second. PostgreSQL also with 4
 *    connections at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PostgresStore } from '../src/core/store/postgres-store.js';
import { SqliteStore } from '../src/core/store/sqlite-store.js';
import type { QueuedMessage, Store, Suppression } from '../src/core/store/store.js';
import { freshDatabase, sql } from '../test/helpers/postgres.js';
import { median, table } from './util.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const MESSAGES = arg('--messages', 1000);
const SUPPRESSIONS = arg('--suppressions', 1_000_000);
const RUNS = arg('--runs', 3);
const LOOKUP_MS = 2000;
const work = mkdtempSync(join(tmpdir(), 'bench-store-'));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function message(i: number, run: number, now: number): QueuedMessage {
  const id = `r${run}m${String(i).padStart(6, '0')}`;
  return {
    id,
    messageId: `<${id}@bench.example>`,
    sender: 'bench@example.net',
    raw: Buffer.alloc(2048, 'x'),
    createdAt: now + i,
    expiresAt: now + 3_600_000,
    options: { port: 25, tls: 'opportunistic' },
    recipients: [{ recipient: `${id}@bench.example`, domain: 'bench.example', status: 'queued', attempts: 0, nextAttemptAt: now }],
  };
}

/**
 * Workers (one store each) drain the queue, `batch` messages per claim with their writes grouped
 * the way the engine groups concurrent transactions (one commit for the batch's "sending" marks,
 * one for its results); returns messages per second.
 */
async function drain(stores: Store[], total: number, batch: number): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  await Promise.all(
    stores.map(async (store, k) => {
      const worker = `bench-${k}`;
      for (;;) {
        const now = Date.now();
        const claims = await store.claim({ worker, now, leaseMs: 60_000, limit: batch });
        if (claims.length === 0) return;
        const ms = claims.map((c) => c.message);
        await store.recordAttempts(worker, ms.map((m) => ({ queueId: m.id, updates: [{ recipient: m.recipients[0]!.recipient, status: 'sending' as const, at: now }], log: [] })));
        await store.recordAttempts(
          worker,
          ms.map((m) => {
            const r = m.recipients[0]!.recipient;
            return {
              queueId: m.id,
              updates: [{ recipient: r, status: 'delivered' as const, lastReply: { code: 250, enhanced: '2.0.0', text: 'Ok: queued' }, attempted: true, at: now }],
              log: [{ at: now, queueId: m.id, messageId: m.messageId, recipient: r, status: 'delivered', replyCode: 250, enhancedCode: '2.0.0', response: 'Ok: queued', mx: 'mx.bench.example', address: '127.0.0.1', port: 25 }],
            };
          }),
        );
        for (const m of ms) await store.release(m.id, worker);
        done += ms.length;
      }
    }),
  );
  const ms = performance.now() - t0;
  if (done !== total) throw new Error(`drained ${done} of ${total}`);
  return (total / ms) * 1000;
}

async function fill(store: Store, run: number): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < MESSAGES; i++) await store.enqueue(message(i, run, now));
}

function suppressions(n: number): Suppression[] {
  return Array.from({ length: n }, (_, i) => ({ address: `user${i}@list${i % 997}.example`, reason: 'hard-bounce', detail: '550 5.1.1 user unknown', source: 'import', createdAt: 1_700_000_000_000 + i }));
}

/** send's batch check for LOOKUP_MS on `stores.length` connections at once: addresses per second. */
async function lookups(stores: Store[]): Promise<number> {
  let checked = 0;
  const until = performance.now() + LOOKUP_MS;
  const t0 = performance.now();
  await Promise.all(
    stores.map(async (store, k) => {
      let i = k * 7919;
      while (performance.now() < until) {
        const batch: string[] = [];
        for (let j = 0; j < 100; j++, i++) {
          const n = (i * 2654435761) % SUPPRESSIONS;
          // half listed, half not
          batch.push(j % 2 ? `user${n}@list${n % 997}.example` : `nobody${n}@list${n % 997}.example`);
        }
        const found = await store.suppressedAmong(batch);
        if (found.size !== 50) throw new Error(`expected 50 of 100 suppressed, found ${found.size}`);
        checked += batch.length;
      }
    }),
  );
  return (checked / (performance.now() - t0)) * 1000;
}

async function main(): Promise<void> {
  const db = await freshDatabase('bench');
  const sqlitePath = (run: number) => join(work, `queue-${run}.sqlite`);
  try {
    console.log(`load average at the start   ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${availableParallelism()} CPU(s); node ${process.version}`);
    const pgSetup = await PostgresStore.open(db.url, { display: 'bench' });
    const [pgInfo] = await sql<{ v: string; sc: string; f: string }>(db.url, `SELECT current_setting('server_version') AS v, current_setting('synchronous_commit') AS sc, current_setting('fsync') AS f`);
    console.log(`PostgreSQL ${pgInfo!.v} on 127.0.0.1 (synchronous_commit=${pgInfo!.sc}, fsync=${pgInfo!.f}); SQLite ${new Database(':memory:').prepare('SELECT sqlite_version() AS v').pluck().get() as string} (better-sqlite3)`);

    // ---- 1. queue throughput, interleaved: SQLite, PG×1, PG×4, PG×16 per run ----
    const configs: { name: string; rates: number[]; run: (r: number) => Promise<number> }[] = [];
    for (const batch of [1, 10]) {
      const per = batch === 1 ? '1 message a claim' : `${batch} a claim, grouped writes`;
      configs.push({
        name: `SQLite, 1 process, ${per}`,
        rates: [],
        run: async (r) => {
          const s = new SqliteStore(sqlitePath(r * 100 + batch));
          await fill(s, r);
          try {
            return await drain([s], MESSAGES, batch);
          } finally {
            await s.close();
          }
        },
      });
      for (const n of [1, 4, 16]) {
        configs.push({
          name: `PostgreSQL, ${n} worker${n > 1 ? 's' : ''}, ${per}`,
          rates: [],
          run: async (r) => {
            await fill(pgSetup, r * 1000 + n * 10 + batch);
            const stores = await Promise.all(Array.from({ length: n }, () => PostgresStore.open(db.url, { display: 'bench', poolSize: 1 })));
            try {
              return await drain(stores, MESSAGES, batch);
            } finally {
              for (const s of stores) await s.close();
            }
          },
        });
      }
    }
    for (let r = 0; r < RUNS; r++) for (const c of configs) c.rates.push(await c.run(r));
    console.log(`\nqueue: ${fmt(MESSAGES)} messages per run, each claimed, marked sending, settled with its log row and released (median of ${RUNS}, min–max; runs interleaved)`);
    console.log(
      table([
        ['store', 'messages/s', 'range', 'per message'],
        ...configs.map((c) => [c.name, fmt(median(c.rates)), `${fmt(Math.min(...c.rates))}–${fmt(Math.max(...c.rates))}`, `${fmt(1000 / median(c.rates), 2)} ms`]),
      ]),
    );

    // ---- 2. suppression list of SUPPRESSIONS addresses: import, then batch lookups ----
    const list = suppressions(SUPPRESSIONS);
    const sqlite = new SqliteStore(join(work, 'suppressions.sqlite'));
    let t = performance.now();
    for (let i = 0; i < list.length; i += 20_000) await sqlite.addSuppressions(list.slice(i, i + 20_000));
    const sqliteImport = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < list.length; i += 20_000) await pgSetup.addSuppressions(list.slice(i, i + 20_000));
    const pgImport = performance.now() - t;
    const readers = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(db.url, { display: 'bench', poolSize: 1 })));
    const sqliteRates: number[] = [];
    const pgRates: number[] = [];
    const pg4Rates: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      sqliteRates.push(await lookups([sqlite]));
      pgRates.push(await lookups([readers[0]!]));
      pg4Rates.push(await lookups(readers));
    }
    for (const s of readers) await s.close();
    await sqlite.close();
    console.log(`\nsuppression list of ${fmt(SUPPRESSIONS)} addresses: import (batches of 20,000), then send's check — suppressedAmong, 100 addresses a query, half listed — for ${LOOKUP_MS / 1000} s (median of ${RUNS})`);
    console.log(
      table([
        ['store', 'import', 'addresses checked/s', 'range'],
        ['SQLite (one transaction per batch)', `${fmt(sqliteImport / 1000, 1)} s`, fmt(median(sqliteRates)), `${fmt(Math.min(...sqliteRates))}–${fmt(Math.max(...sqliteRates))}`],
        ['PostgreSQL (COPY per batch), 1 connection', `${fmt(pgImport / 1000, 1)} s`, fmt(median(pgRates)), `${fmt(Math.min(...pgRates))}–${fmt(Math.max(...pgRates))}`],
        ['PostgreSQL, 4 connections at once', '', fmt(median(pg4Rates)), `${fmt(Math.min(...pg4Rates))}–${fmt(Math.max(...pg4Rates))}`],
      ]),
    );
    await pgSetup.close();
    console.log(`\nload average at the end     ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
