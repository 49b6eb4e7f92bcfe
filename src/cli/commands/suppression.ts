/** suppression list | add | remove | import | export — the suppression list in the store. */
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { SUPPRESSION_REASONS, type Suppression, type SuppressionReason } from '../../core/store/store.js';
import { toJson, jsonDocument } from '../../render/json.js';
import { csvRow } from '../../render/csv.js';
import { parseAddress, readInputFile } from '../flags.js';

/** Addresses per write of `suppression import`. */
const IMPORT_BATCH = 20_000;

function reasonOf(value: string | undefined, fallback: SuppressionReason): SuppressionReason {
  if (value === undefined || value === '') return fallback;
  if (!(value in SUPPRESSION_REASONS)) throw new UsageError(`reason "${value}" must be one of: ${Object.keys(SUPPRESSION_REASONS).join(', ')}`);
  return value as SuppressionReason;
}

/** RFC 4180 fields of one line (quotes, doubled quotes); enough for address,reason,detail files. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const [action, ...rest] = args;
  const store = await ctx.store();
  const now = Date.now();
  try {
    switch (action) {
      case 'list': {
        const reason = opts.reason !== undefined ? reasonOf(String(opts.reason), 'manual') : undefined;
        const list = await store.listSuppressions(reason ? { reason } : {});
        if (ctx.json) ctx.out(toJson(jsonDocument('suppression list', { suppressions: list.map(doc) })));
        else if (list.length === 0) ctx.out('the suppression list is empty');
        else for (const s of list) ctx.out(`${s.address.padEnd(34)} ${s.reason.padEnd(12)} ${ctx.color.dim(new Date(s.createdAt).toISOString())}${s.detail ? `  ${s.detail}` : ''}`);
        return 0;
      }
      case 'add': {
        if (rest.length === 0) throw new UsageError('give the address(es) to suppress');
        const reason = reasonOf(opts.reason, 'manual');
        const addrs = rest.map((a) => parseAddress(a, 'address'));
        await store.addSuppressions(addrs.map((a) => ({ address: a, reason, source: 'cli', createdAt: now, ...(opts.detail ? { detail: String(opts.detail) } : {}) })));
        if (ctx.json) ctx.out(toJson(jsonDocument('suppression add', { added: addrs.map((a) => a.toLowerCase()), reason })));
        else ctx.out(`${addrs.length} address(es) suppressed (${reason})`);
        return 0;
      }
      case 'remove': {
        if (rest.length === 0) throw new UsageError('give the address(es) to remove from the suppression list');
        const removed: string[] = [];
        const missing: string[] = [];
        for (const a of rest) ((await store.removeSuppression(a)) ? removed : missing).push(a.toLowerCase());
        if (ctx.json) ctx.out(toJson(jsonDocument('suppression remove', { removed, missing })));
        else {
          ctx.out(`${removed.length} address(es) removed`);
          for (const m of missing) ctx.notice(`mailpace-cli: ${m} was not on the suppression list`);
        }
        return missing.length > 0 ? 1 : 0;
      }
      case 'import': {
        const file = rest[0];
        if (!file) throw new UsageError('give a CSV file (address[,reason[,detail]] per line; "-" for stdin)');
        const text = file === '-' ? await ctx.readStdin('a CSV of addresses', 'give a file') : readInputFile(file, 'import file').toString('utf8');
        const fallback = reasonOf(opts.reason, 'manual');
        let added = 0;
        const bad: string[] = [];
        // Written in batches: one transaction each (SQLite), one COPY each (PostgreSQL).
        let batch: Suppression[] = [];
        const flush = async () => {
          await store.addSuppressions(batch);
          added += batch.length;
          batch = [];
        };
        const lines = text.split(/\r?\n/);
        for (let i = 0; i < lines.length; i++) {
          const line = lines[i]!.trim();
          if (line === '' || line.startsWith('#')) continue;
          const [address = '', reason, detail] = csvFields(line);
          if (i === 0 && address.toLowerCase() === 'address') continue; // a header row
          try {
            const a = parseAddress(address, 'address');
            batch.push({ address: a, reason: reasonOf(reason, fallback), source: 'import', createdAt: now, ...(detail ? { detail } : {}) });
          } catch (e) {
            bad.push(`line ${i + 1}: ${(e as Error).message}`);
          }
          if (batch.length >= IMPORT_BATCH) await flush();
        }
        await flush();
        if (ctx.json) ctx.out(toJson(jsonDocument('suppression import', { added, rejected: bad })));
        else {
          ctx.out(`${added} address(es) imported`);
          for (const b of bad.slice(0, 20)) ctx.notice(`mailpace-cli: skipped ${b}`);
          if (bad.length > 20) ctx.notice(`mailpace-cli: … and ${bad.length - 20} more lines skipped`);
        }
        return bad.length > 0 ? 1 : 0;
      }
      case 'export': {
        const list = await store.listSuppressions();
        const format = ctx.json ? 'json' : String(opts.format ?? 'csv');
        if (format === 'json') ctx.out(toJson(jsonDocument('suppression export', { suppressions: list.map(doc) })));
        else if (format === 'csv') {
          ctx.io.stdout.write(csvRow(['address', 'reason', 'detail', 'source', 'created_at']));
          for (const s of list) ctx.io.stdout.write(csvRow([s.address, s.reason, s.detail ?? '', s.source ?? '', new Date(s.createdAt).toISOString()]));
        } else throw new UsageError(`--format "${format}" must be csv or json`);
        return 0;
      }
      default:
        throw new UsageError(`unknown suppression action "${action}": use list, add, remove, import or export`);
    }
  } finally {
    await store.close();
  }
}

function doc(s: Suppression) {
  return { address: s.address, reason: s.reason, detail: s.detail ?? null, source: s.source ?? null, createdAt: new Date(s.createdAt).toISOString() };
}
