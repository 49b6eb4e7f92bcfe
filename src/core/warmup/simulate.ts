/**
 * `warmup simulate`: a discrete-event run of a plan through the real delivery engine (queue,
 * claims, classifier, retry policy, destination throttle) on a FakeClock, with modelled receivers
 * (model-transport.ts) and an in-memory resolver for the synthetic provider domains, so nothing
 * touches the network. Deterministic for a seed.
 *
 * Each day enqueues its stage's volume, spread over the sending hours per provider. The stage
 * advances only when more than 90% of it was delivered by the end of the day (SparkPost's rule);
 * a day over the bounce or complaint pause level pauses the ramp for a day. Large days are
 * aggregated: one simulated recipient stands for `unit` messages, so a day is at most about
 * MAX_RECIPIENTS_PER_DAY recipients through the engine.
 */
import { FakeClock } from '../clock.js';
import { classify } from '../delivery/classify.js';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryEngine, type DeliveryOptions } from '../delivery/engine.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../delivery/retry-policy.js';
import type { DnsAnswer, RecordType, Resolver } from '../dns/types.js';
import { MemoryStore } from '../store/memory-store.js';
import { normalizeAddress } from '../store/store.js';
import { WARMUP_FLAGS, type WarmupFlag, type WarmupFlagCode } from './codes.js';
import { ModelTransport } from './model-transport.js';
import type { ReceiverModel } from './model.js';
import { buildPlan, sendingHours, spreadEvenly, type WarmupPlan } from './plan.js';
import { PROVIDER_NAMES, type ProviderName } from './providers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const MAX_RECIPIENTS_PER_DAY = 5000;

/**
 * Warm-up traffic is bulk mail: queued mail is kept for 72 hours, as SendGrid does for a warming IP
 * (https://www.twilio.com/docs/sendgrid/ui/sending-email/warming-up-an-ip-address); the rest is send's policy.
 */
export const SIMULATION_POLICY: RetryPolicy = { ...DEFAULT_RETRY_POLICY, maxAgeMs: 72 * HOUR };

export interface SimulateInput {
  plan: WarmupPlan;
  model: ReceiverModel;
  seed: number;
  policy?: RetryPolicy;
  /** Re-run gentler geometric plans to find the largest growth that stays green (default true). */
  suggest?: boolean;
  /** Recipients per day through the engine before aggregation starts. */
  maxRecipientsPerDay?: number;
  /** A flat volume (--volume): every day sends its day of the plan, whatever the day before delivered. */
  flat?: boolean;
}

/** What a day counts, for the whole day and per provider (messages, weighted by unit). */
export interface DayCounts {
  planned: number;
  offered: number;
  accepted: number;
  deferred: number;
  rateLimited: number;
  bounced: number;
  complaints: number;
  /** Time from queueing to acceptance of the accepted messages. */
  p50DelayMs: number | null;
  p95DelayMs: number | null;
}

export interface ProviderDay extends DayCounts {
  throttleReplies: number;
  /** The modelled hourly capacity at the start of the day. */
  capacity: number;
}

export type DayOutcome = 'advance' | 'hold' | 'pause' | 'paused';

export interface SimDay extends DayCounts {
  day: number;
  /** The plan day (stage) sent. */
  stage: number;
  expired: number;
  backlog: number;
  outcome: DayOutcome;
  /** Messages per simulated recipient that day. */
  unit: number;
  providers: Partial<Record<ProviderName, ProviderDay>>;
  flags: WarmupFlag[];
}

export interface Verdict {
  ok: boolean;
  firstBadDay: number | null;
  suggestedGrowth: number | null;
}

export interface SimulationResult {
  plan: WarmupPlan;
  days: SimDay[];
  verdict: Verdict;
  model: ReceiverModel;
  seed: number;
  /** The largest messages-per-recipient of any day. */
  unit: number;
  /** Transactions the engine made (for benchmarks). */
  transactions: number;
  /** A flat --volume run rather than a ramp. */
  flat: boolean;
}

/** mulberry32: a small, fast, seedable PRNG (deterministic across platforms). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const simDomain = (p: ProviderName): string => `${p}.sim`;

/** Answers MX for the synthetic provider domains (mx.<provider>.sim) and NXDOMAIN for anything else. */
export class SimResolver implements Resolver {
  async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const n = name.replace(/\.$/, '').toLowerCase();
    const known = PROVIDER_NAMES.some((p) => simDomain(p) === n);
    if (known && type === 'MX') return { name: n, type, status: 'ok', records: [{ type: 'MX', name: n, ttl: 3600, exchange: `mx.${n}`, priority: 10 }] as unknown as DnsAnswer<T>['records'], cnames: [], ad: false };
    return { name: n, type, status: known ? 'nodata' : 'nxdomain', records: [], cnames: [], ad: false };
  }
}

/** The memory store without a delivery log, with the earliest due time of the whole queue, so the simulator can jump to it. */
class SimStore extends MemoryStore {
  constructor() {
    super({ keepLog: false });
  }
  nextDue(): number | undefined {
    let min = Infinity;
    for (const v of this.dueAt.values()) if (v < min) min = v;
    return min === Infinity ? undefined : min;
  }
}

interface RecipientMeta {
  provider: ProviderName;
  weight: number;
  enqueuedAt: number;
  /** The simulation day it was enqueued on. */
  day: number;
  offeredDay: number;
  deferredDay: number;
  limitedDay: number;
}

/**
 * The simulated recipients still queued, found by the number in their address ("r<day>-<n>@…"):
 * an array slot per number rather than a map keyed by address, as every attempt of every
 * recipient looks its entry up twice (its weight for the receiver, its counts for the day).
 */
class RecipientTable {
  private readonly byNumber: (RecipientMeta | undefined)[] = [];
  /** No entry lives below this number (entries leave roughly in the order they came). */
  private low = 0;

  /** Normalised (and so flat) as the engine keeps it: the engine's events then carry this very string. */
  static address(day: number, n: number, provider: ProviderName): string {
    return normalizeAddress(`r${day}-${n}@${simDomain(provider)}`);
  }

  /** The number in an address made by address(), else -1. */
  private static numberOf(address: string): number {
    const dash = address.indexOf('-');
    if (dash < 0) return -1;
    let n = 0;
    let i = dash + 1;
    for (; i < address.length; i++) {
      const c = address.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    return i > dash + 1 && address.charCodeAt(i) === 64 /* @ */ ? n : -1;
  }

  set(n: number, m: RecipientMeta): void {
    this.byNumber[n] = m;
  }
  get(address: string): RecipientMeta | undefined {
    const n = RecipientTable.numberOf(address);
    return n < 0 ? undefined : this.byNumber[n];
  }
  delete(address: string): void {
    const n = RecipientTable.numberOf(address);
    if (n >= 0) this.byNumber[n] = undefined;
    while (this.low < this.byNumber.length && this.byNumber[this.low] === undefined) this.low++;
  }
  *values(): IterableIterator<RecipientMeta> {
    for (let i = this.low; i < this.byNumber.length; i++) {
      const m = this.byNumber[i];
      if (m) yield m;
    }
  }
}

function weightedPercentile(samples: [number, number][], q: number): number | null {
  if (samples.length === 0) return null;
  samples.sort((a, b) => a[0] - b[0]);
  const total = samples.reduce((a, s) => a + s[1], 0);
  let acc = 0;
  for (const [v, w] of samples) {
    acc += w;
    if (acc >= q * total) return Math.round(v);
  }
  return Math.round(samples[samples.length - 1]![0]);
}

const emptyProviderDay = (capacity: number): ProviderDay => ({ planned: 0, offered: 0, accepted: 0, deferred: 0, rateLimited: 0, bounced: 0, complaints: 0, throttleReplies: 0, capacity, p50DelayMs: null, p95DelayMs: null });

/** One run of the plan; no suggestion search. */
export async function runSimulation(input: SimulateInput): Promise<SimulationResult> {
  const { plan, model, seed } = input;
  const random = seededRandom(seed);
  const clock = new FakeClock(0);
  const store = new SimStore();
  const meta = new RecipientTable();
  const providerOf = (domain: string): ProviderName => (domain.endsWith('.sim') ? (domain.slice(0, -4) as ProviderName) : 'other');
  const transport = new ModelTransport({ model, clock, random, providerOf, weightOf: (r) => meta.get(r)?.weight ?? 1 });
  const options: DeliveryOptions = { ...DEFAULT_DELIVERY_OPTIONS, policy: input.policy ?? SIMULATION_POLICY };
  const raw = Buffer.from('From: warmup@sender.sim\r\nTo: list@sender.sim\r\nSubject: warm-up\r\n\r\nsimulated\r\n');
  let today: SimDay | undefined;
  let simDay = 0;
  let delays: [number, number][] = [];
  let providerDelays = new Map<ProviderName, [number, number][]>();
  let stageAccepted = 0;
  const engine = new DeliveryEngine({
    store,
    transport,
    clock,
    resolver: new SimResolver(),
    classify,
    worker: 'warmup-simulate',
    random,
    concurrency: 10,
    deliveryLog: false,
    onEvent: (e) => {
      if (e.type !== 'result' || !today) return;
      const r = meta.get(e.recipient);
      if (!r) return;
      const pd = today.providers[r.provider]!;
      if (r.offeredDay !== simDay) {
        r.offeredDay = simDay;
        today.offered += r.weight;
        pd.offered += r.weight;
      }
      if (e.status === 'delivered') {
        today.accepted += r.weight;
        pd.accepted += r.weight;
        const sample: [number, number] = [clock.now() - r.enqueuedAt, r.weight];
        delays.push(sample);
        const pds = providerDelays.get(r.provider);
        if (pds) pds.push(sample);
        else providerDelays.set(r.provider, [sample]);
        if (r.day === simDay) stageAccepted += r.weight;
        meta.delete(e.recipient);
      } else if (e.status === 'deferred') {
        if (r.deferredDay !== simDay) {
          r.deferredDay = simDay;
          today.deferred += r.weight;
          pd.deferred += r.weight;
        }
        if (r.limitedDay !== simDay && e.reply !== undefined && transport.isThrottle(e.reply)) {
          r.limitedDay = simDay;
          today.rateLimited += r.weight;
          pd.rateLimited += r.weight;
        }
      } else if (e.status === 'bounced') {
        today.bounced += r.weight;
        pd.bounced += r.weight;
        meta.delete(e.recipient);
      } else if (e.status === 'expired') {
        today.expired += r.weight;
        meta.delete(e.recipient);
      }
    },
  });

  const providers = PROVIDER_NAMES.filter((p) => plan.mix[p] !== undefined);
  const hours = sendingHours(plan.hours);
  const maxPerDay = input.maxRecipientsPerDay ?? MAX_RECIPIENTS_PER_DAY;
  const maxDays = plan.days.length * 2 + 7;
  const days: SimDay[] = [];
  let stage = 0;
  let pausedNext = false;
  let seq = 0;
  while (stage < plan.days.length && simDay < maxDays) {
    const dayStart = simDay * DAY;
    const paused = pausedNext;
    pausedNext = false;
    const p = plan.days[stage]!;
    const planned = paused ? 0 : p.total;
    const unit = Math.max(1, Math.ceil(planned / maxPerDay));
    today = {
      day: simDay + 1,
      stage: p.day,
      planned,
      offered: 0,
      accepted: 0,
      deferred: 0,
      rateLimited: 0,
      bounced: 0,
      complaints: 0,
      expired: 0,
      backlog: 0,
      p50DelayMs: null,
      p95DelayMs: null,
      outcome: 'paused',
      unit,
      providers: {},
      flags: [],
    };
    for (const pr of providers) {
      today.providers[pr] = emptyProviderDay(transport.capacity(pr));
      today.providers[pr]!.planned = paused ? 0 : (p.providers[pr]?.volume ?? 0);
    }
    delays = [];
    providerDelays = new Map();
    stageAccepted = 0;
    // arrivals: each provider's volume spread over the sending hours (the first hours take the remainder)
    const arrivals: { at: number; provider: ProviderName; count: number }[] = [];
    if (!paused) {
      for (const pr of providers) {
        const v = p.providers[pr]?.volume ?? 0;
        const counts = spreadEvenly(v, hours);
        for (let h = 0; h < hours; h++) if ((counts[h] ?? 0) > 0) arrivals.push({ at: dayStart + (plan.hours.from + h) * HOUR, provider: pr, count: counts[h]! });
      }
      arrivals.sort((a, b) => a.at - b.at);
    }
    let ai = 0;
    const dayEnd = dayStart + DAY;
    for (;;) {
      const now = clock.now();
      while (ai < arrivals.length && arrivals[ai]!.at <= now) {
        const a = arrivals[ai++]!;
        const recipients: string[] = [];
        const full = Math.floor(a.count / unit);
        const rest = a.count - full * unit;
        for (let i = 0; i < full + (rest > 0 ? 1 : 0); i++) {
          const n = seq++;
          const addr = RecipientTable.address(simDay + 1, n, a.provider);
          meta.set(n, { provider: a.provider, weight: i < full ? unit : rest, enqueuedAt: now, day: simDay, offeredDay: -1, deferredDay: -1, limitedDay: -1 });
          recipients.push(addr);
        }
        for (let i = 0; i < recipients.length; i += options.maxRcpt) {
          const id = `w${String(seq++).padStart(9, '0')}`;
          // every simulated address is new, so none can be on the suppression list: no lookup (force)
          await engine.enqueue({ id, messageId: `<${id}@warmup.sim>`, sender: 'warmup@sender.sim', raw, recipients: recipients.slice(i, i + options.maxRcpt), options, force: true });
        }
      }
      await engine.runDue({ limit: 1_000_000 });
      let next = store.nextDue();
      if (ai < arrivals.length && (next === undefined || arrivals[ai]!.at < next)) next = arrivals[ai]!.at;
      if (next === undefined || next >= dayEnd) break;
      await clock.advance(Math.max(next - clock.now(), 1000));
    }
    await clock.advance(dayEnd - clock.now());
    // the day's figures
    const counters = Object.fromEntries(providers.map((pr) => [pr, transport.counters(pr)])) as Record<ProviderName, ReturnType<ModelTransport['counters']>>;
    for (const pr of providers) {
      const c = counters[pr];
      const pd = today.providers[pr]!;
      pd.complaints = c.complaints;
      pd.throttleReplies = c.throttleReplies;
      today.complaints += c.complaints;
    }
    for (const r of meta.values()) today.backlog += r.weight;
    today.p50DelayMs = weightedPercentile(delays, 0.5);
    today.p95DelayMs = weightedPercentile(delays, 0.95);
    for (const pr of providers) {
      const samples = providerDelays.get(pr) ?? [];
      today.providers[pr]!.p50DelayMs = weightedPercentile(samples, 0.5);
      today.providers[pr]!.p95DelayMs = weightedPercentile(samples, 0.95);
    }
    const blocked = providers.filter((pr) => counters[pr].blocked > 0);
    transport.endDay();
    const flag = (code: WarmupFlagCode, message: string, provider?: string) => today!.flags.push({ code, severity: WARMUP_FLAGS[code].severity, message, ...(provider ? { provider } : {}) });
    const d = today;
    if (d.offered > 0 && d.deferred / d.offered > 0.05) flag('WARMUP_DEFERRALS_HIGH', `${pctText(d.deferred / d.offered)} of the messages offered were deferred (${d.rateLimited.toLocaleString('en-US')} rate-limited)${throttled(d)}.`);
    if (d.p95DelayMs !== null && d.p95DelayMs > HOUR) flag('WARMUP_DELAY_HIGH', `95% of the accepted messages took up to ${Math.round((d.p95DelayMs / HOUR) * 10) / 10} h to be accepted.`);
    // list quality: unknown-recipient bounces (not the providers' blocks) over what got an answer
    const unknown = providers.reduce((a, pr) => a + counters[pr]!.bounced, 0);
    const judged = d.accepted + unknown;
    let pause = false;
    if (judged >= model.rateMinVolume) {
      const br = unknown / judged;
      if (br >= 0.1) {
        flag('WARMUP_BOUNCES_PAUSE', `bounce rate ${pctText(br)} (≥ 10%): the ramp pauses for a day; clean the list before going on.`);
        pause = true;
      } else if (br >= 0.05) flag('WARMUP_BOUNCES_REVIEW', `bounce rate ${pctText(br)} (≥ 5%, the level where Amazon SES reviews an account).`);
      const cr = d.accepted > 0 ? d.complaints / d.accepted : 0;
      if (cr > 0.003) {
        flag('WARMUP_COMPLAINTS_HIGH', `complaint rate ${pctText(cr)} (> 0.3%): the ramp pauses for a day.`);
        pause = true;
      }
    }
    for (const pr of blocked) flag('WARMUP_BLOCKED', `${pr} blocked mail with 5.7.x replies after a day over its complaint level.`, pr);
    if (paused) d.outcome = 'paused';
    else if (pause) {
      d.outcome = 'pause';
      pausedNext = true;
    } else if (input.flat || (planned > 0 && stageAccepted / planned > 0.9)) {
      d.outcome = 'advance';
      stage++;
    } else {
      d.outcome = 'hold';
      flag('WARMUP_STAGE_HELD', `only ${pctText(planned > 0 ? stageAccepted / planned : 0)} of stage ${p.day} was delivered the same day (advancing needs more than 90%).`);
    }
    days.push(d);
    simDay++;
  }
  if (stage < plan.days.length && days.length > 0) {
    const last = days[days.length - 1]!;
    last.flags.push({ code: 'WARMUP_NOT_FINISHED', severity: 'error', message: `after ${days.length} days the ramp was at stage ${stage + 1} of ${plan.days.length}.` });
  }
  const bad = days.find((d) => d.flags.length > 0);
  return {
    plan,
    days,
    verdict: { ok: !bad, firstBadDay: bad ? bad.day : null, suggestedGrowth: null },
    model,
    seed,
    unit: Math.max(1, ...days.map((d) => d.unit)),
    transactions: transport.transactions,
    flat: !!input.flat,
  };
}

function pctText(x: number): string {
  return `${Math.round(x * 1000) / 10}%`;
}

function throttled(d: SimDay): string {
  const ps = (Object.entries(d.providers) as [ProviderName, ProviderDay][]).filter(([, v]) => v.throttleReplies > 0).map(([k, v]) => `${k} ${v.throttleReplies.toLocaleString('en-US')}`);
  return ps.length ? `; throttle replies: ${ps.join(', ')}` : '';
}

/**
 * Runs the plan; when a day is flagged, also searches (binary search on a 0.05 grid, re-running the
 * simulation) the largest growth factor of a geometric plan from the same first day to the same
 * target that keeps every day green.
 */
export async function simulate(input: SimulateInput): Promise<SimulationResult> {
  const result = await runSimulation(input);
  if (result.verdict.ok || input.suggest === false || input.flat) return result;
  const start = input.plan.days[0]!.total;
  const top = Math.floor((Math.max(input.plan.growth, 1.05) - 0.0001) * 20) / 20;
  let lo = 1; // 1.05 … top on a 0.05 grid, as indices
  let hi = Math.round((top - 1) * 20);
  let best: number | null = null;
  const green = async (g: number) => {
    const plan = buildPlan({ curve: 'geometric', target: input.plan.target, start, growth: g, mix: input.plan.mix, hours: input.plan.hours });
    return (await runSimulation({ ...input, plan, suggest: false })).verdict.ok;
  };
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const g = Math.round((1 + mid * 0.05) * 100) / 100;
    if (await green(g)) {
      best = g;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  result.verdict.suggestedGrowth = best;
  return result;
}
