/**
 * Checks report, policy decides: this turns what the probe observed at one host into findings.
 * A pure function of the facts, so every rule is unit-tested without a server.
 */
import type { DnsError } from '../errors.js';
import { FINDING_CODES, type FindingCode } from '../finding-codes.js';
import { formatReply, type SmtpReply } from '../smtp/reply.js';
import type { TlsVersion } from '../smtp/tls-session.js';
import type { Finding, Severity } from '../types.js';
import type { TlsaLookup, TlsaVerdict } from './dane.js';
import type { HostReport } from './report.js';

export function finding(code: FindingCode, check: string, message: string, extra: { fix?: string; evidence?: unknown; severity?: Severity } = {}): Finding {
  const f: Finding = { code, severity: extra.severity ?? FINDING_CODES[code].severity, check, message };
  if (extra.fix) f.fix = extra.fix;
  if (extra.evidence !== undefined) f.evidence = extra.evidence;
  return f;
}

/** A DNS failure as the finding for the check that could not run. */
export function dnsFinding(err: DnsError, check: string, host?: string): Finding {
  const code: FindingCode = err.code === 'DNS_TIMEOUT' || err.code === 'DNS_SERVFAIL' || err.code === 'DNS_REFUSED' ? err.code : 'DNS_ERROR';
  return finding(code, check, err.message, {
    fix: 'retry, or point --dns at a resolver that answers for this name',
    evidence: { ...(host ? { host } : {}), qname: err.qname, qtype: err.qtype },
  });
}

export interface HostFacts {
  report: Omit<HostReport, 'findings'>;
  /** Why the probe stopped early at this host. */
  failure?: { stage: 'resolve' | 'connect' | 'banner' | 'session'; code: string; message: string; dnsError?: DnsError };
  /** STARTTLS was offered but the main session could not set TLS up: the error. */
  startTlsError?: string;
  ptrError?: DnsError;
  mailReply?: SmtpReply;
  rcptReply?: SmtpReply;
  /** --greylist-wait ran out while still refused. */
  greylistNotCleared?: boolean;
  versionsClientRefused: TlsVersion[];
  /** Clock time of the observation (certificate dates are judged against it). */
  now: number;
  dane?: { lookup: TlsaLookup; verdict?: TlsaVerdict };
}

const EXPIRY_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const SOON_DAYS = 14;

function versionList(vs: string[]): string {
  return vs.map((v) => v.replace('TLSv', 'TLS ').replace(/^TLS 1$/, 'TLS 1.0')).join(', ');
}

export function hostFindings(f: HostFacts): Finding[] {
  const r = f.report;
  const h = r.host;
  const ev = (extra: Record<string, unknown> = {}) => ({ host: h, address: r.address, ...extra });
  const out: Finding[] = [];

  if (f.failure?.stage === 'resolve') {
    if (f.failure.dnsError) out.push(dnsFinding(f.failure.dnsError, 'mx', h));
    else
      out.push(
        finding('MX_TARGET_UNRESOLVABLE', 'mx', `${h} has no A or AAAA record: nothing to connect to`, {
          fix: `publish an A/AAAA record for ${h}, or point the MX at a host that has one`,
          evidence: ev(),
        }),
      );
    return out;
  }
  if (r.failedAddresses && r.failedAddresses.length > 0 && f.failure?.stage !== 'connect') {
    // another address answered: mail still gets through, after a detour through the failing ones
    for (const a of r.failedAddresses) {
      out.push(
        finding('SMTP_ADDRESS_FAILED', 'smtp', `${h}: address ${a.address} failed (${a.message}); senders move on to the next address, and ${r.address} was probed`, {
          fix: `fix or withdraw the ${a.address.includes(':') ? 'AAAA' : 'A'} record ${a.address} of ${h}: every sender that picks it first is delayed`,
          evidence: ev({ failedAddress: a.address, error: a.code }),
        }),
      );
    }
  }
  if (f.failure?.stage === 'connect') {
    out.push(
      finding('SMTP_CONNECT_FAILED', 'smtp', `cannot connect to ${h} port ${r.port}: ${f.failure.message}`, {
        fix: r.port === 25 ? 'check that the MX listens on port 25 and that this network allows outbound port 25 (many cloud and home networks block it)' : `check that the host listens on port ${r.port}`,
        evidence: ev({ addresses: r.addresses, error: f.failure.code }),
      }),
    );
  }
  if (f.ptrError) out.push(dnsFinding(f.ptrError, 'ptr', h));
  else if (r.address && r.ptr === null && f.failure?.stage !== 'connect') {
    // PTR_MISSING is check-domain's code for sending IPs (an error there); an MX without reverse
    // DNS still receives mail, and only hurts when the same host also sends: a warning here.
    out.push(
      finding('PTR_MISSING', 'ptr', `${r.address}${r.address === h ? '' : ` (${h})`} has no PTR record`, {
        severity: 'warning',
        fix: `ask whoever runs ${r.address}'s address block to publish a PTR naming ${h} (and an A record back, RFC 1912 §2.1)`,
        evidence: ev(),
      }),
    );
  }
  if (f.failure?.stage === 'connect') return out;
  if (f.failure?.stage === 'banner') {
    out.push(
      finding('SMTP_BANNER_ERROR', 'smtp', `${h}: ${f.failure.message}`, {
        fix: r.banner && r.banner.code >= 500 ? 'the server refuses this client: check whether this IP is blocklisted by the receiver' : 'the server must greet with 220 promptly (RFC 5321 §3.1)',
        evidence: ev({ banner: r.banner, error: f.failure.code }),
      }),
    );
    return out;
  }
  if (f.failure?.stage === 'session') {
    out.push(finding('SMTP_SESSION_FAILED', 'smtp', `${h}: ${f.failure.message}`, { evidence: ev({ error: f.failure.code }) }));
  }

  // STARTTLS and versions
  const tls = r.tls;
  if (!r.starttls && !f.failure) {
    out.push(
      finding('MX_NO_STARTTLS', 'tls', `${h} does not offer STARTTLS: mail to it is sent in plaintext`, {
        fix: 'enable STARTTLS with a certificate for the MX name (Postfix: smtpd_tls_security_level = may)',
        evidence: ev({ ehlo: r.ehlo }),
      }),
    );
  }
  const versions = tls?.versions;
  const accepted = versions ? (Object.keys(versions) as TlsVersion[]).filter((v) => versions[v] === true) : [];
  if (r.starttls && !tls?.negotiated && accepted.length === 0) {
    out.push(
      finding('STARTTLS_FAILED', 'tls', `${h} offers STARTTLS but no TLS session could be set up${f.startTlsError ? `: ${f.startTlsError}` : ''}`, {
        fix: 'check the certificate/key configuration and the enabled protocol versions and ciphers',
        evidence: ev({ versionErrors: tls?.versionErrors }),
      }),
    );
  }
  if (versions && accepted.length > 0) {
    if (versions['TLSv1.2'] !== true && versions['TLSv1.3'] !== true && (versions['TLSv1.2'] === false || versions['TLSv1.3'] === false)) {
      out.push(
        finding('TLS_NO_MODERN_VERSION', 'tls', `${h} accepts only ${versionList(accepted)}: neither TLS 1.2 nor TLS 1.3`, {
          fix: 'enable TLS 1.2 and 1.3 (Postfix: smtpd_tls_protocols = >=TLSv1.2); update OpenSSL if it cannot',
          evidence: ev({ versions }),
        }),
      );
    }
    const legacy = accepted.filter((v) => v === 'TLSv1' || v === 'TLSv1.1');
    if (legacy.length > 0) {
      out.push(
        finding('TLS_LEGACY_VERSION_ACCEPTED', 'tls', `${h} still accepts ${versionList(legacy)} (deprecated by RFC 8996)`, {
          fix: 'disable TLS 1.0/1.1 (Postfix: smtpd_tls_protocols = >=TLSv1.2) once your senders all do TLS 1.2',
          evidence: ev({ versions }),
        }),
      );
    }
  }
  for (const v of f.versionsClientRefused) {
    out.push(finding('TLS_VERSION_UNTESTABLE', 'tls', `could not test ${versionList([v])} at ${h}: this machine's TLS library will not offer it`, { evidence: ev({ version: v, error: tls?.versionErrors?.[v] }) }));
  }

  // certificate
  const cert = tls?.certificate;
  if (cert) {
    if (cert.daysLeft < 0) {
      out.push(
        finding('CERT_EXPIRED', 'certificate', `${h}'s certificate expired on ${cert.validTo.slice(0, 10)}`, {
          fix: 'renew the certificate and reload the MTA',
          evidence: ev({ validTo: cert.validTo, subject: cert.subject }),
        }),
      );
    } else if (Date.parse(cert.validFrom) > f.now) {
      out.push(finding('CERT_NOT_YET_VALID', 'certificate', `${h}'s certificate is not valid before ${cert.validFrom}`, { fix: 'check the server clock and the certificate dates', evidence: ev({ validFrom: cert.validFrom }) }));
    } else if (cert.daysLeft < SOON_DAYS) {
      out.push(
        finding('CERT_EXPIRING_SOON', 'certificate', `${h}'s certificate expires in ${cert.daysLeft} day${cert.daysLeft === 1 ? '' : 's'} (${cert.validTo.slice(0, 10)})`, {
          fix: 'renew it now; check that automatic renewal (ACME) reloads the MTA',
          evidence: ev({ validTo: cert.validTo, daysLeft: cert.daysLeft }),
        }),
      );
    }
    if (cert.nameMatches === false) {
      out.push(
        finding('CERT_NAME_MISMATCH', 'certificate', `${h}'s certificate does not name ${cert.checkedName ?? h} (it names ${cert.altNames.join(', ') || cert.subject})`, {
          fix: `issue the certificate for ${cert.checkedName ?? h} (subjectAltName), or point the MX at a name the certificate covers`,
          evidence: ev({ altNames: cert.altNames, subject: cert.subject }),
        }),
      );
    }
    if (!cert.trusted && !EXPIRY_ERRORS.has(cert.trustError ?? '')) {
      out.push(
        finding('CERT_UNTRUSTED', 'certificate', `${h}'s certificate chain is not trusted${cert.selfSigned ? ' (self-signed)' : ''}${cert.trustError ? `: ${cert.trustError}` : ''}`, {
          fix: cert.selfSigned ? 'use a certificate from a public CA (e.g. Let\'s Encrypt)' : 'serve the full chain (leaf + intermediates), from a CA senders trust; pass --ca-file for a private CA',
          evidence: ev({ issuer: cert.issuer, trustError: cert.trustError, selfSigned: cert.selfSigned }),
        }),
      );
    }
  }

  // the probe transaction: MAIL FROM, RCPT TO (never DATA)
  const g = r.greylisting;
  if (f.mailReply && f.mailReply.code >= 400 && !g.detected) {
    out.push(
      finding('MAIL_FROM_REJECTED', 'smtp', `${h} refused the probe sender: ${formatReply(f.mailReply)}`, {
        fix: 'pass --mail-from with an address of a domain you control, and probe from a host with proper reverse DNS',
        evidence: ev({ reply: f.mailReply }),
      }),
    );
  }
  if (g.detected) {
    const after =
      g.acceptedAfterMs !== null
        ? `; accepted after ${(g.acceptedAfterMs / 1000).toFixed(1)} s${g.lastRefusedAfterMs !== undefined ? ` (still refused at ${(g.lastRefusedAfterMs / 1000).toFixed(1)} s)` : ''}`
        : '';
    out.push(
      finding('GREYLISTING_DETECTED', 'greylisting', `${h} greylists new senders: ${g.firstReply ? formatReply(g.firstReply) : ''}${after}`, {
        fix: 'first mail from a new sender is delayed until a retry; send from a stable IP and retry on 4xx (every MTA does), or ask the receiver to whitelist you',
        evidence: ev({ firstReply: g.firstReply, pattern: g.pattern, acceptedAfterMs: g.acceptedAfterMs }),
      }),
    );
    if (f.greylistNotCleared) {
      out.push(
        finding('GREYLISTING_NOT_CLEARED', 'greylisting', `${h} still deferred the recipient after ${((g.waitMs ?? 0) / 1000).toFixed(0)} s of retries`, {
          fix: 'wait longer (--greylist-wait 15m): many greylisters use 5–15 minute delays',
          evidence: ev({ retries: g.retries, lastRefusedAfterMs: g.lastRefusedAfterMs }),
        }),
      );
    }
  } else if (f.rcptReply && f.rcptReply.code >= 500) {
    out.push(
      finding('RCPT_REJECTED', 'smtp', `${h} rejected the probe recipient: ${formatReply(f.rcptReply)}`, {
        fix: 'check the recipient with --rcpt; if postmaster is refused, the domain breaks RFC 5321 §4.5.1 or refuses this client',
        evidence: ev({ reply: f.rcptReply }),
      }),
    );
  } else if (f.rcptReply && f.rcptReply.code >= 400) {
    out.push(
      finding('RCPT_DEFERRED', 'smtp', `${h} deferred the probe recipient: ${formatReply(f.rcptReply)}`, {
        fix: 'a temporary refusal that is not greylisting: rate limits, reputation or trouble at the receiver; retry later',
        evidence: ev({ reply: f.rcptReply }),
      }),
    );
  }

  // MTA-STS: the mx match (RFC 8461 §4.1), then the TLS requirements (§4.2)
  if (r.mtaSts && r.mtaSts.mode !== 'none') {
    const enforce = r.mtaSts.mode === 'enforce';
    if (!r.mtaSts.mxListed) {
      // check-domain's code for the same fact: an error under enforce, a warning under testing
      out.push(
        finding('MTA_STS_MX_MISMATCH', 'mta-sts', `${h} matches none of the mx patterns of the domain's MTA-STS ${r.mtaSts.mode} policy`, {
          severity: enforce ? 'error' : 'warning',
          fix: 'add the host to the policy\'s mx lines (and change the policy id), or point the MX at a listed host',
          evidence: ev({ mode: r.mtaSts.mode }),
        }),
      );
    }
    if (r.mtaSts.failures.length > 0) {
      out.push(
        finding(enforce ? 'MTA_STS_ENFORCE_FAILURE' : 'MTA_STS_TESTING_FAILURE', 'mta-sts', `${h} fails the domain's MTA-STS ${r.mtaSts.mode} policy: ${r.mtaSts.failures.join('; ')}`, {
          fix: enforce ? 'fix the host now: compliant senders do not deliver to it' : 'fix this before switching the policy to enforce',
          evidence: ev({ failures: r.mtaSts.failures }),
        }),
      );
    }
  }

  // DANE
  if (f.dane) {
    const { lookup, verdict } = f.dane;
    if (lookup.dnsError) out.push(dnsFinding(lookup.dnsError, 'dane', h));
    else if (lookup.records.length > 0) {
      if (!lookup.authenticated) {
        out.push(
          finding('DANE_TLSA_NOT_VALIDATED', 'dane', `${lookup.name} has TLSA records but the resolver did not mark them authenticated (AD=0)`, {
            fix: 'sign the zone with DNSSEC; or, if it is signed, ask through a validating resolver (--dns)',
            evidence: ev({ tlsa: lookup.name }),
          }),
        );
      }
      if (verdict && verdict.unusableUsages > 0) {
        out.push(
          finding('DANE_TLSA_PKIX_USAGE', 'dane', `${lookup.name} has ${verdict.unusableUsages} TLSA record(s) with usage 0/1, which SMTP senders ignore`, {
            fix: 'publish DANE-EE (3 1 1) or DANE-TA (2 1 1) records instead (RFC 7672 §3.1)',
            evidence: ev({ tlsa: lookup.name }),
          }),
        );
      }
      const tlsUp = !!tls && (tls.negotiated !== null || accepted.length > 0);
      if (!tlsUp && !f.failure) {
        out.push(finding('DANE_NO_STARTTLS', 'dane', `${h} publishes TLSA records but offers no working STARTTLS: DANE senders will not deliver`, { fix: 'enable STARTTLS, or withdraw the TLSA records', evidence: ev({ tlsa: lookup.name }) }));
      } else if (verdict && verdict.usable > 0 && !verdict.matched && cert) {
        out.push(
          finding('DANE_TLSA_MISMATCH', 'dane', `none of the TLSA records at ${lookup.name} matches the certificate ${h} presents`, {
            fix: 'publish TLSA records for the current key before rolling certificates (RFC 7671 §8.1), or update them now',
            evidence: ev({ tlsa: lookup.name, fingerprint256: cert.fingerprint256 }),
          }),
        );
      }
    }
  }
  return out;
}
