/** placement: the JSON document and the human report. */
import type { ChalkInstance } from 'chalk';
import type { ProviderSummary, SeedResult } from '../core/placement/placement.js';
import { jsonDocument } from './json.js';
import { csvRow } from './csv.js';

/** Which run this is: its id in the store, its number under --every (1 without), when it started and ended. */
export interface RunInfo {
  id: string;
  number: number;
  startedAt: string;
  finishedAt: string;
}

export function placementDocument(messageId: string, seeds: SeedResult[], summary: { providers: Record<string, ProviderSummary> }, run: RunInfo) {
  return jsonDocument('placement', { run, messageId, seeds, summary });
}

export type PlacementDocument = ReturnType<typeof placementDocument>;

const ms = (v: number | null) => (v === null ? '—' : v < 10_000 ? `${(v / 1000).toFixed(1)}s` : `${Math.round(v / 1000)}s`);
const pct = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)}%`);

function mark(c: ChalkInstance, r: SeedResult): string {
  if (r.placement === 'inbox') return c.green('✓');
  if (r.placement === 'spam' || r.placement === 'bounced') return c.red('✗');
  return c.yellow('!');
}

export function renderPlacement(c: ChalkInstance, doc: PlacementDocument): string {
  const lines: string[] = [`placement of ${doc.messageId}${doc.run.number > 1 ? ` (run ${doc.run.number}, ${doc.run.startedAt})` : ''}`];
  for (const r of doc.seeds) {
    const where = r.placement.startsWith('other:') ? `folder ${r.folder}` : r.placement === 'spam' ? `spam (${r.folder})` : r.placement;
    const time = r.timeToInboxMs !== null ? ` in ${ms(r.timeToInboxMs)} after acceptance` : '';
    lines.push(`${mark(c, r)} ${r.address} [${r.provider}]: ${where}${time}`);
    if (r.placement === 'bounced' && r.send.reply) lines.push(`    refused: ${[r.send.reply.code, r.send.reply.enhanced, r.send.reply.text.split('\n')[0]].filter((x) => x !== null && x !== '').join(' ')}`);
    else if (r.send.status !== 'delivered' && r.send.status !== 'not-sent') lines.push(`    send: ${r.send.status}${r.send.reply ? ` — ${r.send.reply.code ?? ''} ${r.send.reply.text.split('\n')[0]}` : ''}`);
    if (r.error) lines.push(`    ${c.yellow(r.error)}`);
    if (r.folder !== null) {
      const a = r.authentication;
      lines.push(`    auth (${r.authservId ?? 'no Authentication-Results'}): spf=${a.spf ?? '—'} dkim=${a.dkim ?? '—'} dmarc=${a.dmarc ?? '—'} arc=${a.arc ?? '—'}`);
      const spam = Object.entries(r.spamHeaders);
      if (spam.length > 0) lines.push(`    spam headers: ${spam.map(([k, v]) => `${k}: ${v.length > 60 ? `${v.slice(0, 57)}…` : v}`).join('; ')}`);
      if (r.hops.length > 0) lines.push(`    hops: ${r.hops.map((h) => `${h.by ?? '?'}${h.delayMs !== null ? ` (+${ms(h.delayMs)})` : ''}`).join(' → ')}`);
      lines.push(`    ${r.cleanedUp ? 'test copy deleted' : 'test copy kept'}`);
    }
  }
  lines.push('', 'by provider:');
  for (const [name, s] of Object.entries(doc.summary.providers)) {
    const rest = [s.other ? `${s.other} other folder` : '', s.missing ? `${s.missing} missing` : '', s.bounced ? `${s.bounced} bounced` : '', s.unknown ? `${s.unknown} unreadable` : ''].filter(Boolean).join(', ');
    lines.push(`  ${name}: inbox ${pct(s.inboxRate)}, spam ${pct(s.spamRate)} of ${s.seeds}${rest ? ` (${rest})` : ''}; time to inbox p50 ${ms(s.p50Ms)}, p95 ${ms(s.p95Ms)}`);
  }
  return `${lines.join('\n')}\n`;
}

export const PLACEMENT_CSV_HEADER = ['address', 'provider', 'placement', 'folder', 'timeToInboxMs', 'timeFromSendStartMs', 'acceptedAt', 'foundAt', 'spf', 'dkim', 'dmarc', 'arc', 'sendStatus', 'replyCode', 'replyText', 'watch', 'cleanedUp', 'error', 'runId', 'runNumber'];

/** One row per seed; the same names as the JSON fields (authentication and send flattened), then the
 * run's id and number so the rows of an --every series can be told apart. */
export function placementCsv(doc: PlacementDocument, header = true): string {
  const rows = doc.seeds.map((r) =>
    csvRow([r.address, r.provider, r.placement, r.folder, r.timeToInboxMs, r.timeFromSendStartMs, r.acceptedAt, r.foundAt, r.authentication.spf, r.authentication.dkim, r.authentication.dmarc, r.authentication.arc, r.send.status, r.send.reply?.code ?? null, r.send.reply?.text ?? null, r.watch, r.cleanedUp, r.error, doc.run.id, doc.run.number]),
  );
  return [...(header ? [csvRow(PLACEMENT_CSV_HEADER)] : []), ...rows].join('');
}
