/**
 * Finding codes of `probe`: what a sending MTA meets at a recipient MX.
 * Sources: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 8996 (TLS 1.0/1.1 deprecated), RFC 6125
 * (certificate names), RFC 6647 (greylisting), RFC 8461 (MTA-STS), RFC 7672 (DANE for SMTP).
 * Codes for the same facts that check-domain already reports are reused, not redefined:
 * MX_NULL, MX_TARGET_UNRESOLVABLE, PTR_MISSING (src/core/domain/codes.ts); MTA_STS_RECORD_INVALID,
 * MTA_STS_POLICY_UNREACHABLE, MTA_STS_POLICY_INVALID, MTA_STS_MX_MISMATCH, DANE_TLSA_PKIX_USAGE,
 * DANE_TLSA_NOT_VALIDATED (src/core/domain/policy-codes.ts).
 */
export const PROBE_FINDING_CODES = {
  // reaching the host — RFC 5321 §3.1, §4.2
  SMTP_CONNECT_FAILED: { severity: 'error', description: 'No TCP connection to the MX on the SMTP port: refused, timed out or unreachable. Senders queue and retry, then bounce.' },
  SMTP_BANNER_ERROR: { severity: 'error', description: 'The server did not greet with 220: it refused service (554), sent something that is not SMTP, or never greeted (RFC 5321 §3.1).' },
  SMTP_ADDRESS_FAILED: { severity: 'warning', description: "One of the MX host's addresses could not be reached or refused at the greeting while another answered: senders move on to the next address (RFC 5321 §5.1), at the cost of a delay each time." },
  SMTP_SESSION_FAILED: { severity: 'error', description: 'The SMTP session broke after the greeting: EHLO/HELO refused, garbage or no reply to a command.' },
  PROBE_NO_MAIL_HOSTS: { severity: 'error', description: 'The domain has no MX and no A/AAAA record: there is nowhere to deliver mail (RFC 5321 §5.1).' },
  // STARTTLS and TLS versions — RFC 3207, RFC 8996, RFC 8446
  MX_NO_STARTTLS: { severity: 'warning', description: 'The MX does not offer STARTTLS: mail to it travels in plaintext (RFC 3207).' },
  STARTTLS_FAILED: { severity: 'error', description: 'STARTTLS is offered but no TLS session could be set up: most senders then defer or fall back to plaintext.' },
  TLS_NO_MODERN_VERSION: { severity: 'error', description: 'Neither TLS 1.2 nor TLS 1.3 is accepted; TLS 1.0 and 1.1 are deprecated (RFC 8996), so senders that insist on current TLS fail.' },
  TLS_LEGACY_VERSION_ACCEPTED: { severity: 'warning', description: 'TLS 1.0 or 1.1 is still accepted; both are deprecated (RFC 8996).' },
  TLS_VERSION_UNTESTABLE: { severity: 'info', description: "This machine's TLS library refused to offer a protocol version, so whether the server accepts it is unknown." },
  // certificate — RFC 5280, RFC 6125
  CERT_EXPIRED: { severity: 'error', description: 'The certificate is past its notAfter date: MTA-STS and DANE senders refuse it (RFC 5280 §4.1.2.5).' },
  CERT_NOT_YET_VALID: { severity: 'error', description: 'The certificate is not valid yet (notBefore is in the future).' },
  CERT_EXPIRING_SOON: { severity: 'warning', description: 'The certificate expires in less than 14 days.' },
  CERT_NAME_MISMATCH: { severity: 'warning', description: 'No subjectAltName (or, without SANs, CN) matches the MX host name under RFC 6125 §6.4 rules.' },
  CERT_UNTRUSTED: { severity: 'warning', description: 'The chain does not verify against the trust store (system roots plus --ca-file): self-signed, unknown CA or incomplete chain.' },
  // greylisting and the probe transaction — RFC 6647, RFC 5321 §4.2.5
  GREYLISTING_DETECTED: { severity: 'info', description: 'The probe recipient got a temporary "try later" reply that looks like greylisting (RFC 6647): first mail from a new sender is delayed.' },
  GREYLISTING_NOT_CLEARED: { severity: 'warning', description: 'With --greylist-wait, the recipient was still deferred when the wait ran out.' },
  RCPT_REJECTED: { severity: 'error', description: 'The probe recipient was refused with a 5xx reply (postmaster must be accepted, RFC 5321 §4.5.1).' },
  RCPT_DEFERRED: { severity: 'warning', description: 'The probe recipient got a 4xx reply that does not look like greylisting (rate limit, policy, local trouble).' },
  MAIL_FROM_REJECTED: { severity: 'warning', description: 'The probe sender was refused: the server may reject this client (reputation, missing PTR) or the sender domain.' },
  // MTA-STS — RFC 8461
  MTA_STS_ENFORCE_FAILURE: { severity: 'error', description: 'The host fails the TLS requirements of the domain\'s MTA-STS "enforce" policy (STARTTLS, trusted unexpired certificate naming the host): compliant senders will not deliver to it (RFC 8461 §4.2, §5).' },
  MTA_STS_TESTING_FAILURE: { severity: 'warning', description: 'The host fails the TLS requirements of the domain\'s MTA-STS "testing" policy: mail still flows, TLS-RPT reports the failure (RFC 8461 §4.2, §5).' },
  // DANE — RFC 7672, RFC 6698
  DANE_TLSA_MISMATCH: { severity: 'error', description: 'TLSA records are published but none matches the certificate chain: DANE senders defer mail (RFC 7672 §2.2).' },
  DANE_NO_STARTTLS: { severity: 'error', description: 'TLSA records are published but the host offers no working STARTTLS: DANE senders defer mail (RFC 7672 §2.2).' },
} as const;
