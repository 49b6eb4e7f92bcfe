/**
 * Anomaly detectors: every hour of the window is held against a baseline built only from the hours
 * before it (up to --baseline back, as far as the input reaches).
 *
 * - Baseline: with at least MIN_SAME_HOUR samples of the same hour of the week, their median and
 *   MAD (robust to the odd bad hour; seasonal, so Monday 09:00 is compared with Mondays 09:00);
 *   otherwise an EWMA of the preceding hours (α = 0.1, about the last day) with its weighted σ.
 *   Fewer than MIN_HISTORY_HOURS of history: no baseline, only the fixed thresholds.
 * - Volume: an hour is a spike when it is ≥ 3× the expected count, ≥ 4σ (5 MADs) above it, at
 *   least MIN_VOLUME messages, and (EWMA) at least twice the busiest hour of the past day — a
 *   daily peak is not a spike.
 * - Rates (deferral = deferred ÷ attempts, bounce = bounced ÷ final outcomes) need MIN_RATE_N in
 *   the hour, and fire only when the Wilson 95% lower bound clears the baseline by 4σ, doubles it
 *   and adds 5 points: a noisy small hour cannot trip it.
 * - Fixed thresholds, over the whole window: bounce ≥ 5% warning, ≥ 10% error (Amazon SES
 *   "Bounce rate … under review at 5%, … at risk at 10%",
 *   https://docs.aws.amazon.com/ses/latest/dg/reputationdashboard-messages.html); complaints
 *   ≥ 0.1% warning, ≥ 0.3% error (Gmail sender guidelines, https://support.google.com/a/answer/81126:
 *   "keep spam rates … below 0.1% and never reach 0.3%"); p95 delivery time past an hour.
 * Consecutive hours that fire for the same group merge into one finding: since when, until when, peak.
 */
import type { Finding, Severity } from '../types.js';
import { Ewma, mad, median, percentile, wilson } from './stats.js';
import { DAY_MS, HOUR_MS, hourOf, type Aggregate, type Counts, type Series } from './metrics.js';

export const DETECTOR_LIMITS = {
  MIN_HISTORY_HOURS: 24,
  MIN_SAME_HOUR: 3,
  MIN_VOLUME: 50,
  MIN_RATE_N: 20,
  MIN_DELAY_N: 20,
  NEW_CLUSTER_MIN: 10,
  EWMA_ALPHA: 0.1,
  BOUNCE_WARN: 0.05,
  BOUNCE_ERROR: 0.1,
  BOUNCE_MIN_FINALS: 100,
  COMPLAINT_WARN: 0.001,
  COMPLAINT_ERROR: 0.003,
  COMPLAINT_MIN_DELIVERED: 500,
  DELAY_FIXED_MS: HOUR_MS,
} as const;
const L = DETECTOR_LIMITS;
const WEEK_MS = 7 * DAY_MS;

export interface DetectOptions {
  windowFrom: number;
  windowTo: number;
  baselineMs: number;
  /** The earliest time the input (and store) reaches: history never starts before it. */
  historyStart: number;
}

interface Baseline {
  model: 'hour-of-week' | 'ewma';
  centre: number;
  spread: number;
  samples: number;
  /** Largest sample of the last 24 hours (EWMA only). */
  dayMax: number;
}

/**
 * One metric of one series, hour by hour from the start of the history to the last window hour,
 * each hour computed once, up front: every window hour's baseline reads up to a week of the hours
 * before it, for every series and metric, straight from these arrays.
 */
class HourValues {
  /** The hour's value; `has` tells whether there is one (rates need volume, delays enough samples). */
  readonly values: Float64Array;
  readonly has: Uint8Array;

  constructor(
    series: Series,
    readonly start: number,
    end: number,
    value: (c: Counts | undefined, h: number) => number | undefined,
  ) {
    const n = Number.isFinite(start) && end >= start ? Math.floor((end - start) / HOUR_MS) + 1 : 0;
    this.values = new Float64Array(n);
    this.has = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const h = start + i * HOUR_MS;
      const v = value(series.hours.get(h), h);
      if (v !== undefined) {
        this.values[i] = v;
        this.has[i] = 1;
      }
    }
  }

  /** The value of hour `h` (one of the hours from start to end). */
  at(h: number): number | undefined {
    const i = (h - this.start) / HOUR_MS;
    return this.has[i] === 1 ? this.values[i]! : undefined;
  }
}

/** Baseline for hour H from the hours before it; hours without a value (rates without volume) are left out. */
function baselineAt(hv: HourValues, H: number, opts: DetectOptions): Baseline | undefined {
  const from = Math.max(hourOf(opts.historyStart), H - opts.baselineMs);
  if (H - from < L.MIN_HISTORY_HOURS * HOUR_MS) return undefined;
  const { values, has } = hv;
  const first = (from - hv.start) / HOUR_MS;
  const last = (H - hv.start) / HOUR_MS; // exclusive
  const sameHour: number[] = [];
  const ewma = new Ewma(L.EWMA_ALPHA);
  let dayMax = 0;
  // The same hour of the week, one, two … weeks back, oldest first.
  const weekHours = WEEK_MS / HOUR_MS;
  for (let i = last - Math.floor((last - first) / weekHours) * weekHours; i < last; i += weekHours) if (has[i] === 1) sameHour.push(values[i]!);
  for (let i = first; i < last; i++) if (has[i] === 1) ewma.push(values[i]!);
  for (let i = Math.max(first, last - DAY_MS / HOUR_MS); i < last; i++) if (has[i] === 1 && values[i]! > dayMax) dayMax = values[i]!;
  if (sameHour.length >= L.MIN_SAME_HOUR) {
    const m = median(sameHour);
    return { model: 'hour-of-week', centre: m, spread: mad(sameHour, m), samples: sameHour.length, dayMax };
  }
  if (ewma.count < 6) return undefined;
  return { model: 'ewma', centre: ewma.mean, spread: ewma.sd, samples: ewma.count, dayMax };
}

interface Hit {
  code: Finding['code'];
  key: string;
  hour: number;
  value: number;
  baseline: number;
  model: string;
  detail: Record<string, unknown>;
}

const attempts = (c: Counts) => c.delivered + c.deferred + c.bounced + c.expired;
const finals = (c: Counts) => c.delivered + c.bounced + c.expired;

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;
}
function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z');
}
function mins(ms: number): string {
  return ms >= HOUR_MS ? `${(ms / HOUR_MS).toFixed(1)} h` : ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}
function label(key: string): string {
  const i = key.indexOf(':');
  return i < 0 ? key : `${key.slice(0, i)} ${key.slice(i + 1)}`;
}

export function windowHours(opts: DetectOptions): number[] {
  const out: number[] = [];
  for (let h = hourOf(opts.windowFrom); h <= opts.windowTo; h += HOUR_MS) out.push(h);
  return out;
}

export function detect(agg: Aggregate, opts: DetectOptions): Finding[] {
  const hits: Hit[] = [];
  const hours = windowHours(opts);
  for (const [key, series] of agg.series) {
    const isSender = key.startsWith('sender:');
    const isAll = key === 'all';
    const isRateSeries = key.startsWith('provider:') || key.startsWith('by:') || (isSender && agg.opts.by === 'sender-domain');
    let useReceived = false;
    for (const c of series.hours.values()) if (c.received > 0) useReceived = true;
    const volume = (c: Counts | undefined) => (c === undefined ? 0 : useReceived ? c.received : attempts(c));
    const start = hourOf(opts.historyStart);
    const end = hours.length > 0 ? hours[hours.length - 1]! : start;
    const volumes = new HourValues(series, start, end, (cc) => volume(cc));
    const rates = {
      DEFERRAL_RATE_HIGH: new HourValues(series, start, end, (cc) => (cc === undefined || attempts(cc) < 10 ? undefined : cc.deferred / attempts(cc))),
      BOUNCE_RATE_HIGH: new HourValues(series, start, end, (cc) => (cc === undefined || finals(cc) < 10 ? undefined : cc.bounced / finals(cc))),
    };
    const delays = series.delays
      ? new HourValues(series, start, end, (_cc, h) => {
          const dd = series.delays!.get(h);
          return dd && dd.length >= 5 ? percentile(dd, 0.95) : undefined;
        })
      : undefined;

    for (const H of hours) {
      const c = series.hours.get(H);
      if ((isSender || isAll) && c) {
        const x = volume(c);
        if (x >= L.MIN_VOLUME) {
          const b = baselineAt(volumes, H, opts);
          if (b) {
            const spread = Math.max(b.spread, Math.sqrt(Math.max(b.centre, 0)), 1);
            const k = b.model === 'hour-of-week' ? 5 : 4;
            if (x > 3 * Math.max(b.centre, 1) && x - b.centre > k * spread && (b.model === 'hour-of-week' || x > 2 * b.dayMax)) {
              hits.push({ code: 'VOLUME_SPIKE', key, hour: H, value: x, baseline: b.centre, model: b.model, detail: { unit: useReceived ? 'received' : 'attempts' } });
            }
          }
        }
      }
      if (!isRateSeries || !c) continue;
      for (const [code, num, den] of [
        ['DEFERRAL_RATE_HIGH', (cc: Counts) => cc.deferred, attempts],
        ['BOUNCE_RATE_HIGH', (cc: Counts) => cc.bounced, finals],
      ] as const) {
        const n = den(c);
        if (n < L.MIN_RATE_N) continue;
        const w = wilson(num(c), n);
        const b = baselineAt(rates[code], H, opts);
        const threshold = b ? Math.max(b.centre + 4 * b.spread, 2 * b.centre, b.centre + 0.05) : code === 'DEFERRAL_RATE_HIGH' ? 0.3 : Infinity;
        if (w.low > threshold) {
          hits.push({ code, key, hour: H, value: w.value, baseline: b?.centre ?? 0, model: b?.model ?? 'fixed', detail: { n, low: w.low, high: w.high, count: num(c) } });
        }
      }
      if (series.delays && delays) {
        const d = series.delays.get(H);
        if (d && d.length >= L.MIN_DELAY_N) {
          const p95 = delays.at(H)!; // the hour's own p95 (it has at least MIN_DELAY_N delays), computed once with the baselines'
          const b = baselineAt(delays, H, opts);
          const threshold = b ? Math.max(3 * b.centre, b.centre + 10 * 60_000, b.centre + 4 * b.spread) : L.DELAY_FIXED_MS;
          const fire = b ? p95 > threshold || (p95 > L.DELAY_FIXED_MS && p95 > 1.5 * b.centre) : p95 > L.DELAY_FIXED_MS;
          if (fire) {
            hits.push({ code: 'DELAY_HIGH', key, hour: H, value: p95, baseline: b?.centre ?? 0, model: b?.model ?? 'fixed', detail: { n: d.length } });
          }
        }
      }
    }
  }

  // New reply clusters: a deferral/bounce text in volume that the baseline never saw.
  for (const cl of agg.clusters.values()) {
    if (cl.kind === 'rejected' || cl.classification.blocklist !== undefined) continue;
    for (const H of hours) {
      const n = cl.hourly.get(H) ?? 0;
      if (n < L.NEW_CLUSTER_MIN) continue;
      const from = Math.max(hourOf(opts.historyStart), H - opts.baselineMs);
      if (H - from < L.MIN_HISTORY_HOURS * HOUR_MS) break;
      if (cl.firstAt < H) break;
      hits.push({ code: 'NEW_REPLY_CLUSTER', key: `reply:${cl.kind}|${cl.text}`, hour: H, value: n, baseline: 0, model: 'new', detail: { text: cl.text, kind: cl.kind, reason: cl.classification.reason, providers: [...cl.providers] } });
      break;
    }
  }

  const findings = mergeHits(hits, agg);

  // Fixed thresholds over the window: bounces (SES), complaints (Gmail), per provider and overall.
  const groups: [string, Counts][] = [['all', agg.totals], ...[...agg.providers.values()].map((g) => [`provider:${g.key}`, g.counts] as [string, Counts])];
  for (const [key, c] of groups) {
    const f = finals(c);
    if (f >= L.BOUNCE_MIN_FINALS) {
      const w = wilson(c.bounced, f);
      if (w.value >= L.BOUNCE_WARN) {
        findings.push({
          code: 'BOUNCE_RATE_HIGH',
          severity: w.value >= L.BOUNCE_ERROR ? 'error' : 'warning',
          check: 'monitor',
          message: `${key === 'all' ? 'overall' : label(key)}: ${pct(w.value)} of ${f} final outcomes bounced in the window (95% CI ${pct(w.low)}–${pct(w.high)}), at or above the ${pct(w.value >= L.BOUNCE_ERROR ? L.BOUNCE_ERROR : L.BOUNCE_WARN)} providers act on (Amazon SES reviews accounts at 5%)`,
          fix: 'Stop sending to addresses that bounced (mailpace-cli suppression import), validate list sources, and look at the top bounce replies below.',
          evidence: { group: key, rate: w, bounced: c.bounced, finals: f, threshold: w.value >= L.BOUNCE_ERROR ? L.BOUNCE_ERROR : L.BOUNCE_WARN },
        });
      }
    }
    if (c.delivered >= L.COMPLAINT_MIN_DELIVERED && c.complaints > 0) {
      const w = wilson(c.complaints, c.delivered);
      if (w.value >= L.COMPLAINT_WARN) {
        findings.push({
          code: 'COMPLAINT_RATE_HIGH',
          severity: w.value >= L.COMPLAINT_ERROR ? 'error' : 'warning',
          check: 'monitor',
          message: `${key === 'all' ? 'overall' : label(key)}: ${c.complaints} complaints for ${c.delivered} delivered (${pct(w.value)}, 95% CI ${pct(w.low)}–${pct(w.high)}); Gmail wants below 0.1% and never 0.3%`,
          fix: 'Send only to people who asked for it, make unsubscribing one click (RFC 8058), and suppress every complainer (mailpace-cli bounce parse --apply on the feedback-loop mailbox).',
          evidence: { group: key, rate: w, complaints: c.complaints, delivered: c.delivered },
        });
      }
    }
  }

  // Blocklist replies: always worth saying, with the list, the IP and the command that checks it.
  for (const hit of [...agg.blocklists.values()].sort((a, b) => b.count - a.count)) {
    const target = hit.ip === 'unknown' ? 'your sending IP' : hit.ip;
    findings.push({
      code: 'BLOCKLIST_REPLY',
      severity: 'error',
      check: 'monitor',
      message: `${hit.list} lists ${target}: ${hit.count} ${hit.count === 1 ? 'reply' : 'replies'}${hit.providers.size ? ` from ${[...hit.providers].join(', ')}` : ''} since ${iso(hit.firstAt)} (last ${iso(hit.lastAt)}): "${hit.example}"`,
      fix: hit.ip === 'unknown' ? 'Find the IP the receiver saw and run `mailpace-cli blocklist scan <ip>`; request removal once the cause is fixed.' : `run \`mailpace-cli blocklist scan ${hit.ip}\` to see every listing and its removal page; fix the cause (compromised account, open relay, list hygiene) before requesting removal.`,
      evidence: { list: hit.list, ip: hit.ip, count: hit.count, since: new Date(hit.firstAt).toISOString(), last: new Date(hit.lastAt).toISOString(), reply: hit.example },
    });
  }
  return findings;
}

function topReplyFor(agg: Aggregate, key: string, hour: number, kind: 'deferred' | 'bounced'): string | undefined {
  const provider = key.startsWith('provider:') ? key.slice(9) : undefined;
  let best: { text: string; n: number } | undefined;
  for (const cl of agg.clusters.values()) {
    if (cl.kind !== kind) continue;
    if (provider !== undefined && !cl.providers.has(provider)) continue;
    const n = cl.hourly.get(hour) ?? 0;
    if (n > 0 && (!best || n > best.n)) best = { text: cl.text, n };
  }
  return best?.text;
}

function mergeHits(hits: Hit[], agg: Aggregate): Finding[] {
  hits.sort((a, b) => a.code.localeCompare(b.code) || a.key.localeCompare(b.key) || a.hour - b.hour);
  const out: Finding[] = [];
  for (let i = 0; i < hits.length; ) {
    let j = i + 1;
    while (j < hits.length && hits[j]!.code === hits[i]!.code && hits[j]!.key === hits[i]!.key && hits[j]!.hour - hits[j - 1]!.hour <= HOUR_MS) j++;
    out.push(describe(hits.slice(i, j), agg));
    i = j;
  }
  return out;
}

function describe(run: Hit[], agg: Aggregate): Finding {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const peak = run.reduce((a, b) => (b.value > a.value ? b : a));
  const since = iso(first.hour);
  const span = run.length === 1 ? `in the hour from ${since}` : `for ${run.length} hours from ${since} to ${iso(last.hour + HOUR_MS)}`;
  const who = label(first.key);
  const model = first.model === 'hour-of-week' ? 'median of the same hour in earlier weeks' : first.model === 'ewma' ? 'moving average of the preceding hours' : 'fixed threshold';
  const evidence = { group: first.key, since: new Date(first.hour).toISOString(), until: new Date(last.hour + HOUR_MS).toISOString(), hours: run.length, peak: peak.value, baseline: peak.baseline, model: first.model, ...peak.detail };
  let severity: Severity = 'warning';
  let message: string;
  let fix: string;
  switch (first.code) {
    case 'VOLUME_SPIKE': {
      const times = peak.baseline > 0 ? `${(peak.value / peak.baseline).toFixed(1)}×` : 'far above';
      message = `${who}: ${peak.value} messages ${run.length === 1 ? span : `in its busiest hour (${iso(peak.hour)}), high ${span}`}, ${times} the baseline of ${peak.baseline.toFixed(1)}/h (${model})`;
      fix = first.key.startsWith('sender:')
        ? `Check what is sending as ${first.key.slice(7)} (a compromised account, a runaway job, an unannounced campaign); pause it if it is not expected, and warm up new volume gradually (mailpace-cli warmup plan).`
        : 'Find which sender domain grew (run again with --by sender-domain); a sudden jump hurts reputation at Gmail, Microsoft and Yahoo.';
      break;
    }
    case 'DEFERRAL_RATE_HIGH':
    case 'BOUNCE_RATE_HIGH': {
      const what = first.code === 'DEFERRAL_RATE_HIGH' ? 'deferred' : 'bounced';
      const d = peak.detail as { n: number; low: number; high: number; count: number };
      const top = topReplyFor(agg, first.key, peak.hour, what === 'deferred' ? 'deferred' : 'bounced');
      message = `${who}: ${pct(peak.value)} ${what} (${d.count} of ${d.n}, 95% CI ${pct(d.low)}–${pct(d.high)}) ${run.length === 1 ? span : `at the peak ${iso(peak.hour)}, high ${span}`}; baseline ${pct(peak.baseline)} (${model})${top ? `; top reply: "${top}"` : ''}`;
      fix = what === 'deferred'
        ? 'Slow down to this receiver (fewer connections and messages per connection), check its postmaster dashboard (Gmail Postmaster Tools, Microsoft SNDS, Yahoo Sender Hub) and what the top reply asks for.'
        : 'Look at what changed in the list or the content sent in that hour; suppress the bounced addresses and check authentication (mailpace-cli check-domain).';
      if (first.code === 'BOUNCE_RATE_HIGH' && peak.value >= L.BOUNCE_ERROR) severity = 'error';
      break;
    }
    case 'DELAY_HIGH':
      message = `${who}: p95 time to delivery ${mins(peak.value)} ${run.length === 1 ? span : `at the peak ${iso(peak.hour)}, high ${span}`}; baseline ${peak.baseline > 0 ? mins(peak.baseline) : 'none (fixed limit 1 h)'} (${model})`;
      fix = 'Mail is waiting in the queue: look for deferrals to this provider (throttling, greylisting) and at the queue (postqueue -p / mailpace-cli queue list).';
      break;
    case 'NEW_REPLY_CLUSTER': {
      const d = first.detail as { text: string; kind: string; reason: string; providers: string[] };
      message = `a new ${d.kind === 'deferred' ? 'deferral' : d.kind === 'bounced' ? 'bounce' : d.kind} reply appeared ${span}: ${first.value} times in its first hour${d.providers.length ? ` from ${d.providers.join(', ')}` : ''}, never seen in the baseline: "${d.text}" (${d.reason})`;
      fix = 'Read what the receiver says: a new policy, a block or a configuration change on your side (DNS, TLS, authentication).';
      break;
    }
    default:
      message = `${who}: ${first.code}`;
      fix = '';
  }
  return { code: first.code, severity, check: 'monitor', message, fix, evidence };
}
