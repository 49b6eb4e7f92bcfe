/**
 * Enhanced mail system status codes: what "class.subject.detail" means.
 * Source: RFC 3463 §3 (classes), §3.x (subjects and details); additions registered by RFC 4954 §6
 * (X.7.8, X.7.9, X.7.11, X.7.12), RFC 5248 (the IANA registry), RFC 7372 (X.7.20–X.7.27),
 * RFC 8689 (X.7.30). Used to explain replies and, later, to classify bounces.
 */

/** RFC 3463 §3.1: the class says whether to retry. */
export const ENHANCED_CLASSES = {
  2: 'success',
  4: 'persistent transient failure: the same message may be delivered later',
  5: 'permanent failure: resending the same message will not succeed',
} as const;

/** RFC 3463 §3.2–§3.9: the subject says which part of the system the status is about. */
export const ENHANCED_SUBJECTS = {
  0: 'other or undefined status',
  1: 'addressing status',
  2: 'mailbox status',
  3: 'mail system status',
  4: 'network and routing status',
  5: 'mail delivery protocol status',
  6: 'message content or media status',
  7: 'security or policy status',
} as const;

/** "subject.detail" → meaning, independent of the class (RFC 3463 §3.x, RFC 5248 registry). */
export const ENHANCED_DETAILS: Readonly<Record<string, string>> = {
  '0.0': 'other undefined status',
  // X.1 addressing — RFC 3463 §3.2
  '1.0': 'other address status',
  '1.1': 'bad destination mailbox address (the mailbox does not exist)',
  '1.2': 'bad destination system address (the host part is wrong)',
  '1.3': 'bad destination mailbox address syntax',
  '1.4': 'destination mailbox address ambiguous',
  '1.5': 'destination address valid',
  '1.6': 'destination mailbox has moved, no forwarding address',
  '1.7': 'bad sender mailbox address syntax',
  '1.8': 'bad sender system address',
  '1.10': 'recipient address has a null MX (RFC 7505)',
  // X.2 mailbox — RFC 3463 §3.3
  '2.0': 'other or undefined mailbox status',
  '2.1': 'mailbox disabled, not accepting messages',
  '2.2': 'mailbox full',
  '2.3': 'message length exceeds the administrative limit',
  '2.4': 'mailing list expansion problem',
  // X.3 mail system — RFC 3463 §3.4
  '3.0': 'other or undefined mail system status',
  '3.1': 'mail system full',
  '3.2': 'system not accepting network messages',
  '3.3': 'system not capable of selected features',
  '3.4': 'message too big for system',
  '3.5': 'system incorrectly configured',
  '3.6': 'requested priority was changed (RFC 6710)',
  // X.4 network and routing — RFC 3463 §3.5
  '4.0': 'other or undefined network or routing status',
  '4.1': 'no answer from host',
  '4.2': 'bad connection',
  '4.3': 'directory server failure (e.g. DNS)',
  '4.4': 'unable to route',
  '4.5': 'mail system congestion',
  '4.6': 'routing loop detected',
  '4.7': 'delivery time expired',
  // X.5 protocol — RFC 3463 §3.6
  '5.0': 'other or undefined protocol status',
  '5.1': 'invalid command',
  '5.2': 'syntax error',
  '5.3': 'too many recipients',
  '5.4': 'invalid command arguments',
  '5.5': 'wrong protocol version',
  '5.6': 'authentication exchange line is too long (RFC 4954)',
  // X.6 content — RFC 3463 §3.7
  '6.0': 'other or undefined media error',
  '6.1': 'media not supported',
  '6.2': 'conversion required and prohibited',
  '6.3': 'conversion required but not supported',
  '6.4': 'conversion with loss performed',
  '6.5': 'conversion failed',
  '6.6': 'message content not available (RFC 4468)',
  '6.7': 'non-ASCII addresses not permitted for that sender/recipient (RFC 6531)',
  '6.8': 'UTF-8 string reply is required, but not permitted by the SMTP client (RFC 6531)',
  '6.9': 'UTF-8 header message cannot be transferred to one or more recipients (RFC 6531)',
  // X.7 security and policy — RFC 3463 §3.8, RFC 4954, RFC 7372, RFC 8689
  '7.0': 'other or undefined security status',
  '7.1': 'delivery not authorized, message refused (policy)',
  '7.2': 'mailing list expansion prohibited',
  '7.3': 'security conversion required but not possible',
  '7.4': 'security features not supported',
  '7.5': 'cryptographic failure',
  '7.6': 'cryptographic algorithm not supported',
  '7.7': 'message integrity failure',
  '7.8': 'authentication credentials invalid (RFC 4954)',
  '7.9': 'authentication mechanism is too weak (RFC 4954)',
  '7.10': 'encryption needed',
  '7.11': 'encryption required for the requested authentication mechanism (RFC 4954)',
  '7.12': 'a password transition is needed (RFC 4954)',
  '7.13': 'user account disabled',
  '7.14': 'trust relationship required',
  '7.15': 'priority level is too low (RFC 6710)',
  '7.16': 'message is too big for the specified priority (RFC 6710)',
  '7.17': 'mailbox owner has changed',
  '7.18': 'domain owner has changed',
  '7.19': 'RRVS test cannot be completed',
  '7.20': 'no passing DKIM signature found (RFC 7372)',
  '7.21': 'no acceptable DKIM signature found (RFC 7372)',
  '7.22': 'no valid author-matched DKIM signature found (RFC 7372)',
  '7.23': 'SPF validation failed (RFC 7372)',
  '7.24': 'SPF validation error (RFC 7372)',
  '7.25': 'reverse DNS validation failed (RFC 7372)',
  '7.26': 'multiple authentication checks failed (RFC 7372)',
  '7.27': 'sender address has a null MX (RFC 7505)',
  '7.28': 'mail flood detected (RFC 8098 registry)',
  '7.29': 'ARC validation failure (RFC 8617)',
  '7.30': 'REQUIRETLS support required (RFC 8689)',
};

export interface EnhancedCodeParts {
  class: 2 | 4 | 5;
  subject: number;
  detail: number;
}

export function splitEnhanced(code: string): EnhancedCodeParts | undefined {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})$/.exec(code);
  if (!m) return undefined;
  return { class: Number(m[1]) as 2 | 4 | 5, subject: Number(m[2]), detail: Number(m[3]) };
}

/** A human explanation: "persistent transient failure …: mailbox full", or undefined for malformed input. */
export function describeEnhancedCode(code: string): string | undefined {
  const p = splitEnhanced(code);
  if (!p) return undefined;
  const detail =
    ENHANCED_DETAILS[`${p.subject}.${p.detail}`] ??
    (ENHANCED_SUBJECTS as Record<number, string>)[p.subject] ??
    'unknown status';
  return `${ENHANCED_CLASSES[p.class]}: ${detail}`;
}
