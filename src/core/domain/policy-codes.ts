/**
 * Finding codes of check-domain's transport and brand policy checks: MTA-STS, TLS-RPT, BIMI,
 * DNSSEC and DANE. Sources: RFC 8461 (MTA-STS), RFC 8460 (TLS-RPT),
 * draft-brand-indicators-for-message-identification-05 (BIMI), RFC 4033–4035 + RFC 8624 (DNSSEC),
 * RFC 6698 + RFC 7218 + RFC 7672 (DANE for SMTP).
 * The severity here is the default; a check may lower or raise one case (documented where it does).
 */
export const POLICY_FINDING_CODES = {
  // MTA-STS — RFC 8461
  MTA_STS_MISSING: { severity: 'info', description: 'No "v=STSv1" TXT record at _mta-sts.<domain>: senders deliver with opportunistic TLS only (RFC 8461 §3.1).' },
  MTA_STS_RECORD_INVALID: { severity: 'error', description: 'The _mta-sts TXT record does not parse, lacks a valid id=, or there is more than one: senders assume no policy (RFC 8461 §3.1).' },
  MTA_STS_POLICY_UNREACHABLE: { severity: 'error', description: 'The policy at https://mta-sts.<domain>/.well-known/mta-sts.txt could not be fetched: no address, connection or certificate failure, timeout, redirect or non-200 status (RFC 8461 §3.3).' },
  MTA_STS_POLICY_INVALID: { severity: 'error', description: 'The policy file is not text/plain, is larger than the size limit, or does not parse: senders discard it (RFC 8461 §3.2, §3.3).' },
  MTA_STS_TESTING: { severity: 'info', description: 'mode: testing: senders report failures (TLS-RPT) but still deliver without validated TLS (RFC 8461 §5).' },
  MTA_STS_MODE_NONE: { severity: 'info', description: 'mode: none: the domain withdraws its policy; senders do not apply MTA-STS (RFC 8461 §5, §8.3).' },
  MTA_STS_MX_MISMATCH: { severity: 'error', description: 'An MX host matches no "mx:" pattern of the policy: in enforce mode senders refuse to deliver to it (RFC 8461 §4.1). A warning in testing mode.' },
  MTA_STS_MAX_AGE_SHORT: { severity: 'warning', description: 'max_age under one day: the cached policy lapses between refreshes; RFC 8461 §3.2 expects "weeks or greater".' },
  // TLS-RPT — RFC 8460
  TLSRPT_MISSING: { severity: 'info', description: 'No "v=TLSRPTv1" TXT record at _smtp._tls.<domain>: senders cannot report TLS failures (RFC 8460 §3). A warning when MTA-STS or DANE is published, since their failures then go unseen.' },
  TLSRPT_INVALID: { severity: 'warning', description: 'The TLS-RPT record does not parse, has no valid rua=, or there is more than one: senders ignore it (RFC 8460 §3).' },
  // BIMI — draft-brand-indicators-for-message-identification-05
  BIMI_MISSING: { severity: 'info', description: 'No "v=BIMI1" TXT record at default._bimi.<domain> or at the organisational domain: no brand logo is shown.' },
  BIMI_DECLINED: { severity: 'info', description: 'The BIMI record has an empty l=: the domain explicitly declines to show a logo (BIMI draft §4.2).' },
  BIMI_INVALID: { severity: 'warning', description: 'The BIMI record does not parse, or l=/a= is not an https URL (l= must name an .svg file).' },
  BIMI_DMARC_NOT_ENFORCED: { severity: 'warning', description: 'BIMI needs DMARC at enforcement: p=quarantine or reject, pct=100 and sp not none (BIMI draft §4.3, Gmail and Yahoo BIMI requirements).' },
  BIMI_NO_VMC: { severity: 'info', description: 'No a= (Verified or Common Mark Certificate): Gmail and Apple Mail show BIMI logos only with one (Google Workspace "Set up BIMI"; Apple "BIMI in Apple Mail").' },
  BIMI_LOGO_UNREACHABLE: { severity: 'warning', description: 'With --fetch-bimi: the l= logo could not be downloaded (address, connection, certificate, timeout, redirect or status).' },
  BIMI_SVG_INVALID: { severity: 'warning', description: 'With --fetch-bimi: the logo is not SVG Tiny Portable/Secure (baseProfile="tiny-ps", version="1.2", a <title>, no scripts, animation or external references, at most 32 KiB).' },
  BIMI_VMC_UNREACHABLE: { severity: 'warning', description: 'With --fetch-bimi: the a= certificate could not be downloaded.' },
  BIMI_VMC_INVALID: { severity: 'warning', description: 'With --fetch-bimi: the a= file holds no readable certificate, it is outside its validity period, does not name the domain, or lacks the logotype extension (RFC 3709).' },
  // DNSSEC — RFC 4033–4035, RFC 8624
  DNSSEC_UNSIGNED: { severity: 'info', description: 'No DNSKEY or DS for the zone and no validated (AD) answer: the zone is not DNSSEC-signed, so DANE cannot be used (RFC 4033, RFC 7672 §2.2).' },
  DNSSEC_NOT_VALIDATED: { severity: 'info', description: 'DNSSEC records exist but the resolver did not set AD (RFC 4035 §3.2.3): it does not validate; use --dns with a validating resolver to confirm the chain.' },
  DNSSEC_NO_DS: { severity: 'warning', description: 'The zone publishes DNSKEY but its parent has no DS: the chain of trust is broken and validators treat the zone as unsigned (RFC 4035 §5).' },
  DNSSEC_WEAK_ALGORITHM: { severity: 'warning', description: 'Only DNSSEC algorithms or DS digest types that RFC 8624 §3.1/§3.3 says MUST NOT or NOT RECOMMENDED for signing are in use.' },
  // DANE for SMTP — RFC 6698, RFC 7218, RFC 7672
  DANE_TLSA_INVALID: { severity: 'warning', description: 'A TLSA record at _25._tcp.<mx> has an unknown usage, selector or matching type, or a digest of the wrong length: senders treat it as unusable (RFC 6698 §2.1, RFC 7672 §3.1).' },
  DANE_TLSA_PKIX_USAGE: { severity: 'warning', description: 'A TLSA record uses PKIX-TA(0) or PKIX-EE(1): SMTP senders treat these as unusable; use DANE-EE(3) or DANE-TA(2) (RFC 7672 §3.1.3).' },
  DANE_TLSA_NOT_VALIDATED: { severity: 'info', description: 'TLSA records were found but the answer was not validated (no AD): senders use TLSA only from DNSSEC-secure answers (RFC 7672 §2.2).' },
  DANE_PARTIAL: { severity: 'info', description: 'Some MX hosts have TLSA records and others do not: DANE senders authenticate only the hosts that do (RFC 7672 §2.2.1).' },
} as const;
