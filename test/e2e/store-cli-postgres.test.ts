/**
 * The CLI on a shared PostgreSQL store (the private cluster of scripts/services/postgres.sh): where
 * the password comes from and that it is never printed, refusals with one line and the right exit
 * code, `store migrate` from ten processes at once, `store copy` from SQLite, `suppression import`
 * through COPY, and 8 processes adding and removing suppressions at once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/core/store/sqlite-store.js';
import { PG_MIGRATIONS } from '../../src/core/store/postgres-store.js';
import { queued } from '../helpers/store-contract.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { freshDatabase, pgService, postgresSkip, sql } from '../helpers/postgres.js';

const skip = postgresSkip();
const dir = mkdtempSync(join(tmpdir(), 'mailpace-store-pg-'));
const drops: (() => Promise<void>)[] = [];
after(async () => {
  // every database is dropped, even when one drop fails
  await Promise.allSettled(drops.map((d) => d()));
  rmSync(dir, { recursive: true, force: true });
});

async function database(): Promise<{ url: string; name: string }> {
  const db = await freshDatabase('cli');
  drops.push(db.drop);
  return db;
}

function json(r: CliResult): any {
  assert.equal(r.stderr.includes(pgService().password), false, `the password is never printed: ${r.stderr}`);
  assert.equal(r.stdout.includes(pgService().password), false, 'the password is never printed');
  return JSON.parse(r.stdout);
}

test('the password comes from the URL, PGPASSWORD or ~/.pgpass (PGPASSFILE), and is never printed', { skip }, async () => {
  const { name } = await database();
  const s = pgService();
  const withPw = s.url(name);
  const noPw = s.url(name, { password: null });
  const a = await runCli(['store', 'migrate', '--json', '--store', withPw]);
  assert.equal(a.code, 0, a.stderr);
  const doc = json(a);
  assert.equal(doc.store, `postgres://${s.user}:***@${s.host}:${s.port}/${name}`);
  assert.deepEqual(doc.applied, PG_MIGRATIONS.map((_, i) => i + 1));

  const b = await runCli(['store', 'status', '--json', '--store', noPw], { env: { PGPASSWORD: s.password, PGPASSFILE: join(dir, 'none') } });
  assert.equal(b.code, 0, b.stderr);
  assert.equal(json(b).store, noPw, 'no password in the URL: nothing to mask');

  const passfile = join(dir, 'pgpass');
  writeFileSync(passfile, `${s.host}:${s.port}:${name}:${s.user}:${s.password}\n`);
  chmodSync(passfile, 0o600);
  const c = await runCli(['suppression', 'add', 'pass@example.com', '--json', '--store', noPw], { env: { PGPASSWORD: undefined, PGPASSFILE: passfile } });
  assert.equal(c.code, 0, c.stderr);
  assert.equal(c.stderr, '', 'read by mailpace-cli itself: no warning from pg');
  assert.deepEqual(json(c).added, ['pass@example.com']);

  const none = await runCli(['suppression', 'list', '--store', noPw], { env: { PGPASSWORD: undefined, PGPASSFILE: join(dir, 'none') } });
  assert.equal(none.code, 2, none.stderr);
  assert.match(none.stderr, /^mailpace-cli: store .*: the server wants a password and none was given\n {2}hint: give it in the URL, PGPASSWORD or ~\/\.pgpass\n$/);
});

test('a wrong password: one line naming the store with the password masked, exit 2', { skip }, async () => {
  const { name } = await database();
  const r = await runCli(['suppression', 'list', '--store', pgService().url(name, { password: 'not-the-password' })]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^mailpace-cli: store postgres:\/\/\w+:\*\*\*@127\.0\.0\.1:\d+\/\w+: login refused: password authentication failed for user "\w+"\n {2}hint: /);
  assert.ok(!r.stderr.includes('not-the-password'));
  const missing = await runCli(['suppression', 'list', '--store', pgService().url('no_such_database')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /database "no_such_database" does not exist/);
  assert.ok(!missing.stderr.includes(pgService().password));
});

test('a database migrated by a newer mailpace-cli is refused: one line, exit 3; store status reports it (exit 1)', { skip }, async () => {
  const { url } = await database();
  assert.equal((await runCli(['store', 'migrate', '--store', url])).code, 0);
  await sql(url, 'INSERT INTO mailpace_schema (version, applied_by) VALUES ($1, $2)', [PG_MIGRATIONS.length + 1, 'newer']);
  const r = await runCli(['queue', 'list', '--store', url]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`^mailpace-cli: store postgres://\\w+:\\*\\*\\*@[^ ]+ has schema ${PG_MIGRATIONS.length + 1}, newer than this mailpace-cli understands \\(${PG_MIGRATIONS.length}\\)\n {2}hint: upgrade mailpace-cli`));
  const st = await runCli(['store', 'status', '--json', '--store', url]);
  assert.equal(st.code, 1);
  assert.deepEqual(json(st).schema, { database: PG_MIGRATIONS.length + 1, code: PG_MIGRATIONS.length, pending: 0, newer: true });
});

test('ten `store migrate` processes started at once on an empty database: one applies the migrations', { skip }, async () => {
  const { url } = await database();
  const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(['store', 'migrate', '--json', '--store', url], { timeoutMs: 60_000 })));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const applied = runs.map((r) => json(r).applied as number[]);
  assert.equal(applied.filter((a) => a.length > 0).length, 1, JSON.stringify(applied));
  const rows = await sql<{ version: number }>(url, 'SELECT version FROM mailpace_schema ORDER BY version');
  assert.deepEqual(rows.map((r) => r.version), PG_MIGRATIONS.map((_, i) => i + 1));
});

test('store copy from an SQLite file: suppression list, queue and delivery log arrive; a second copy skips the queued message', { skip }, async () => {
  const { url } = await database();
  const file = join(dir, 'laptop.sqlite');
  const local = new SqliteStore(file);
  await local.addSuppressions(Array.from({ length: 300 }, (_, i) => ({ address: `gone${i}@example.com`, reason: 'hard-bounce' as const, detail: '550 5.1.1 no such user', source: 'send', createdAt: 1_000 + i })));
  await local.enqueue(queued('lq1', ['later@example.org']));
  await local.logDelivery({ at: 10, messageId: '<a@x>', recipient: 'a@example.org', status: 'deferred', replyCode: 451, response: 'try later', queueId: 'lq1' });
  await local.logDelivery({ at: 20, messageId: '<a@x>', recipient: 'a@example.org', status: 'delivered', replyCode: 250, response: 'ok', mx: 'mx.example.org', tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } });
  await local.close();

  const r = await runCli(['store', 'copy', '--from', `sqlite://${file}`, '--to', url, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = json(r);
  assert.deepEqual([doc.suppressions, doc.queued, doc.deliveries, doc.skippedQueued], [300, 1, 2, []]);
  assert.match(doc.to, /:\*\*\*@/);

  const list = json(await runCli(['suppression', 'list', '--json', '--store', url]));
  assert.equal(list.suppressions.length, 300);
  assert.equal(list.suppressions[0].detail, '550 5.1.1 no such user');
  const log = json(await runCli(['log', '--json', '--store', url]));
  assert.deepEqual(log.entries.map((e: { status: string }) => e.status), ['delivered', 'deferred']);
  assert.equal(log.entries[0].tls.protocol, 'TLSv1.3');
  const q = json(await runCli(['queue', 'list', '--json', '--store', url]));
  assert.deepEqual(q.messages.map((m: { queueId: string }) => m.queueId), ['lq1']);

  const again = await runCli(['store', 'copy', '--from', file, '--to', url, '--json']);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(json(again).skippedQueued, ['lq1']);
  assert.equal(json(await runCli(['suppression', 'list', '--json', '--store', url])).suppressions.length, 300, 'upserted, not doubled');
});

test('suppression import of 100,000 lines goes through COPY: every address in, bad lines reported', { skip }, async () => {
  const { url } = await database();
  const csv = join(dir, 'big.csv');
  const lines = ['address,reason,detail'];
  for (let i = 0; i < 100_000; i++) lines.push(`User${i}@Big.Example,${i % 2 ? 'hard-bounce' : ''},"550 5.1.1, line ${i}"`);
  lines.push('not an address');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const r = await runCli(['suppression', 'import', csv, '--reason', 'complaint', '--json', '--store', url], { timeoutMs: 300_000 });
  assert.equal(r.code, 1, r.stderr);
  const doc = json(r);
  assert.equal(doc.added, 100_000);
  assert.equal(doc.rejected.length, 1);
  assert.match(doc.rejected[0], /^line 100002: /);
  const counts = await sql<{ reason: string; n: number }>(url, 'SELECT reason, count(*)::int AS n FROM suppression GROUP BY reason ORDER BY reason');
  assert.deepEqual(counts, [
    { reason: 'complaint', n: 50_000 },
    { reason: 'hard-bounce', n: 50_000 },
  ]);
  const one = await sql<{ address: string; detail: string; source: string }>(url, `SELECT address, detail, source FROM suppression WHERE address = 'user77@big.example'`);
  assert.deepEqual(one, [{ address: 'user77@big.example', detail: '550 5.1.1, line 77', source: 'import' }]);
});

test('8 processes adding and removing suppressions at once end with the same list as the same steps run one after another', { skip, timeout: 300_000 }, async () => {
  // Chain k: import its own 60 addresses (and 10 shared with its neighbour, same reason: adding twice is
  // adding once), remove 20 of its own and 5 seeded ones, then add 3 by hand. Chains touch disjoint
  // addresses apart from the shared adds, so any interleaving has one right result: the serial one.
  const chain = (k: number): string[][] => {
    const csv = join(dir, `chain-${k}.csv`);
    const own = Array.from({ length: 60 }, (_, i) => `c${k}-${i}@example.com,${i % 3 ? 'hard-bounce' : 'complaint'}`);
    const shared = Array.from({ length: 10 }, (_, i) => `shared-${(k >> 1) * 10 + i}@example.com,unsubscribe`);
    writeFileSync(csv, [...own, ...shared].join('\n'));
    return [
      ['suppression', 'import', csv],
      ['suppression', 'remove', ...Array.from({ length: 20 }, (_, i) => `c${k}-${i * 3}@example.com`), ...Array.from({ length: 5 }, (_, i) => `seed-${k * 5 + i}@example.com`)],
      ['suppression', 'add', `manual-${k}-a@example.com`, `manual-${k}-b@example.com`, `c${k}-0@example.com`, '--reason', 'manual'],
    ];
  };
  const seed = Array.from({ length: 50 }, (_, i) => `seed-${i}@example.com`);
  const snapshot = async (url: string) => (await sql<{ a: string }>(url, `SELECT address || ' ' || reason AS a FROM suppression ORDER BY address`)).map((r) => r.a);

  const serial = await database();
  const parallel = await database();
  for (const db of [serial, parallel]) {
    const r = await runCli(['suppression', 'add', ...seed, '--reason', 'manual', '--store', db.url]);
    assert.equal(r.code, 0, r.stderr);
  }
  for (let k = 0; k < 8; k++) for (const step of chain(k)) assert.equal((await runCli([...step, '--store', serial.url])).code, 0);
  const results = await Promise.all(
    Array.from({ length: 8 }, async (_, k) => {
      for (const step of chain(k)) {
        const r = await runCli([...step, '--store', parallel.url], { timeoutMs: 120_000 });
        assert.equal(r.code, 0, `${step.slice(0, 2).join(' ')}: ${r.stderr}`);
      }
    }),
  );
  assert.equal(results.length, 8);
  const expected = await snapshot(serial.url);
  assert.equal(expected.length, 50 - 40 + 8 * (60 - 20 + 2 + 1) + 40);
  assert.deepEqual(await snapshot(parallel.url), expected);
});
