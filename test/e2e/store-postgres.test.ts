/**
 * The PostgreSQL store against a real server (the private cluster of scripts/services/postgres.sh):
 * the same contract tests as memory and SQLite, then what only a shared database has — migrations
 * under an advisory lock, a newer schema refused, concurrent claims that never overlap.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresStore, PG_MIGRATIONS } from '../../src/core/store/postgres-store.js';
import { maskPassword } from '../../src/core/store/location.js';
import { queued, storeContract } from '../helpers/store-contract.js';
import { freshDatabase, postgresSkip, sql } from '../helpers/postgres.js';

const skip = postgresSkip();
const drops: (() => Promise<void>)[] = [];
after(async () => {
  // every database is dropped, even when one drop fails
  await Promise.allSettled(drops.map((d) => d()));
});

async function open(opts: { migrate?: boolean; url?: string } = {}): Promise<{ store: PostgresStore; url: string }> {
  let url = opts.url;
  if (!url) {
    const db = await freshDatabase('contract');
    drops.push(db.drop);
    url = db.url;
  }
  const store = await PostgresStore.open(url, { display: maskPassword(url), ...(opts.migrate === false ? { migrate: false } : {}) });
  return { store, url };
}

if (skip) test('PostgreSQL store', { skip }, () => {});
else {
  storeContract('PostgreSQL', async () => (await open()).store);

  test('PostgreSQL: migrations are recorded in mailpace_schema, and a reopen applies nothing', async () => {
    const { store, url } = await open();
    assert.deepEqual(store.migrated, { from: 0, to: PG_MIGRATIONS.length, applied: PG_MIGRATIONS.map((_, i) => i + 1) });
    await store.close();
    const again = await PostgresStore.open(url, { display: 'x' });
    assert.deepEqual(again.migrated, { from: PG_MIGRATIONS.length, to: PG_MIGRATIONS.length, applied: [] });
    await again.close();
    const rows = await sql<{ version: number }>(url, 'SELECT version FROM mailpace_schema ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((_, i) => i + 1));
  });

  test('PostgreSQL: ten stores opening an empty database at once migrate it exactly once', async () => {
    const db = await freshDatabase('race');
    drops.push(db.drop);
    const stores = await Promise.all(Array.from({ length: 10 }, () => PostgresStore.open(db.url, { display: 'x', poolSize: 1 })));
    try {
      const applied = stores.map((s) => s.migrated!.applied.length);
      assert.equal(applied.filter((n) => n > 0).length, 1, `one store applied the migrations: ${applied}`);
      assert.equal(applied.reduce((a, b) => a + b, 0), PG_MIGRATIONS.length);
      const rows = await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM mailpace_schema');
      assert.equal(rows[0]!.n, PG_MIGRATIONS.length);
    } finally {
      for (const s of stores) await s.close();
    }
  });

  test('PostgreSQL: a database newer than the code is refused with one clear line, and nothing is changed', async () => {
    const { store, url } = await open();
    await store.close();
    await sql(url, 'INSERT INTO mailpace_schema (version, applied_by) VALUES ($1, $2)', [PG_MIGRATIONS.length + 3, 'a newer mailpace-cli']);
    await assert.rejects(PostgresStore.open(url, { display: maskPassword(url) }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'STORE_TOO_NEW');
      assert.match(e.message, new RegExp(`has schema ${PG_MIGRATIONS.length + 3}, newer than this mailpace-cli understands \\(${PG_MIGRATIONS.length}\\)`));
      assert.ok(!e.message.includes('\n'));
      assert.ok(!e.message.includes(new URL(url).password), 'the password is never shown');
      return true;
    });
    // opening to look (store status) still works and reports the version
    const look = await PostgresStore.open(url, { display: 'x', migrate: false });
    assert.equal(await look.schemaVersion(), PG_MIGRATIONS.length + 3);
    await look.close();
  });

  test('PostgreSQL: 8 workers claiming at once never hold the same message, and every message is claimed once', async () => {
    const { store, url } = await open();
    const workers = await Promise.all(Array.from({ length: 8 }, () => PostgresStore.open(url, { display: 'x', poolSize: 2 })));
    try {
      for (let i = 0; i < 200; i++) await store.enqueue(queued(`m${String(i).padStart(3, '0')}`, [`r${i}@one.example`], { createdAt: i }));
      const seen = new Map<string, string>();
      await Promise.all(
        workers.map(async (w, k) => {
          for (;;) {
            const claims = await w.claim({ worker: `w${k}`, now: 10_000, leaseMs: 60_000, limit: 7 });
            if (claims.length === 0) return;
            for (const c of claims) {
              assert.equal(seen.get(c.message.id), undefined, `${c.message.id} claimed twice`);
              seen.set(c.message.id, `w${k}`);
              await w.recordAttempts(`w${k}`, [{ queueId: c.message.id, updates: [{ recipient: c.message.recipients[0]!.recipient, status: 'delivered', attempted: true, at: 10_001 }], log: [] }]);
              await w.release(c.message.id, `w${k}`);
            }
          }
        }),
      );
      assert.equal(seen.size, 200);
      assert.ok(new Set(seen.values()).size > 1, 'more than one worker got work');
      assert.deepEqual(await store.listQueue(), []);
    } finally {
      for (const w of workers) await w.close();
      await store.close();
    }
  });
}
