/**
 * The outcome of a send as data: per recipient its status and every attempt (from the delivery
 * log), findings, and a summary. `send`, `queue run` and the JSON document share it.
 */
import type { CheckSuite } from '../check-suite.js';
import type { Finding } from '../types.js';
import type { DeliveryLogEntry, QueuedMessage, Store, TlsRecord } from '../store/store.js';
import type { Classification } from './classification.js';

export type SendStatus = 'delivered' | 'deferred' | 'bounced' | 'suppressed' | 'expired';

export interface AttemptReport {
  at: string;
  mx: string | null;
  address: string | null;
  port: number | null;
  tls: TlsRecord | null;
  reply: { code: number | null; enhanced: string | null; text: string };
  classification: Classification | null;
}

export interface RecipientReport {
  recipient: string;
  status: SendStatus;
  reason: string | null;
  hard: boolean;
  suppressed: boolean;
  /** When a deferred recipient is due again (ISO 8601). */
  nextAttemptAt?: string;
  attempts: AttemptReport[];
}

export interface SendReport {
  messageId: string;
  queueId: string;
  recipients: RecipientReport[];
  findings: Finding[];
  summary: Record<SendStatus, number>;
}

/** One delivery-log row as the attempt the JSON documents show (send, queue run, log). */
export function attemptReport(e: DeliveryLogEntry): AttemptReport {
  return {
    at: new Date(e.at).toISOString(),
    mx: e.mx ?? null,
    address: e.address ?? null,
    port: e.port ?? null,
    tls: e.tls ?? null,
    reply: { code: e.replyCode ?? null, enhanced: e.enhancedCode ?? null, text: e.response ?? '' },
    classification: e.classification ?? null,
  };
}

/** Builds the report of message `queueId` from its log rows (and its queue entry while it is queued). */
export async function sendReport(store: Store, q: { queueId: string; messageId: string; recipients: readonly string[]; findings: readonly Finding[] }): Promise<SendReport> {
  const log = (await store.listDeliveries({ queueId: q.queueId })).reverse(); // oldest first
  const queued: QueuedMessage | undefined = await store.getQueued(q.queueId);
  const summary: Record<SendStatus, number> = { delivered: 0, deferred: 0, bounced: 0, suppressed: 0, expired: 0 };
  // Indexed once: a --separate send to thousands of recipients must not scan the log per recipient.
  const byRecipient = new Map<string, DeliveryLogEntry[]>();
  for (const e of log) {
    const list = byRecipient.get(e.recipient);
    if (list) list.push(e);
    else byRecipient.set(e.recipient, [e]);
  }
  const queuedByRecipient = new Map((queued?.recipients ?? []).map((r) => [r.recipient, r]));
  const recipients = q.recipients.map((recipient): RecipientReport => {
    const rows = byRecipient.get(recipient) ?? [];
    const last = rows[rows.length - 1];
    const inQueue = queuedByRecipient.get(recipient);
    let status: SendStatus = (last?.status as SendStatus | undefined) ?? 'deferred';
    if (inQueue && (inQueue.status === 'queued' || inQueue.status === 'sending')) status = 'deferred';
    summary[status]++;
    const r: RecipientReport = {
      recipient,
      status,
      // A recipient still queued waits for the queue's reason (a held one, e.g. warmup-cap, has no attempt yet).
      reason: status === 'suppressed' ? (inQueue?.reason ?? 'suppressed') : status === 'deferred' && inQueue?.reason ? inQueue.reason : (last?.classification?.reason ?? null),
      hard: status === 'bounced' ? !!last?.classification?.hard : false,
      suppressed: status === 'suppressed' || (status === 'bounced' && !!last?.classification?.suppress),
      attempts: rows.filter((e) => e.status !== 'suppressed').map(attemptReport),
    };
    if (status === 'deferred' && inQueue) r.nextAttemptAt = new Date(inQueue.nextAttemptAt).toISOString();
    return r;
  });
  return { messageId: q.messageId, queueId: q.queueId, recipients, findings: [...q.findings], summary };
}

/** 0 all delivered; 3 anything deferred or expired (not complete); 1 anything bounced or suppressed. */
export function sendExitCode(r: SendReport): 0 | 1 | 3 {
  if (r.summary.deferred > 0 || r.summary.expired > 0) return 3;
  if (r.summary.bounced > 0 || r.summary.suppressed > 0) return 1;
  return 0;
}


/**
 * A send as a CI report suite (--format junit|github): one case per recipient, failing unless it
 * was delivered (or skipped as suppressed), and one case for the message with the run's findings.
 */
export function sendSuite(report: SendReport, name = 'send'): CheckSuite {
  const cases: CheckSuite['cases'] = report.recipients.map((r) => {
    const last = r.attempts[r.attempts.length - 1];
    const reply = last ? ` — ${[last.reply.code, last.reply.enhanced, last.reply.text].filter((x) => x !== null && x !== '').join(' ')}` : '';
    const why = r.reason ? ` (${r.reason}${r.status === 'bounced' ? (r.hard ? ', hard' : ', soft') : ''})` : '';
    const findings: Finding[] = [];
    if (r.status === 'bounced') {
      findings.push({ code: 'RECIPIENT_BOUNCED', severity: 'error', check: 'send', message: `${r.recipient}: bounced${why}${reply}`, fix: r.suppressed ? 'The address is now suppressed; remove it from the list.' : 'See the reply: the cause is about the sender or the message, not the address.' });
    } else if (r.status === 'expired') {
      findings.push({ code: 'RECIPIENT_EXPIRED', severity: 'error', check: 'send', message: `${r.recipient}: expired after the queue lifetime${reply}`, fix: 'Find out why the receiver kept deferring (mailpace-cli probe <domain>) and send again.' });
    } else if (r.status === 'deferred') {
      findings.push({ code: 'RECIPIENT_DEFERRED', severity: 'warning', check: 'send', message: `${r.recipient}: deferred${why}${reply}${r.nextAttemptAt ? `; next attempt ${r.nextAttemptAt}` : ''}`, fix: 'It stays queued: mailpace-cli queue run --retry (or send with --retry).' });
    }
    return r.status === 'suppressed' ? { name: r.recipient, findings, skipped: `on the suppression list (${r.reason ?? 'suppressed'})` } : { name: r.recipient, findings, details: { status: r.status, attempts: r.attempts.length } };
  });
  cases.push({ name: `message ${report.messageId}`, findings: [...report.findings], details: { queueId: report.queueId } });
  return { name, cases, notices: [], properties: { queueId: report.queueId, messageId: report.messageId } };
}
