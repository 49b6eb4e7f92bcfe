/**
 * The MX certificate as a sender judges it: validity dates, chain trust (decided by the TLS
 * handshake against system roots plus --ca-file), self-signed, and whether it names the MX host.
 *
 * Name matching follows RFC 6125 §6.4 as tightened by RFC 9525 §6.3: DNS-IDs (subjectAltName
 * dNSName) first, the CN only when there is no DNS-ID (RFC 6125 §6.4.4); a wildcard is the whole
 * left-most label and stands for exactly one label; IP addresses match iPAddress SANs only.
 */
import { X509Certificate } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { canonicalIp, ipFamily } from '../net/ip-address.js';

export interface CertificateReport {
  subject: string;
  /** DNS names and IP addresses from subjectAltName. */
  altNames: string[];
  issuer: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  /** Whole days until validTo (negative once expired). */
  daysLeft: number;
  /** The chain verified against the trust store. */
  trusted: boolean;
  /** Why not (OpenSSL's code, e.g. "SELF_SIGNED_CERT_IN_CHAIN", "CERT_HAS_EXPIRED"). */
  trustError?: string;
  /** A SAN (or the CN, when there are no DNS SANs) matches the name; null when there was no name to check. */
  nameMatches: boolean | null;
  /** The name matched against. */
  checkedName?: string;
  selfSigned: boolean;
  /** SHA-256 of the DER certificate, hex. */
  fingerprint256: string;
  /** Certificates the server sent (leaf included). */
  chainLength: number;
}

export const DAY_MS = 86_400_000;

function normalizeName(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\.$/, '');
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(lower) ? lower : domainToASCII(lower) || lower;
}

/**
 * Does one presented DNS-ID match the reference name? Exact (case-insensitive, trailing dot
 * ignored), or "*.rest" where "*" is the entire left-most label and matches exactly one
 * non-empty label. Partial wildcards ("f*.example.com") and wildcards with fewer than two
 * labels after them ("*.com") never match (RFC 9525 §6.3, RFC 6125 §7.2).
 */
export function dnsIdMatches(presented: string, reference: string): boolean {
  const p = normalizeName(presented);
  const r = normalizeName(reference);
  if (p === '' || r === '') return false;
  if (!p.includes('*')) return p === r;
  const labels = p.split('.');
  if (labels[0] !== '*' || labels.slice(1).some((l) => l.includes('*'))) return false;
  if (labels.length < 3) return false;
  const rLabels = r.split('.');
  if (rLabels.length !== labels.length || rLabels[0] === '') return false;
  return rLabels.slice(1).join('.') === labels.slice(1).join('.');
}

export interface SubjectAltNames {
  dns: string[];
  ip: string[];
}

/** Reads Node's subjectAltName string ("DNS:a, DNS:b, IP Address:192.0.2.1"); quoted values are JSON. */
export function parseSubjectAltName(san: string | undefined): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], ip: [] };
  if (!san) return out;
  const re = /(DNS|IP Address|[A-Za-z ]+?):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
  for (const m of san.matchAll(re)) {
    let value = m[2]!.trim();
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        continue;
      }
    }
    if (m[1] === 'DNS') out.dns.push(value);
    else if (m[1] === 'IP Address') out.ip.push(value);
  }
  return out;
}

/** The CN from a subject in Node's "CN=…\nO=…" form. */
export function commonName(subject: string): string | undefined {
  for (const line of subject.split('\n')) {
    const m = /^CN=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** RFC 6125 §6.4 name check of a certificate against a host name or IP address. */
export function certificateMatchesName(name: string, san: SubjectAltNames, cn: string | undefined): boolean {
  const bare = name.replace(/^\[|\]$/g, '');
  if (ipFamily(bare)) {
    const want = canonicalIp(bare);
    return san.ip.some((ip) => canonicalIp(ip) === want);
  }
  if (san.dns.length > 0) return san.dns.some((d) => dnsIdMatches(d, bare));
  // RFC 6125 §6.4.4: the CN is consulted only when the certificate has no DNS-ID at all
  return cn !== undefined && dnsIdMatches(cn, bare);
}

function oneLine(dn: string): string {
  return dn.split('\n').filter((x) => x !== '').join(', ');
}

export interface AnalyzeOptions {
  /** The MX host name (preferred) or the address we connected to. */
  name?: string;
  authorized: boolean;
  authorizationError?: string;
  now: number;
}

/** Builds the report from the DER chain (leaf first) a TLS session recorded. */
export function analyzeCertificate(chain: readonly Buffer[], opts: AnalyzeOptions): CertificateReport | undefined {
  if (chain.length === 0) return undefined;
  const leaf = new X509Certificate(chain[0]!);
  const san = parseSubjectAltName(leaf.subjectAltName);
  const cn = commonName(leaf.subject);
  const validFrom = Date.parse(leaf.validFrom);
  const validTo = Date.parse(leaf.validTo);
  let selfSigned = false;
  try {
    selfSigned = leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey);
  } catch {
    selfSigned = false;
  }
  const report: CertificateReport = {
    subject: oneLine(leaf.subject),
    altNames: [...san.dns, ...san.ip],
    issuer: oneLine(leaf.issuer),
    validFrom: new Date(validFrom).toISOString(),
    validTo: new Date(validTo).toISOString(),
    daysLeft: Math.floor((validTo - opts.now) / DAY_MS),
    trusted: opts.authorized,
    nameMatches: opts.name ? certificateMatchesName(opts.name, san, cn) : null,
    selfSigned,
    fingerprint256: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
    chainLength: chain.length,
  };
  if (opts.name) report.checkedName = opts.name;
  if (!opts.authorized && opts.authorizationError) report.trustError = opts.authorizationError;
  return report;
}
