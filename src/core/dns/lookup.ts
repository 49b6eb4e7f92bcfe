/**
 * Helpers for checks: turn a DnsAnswer into records, or a DnsError when DNS could not say.
 * NXDOMAIN and NODATA are both "no records" here; callers that care read answer.status.
 */
import { DnsError, type DnsErrorCode } from '../errors.js';
import type { DnsAnswer, RecordOf, RecordType, Resolver } from './types.js';

const ERROR_CODES: Record<string, DnsErrorCode> = {
  timeout: 'DNS_TIMEOUT',
  servfail: 'DNS_SERVFAIL',
  refused: 'DNS_REFUSED',
  error: 'DNS_BAD_RESPONSE',
};

export function isFailure<T extends RecordType>(a: DnsAnswer<T>): boolean {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, a.status);
}

export function answerError<T extends RecordType>(a: DnsAnswer<T>): DnsError {
  const code = ERROR_CODES[a.status] ?? 'DNS_BAD_RESPONSE';
  const what = ({ timeout: 'timed out', servfail: 'got SERVFAIL', refused: 'was refused', error: 'failed' } as Record<string, string>)[a.status] ?? 'failed';
  return new DnsError(code, a.name, a.type, `DNS ${a.type} query for ${a.name} ${what}${a.detail ? ` (${a.detail})` : ''}`);
}

/** Records of the asked type; [] for NXDOMAIN/NODATA; throws DnsError when DNS failed. */
export async function lookup<T extends RecordType>(resolver: Resolver, name: string, type: T): Promise<RecordOf<T>[]> {
  const a = await resolver.query(name, type);
  if (isFailure(a)) throw answerError(a);
  return a.records;
}

/** TXT strings at a name (each record's character-strings joined). */
export async function lookupTxt(resolver: Resolver, name: string): Promise<string[]> {
  return (await lookup(resolver, name, 'TXT')).map((r) => r.text);
}

/** A and AAAA addresses of a host, asked concurrently. */
export async function lookupAddresses(resolver: Resolver, host: string): Promise<{ addresses: string[]; answers: [DnsAnswer<'A'>, DnsAnswer<'AAAA'>] }> {
  const [a, aaaa] = await Promise.all([resolver.query(host, 'A'), resolver.query(host, 'AAAA')]);
  if (isFailure(a)) throw answerError(a);
  if (isFailure(aaaa)) throw answerError(aaaa);
  return { addresses: [...a.records.map((r) => r.address), ...aaaa.records.map((r) => r.address)], answers: [a, aaaa] };
}
