/**
 * The warm-up plan: a pure function of the curve, the target and the mix. Days are sending days
 * (day 3 is the third day mail is sent, however many calendar days lie between). Each day has a
 * total, an hourly cap (the total spread over the sending hours) and the same per provider, split
 * by the largest-remainder method so that the providers always add up to the total exactly.
 */
import { UsageError } from '../errors.js';
import { CURVE_NAMES as CURVE_LIST, CURVES, DEFAULT_GROWTH, DEFAULT_START, MAX_PLAN_DAYS, SES_DAYS, type CurveName } from './curves.js';
import { PROVIDER_NAMES, PROVIDERS, type ProviderName } from './providers.js';

/** Recipient share per provider (0..1, adding up to 1). */
export type Mix = Partial<Record<ProviderName, number>>;

export interface SendingHours {
  /** First sending hour (0–23). */
  from: number;
  /** End hour, exclusive (1–24). */
  to: number;
}

export interface PlanInput {
  curve: CurveName;
  /** Daily volume to reach. */
  target: number;
  start?: number;
  days?: number;
  growth?: number;
  mix: Mix;
  hours: SendingHours;
  /** Extra source lines (the recipient list the mix came from). */
  sources?: string[];
}

export interface PlanProviderDay {
  volume: number;
  hourlyCap: number;
}

export interface PlanDay {
  day: number;
  total: number;
  hourlyCap: number;
  providers: Partial<Record<ProviderName, PlanProviderDay>>;
}

export interface WarmupPlan {
  curve: CurveName;
  target: number;
  hours: SendingHours;
  /** The largest day-over-day growth factor of the totals. */
  growth: number;
  days: PlanDay[];
  mix: Mix;
  sources: string[];
}

export const EXAMPLE_MIX: Mix = { gmail: 0.4, microsoft: 0.25, yahoo: 0.15, other: 0.2 };

export function sendingHours(h: SendingHours): number {
  return h.to - h.from;
}

/** The curve's daily volumes until the first one that reaches the target, which is clamped to it. */
export function curveVolumes(input: Pick<PlanInput, 'curve' | 'target' | 'start' | 'days' | 'growth' | 'hours'>): number[] {
  const { curve, target } = input;
  if (!(target >= 1)) throw new UsageError('--target must be at least 1');
  const info = CURVES[curve];
  if (curve !== 'geometric' && curve !== 'ses' && (input.start !== undefined || input.growth !== undefined || input.days !== undefined)) {
    throw new UsageError(`--start, --growth and --days shape the ses and geometric curves; the ${curve} curve is a published table`);
  }
  const out: number[] = [];
  const push = (v: number): boolean => {
    const n = Math.max(1, Math.round(v));
    if (n >= target) {
      out.push(target);
      return true;
    }
    out.push(Math.max(n, out[out.length - 1] ?? 0));
    if (out.length >= MAX_PLAN_DAYS) throw new UsageError(`the plan would take more than ${MAX_PLAN_DAYS} days to reach ${target}/day; raise --growth or --start`);
    return false;
  };
  if (curve === 'ses') {
    const days = input.days ?? SES_DAYS;
    if (input.growth !== undefined) throw new UsageError('--growth does not apply to the ses curve (it reaches the target in --days, default 45)');
    const start = input.start ?? DEFAULT_START;
    if (days < 1 || target <= start || days === 1) return [target];
    // a time-based ramp: the same factor every day, so that day `days` is the target
    for (let d = 1; d <= days; d++) if (push(d === days ? target : start * (target / start) ** ((d - 1) / (days - 1)))) break;
    return out;
  }
  if (curve === 'geometric') {
    const start = input.start ?? DEFAULT_START;
    if (input.days !== undefined && input.growth !== undefined) throw new UsageError('give --days or --growth, not both (--days computes the growth that reaches the target on that day)');
    if (target <= start) return [target];
    let growth = input.growth ?? DEFAULT_GROWTH;
    if (input.days !== undefined) {
      if (input.days < 2) return [target];
      growth = (target / start) ** (1 / (input.days - 1));
      for (let d = 1; d <= input.days; d++) if (push(d === input.days ? target : start * growth ** (d - 1))) break;
      return out;
    }
    if (!(growth > 1)) throw new UsageError(`--growth ${growth} must be more than 1`);
    for (let d = 1; ; d++) if (push(start * growth ** (d - 1))) break;
    return out;
  }
  const perStep = info.hourly ? sendingHours(input.hours) : 1;
  for (const s of info.steps) if (push(s * perStep)) return out;
  let v = info.steps[info.steps.length - 1]! * perStep;
  for (;;) {
    v *= info.continueFactor!;
    if (push(v)) return out;
  }
}

/** Splits `total` by `mix` so the parts add up to `total` exactly (largest remainder; ties in table order). */
export function splitByMix(total: number, mix: Mix): Partial<Record<ProviderName, number>> {
  const names = PROVIDER_NAMES.filter((p) => (mix[p] ?? 0) > 0);
  const parts = largestRemainder(names.map((p) => mix[p]!), total);
  const out: Partial<Record<ProviderName, number>> = {};
  names.forEach((p, i) => (out[p] = parts[i]!));
  return out;
}

/**
 * `total` in whole parts proportional to `weights`: every part rounded down, then the largest
 * remainders get one more (ties: the earlier part). All zeros when there is nothing to split.
 */
export function largestRemainder(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0) || !(total > 0)) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = weights.map((_, i) => i).sort((a, b) => exact[b]! - parts[b]! - (exact[a]! - parts[a]!) || a - b);
  for (const i of order) {
    if (left <= 0) break;
    parts[i]! += 1;
    left--;
  }
  return parts;
}

/** `total` over `n` slots (hours) as evenly as whole numbers allow; the first slots take the remainder. */
export function spreadEvenly(total: number, n: number): number[] {
  const base = Math.floor(total / n);
  const rest = total - base * n;
  return Array.from({ length: n }, (_, i) => base + (i < rest ? 1 : 0));
}

/** Normalises shares to add up to 1 (rounded to 6 decimals for a stable document). */
export function normalizeMix(mix: Mix): Mix {
  const sum = PROVIDER_NAMES.reduce((a, p) => a + (mix[p] ?? 0), 0);
  if (!(sum > 0)) throw new UsageError('the mix has no provider with a share above 0');
  const out: Mix = {};
  for (const p of PROVIDER_NAMES) if ((mix[p] ?? 0) > 0) out[p] = Math.round((mix[p]! / sum) * 1e6) / 1e6;
  return out;
}

export function buildPlan(input: PlanInput): WarmupPlan {
  const h = sendingHours(input.hours);
  if (!(input.hours.from >= 0 && input.hours.to <= 24 && h >= 1)) throw new UsageError(`sending hours ${input.hours.from}-${input.hours.to} must lie within 0-24`);
  const mix = normalizeMix(input.mix);
  const volumes = curveVolumes(input);
  const days: PlanDay[] = volumes.map((total, i) => {
    const split = splitByMix(total, mix);
    const providers: PlanDay['providers'] = {};
    for (const p of PROVIDER_NAMES) if (split[p] !== undefined) providers[p] = { volume: split[p]!, hourlyCap: Math.ceil(split[p]! / h) };
    return { day: i + 1, total, hourlyCap: Math.ceil(total / h), providers };
  });
  let growth = 1;
  for (let i = 1; i < volumes.length; i++) growth = Math.max(growth, volumes[i]! / volumes[i - 1]!);
  const info = CURVES[input.curve];
  const sources = [`${input.curve}: ${info.description} (${info.source})`, ...(input.sources ?? [])];
  for (const p of PROVIDER_NAMES) if (mix[p] !== undefined && p !== 'other') sources.push(`${p}: ${PROVIDERS[p].source}`);
  return { curve: input.curve, target: input.target, hours: { ...input.hours }, growth: Math.ceil(growth * 1000 - 1e-9) / 1000, days, mix, sources };
}

/** A plan read back from `warmup plan --out` (or --format json); malformed documents are usage errors. */
export function parsePlanDocument(json: unknown, where: string): WarmupPlan {
  const bad = (why: string): never => {
    throw new UsageError(`${where} is not a warm-up plan: ${why} (make one with: mailpace-cli warmup plan … --out plan.json)`);
  };
  if (typeof json !== 'object' || json === null) bad('not a JSON object');
  const j = json as Record<string, any>;
  if (j.command !== 'warmup plan') bad('"command" is not "warmup plan"');
  if (j.schemaVersion !== 1) bad(`unsupported schemaVersion ${JSON.stringify(j.schemaVersion)}`);
  if (!(CURVE_LIST as readonly string[]).includes(j.curve)) bad('unknown "curve"');
  if (!Number.isInteger(j.target) || j.target < 1) bad('"target" is not a positive whole number');
  const hours = j.hours ?? { from: 0, to: 24 };
  if (!Number.isInteger(hours.from) || !Number.isInteger(hours.to) || hours.from < 0 || hours.to > 24 || hours.to <= hours.from) bad('"hours" is not {from, to} within 0-24');
  if (typeof j.mix !== 'object' || j.mix === null) bad('"mix" is missing');
  const mix: Mix = {};
  for (const [k, v] of Object.entries<unknown>(j.mix)) {
    if (!(PROVIDER_NAMES as readonly string[]).includes(k) || typeof v !== 'number' || !(v >= 0)) bad(`"mix.${k}" is not a known provider share`);
    mix[k as ProviderName] = v as number;
  }
  if (!Array.isArray(j.days) || j.days.length === 0) bad('"days" is empty');
  const days: PlanDay[] = (j.days as any[]).map((d, i) => {
    if (typeof d !== 'object' || d === null || !Number.isInteger(d.total) || d.total < 0) bad(`day ${i + 1} has no whole "total"`);
    const providers: PlanDay['providers'] = {};
    let sum = 0;
    for (const [k, v] of Object.entries<any>(d.providers ?? {})) {
      if (!(PROVIDER_NAMES as readonly string[]).includes(k) || !Number.isInteger(v?.volume) || v.volume < 0) bad(`day ${i + 1}: "providers.${k}" has no whole "volume"`);
      providers[k as ProviderName] = { volume: v.volume, hourlyCap: Number.isInteger(v.hourlyCap) ? v.hourlyCap : Math.ceil(v.volume / (hours.to - hours.from)) };
      sum += v.volume;
    }
    if (sum !== d.total) bad(`day ${i + 1}: the providers add up to ${sum}, not ${d.total}`);
    return { day: i + 1, total: d.total, hourlyCap: Number.isInteger(d.hourlyCap) ? d.hourlyCap : Math.ceil(d.total / (hours.to - hours.from)), providers };
  });
  return { curve: j.curve, target: j.target, hours: { from: hours.from, to: hours.to }, growth: typeof j.growth === 'number' ? j.growth : 1, days, mix, sources: Array.isArray(j.sources) ? j.sources.map(String) : [] };
}
