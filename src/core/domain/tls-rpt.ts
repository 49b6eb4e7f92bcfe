/**
 * check-domain's TLS-RPT check (RFC 8460): the TXT record at _smtp._tls.<domain> that tells senders
 * where to send daily reports of TLS failures — the only way to see MTA-STS or DANE breaking.
 */
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import { DnsError } from '../errors.js';
import type { Finding } from '../types.js';
import { clipper, dnsFailureFinding, findingFor } from './check-runner.js';

export interface TlsRptResult {
  /** The first v=TLSRPTv1 record, or null. */
  record: string | null;
  /** Every v=TLSRPTv1 record (more than one invalidates them all). */
  records: string[];
  /** Report destinations (mailto: or https:) that parsed. */
  rua: string[];
  /** True when senders would use the record. */
  valid: boolean;
}

export interface TlsRptInput {
  /** MTA-STS is published (record found): a missing TLS-RPT record is then a warning. */
  mtaStsPresent: boolean;
  /** DANE TLSA records are published for an MX: same reasoning. */
  danePresent?: boolean;
}

const CHECK = 'tls-rpt';

const finding = findingFor(CHECK);

/** A record value quoted in a message: printable and at most 60 characters. */
const clip = clipper(60);

/** Lenient detection; parseTlsRpt holds the record to the ABNF. */
export function isTlsRptRecord(text: string): boolean {
  return /^\s*v\s*=\s*TLSRPTv1\s*(;|$)/i.test(text);
}

/**
 * RFC 8460 §3 ABNF: "v=TLSRPTv1" first, fields separated by ";" (spaces allowed around it),
 * rua= required: a comma-separated list of mailto: or https: URIs.
 */
export function parseTlsRpt(text: string): { rua: string[]; errors: string[] } {
  const errors: string[] = [];
  const rua: string[] = [];
  const parts = text.split(';').map((p) => p.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (parts[parts.length - 1] === '') parts.pop();
  const first = parts.shift() ?? '';
  if (first !== 'v=TLSRPTv1') errors.push(`it must start with exactly "v=TLSRPTv1" (found "${clip(first)}"; case-sensitive, no spaces around "=")`);
  let sawRua = false;
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      errors.push(part === '' ? 'empty field (";;")' : `"${clip(part)}" is not a name=value field`);
      continue;
    }
    const name = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (name !== 'rua') {
      if (name.toLowerCase() === 'rua') errors.push(`"${name}=" must be written "rua=" (case-sensitive)`);
      else if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(name)) errors.push(`bad field name "${clip(name)}"`);
      continue; // extensions are ignored (RFC 8460 §3)
    }
    if (sawRua) {
      errors.push('rua= appears twice (list every destination in one rua=, comma-separated)');
      continue;
    }
    sawRua = true;
    for (const raw of value.split(',').map((s) => s.trim())) {
      if (raw === '') {
        errors.push('rua= has an empty entry');
        continue;
      }
      if (/^mailto:/i.test(raw)) {
        if (/^mailto:[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$/i.test(raw)) rua.push(raw);
        else errors.push(`rua entry "${clip(raw)}" is not a valid mailto: address`);
      } else if (/^https:\/\//i.test(raw)) {
        try {
          new URL(raw);
          rua.push(raw);
        } catch {
          errors.push(`rua entry "${clip(raw)}" is not a valid https: URL`);
        }
      } else {
        errors.push(`rua entry "${clip(raw)}" must be a mailto: or https: URI`);
      }
    }
  }
  if (!sawRua) errors.push('no rua= field (it is required: where reports go)');
  return { rua, errors };
}

export async function checkTlsRpt(deps: Deps, domain: string, input: TlsRptInput): Promise<{ result: TlsRptResult; findings: Finding[] }> {
  const result: TlsRptResult = { record: null, records: [], rua: [], valid: false };
  const findings: Finding[] = [];
  const name = `_smtp._tls.${domain}`;
  try {
    const txt = await deps.resolver.query(name, 'TXT');
    if (isFailure(txt)) throw answerError(txt);
    // RFC 8460 §3: records that do not begin with v=TLSRPTv1 are discarded.
    const records = txt.records.map((r) => r.text).filter(isTlsRptRecord);
    if (records.length === 0) {
      const policies = [input.mtaStsPresent ? 'MTA-STS' : '', input.danePresent ? 'DANE' : ''].filter(Boolean);
      findings.push(
        policies.length > 0
          ? finding('TLSRPT_MISSING', 'warning', `${domain} publishes ${policies.join(' and ')} but no TLS-RPT record at ${name}: when senders fail to establish TLS under that policy, nobody is told.`, `Publish TXT "v=TLSRPTv1; rua=mailto:tls-reports@${domain}" at ${name}.`)
          : finding('TLSRPT_MISSING', 'info', `${domain} has no TLS-RPT record at ${name}: senders cannot report TLS delivery failures to it.`, `Publish TXT "v=TLSRPTv1; rua=mailto:tls-reports@${domain}" at ${name} (RFC 8460).`),
      );
      return { result, findings };
    }
    result.records = records;
    result.record = records[0]!;
    if (records.length > 1) {
      findings.push(finding('TLSRPT_INVALID', 'warning', `${name} has ${records.length} "v=TLSRPTv1" records: senders then ignore TLS-RPT for ${domain} (RFC 8460 §3).`, 'Keep exactly one record; list all destinations in its rua=, comma-separated.', { records }));
      return { result, findings };
    }
    const parsed = parseTlsRpt(result.record);
    result.rua = parsed.rua;
    if (parsed.errors.length > 0) {
      findings.push(finding('TLSRPT_INVALID', 'warning', `The TLS-RPT record at ${name} is invalid: ${parsed.errors.join('; ')}.`, `Publish TXT "v=TLSRPTv1; rua=mailto:tls-reports@${domain}" (mailto: or https: destinations, RFC 8460 §3).`, { record: result.record, errors: parsed.errors }));
    } else {
      result.valid = true;
    }
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    findings.push(dnsFailureFinding(CHECK, e));
  }
  return { result, findings };
}
