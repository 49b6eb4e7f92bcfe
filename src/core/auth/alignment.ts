/**
 * DMARC identifier alignment (RFC 7489 §3.1): does a domain authenticated by SPF or DKIM match
 * the RFC5322.From domain, exactly (strict) or by organisational domain (relaxed)?
 *
 * We compute this ourselves instead of reading mailauth's answer: mailauth 4.9's getAlignment()
 * is always called with a truthy `strict` argument and falls through to the organisational-domain
 * comparison when the exact match fails, so adkim=s / aspf=s are never enforced.
 */
import { domainToASCII } from 'node:url';
import { getDomain } from 'tldts';

export const ALIGNMENT_MODES = {
  relaxed: 'r: the organisational domains must be equal (RFC 7489 §3.1.1, §3.1.2); the default',
  strict: 's: the domains must be identical (RFC 7489 §3.1.1, §3.1.2)',
} as const;
export type AlignmentMode = keyof typeof ALIGNMENT_MODES;

/** Lower-case A-label form without a trailing dot, so "Exämple.COM." and "xn--exmple-cua.com" compare equal. */
export function normalizeDomain(domain: string): string {
  const d = domain.trim().replace(/\.$/, '').toLowerCase();
  const ascii = domainToASCII(d);
  return ascii || d;
}

/**
 * The organisational domain (RFC 7489 §3.2): the public suffix plus one label, using the Public
 * Suffix List including its private section (so "alice.github.io" is its own organisation, as
 * mailauth also treats it when it looks up the policy). Names the list cannot place stand alone.
 */
export function organizationalDomain(domain: string): string {
  const d = normalizeDomain(domain);
  return getDomain(d, { allowPrivateDomains: true, allowIcannDomains: true }) ?? d;
}

export interface AlignmentCheck {
  aligned: boolean;
  /** "exact" when the domains are identical, "organizational" when only their organisational domains match. */
  match: 'exact' | 'organizational' | 'none';
}

/** Is `authenticated` aligned with `from` under `mode`? */
export function checkAlignment(authenticated: string, from: string, mode: AlignmentMode): AlignmentCheck {
  const a = normalizeDomain(authenticated);
  const f = normalizeDomain(from);
  if (a === f) return { aligned: true, match: 'exact' };
  if (organizationalDomain(a) === organizationalDomain(f)) {
    return { aligned: mode === 'relaxed', match: 'organizational' };
  }
  return { aligned: false, match: 'none' };
}

/** A sentence saying why an authenticated domain is or is not aligned with the From domain. */
export function explainAlignment(what: string, authenticated: string, from: string, mode: AlignmentMode, tag: 'aspf' | 'adkim'): string {
  const c = checkAlignment(authenticated, from, mode);
  const a = normalizeDomain(authenticated);
  const f = normalizeDomain(from);
  const modeText = `${mode} alignment, ${tag}=${mode[0]}`;
  if (c.match === 'exact') return `${what} ${a} is the From domain itself: aligned (${modeText}).`;
  if (c.match === 'organizational') {
    return c.aligned
      ? `${what} ${a} and the From domain ${f} share the organisational domain ${organizationalDomain(f)}: aligned (${modeText}).`
      : `${what} ${a} shares the organisational domain ${organizationalDomain(f)} with the From domain ${f}, but ${tag}=s requires exactly ${f}: not aligned.`;
  }
  const orgF = organizationalDomain(f);
  return `${what} ${a} is in another organisational domain (${organizationalDomain(a)}) than the From domain ${f}${orgF !== f ? ` (${orgF})` : ''}: not aligned.`;
}
