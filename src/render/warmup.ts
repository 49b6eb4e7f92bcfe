/** Renderers for `warmup plan` and `warmup simulate`: human tables, CSV, the JSON documents and a text chart. */
import type { ChalkInstance } from 'chalk';
import { csvRow } from './csv.js';
import { jsonDocument } from './json.js';
import { PROVIDER_NAMES, type ProviderName } from '../core/warmup/providers.js';
import type { WarmupPlan } from '../core/warmup/plan.js';
import type { SimulationResult } from '../core/warmup/simulate.js';
import type { ListMix } from '../core/warmup/providers.js';

const fmt = (n: number): string => n.toLocaleString('en-US');
const pct = (x: number): string => `${Math.round(x * 1000) / 10}%`;

function planProviders(plan: WarmupPlan): ProviderName[] {
  return PROVIDER_NAMES.filter((p) => plan.mix[p] !== undefined);
}

export function planDocument(plan: WarmupPlan, list?: ListMix) {
  return jsonDocument('warmup plan', {
    curve: plan.curve,
    target: plan.target,
    hours: plan.hours,
    growth: plan.growth,
    days: plan.days,
    mix: plan.mix,
    ...(list ? { list: { recipients: list.recipients, domains: list.domains, counts: list.counts, unresolved: list.unresolved, failed: list.failed } } : {}),
    sources: plan.sources,
  });
}

export function planCsv(plan: WarmupPlan): string {
  const ps = planProviders(plan);
  let out = csvRow(['day', 'total', 'hourlyCap', ...ps.flatMap((p) => [p, `${p}HourlyCap`])]);
  for (const d of plan.days) out += csvRow([d.day, d.total, d.hourlyCap, ...ps.flatMap((p) => [d.providers[p]?.volume ?? 0, d.providers[p]?.hourlyCap ?? 0])]);
  return out;
}

function table(rows: string[][], rightAlign: (col: number) => boolean): string[] {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (rightAlign(i) ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd());
}

export function planHuman(plan: WarmupPlan, color: ChalkInstance, list?: ListMix): string {
  const ps = planProviders(plan);
  const h = plan.hours.to - plan.hours.from;
  const lines: string[] = [];
  lines.push(
    `${color.bold('Warm-up plan')}: ${plan.curve} curve to ${fmt(plan.target)}/day in ${plan.days.length} sending day${plan.days.length === 1 ? '' : 's'}, sending ${String(plan.hours.from).padStart(2, '0')}:00–${String(plan.hours.to).padStart(2, '0')}:00 (${h} h), largest daily step ×${plan.growth}`,
  );
  lines.push(`Mix: ${ps.map((p) => `${p} ${pct(plan.mix[p]!)}`).join(', ')}`);
  if (list) {
    lines.push(`  from ${fmt(list.recipients)} recipients at ${fmt(list.domains)} domains${list.unresolved.length ? `; ${list.unresolved.length} domain(s) with no mail host counted as other` : ''}${list.failed.length ? `; ${list.failed.length} domain(s) whose MX lookup failed counted as other` : ''}`);
  }
  lines.push('');
  const rows = [['day', 'total', 'per hour', ...ps.map((p) => `${p} (/h)`)]];
  for (const d of plan.days) rows.push([String(d.day), fmt(d.total), fmt(d.hourlyCap), ...ps.map((p) => (d.providers[p] ? `${fmt(d.providers[p]!.volume)} (${fmt(d.providers[p]!.hourlyCap)})` : '0'))]);
  const t = table(rows, (i) => i > 0);
  lines.push(color.bold(t[0]!), ...t.slice(1));
  lines.push('', color.dim('Sources:'), ...plan.sources.map((s) => color.dim(`  ${s}`)));
  return `${lines.join('\n')}\n`;
}

export function simulationDocument(r: SimulationResult) {
  return jsonDocument('warmup simulate', {
    curve: r.flat ? 'flat' : r.plan.curve,
    target: r.plan.target,
    days: r.days,
    verdict: r.verdict,
    model: r.model,
    seed: r.seed,
    unit: r.unit,
  });
}

const SIM_COLUMNS = ['day', 'stage', 'planned', 'offered', 'accepted', 'deferred', 'rateLimited', 'bounced', 'complaints', 'expired', 'backlog', 'p50DelayMs', 'p95DelayMs', 'outcome'] as const;

export function simulationCsv(r: SimulationResult): string {
  let out = csvRow([...SIM_COLUMNS, 'flags']);
  for (const d of r.days) out += csvRow([...SIM_COLUMNS.map((c) => d[c]), d.flags.map((f) => f.code).join(' ')]);
  return out;
}

function duration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${Math.round((ms / 3_600_000) * 10) / 10}h`;
}

/** `inkChart`: the terminal chart (warmup-chart.tsx) to show instead of the plain text one. */
export function simulationHuman(r: SimulationResult, color: ChalkInstance, opts: { chart?: boolean; inkChart?: string } = {}): string {
  const lines: string[] = [];
  const what = r.flat ? `flat ${fmt(r.plan.target)}/day for ${r.plan.days.length} days` : `${r.plan.curve} plan to ${fmt(r.plan.target)}/day (${r.plan.days.length} stages)`;
  lines.push(`${color.bold('Warm-up simulation')}: ${what}, seed ${r.seed}${r.unit > 1 ? `, ${fmt(r.unit)} messages per simulated recipient` : ''}`);
  lines.push('');
  const rows = [['day', 'stage', 'planned', 'offered', 'accepted', 'deferred', 'rate-ltd', 'bounced', 'complaints', 'backlog', 'p50', 'p95', 'outcome', 'flags']];
  for (const d of r.days) {
    rows.push([String(d.day), String(d.stage), fmt(d.planned), fmt(d.offered), fmt(d.accepted), fmt(d.deferred), fmt(d.rateLimited), fmt(d.bounced), fmt(d.complaints), fmt(d.backlog), duration(d.p50DelayMs), duration(d.p95DelayMs), d.outcome, d.flags.map((f) => f.code.replace(/^WARMUP_/, '')).join(' ')]);
  }
  const t = table(rows, (i) => i > 0 && i < 12);
  lines.push(color.bold(t[0]!), ...t.slice(1).map((l, i) => (r.days[i]!.flags.some((f) => f.severity === 'error') ? color.red(l) : r.days[i]!.flags.length ? color.yellow(l) : l)));
  if (opts.chart) lines.push('', ...(opts.inkChart !== undefined ? opts.inkChart.split('\n') : simulationChart(r)));
  lines.push('');
  const seen = new Set<string>();
  for (const d of r.days) {
    for (const f of d.flags) {
      if (seen.has(f.code)) continue;
      seen.add(f.code);
      lines.push(`${f.severity === 'error' ? color.red('error') : color.yellow('warning')} day ${d.day}: ${f.message}`);
    }
  }
  const v = r.verdict;
  lines.push(
    v.ok
      ? color.green(`Verdict: green — every day delivered on plan.`)
      : `${color.red('Verdict:')} first bad day ${v.firstBadDay}${v.suggestedGrowth !== null ? `; a geometric plan growing ×${v.suggestedGrowth} a day stays green` : ''}.`,
  );
  return `${lines.join('\n')}\n`;
}

/** A small text chart: planned (░) and accepted (█) per day, scaled to the largest day. */
export function simulationChart(r: SimulationResult, width = 40): string[] {
  const max = Math.max(1, ...r.days.map((d) => Math.max(d.planned, d.offered)));
  const lines = [`planned ░ vs accepted █ per day (full width = ${fmt(max)})`];
  for (const d of r.days) {
    const a = Math.round((d.accepted / max) * width);
    const p = Math.max(a, Math.round((d.planned / max) * width));
    const rate = d.offered > 0 ? d.deferred / d.offered : 0;
    lines.push(`${String(d.day).padStart(3)} ${'█'.repeat(a)}${'░'.repeat(p - a)}${' '.repeat(width - p)} ${rate > 0 ? `deferred ${pct(rate)}` : ''}`.trimEnd());
  }
  return lines;
}
