/**
 * Feedback-loop reports, RFC 5965 (ARF): a multipart/report with report-type=feedback-report whose
 * second part is message/feedback-report (Feedback-Type, User-Agent, Original-Rcpt-To, Source-IP,
 * Original-Mail-From, Arrival-Date) and whose third part is the reported message or its headers.
 */
import { parseHeaderBlock } from '../score/mime-structure.js';
import { addressValue } from './rfc3464.js';

export const FEEDBACK_TYPES = ['abuse', 'fraud', 'virus', 'other', 'not-spam', 'auth-failure'] as const;

export interface FeedbackReport {
  feedbackType: string;
  userAgent: string;
  originalRcptTo: string[];
  sourceIp: string;
  originalMailFrom: string;
  arrivalDate: string;
  removalRecipient: string;
}

export function parseFeedbackReport(text: string): FeedbackReport {
  const t = text.replace(/\r\n/g, '\n').replace(/^\s+/, '');
  // The fields are one block (RFC 5965 §3.1), but some reporters put blank lines between them.
  const headers = t.split(/\n\s*\n/).flatMap((b) => parseHeaderBlock(b, 0).headers);
  const all = (n: string) => headers.filter((h) => h.name === n).map((h) => h.value.replace(/\s+/g, ' ').trim());
  const one = (n: string) => all(n)[0] ?? '';
  return {
    feedbackType: one('feedback-type').toLowerCase(),
    userAgent: one('user-agent'),
    originalRcptTo: all('original-rcpt-to').map(addressValue).filter((a) => a.includes('@')),
    sourceIp: one('source-ip'),
    originalMailFrom: addressValue(one('original-mail-from')),
    arrivalDate: one('arrival-date') || one('received-date'),
    removalRecipient: addressValue(one('removal-recipient')),
  };
}
