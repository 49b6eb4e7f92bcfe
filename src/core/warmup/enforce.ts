/**
 * `send --warmup <plan.json>`: the queue keeps to a warm-up plan's daily and hourly caps per
 * provider, counted from the store's delivery log (rows tagged "warmup:<plan id>:<provider>").
 *
 * - Days are sending days, as in the plan: today is day k + 1 when the log has warm-up mail on k
 *   earlier dates, however many calendar days lie between. After the last day the last day's caps
 *   hold (the target is the steady state).
 * - What counts is what a receiver judged: delivered and bounced rows. A deferral (4xx) is counted
 *   when the retry is delivered or bounced, so a throttled message never uses the cap twice.
 * - Dates and sending hours are the machine's local time (TZ); hour buckets are whole hours since
 *   the epoch, which are local hours in every zone with a whole-hour offset.
 * - Over the cap, a recipient waits (status deferred, reason "warmup-cap") for the next hour with
 *   room, or the next sending day's first hour.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { HOUR_MS, type Store } from '../store/store.js';
import { parsePlanDocument, type PlanDay, type SendingHours, type WarmupPlan } from './plan.js';
import { PROVIDER_NAMES, type ProviderName } from './providers.js';

/** What a queued message carries in its delivery options: the plan itself, so the queue needs no file. */
export interface WarmupEnforcement {
  id: string;
  hours: SendingHours;
  days: PlanDay[];
}

/** The log statuses that use up a cap. */
const COUNTED = new Set(['delivered', 'bounced']);

export const WARMUP_CAP_REASON = 'warmup-cap';

export function warmupTag(planId: string, provider: ProviderName): string {
  return `warmup:${planId}:${provider}`;
}

/** A plan's identity: the same days and hours are the same plan, whatever file they were read from. */
export function planIdOf(plan: Pick<WarmupPlan, 'hours' | 'days'>): string {
  return createHash('sha256').update(JSON.stringify({ hours: plan.hours, days: plan.days })).digest('hex').slice(0, 12);
}

/** Reads the JSON that `warmup plan --format json` / `--out` writes (checked by plan.ts); anything else is a usage error. */
export function readPlanFile(text: string, source: string): WarmupEnforcement {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source} is not JSON: ${(e as Error).message.split('\n')[0]} (make one with: mailpace-cli warmup plan … --out plan.json)`);
  }
  const plan = parsePlanDocument(json, source);
  return { id: planIdOf(plan), hours: plan.hours, days: plan.days };
}

/** Local calendar date of an instant, "YYYY-MM-DD". */
function localDate(ms: number): string {
  const t = new Date(ms);
  return `${t.getFullYear()}-${String(t.getMonth() + 1).padStart(2, '0')}-${String(t.getDate()).padStart(2, '0')}`;
}

function startOfLocalDay(ms: number): number {
  const t = new Date(ms);
  return new Date(t.getFullYear(), t.getMonth(), t.getDate()).getTime();
}

/** Local midnight of the next calendar day plus `hour` hours (DST-safe: built from fields). */
function nextDayAt(ms: number, hour: number): number {
  const t = new Date(ms);
  return new Date(t.getFullYear(), t.getMonth(), t.getDate() + 1, hour).getTime();
}

function todayAt(ms: number, hour: number): number {
  const t = new Date(ms);
  return new Date(t.getFullYear(), t.getMonth(), t.getDate(), hour).getTime();
}

export interface ProviderBudget {
  provider: ProviderName;
  dailyCap: number;
  hourlyCap: number;
  usedToday: number;
  usedThisHour: number;
}

/**
 * The caps left at one moment: loaded from the log once per queue run, then spent in memory as
 * recipients are handed to the transport.
 */
export class WarmupBudget {
  private constructor(
    readonly plan: WarmupEnforcement,
    /** 1-based sending day. */
    readonly day: number,
    private readonly now: number,
    private readonly budgets: Map<ProviderName, ProviderBudget>,
  ) {}

  static async load(store: Store, plan: WarmupEnforcement, now: number): Promise<WarmupBudget> {
    const counts = await store.countDeliveries({ tagPrefix: `warmup:${plan.id}:` });
    const today = localDate(now);
    const dayStart = startOfLocalDay(now);
    const hourStart = Math.floor(now / HOUR_MS) * HOUR_MS;
    const earlierDays = new Set<string>();
    const usedToday = new Map<string, number>();
    const usedThisHour = new Map<string, number>();
    for (const c of counts) {
      if (!COUNTED.has(c.status)) continue;
      const date = localDate(c.hour);
      if (date !== today) {
        if (c.hour < dayStart) earlierDays.add(date);
        continue;
      }
      const provider = c.tag.slice(c.tag.lastIndexOf(':') + 1);
      usedToday.set(provider, (usedToday.get(provider) ?? 0) + c.count);
      if (c.hour === hourStart) usedThisHour.set(provider, (usedThisHour.get(provider) ?? 0) + c.count);
    }
    const day = earlierDays.size + 1;
    const stage = plan.days[Math.min(day, plan.days.length) - 1]!;
    const budgets = new Map<ProviderName, ProviderBudget>();
    // A budget for each provider the plan names on any day, and for "other", which takes the rest.
    for (const provider of PROVIDER_NAMES) {
      if (provider !== 'other' && !plan.days.some((d) => d.providers[provider] !== undefined)) continue;
      const p = stage.providers[provider];
      budgets.set(provider, { provider, dailyCap: p?.volume ?? 0, hourlyCap: p?.hourlyCap ?? 0, usedToday: usedToday.get(provider) ?? 0, usedThisHour: usedThisHour.get(provider) ?? 0 });
    }
    return new WarmupBudget(plan, day, now, budgets);
  }

  /** The budget a provider's mail counts toward: its own, or "other" when the plan gives it none. */
  key(provider: ProviderName): ProviderName {
    return this.budgets.has(provider) ? provider : 'other';
  }

  get(provider: ProviderName): ProviderBudget {
    return this.budgets.get(this.key(provider))!;
  }

  private inSendingHours(): boolean {
    const h = new Date(this.now).getHours();
    return h >= this.plan.hours.from && h < this.plan.hours.to;
  }

  /** Takes one message of `provider`'s budget; false when the hour, the day or the sending hours are over. */
  take(provider: ProviderName): boolean {
    const b = this.get(provider);
    if (!this.inSendingHours() || b.usedToday >= b.dailyCap || b.usedThisHour >= b.hourlyCap) return false;
    b.usedToday++;
    b.usedThisHour++;
    return true;
  }

  /** When a recipient held back now may go: the next hour with room today, else the next sending day. */
  nextWindow(provider: ProviderName): number {
    const b = this.get(provider);
    const { from, to } = this.plan.hours;
    const hour = new Date(this.now).getHours();
    if (hour < from && b.dailyCap > 0) return todayAt(this.now, from);
    const nextHour = Math.floor(this.now / HOUR_MS) * HOUR_MS + HOUR_MS;
    if (b.usedToday < b.dailyCap && hour + 1 < to && b.hourlyCap > 0) return nextHour;
    return nextDayAt(this.now, from);
  }
}
