/**
 * Greylisting (RFC 6647): a receiver answers the first delivery attempt of a new
 * (client, sender, recipient) triplet with a 4xx reply and accepts a retry after a delay.
 *
 * Recognising it is heuristic — a 4xx reply can mean many things — so the patterns are data,
 * each with the implementation whose wording it matches. The retry schedule is a pure function
 * of the wait budget; the waiting itself goes through the injected Clock.
 */
import type { Clock } from '../clock.js';
import type { SmtpReply } from '../smtp/reply.js';

export interface GreylistPattern {
  readonly id: string;
  /** Reply codes the pattern applies to (always 4xx: greylisting is a transient failure). */
  readonly codes: readonly number[];
  /** Enhanced codes that must be present, when the pattern depends on one. */
  readonly enhanced?: readonly string[];
  readonly text: RegExp;
  readonly source: string;
}

export const GREYLIST_PATTERNS = [
  {
    id: 'greylist-word',
    codes: [421, 450, 451, 452],
    text: /\bgr[ae]y-?list/i,
    source: 'postgrey ("Greylisted, see http://postgrey.schweikert.ch/…"), milter-greylist ("Greylisting in action"), sqlgrey and greylistd ("Greylisted")',
  },
  {
    id: 'try-again-later',
    codes: [450, 451],
    text: /\b(?:try(?:ing)?(?: again)?|come back|retry|resend)\b[^.]{0,30}\blater\b/i,
    source: 'Rspamd greylist module ("Try again later"), OpenBSD spamd(8) ("451 Temporary failure, please try again later"), milter-greylist ("please come back later")',
  },
  {
    id: 'mimecast-greylisting',
    codes: [451],
    text: /internal resource temporarily unavailable/i,
    source: 'Mimecast greylisting reply ("451 Internal resource temporarily unavailable", Mimecast SMTP error code documentation)',
  },
  {
    id: 'postscreen-after-220',
    codes: [450],
    enhanced: ['4.3.2'],
    text: /service (?:is )?currently unavailable/i,
    source: 'Postfix postscreen(8) after-220 tests: a client that passed must reconnect ("450 4.3.2 Service currently unavailable", POSTSCREEN_README)',
  },
  {
    id: 'temporary-policy-deferral',
    codes: [450, 451],
    enhanced: ['4.2.0', '4.7.0', '4.7.1'],
    text: /\b(?:temporar(?:y|ily)|defer(?:red)?|delayed|retry)\b/i,
    source: 'RFC 6647 §2.1 (greylisting answers 4xx); 4.2.0/4.7.x with "temporary"/"deferred" wording is how Postfix policy servers and Exim ACLs usually phrase it',
  },
] as const satisfies readonly GreylistPattern[];

export type GreylistPatternId = (typeof GREYLIST_PATTERNS)[number]['id'];

/** The pattern a reply matches, or undefined when it does not look like greylisting. */
export function matchGreylisting(reply: Pick<SmtpReply, 'code' | 'enhanced' | 'text'>): GreylistPattern | undefined {
  if (reply.code < 400 || reply.code >= 500) return undefined;
  return GREYLIST_PATTERNS.find(
    (p) =>
      (p.codes as readonly number[]).includes(reply.code) &&
      (!('enhanced' in p) || (reply.enhanced !== undefined && (p.enhanced as readonly string[]).includes(reply.enhanced))) &&
      p.text.test(reply.text),
  );
}

export interface RetryScheduleOptions {
  /** First retry this long after the first refusal. */
  firstMs?: number;
  /** Each gap is this much longer than the previous one. */
  factor?: number;
  /** No gap longer than this. */
  maxGapMs?: number;
}

/** Defaults: first retry after 2 s, gaps ×1.5, at most 60 s apart: 2, 5, 9.5, 16.3, 26.4 … s. */
export const RETRY_DEFAULTS = { firstMs: 2000, factor: 1.5, maxGapMs: 60_000 } as const;

/**
 * When to retry, as offsets in ms from the first refusal: growing gaps (greylisting delays are
 * commonly 1–15 minutes, RFC 6647 §5), and one last attempt exactly when the wait runs out.
 * Returns [] for a wait of 0.
 */
export function greylistRetrySchedule(waitMs: number, opts: RetryScheduleOptions = {}): number[] {
  const first = opts.firstMs ?? RETRY_DEFAULTS.firstMs;
  const factor = opts.factor ?? RETRY_DEFAULTS.factor;
  const maxGap = opts.maxGapMs ?? RETRY_DEFAULTS.maxGapMs;
  if (!(waitMs > 0) || !(first > 0)) return [];
  const out: number[] = [];
  let t = 0;
  let gap = first;
  for (;;) {
    const next = t + gap;
    if (next >= waitMs) {
      out.push(waitMs);
      return out;
    }
    out.push(next);
    t = next;
    gap = Math.min(gap * factor, maxGap);
  }
}

export interface RetryOutcome {
  accepted: boolean;
  /** From the first refusal to the accepting reply (clock time), when accepted. */
  acceptedAfterMs?: number;
  /** From the first refusal to the last attempt that was still refused: the delay is longer than this. */
  lastRefusedAfterMs?: number;
  /** Retries made (the first attempt not counted). */
  attempts: number;
  /** The reply of the last retry, when one came. */
  lastReply?: SmtpReply;
  /** A retry that could not get a reply (connection failed …). */
  errors: string[];
  /** A 5xx ended the retries. */
  permanentFailure?: boolean;
}

/**
 * Retries `attempt` on the schedule until a 2xx, a 5xx, or the end of the wait. Offsets are
 * measured from `firstRefusalAt` on `clock`; each sleep is clock.sleep, so tests run it on a fake clock.
 */
export async function retryUntilAccepted(
  attempt: () => Promise<SmtpReply>,
  opts: { clock: Clock; waitMs: number; firstRefusalAt: number; schedule?: RetryScheduleOptions; signal?: AbortSignal },
): Promise<RetryOutcome> {
  const { clock, firstRefusalAt } = opts;
  const out: RetryOutcome = { accepted: false, attempts: 0, errors: [] };
  for (const offset of greylistRetrySchedule(opts.waitMs, opts.schedule)) {
    const delay = firstRefusalAt + offset - clock.now();
    if (delay > 0) await clock.sleep(delay, opts.signal);
    out.attempts++;
    let reply: SmtpReply;
    try {
      reply = await attempt();
    } catch (err) {
      out.errors.push((err as Error).message);
      continue;
    }
    out.lastReply = reply;
    const elapsed = clock.now() - firstRefusalAt;
    if (reply.code < 400) {
      out.accepted = true;
      out.acceptedAfterMs = elapsed;
      return out;
    }
    if (reply.code >= 500) {
      out.permanentFailure = true;
      return out;
    }
    out.lastRefusedAfterMs = elapsed;
  }
  return out;
}
