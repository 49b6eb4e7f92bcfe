import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore, MIGRATIONS } from '../../../src/core/store/sqlite-store.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { defaultStorePath, type Store } from '../../../src/core/store/store.js';

function exercise(store: Store) {
  store.addSuppression({ address: 'Bob@Example.com', reason: 'hard-bounce', detail: '550 5.1.1', createdAt: 1000 });
  store.addSuppression({ address: 'amy@example.com', reason: 'complaint', createdAt: 2000 });
  assert.equal(store.getSuppression('bob@example.COM')?.reason, 'hard-bounce');
  assert.equal(store.getSuppression('bob@example.com')?.detail, '550 5.1.1');
  store.addSuppression({ address: 'bob@example.com', reason: 'manual', createdAt: 3000 });
  assert.deepEqual(store.listSuppressions().map((s) => [s.address, s.reason]), [['amy@example.com', 'complaint'], ['bob@example.com', 'manual']]);
  assert.equal(store.removeSuppression('AMY@example.com'), true);
  assert.equal(store.removeSuppression('amy@example.com'), false);
  const id1 = store.logDelivery({ messageId: '<1@x>', recipient: 'Bob@example.com', status: 'deferred', replyCode: 451, enhancedCode: '4.7.1', at: 10 });
  const id2 = store.logDelivery({ messageId: '<1@x>', recipient: 'bob@example.com', status: 'delivered', replyCode: 250, at: 20 });
  assert.ok(id2 > id1);
  assert.deepEqual(store.listDeliveries({ recipient: 'bob@example.com' }).map((d) => d.status), ['deferred', 'delivered']);
  assert.deepEqual(store.listDeliveries({ since: 15 }).map((d) => d.replyCode), [250]);
  assert.equal(store.listDeliveries()[0]!.enhancedCode, '4.7.1');
}

test('in-memory store', () => exercise(new MemoryStore()));

test('SQLite store: WAL, migrations recorded, data survives reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-store-'));
  try {
    const path = join(dir, 'nested', 'store.sqlite');
    const s = new SqliteStore(path);
    assert.equal(s.schemaVersion, MIGRATIONS.length);
    exercise(s);
    s.close();
    const raw = new Database(path);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
    const again = new SqliteStore(path);
    assert.equal(again.getSuppression('bob@example.com')?.reason, 'manual');
    assert.equal(again.listDeliveries().length, 2);
    again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite store refuses a schema newer than it knows', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-store-'));
  try {
    const path = join(dir, 's.sqlite');
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    raw.close();
    assert.throws(() => new SqliteStore(path), /newer than this mailpace-cli understands/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('default store path honours MAILPACE_STORE and XDG_STATE_HOME', () => {
  assert.equal(defaultStorePath({ MAILPACE_STORE: '/tmp/x.sqlite' }), '/tmp/x.sqlite');
  assert.equal(defaultStorePath({ XDG_STATE_HOME: '/var/state' }), '/var/state/mailpace-cli/store.sqlite');
});
