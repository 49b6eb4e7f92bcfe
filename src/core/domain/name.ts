/**
 * Domain names as users type them → the ASCII form we query.
 * IDNs become punycode (UTS #46 via Node's WHATWG URL code), case and a trailing dot are normalised.
 */
import { domainToASCII } from 'node:url';
import { UsageError } from '../errors.js';

/** Returns the reason a normalised ASCII name is not a valid host/domain name, or undefined. */
export function domainNameProblem(ascii: string): string | undefined {
  if (ascii.length === 0) return 'empty name';
  if (ascii.length > 253) return `longer than 253 characters (${ascii.length})`;
  const labels = ascii.split('.');
  for (const l of labels) {
    if (l.length === 0) return 'empty label (two dots in a row, or a leading dot)';
    if (l.length > 63) return `label "${l.slice(0, 20)}…" is longer than 63 characters`;
    // LDH plus underscore (used by _dmarc, _domainkey, service labels)
    if (!/^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/.test(l)) return `label "${l}" has characters a host name cannot have`;
  }
  if (labels.length < 2) return 'not a fully qualified domain name (no dot)';
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'the top-level label is numeric (an IP address is not a domain)';
  return undefined;
}

export function normalizeDomain(input: string): string {
  const trimmed = input.trim().replace(/\.$/, '');
  if (trimmed === '') throw new UsageError(`"${input}" is not a domain name: empty name`);
  const lowered = trimmed.toLowerCase();
  // Raw checks first: domainToASCII accepts some forms we must refuse, and returns '' on failure.
  if (lowered.includes('..') || lowered.startsWith('.')) {
    throw new UsageError(`"${input}" is not a domain name: empty label (two dots in a row, or a leading dot)`);
  }
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(lowered) ? lowered : domainToASCII(lowered);
  if (!ascii) throw new UsageError(`"${input}" is not a domain name: it cannot be converted to ASCII (IDNA)`);
  const problem = domainNameProblem(ascii);
  if (problem) throw new UsageError(`"${input}" is not a domain name: ${problem}`);
  return ascii;
}
