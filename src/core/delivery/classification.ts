/**
 * The one vocabulary for "what did the receiver say, and what do we do about it". An SMTP reply, a
 * DSN's Status/Diagnostic-Code, a log line's dsn=/said: text and a simulated receiver's answer all
 * become a ClassifyInput and come out of classify() (classify.ts) as the same Classification.
 *
 * Reasons are Sisimai's (v5) names, so results compare with the field's reference parser
 * (Sisimai::Reason, https://libsisimai.org/en/reason/).
 */

export const BOUNCE_REASONS = {
  delivered: 'The message was accepted (2xx).',
  userunknown: 'The recipient mailbox does not exist.',
  hostunknown: 'The recipient domain does not exist or has no mail host (includes null MX, RFC 7505).',
  hasmoved: 'The recipient has moved and left no forwarding address (5.1.6).',
  suspend: 'The recipient mailbox is disabled, suspended or inactive.',
  mailboxfull: 'The recipient mailbox is full or over quota.',
  exceedlimit: 'The message exceeds the recipient mailbox size limit.',
  filtered: "The recipient's own filter refused the message (after DATA, or by the recipient's preferences).",
  mesgtoobig: 'The message is larger than the receiving server accepts (5.3.4).',
  blocked: "The sender's IP address or host is blocked (blocklist, bad reputation, no rDNS).",
  spamdetected: 'The receiver judged the message to be spam.',
  virusdetected: 'The receiver found a virus or malware in the message.',
  policyviolation: "The message breaks the receiver's policy (content or sender policy).",
  contenterror: 'The message content is malformed or not accepted (5.6.x).',
  notcompliantrfc: 'The message is not RFC 5322 compliant (duplicate or missing headers).',
  rejected: 'The sender (envelope or header From) was rejected.',
  securityerror: 'A security problem: TLS required or failed, authentication required, certificate.',
  authfailure: 'SPF, DKIM or DMARC did not pass at the receiver.',
  requireptr: 'The sending IP has no (matching) reverse DNS.',
  notaccept: 'The receiving domain accepts no mail (null MX, or the host refuses all mail).',
  norelaying: 'The receiver refused to relay for the recipient domain.',
  toomanyconn: 'Too many connections or recipients at once.',
  speeding: 'Rate limited: too many messages in too short a time.',
  systemerror: 'The receiving system failed (its own error, misconfiguration, loop).',
  systemfull: 'The receiving system is out of disk or resources.',
  networkerror: 'The network failed: DNS, connection refused, timeout, TLS handshake, dropped connection.',
  expired: 'Delivery kept failing temporarily until the queue lifetime ran out.',
  syntaxerror: 'The receiver did not understand a command we sent (5.5.x).',
  mailererror: 'The remote mailer program failed.',
  badreputation: "The sender domain's or IP's reputation is too low.",
  emailtoolarge: 'Deprecated alias kept for old Sisimai data: see mesgtoobig.',
  onhold: 'The bounce could not be decided yet (held).',
  feedback: 'A feedback-loop complaint (ARF) about the message.',
  vacation: 'An auto-reply (out of office); not a bounce.',
  undefined: 'No pattern matched: the reply or report does not say why.',
} as const;

export type BounceReason = keyof typeof BOUNCE_REASONS;

/** Where in the transaction the reply came (some codes mean different things per stage). */
export type SmtpStage = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'auth' | 'mail' | 'rcpt' | 'data' | 'message' | 'unknown';

export interface ClassifyInput {
  /** SMTP reply code (250, 450, 550 …); undefined for network failures or a DSN without one. */
  code?: number;
  /** RFC 3463 enhanced status code ("5.1.1"), when the reply or the DSN's Status: field gave one. */
  enhanced?: string;
  /** The reply text or Diagnostic-Code text ("" when none). */
  text: string;
  stage?: SmtpStage;
  /** A transport failure instead of a reply ("ECONNREFUSED", "ETIMEDOUT", "TLS", …). */
  networkError?: string;
}

export interface Classification {
  reason: BounceReason;
  /**
   * Permanent failure (5xx, or a DSN with Action: failed and a 5.x.x status). Sisimai's `hard`
   * for recipient-level reasons; a 5xx policy block is still hard: resending the same message
   * the same way will not succeed.
   */
  hard: boolean;
  /** Add the recipient to the suppression list: only what is about the recipient itself. */
  suppress: boolean;
  /** Retrying later may succeed (4xx, network trouble). */
  retry: boolean;
  /** The blocklist the reply names ("zen.spamhaus.org", "Spamhaus", "S3150" …), when it names one. */
  blocklist?: string;
  /** The receiver asks us to slow down for the whole destination, not just this recipient. */
  rateLimited?: boolean;
  /** The reply looks like greylisting (retry after the greylisting delay, not sooner). */
  greylisted?: boolean;
  /** "try again in N seconds/minutes": the receiver's own wait, in ms. */
  retryAfterMs?: number;
  /** Counted rather than suppressed at once (mailbox full: suppressed after repeated bounces over days). */
  soft?: boolean;
  /** Which table row matched (for --verbose and tests): "gmail-ratelimit", "enhanced:5.1.1" … */
  rule?: string;
}
