/** store migrate | status | copy — the store's schema, what it holds, and moving it to another store. */
import { existsSync } from 'node:fs';
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { copyStore, type StoreCounts } from '../../core/store/admin.js';
import { parseStoreLocation, type StoreLocation } from '../../core/store/location.js';
import { defaultStorePath, type Store } from '../../core/store/store.js';
import { toJson, jsonDocument } from '../../render/json.js';

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const action = args[0];
  if (action === 'migrate') return migrate(ctx);
  if (action === 'status') return status(ctx);
  if (action === 'copy') return copy(ctx, opts);
  throw new UsageError(`unknown store action "${action}": use migrate, status or copy`);
}

/** The schema versions of an open store: the database's and this code's. */
interface Versions {
  database: number;
  code: number;
}

/** The concrete stores' extras (not part of the Store contract). */
interface Inspectable extends Store {
  counts(now: number): Promise<StoreCounts>;
  migrated?: { from: number; to: number; applied: number[] } | undefined;
}

async function versions(store: Store, where: StoreLocation): Promise<Versions | undefined> {
  if (where.kind === 'postgres') {
    const { PostgresStore } = await import('../../core/store/postgres-store.js');
    return { database: await (store as import('../../core/store/postgres-store.js').PostgresStore).schemaVersion(), code: PostgresStore.codeVersion };
  }
  if (where.kind === 'sqlite') {
    const { MIGRATIONS, SqliteStore } = await import('../../core/store/sqlite-store.js');
    return { database: (store as InstanceType<typeof SqliteStore>).schemaVersion, code: MIGRATIONS.length };
  }
  return undefined;
}

function locationOf(ctx: CliContext): StoreLocation {
  return parseStoreLocation(ctx.opts.store ?? defaultStorePath(ctx.io.env), '--store');
}

async function migrate(ctx: CliContext): Promise<number> {
  const where = locationOf(ctx);
  const store = (await ctx.store()) as Inspectable;
  try {
    const v = await versions(store, where);
    const m = store.migrated ?? { from: v?.database ?? 0, to: v?.database ?? 0, applied: [] };
    if (ctx.json) ctx.out(toJson(jsonDocument('store migrate', { store: where.display, kind: where.kind, from: m.from, to: m.to, applied: m.applied })));
    else if (where.kind === 'memory') ctx.out(':memory: has no schema to migrate');
    else if (m.applied.length === 0) ctx.out(`${where.display}: schema ${m.to}, up to date`);
    else ctx.out(`${where.display}: schema ${m.from} → ${m.to} (applied ${m.applied.join(', ')})`);
    return 0;
  } finally {
    await store.close();
  }
}

async function status(ctx: CliContext): Promise<number> {
  const where = locationOf(ctx);
  const doc = (exists: boolean, schema: (Versions & { pending: number; newer: boolean }) | null, counts: StoreCounts | null) =>
    jsonDocument('store status', { store: where.display, kind: where.kind, exists, schema, counts });
  if (where.kind === 'sqlite' && !existsSync(where.path)) {
    // Looking must not create the file.
    const { MIGRATIONS } = await import('../../core/store/sqlite-store.js');
    const schema = { database: 0, code: MIGRATIONS.length, pending: MIGRATIONS.length, newer: false };
    if (ctx.json) ctx.out(toJson(doc(false, schema, null)));
    else ctx.out(`${where.display}: does not exist yet (the first command that keeps state creates it at schema ${MIGRATIONS.length})`);
    return 0;
  }
  const store = (await ctx.openStore(ctx.opts.store ?? defaultStorePath(ctx.io.env), '--store', { migrate: false })) as Inspectable;
  try {
    const v = await versions(store, where);
    const schema = v ? { ...v, pending: Math.max(0, v.code - v.database), newer: v.database > v.code } : null;
    // Counting needs the current tables: only when the schema is the code's.
    const counts = !v || v.database === v.code ? await store.counts(Date.now()).catch(() => null) : null;
    if (ctx.json) ctx.out(toJson(doc(true, schema, counts)));
    else {
      const c = ctx.color;
      ctx.out(`${c.bold(where.display)} (${where.kind})`);
      if (schema) {
        const state = schema.newer
          ? c.red(`newer than this mailpace-cli (${schema.code}): upgrade it`)
          : schema.pending > 0
            ? c.yellow(`${schema.pending} migration(s) pending: run \`mailpace-cli store migrate\``)
            : c.green('up to date');
        ctx.out(`  schema        ${schema.database} — ${state}`);
      }
      if (counts) {
        const rcpts = Object.entries(counts.recipients).map(([s, n]) => `${n} ${s}`).join(', ') || 'none';
        ctx.out(`  suppressions  ${counts.suppressions}`);
        ctx.out(`  queue         ${counts.queuedMessages} message(s), ${counts.leasedMessages} claimed by a worker now; recipients: ${rcpts}`);
        ctx.out(`  delivery log  ${counts.deliveries} row(s)`);
      }
    }
    return schema && (schema.pending > 0 || schema.newer) ? 1 : 0;
  } finally {
    await store.close();
  }
}

async function copy(ctx: CliContext, opts: Record<string, any>): Promise<number> {
  if (opts.from === undefined || opts.to === undefined) throw new UsageError('give both --from and --to, e.g. --from sqlite://~/.local/state/mailpace-cli/store.sqlite --to postgres://user@host/db');
  const from = parseStoreLocation(String(opts.from), '--from');
  const to = parseStoreLocation(String(opts.to), '--to');
  if (from.kind === 'memory' || to.kind === 'memory') throw new UsageError(':memory: holds nothing to copy from or to: give a file or a postgres:// URL');
  if (from.kind === 'sqlite' && !existsSync(from.path)) throw new UsageError(`--from ${from.display}: no such file`);
  if ((from.kind === 'sqlite' && to.kind === 'sqlite' && from.path === to.path) || (from.kind === 'postgres' && to.kind === 'postgres' && from.url === to.url)) {
    throw new UsageError('--from and --to are the same store');
  }
  const source = await ctx.openStore(String(opts.from), '--from');
  try {
    const target = await ctx.openStore(String(opts.to), '--to');
    try {
      const r = await copyStore(source, target);
      if (ctx.json) ctx.out(toJson(jsonDocument('store copy', { from: from.display, to: to.display, suppressions: r.suppressions, queued: r.queued, skippedQueued: r.skippedQueued, deliveries: r.deliveries, placementRuns: r.placementRuns })));
      else {
        ctx.out(`copied ${from.display} → ${to.display}: ${r.suppressions} suppression(s), ${r.queued} queued message(s), ${r.deliveries} delivery-log row(s), ${r.placementRuns} placement run(s)`);
        if (r.skippedQueued.length > 0) ctx.notice(`mailpace-cli: ${r.skippedQueued.length} queued message(s) already in ${to.display} were left as they are: ${r.skippedQueued.slice(0, 10).join(', ')}${r.skippedQueued.length > 10 ? ' …' : ''}`);
      }
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
