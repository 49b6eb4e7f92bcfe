/**
 * When to try a deferred recipient again: a pure function of (policy, state, now).
 *
 * - Exponential back-off: the n-th deferral waits first·2^(n−1), capped at max. This is how
 *   Postfix (minimal_backoff_time 300s, doubling up to maximal_backoff_time 4000s, postconf(5))
 *   and KumoMTA (retry_interval doubling, capped by max_retry_interval) space their retries.
 * - Greylisting (RFC 6647 §2.2: the receiver accepts the triplet only after its delay): a
 *   greylisted attempt is never repeated before greylistDelay has passed since it. postgrey's
 *   default delay is 300 s (postgrey(8) --delay).
 * - A receiver that says how long to wait ("try again in 10 minutes") is taken at its word.
 * - A rate-limited destination (Gmail 4.7.28, Yahoo TSS04 …) holds back every recipient at that
 *   destination until its notBefore (see DestinationThrottle).
 * - Queue lifetime: a message older than maxAge expires (Postfix maximal_queue_lifetime, KumoMTA
 *   max_age). When the next back-off step would fall after the expiry, the last attempt is made
 *   at the expiry time itself rather than giving up early: one more chance, and the user hears
 *   "expired" at the promised time.
 * All arithmetic in float milliseconds.
 */
import type { Classification } from './classification.js';

export interface RetryPolicy {
  /** The first gap (default 5 min). */
  firstBackoffMs: number;
  /** The largest gap (default 1 h). */
  maxBackoffMs: number;
  /** Never retry a greylisted attempt sooner than this (default 5 min, postgrey's delay). */
  greylistDelayMs: number;
  /** Queue lifetime from the first enqueue (default 2 h). */
  maxAgeMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  firstBackoffMs: 5 * 60_000,
  maxBackoffMs: 60 * 60_000,
  greylistDelayMs: 5 * 60_000,
  maxAgeMs: 2 * 60 * 60_000,
};

/** Receivers' own waits are honoured up to this bound (a typo'd "try again in 99999 minutes" must not park a message for months). */
const MAX_HONOURED_WAIT_MS = 24 * 60 * 60_000;

/** The gap after the n-th deferral (n ≥ 1). */
export function backoffMs(policy: Pick<RetryPolicy, 'firstBackoffMs' | 'maxBackoffMs'>, deferrals: number): number {
  const n = Math.max(1, deferrals);
  // Past 2^30 the cap is usually long reached (a throttled batch strikes once per recipient, so n
  // climbs into the hundreds): the same answer without the power.
  if (n > 31 && policy.firstBackoffMs > 0 && policy.firstBackoffMs * 2 ** 30 >= policy.maxBackoffMs) return policy.maxBackoffMs;
  // 2^(n-1) overflows to Infinity for large n; min() keeps the cap.
  return Math.min(policy.maxBackoffMs, policy.firstBackoffMs * 2 ** (n - 1));
}

export type RetryDecision = { kind: 'retry'; at: number; why: string } | { kind: 'expire'; why: string };

export interface RetryState {
  /** Deferrals so far, including the one being decided. */
  deferrals: number;
  /** When the message entered the queue. */
  createdAt: number;
  /** createdAt + maxAge (stored per message: a later policy change does not shorten queued mail). */
  expiresAt: number;
  /** The destination's throttle, if it is held back (ms since epoch). */
  destinationNotBefore?: number | undefined;
}

/** After a temporary failure at `now`: when to try again, or expire. */
export function nextRetry(policy: RetryPolicy, state: RetryState, c: Pick<Classification, 'greylisted' | 'retryAfterMs' | 'rateLimited'>, now: number): RetryDecision {
  if (now >= state.expiresAt) return { kind: 'expire', why: `still deferred after the queue lifetime (${Math.round((state.expiresAt - state.createdAt) / 60_000)} min)` };
  let at = now + backoffMs(policy, state.deferrals);
  let why = `back-off step ${state.deferrals}`;
  if (c.greylisted && now + policy.greylistDelayMs > at) {
    at = now + policy.greylistDelayMs;
    why = 'greylisted: waiting out the greylisting delay';
  }
  if (c.retryAfterMs !== undefined && c.retryAfterMs > 0) {
    const wait = Math.min(c.retryAfterMs, MAX_HONOURED_WAIT_MS);
    if (now + wait > at) {
      at = now + wait;
      why = 'the receiver asked to wait';
    }
  }
  if (state.destinationNotBefore !== undefined && state.destinationNotBefore > at) {
    at = state.destinationNotBefore;
    why = 'the destination is rate-limiting us';
  }
  if (at > state.expiresAt) {
    at = state.expiresAt;
    why += '; last attempt at the end of the queue lifetime';
  }
  return { kind: 'retry', at, why };
}

/**
 * Per-destination hold-back after rate-limit replies: the whole destination (domain) waits, not
 * just the recipient that got the reply (Gmail's 4.7.28 and Yahoo's TSS04 are about the sending
 * IP's rate to that provider). Each consecutive rate-limit reply doubles the hold, like back-off.
 */
export class DestinationThrottle {
  private readonly holds = new Map<string, { until: number; strikes: number }>();

  constructor(private readonly policy: Pick<RetryPolicy, 'firstBackoffMs' | 'maxBackoffMs'>) {}

  /** Records a rate-limit reply from `destination` at `now`; returns the time it is held until. */
  strike(destination: string, now: number, retryAfterMs?: number): number {
    const prev = this.holds.get(destination);
    const strikes = (prev && prev.until > now - this.policy.maxBackoffMs ? prev.strikes : 0) + 1;
    const until = now + Math.max(backoffMs(this.policy, strikes), Math.min(retryAfterMs ?? 0, MAX_HONOURED_WAIT_MS));
    // in place: a throttled batch strikes once per recipient
    if (prev) {
      prev.until = until;
      prev.strikes = strikes;
    } else this.holds.set(destination, { until, strikes });
    return until;
  }

  /** When `destination` may be tried again (undefined: now). */
  notBefore(destination: string, now: number): number | undefined {
    const h = this.holds.get(destination);
    return h && h.until > now ? h.until : undefined;
  }

  /**
   * A success clears the strikes once the hold is over. A success during the hold does not lift
   * it: it was a transaction already in flight when the rate-limit reply came.
   */
  clear(destination: string, now: number): void {
    const h = this.holds.get(destination);
    if (h && h.until <= now) this.holds.delete(destination);
  }
}

/**
 * Mailbox full is soft (RFC 3463 X.2.2 is "persistent transient" in spirit even as a 5xx): the
 * address is suppressed only after `count` such bounces spread over at least `spanMs`, the way
 * ESPs treat repeated soft bounces. `times` are the ms timestamps of the earlier ones plus now.
 */
export const SOFT_BOUNCE_RULE = { count: 3, spanMs: 3 * 24 * 60 * 60_000 } as const;

export function softBounceSuppresses(times: readonly number[], rule: { count: number; spanMs: number } = SOFT_BOUNCE_RULE): boolean {
  if (times.length < rule.count) return false;
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[sorted.length - 1]! - sorted[0]! >= rule.spanMs;
}
