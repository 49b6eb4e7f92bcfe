/**
 * What every domain check shares: its finding constructor, quoting of record values in messages,
 * and running it so that a DNS failure becomes a finding for that check only (DNS_TIMEOUT, …)
 * while the other checks still report.
 */
import { DnsError } from '../errors.js';
import type { FindingCode } from '../finding-codes.js';
import type { Finding, Severity } from '../types.js';

export type FindingFactory = (code: FindingCode, severity: Severity, message: string, fix?: string, evidence?: unknown) => Finding;

/** The finding constructor of one check: every finding names the check; fix and evidence only when given. */
export function findingFor(check: string): FindingFactory {
  return (code, severity, message, fix, evidence) => {
    const f: Finding = { code, severity, check, message };
    if (fix) f.fix = fix;
    if (evidence !== undefined) f.evidence = evidence;
    return f;
  };
}

/** A record value quoted in a finding message: control characters as "?", at most max characters. */
export function clipper(max: number): (text: string) => string {
  return (text) => {
    // eslint-disable-next-line no-control-regex
    const flat = text.replace(/[\x00-\x1f\x7f]/g, '?');
    return flat.length > max ? `${flat.slice(0, max)}…` : flat;
  };
}

const DNS_CODE: Record<string, FindingCode> = {
  DNS_TIMEOUT: 'DNS_TIMEOUT',
  DNS_SERVFAIL: 'DNS_SERVFAIL',
  DNS_REFUSED: 'DNS_REFUSED',
};

export function dnsFailureFinding(check: string, err: DnsError): Finding {
  const code = DNS_CODE[err.code] ?? 'DNS_ERROR';
  return {
    code,
    severity: 'error',
    check,
    message: `${check.toUpperCase()} could not be checked: ${err.message}`,
    fix: 'Retry; if it persists, check that the resolver given by --dns (or the system resolver) answers for this name.',
    evidence: { qname: err.qname, qtype: err.qtype },
  };
}

/** Runs fn; a DnsError is turned into [fallback, finding]; any other error propagates. */
export async function guardDns<T>(check: string, fallback: T, fn: () => Promise<{ result: T; findings: Finding[] }>): Promise<{ result: T; findings: Finding[] }> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DnsError) return { result: fallback, findings: [dnsFailureFinding(check, e)] };
    throw e;
  }
}

/**
 * One DNS failure finding per check and code: a dead resolver should not produce a hundred lines.
 * The first failure is kept, with how many queries failed the same way.
 */
export function collapseDnsFindings(findings: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Map<string, { finding: Finding; count: number }>();
  for (const f of findings) {
    if (!f.code.startsWith('DNS_')) {
      out.push(f);
      continue;
    }
    const key = `${f.check} ${f.code}`;
    const prev = seen.get(key);
    if (prev) {
      prev.count++;
      continue;
    }
    const entry = { finding: { ...f }, count: 1 };
    seen.set(key, entry);
    out.push(entry.finding);
  }
  for (const { finding, count } of seen.values()) {
    if (count > 1) finding.message += ` (${count - 1} more ${finding.check.toUpperCase()} queries failed the same way)`;
  }
  return out;
}
