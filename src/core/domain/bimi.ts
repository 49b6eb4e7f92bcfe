/**
 * check-domain's BIMI check (draft-brand-indicators-for-message-identification-05): the assertion
 * record at default._bimi.<domain> (or the organisational domain, §7.3), its l= (the SVG logo, https)
 * and a= (the Verified/Common Mark Certificate, https), and the DMARC enforcement BIMI depends on.
 * With fetchBimi the logo is downloaded and held to SVG Tiny PS, and the certificate is read.
 */
import { X509Certificate } from 'node:crypto';
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import { DnsError } from '../errors.js';
import type { FindingCode } from '../finding-codes.js';
import type { Finding } from '../types.js';
import { svgTinyPsProblems } from './bimi-svg.js';
import { clipper, dnsFailureFinding, findingFor } from './check-runner.js';
import { parseTagList } from './dkim.js';
import type { DmarcResult } from './dmarc.js';
import { organizationalDomain } from './org-domain.js';
import { PolicyFetchError, type PolicyFetcher, type PolicyResponse } from './policy-fetch.js';

export const BIMI_SELECTOR = 'default';

export interface BimiLogoCheck {
  url: string;
  /** Size in octets, when downloaded. */
  bytes: number | null;
  /** SVG Tiny PS problems found; [] when it passed. */
  problems: string[];
}

export interface BimiCertificateCheck {
  url: string;
  /** Subject alternative names (DNS) of the first certificate. */
  names: string[];
  validFrom: string | null;
  validTo: string | null;
  issuer: string | null;
  /** Carries the logotype extension (RFC 3709) that makes it a mark certificate. */
  logotype: boolean;
  problems: string[];
}

export interface BimiResult {
  record: string | null;
  /** Where the record was found (default._bimi.<name>). */
  recordDomain: string | null;
  /** True when the record came from the organisational domain. */
  inherited: boolean;
  /** l= is empty: the domain declines to show a logo. */
  declined: boolean;
  logoUrl: string | null;
  authorityUrl: string | null;
  /** Whether DMARC is at enforcement as BIMI requires; null when DMARC could not be checked. */
  dmarcEnforced: boolean | null;
  /** With fetchBimi: the downloaded logo; otherwise null. */
  logo: BimiLogoCheck | null;
  /** With fetchBimi and an a= URL: the downloaded certificate; otherwise null. */
  certificate: BimiCertificateCheck | null;
}

export interface BimiInput {
  /** The domain's DMARC result (from the DMARC check); null when it could not be checked. */
  dmarc: DmarcResult | null;
  /** Download and check the logo (and certificate) — --fetch-bimi. */
  fetchBimi?: boolean;
  /** Needed when fetchBimi is set. */
  fetcher?: PolicyFetcher;
}

const CHECK = 'bimi';

const finding = findingFor(CHECK);

export function isBimiRecord(text: string): boolean {
  return /^\s*v\s*=\s*BIMI1\s*(;|$)/i.test(text);
}

export interface ParsedBimi {
  logoUrls: string[];
  authorityUrl: string | null;
  declined: boolean;
  errors: string[];
}

/** A record value quoted in a message: printable and at most 60 characters. */
const clip = clipper(60);

function httpsProblem(value: string, tag: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `${tag}=${clip(value)} is not a URL`;
  }
  if (u.protocol !== 'https:') return `${tag}=${clip(value)} is not an https: URL`;
  return undefined;
}

/** BIMI draft §4.2: tag=value list, v=BIMI1 first; l= and a= https URIs (or empty: declination). */
export function parseBimi(text: string): ParsedBimi {
  const res: ParsedBimi = { logoUrls: [], authorityUrl: null, declined: false, errors: [] };
  const tags = parseTagList(text);
  if (typeof tags === 'string') {
    res.errors.push(tags);
    return res;
  }
  const keys = [...tags.keys()];
  if (keys[0] !== 'v' || tags.get('v') !== 'BIMI1') res.errors.push('v=BIMI1 must be the first tag (case-sensitive)');
  const l = tags.get('l');
  const a = tags.get('a');
  if (l === undefined) {
    res.errors.push('no l= tag (the logo URL; write "l=" empty to decline BIMI)');
  } else if (l === '') {
    res.declined = true;
  } else {
    for (const url of l.split(',').map((s) => s.trim())) {
      const p = httpsProblem(url, 'l');
      if (p) res.errors.push(p);
      else if (!/\.svg$/i.test(new URL(url).pathname)) res.errors.push(`l=${clip(url)} does not name an .svg file (the logo must be SVG Tiny PS)`);
      else res.logoUrls.push(url);
    }
  }
  if (a !== undefined && a !== '') {
    const p = httpsProblem(a, 'a');
    if (p) res.errors.push(p);
    else res.authorityUrl = a;
  }
  return res;
}

/** BIMI draft §4.3 and the providers' rules: p=quarantine|reject, pct=100, sp not none. Empty = enforced. */
export function dmarcEnforcementGaps(dmarc: DmarcResult): string[] {
  if (!dmarc.record) return ['there is no DMARC record'];
  const gaps: string[] = [];
  const effective = dmarc.inherited ? dmarc.subdomainPolicy : dmarc.policy;
  if (effective !== 'quarantine' && effective !== 'reject') gaps.push(`the policy${dmarc.inherited ? ` inherited from ${dmarc.orgDomain} (sp=)` : ''} is ${effective ?? 'missing'}, not quarantine or reject`);
  if (dmarc.pct !== null && dmarc.pct < 100) gaps.push(`pct=${dmarc.pct} (must be 100)`);
  if (!dmarc.inherited && dmarc.subdomainPolicy === 'none' && dmarc.policy !== 'none') gaps.push('sp=none (subdomains unprotected)');
  return gaps;
}

/** DER of the logotype extension OID 1.3.6.1.5.5.7.1.12 (RFC 3709), which every VMC/CMC carries. */
const LOGOTYPE_OID_DER = Buffer.from('06082b0601050507010c', 'hex');

function certificateProblems(pem: string, domain: string, now: number, url: string): BimiCertificateCheck {
  const check: BimiCertificateCheck = { url, names: [], validFrom: null, validTo: null, issuer: null, logotype: false, problems: [] };
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    check.problems.push('it contains no PEM certificate ("-----BEGIN CERTIFICATE-----")');
    return check;
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]!);
  } catch (e) {
    check.problems.push(`its first certificate cannot be read (${(e as Error).message})`);
    return check;
  }
  check.validFrom = new Date(leaf.validFrom).toISOString();
  check.validTo = new Date(leaf.validTo).toISOString();
  check.issuer = leaf.issuer.replace(/\n/g, ', ');
  check.names = (leaf.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  check.logotype = leaf.raw.includes(LOGOTYPE_OID_DER);
  if (now < Date.parse(leaf.validFrom)) check.problems.push(`it is not valid before ${check.validFrom}`);
  if (now > Date.parse(leaf.validTo)) check.problems.push(`it expired on ${check.validTo}`);
  const org = organizationalDomain(domain);
  const named = check.names.some((n) => n === `${BIMI_SELECTOR}._bimi.${domain}` || organizationalDomain(n.replace(/^\*\./, '')) === org);
  if (!named) check.problems.push(`it does not name ${domain} (names: ${check.names.join(', ') || 'none'})`);
  if (!check.logotype) check.problems.push('it has no logotype extension (RFC 3709): it is not a Verified or Common Mark Certificate');
  return check;
}

type Download = { ok: true; res: PolicyResponse } | { ok: false; finding?: Finding; dns?: DnsError; tooLarge?: number };

async function download(fetcher: PolicyFetcher, url: string, what: string, code: FindingCode): Promise<Download> {
  let res: PolicyResponse;
  try {
    res = await fetcher.get(url);
  } catch (e) {
    if (!(e instanceof PolicyFetchError)) throw e;
    if (e.cause instanceof DnsError) return { ok: false, dns: e.cause };
    if (e.reason === 'too-large') return { ok: false, tooLarge: e.bytes ?? 0 };
    return { ok: false, finding: finding(code, 'warning', `The BIMI ${what} could not be downloaded from ${url}: ${e.message}.`, `Serve the ${what} over HTTPS with a publicly trusted certificate and HTTP 200.`, { url, reason: e.reason }) };
  }
  if (res.status !== 200) {
    const where = res.status >= 300 && res.status < 400 && res.headers.location ? ` (redirect to ${res.headers.location}; mailbox providers may not follow it)` : '';
    return { ok: false, finding: finding(code, 'warning', `The BIMI ${what} URL ${url} answered HTTP ${res.status}${where} instead of 200.`, `Serve the ${what} directly at ${url} with HTTP 200.`, { url, status: res.status, location: res.headers.location }) };
  }
  return { ok: true, res };
}

async function fetchAndCheck(deps: Deps, domain: string, result: BimiResult, fetcher: PolicyFetcher, findings: Finding[]): Promise<void> {
  const jobs: Promise<void>[] = [];
  if (result.logoUrl) {
    const url = result.logoUrl;
    jobs.push(
      download(fetcher, url, 'logo', 'BIMI_LOGO_UNREACHABLE').then(async (d) => {
        if (d.ok) {
          const problems = await svgTinyPsProblems(d.res.body, d.res.bytes);
          result.logo = { url, bytes: d.res.bytes, problems };
          if (problems.length > 0) {
            findings.push(finding('BIMI_SVG_INVALID', 'warning', `The BIMI logo ${url} is not SVG Tiny PS: ${problems.join('; ')}. Mailbox providers will not show it.`, 'Export the logo as SVG Tiny Portable/Secure (the BIMI Group publishes converters and a validator), square, under 32 KiB.', { url, problems }));
          }
        } else if (d.tooLarge !== undefined) {
          const problems = [`it is larger than the 64 KiB download limit (the logo limit is 32 KiB)`];
          result.logo = { url, bytes: null, problems };
          findings.push(finding('BIMI_SVG_INVALID', 'warning', `The BIMI logo ${url} is not SVG Tiny PS: ${problems[0]}.`, 'Simplify the SVG (no embedded raster images or fonts) until it is under 32 KiB.', { url, problems }));
        } else if (d.dns) {
          findings.push(dnsFailureFinding(CHECK, d.dns));
        } else if (d.finding) {
          findings.push(d.finding);
        }
      }),
    );
  }
  if (result.authorityUrl) {
    const url = result.authorityUrl;
    jobs.push(
      download(fetcher, url, 'certificate', 'BIMI_VMC_UNREACHABLE').then((d) => {
        if (d.ok) {
          const check = certificateProblems(d.res.body, domain, deps.clock.now(), url);
          result.certificate = check;
          if (check.problems.length > 0) {
            findings.push(finding('BIMI_VMC_INVALID', 'warning', `The BIMI certificate ${url} is not usable: ${check.problems.join('; ')}.`, 'Publish the PEM chain (leaf first) of a current Verified or Common Mark Certificate issued for this domain.', { url, problems: check.problems }));
          }
        } else if (d.tooLarge !== undefined) {
          findings.push(finding('BIMI_VMC_INVALID', 'warning', `The BIMI certificate ${url} is larger than the 64 KiB download limit; a PEM chain is a few KiB.`, 'Publish only the PEM certificate chain at a= (leaf first).', { url }));
        } else if (d.dns) {
          findings.push(dnsFailureFinding(CHECK, d.dns));
        } else if (d.finding) {
          findings.push(d.finding);
        }
      }),
    );
  }
  await Promise.all(jobs);
}

async function fetchBimiRecords(deps: Deps, name: string): Promise<string[]> {
  const a = await deps.resolver.query(`${BIMI_SELECTOR}._bimi.${name}`, 'TXT');
  if (isFailure(a)) throw answerError(a);
  return a.records.map((r) => r.text).filter(isBimiRecord);
}

export async function checkBimi(deps: Deps, domain: string, input: BimiInput): Promise<{ result: BimiResult; findings: Finding[] }> {
  const result: BimiResult = { record: null, recordDomain: null, inherited: false, declined: false, logoUrl: null, authorityUrl: null, dmarcEnforced: null, logo: null, certificate: null };
  const findings: Finding[] = [];
  const orgDomain = organizationalDomain(domain);
  try {
    let records = await fetchBimiRecords(deps, domain);
    let at = domain;
    // BIMI draft §7.3: with no record at the author domain, the organisational domain's applies.
    if (records.length === 0 && orgDomain !== domain) {
      records = await fetchBimiRecords(deps, orgDomain);
      at = orgDomain;
      result.inherited = records.length > 0;
    }
    if (input.dmarc) result.dmarcEnforced = dmarcEnforcementGaps(input.dmarc).length === 0;
    if (records.length === 0) {
      findings.push(finding('BIMI_MISSING', 'info', `${domain} publishes no BIMI record (default._bimi.${domain}${orgDomain !== domain ? ` or default._bimi.${orgDomain}` : ''}): mailbox providers show no brand logo.`, `Once DMARC is at p=quarantine or p=reject, publish TXT "v=BIMI1; l=https://…/logo.svg; a=https://…/vmc.pem" at default._bimi.${orgDomain}.`));
      return { result, findings };
    }
    const name = `${BIMI_SELECTOR}._bimi.${at}`;
    result.recordDomain = name;
    result.record = records[0]!;
    if (records.length > 1) {
      findings.push(finding('BIMI_INVALID', 'warning', `${name} has ${records.length} "v=BIMI1" records: receivers cannot tell which applies and ignore them.`, 'Keep exactly one v=BIMI1 record per selector.', { records }));
      return { result, findings };
    }
    const parsed = parseBimi(result.record);
    result.declined = parsed.declined;
    result.logoUrl = parsed.logoUrls[0] ?? null;
    result.authorityUrl = parsed.authorityUrl;
    if (parsed.errors.length > 0) {
      findings.push(finding('BIMI_INVALID', 'warning', `The BIMI record at ${name} is invalid: ${parsed.errors.join('; ')}.`, 'Publish "v=BIMI1; l=https://<host>/<logo>.svg; a=https://<host>/<vmc>.pem" (https URLs; a= may be left out).', { record: result.record, errors: parsed.errors }));
    }
    if (parsed.declined) {
      findings.push(finding('BIMI_DECLINED', 'info', `The BIMI record at ${name} has an empty l=: ${domain} declines to show a logo.`, 'Nothing to do unless you want a logo shown; then put the SVG URL in l=.'));
      return { result, findings };
    }
    if (input.dmarc) {
      const gaps = dmarcEnforcementGaps(input.dmarc);
      if (gaps.length > 0) {
        findings.push(finding('BIMI_DMARC_NOT_ENFORCED', 'warning', `${domain} publishes BIMI but its DMARC is not at enforcement: ${gaps.join('; ')}. Mailbox providers show no logo.`, `Move DMARC for ${input.dmarc.orgDomain} to p=quarantine or p=reject with pct=100 and no sp=none.`, { gaps, dmarc: input.dmarc.record }));
      }
    }
    if (!parsed.authorityUrl && parsed.errors.length === 0) {
      findings.push(finding('BIMI_NO_VMC', 'info', `The BIMI record of ${domain} has no a= certificate: Gmail and Apple Mail show BIMI logos only with a Verified or Common Mark Certificate (Yahoo shows them without).`, 'Obtain a VMC (registered trademark) or CMC for the logo and publish its PEM at an https URL in a=.'));
    }
    if (input.fetchBimi && input.fetcher) await fetchAndCheck(deps, domain, result, input.fetcher, findings);
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    findings.push(dnsFailureFinding(CHECK, e));
  }
  return { result, findings };
}
