/**
 * Finding codes of `send`'s message preparation: the DKIM key it signs with, compared with what
 * the signing domain publishes. Sources: RFC 6376 §3.6 (key records), RFC 6376 §3.6.2.2 (several
 * records at one name), RFC 8463 §4.2 (Ed25519 keys).
 * A DNS failure on the key lookup is reported with the shared DNS_* codes (src/core/dns/codes.ts).
 */
export const DELIVERY_FINDING_CODES = {
  DKIM_KEY_MISMATCH: {
    severity: 'warning',
    description:
      'The key record at <selector>._domainkey.<domain> is not the public half of the private key used to sign (or does not parse, is revoked, or several records disagree): receivers will fail the signature (RFC 6376 §6.1.3).',
  },
  DKIM_KEY_NOT_PUBLISHED: {
    severity: 'warning',
    description: 'No key record at <selector>._domainkey.<domain>: receivers cannot verify the signature and treat it as failed (RFC 6376 §6.1.2).',
  },
} as const;
