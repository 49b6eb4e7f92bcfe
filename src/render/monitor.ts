/** Human rendering of a monitor report: totals, per group rates and delays, replies, blocklists, findings. */
import type { ChalkInstance } from 'chalk';
import type { GroupReport, MonitorReport } from '../core/monitor/monitor.js';
import type { PlacementStats, PlacementTrend } from '../core/monitor/placement-trend.js';
import { renderFinding } from './findings.js';

function pct(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
}
function dur(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
const n = (x: number) => x.toLocaleString('en-US');

function groupLines(c: ChalkInstance, g: GroupReport, indent: string): string[] {
  const t = g.totals;
  const out: string[] = [];
  const r = g.rates;
  out.push(
    `${indent}${c.bold(g.key)}  delivered ${n(t.delivered)}  deferred ${n(t.deferred)}  bounced ${n(t.bounced)}  expired ${n(t.expired)}${t.rejected ? `  rejected ${n(t.rejected)}` : ''}${t.received ? `  received ${n(t.received)}` : ''}${t.complaints ? `  complaints ${n(t.complaints)}` : ''}`,
  );
  out.push(
    `${indent}  deferral ${pct(r.deferral.value)} ${c.dim(`(${pct(r.deferral.low)}–${pct(r.deferral.high)})`)}  bounce ${pct(r.bounce.value)} ${c.dim(`(${pct(r.bounce.low)}–${pct(r.bounce.high)})`)}${g.delay ? `  time to delivery p50 ${dur(g.delay.p50Ms)} p95 ${dur(g.delay.p95Ms)} p99 ${dur(g.delay.p99Ms)}` : ''}`,
  );
  for (const rep of g.topReplies.slice(0, 3)) out.push(`${indent}  ${c.dim(`${String(rep.count).padStart(6)} ${rep.kind.padEnd(8)}`)} ${rep.text.slice(0, 110)} ${c.dim(`[${String(rep.classification.reason)}]`)}`);
  for (const b of g.blocklists) out.push(`${indent}  ${c.red('blocklist')} ${b.list} lists ${b.ip} (${b.count})`);
  return out;
}

export function renderMonitor(c: ChalkInstance, r: MonitorReport): string {
  const lines: string[] = [];
  const t = r.totals;
  lines.push(c.bold(`Mail log ${r.window.from ?? '?'} → ${r.window.to ?? '?'}`));
  for (const s of r.sources) {
    lines.push(c.dim(`  ${s.file} (${s.format}${s.yearFrom ? `, year from ${s.yearFrom === 'flag' ? '--year' : s.yearFrom}` : ''}): ${n(s.lines)} lines, ${n(s.parsed)} used, ${n(s.ignored)} without delivery meaning, ${n(s.skipped)} unparseable`));
    for (const x of s.skippedExamples) lines.push(c.dim(`    line ${x.line}: ${x.text.slice(0, 120)}`));
  }
  lines.push('');
  lines.push(
    `  received ${n(t.received)}  delivered ${n(t.delivered)}  deferred ${n(t.deferred)} ${c.dim(`(${n(t.deferredMessages)} messages)`)}  bounced ${n(t.bounced)}  rejected ${n(t.rejected)}  expired ${n(t.expired)}${t.complaints ? `  complaints ${n(t.complaints)}` : ''}`,
  );
  if (r.groups.length > 0) {
    lines.push('', c.bold(`By ${r.by}`));
    for (const g of r.groups.slice(0, 15)) lines.push(...groupLines(c, g, '  '));
    if (r.groups.length > 15) lines.push(c.dim(`  … ${r.groups.length - 15} more (--json for all)`));
  }
  if (r.by !== 'provider' && r.providers.length > 0) {
    lines.push('', c.bold('Time to delivery by provider'));
    for (const p of r.providers) if (p.delay) lines.push(`  ${p.key.padEnd(10)} p50 ${dur(p.delay.p50Ms)}  p95 ${dur(p.delay.p95Ms)}  p99 ${dur(p.delay.p99Ms)}  ${c.dim(`(${n(p.delay.count)} deliveries)`)}`);
  }
  if (r.by !== 'sender-domain' && r.senderDomains.length > 1) {
    lines.push('', c.bold('Volume by sender domain'));
    for (const s of r.senderDomains.slice(0, 10)) {
      lines.push(`  ${s.domain.padEnd(30)} received ${n(s.totals.received)}  delivered ${n(s.totals.delivered)}  bounced ${n(s.totals.bounced)}${s.totals.rejected ? `  rejected ${n(s.totals.rejected)}` : ''}`);
    }
  }
  if (r.spamScores) lines.push('', `  spam scores (Rspamd): ${r.spamScores.count} messages, mean ${r.spamScores.mean}, p95 ${r.spamScores.p95}, max ${r.spamScores.max}`);
  if (r.placement) lines.push('', ...placementLines(c, r.placement));
  lines.push('');
  if (r.findings.length === 0) lines.push(c.green('  ✓ no anomalies'));
  else {
    lines.push(c.bold(`Findings (${r.summary.errors} errors, ${r.summary.warnings} warnings, ${r.summary.infos} info)`));
    for (const f of r.findings) lines.push(renderFinding(c, f, '  '));
  }
  return lines.join('\n');
}


function placementStatsText(s: PlacementStats): string {
  if (s.runs === 0) return 'no runs';
  const rate = s.inboxRate === null ? '—' : `${Math.round(s.inboxRate * 100)}%`;
  const rest = [s.spam ? `${s.spam} spam` : '', s.missing ? `${s.missing} missing` : '', s.bounced ? `${s.bounced} bounced` : '', s.other ? `${s.other} other` : '', s.unknown ? `${s.unknown} unreadable` : ''].filter(Boolean).join(', ');
  return `inbox ${rate} (${s.inbox}/${s.seeds}${rest ? `; ${rest}` : ''}), time to inbox p50 ${s.p50Ms === null ? '—' : dur(s.p50Ms)} p95 ${s.p95Ms === null ? '—' : dur(s.p95Ms)}, ${s.runs} run(s)`;
}

/** Placement runs from the store: per provider, the window against the baseline, then the latest runs. */
function placementLines(c: ChalkInstance, p: PlacementTrend): string[] {
  const out = [c.bold(`Placement runs: ${p.window.runs} in the window (${p.window.from ?? '?'} → ${p.window.to ?? '?'}), ${p.baseline.runs} before it`)];
  for (const t of p.providers) {
    out.push(`  ${c.bold(t.provider)}`);
    out.push(`    window    ${placementStatsText(t.window)}`);
    out.push(`    baseline  ${placementStatsText(t.baseline)}`);
    const recent = t.runs.slice(-5);
    out.push(c.dim(`    latest runs: ${recent.map((x) => `${x.startedAt.slice(5, 16).replace('T', ' ')} ${x.inboxRate === null ? '—' : `${Math.round(x.inboxRate * 100)}%`}${x.p50Ms === null ? '' : ` ${dur(x.p50Ms)}`}`).join(' · ')}`));
  }
  return out;
}
