import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore, MIGRATIONS } from '../../../src/core/store/sqlite-store.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { defaultStorePath, FINAL_STATUSES, FINAL_STATUSES_SQL, isFinal, type RecipientStatus } from '../../../src/core/store/store.js';
import { queued, storeContract } from '../../helpers/store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'mailpace-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('memory', async () => new MemoryStore());
storeContract('SQLite', async () => new SqliteStore(join(dir, `contract-${n++}.sqlite`)));

test('SQLite store: WAL, migrations recorded, data survives reopen', async () => {
  const path = join(dir, 'nested', 'store.sqlite');
  const s = new SqliteStore(path);
  assert.equal(s.schemaVersion, MIGRATIONS.length);
  await s.addSuppression({ address: 'bob@example.com', reason: 'manual', createdAt: 1 });
  await s.enqueue(queued('q1', ['a@one.example']));
  await s.logDelivery({ messageId: '<1@x>', recipient: 'bob@example.com', status: 'delivered', at: 2 });
  await s.close();
  const raw = new Database(path);
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  raw.close();
  const again = new SqliteStore(path);
  assert.equal((await again.getSuppression('bob@example.com'))?.reason, 'manual');
  assert.equal((await again.listDeliveries()).length, 1);
  assert.equal((await again.listQueue())[0]?.recipients[0]?.recipient, 'a@one.example');
  await again.close();
});

test('SQLite store: a version-1 file is migrated in place, its rows kept', async () => {
  const path = join(dir, 'v1.sqlite');
  const raw = new Database(path);
  raw.exec(MIGRATIONS[0]!);
  raw.pragma('user_version = 1');
  raw.prepare('INSERT INTO suppression (address, reason, detail, created_at) VALUES (?, ?, ?, ?)').run('old@example.com', 'hard-bounce', '550', 5);
  raw.close();
  const s = new SqliteStore(path);
  assert.equal(s.schemaVersion, MIGRATIONS.length);
  assert.equal((await s.getSuppression('old@example.com'))?.detail, '550');
  await s.close();
});

test('SQLite store refuses a schema newer than it knows', () => {
  const path = join(dir, 'newer.sqlite');
  const raw = new Database(path);
  raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
  raw.close();
  assert.throws(() => new SqliteStore(path), /newer than this mailpace-cli understands/);
});

test('default store path honours MAILPACE_STORE and XDG_STATE_HOME', () => {
  assert.equal(defaultStorePath({ MAILPACE_STORE: '/tmp/x.sqlite' }), '/tmp/x.sqlite');
  assert.equal(defaultStorePath({ XDG_STATE_HOME: '/var/state' }), '/var/state/mailpace-cli/store.sqlite');
});

test('store copy carries placement runs, skipping run ids the target already has', async () => {
  const { copyStore } = await import('../../../src/core/store/admin.js');
  const from = new MemoryStore();
  const to = new MemoryStore();
  const run = (id: string, at: number) => ({ id, startedAt: at, finishedAt: at + 1, messageId: `<${id}@x>`, seeds: [{ address: 's@gmail.example', provider: 'gmail', placement: 'inbox', folder: 'INBOX', timeToInboxMs: 1200, sendStatus: 'delivered' }] });
  await from.addPlacementRun(run('r1', 1000));
  await from.addPlacementRun(run('r2', 2000));
  await to.addPlacementRun(run('r1', 1000));
  const r = await copyStore(from, to);
  assert.equal(r.placementRuns, 1);
  assert.deepEqual(await to.listPlacementRuns(), [run('r1', 1000), run('r2', 2000)]);
  assert.equal((await copyStore(from, to)).placementRuns, 0);
});

test('final statuses: isFinal, FINAL_STATUSES and the SQL list the stores query with agree', () => {
  const all: RecipientStatus[] = ['queued', 'sending', 'delivered', 'deferred', 'bounced', 'expired', 'suppressed'];
  for (const st of all) assert.equal(isFinal(st), FINAL_STATUSES.has(st), st);
  assert.equal(FINAL_STATUSES_SQL, "('delivered','bounced','expired','suppressed')");
});
