/**
 * What `bounce parse` says about one message. Field names are a public contract (README, "bounce
 * parse" JSON schema): change them only with a schema change.
 */
import type { BounceReason } from '../delivery/classification.js';

export type BounceKind = 'bounce' | 'feedback' | 'auto-reply' | 'not-bounce' | 'unreadable';

export interface OriginalMessage {
  messageId: string;
  from: string;
  subject: string;
}

export interface BounceResult {
  recipient: string;
  /** Sisimai v5 reason name. */
  reason: BounceReason;
  /** Permanent and about the recipient (Sisimai's `hard`: userunknown, hostunknown, hasmoved, notaccept on 5xx). */
  hard: boolean;
  /** DSN status ("5.1.1"), "" when unknown. */
  status: string;
  /** SMTP reply code ("550"), "" when unknown. */
  replyCode: string;
  /** DSN Action ("failed", "delayed", …), "" when unknown. */
  action: string;
  diagnostic: string;
  remoteMta: string;
  feedbackType?: string;
  original?: OriginalMessage;
  /** Not in the JSON contract: what the shared classifier said (for --apply). */
  suppress?: boolean;
  soft?: boolean;
  /** Extra ARF/DSN fields (not part of the JSON contract's required fields). */
  lastAttemptDate?: string;
  userAgent?: string;
  sourceIp?: string;
  originalMailFrom?: string;
  arrivalDate?: string;
  feedbackId?: string;
}

export interface BounceMessage {
  file: string;
  messageId: string;
  kind: BounceKind;
  /** The decoder: "RFC3464", "Postfix", "Exim", "ARF", "RFC3834" …; "" when none applied. */
  format: string;
  results: BounceResult[];
  /** Why a message is unreadable. */
  error?: string;
}
