/**
 * When a bounce puts a recipient on the suppression list: the one rule `send` (engine.ts) and
 * `bounce parse --apply` share. A classification that says suppress (permanent, about the
 * recipient) suppresses at once as a hard bounce; mailbox full is soft and suppresses only after
 * repeated bounces over days (retry-policy.ts SOFT_BOUNCE_RULE), counted from the delivery log.
 */
import type { Store, SuppressionReason } from '../store/store.js';
import type { Classification } from './classification.js';
import { softBounceSuppresses, SOFT_BOUNCE_RULE } from './retry-policy.js';

/** How far back earlier mailbox-full bounces are looked for. */
const SOFT_BOUNCE_LOOKBACK_MS = 30 * 86_400_000;

export interface SuppressionInput {
  recipient: string;
  classification: Pick<Classification, 'suppress' | 'soft' | 'reason'>;
  /** The reply or report text kept with the suppression. */
  detail: string;
  /** "send", "bounce" … */
  source: string;
  now: number;
}

/**
 * Adds the suppression the rule calls for; returns its reason, or undefined when none. Call it
 * before logging the bounce at `now` (the current bounce is counted as `now`).
 */
export async function applySuppressionRule(store: Store, i: SuppressionInput): Promise<SuppressionReason | undefined> {
  const c = i.classification;
  if (c.suppress) {
    await store.addSuppression({ address: i.recipient, reason: 'hard-bounce', detail: i.detail, source: i.source, createdAt: i.now });
    return 'hard-bounce';
  }
  if (c.soft && c.reason === 'mailboxfull') {
    const earlier = await store.listDeliveries({ recipient: i.recipient, since: i.now - SOFT_BOUNCE_LOOKBACK_MS });
    const times = earlier.filter((e) => e.status === 'bounced' && e.classification?.reason === 'mailboxfull').map((e) => e.at);
    if (softBounceSuppresses([...times, i.now], SOFT_BOUNCE_RULE)) {
      const days = Math.round((i.now - Math.min(...times, i.now)) / 86_400_000);
      await store.addSuppression({ address: i.recipient, reason: 'soft-bounce', detail: `${times.length + 1} mailbox-full bounces over ${days} days; last: ${i.detail}`, source: i.source, createdAt: i.now });
      return 'soft-bounce';
    }
  }
  return undefined;
}
