/**
 * DANE for SMTP (RFC 7672, RFC 6698): TLSA records at _<port>._tcp.<mx host> pin the MX's
 * certificate or its issuing CA. The probe compares them with the chain the server presented.
 * Only DANE-TA(2) and DANE-EE(3) apply to SMTP (RFC 7672 §3.1.3); with DANE-EE the name and dates
 * do not matter (RFC 7672 §3.1.1). Chain validation up to a DANE-TA anchor is not redone here:
 * a TA record "matches" when a certificate the server sent hashes to it.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { Resolver, TlsaRecord } from '../dns/types.js';
import { answerError, isFailure } from '../dns/lookup.js';
import type { DnsError } from '../errors.js';

/** RFC 6698 §2.1.1 certificate usages, with RFC 7218 acronyms. */
export const TLSA_USAGES = {
  0: 'PKIX-TA: CA constraint with PKIX validation (not for SMTP, RFC 7672 §3.1.3)',
  1: 'PKIX-EE: service certificate with PKIX validation (not for SMTP, RFC 7672 §3.1.3)',
  2: 'DANE-TA: trust anchor named by the record',
  3: 'DANE-EE: the server certificate (or its key) itself',
} as const;

export interface TlsaLookup {
  name: string;
  records: TlsaRecord[];
  /** The resolver vouched for the answer (AD bit, RFC 4035 §3.2.3). */
  authenticated: boolean;
  dnsError?: DnsError;
}

export async function lookupTlsa(resolver: Resolver, host: string, port: number): Promise<TlsaLookup> {
  const name = `_${port}._tcp.${host.replace(/\.$/, '')}`;
  const a = await resolver.query(name, 'TLSA');
  if (isFailure(a)) return { name, records: [], authenticated: false, dnsError: answerError(a) };
  return { name, records: a.records, authenticated: a.ad };
}

/** The bytes a TLSA record's selector picks from a certificate (RFC 6698 §2.1.2). */
function selected(der: Buffer, selector: number): Buffer | undefined {
  if (selector === 0) return der;
  if (selector === 1) return new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return undefined;
}

/** Does one record match one certificate (RFC 6698 §2.1.3 matching types)? */
export function tlsaMatchesCertificate(rec: Pick<TlsaRecord, 'selector' | 'matchingType' | 'data'>, der: Buffer): boolean {
  let data: Buffer | undefined;
  try {
    data = selected(der, rec.selector);
  } catch {
    return false;
  }
  if (!data) return false;
  const want = rec.data.toLowerCase();
  if (rec.matchingType === 0) return data.toString('hex') === want;
  if (rec.matchingType === 1) return createHash('sha256').update(data).digest('hex') === want;
  if (rec.matchingType === 2) return createHash('sha512').update(data).digest('hex') === want;
  return false;
}

export interface TlsaVerdict {
  /** Records with usage 2 or 3 and known selector/matching type. */
  usable: number;
  /** Records with usage 0 or 1. */
  unusableUsages: number;
  /** A usable record matched the presented chain. */
  matched: boolean;
  matchedRecord?: { usage: number; selector: number; matchingType: number };
}

/** Compares TLSA records with a chain (DER, leaf first). */
export function matchTlsa(records: readonly TlsaRecord[], chain: readonly Buffer[]): TlsaVerdict {
  const usable = records.filter((r) => (r.usage === 2 || r.usage === 3) && (r.selector === 0 || r.selector === 1) && r.matchingType >= 0 && r.matchingType <= 2);
  const verdict: TlsaVerdict = { usable: usable.length, unusableUsages: records.filter((r) => r.usage === 0 || r.usage === 1).length, matched: false };
  for (const r of usable) {
    // DANE-EE pins the leaf; DANE-TA pins a certificate above it (RFC 7671 §5.2)
    const candidates = r.usage === 3 ? chain.slice(0, 1) : chain.slice(1);
    if (candidates.some((c) => tlsaMatchesCertificate(r, c))) {
      verdict.matched = true;
      verdict.matchedRecord = { usage: r.usage, selector: r.selector, matchingType: r.matchingType };
      break;
    }
  }
  return verdict;
}
