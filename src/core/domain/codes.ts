/**
 * Finding codes of check-domain's SPF, DKIM, DMARC and MX checks, and of the domain itself.
 * Sources: RFC 7208 (SPF), RFC 6376 + RFC 8301 + RFC 8463 (DKIM), RFC 7489 (DMARC), RFC 5321 / RFC 7505 (MX),
 * RFC 8020 (NXDOMAIN: nothing underneath).
 */
export const DOMAIN_FINDING_CODES = {
  // The domain itself — RFC 8020 §2
  DOMAIN_NOT_FOUND: { severity: 'error', description: 'The domain does not exist in DNS: NXDOMAIN for the name itself, so nothing below it exists either (RFC 8020 §2); the record checks are skipped.' },
  // SPF — RFC 7208
  SPF_MISSING: { severity: 'error', description: 'No TXT record starting "v=spf1" at the domain (RFC 7208 §4.5: result none).' },
  SPF_MULTIPLE_RECORDS: { severity: 'error', description: 'More than one SPF record: every evaluation is a permerror (RFC 7208 §4.5).' },
  SPF_SYNTAX_ERROR: { severity: 'error', description: 'The SPF record does not parse (RFC 7208 §12 ABNF): permerror.' },
  SPF_TOO_MANY_LOOKUPS: { severity: 'error', description: 'More than 10 DNS-querying terms (RFC 7208 §4.6.4): permerror at receivers.' },
  SPF_TOO_MANY_VOID_LOOKUPS: { severity: 'warning', description: 'More than 2 lookups return no answer (RFC 7208 §4.6.4): permerror at receivers.' },
  SPF_MX_TOO_MANY_HOSTS: { severity: 'error', description: 'An "mx" mechanism names more than 10 MX hosts (RFC 7208 §4.6.4): permerror.' },
  SPF_PTR_MECHANISM: { severity: 'warning', description: 'The "ptr" mechanism is slow, unreliable and SHOULD NOT be used (RFC 7208 §5.5).' },
  SPF_PLUS_ALL: { severity: 'error', description: '"+all" (or "all") authorises every host on the Internet to send as the domain.' },
  SPF_NEUTRAL_ALL: { severity: 'warning', description: '"?all" gives no protection: unlisted senders are neutral.' },
  SPF_NO_ALL: { severity: 'warning', description: 'No terminal "all" and no "redirect": unlisted senders get neutral.' },
  SPF_INCLUDE_LOOP: { severity: 'error', description: 'An include/redirect chain comes back to a domain already being evaluated.' },
  SPF_INCLUDE_MISSING: { severity: 'error', description: 'An include/redirect target has no SPF record: permerror (RFC 7208 §5.2, §6.1).' },
  SPF_DEPRECATED_TYPE: { severity: 'info', description: 'An SPF (type 99) record exists; RFC 7208 §3.1 removed it, only TXT is used.' },
  SPF_RECORD_TOO_LONG: { severity: 'warning', description: 'The SPF answer exceeds 512 octets; some receivers fail over UDP (RFC 7208 §3.4).' },
  SPF_ALL_NOT_LAST: { severity: 'warning', description: 'Terms after "all" are never evaluated (RFC 7208 §5.1).' },
  SPF_REDIRECT_IGNORED: { severity: 'info', description: '"redirect" is ignored when the record contains "all" (RFC 7208 §6.1).' },
  // DKIM — RFC 6376, RFC 8301, RFC 8463
  DKIM_KEY_MISSING: { severity: 'error', description: 'A selector named with --selector has no DKIM key record.' },
  DKIM_KEY_TOO_SHORT: { severity: 'error', description: 'RSA key under 1024 bits: verifiers MUST NOT accept it (RFC 8301 §3.2).' },
  DKIM_KEY_WEAK: { severity: 'warning', description: 'RSA key under 2048 bits; 2048 is what RFC 8301 §3.2 asks signers to use.' },
  DKIM_TESTING: { severity: 'warning', description: 't=y: the domain is testing DKIM; verifiers may ignore failures (RFC 6376 §3.6.1).' },
  DKIM_STRICT_SUBDOMAIN: { severity: 'info', description: 't=s: the i= domain must equal d=, subdomains may not sign (RFC 6376 §3.6.1).' },
  DKIM_SHA1_ALLOWED: { severity: 'warning', description: 'h= allows sha1, which verifiers must not accept (RFC 8301 §3.1).' },
  DKIM_KEY_REVOKED: { severity: 'warning', description: 'Empty p=: the key has been revoked (RFC 6376 §3.6.1).' },
  DKIM_RECORD_INVALID: { severity: 'error', description: 'The DKIM key record does not parse or its key cannot be read.' },
  DKIM_NONE_FOUND: { severity: 'info', description: 'No --selector was given and none of the common selectors has a key.' },
  // DMARC — RFC 7489
  DMARC_MISSING: { severity: 'error', description: 'No DMARC record at _dmarc.<domain> or at the organisational domain.' },
  DMARC_MULTIPLE_RECORDS: { severity: 'error', description: 'More than one DMARC record: receivers ignore them all (RFC 7489 §6.6.3).' },
  DMARC_SYNTAX_ERROR: { severity: 'error', description: 'The DMARC record does not parse (RFC 7489 §6.4).' },
  DMARC_POLICY_NONE: { severity: 'warning', description: 'p=none: failing mail is delivered as if DMARC did not exist.' },
  DMARC_NO_RUA: { severity: 'warning', description: 'No rua=: the domain receives no aggregate reports and cannot see abuse or breakage.' },
  DMARC_PCT_PARTIAL: { severity: 'warning', description: 'pct below 100: the policy applies only to part of the failing mail.' },
  DMARC_RUA_NOT_AUTHORIZED: { severity: 'warning', description: 'A report destination in another organisational domain lacks the authorisation record (RFC 7489 §7.1).' },
  DMARC_SUBDOMAIN_POLICY_NONE: { severity: 'info', description: 'sp=none while p enforces: subdomains can be spoofed.' },
  // MX — RFC 5321 §5, RFC 7505
  MX_MISSING: { severity: 'warning', description: 'No MX record: mail goes to the domain\'s A/AAAA (RFC 5321 §5.1), bounces are undeliverable if there is none.' },
  MX_NULL: { severity: 'info', description: 'Null MX "0 .": the domain declares it accepts no mail (RFC 7505).' },
  MX_TARGET_UNRESOLVABLE: { severity: 'error', description: 'An MX exchange has no A or AAAA record.' },
  MX_TARGET_CNAME: { severity: 'warning', description: 'An MX exchange is a CNAME, which RFC 2181 §10.3 forbids.' },
  MX_TARGET_IP: { severity: 'error', description: 'An MX exchange is an IP address literal, not a host name (RFC 7505 §3, RFC 5321 §5.1).' },
  // Sending IPs — Gmail/Yahoo/Microsoft sender requirements (valid forward and reverse DNS)
  PTR_MISSING: { severity: 'error', description: 'A sending IP has no PTR (reverse DNS) record.' },
  PTR_NOT_FORWARD_CONFIRMED: { severity: 'error', description: 'The PTR name of a sending IP does not resolve back to that IP (no FCrDNS).' },
  PTR_GENERIC: { severity: 'warning', description: 'The PTR name of a sending IP looks generic or dynamic (embeds the IP, "dynamic", "pool", …).' },
  SPF_IP_NOT_AUTHORIZED: { severity: 'error', description: 'An IP given with --ip would not pass SPF for the domain.' },
  // Bulk senders — Gmail/Yahoo (Feb 2024), Microsoft (May 2025); see bulk-sender.ts
  BULK_REQUIREMENT_FAILED: { severity: 'error', description: 'A requirement of Gmail, Yahoo or Microsoft for bulk senders is not met (--profile bulk).' },
} as const;
