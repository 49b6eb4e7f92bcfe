/** The organisational domain of RFC 7489 §3.2: one label below the public suffix (full Public Suffix List). */
import { getDomain } from 'tldts';

export function organizationalDomain(domain: string): string {
  return getDomain(domain, { allowPrivateDomains: true }) ?? domain;
}
