/**
 * check-domain's MTA-STS check (RFC 8461): the _mta-sts TXT record (§3.1), the policy file fetched
 * over HTTPS from mta-sts.<domain> (§3.2, §3.3), and whether every MX host matches one of the
 * policy's mx patterns (§4.1) — the mistake that makes enforcing senders refuse to deliver.
 */
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import { DnsError } from '../errors.js';
import type { Finding } from '../types.js';
import { clipper, dnsFailureFinding, findingFor } from './check-runner.js';
import { domainNameProblem } from './name.js';
import { PolicyFetchError, POLICY_MAX_BYTES, type PolicyFetcher, type PolicyResponse } from './policy-fetch.js';

export const MTA_STS_MODES = ['enforce', 'testing', 'none'] as const;
export type MtaStsMode = (typeof MTA_STS_MODES)[number];

/** RFC 8461 §3.2: "maximum value of 31557600" (one year). */
export const MTA_STS_MAX_AGE_LIMIT = 31_557_600;
/**
 * Below this max_age we warn. The threshold is ours: RFC 8461 §3.2 expects max_age "in the range of
 * weeks or greater" to resist attacks at refresh time, but one day is the value providers commonly
 * publish while testing (Gmail's own policy uses 86400), so only values under a day — a policy that
 * lapses before a sender's next daily refresh — are flagged.
 */
export const MTA_STS_MAX_AGE_MIN = 86_400;

export interface MtaStsPolicy {
  version: string | null;
  mode: MtaStsMode | null;
  /** mx patterns in order ("mail.example.com", "*.example.net"). */
  mx: string[];
  maxAge: number | null;
  /** Fields this version does not define (ignored by senders, RFC 8461 §3.2). */
  extensions: Record<string, string>;
  /** Line endings seen: "crlf", "lf", "mixed", or "none" for a one-line file. */
  lineEndings: 'crlf' | 'lf' | 'mixed' | 'none';
}

export interface MtaStsResult {
  /** The first v=STSv1 TXT record at _mta-sts.<domain>, or null. */
  record: string | null;
  /** Every v=STSv1 record (more than one invalidates them all). */
  records: string[];
  id: string | null;
  /** Where the policy was (or would be) fetched from; null when there is no record. */
  policyUrl: string | null;
  /** The policy file as served (at most 64 KiB), or null when it could not be fetched. */
  policyText: string | null;
  policy: MtaStsPolicy | null;
  /** The mode of the fetched policy, if it has a valid one. */
  mode: MtaStsMode | null;
  /** True when a sender would apply the policy: one valid record and a fetched, valid policy. */
  active: boolean;
  /** MX hosts that match no mx pattern. */
  unmatchedMx: string[];
}

export interface MtaStsInput {
  /** The domain's MX exchanges (from the MX check); omit or pass [] to skip matching. */
  mxHosts?: readonly string[];
  fetcher: PolicyFetcher;
}

const CHECK = 'mta-sts';

const finding = findingFor(CHECK);

/** A record value quoted in a message: printable and at most 40 characters. */
const clip = clipper(40);

/** Lenient detection (any case, spaces around "="); parseStsRecord then holds it to the ABNF. */
export function isStsRecord(text: string): boolean {
  return /^\s*v\s*=\s*STSv1\s*(;|$)/i.test(text);
}

/** RFC 8461 §3.1 ABNF: "v=STSv1" first, then "; "-separated fields; id= is 1 to 32 letters or digits. */
export function parseStsRecord(text: string): { id: string | null; extensions: Record<string, string>; errors: string[] } {
  const errors: string[] = [];
  const extensions: Record<string, string> = {};
  let id: string | null = null;
  const parts = text.split(';').map((p) => p.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (parts[parts.length - 1] === '') parts.pop(); // a trailing delimiter is allowed
  const first = parts.shift() ?? '';
  if (first !== 'v=STSv1') errors.push(`it must start with exactly "v=STSv1" (found "${clip(first)}"; the tag and value are case-sensitive, without spaces around "=")`);
  for (const part of parts) {
    if (part === '') {
      errors.push('empty field (";;")');
      continue;
    }
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    if (eq <= 0 || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/.test(name)) {
      errors.push(`"${clip(part)}" is not a name=value field`);
      continue;
    }
    if (name === 'id') {
      if (id !== null) errors.push('id= appears twice');
      else if (!/^[A-Za-z0-9]{1,32}$/.test(value)) errors.push(`id=${clip(value)} must be 1 to 32 letters or digits (found ${value.length} characters)`);
      else id = value;
      continue;
    }
    if (name === 'v') {
      errors.push('v= appears twice');
      continue;
    }
    if (!/^[\x21-\x3a\x3c\x3e-\x7e]+$/.test(value)) errors.push(`field "${clip(name)}" has an empty value or characters a record may not contain`);
    else extensions[name] = value;
  }
  if (id === null && !errors.some((e) => e.startsWith('id='))) errors.push('no id= field (it is required; change it whenever the policy changes)');
  return { id, extensions, errors };
}

const SINGLE_FIELDS = ['version', 'mode', 'max_age'] as const;

/** RFC 8461 §3.2: "key: value" lines ended by LF or CRLF; field names and values are case-sensitive. */
export function parseStsPolicy(text: string): { policy: MtaStsPolicy; errors: string[] } {
  const errors: string[] = [];
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  const lineEndings = crlf && lf ? 'mixed' : crlf ? 'crlf' : lf ? 'lf' : 'none';
  const policy: MtaStsPolicy = { version: null, mode: null, mx: [], maxAge: null, extensions: {}, lineEndings };
  if (/\r(?!\n)/.test(text)) errors.push('lines end with a bare CR; only LF or CRLF end a line (RFC 8461 §3.2)');
  if (text.trim() === '') {
    errors.push('the file is empty');
    return { policy, errors };
  }
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/[ \t]+$/, '');
    if (line === '') continue;
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):[ \t]*(.*)$/.exec(line);
    if (!m) {
      // eslint-disable-next-line no-control-regex
      const shown = line.slice(0, 60).replace(/[\x00-\x1f\x7f\ufffd]/g, '?');
      errors.push(`line ${i + 1} "${shown}${line.length > 60 ? '…' : ''}" is not "key: value"`);
      continue;
    }
    const key = m[1]!;
    const value = m[2]!;
    const known = ['version', 'mode', 'max_age', 'mx'];
    if (!known.includes(key) && known.includes(key.toLowerCase())) {
      errors.push(`line ${i + 1}: field names are case-sensitive, "${key}" must be written "${key.toLowerCase()}"`);
      continue;
    }
    if ((SINGLE_FIELDS as readonly string[]).includes(key)) {
      if (seen.has(key)) {
        errors.push(`line ${i + 1}: "${key}" appears more than once`);
        continue;
      }
      seen.add(key);
    }
    switch (key) {
      case 'version':
        if (value === 'STSv1') policy.version = value;
        else errors.push(`version: ${value} — only "STSv1" is defined`);
        break;
      case 'mode':
        if ((MTA_STS_MODES as readonly string[]).includes(value)) policy.mode = value as MtaStsMode;
        else errors.push(`mode: ${value} — must be enforce, testing or none (lower case)`);
        break;
      case 'max_age':
        if (!/^\d{1,10}$/.test(value)) errors.push(`max_age: ${value} — must be a whole number of seconds (at most 10 digits)`);
        else if (Number(value) > MTA_STS_MAX_AGE_LIMIT) errors.push(`max_age: ${value} is above the maximum of ${MTA_STS_MAX_AGE_LIMIT} (one year)`);
        else policy.maxAge = Number(value);
        break;
      case 'mx': {
        const pattern = value.toLowerCase().replace(/\.$/, '');
        const base = pattern.startsWith('*.') ? pattern.slice(2) : pattern;
        const problem = base.includes('*') ? 'a wildcard may only be the whole leftmost label ("*.example.com")' : domainNameProblem(base);
        if (problem) errors.push(`mx: ${value} — ${problem}`);
        else policy.mx.push(pattern);
        break;
      }
      default:
        policy.extensions[key] = value;
    }
  }
  if (!seen.has('version')) errors.push('no "version: STSv1" line');
  if (!seen.has('mode')) errors.push('no "mode:" line');
  if (!seen.has('max_age')) errors.push('no "max_age:" line');
  // RFC 8461 §3.2: mx is required at least once, except in mode none.
  if (policy.mode !== 'none' && policy.mx.length === 0 && !errors.some((e) => e.startsWith('mx:'))) errors.push('no "mx:" line (one per MX host or pattern is required unless mode is none)');
  return { policy, errors };
}

/** RFC 8461 §4.1: exact match, or "*.suffix" matching exactly one extra leftmost label. */
export function mxMatchesPattern(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return h === p;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

function isPlainText(contentType: string | undefined): boolean {
  // RFC 8461 §3.3: the media type must be text/plain; parameters (charset) are allowed.
  return !!contentType && contentType.split(';')[0]!.trim().toLowerCase() === 'text/plain';
}

const UNREACHABLE_FIX: Record<string, string> = {
  dns: 'Publish an A (and/or AAAA) record for mta-sts.{domain} pointing at the web server that hosts the policy.',
  connect: 'Make mta-sts.{domain} answer HTTPS on port 443.',
  tls: 'Serve a certificate for mta-sts.{domain} from a public CA (include it in the certificate\'s names), with the full chain.',
  timeout: 'Make the web server answer quickly; senders give up on slow policy hosts and treat the domain as having no policy.',
  protocol: 'Check the web server for mta-sts.{domain}: it closed the connection or answered with something that is not HTTP.',
  'bad-url': 'Check the domain name.',
};

export async function checkMtaSts(deps: Deps, domain: string, input: MtaStsInput): Promise<{ result: MtaStsResult; findings: Finding[] }> {
  const result: MtaStsResult = { record: null, records: [], id: null, policyUrl: null, policyText: null, policy: null, mode: null, active: false, unmatchedMx: [] };
  const findings: Finding[] = [];
  const recordName = `_mta-sts.${domain}`;
  try {
    const txt = await deps.resolver.query(recordName, 'TXT');
    if (isFailure(txt)) throw answerError(txt);
    // RFC 8461 §3.1: records that do not begin with v=STSv1 are discarded.
    const records = txt.records.map((r) => r.text).filter(isStsRecord);
    if (records.length === 0) {
      findings.push(
        finding('MTA_STS_MISSING', 'info', `${domain} publishes no MTA-STS policy (no "v=STSv1" TXT at ${recordName}): senders fall back to opportunistic TLS, which an attacker on the path can strip.`, `Serve a policy at https://mta-sts.${domain}/.well-known/mta-sts.txt (start with mode: testing) and publish TXT "v=STSv1; id=<timestamp>" at ${recordName}.`),
      );
      return { result, findings };
    }
    result.records = records;
    result.record = records[0]!;
    let recordValid = false;
    if (records.length > 1) {
      findings.push(finding('MTA_STS_RECORD_INVALID', 'error', `${recordName} has ${records.length} "v=STSv1" records: senders then assume ${domain} has no MTA-STS policy (RFC 8461 §3.1).`, 'Keep exactly one v=STSv1 TXT record.', { records }));
    } else {
      const parsed = parseStsRecord(result.record);
      result.id = parsed.id;
      if (parsed.errors.length > 0) {
        findings.push(finding('MTA_STS_RECORD_INVALID', 'error', `The MTA-STS record at ${recordName} is invalid: ${parsed.errors.join('; ')}. Senders ignore the policy.`, `Publish TXT "v=STSv1; id=${new Date(deps.clock.now()).toISOString().replace(/\D/g, '').slice(0, 14)}" at ${recordName} (RFC 8461 §3.1).`, { record: result.record, errors: parsed.errors }));
      } else {
        recordValid = true;
      }
    }

    // The policy is fetched even when the record is wrong: fixing both at once saves a round trip.
    const policyHost = `mta-sts.${domain}`;
    const url = `https://${policyHost}/.well-known/mta-sts.txt`;
    result.policyUrl = url;
    let res: PolicyResponse;
    try {
      res = await input.fetcher.get(url, { maxBytes: POLICY_MAX_BYTES });
    } catch (e) {
      if (!(e instanceof PolicyFetchError)) throw e;
      if (e.cause instanceof DnsError) throw e.cause;
      if (e.reason === 'too-large') {
        findings.push(finding('MTA_STS_POLICY_INVALID', 'error', `The MTA-STS policy at ${url} is larger than ${POLICY_MAX_BYTES / 1024} KiB${e.bytes ? ` (${e.bytes} bytes${e.bytes > POLICY_MAX_BYTES ? ' or more' : ''} seen)` : ''}; senders stop reading it and treat ${domain} as having no policy.`, 'Serve only the policy: a few lines of "key: value" text.', { url, reason: e.reason, bytes: e.bytes }));
      } else {
        const fix = (UNREACHABLE_FIX[e.reason] ?? UNREACHABLE_FIX.protocol!).replaceAll('{domain}', domain);
        findings.push(finding('MTA_STS_POLICY_UNREACHABLE', 'error', `The MTA-STS policy for ${domain} could not be fetched from ${url}: ${e.message}. Senders without a cached copy treat the domain as having no policy.`, fix, { url, reason: e.reason }));
      }
      return { result, findings };
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.location;
      findings.push(finding('MTA_STS_POLICY_UNREACHABLE', 'error', `${url} answered HTTP ${res.status}${location ? ` redirecting to ${location}` : ' (a redirect)'}; senders must not follow redirects for the policy (RFC 8461 §3.3), so they see no policy.`, `Serve the policy directly at ${url} with HTTP 200 (exempt that path from HTTP→HTTPS or www redirects).`, { url, reason: 'redirect', status: res.status, location }));
      return { result, findings };
    }
    if (res.status !== 200) {
      findings.push(finding('MTA_STS_POLICY_UNREACHABLE', 'error', `${url} answered HTTP ${res.status} instead of 200 with the policy: senders treat ${domain} as having no policy (RFC 8461 §3.3).`, `Publish the policy file at ${url}, served with HTTP 200 and Content-Type text/plain.`, { url, reason: 'status', status: res.status }));
      return { result, findings };
    }
    result.policyText = res.body;
    const { policy, errors } = parseStsPolicy(res.body);
    result.policy = policy;
    const contentType = res.headers['content-type'];
    if (!isPlainText(contentType)) errors.unshift(`it is served as ${contentType ? `"${contentType}"` : 'no Content-Type'}, not text/plain (RFC 8461 §3.3)`);
    if (errors.length > 0) {
      findings.push(finding('MTA_STS_POLICY_INVALID', 'error', `The MTA-STS policy at ${url} is invalid: ${errors.join('; ')}. Senders discard it.`, 'Serve lines "version: STSv1", "mode: testing|enforce", one "mx: <host or *.suffix>" per MX, and "max_age: <seconds>", as text/plain (RFC 8461 §3.2).', { url, errors, policy: res.body.slice(0, 2048) }));
    } else {
      result.mode = policy.mode;
      result.active = recordValid;
    }
    if (policy.mode === 'testing') {
      findings.push(finding('MTA_STS_TESTING', 'info', `The MTA-STS policy of ${domain} is in testing mode: senders report TLS failures but still deliver when TLS cannot be validated.`, 'When TLS-RPT reports show no failures, change to "mode: enforce" and a new id= in the TXT record.'));
    } else if (policy.mode === 'none') {
      findings.push(finding('MTA_STS_MODE_NONE', 'info', `The MTA-STS policy of ${domain} has mode none: senders do not apply MTA-STS (the way to withdraw a policy, RFC 8461 §8.3).`, 'If the withdrawal is finished, remove the TXT record; otherwise set mode: testing or enforce.'));
    }
    if (policy.maxAge !== null && policy.maxAge < MTA_STS_MAX_AGE_MIN) {
      findings.push(finding('MTA_STS_MAX_AGE_SHORT', 'warning', `max_age is ${policy.maxAge} seconds (under one day): senders' cached policy expires before their next refresh, reopening the downgrade window that RFC 8461 §3.2 sizes in weeks.`, 'Raise max_age to 604800 (one week) or more once the policy is stable; 86400 is the usual value while testing.', { maxAge: policy.maxAge }));
    }
    const mxHosts = (input.mxHosts ?? []).map((h) => h.toLowerCase().replace(/\.$/, '')).filter((h) => h !== '' && h !== '.');
    if (policy.mode !== 'none' && policy.mx.length > 0 && mxHosts.length > 0) {
      result.unmatchedMx = mxHosts.filter((h) => !policy.mx.some((p) => mxMatchesPattern(h, p)));
      if (result.unmatchedMx.length > 0) {
        const enforce = policy.mode === 'enforce';
        const list = result.unmatchedMx.join(', ');
        findings.push(
          finding(
            'MTA_STS_MX_MISMATCH',
            enforce ? 'error' : 'warning',
            `MX host${result.unmatchedMx.length > 1 ? 's' : ''} ${list} of ${domain} match${result.unmatchedMx.length > 1 ? '' : 'es'} no mx pattern of the MTA-STS policy (${policy.mx.join(', ')}): ${enforce ? 'enforcing senders refuse to deliver there' : 'in enforce mode senders would refuse to deliver there, and TLS-RPT reports failures now'}. A "*." pattern matches exactly one label (RFC 8461 §4.1).`,
            `Add "mx: ${result.unmatchedMx[0]}" (or a matching "*." pattern) to the policy, then change the id= in ${recordName}.`,
            { unmatched: result.unmatchedMx, patterns: policy.mx },
          ),
        );
      }
    }
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    findings.push(dnsFailureFinding(CHECK, e));
  }
  return { result, findings };
}
