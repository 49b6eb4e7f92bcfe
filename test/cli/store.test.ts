/**
 * `store migrate|status|copy` and `--store` locations through the built CLI, on SQLite files and
 * bad input; what needs a PostgreSQL server is in test/e2e/store-cli-postgres.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mailpace-store-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback port with nothing listening (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

test('store status on a file that does not exist says so and does not create it; migrate creates it', async () => {
  const path = join(dir, 'new', 'store.sqlite');
  const s = await runCli(['store', 'status', '--store', path, '--json']);
  assert.equal(s.code, 0, s.stderr);
  const doc = JSON.parse(s.stdout);
  assert.equal(doc.command, 'store status');
  assert.equal(doc.exists, false);
  assert.equal(doc.schema.database, 0);
  assert.ok(doc.schema.pending > 0);
  assert.equal(existsSync(path), false, 'looking does not create the file');

  const m = await runCli(['store', 'migrate', '--store', `sqlite://${path}`, '--json']);
  assert.equal(m.code, 0, m.stderr);
  const mig = JSON.parse(m.stdout);
  assert.deepEqual([mig.command, mig.kind, mig.from, mig.to === doc.schema.code], ['store migrate', 'sqlite', 0, true]);
  assert.equal(mig.applied.length, doc.schema.code);
  const again = await runCli(['store', 'migrate', '--store', path]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /up to date/);

  await runCli(['suppression', 'add', 'bob@example.com', '--store', path]);
  const st = JSON.parse((await runCli(['store', 'status', '--store', path, '--json'])).stdout);
  assert.equal(st.exists, true);
  assert.equal(st.schema.pending, 0);
  assert.equal(st.counts.suppressions, 1);
  assert.equal(st.counts.queuedMessages, 0);
});

test('store status of an SQLite file with pending migrations exits 1 and changes nothing', async () => {
  const path = join(dir, 'old.sqlite');
  const raw = new Database(path);
  raw.pragma('user_version = 1');
  raw.exec('CREATE TABLE suppression (address TEXT PRIMARY KEY, reason TEXT NOT NULL, detail TEXT, created_at INTEGER NOT NULL)');
  raw.close();
  const r = await runCli(['store', 'status', '--store', path]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /migration\(s\) pending: run `mailpace-cli store migrate`/);
  const check = new Database(path);
  assert.equal(check.pragma('user_version', { simple: true }), 1);
  check.close();
});

test('store copy between two SQLite files: suppressions, queue and log; a second copy skips queued ids', async () => {
  const a = join(dir, 'a.sqlite');
  const b = join(dir, 'b.sqlite');
  assert.equal((await runCli(['suppression', 'add', 'x@example.com', 'y@example.com', '--reason', 'complaint', '--store', a])).code, 0);
  const c1 = await runCli(['store', 'copy', '--from', a, '--to', `sqlite://${b}`, '--json']);
  assert.equal(c1.code, 0, c1.stderr);
  const doc = JSON.parse(c1.stdout);
  assert.deepEqual([doc.command, doc.suppressions, doc.queued, doc.deliveries, doc.placementRuns], ['store copy', 2, 0, 0, 0]);
  const list = JSON.parse((await runCli(['suppression', 'list', '--json', '--store', b])).stdout);
  assert.deepEqual(list.suppressions.map((s: { address: string; reason: string }) => `${s.address} ${s.reason}`), ['x@example.com complaint', 'y@example.com complaint']);
});

test('bad --store and store copy input: one line, exit 2, nothing opened', async () => {
  const cases: [string[], RegExp][] = [
    [['store', 'status', '--store', 'postgres://'], /names no host/],
    [['store', 'status', '--store', 'postgres://u:pw@127.0.0.1/'], /names no database/],
    [['store', 'status', '--store', 'postgres://u:pw@127.0.0.1:70000/db'], /is not a valid URL/],
    [['queue', 'list', '--store', 'mysql://u:pw@127.0.0.1/db'], /unknown scheme mysql:\/\//],
    [['store', 'copy', '--from', join(dir, 'none.sqlite'), '--to', join(dir, 'x.sqlite')], /--from .*none\.sqlite: no such file/],
    [['store', 'copy', '--to', join(dir, 'x.sqlite')], /give both --from and --to/],
    [['store', 'copy', '--from', join(dir, 'a.sqlite'), '--to', `sqlite://${join(dir, 'a.sqlite')}`], /the same store/],
    [['store', 'copy', '--from', ':memory:', '--to', join(dir, 'x.sqlite')], /:memory: holds nothing/],
    [['queue', 'run', '--workers', '0', '--store', ':memory:'], /--workers/],
    [['queue', 'run', '--lease', 'soon', '--store', ':memory:'], /--lease/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('  hint:')).length, 1, `one line: ${r.stderr}`);
    assert.ok(!r.stderr.includes(':pw@'), `the password is masked: ${r.stderr}`);
  }
});

test('a PostgreSQL store nobody listens on: one line naming it with the password masked, exit 3', async () => {
  const port = await closedPort();
  const r = await runCli(['suppression', 'list', '--store', `postgres://mailer:s3cret@127.0.0.1:${port}/mailpace`]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`^mailpace-cli: cannot reach store postgres://mailer:\\*\\*\\*@127\\.0\\.0\\.1:${port}/mailpace: connect ECONNREFUSED`));
  assert.ok(!r.stderr.includes('s3cret'));
  // MAILPACE_STORE is the same as --store
  const e = await runCli(['store', 'status', '--json'], { env: { MAILPACE_STORE: `postgresql://mailer:s3cret@127.0.0.1:${port}/mailpace` } });
  assert.equal(e.code, 3);
  assert.equal(e.stdout, '');
  assert.ok(!e.stderr.includes('s3cret'));
});

test('store --help has examples; --help loads neither pg nor the store modules', async () => {
  for (const sub of ['migrate', 'status', 'copy']) {
    const h = await runCli(['store', sub, '--help']);
    assert.equal(h.code, 0);
    assert.match(h.stdout, new RegExp(`\\$ mailpace-cli store ${sub}`));
    assert.match(h.stdout, /Exit codes:/);
  }
  const trace = join(dir, 'modules.txt');
  const r = await runCli(['--help'], { env: { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /store/);
  const loaded = readFileSync(trace, 'utf8');
  for (const m of ['node_modules/pg/', 'node_modules/pg-copy-streams/', 'node_modules/better-sqlite3/', 'core/store/postgres-store']) assert.ok(!loaded.includes(m), `${m} loaded by --help`);
});
