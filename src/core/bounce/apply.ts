/**
 * `--apply`: what a parsed bounce changes in the store. Hard bounces the shared classifier
 * suppresses (permanent, about the recipient) → suppression `hard-bounce`; complaints (ARF) →
 * `complaint`; soft bounces (mailbox full) are logged and suppressed after repeats over days, by
 * the rule `send` uses (delivery/suppression-rule.ts). Every bounce is written to the delivery log
 * keyed by Message-ID + recipient, and a pair already in the log is skipped: re-parsing the same
 * message never adds anything twice.
 */
import { createHash } from 'node:crypto';
import type { Classification } from '../delivery/classification.js';
import { applySuppressionRule } from '../delivery/suppression-rule.js';
import type { Store, SuppressionReason } from '../store/store.js';
import type { BounceMessage, BounceResult } from './types.js';

export type AppliedAction = 'suppressed' | 'logged' | 'already-applied';

export interface Applied {
  recipient: string;
  action: AppliedAction;
  /** The suppression reason, when one was added. */
  suppression?: SuppressionReason;
}

/** The log key of a message: its Message-ID, or a digest of its bytes when it has none. */
export function messageKey(m: BounceMessage, raw: Uint8Array): string {
  return m.messageId || `<sha256:${createHash('sha256').update(raw).digest('hex').slice(0, 32)}@bounce>`;
}

const DETAIL_MAX = 500;

export async function applyMessage(store: Store, m: BounceMessage, key: string, now: number): Promise<Applied[]> {
  if (m.kind !== 'bounce' && m.kind !== 'feedback') return [];
  const out: Applied[] = [];
  for (const r of m.results) {
    if (!r.recipient.includes('@') || r.reason === 'delivered') continue;
    const earlier = await store.listDeliveries({ messageId: key, recipient: r.recipient, limit: 1 });
    if (earlier.length > 0) {
      out.push({ recipient: r.recipient, action: 'already-applied' });
      continue;
    }
    const detail = detailOf(r).slice(0, DETAIL_MAX);
    const classification: Classification = { reason: r.reason, hard: r.hard, suppress: r.suppress === true, retry: false, ...(r.soft ? { soft: true } : {}) };
    let suppression: SuppressionReason | undefined;
    if (m.kind === 'feedback') {
      await store.addSuppression({ address: r.recipient, reason: 'complaint', detail, source: 'bounce', createdAt: now });
      suppression = 'complaint';
    } else {
      suppression = await applySuppressionRule(store, { recipient: r.recipient, classification, detail, source: 'bounce', now });
    }
    await store.logDelivery({
      at: now,
      messageId: key,
      recipient: r.recipient,
      status: m.kind === 'feedback' ? 'complained' : 'bounced',
      ...(r.replyCode ? { replyCode: Number(r.replyCode) } : {}),
      ...(r.status ? { enhancedCode: r.status } : {}),
      response: detail,
      classification,
      ...(r.remoteMta ? { mx: r.remoteMta } : {}),
    });
    out.push({ recipient: r.recipient, action: suppression ? 'suppressed' : 'logged', ...(suppression ? { suppression } : {}) });
  }
  return out;
}

function detailOf(r: BounceResult): string {
  if (r.feedbackType) return `feedback-loop report (${r.feedbackType})${r.userAgent ? ` from ${r.userAgent}` : ''}`;
  return [r.replyCode, r.status, r.diagnostic].filter(Boolean).join(' ');
}
