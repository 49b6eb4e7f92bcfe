/** blocklist lists: the catalogue — which zones `blocklist scan` knows, which it asks by default, and what their codes mean. */
import type { CliContext } from '../context.js';
import { BLOCKLISTS, findBlocklist, type BlocklistDef, type CodeMeaning } from '../../core/blocklist/catalogue.js';
import { selectLists } from '../../core/blocklist/selection.js';
import { UsageError } from '../../core/errors.js';
import { jsonDocument, toJson } from '../../render/json.js';

interface CodeRow {
  /** An exact return code ("127.0.0.2") or a bit of a bitmask list ("bit 8"). */
  code: string;
  kind: CodeMeaning['kind'];
  meaning: string;
  refusal?: true;
}

function codeRows(def: BlocklistDef): CodeRow[] {
  const row = (code: string, m: CodeMeaning): CodeRow => ({ code, kind: m.kind, meaning: m.meaning, ...(m.refusal ? { refusal: true as const } : {}) });
  const rows = Object.entries(def.codes).map(([code, m]) => row(code, m));
  for (const [bit, m] of Object.entries(def.bits ?? {})) rows.push(row(`bit ${bit}`, m));
  for (const prefix of def.errorPrefixes ?? []) rows.push({ code: `${prefix}*`, kind: 'error', meaning: 'reserved for query errors' });
  return rows;
}

function listJson(def: BlocklistDef) {
  return {
    id: def.id,
    name: def.name,
    zone: def.zone,
    kind: def.kind,
    ipv6: def.ipv6,
    defaultOn: def.defaultOn,
    dqsZone: def.dqsZone ?? null,
    dqsOnly: !!def.dqsOnly,
    removalUrl: def.removalUrl,
    usage: def.usage,
    source: def.source,
    codes: codeRows(def),
  };
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  let lists: readonly BlocklistDef[] = BLOCKLISTS;
  if (args.length > 0) {
    const found = args.map((a) => ({ name: a, def: findBlocklist(a) }));
    const unknown = found.filter((f) => !f.def).map((f) => f.name.trim());
    if (unknown.length > 0) {
      throw new UsageError(`not in the catalogue: ${unknown.join(', ')}`, { hint: 'run `mailpace-cli blocklist lists` for every id and zone; any other zone can still be scanned as a custom list with --zone' });
    }
    // catalogue order, each list once
    const picked = new Set(found.map((f) => f.def));
    lists = lists.filter((l) => picked.has(l));
  }
  if (opts.default) {
    // exactly what a scan asks without --zone (and without a DQS key)
    const defaults = new Set(selectLists({}).map((l) => l.def));
    lists = lists.filter((l) => defaults.has(l));
  }

  if (ctx.json) {
    ctx.out(toJson(jsonDocument('blocklist lists', { lists: lists.map(listJson) })));
    return 0;
  }
  const c = ctx.color;
  const out: string[] = [];
  const idW = Math.max(...lists.map((l) => l.id.length));
  const zoneW = Math.max(...lists.map((l) => l.zone.length));
  for (const l of lists) {
    const asked = l.dqsOnly ? (l.defaultOn ? c.green('default with --spamhaus-key') : c.dim('opt-in, --spamhaus-key only')) : l.defaultOn ? c.green('default') : c.dim('opt-in (--zone)');
    const flags = [l.kind === 'ip' ? (l.ipv6 ? 'IPv4+IPv6' : 'IPv4') : 'domains', asked, !l.dqsOnly && l.dqsZone ? 'DQS zone with --spamhaus-key' : ''];
    out.push(`${c.bold(l.id.padEnd(idW))}  ${l.zone.padEnd(zoneW)}  ${l.name} — ${flags.filter(Boolean).join(', ')}`);
    if (args.length > 0) {
      // one list asked for by name: everything the catalogue says about it
      for (const r of codeRows(l)) {
        const kind = r.kind === 'listed' ? c.red('listed ') : r.kind === 'error' ? c.yellow(r.refusal ? 'refused' : 'error  ') : c.blue('info   ');
        out.push(`    ${r.code.padEnd(16)} ${kind}  ${r.meaning}`);
      }
      out.push(`    usage:   ${l.usage}`, `    removal: ${l.removalUrl}`, `    source:  ${l.source}`);
    }
  }
  if (args.length === 0) out.push('', c.dim('Give an id or zone (e.g. `mailpace-cli blocklist lists spamhaus-zen`) for its return codes, usage terms and removal page.'));
  ctx.out(out.join('\n'));
  return 0;
}
