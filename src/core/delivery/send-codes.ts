/**
 * Finding codes of delivery: what the receivers' answers say the sender should fix, and TLS
 * policy outcomes. Recipient outcomes themselves (delivered, deferred, bounced …) are statuses,
 * not findings; a finding names a cause and the command that looks into it.
 */
export const SEND_FINDING_CODES = {
  TLS_REQUIRED: {
    severity: 'error',
    description: '--tls required, and a host offered no STARTTLS or the TLS handshake failed: the recipients there were deferred, nothing was sent in plaintext.',
  },
  MTA_STS_POLICY_FAILED: {
    severity: 'error',
    description:
      'The recipient domain publishes an MTA-STS policy in enforce mode and the MX host did not satisfy it (host not in the policy, no STARTTLS, or a certificate that does not verify for the host name): delivery deferred (RFC 8461 §5.1).',
  },
  MTA_STS_POLICY_CACHED: {
    severity: 'info',
    description:
      'No live MTA-STS policy could be had for the recipient domain (record gone, DNS or the policy host failing), so the policy cached from an earlier fetch was applied until its max_age ends (RFC 8461 §3.3).',
  },
  DANE_FAILED: {
    severity: 'error',
    description: "The MX host's certificate does not match its DNSSEC-validated TLSA records, or it offered no TLS: delivery deferred (RFC 7672 §2.2).",
  },
  TLS_NOT_USED: {
    severity: 'warning',
    description: 'Mail was delivered in plaintext: the receiving host offered no STARTTLS (RFC 3207). Anyone on the path could read it.',
  },
  TLS_VERSION_OLD: {
    severity: 'warning',
    description: 'The session negotiated TLS 1.0 or 1.1, which RFC 8996 deprecates; the receiver should offer TLS 1.2 or later.',
  },
  SEND_BLOCKLISTED: {
    severity: 'error',
    description: "The receiver refused the sending IP or domain because of a DNS blocklist or its reputation service; the reply names the list when it can.",
  },
  SEND_RATE_LIMITED: {
    severity: 'warning',
    description: 'The receiver asked us to slow down (rate limit or too many connections): the whole destination was held back, not only the recipient.',
  },
  SEND_AUTH_FAILED: {
    severity: 'error',
    description: 'The receiver rejected the message because SPF, DKIM or DMARC did not pass for the sending domain.',
  },
  SEND_CONTENT_REJECTED: {
    severity: 'error',
    description: 'The receiver rejected the message as spam, for a virus, or for its content or size.',
  },
  SEND_PTR_REQUIRED: {
    severity: 'error',
    description: 'The receiver refused the connection because the sending IP has no (matching) reverse DNS.',
  },
  RELAY_AUTH_FAILED: {
    severity: 'error',
    description: 'The relay refused our SMTP AUTH login (RFC 4954 §6: 535 5.7.8 bad credentials; 454 temporary): nothing was sent through it.',
  },
  RECIPIENT_SUPPRESSED: {
    severity: 'info',
    description: 'The recipient is on the suppression list (an earlier hard bounce, complaint or manual entry) and was skipped; --force sends anyway.',
  },
  RECIPIENT_BOUNCED: {
    severity: 'error',
    description: 'send/queue run in a CI report (--format junit|github): the recipient was refused (5xx); the reply and its classification are in the message.',
  },
  RECIPIENT_EXPIRED: {
    severity: 'error',
    description: 'send/queue run in a CI report: the recipient was still deferred when the queue lifetime (--max-age) ran out.',
  },
  RECIPIENT_DEFERRED: {
    severity: 'warning',
    description: 'send/queue run in a CI report: the recipient is not delivered yet (4xx, network failure or a warm-up cap) and stays queued for queue run.',
  },
  WARMUP_CAP_REACHED: {
    severity: 'info',
    description: "send --warmup: a provider's daily or hourly cap for this sending day of the plan (or the sending hours) is used up; its remaining recipients stay queued (deferred, reason warmup-cap) until the next hour or day with room.",
  },
} as const;

export type SendFindingCode = keyof typeof SEND_FINDING_CODES;
