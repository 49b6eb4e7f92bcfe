/**
 * Finding codes of `auth message`: what authenticating one received message found.
 * Sources: RFC 7208 §2.6 (SPF results), RFC 6376 §6.1 + RFC 8601 §2.7.1 (DKIM results),
 * RFC 7489 §3.1, §6.6 (DMARC alignment and policy), RFC 8617 §5.2 (ARC validation).
 * DNS failures that made a verdict temperror use the shared DNS_* codes with the mechanism as `check`.
 */
export const AUTH_FINDING_CODES = {
  AUTH_FROM_INVALID: { severity: 'error', description: 'The message has no From address or several: DMARC cannot be applied (RFC 7489 §6.6.1).' },
  AUTH_SPF_NOT_CHECKED: { severity: 'info', description: 'SPF was not evaluated because the connecting IP is unknown (give --ip).' },
  AUTH_SPF_FAIL: { severity: 'error', description: 'SPF fail: the domain says this IP is not allowed to send for it (RFC 7208 §2.6.4).' },
  AUTH_SPF_SOFTFAIL: { severity: 'warning', description: 'SPF softfail: the IP is probably not allowed to send for the domain (RFC 7208 §2.6.5).' },
  AUTH_SPF_NEUTRAL: { severity: 'warning', description: 'SPF neutral: the domain makes no assertion about this IP (RFC 7208 §2.6.3).' },
  AUTH_SPF_NONE: { severity: 'warning', description: 'SPF none: the checked domain publishes no SPF record (RFC 7208 §2.6.1).' },
  AUTH_SPF_PERMERROR: { severity: 'error', description: "SPF permerror: the domain's SPF record cannot be evaluated (RFC 7208 §2.6.7)." },
  AUTH_SPF_UNALIGNED: { severity: 'warning', description: 'SPF passed for a domain not aligned with From, so it does not count for DMARC (RFC 7489 §3.1.2).' },
  AUTH_DKIM_NONE: { severity: 'warning', description: 'The message carries no DKIM signature (RFC 6376).' },
  AUTH_DKIM_FAIL: { severity: 'error', description: 'A DKIM signature did not verify: bad signature or body hash (RFC 6376 §6.1.3).' },
  AUTH_DKIM_PERMERROR: { severity: 'error', description: 'A DKIM signature cannot be verified: no key, unusable key or malformed signature (RFC 6376 §6.1.1, §6.1.2).' },
  AUTH_DKIM_NEUTRAL: { severity: 'warning', description: 'A DKIM signature was not accepted, e.g. because it has expired (RFC 6376 §3.5 x=).' },
  AUTH_DKIM_WEAK_KEY: { severity: 'error', description: 'A DKIM signature uses an RSA key shorter than 1024 bits, which verifiers must not accept (RFC 8301 §3.2).' },
  AUTH_DKIM_UNALIGNED: { severity: 'warning', description: 'DKIM passed only for domains not aligned with From, so it does not count for DMARC (RFC 7489 §3.1.1).' },
  AUTH_DMARC_FAIL: { severity: 'error', description: 'DMARC fail: neither SPF nor DKIM produced a pass aligned with From (RFC 7489 §4.2).' },
  AUTH_DMARC_NONE: { severity: 'warning', description: 'The From domain publishes no DMARC record, so receivers apply no policy (RFC 7489 §6.6.3).' },
  AUTH_DMARC_POLICY_INVALID: { severity: 'warning', description: 'The DMARC record has no valid p= tag; p=none is assumed (RFC 7489 §6.6.3 step 6).' },
  AUTH_ARC_FAIL: { severity: 'warning', description: 'The ARC chain does not validate, so intermediaries\' results cannot be trusted (RFC 8617 §5.2).' },
} as const;
