/**
 * Authenticates one received message: mailauth's `authenticate` runs SPF (RFC 7208), DKIM
 * (RFC 6376), ARC (RFC 8617) and finds the DMARC record (RFC 7489) through OUR resolver; this
 * module maps its result to our stable report and applies DMARC alignment itself (see alignment.ts
 * for why), explaining every verdict.
 *
 * mailauth is imported here, lazily, on first use: nothing else in the CLI loads it.
 */
import type { Deps } from '../deps.js';
import { MailauthDns, type MailauthQuery } from '../dns/mailauth-adapter.js';
import { MailpaceError } from '../errors.js';
import { SPF_RESULTS } from '../spf/evaluate.js';
import type { Finding, FindingCode } from '../types.js';
import { checkAlignment, explainAlignment, normalizeDomain, organizationalDomain, type AlignmentMode } from './alignment.js';
import { parseDmarcPolicy, type DmarcPolicyRecord } from './dmarc-policy.js';
import { decodeEncodedWords, headerValues, receivedClientIp, returnPath, type MessageInput } from './message-input.js';
import type {
  AlignmentVerdict,
  ArcVerdict,
  DkimResult,
  DkimSignatureVerdict,
  DmarcVerdict,
  MessageAuthReport,
  SpfResult,
  SpfVerdict,
} from './report.js';
import { checkSignatureTags, libraryB, parseTagList, type SignatureField } from './tag-list.js';
import { messageVerdict } from './verdict.js';

export interface MessageAuthOptions {
  /** The connecting client's IP; without it SPF is not evaluated. */
  ip?: string;
  /** The HELO/EHLO name. */
  helo?: string;
  /** The envelope sender: undefined means "use Return-Path"; "" is the null reverse-path. */
  mailFrom?: string;
  /** This receiver's name, used in mailauth's comments. */
  mta: string;
}

// ---- the parts of mailauth's result we read (lib/mailauth.js, lib/dkim/dkim-verifier.js, lib/spf/index.js, lib/dmarc/verify.js, lib/arc/index.js)
interface MaStatus {
  result: string;
  comment?: string | false;
}
interface MaDkimRow {
  signingDomain?: string;
  selector?: string;
  signature?: string;
  algo?: string;
  modulusLength?: number;
  status: MaStatus;
}
interface MaResult {
  dkim: { results?: MaDkimRow[]; headerFrom?: string[] };
  spf: false | { domain?: string; rr?: string; status: MaStatus; lookups?: { count: number; void: number } };
  dmarc: false | { status: MaStatus; domain?: string; rr?: string; error?: string };
  arc: false | { status: MaStatus; i?: number | false };
}
type Authenticate = (input: Buffer, opts: Record<string, unknown>) => Promise<MaResult>;

async function loadAuthenticate(): Promise<Authenticate> {
  // A variable specifier keeps the type checker from wanting mailauth's (absent) typings and keeps
  // the import lazy; mailauth is CommonJS, so the function may sit on the default export.
  const specifier = 'mailauth';
  const mod = (await import(specifier)) as { authenticate?: Authenticate; default?: { authenticate?: Authenticate } };
  const fn = mod.authenticate ?? mod.default?.authenticate;
  if (!fn) throw new MailpaceError('AUTH_LIBRARY', 'mailauth does not export authenticate(); reinstall the package');
  return fn;
}

// ---- DNS failures → DNS_* findings for the mechanism they broke
const DNS_CODES: Record<string, FindingCode> = {
  timeout: 'DNS_TIMEOUT',
  servfail: 'DNS_SERVFAIL',
  refused: 'DNS_REFUSED',
  error: 'DNS_ERROR',
};

function sameName(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}

function dnsFinding(check: string, failures: MailauthQuery[], what: string, fallback: string): Finding {
  const first = failures[0];
  if (!first) {
    return { code: 'DNS_ERROR', severity: 'error', check, message: `${what} is temperror: ${fallback}`, fix: 'Run again later; check --dns if it keeps failing.' };
  }
  const status = { timeout: 'timed out', servfail: 'got SERVFAIL', refused: 'was refused', error: 'failed' }[first.status as 'timeout'] ?? 'failed';
  return {
    code: DNS_CODES[first.status] ?? 'DNS_ERROR',
    severity: 'error',
    check,
    message: `${what} is temperror: the DNS ${first.type} query for ${first.name} ${status}${first.detail ? ` (${first.detail})` : ''}.`,
    fix: 'Run again; if it persists, check the resolver given with --dns or the domain\'s name servers.',
    evidence: failures.map((f) => ({ name: f.name, type: f.type, status: f.status })),
  };
}

function stripMta(comment: string | false | undefined, mta: string): string {
  const c = comment || '';
  return c.startsWith(`${mta}: `) ? c.slice(mta.length + 2) : c;
}

function sentence(s: string): string {
  const t = s.trim();
  if (!t) return t;
  const cap = t[0]!.toUpperCase() + t.slice(1);
  return /[.!?]$/.test(cap) ? cap : `${cap}.`;
}

// ---- SPF
function mapSpf(raw: MaResult['spf'], opts: MessageAuthOptions, mailFrom: string | null, source: SpfVerdict['mailFromSource'], msg: MessageInput): SpfVerdict {
  const identity: SpfVerdict['identity'] = mailFrom ? 'mailfrom' : 'helo';
  const base = { ip: opts.ip ?? null, helo: opts.helo ?? null, mailFrom, mailFromSource: source };
  const notEvaluated = (explanation: string): SpfVerdict => ({ ...base, result: 'none', evaluated: false, domain: null, identity: null, record: null, lookups: null, explanation });
  if (opts.ip && raw && !mailFrom && !opts.helo) {
    return notEvaluated('Not evaluated: there is no envelope sender (no --mail-from, no Return-Path) and no --helo, so SPF has no domain to check.');
  }
  if (!opts.ip || !raw) {
    const seen = receivedClientIp(msg);
    return notEvaluated(`Not evaluated: SPF needs the IP address the message came from (--ip${seen ? `; the top Received header names ${seen}` : ''}).`);
  }
  const result: SpfResult = Object.prototype.hasOwnProperty.call(SPF_RESULTS, raw.status.result) ? (raw.status.result as SpfResult) : 'temperror';
  let explanation = sentence(stripMta(raw.status.comment, opts.mta) || `SPF ${result}`);
  if (identity === 'helo') explanation = `${explanation} (The envelope sender is empty, so the HELO name ${opts.helo} was checked, RFC 7208 §2.4.)`;
  return {
    ...base,
    result,
    evaluated: true,
    domain: raw.domain && raw.domain !== '-' ? normalizeDomain(raw.domain) : null,
    identity,
    record: raw.rr ?? null,
    lookups: raw.lookups ? { count: raw.lookups.count, void: raw.lookups.void } : null,
    explanation,
  };
}

// ---- DKIM
function mapDkimRow(row: MaDkimRow, fromDomain: string | null, adkim: AlignmentMode): DkimSignatureVerdict {
  const d = normalizeDomain(row.signingDomain ?? '');
  const s = row.selector ?? '';
  const keyName = `${s}._domainkey.${d}`;
  const comment = row.status.comment || '';
  const bits = row.modulusLength ?? null;
  let result: DkimResult;
  let why: string;
  switch (row.status.result) {
    case 'pass':
      result = 'pass';
      why = `verified with the ${bits ? `${bits}-bit ` : ''}key at ${keyName}`;
      break;
    case 'fail':
      result = 'fail';
      why =
        comment === 'bad signature'
          ? `the signature does not verify: a signed header field changed after signing, or the key at ${keyName} is not the one that signed`
          : comment || 'the signature does not verify';
      break;
    case 'policy':
      result = 'policy';
      why = `the key at ${keyName} is shorter than 1024 bits, which verifiers must not accept (RFC 8301 §3.2)`;
      break;
    case 'temperror':
      result = 'temperror';
      why = `the key at ${keyName} could not be fetched (${comment || 'DNS failure'})`;
      break;
    case 'permerror':
      result = 'permerror';
      why = comment || 'the signature cannot be verified';
      break;
    default:
      // mailauth says "neutral" for several distinct outcomes; RFC 6376 §6.1 and RFC 8601 §2.7.1 tell them apart.
      if (comment === 'body hash did not verify') {
        result = 'fail'; // RFC 6376 §3.7: a body hash mismatch is a verification failure
        why = 'the body hash does not match: the body changed after signing (a footer, a rewritten link, re-encoding)';
      } else if (comment === 'no key') {
        result = 'permerror'; // RFC 6376 §6.1.2 PERMFAIL (no key for signature)
        why = `no DKIM key is published at ${keyName}`;
      } else if (['unknown key version', 'unknown key type', 'invalid public key'].includes(comment)) {
        result = 'permerror';
        why = `the key record at ${keyName} is unusable (${comment})`;
      } else if (comment === 'expired') {
        result = 'neutral';
        why = 'the signature has expired (its x= time is in the past)';
      } else {
        result = 'neutral';
        why = comment || 'the signature was not accepted';
      }
  }
  let aligned = false;
  let alignText: string;
  if (!fromDomain) alignText = 'There is no single From domain to align with.';
  else if (result !== 'pass') alignText = `It cannot give DMARC alignment because it did not pass.`;
  else {
    aligned = checkAlignment(d, fromDomain, adkim).aligned;
    alignText = explainAlignment('Signing domain', d, fromDomain, adkim, 'adkim');
  }
  return { domain: d, selector: s, algorithm: row.algo ?? null, result, aligned, info: `${sentence(why)} ${alignText}`, keyBits: bits };
}

/**
 * DKIM-Signature fields whose tag-list is malformed or lacks a required tag (RFC 6376 §3.2, §3.5),
 * checked strictly here because mailauth reads tag-lists laxly (tag names lower-cased, the last of
 * duplicate tags wins, empty tag-specs and invalid tag names skipped) and would verify them.
 * RFC 6376 §6.1.1: such a field is ignored and the result is PERMFAIL, whatever its cryptography says.
 */
interface MalformedField {
  value: string;
  field: SignatureField;
  problem: string;
  kind: 'syntax' | 'missing';
}

function malformedFields(msg: MessageInput, field: SignatureField): MalformedField[] {
  const out: MalformedField[] = [];
  for (const value of headerValues(msg, field)) {
    const c = checkSignatureTags(value, field);
    if (!c.ok) out.push({ value, field, problem: c.problem, kind: c.kind });
  }
  return out;
}

/** permerror verdicts that name a signer-side fix (not a missing key): malformed or unusable fields. */
const SIGNER_FAULT = new WeakSet<DkimSignatureVerdict>();

function malformedSignature(m: MalformedField): DkimSignatureVerdict {
  const tags = parseTagList(m.value);
  const v: DkimSignatureVerdict = {
    domain: normalizeDomain(tags.get('d') ?? ''),
    selector: tags.get('s') ?? '',
    algorithm: tags.get('a') ?? null,
    result: 'permerror',
    aligned: false,
    info:
      m.kind === 'missing'
        ? `The signature cannot be verified: ${m.problem} (RFC 6376 §3.5).`
        : `The signature is not a valid tag-list: ${m.problem} (RFC 6376 §3.2), so it is not verified (PERMFAIL, RFC 6376 §6.1.1).`,
    keyBits: null,
  };
  SIGNER_FAULT.add(v);
  return v;
}

/** Well-formed DKIM-Signature fields mailauth skipped (unsupported a=/c=, missing d= or s= values): unverifiable, so permerror. */
function skippedSignatures(msg: MessageInput, rows: MaDkimRow[], malformed: MalformedField[]): DkimSignatureVerdict[] {
  const seen = new Set(rows.map((r) => (r.signature ?? '').replace(/\s+/g, '')));
  const bad = new Set(malformed.map((m) => m.value));
  const out: DkimSignatureVerdict[] = [];
  for (const v of headerValues(msg, 'dkim-signature')) {
    if (bad.has(v)) continue;
    const tags = parseTagList(v);
    if (seen.has(tags.get('b') ?? '')) continue;
    out.push({
      domain: normalizeDomain(tags.get('d') ?? ''),
      selector: tags.get('s') ?? '',
      algorithm: tags.get('a') ?? null,
      result: 'permerror',
      aligned: false,
      info: !tags.get('d') || !tags.get('s')
        ? `The signature has an empty ${!tags.get('d') ? 'd=' : 's='} tag, so it cannot be verified (RFC 6376 §3.5).`
        : `The signature uses an algorithm or canonicalization this verifier does not support (a=${tags.get('a')}, c=${tags.get('c') ?? 'simple/simple'}), so it cannot be verified.`,
      keyBits: null,
    });
  }
  return out;
}

// ---- DMARC
function noAlignment(mode: AlignmentMode, explanation: string, domain: string | null = null): AlignmentVerdict {
  return { aligned: false, mode, domain, explanation };
}

function spfAlignment(spf: SpfVerdict, fromDomain: string, mode: AlignmentMode): AlignmentVerdict {
  if (!spf.evaluated) return noAlignment(mode, `SPF was not evaluated (${spf.ip ? 'no envelope sender or HELO name' : 'no --ip'}), so it cannot align.`);
  if (spf.result !== 'pass' || !spf.domain) return noAlignment(mode, `SPF did not pass (${spf.result}), so it cannot align.`, spf.domain);
  const c = checkAlignment(spf.domain, fromDomain, mode);
  const what = spf.identity === 'helo' ? 'The SPF-authenticated HELO name' : 'The SPF-authenticated MAIL FROM domain';
  return { aligned: c.aligned, mode, domain: spf.domain, explanation: explainAlignment(what, spf.domain, fromDomain, mode, 'aspf') };
}

function dkimAlignment(sigs: DkimSignatureVerdict[], fromDomain: string, mode: AlignmentMode): AlignmentVerdict {
  const passing = sigs.filter((s) => s.result === 'pass');
  if (sigs.length === 0) return noAlignment(mode, 'The message has no DKIM signature, so DKIM cannot align.');
  if (passing.length === 0) return noAlignment(mode, `No DKIM signature passed (${sigs.map((s) => `d=${s.domain} ${s.result}`).join(', ')}), so DKIM cannot align.`);
  const hit = passing.find((s) => checkAlignment(s.domain, fromDomain, mode).aligned);
  if (hit) return { aligned: true, mode, domain: hit.domain, explanation: explainAlignment('The DKIM signing domain', hit.domain, fromDomain, mode, 'adkim') };
  // Explain the nearest miss: a signature in the From domain's organisation (strict mode) says more than a third party's.
  const first = passing.find((s) => checkAlignment(s.domain, fromDomain, mode).match !== 'none') ?? passing[0]!;
  const rest = passing.length > 1 ? ` ${passing.length - 1} other passing signature${passing.length > 2 ? 's are' : ' is'} not aligned either.` : '';
  return noAlignment(mode, `${explainAlignment('The DKIM signing domain', first.domain, fromDomain, mode, 'adkim')}${rest}`, first.domain);
}

function dmarcFailure(queries: MailauthQuery[]): string | undefined {
  const q = queries.find((x) => /^_dmarc\./i.test(x.name) && !['ok', 'nxdomain', 'nodata'].includes(x.status));
  return q ? `${q.name}: ${q.status}` : undefined;
}

function dmarcRecordAt(queries: MailauthQuery[], domain: string): boolean {
  const q = queries.find((x) => x.type === 'TXT' && sameName(x.name, `_dmarc.${domain}`));
  return (q?.texts ?? []).filter((t) => /^v=DMARC1\b/i.test(t.trim())).length === 1;
}

interface DmarcInputs {
  raw: MaResult['dmarc'];
  fromAddresses: string[];
  spf: SpfVerdict;
  dkim: DkimSignatureVerdict[];
  queries: MailauthQuery[];
}

/** The fields of a DMARC verdict that applies no policy: no usable record was found. */
const NO_POLICY = { record: null, recordDomain: null, inherited: false, policy: null, disposition: null, pct: null } as const;

function mapDmarc(i: DmarcInputs): { verdict: DmarcVerdict; policy?: DmarcPolicyRecord } {
  const domains = [...new Set(i.fromAddresses.map((a) => normalizeDomain(a.slice(a.lastIndexOf('@') + 1))))];
  const empty = (mode: AlignmentMode, why: string) => ({ spf: noAlignment(mode, why), dkim: noAlignment(mode, why) });
  if (i.fromAddresses.length !== 1 || !domains[0] || domains[0].startsWith('[')) {
    const why =
      i.fromAddresses.length === 0
        ? 'The message has no usable From address, so DMARC has no domain to check (RFC 7489 §6.6.1).'
        : i.fromAddresses.length === 1
          ? `The From address "${i.fromAddresses[0]}" has no domain name (${domains[0] ? 'an address literal' : 'nothing after @'}), so DMARC has no domain to check (RFC 7489 §6.6.1).`
          : `The From header has ${i.fromAddresses.length} addresses (${i.fromAddresses.join(', ')}); DMARC needs exactly one author domain (RFC 7489 §6.6.1).`;
    return {
      verdict: {
        result: 'permerror',
        fromDomain: null,
        orgDomain: null,
        ...NO_POLICY,
        alignment: empty('relaxed', 'There is no single From domain to align with.'),
        explanation: why,
      },
    };
  }
  const fromDomain = domains[0];
  const orgDomain = organizationalDomain(fromDomain);
  const raw = i.raw;
  const base = { fromDomain, orgDomain };
  const alignmentUnder = (aspf: AlignmentMode, adkim: AlignmentMode) => ({ spf: spfAlignment(i.spf, fromDomain, aspf), dkim: dkimAlignment(i.dkim, fromDomain, adkim) });

  if (raw && raw.status.result === 'temperror') {
    const alignment = alignmentUnder('relaxed', 'relaxed');
    return {
      verdict: {
        ...base,
        result: 'temperror',
        ...NO_POLICY,
        alignment,
        explanation: `The DMARC record of ${fromDomain} could not be fetched (${dmarcFailure(i.queries) ?? raw.error ?? 'DNS failure'}); the verdict is unknown until DNS answers.`,
      },
    };
  }

  if (!raw || raw.status.result === 'none' || !raw.rr) {
    // No policy: alignment is still worth knowing — it is what DMARC would say once a record exists.
    const alignment = alignmentUnder('relaxed', 'relaxed');
    const would = alignment.spf.aligned || alignment.dkim.aligned ? 'would pass' : 'would fail';
    const where = orgDomain !== fromDomain ? `_dmarc.${fromDomain} nor _dmarc.${orgDomain}` : `_dmarc.${fromDomain}`;
    return {
      verdict: {
        ...base,
        result: 'none',
        ...NO_POLICY,
        alignment,
        explanation: `No DMARC record at ${where}, so receivers apply no DMARC policy; with one, this message ${would} (relaxed alignment).`,
      },
    };
  }

  const policy = parseDmarcPolicy(raw.rr);
  const inherited = fromDomain !== orgDomain && !dmarcRecordAt(i.queries, fromDomain);
  const applied = inherited && policy.sp ? policy.sp : policy.p;
  const alignment = alignmentUnder(policy.aspf, policy.adkim);
  const pass = alignment.spf.aligned || alignment.dkim.aligned;
  const policyName = inherited && policy.sp ? `sp=${policy.sp}` : `p=${policy.p}`;
  const recordWhere = inherited ? `the organisational domain's record (_dmarc.${orgDomain})` : `_dmarc.${fromDomain}`;
  let explanation: string;
  if (pass) {
    const by = [alignment.dkim.aligned ? `DKIM (d=${alignment.dkim.domain})` : '', alignment.spf.aligned ? `SPF (${alignment.spf.domain})` : '']
      .filter(Boolean)
      .join(' and ');
    explanation = `DMARC passes: ${by} passed aligned with the From domain ${fromDomain}. Policy from ${recordWhere}: ${policyName}.`;
  } else {
    const pctText = policy.pct < 100 ? ` to ${policy.pct}% of failing mail (the rest gets the next milder treatment, RFC 7489 §6.6.4)` : '';
    const action = { none: 'take no action', quarantine: 'treat it as suspicious (spam folder)', reject: 'reject it' }[applied];
    explanation = `DMARC fails: neither SPF nor DKIM passed aligned with the From domain ${fromDomain}. ${recordWhere} asks receivers to ${action} (${policyName})${pctText}.`;
  }
  return {
    verdict: {
      ...base,
      result: pass ? 'pass' : 'fail',
      record: raw.rr,
      recordDomain: inherited ? orgDomain : fromDomain,
      inherited,
      policy: applied,
      disposition: pass ? 'none' : applied,
      pct: policy.pct,
      alignment,
      explanation,
    },
    policy,
  };
}

// ---- ARC
interface ArcSet {
  i: number;
  sealDomain: string | null;
  keyNames: string[];
}

function arcSets(msg: MessageInput): ArcSet[] {
  const byI = new Map<number, ArcSet>();
  const add = (field: string, seal: boolean) => {
    for (const v of headerValues(msg, field)) {
      const t = parseTagList(v);
      const i = Number(t.get('i'));
      if (!Number.isInteger(i)) continue;
      const set = byI.get(i) ?? { i, sealDomain: null, keyNames: [] };
      if (t.get('s') && t.get('d')) set.keyNames.push(`${t.get('s')}._domainkey.${t.get('d')}`);
      if (seal) set.sealDomain = t.get('d') ? normalizeDomain(t.get('d')!) : null;
      byI.set(i, set);
    }
  };
  add('arc-seal', true);
  add('arc-message-signature', false);
  return [...byI.values()].sort((a, b) => a.i - b.i);
}

/**
 * The first ARC-Seal or ARC-Message-Signature whose tag-list is malformed or lacks a required tag
 * (RFC 8617 §4.1 applies RFC 6376 §3.2 to both). mailauth reads them laxly and can validate such
 * a chain; a validator must not (RFC 8617 §5.2): the chain fails, whichever set it is in and
 * whatever DNS said about the keys.
 */
function arcSyntaxProblem(msg: MessageInput): string | undefined {
  for (const field of ['arc-seal', 'arc-message-signature'] as const) {
    const m = malformedFields(msg, field)[0];
    if (!m) continue;
    const i = parseTagList(m.value).get('i');
    const name = field === 'arc-seal' ? 'ARC-Seal' : 'ARC-Message-Signature';
    const which = i && /^\d+$/.test(i) ? `the i=${i} ${name}` : `an ${name}`;
    return m.kind === 'missing' ? `${which} is unusable: ${m.problem} (RFC 8617 §4.1)` : `${which} is not a valid tag-list: ${m.problem} (RFC 6376 §3.2, RFC 8617 §4.1)`;
  }
  return undefined;
}

function mapArc(raw: MaResult['arc'], msg: MessageInput, failures: MailauthQuery[]): { verdict: ArcVerdict; failures: MailauthQuery[] } {
  const sets = arcSets(msg);
  const chainLength = headerValues(msg, 'arc-seal').length;
  const sealer = sets.length ? sets[sets.length - 1]!.sealDomain : null;
  const malformed = arcSyntaxProblem(msg);
  if (malformed) {
    return { verdict: { result: 'fail', chainLength, sealer, explanation: `The ARC chain does not validate: ${malformed}.` }, failures: [] };
  }
  const keyNames = sets.flatMap((s) => s.keyNames);
  const dnsFailures = failures.filter((f) => keyNames.some((k) => sameName(k, f.name)));
  const status = raw ? raw.status.result : 'none';
  const comment = raw ? raw.status.comment || '' : '';
  if (status === 'pass') {
    return {
      verdict: { result: 'pass', chainLength, sealer, explanation: `The ARC chain of ${chainLength} set${chainLength === 1 ? '' : 's'} validates; newest seal by ${sealer}${comment ? ` (recorded: ${comment})` : ''}.` },
      failures: [],
    };
  }
  if (status === 'fail') {
    // mailauth counts every ARC problem as fail (lib/arc/index.js); a key that DNS could not deliver is temporary.
    if (dnsFailures.length) {
      return {
        verdict: { result: 'temperror', chainLength, sealer, explanation: `An ARC key could not be fetched (${dnsFailures[0]!.name}: ${dnsFailures[0]!.status}); the chain could not be validated.` },
        failures: dnsFailures,
      };
    }
    return {
      verdict: { result: 'fail', chainLength, sealer, explanation: `The ARC chain of ${chainLength} set${chainLength === 1 ? '' : 's'} does not validate${comment ? `: ${comment}` : ''}.` },
      failures: [],
    };
  }
  return { verdict: { result: 'none', chainLength: 0, sealer: null, explanation: 'The message has no ARC headers.' }, failures: [] };
}

// ---- findings
function spfFindings(spf: SpfVerdict, dmarc: DmarcVerdict, failures: MailauthQuery[], hint: string | undefined): Finding[] {
  const f = (code: FindingCode, severity: Finding['severity'], message: string, fix?: string): Finding => ({ code, severity, check: 'spf', message, ...(fix ? { fix } : {}) });
  const who = spf.domain ?? 'the sender domain';
  switch (spf.result) {
    case 'pass':
      if (dmarc.fromDomain && !dmarc.alignment.spf.aligned) {
        return [f('AUTH_SPF_UNALIGNED', 'warning', `SPF passed for ${who}, which is not aligned with the From domain ${dmarc.fromDomain}.`, `Use a bounce (MAIL FROM) domain under ${dmarc.orgDomain}${dmarc.alignment.spf.mode === 'strict' ? ` — exactly ${dmarc.fromDomain} while aspf=s` : ''}, or rely on an aligned DKIM signature.`)];
      }
      return [];
    case 'fail':
      return [f('AUTH_SPF_FAIL', 'error', `SPF fail: ${who} does not allow ${spf.ip} to send for it.`, `Add the sending service (its include: or ip4:/ip6:) to the SPF record of ${who}.`)];
    case 'softfail':
      return [f('AUTH_SPF_SOFTFAIL', 'warning', `SPF softfail: ${who} probably does not allow ${spf.ip} (~all).`, `Add the sending service to the SPF record of ${who}.`)];
    case 'neutral':
      return [f('AUTH_SPF_NEUTRAL', 'warning', `SPF neutral: ${who} makes no statement about ${spf.ip}.`, `List the sending service in the SPF record of ${who} and end it with ~all or -all.`)];
    case 'permerror':
      return [f('AUTH_SPF_PERMERROR', 'error', `SPF permerror for ${who}: ${spf.explanation}`, `Run \`mailpace-cli check-domain ${who}\` and fix the SPF record.`)];
    case 'temperror':
      return [dnsFinding('spf', failures, `SPF for ${who}`, spf.explanation)];
    case 'none':
      if (!spf.evaluated && spf.ip) {
        return [f('AUTH_SPF_NOT_CHECKED', 'info', 'SPF was not evaluated: there is no envelope sender or HELO name to check.', 'Pass --mail-from <address> (the MAIL FROM of the SMTP transaction) or --helo <name>.')];
      }
      if (!spf.evaluated) {
        return [f('AUTH_SPF_NOT_CHECKED', 'info', 'SPF was not evaluated: the connecting IP is unknown.', `Pass --ip${hint ? ` ${hint}` : ' <address>'} (the client IP from the topmost Received header added by your receiving server).`)];
      }
      return [f('AUTH_SPF_NONE', 'warning', `SPF none: ${spf.domain ?? 'no domain to check'} publishes no SPF record.`, spf.domain ? `Publish an SPF record at ${spf.domain} ("v=spf1 include:<your provider> -all").` : 'Pass --mail-from or --helo.')];
  }
}

function dkimFindings(sigs: DkimSignatureVerdict[], dmarc: DmarcVerdict, failures: MailauthQuery[]): Finding[] {
  const out: Finding[] = [];
  if (sigs.length === 0) {
    out.push({ code: 'AUTH_DKIM_NONE', severity: 'warning', check: 'dkim', message: 'The message has no DKIM signature.', fix: `Sign outgoing mail with DKIM using a key under ${dmarc.orgDomain ?? 'the From domain'}.` });
  }
  for (const s of sigs) {
    const id = s.domain || s.selector ? `d=${s.domain || '(none)'} s=${s.selector || '(none)'}` : '(no d= or s=)';
    const keyName = `${s.selector}._domainkey.${s.domain}`;
    switch (s.result) {
      case 'fail':
        out.push({ code: 'AUTH_DKIM_FAIL', severity: 'error', check: 'dkim', message: `DKIM signature ${id} fails. ${s.info}`, fix: 'Find what modifies the message after signing (footers, link tracking, re-encoding) or sign after it.' });
        break;
      case 'permerror':
        out.push({
          code: 'AUTH_DKIM_PERMERROR',
          severity: 'error',
          check: 'dkim',
          message: `DKIM signature ${id} cannot be verified. ${s.info}`,
          fix: SIGNER_FAULT.has(s)
            ? 'Fix the signer: a DKIM-Signature is a tag-list of unique, case-sensitive tag=value pairs with v=, a=, b=, bh=, d=, h= and s= (RFC 6376 §3.2, §3.5).'
            : s.domain && s.selector
              ? `Publish the signing key at ${keyName} (or fix the signer's d=/s=).`
              : 'Fix the signer: a DKIM-Signature needs v=, a=, b=, bh=, d=, h= and s= (RFC 6376 §3.5).',
        });
        break;
      case 'policy':
        out.push({ code: 'AUTH_DKIM_WEAK_KEY', severity: 'error', check: 'dkim', message: `DKIM signature ${id} uses a key shorter than 1024 bits.`, fix: `Generate a 2048-bit key and publish it at a new selector.` });
        break;
      case 'neutral':
        out.push({ code: 'AUTH_DKIM_NEUTRAL', severity: 'warning', check: 'dkim', message: `DKIM signature ${id} was not accepted. ${s.info}` });
        break;
      case 'temperror':
        out.push(dnsFinding('dkim', failures.filter((q) => sameName(q.name, keyName)), `DKIM signature ${id}`, s.info));
        break;
    }
  }
  if (dmarc.fromDomain && sigs.some((s) => s.result === 'pass') && !sigs.some((s) => s.aligned)) {
    out.push({
      code: 'AUTH_DKIM_UNALIGNED',
      severity: 'warning',
      check: 'dkim',
      message: `DKIM passed only for ${[...new Set(sigs.filter((s) => s.result === 'pass').map((s) => s.domain))].join(', ')}, not aligned with the From domain ${dmarc.fromDomain}.`,
      fix: `Have the sending service sign with d=${dmarc.alignment.dkim.mode === 'strict' ? dmarc.fromDomain : `${dmarc.orgDomain} (or a subdomain of it)`}.`,
    });
  }
  return out;
}

function dmarcFindings(dmarc: DmarcVerdict, policy: DmarcPolicyRecord | undefined, failures: MailauthQuery[]): Finding[] {
  const out: Finding[] = [];
  switch (dmarc.result) {
    case 'fail':
      out.push({
        code: 'AUTH_DMARC_FAIL',
        severity: 'error',
        check: 'dmarc',
        message: dmarc.explanation,
        fix: `Sign with DKIM d=${dmarc.alignment.dkim.mode === 'strict' ? `${dmarc.fromDomain} exactly (adkim=s)` : `${dmarc.orgDomain} or a subdomain of it`}, or send with a MAIL FROM domain ${dmarc.alignment.spf.mode === 'strict' ? `of exactly ${dmarc.fromDomain} (aspf=s)` : `under ${dmarc.orgDomain}`} that SPF allows.`,
      });
      break;
    case 'none':
      out.push({ code: 'AUTH_DMARC_NONE', severity: 'warning', check: 'dmarc', message: dmarc.explanation, fix: `Publish "v=DMARC1; p=none; rua=mailto:<you>@${dmarc.orgDomain}" at _dmarc.${dmarc.orgDomain}, then tighten the policy.` });
      break;
    case 'permerror':
      out.push({ code: 'AUTH_FROM_INVALID', severity: 'error', check: 'dmarc', message: dmarc.explanation, fix: 'Send with exactly one address in From.' });
      break;
    case 'temperror':
      out.push(dnsFinding('dmarc', failures.filter((q) => /^_dmarc\./i.test(q.name)), `DMARC for ${dmarc.fromDomain}`, dmarc.explanation));
      break;
  }
  if (policy?.problem) {
    out.push({ code: 'AUTH_DMARC_POLICY_INVALID', severity: 'warning', check: 'dmarc', message: `The DMARC record at _dmarc.${dmarc.recordDomain}: ${policy.problem}.`, fix: 'Add p=none, p=quarantine or p=reject to the record.', evidence: policy.record });
  }
  return out;
}

/**
 * Authenticates `msg` (already checked by inspectMessage). DNS goes through deps.resolver only.
 * Never throws for a message that authenticates badly: that is the report.
 */
export async function authenticateMessage(deps: Deps, msg: MessageInput, opts: MessageAuthOptions): Promise<MessageAuthReport> {
  const authenticate = await loadAuthenticate();
  const dns = new MailauthDns(deps.resolver);

  let mailFrom: string | null;
  let source: SpfVerdict['mailFromSource'];
  if (opts.mailFrom !== undefined) {
    mailFrom = opts.mailFrom;
    source = 'option';
  } else {
    const rp = returnPath(msg);
    mailFrom = rp ?? null;
    source = rp === undefined ? 'none' : 'return-path';
  }

  const raw = await authenticate(msg.raw, {
    resolver: dns.resolve,
    ip: opts.ip,
    helo: opts.helo,
    sender: mailFrom || undefined, // empty: mailauth checks postmaster@<helo> (RFC 7208 §2.4)
    mta: opts.mta,
    disableBimi: true, // BIMI is not part of this verdict and would cost lookups
    minBitLength: 1024, // RFC 8301 §3.2
  });

  const fromAddresses = (raw.dkim.headerFrom ?? []).filter(Boolean);
  const failures = dns.failures();
  const spf = mapSpf(raw.spf, opts, mailFrom, source, msg);

  // adkim is known only once the DMARC record is; DKIM rows are mapped twice cheaply rather than guessing.
  // A malformed DKIM-Signature is permerror whatever mailauth verified for it: its row is replaced.
  const malformed = malformedFields(msg, 'dkim-signature');
  const malformedB = new Set(malformed.map((m) => libraryB(m.value)).filter((b) => b !== undefined));
  const rows = (raw.dkim.results ?? []).filter((r) => r.signingDomain && !malformedB.has((r.signature ?? '').replace(/\s+/g, '')));
  const unverified = () => [...malformed.map(malformedSignature), ...skippedSignatures(msg, rows, malformed)];
  const fromDomainGuess = fromAddresses.length === 1 ? normalizeDomain(fromAddresses[0]!.slice(fromAddresses[0]!.lastIndexOf('@') + 1)) : null;
  const draftDkim = [...rows.map((r) => mapDkimRow(r, fromDomainGuess, 'relaxed')), ...unverified()];
  const { verdict: dmarc, policy } = mapDmarc({ raw: raw.dmarc, fromAddresses, spf, dkim: draftDkim, queries: dns.queries });
  const adkim = policy?.adkim ?? 'relaxed';
  const dkim = adkim === 'relaxed' ? draftDkim : [...rows.map((r) => mapDkimRow(r, dmarc.fromDomain, adkim)), ...unverified()];

  const arcMapped = mapArc(raw.arc, msg, failures);
  const arc = arcMapped.verdict;

  // SPF's failures are the ones no other mechanism claims.
  const claimed = (q: MailauthQuery) => /^_dmarc\./i.test(q.name) || /\._domainkey\./i.test(q.name);
  const findings: Finding[] = [
    ...spfFindings(spf, dmarc, failures.filter((q) => !claimed(q)), receivedClientIp(msg)),
    ...dkimFindings(dkim, dmarc, failures),
    ...dmarcFindings(dmarc, policy, failures),
  ];
  if (arc.result === 'fail') {
    findings.push({ code: 'AUTH_ARC_FAIL', severity: 'warning', check: 'arc', message: arc.explanation, fix: 'Receivers will not trust the forwarders\' earlier results; check the newest sealer\'s ARC signing.' });
  } else if (arc.result === 'temperror') {
    findings.push(dnsFinding('arc', arcMapped.failures, `ARC (sealed by ${arc.sealer})`, arc.explanation));
  }

  const parts = { spf, dkim, dmarc, arc };
  return {
    message: {
      from: fromAddresses,
      returnPath: returnPath(msg) ?? null,
      messageId: headerValues(msg, 'message-id')[0] ?? null,
      subject: headerValues(msg, 'subject').map(decodeEncodedWords)[0] ?? null,
    },
    verdict: messageVerdict(parts),
    ...parts,
    findings,
  };
}
