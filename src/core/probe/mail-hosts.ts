/**
 * Where mail for a domain goes, the way a sending MTA works it out (RFC 5321 §5.1): the MX set in
 * preference order; no MX at all → the domain itself (implicit MX); a null MX "0 ." → nowhere
 * (RFC 7505). Every lookup goes through the injected Resolver.
 */
import type { Resolver } from '../dns/types.js';
import { answerError, isFailure } from '../dns/lookup.js';
import type { DnsError } from '../errors.js';
import { reverseName, ipFamily } from '../net/ip-address.js';

export interface MailHost {
  host: string;
  /** MX preference; 0 for the implicit MX. */
  priority: number;
  /** True when the domain has no MX and its own address records stand in (RFC 5321 §5.1). */
  implicit?: boolean;
}

export type MailHostsResult =
  | { kind: 'hosts'; hosts: MailHost[] }
  | { kind: 'null-mx' }
  | { kind: 'none'; reason: 'nxdomain' | 'no-address' }
  | { kind: 'dns-error'; error: DnsError };

function clean(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

export async function resolveMailHosts(resolver: Resolver, domain: string): Promise<MailHostsResult> {
  const mx = await resolver.query(domain, 'MX');
  if (isFailure(mx)) return { kind: 'dns-error', error: answerError(mx) };
  if (mx.status === 'ok' && mx.records.length > 0) {
    // RFC 7505 §3: a null MX is a single record with preference 0 and exchange "."
    const real = mx.records.filter((r) => clean(r.exchange) !== '');
    if (real.length === 0) return { kind: 'null-mx' };
    const seen = new Set<string>();
    const hosts = [...real]
      .sort((a, b) => a.priority - b.priority || clean(a.exchange).localeCompare(clean(b.exchange)))
      .filter((r) => !seen.has(clean(r.exchange)) && !!seen.add(clean(r.exchange)))
      .map((r) => ({ host: clean(r.exchange), priority: r.priority }));
    return { kind: 'hosts', hosts };
  }
  if (mx.status === 'nxdomain') return { kind: 'none', reason: 'nxdomain' };
  // No MX: the domain's own A/AAAA is the implicit MX (RFC 5321 §5.1).
  const addrs = await resolveAddresses(resolver, domain);
  if ('error' in addrs) return { kind: 'dns-error', error: addrs.error };
  if (addrs.addresses.length === 0) return { kind: 'none', reason: 'no-address' };
  return { kind: 'hosts', hosts: [{ host: clean(domain), priority: 0, implicit: true }] };
}

/** A then AAAA addresses of a host (asked concurrently); an IP literal is its own address. */
export async function resolveAddresses(resolver: Resolver, host: string): Promise<{ addresses: string[] } | { error: DnsError }> {
  const bare = host.replace(/^\[|\]$/g, '');
  if (ipFamily(bare)) return { addresses: [bare] };
  const [a, aaaa] = await Promise.all([resolver.query(host, 'A'), resolver.query(host, 'AAAA')]);
  // one family failing is not fatal when the other answered: a sender would use what it got
  const addresses = [...(a.status === 'ok' ? a.records.map((r) => r.address) : []), ...(aaaa.status === 'ok' ? aaaa.records.map((r) => r.address) : [])];
  if (addresses.length === 0) {
    if (isFailure(a)) return { error: answerError(a) };
    if (isFailure(aaaa)) return { error: answerError(aaaa) };
  }
  return { addresses };
}

/** PTR names of an address; [] when there is none; DnsError when DNS could not say. */
export async function lookupPtr(resolver: Resolver, ip: string): Promise<{ names: string[] } | { error: DnsError }> {
  const a = await resolver.query(reverseName(ip), 'PTR');
  if (isFailure(a)) return { error: answerError(a) };
  return { names: a.records.map((r) => clean(r.target)) };
}
