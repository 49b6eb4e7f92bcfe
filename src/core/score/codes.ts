/**
 * Finding codes of `score`'s built-in lint. Each has a default severity, a description, and a
 * weight: the points the built-in engine adds to a message's score for it, on Rspamd's default
 * scale (actions at 4 / 6 / 15, /etc/rspamd/actions.conf) so that `--max-score` means roughly the
 * same with either engine. Where Rspamd has a comparable stock symbol its default score is used
 * and named (scores from Debian's rspamd 3.4 /etc/rspamd/scores.d); the others are our judgement.
 *
 * Sources: RFC 5322 (message format), RFC 2045/2046 (MIME), RFC 2369 + RFC 8058 (List-Unsubscribe,
 * one-click), Gmail and Yahoo bulk-sender requirements (Feb 2024), Gmail's list of blocked file types
 * (support.google.com/mail/answer/6590).
 */
export const SCORE_FINDING_CODES = {
  LINT_NO_TEXT_PART: {
    severity: 'warning',
    description: 'The message has an HTML body and no text/plain alternative (RFC 2046 §5.1.4 multipart/alternative).',
  },
  LINT_IMAGE_ONLY: {
    severity: 'warning',
    description: 'The HTML body is images with almost no text: a classic spam shape that filters penalise.',
  },
  LINT_URL_SHORTENER: {
    severity: 'warning',
    description: 'A link goes through a public URL shortener, which hides the destination and is shared with spammers.',
  },
  LINT_ATTACHMENT_BLOCKED: {
    severity: 'warning',
    description: 'An attachment\'s extension is outside the allow-list; executables and scripts are always flagged (as errors).',
  },
  LINT_ATTACHMENT_LARGE: {
    severity: 'warning',
    description: 'An attachment is large enough to be refused or clipped by common mailbox providers.',
  },
  LINT_MISSING_DATE: { severity: 'warning', description: 'No Date header, which RFC 5322 §3.6 requires.' },
  LINT_MISSING_MESSAGE_ID: {
    severity: 'warning',
    description: 'No Message-ID header (RFC 5322 §3.6.4 SHOULD; Gmail asks bulk senders for one).',
  },
  LINT_FROM_INVALID: {
    severity: 'error',
    description: 'The From header is missing, unparseable, or lists several mailboxes without a Sender (RFC 5322 §3.6.2).',
  },
  LINT_SUBJECT_MISSING: { severity: 'warning', description: 'No Subject header, or an empty one.' },
  LINT_NO_UNSUBSCRIBE: {
    severity: 'error',
    description: 'A bulk message without a List-Unsubscribe header (RFC 2369 §3.2), which Gmail and Yahoo require of bulk senders.',
  },
  LINT_NO_ONE_CLICK_UNSUBSCRIBE: {
    severity: 'error',
    description:
      'A bulk message without one-click unsubscribe: an https List-Unsubscribe URI plus "List-Unsubscribe-Post: List-Unsubscribe=One-Click" (RFC 8058 §3.1).',
  },
  LINT_LINK_TEXT_MISMATCH: {
    severity: 'warning',
    description: 'A link\'s visible text shows one domain while its href goes to another: what phishing looks like.',
  },
  LINT_SIZE_LARGE: { severity: 'warning', description: 'The whole message is large enough to be refused by common mailbox providers.' },
  // Beyond the list:
  LINT_HTML_CLIPPED: {
    severity: 'info',
    description: 'The HTML body is over about 102 KB, where Gmail clips the message behind a "View entire message" link.',
  },
  LINT_LINE_TOO_LONG: {
    severity: 'warning',
    description: 'A line is longer than 998 octets, the limit of RFC 5322 §2.1.1; relays may break or reject it.',
  },
  LINT_UNDECLARED_8BIT: {
    severity: 'warning',
    description: 'Octets above 127 in a part not declared 8bit/binary (RFC 2045 §6.2: the default is 7bit), or in a header (RFC 5322 §2.2).',
  },
  LINT_MIME_UNPARSEABLE: {
    severity: 'error',
    description: 'The MIME structure could not be parsed (nesting or header limits exceeded); only the raw checks ran.',
  },
  LINT_MIME_MALFORMED: {
    severity: 'warning',
    description: 'The MIME structure is broken (unclosed multipart, missing boundary, invalid Content-Type); receivers parse such mail differently.',
  },
  LINT_LINK_BLOCKLISTED: {
    severity: 'error',
    description: 'A linked domain is listed on a domain blocklist (--check-links).',
  },
  LINT_LINK_CHECK_UNREACHABLE_CHECK: {
    severity: 'error',
    description: 'A blocklist lookup for a linked domain could not complete (--check-links); the verdict is partial.',
  },
} as const;

export type ScoreFindingCode = keyof typeof SCORE_FINDING_CODES;

/** The score against a threshold (`score --max-score`, the config's maxScore in `ci`): not a lint rule, so no weight. */
export const SCORE_VERDICT_CODES = {
  SCORE_ABOVE_MAX: {
    severity: 'error',
    description: 'The message scores above the allowed maximum (--max-score, or maxScore in the config file).',
  },
} as const;

/**
 * Points per finding for the built-in engine's score. A code found several times counts once
 * (like Rspamd's one_shot symbols), except where noted in lint.ts.
 */
export const LINT_WEIGHTS: Record<ScoreFindingCode, number> = {
  LINT_NO_TEXT_PART: 0.2, // Rspamd MIME_HTML_ONLY 0.2
  LINT_IMAGE_ONLY: 2.0, // Rspamd HTML_SHORT_LINK_IMG_1 2.0
  LINT_URL_SHORTENER: 1.0,
  LINT_ATTACHMENT_BLOCKED: 1.0, // executables: 4.0, as Rspamd MIME_BAD_EXTENSION's dynamic ceiling
  LINT_ATTACHMENT_LARGE: 0.5,
  LINT_MISSING_DATE: 1.0, // Rspamd MISSING_DATE 1.0
  LINT_MISSING_MESSAGE_ID: 2.5, // Rspamd MISSING_MID 2.5
  LINT_FROM_INVALID: 2.0, // Rspamd MISSING_FROM 2.0
  LINT_SUBJECT_MISSING: 2.0, // Rspamd MISSING_SUBJECT 2.0
  LINT_NO_UNSUBSCRIBE: 1.0,
  LINT_NO_ONE_CLICK_UNSUBSCRIBE: 1.0,
  LINT_LINK_TEXT_MISMATCH: 2.0,
  LINT_SIZE_LARGE: 0.5,
  LINT_HTML_CLIPPED: 0,
  LINT_LINE_TOO_LONG: 0.5,
  LINT_UNDECLARED_8BIT: 0.5,
  LINT_MIME_UNPARSEABLE: 3.0,
  LINT_MIME_MALFORMED: 1.5, // Rspamd BROKEN_CONTENT_TYPE 1.5
  LINT_LINK_BLOCKLISTED: 5.0,
  LINT_LINK_CHECK_UNREACHABLE_CHECK: 0,
};

/** Weight of an always-blocked (executable or script) attachment. */
export const EXECUTABLE_ATTACHMENT_WEIGHT = 4.0;
