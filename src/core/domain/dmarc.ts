/**
 * check-domain's DMARC check (RFC 7489): the record at _dmarc.<domain>, else at the organisational
 * domain (§6.6.3), every tag parsed, and external report destinations verified (§7.1).
 */
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import { DnsError } from '../errors.js';
import type { Finding } from '../types.js';
import { dnsFailureFinding, findingFor } from './check-runner.js';
import { parseTagList } from './dkim.js';
import { organizationalDomain } from './org-domain.js';

export type DmarcPolicy = 'none' | 'quarantine' | 'reject';

export interface DmarcResult {
  record: string | null;
  policy: DmarcPolicy | null;
  subdomainPolicy: DmarcPolicy | null;
  pct: number | null;
  adkim: 'r' | 's' | null;
  aspf: 'r' | 's' | null;
  rua: string[];
  ruf: string[];
  orgDomain: string;
  /** True when the record came from the organisational domain, not the domain itself. */
  inherited: boolean;
  /** Where the record was found (_dmarc.<name>). */
  recordDomain: string | null;
}

export interface ParsedDmarc {
  policy?: DmarcPolicy;
  subdomainPolicy?: DmarcPolicy;
  pct: number;
  adkim: 'r' | 's';
  aspf: 'r' | 's';
  rua: string[];
  ruf: string[];
  fo?: string;
  ri?: number;
  /** Problems that make the record (partly) invalid. */
  errors: string[];
}

const POLICIES = ['none', 'quarantine', 'reject'] as const;

export function isDmarcRecord(text: string): boolean {
  return /^v\s*=\s*DMARC1\s*(;|$)/i.test(text);
}

/** Parses a DMARC URI list (RFC 7489 §6.4: comma-separated, "!size" suffix allowed). */
function parseUris(value: string, tag: string, errors: string[]): string[] {
  const out: string[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const uri = raw.replace(/!\d+[kmgt]?$/i, '');
    if (!/^[a-z][a-z0-9+.-]*:/i.test(uri)) {
      errors.push(`${tag}= entry "${raw}" is not a URI (use mailto:address)`);
      continue;
    }
    if (/^mailto:/i.test(uri) && !/^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$/i.test(uri)) {
      errors.push(`${tag}= entry "${raw}" is not a valid mailto: address`);
      continue;
    }
    out.push(uri);
  }
  return out;
}

export function parseDmarc(text: string): ParsedDmarc {
  const res: ParsedDmarc = { pct: 100, adkim: 'r', aspf: 'r', rua: [], ruf: [], errors: [] };
  const tags = parseTagList(text);
  if (typeof tags === 'string') {
    res.errors.push(tags);
    return res;
  }
  const keys = [...tags.keys()];
  if (keys[0]?.toLowerCase() !== 'v' || tags.get(keys[0]!) !== 'DMARC1') res.errors.push('v=DMARC1 must be the first tag');
  const get = (name: string) => {
    for (const [k, v] of tags) if (k.toLowerCase() === name) return v;
    return undefined;
  };
  const pol = (tag: string): DmarcPolicy | undefined => {
    const v = get(tag);
    if (v === undefined) return undefined;
    const p = v.toLowerCase();
    if ((POLICIES as readonly string[]).includes(p)) return p as DmarcPolicy;
    res.errors.push(`${tag}=${v} is not none, quarantine or reject`);
    return undefined;
  };
  const p = pol('p');
  if (p) res.policy = p;
  else if (get('p') === undefined) res.errors.push('no p= tag (it is required, right after v=)');
  else if (keys[1]?.toLowerCase() !== 'p') res.errors.push('p= must directly follow v=');
  const sp = pol('sp');
  if (sp) res.subdomainPolicy = sp;
  const pct = get('pct');
  if (pct !== undefined) {
    if (/^\d{1,3}$/.test(pct) && Number(pct) <= 100) res.pct = Number(pct);
    else res.errors.push(`pct=${pct} is not a whole number from 0 to 100`);
  }
  for (const tag of ['adkim', 'aspf'] as const) {
    const v = get(tag);
    if (v === undefined) continue;
    if (v === 'r' || v === 's') res[tag] = v;
    else res.errors.push(`${tag}=${v} must be r or s`);
  }
  const rua = get('rua');
  if (rua !== undefined) res.rua = parseUris(rua, 'rua', res.errors);
  const ruf = get('ruf');
  if (ruf !== undefined) res.ruf = parseUris(ruf, 'ruf', res.errors);
  const fo = get('fo');
  if (fo !== undefined) {
    if (fo.split(':').every((x) => ['0', '1', 'd', 's'].includes(x.trim()))) res.fo = fo;
    else res.errors.push(`fo=${fo} must be a colon-separated list of 0, 1, d, s`);
  }
  const ri = get('ri');
  if (ri !== undefined) {
    if (/^\d+$/.test(ri)) res.ri = Number(ri);
    else res.errors.push(`ri=${ri} is not a number of seconds`);
  }
  const rf = get('rf');
  if (rf !== undefined && !rf.split(':').every((x) => x.trim().toLowerCase() === 'afrf')) res.errors.push(`rf=${rf}: only afrf is defined`);
  return res;
}

const CHECK = 'dmarc';

const finding = findingFor(CHECK);

async function fetchDmarc(deps: Deps, name: string): Promise<string[]> {
  const a = await deps.resolver.query(`_dmarc.${name}`, 'TXT');
  if (isFailure(a)) throw answerError(a);
  // RFC 7489 §6.6.3: records that do not start with v=DMARC1 are discarded.
  return a.records.map((r) => r.text).filter(isDmarcRecord);
}

/** RFC 7489 §7.1: a destination outside the policy domain's organisation must opt in. */
async function checkDestinations(deps: Deps, policyDomain: string, uris: string[], tag: string): Promise<Finding[]> {
  const org = organizationalDomain(policyDomain);
  const out: Finding[] = [];
  await Promise.all(
    uris.map(async (uri) => {
      const m = /^mailto:[^@]+@(.+)$/i.exec(uri);
      if (!m) return;
      const dest = m[1]!.toLowerCase().replace(/\.$/, '');
      if (organizationalDomain(dest) === org) return;
      const name = `${policyDomain}._report._dmarc.${dest}`;
      const a = await deps.resolver.query(name, 'TXT');
      if (isFailure(a)) throw answerError(a);
      if (!a.records.some((r) => isDmarcRecord(r.text))) {
        out.push(
          finding('DMARC_RUA_NOT_AUTHORIZED', 'warning', `${tag}= sends reports to ${dest}, which has not authorised them: no "v=DMARC1" TXT at ${name}; receivers will not send these reports.`, `Ask the operator of ${dest} to publish TXT "v=DMARC1" at ${name} (report services do this when you add the domain), or report to an address within ${org}.`, { uri, expected: name }),
        );
      }
    }),
  );
  return out;
}

export async function checkDmarc(deps: Deps, domain: string): Promise<{ result: DmarcResult; findings: Finding[] }> {
  const orgDomain = organizationalDomain(domain);
  const result: DmarcResult = { record: null, policy: null, subdomainPolicy: null, pct: null, adkim: null, aspf: null, rua: [], ruf: [], orgDomain, inherited: false, recordDomain: null };
  const findings: Finding[] = [];
  try {
    let records = await fetchDmarc(deps, domain);
    let at = domain;
    if (records.length === 0 && orgDomain !== domain) {
      records = await fetchDmarc(deps, orgDomain);
      at = orgDomain;
      result.inherited = records.length > 0;
    }
    if (records.length === 0) {
      findings.push(finding('DMARC_MISSING', 'error', `No DMARC record at _dmarc.${domain}${orgDomain !== domain ? ` or _dmarc.${orgDomain}` : ''}: Gmail, Yahoo and Microsoft require one from bulk senders, and spoofed mail from ${domain} is not rejected.`, `Publish TXT at _dmarc.${orgDomain}: "v=DMARC1; p=none; rua=mailto:dmarc-reports@${orgDomain}", read the reports, then move to p=quarantine or p=reject.`));
      return { result, findings };
    }
    result.recordDomain = `_dmarc.${at}`;
    result.record = records[0]!;
    if (records.length > 1) {
      findings.push(finding('DMARC_MULTIPLE_RECORDS', 'error', `_dmarc.${at} has ${records.length} DMARC records: receivers ignore all of them (RFC 7489 §6.6.3).`, 'Keep exactly one TXT record starting "v=DMARC1".', { records }));
      return { result, findings };
    }
    const parsed = parseDmarc(result.record);
    result.policy = parsed.policy ?? null;
    // RFC 7489 §6.3: sp defaults to p
    result.subdomainPolicy = parsed.subdomainPolicy ?? parsed.policy ?? null;
    result.pct = parsed.pct;
    result.adkim = parsed.adkim;
    result.aspf = parsed.aspf;
    result.rua = parsed.rua;
    result.ruf = parsed.ruf;
    if (parsed.errors.length > 0) {
      findings.push(finding('DMARC_SYNTAX_ERROR', 'error', `DMARC record at _dmarc.${at} is invalid: ${parsed.errors.join('; ')}.`, 'Fix the record (RFC 7489 §6.4); an invalid p= makes receivers ignore the policy.', { record: result.record, errors: parsed.errors }));
    }
    // For a subdomain that inherits the organisational record, sp= is the policy that applies.
    const effective = result.inherited ? result.subdomainPolicy : result.policy;
    if (effective === 'none') {
      findings.push(finding('DMARC_POLICY_NONE', 'warning', `DMARC policy for ${domain} is none${result.inherited ? ` (inherited from ${orgDomain})` : ''}: mail failing authentication is delivered normally.`, 'After checking the aggregate reports, move to p=quarantine, then p=reject.'));
    } else if (!result.inherited && result.policy && result.policy !== 'none' && parsed.subdomainPolicy === 'none') {
      findings.push(finding('DMARC_SUBDOMAIN_POLICY_NONE', 'info', `p=${result.policy} but sp=none: mail from any subdomain of ${domain} can be spoofed.`, 'Remove sp=none (sp defaults to p) unless a subdomain still needs it.'));
    }
    if (parsed.pct < 100 && effective !== 'none') {
      findings.push(finding('DMARC_PCT_PARTIAL', 'warning', `pct=${parsed.pct}: the ${effective} policy applies to only ${parsed.pct}% of failing mail.`, 'Raise pct to 100 (or remove it) once you are confident.'));
    }
    if (parsed.rua.length === 0) {
      findings.push(finding('DMARC_NO_RUA', 'warning', `No rua= in the DMARC record: ${domain} receives no aggregate reports, so failures and spoofing go unseen.`, `Add rua=mailto:dmarc-reports@${orgDomain} (or your report service's address).`));
    }
    const [ruaFindings, rufFindings] = await Promise.all([checkDestinations(deps, at, parsed.rua, 'rua'), checkDestinations(deps, at, parsed.ruf, 'ruf')]);
    findings.push(...ruaFindings, ...rufFindings);
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    findings.push(dnsFailureFinding(CHECK, e));
  }
  return { result, findings };
}
