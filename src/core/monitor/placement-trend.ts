/**
 * Placement trends from the runs `placement` keeps in the store: per provider and per run, the
 * inbox rate and time to inbox (p50/p95); the window's runs held against the runs before them.
 *
 * The window is --since/--until when given, else the latest RECENT_RUNS runs (a seed test runs every
 * few minutes to hours, so "the last hour" may hold no run at all). The baseline is the runs before
 * the window, as far back as --baseline reaches. A provider is flagged when
 * - its inbox rate fell by at least INBOX_DROP_MIN (absolute) and the two Wilson 95% intervals no
 *   longer overlap (one seed missing once among three is noise; every seed in spam for three runs is not);
 * - its median time to inbox grew to at least GROWTH_FACTOR times the baseline median, past the
 *   baseline p95, and by at least GROWTH_MIN_MS (seconds-scale jitter at the big providers is normal).
 * Pure: the caller reads the runs.
 */
import type { PlacementRun } from '../store/store.js';
import type { Finding } from '../types.js';
import { percentileSorted, wilson } from './stats.js';

export const RECENT_RUNS = 3;
export const MIN_BASELINE_RUNS = 3;
export const INBOX_DROP_MIN = 0.2;
export const GROWTH_FACTOR = 2;
export const GROWTH_MIN_MS = 30_000;
const MIN_BASELINE_TIMES = 3;

export interface PlacementStats {
  runs: number;
  seeds: number;
  inbox: number;
  spam: number;
  other: number;
  missing: number;
  bounced: number;
  unknown: number;
  /** inbox / seeds whose placement is known (not "unknown"); null when none is. */
  inboxRate: number | null;
  /** Nearest-rank percentiles of time to inbox over the copies found in the inbox. */
  p50Ms: number | null;
  p95Ms: number | null;
}

export interface ProviderTrend {
  provider: string;
  window: PlacementStats;
  baseline: PlacementStats;
  /** Every run (window and baseline) with a seed at this provider, oldest first. */
  runs: ({ id: string; startedAt: string } & PlacementStats)[];
}

export interface PlacementTrend {
  window: { from: string | null; to: string | null; runs: number };
  baseline: { from: string | null; runs: number };
  providers: ProviderTrend[];
}

/** The fields of a seed's outcome the statistics read (a stored record or a fresh result). */
type SeedOutcome = Pick<PlacementRun['seeds'][number], 'placement'> & { timeToInboxMs?: number | null };

export function placementStats(seeds: readonly SeedOutcome[], runs: number): PlacementStats {
  const s: PlacementStats = { runs, seeds: 0, inbox: 0, spam: 0, other: 0, missing: 0, bounced: 0, unknown: 0, inboxRate: null, p50Ms: null, p95Ms: null };
  const times: number[] = [];
  for (const x of seeds) {
    s.seeds++;
    if (x.placement.startsWith('other:')) s.other++;
    else if (x.placement === 'inbox' || x.placement === 'spam' || x.placement === 'missing' || x.placement === 'bounced') s[x.placement]++;
    else s.unknown++;
    if (x.placement === 'inbox' && typeof x.timeToInboxMs === 'number') times.push(x.timeToInboxMs);
  }
  const known = s.seeds - s.unknown;
  s.inboxRate = known > 0 ? s.inbox / known : null;
  const sorted = Float64Array.from(times).sort();
  s.p50Ms = percentileSorted(sorted, 0.5) ?? null;
  s.p95Ms = percentileSorted(sorted, 0.95) ?? null;
  return s;
}

/** Splits runs (oldest first) into window and baseline. */
export function splitRuns(runs: readonly PlacementRun[], o: { since?: number; until?: number; baselineMs: number }): { window: PlacementRun[]; baseline: PlacementRun[] } {
  const upTo = runs.filter((r) => o.until === undefined || r.startedAt <= o.until);
  const window = o.since !== undefined ? upTo.filter((r) => r.startedAt >= o.since!) : upTo.slice(-RECENT_RUNS);
  const start = o.since ?? window[0]?.startedAt;
  if (start === undefined) return { window, baseline: [] };
  const baseline = upTo.filter((r) => r.startedAt < start && r.startedAt >= start - o.baselineMs);
  return { window, baseline };
}

export function placementTrend(runs: readonly PlacementRun[], o: { since?: number; until?: number; baselineMs: number }): { trend: PlacementTrend; findings: Finding[] } | null {
  const { window, baseline } = splitRuns(runs, o);
  if (window.length === 0 && baseline.length === 0) return null;
  const providers = new Set<string>();
  for (const r of [...baseline, ...window]) for (const s of r.seeds) providers.add(s.provider);
  const of = (list: readonly PlacementRun[], p: string) => {
    const withP = list.filter((r) => r.seeds.some((s) => s.provider === p));
    return placementStats(withP.flatMap((r) => r.seeds.filter((s) => s.provider === p)), withP.length);
  };
  const trends: ProviderTrend[] = [...providers].sort().map((p) => ({
    provider: p,
    window: of(window, p),
    baseline: of(baseline, p),
    runs: [...baseline, ...window]
      .filter((r) => r.seeds.some((s) => s.provider === p))
      .map((r) => ({ id: r.id, startedAt: new Date(r.startedAt).toISOString(), ...placementStats(r.seeds.filter((s) => s.provider === p), 1) })),
  }));
  const from = o.since ?? window[0]?.startedAt;
  const to = o.until ?? window[window.length - 1]?.startedAt;
  const trend: PlacementTrend = {
    window: { from: from === undefined ? null : new Date(from).toISOString(), to: to === undefined ? null : new Date(to).toISOString(), runs: window.length },
    baseline: { from: baseline[0] ? new Date(baseline[0].startedAt).toISOString() : null, runs: baseline.length },
    providers: trends,
  };
  return { trend, findings: trends.flatMap(detectProvider) };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;
const secs = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

function detectProvider(t: ProviderTrend): Finding[] {
  const out: Finding[] = [];
  const w = t.window;
  const b = t.baseline;
  if (b.runs >= MIN_BASELINE_RUNS && w.inboxRate !== null && b.inboxRate !== null && b.inboxRate - w.inboxRate >= INBOX_DROP_MIN) {
    const wi = wilson(w.inbox, w.seeds - w.unknown);
    const bi = wilson(b.inbox, b.seeds - b.unknown);
    if (wi.high < bi.low) {
      const where = [w.spam ? `${w.spam} in spam` : '', w.missing ? `${w.missing} missing` : '', w.bounced ? `${w.bounced} bounced` : '', w.other ? `${w.other} in another folder` : ''].filter(Boolean).join(', ');
      out.push({
        code: 'PLACEMENT_INBOX_RATE_DROP',
        severity: 'warning',
        check: 'monitor',
        message: `${t.provider}: inbox rate ${pct(w.inboxRate)} over the last ${w.runs} placement run(s) (${w.inbox} of ${w.seeds - w.unknown} seeds${where ? `; ${where}` : ''}), down from ${pct(b.inboxRate)} over ${b.runs} run(s) before`,
        fix: `Look at what ${t.provider} saw: run \`mailpace-cli placement\` by hand and read the copies' Authentication-Results and spam headers; check the sending IP (\`mailpace-cli blocklist scan\`) and the domain (\`mailpace-cli check-domain\`).`,
        evidence: { provider: t.provider, inboxRate: w.inboxRate, baselineInboxRate: b.inboxRate, windowRuns: w.runs, baselineRuns: b.runs, interval: { low: round(wi.low), high: round(wi.high) }, baselineInterval: { low: round(bi.low), high: round(bi.high) } },
      });
    }
  }
  const bTimes = b.inbox; // copies found in the inbox carry the times
  if (bTimes >= MIN_BASELINE_TIMES && w.p50Ms !== null && b.p50Ms !== null && b.p95Ms !== null) {
    if (w.p50Ms >= GROWTH_FACTOR * b.p50Ms && w.p50Ms > b.p95Ms && w.p50Ms - b.p50Ms >= GROWTH_MIN_MS) {
      out.push({
        code: 'PLACEMENT_TIME_TO_INBOX_GROWTH',
        severity: 'warning',
        check: 'monitor',
        message: `${t.provider}: time to inbox p50 ${secs(w.p50Ms)} over the last ${w.runs} placement run(s), up from ${secs(b.p50Ms)} (p95 ${secs(b.p95Ms)}) over ${b.runs} run(s) before`,
        fix: `The receiver holds the mail longer before filing it (throttling or extra filtering); compare the copies' Received hops (\`mailpace-cli placement --json\`, seeds[].hops) and the deferrals in \`mailpace-cli monitor\`.`,
        evidence: { provider: t.provider, p50Ms: w.p50Ms, p95Ms: w.p95Ms, baselineP50Ms: b.p50Ms, baselineP95Ms: b.p95Ms, windowRuns: w.runs, baselineRuns: b.runs },
      });
    }
  }
  return out;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
