/**
 * check-domain's DNSSEC and DANE checks.
 * DNSSEC: whether the zone's answers are validated (the AD bit a validating resolver sets, RFC 4035
 * §3.2.3 — our resolver asks for it in every query) or at least signed (DNSKEY in the zone, DS at the
 * parent). DANE (RFC 7672): the TLSA records at _25._tcp.<mx> for each MX host, decoded.
 */
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import type { DnsAnswer, RecordType } from '../dns/types.js';
import { DnsError } from '../errors.js';
import type { Finding } from '../types.js';
import { dnsFailureFinding, findingFor } from './check-runner.js';
import { organizationalDomain } from './org-domain.js';

/**
 * DNSSEC algorithm numbers (IANA "DNS Security Algorithm Numbers") with RFC 8624 §3.1's signing
 * recommendation: weak = MUST NOT or NOT RECOMMENDED for signing.
 */
export const DNSSEC_ALGORITHMS: Record<number, { name: string; weak: boolean }> = {
  1: { name: 'RSAMD5', weak: true },
  3: { name: 'DSA', weak: true },
  5: { name: 'RSASHA1', weak: true },
  6: { name: 'DSA-NSEC3-SHA1', weak: true },
  7: { name: 'RSASHA1-NSEC3-SHA1', weak: true },
  8: { name: 'RSASHA256', weak: false },
  10: { name: 'RSASHA512', weak: false },
  12: { name: 'ECC-GOST', weak: true },
  13: { name: 'ECDSAP256SHA256', weak: false },
  14: { name: 'ECDSAP384SHA384', weak: false },
  15: { name: 'ED25519', weak: false },
  16: { name: 'ED448', weak: false },
};

/** DS digest types (IANA "Delegation Signer (DS) Resource Record Digest Algorithms"); RFC 8624 §3.3. */
export const DS_DIGEST_TYPES: Record<number, { name: string; weak: boolean }> = {
  1: { name: 'SHA-1', weak: true },
  2: { name: 'SHA-256', weak: false },
  3: { name: 'GOST R 34.11-94', weak: true },
  4: { name: 'SHA-384', weak: false },
};

/** TLSA certificate usages (RFC 6698 §2.1.1; acronyms from RFC 7218 §2.1). */
export const TLSA_USAGES: Record<number, string> = { 0: 'PKIX-TA', 1: 'PKIX-EE', 2: 'DANE-TA', 3: 'DANE-EE' };
/** TLSA selectors (RFC 6698 §2.1.2, RFC 7218 §2.2). */
export const TLSA_SELECTORS: Record<number, string> = { 0: 'Cert', 1: 'SPKI' };
/** TLSA matching types (RFC 6698 §2.1.3, RFC 7218 §2.3), with the digest length in octets. */
export const TLSA_MATCHING_TYPES: Record<number, { name: string; octets: number | null }> = {
  0: { name: 'Full', octets: null },
  1: { name: 'SHA2-256', octets: 32 },
  2: { name: 'SHA2-512', octets: 64 },
};

export type DnssecStatus = 'validated' | 'signed' | 'unsigned' | 'unknown';

export interface DnssecKey {
  flags: number;
  algorithm: number;
  algorithmName: string;
  /** Secure Entry Point (flags bit 15): a key-signing key (RFC 4034 §2.1.1). */
  sep: boolean;
}

export interface DnssecDs {
  keyTag: number;
  algorithm: number;
  algorithmName: string;
  digestType: number;
  digestName: string;
}

export interface DnssecResult {
  /** validated: AD seen; signed: DNSKEY or DS present without AD; unsigned: neither; unknown: DNS failed. */
  status: DnssecStatus;
  /** A validating resolver vouched for the answers (AD bit). */
  validated: boolean;
  /** DNSKEY or DS records were found. */
  signed: boolean;
  /** The name DNSKEY/DS were found at (the domain, or its organisational domain), or null. */
  zone: string | null;
  dnskey: DnssecKey[];
  ds: DnssecDs[];
}

export interface TlsaInfo {
  usage: number;
  usageName: string;
  selector: number;
  selectorName: string;
  matchingType: number;
  matchingTypeName: string;
  /** The certificate association data, hex. */
  data: string;
  /** Why a sender would not use this record; [] when usable (RFC 7672 §3.1). */
  problems: string[];
}

export interface DaneHost {
  host: string;
  /** _25._tcp.<host> */
  name: string;
  tlsa: TlsaInfo[];
  /** The TLSA answer carried AD. */
  validated: boolean;
  /** At least one record a DANE sender would use. */
  usable: boolean;
}

export interface DaneResult {
  /** One entry per MX host checked (hosts whose TLSA lookup failed are left out). */
  hosts: DaneHost[];
  /** Some MX host has TLSA records. */
  present: boolean;
  /** Every MX host has a usable TLSA record. */
  allHosts: boolean;
}

export interface DaneInput {
  /** The domain's MX exchanges (from the MX check). */
  mxHosts: readonly string[];
}

function algorithmName(n: number): string {
  return DNSSEC_ALGORITHMS[n]?.name ?? `algorithm ${n}`;
}

async function ask<T extends RecordType>(deps: Deps, name: string, type: T): Promise<DnsAnswer<T>> {
  const a = await deps.resolver.query(name, type);
  if (isFailure(a)) throw answerError(a);
  return a;
}

export async function checkDnssec(deps: Deps, domain: string): Promise<{ result: DnssecResult; findings: Finding[] }> {
  const CHECK = 'dnssec';
  const finding = findingFor(CHECK);
  const result: DnssecResult = { status: 'unknown', validated: false, signed: false, zone: null, dnskey: [], ds: [] };
  const findings: Finding[] = [];
  try {
    const probe = async (name: string) => {
      // SOA and A carry AD too, so a validated answer is seen even for a name below the zone apex.
      const [dnskey, ds, soa, a] = await Promise.all([ask(deps, name, 'DNSKEY'), ask(deps, name, 'DS'), ask(deps, name, 'SOA'), ask(deps, name, 'A')]);
      return { dnskey, ds, ad: [dnskey, ds, soa, a].some((x) => x.ad) };
    };
    let at = domain;
    let p = await probe(domain);
    const org = organizationalDomain(domain);
    // The domain may sit below its zone's apex (mail.example.com in example.com): look there too.
    if (p.dnskey.records.length === 0 && p.ds.records.length === 0 && org !== domain) {
      const q = await probe(org);
      if (q.dnskey.records.length > 0 || q.ds.records.length > 0) at = org;
      p = { dnskey: q.dnskey, ds: q.ds, ad: p.ad || q.ad };
    }
    result.dnskey = p.dnskey.records.map((k) => ({ flags: k.flags, algorithm: k.algorithm, algorithmName: algorithmName(k.algorithm), sep: (k.flags & 1) === 1 }));
    result.ds = p.ds.records.map((d) => ({ keyTag: d.keyTag, algorithm: d.algorithm, algorithmName: algorithmName(d.algorithm), digestType: d.digestType, digestName: DS_DIGEST_TYPES[d.digestType]?.name ?? `digest type ${d.digestType}` }));
    result.signed = result.dnskey.length > 0 || result.ds.length > 0;
    result.validated = p.ad;
    result.zone = result.signed ? at : null;
    result.status = result.validated ? 'validated' : result.signed ? 'signed' : 'unsigned';

    if (result.status === 'unsigned') {
      findings.push(finding('DNSSEC_UNSIGNED', 'info', `${domain}'s zone is not DNSSEC-signed (no DNSKEY or DS${org !== domain ? ` at ${domain} or ${org}` : ''}, and the resolver did not vouch for its answers): DNS answers for it can be forged and DANE cannot be used.`, 'Enable DNSSEC signing at your DNS host, then publish the DS record it gives you at your registrar.'));
    } else if (result.status === 'signed') {
      findings.push(finding('DNSSEC_NOT_VALIDATED', 'info', `${at} publishes ${result.dnskey.length > 0 ? 'DNSKEY' : 'DS'} records, but the resolver did not set the AD bit: it does not validate DNSSEC, so the chain of trust was not verified.`, 'Re-run with --dns pointing at a validating resolver (e.g. a local unbound) to confirm validation.'));
    }
    if (result.dnskey.length > 0 && result.ds.length === 0) {
      findings.push(finding('DNSSEC_NO_DS', 'warning', `${at} publishes DNSKEY records but its parent zone has no DS for it: the chain of trust is broken and validators treat ${at} as unsigned.`, `Publish the DS record for ${at}'s key-signing key at your registrar (RFC 4035 §5).`, { dnskey: result.dnskey }));
    }
    const keyAlgs = [...new Set([...result.dnskey, ...result.ds].map((k) => k.algorithm))];
    if (keyAlgs.length > 0 && keyAlgs.every((n) => DNSSEC_ALGORITHMS[n]?.weak)) {
      findings.push(finding('DNSSEC_WEAK_ALGORITHM', 'warning', `${at} is signed only with ${keyAlgs.map(algorithmName).join(', ')}, which RFC 8624 §3.1 says must not (or should not) be used for signing; validators increasingly treat it as unsigned.`, 'Roll the zone to ECDSAP256SHA256 (13) or ED25519 (15).', { algorithms: keyAlgs }));
    } else if (result.ds.length > 0 && result.ds.every((d) => DS_DIGEST_TYPES[d.digestType]?.weak)) {
      findings.push(finding('DNSSEC_WEAK_ALGORITHM', 'warning', `Every DS record for ${at} uses digest ${[...new Set(result.ds.map((d) => d.digestName))].join(', ')}, which RFC 8624 §3.3 says must not be used.`, 'Publish a SHA-256 (type 2) DS record at your registrar and remove the SHA-1 one.', { ds: result.ds }));
    }
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    findings.push(dnsFailureFinding(CHECK, e));
  }
  return { result, findings };
}

/** Decodes one TLSA record and lists why an SMTP sender would not use it (RFC 7672 §3.1). */
export function decodeTlsa(r: { usage: number; selector: number; matchingType: number; data: string }): TlsaInfo {
  const problems: string[] = [];
  const usageName = TLSA_USAGES[r.usage] ?? `unknown usage ${r.usage}`;
  const selectorName = TLSA_SELECTORS[r.selector] ?? `unknown selector ${r.selector}`;
  const mt = TLSA_MATCHING_TYPES[r.matchingType];
  const matchingTypeName = mt?.name ?? `unknown matching type ${r.matchingType}`;
  if (!(r.usage in TLSA_USAGES)) problems.push(`usage ${r.usage} is not defined`);
  else if (r.usage === 0 || r.usage === 1) problems.push(`usage ${r.usage} (${usageName}) is not used for SMTP (RFC 7672 §3.1.3)`);
  if (!(r.selector in TLSA_SELECTORS)) problems.push(`selector ${r.selector} is not defined`);
  if (!mt) problems.push(`matching type ${r.matchingType} is not defined`);
  else if (mt.octets !== null && r.data.length !== mt.octets * 2) problems.push(`a ${mt.name} digest is ${mt.octets} octets, this one is ${r.data.length / 2}`);
  else if (r.data.length === 0) problems.push('the association data is empty');
  return { usage: r.usage, usageName, selector: r.selector, selectorName, matchingType: r.matchingType, matchingTypeName, data: r.data, problems };
}

export async function checkDane(deps: Deps, domain: string, input: DaneInput): Promise<{ result: DaneResult; findings: Finding[] }> {
  const CHECK = 'dane';
  const finding = findingFor(CHECK);
  const result: DaneResult = { hosts: [], present: false, allHosts: false };
  const findings: Finding[] = [];
  const hosts = [...new Set(input.mxHosts.map((h) => h.toLowerCase().replace(/\.$/, '')).filter((h) => h !== '' && h !== '.'))];
  const answers = await Promise.all(
    hosts.map(async (host): Promise<DaneHost | undefined> => {
      // RFC 7672 §3.2: the TLSA base domain of an MX host is _25._tcp.<host>.
      const name = `_25._tcp.${host}`;
      const a = await deps.resolver.query(name, 'TLSA');
      if (isFailure(a)) {
        findings.push(dnsFailureFinding(CHECK, answerError(a)));
        return undefined;
      }
      const tlsa = a.records.map(decodeTlsa);
      return { host, name, tlsa, validated: a.ad, usable: tlsa.some((t) => t.problems.length === 0) };
    }),
  );
  result.hosts = answers.filter((h): h is DaneHost => h !== undefined);
  const withTlsa = result.hosts.filter((h) => h.tlsa.length > 0);
  result.present = withTlsa.length > 0;
  result.allHosts = hosts.length > 0 && result.hosts.length === hosts.length && result.hosts.every((h) => h.usable);
  for (const h of withTlsa) {
    const pkix = h.tlsa.filter((t) => t.usage === 0 || t.usage === 1);
    const broken = h.tlsa.filter((t) => t.problems.some((p) => !p.startsWith('usage 0') && !p.startsWith('usage 1')));
    if (broken.length > 0) {
      findings.push(finding('DANE_TLSA_INVALID', 'warning', `${h.name} has ${broken.length} unusable TLSA record${broken.length > 1 ? 's' : ''}: ${broken.map((t) => t.problems.join(', ')).join('; ')}.${h.usable ? '' : ` No record for ${h.host} is usable, so DANE senders fall back to unauthenticated TLS.`}`, 'Publish "3 1 1 <SHA-256 of the server\'s public key>" (DANE-EE, SPKI, SHA2-256), the form RFC 7672 §3.1.1 recommends.', { host: h.host, records: broken }));
    }
    if (pkix.length > 0) {
      findings.push(finding('DANE_TLSA_PKIX_USAGE', 'warning', `${h.name} uses ${[...new Set(pkix.map((t) => `${t.usage} (${t.usageName})`))].join(' and ')}, which SMTP senders treat as unusable (RFC 7672 §3.1.3)${h.usable ? '' : `; ${h.host} therefore has no usable TLSA record`}.`, 'Use usage 3 (DANE-EE) or 2 (DANE-TA) instead.', { host: h.host }));
    }
    if (!h.validated) {
      findings.push(finding('DANE_TLSA_NOT_VALIDATED', 'info', `TLSA records at ${h.name} were not validated (no AD bit): either the resolver does not validate DNSSEC, or ${h.host}'s zone is unsigned — and senders use TLSA only from DNSSEC-secure answers (RFC 7672 §2.2).`, `Make sure ${h.host}'s zone is DNSSEC-signed, and re-run with --dns pointing at a validating resolver to confirm.`, { host: h.host }));
    }
  }
  if (withTlsa.length > 0 && withTlsa.length < result.hosts.length) {
    const missing = result.hosts.filter((h) => h.tlsa.length === 0).map((h) => h.host);
    findings.push(finding('DANE_PARTIAL', 'info', `MX host${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${domain} ${missing.length > 1 ? 'have' : 'has'} no TLSA record while ${withTlsa.map((h) => h.host).join(', ')} ${withTlsa.length > 1 ? 'do' : 'does'}: DANE senders authenticate only the hosts with TLSA.`, `Publish TLSA records at _25._tcp.<host> for ${missing.join(', ')} too.`, { missing }));
  }
  return { result, findings };
}
