/**
 * check-domain's DKIM check: the key record at <selector>._domainkey.<domain> (RFC 6376 §3.6),
 * key type and size (RFC 8301, RFC 8463), flags and hash restrictions.
 */
import { createPublicKey } from 'node:crypto';
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import { DnsError } from '../errors.js';
import type { Finding } from '../types.js';
import { dnsFailureFinding, findingFor } from './check-runner.js';
import { COMMON_DKIM_SELECTORS } from './dkim-selectors.js';

export interface DkimSelectorResult {
  selector: string;
  found: boolean;
  keyType: string | null;
  bits: number | null;
  testing: boolean;
  record: string | null;
}

export interface DkimResult {
  /** "user" when selectors came from --selector, "common" when the built-in list was tried. */
  source: 'user' | 'common';
  /** Every selector asked about. */
  tried: string[];
  /** With source "common", only the selectors found; with "user", all of them. */
  selectors: DkimSelectorResult[];
}

export interface DkimKeyRecord {
  tags: Map<string, string>;
  version?: string;
  keyType: string;
  publicKey: string;
  flags: string[];
  hashes?: string[];
  services?: string[];
}

/** Tag=value list (RFC 6376 §3.2); returns an error string on malformed input. */
export function parseTagList(text: string): Map<string, string> | string {
  const tags = new Map<string, string>();
  const parts = text.split(';');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!.trim();
    if (part === '') {
      if (i === parts.length - 1) continue; // a trailing ";" is allowed
      return 'empty tag (";;")';
    }
    const eq = part.indexOf('=');
    if (eq <= 0) return `"${part}" is not tag=value`;
    const name = part.slice(0, eq).trim();
    if (!/^[a-z][a-z0-9_]*$/i.test(name)) return `bad tag name "${name}"`;
    if (tags.has(name)) return `tag "${name}" appears twice`;
    tags.set(name, part.slice(eq + 1).trim());
  }
  return tags;
}

export function parseDkimKey(text: string): DkimKeyRecord | string {
  const tags = parseTagList(text);
  if (typeof tags === 'string') return tags;
  const v = tags.get('v');
  // RFC 6376 §3.6.1: v= is optional, but if present it must be first and equal "DKIM1".
  if (v !== undefined && (v !== 'DKIM1' || [...tags.keys()][0] !== 'v')) return `v= must be first and "DKIM1" (found "${v}")`;
  const p = tags.get('p');
  if (p === undefined) return 'no p= (public key) tag';
  const rec: DkimKeyRecord = {
    tags,
    keyType: (tags.get('k') ?? 'rsa').toLowerCase(),
    publicKey: p.replace(/\s+/g, ''),
    flags: (tags.get('t') ?? '').split(':').map((s) => s.trim().toLowerCase()).filter(Boolean),
  };
  if (v !== undefined) rec.version = v;
  if (tags.has('h')) rec.hashes = tags.get('h')!.split(':').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (tags.has('s')) rec.services = tags.get('s')!.split(':').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return rec;
}

/** RSA modulus size of a p= value (SubjectPublicKeyInfo, or bare PKCS#1 as some signers publish). */
export function rsaKeyBits(base64: string): number | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const der = Buffer.from(base64, 'base64');
  for (const type of ['spki', 'pkcs1'] as const) {
    try {
      const key = createPublicKey({ key: der, format: 'der', type });
      if (key.asymmetricKeyType === 'rsa') return key.asymmetricKeyDetails?.modulusLength;
    } catch {
      /* try the next encoding */
    }
  }
  return undefined;
}

const CHECK = 'dkim';

const finding = findingFor(CHECK);

async function checkSelector(deps: Deps, domain: string, selector: string): Promise<{ result: DkimSelectorResult; findings: Finding[] }> {
  const name = `${selector}._domainkey.${domain}`;
  const result: DkimSelectorResult = { selector, found: false, keyType: null, bits: null, testing: false, record: null };
  const a = await deps.resolver.query(name, 'TXT');
  if (isFailure(a)) throw answerError(a);
  // Keys are TXT records; ignore unrelated TXT (e.g. SPF) that can sit at the same name via wildcards.
  const candidates = a.records.map((r) => r.text).filter((t) => /(^|;)\s*(v=DKIM1|k=|p=)/i.test(t));
  if (candidates.length === 0) return { result, findings: [] };
  const findings: Finding[] = [];
  result.found = true;
  result.record = candidates[0]!;
  if (candidates.length > 1) {
    findings.push(finding('DKIM_RECORD_INVALID', 'error', `${name} has ${candidates.length} key records; verifiers may pick either and fail.`, 'Keep exactly one DKIM key record per selector.', { records: candidates }));
  }
  const key = parseDkimKey(result.record);
  if (typeof key === 'string') {
    findings.push(finding('DKIM_RECORD_INVALID', 'error', `DKIM key at ${name} does not parse: ${key}.`, 'Republish the key record exactly as your signer or provider gives it.', { record: result.record }));
    return { result, findings };
  }
  result.keyType = key.keyType;
  result.testing = key.flags.includes('y');
  if (key.publicKey === '') {
    findings.push(finding('DKIM_KEY_REVOKED', 'warning', `Selector ${selector} of ${domain} has an empty p=: the key is revoked, signatures with it fail.`, `If mail is still signed with selector ${selector}, publish its public key; otherwise stop signing with it.`));
    return { result, findings };
  }
  if (key.keyType === 'rsa') {
    const bits = rsaKeyBits(key.publicKey);
    if (bits === undefined) {
      findings.push(finding('DKIM_RECORD_INVALID', 'error', `The p= value at ${name} is not a readable RSA public key.`, 'Republish the base64 public key without truncation (long keys must be split into several strings of one TXT record).', { record: result.record }));
    } else {
      result.bits = bits;
      if (bits < 1024) {
        findings.push(finding('DKIM_KEY_TOO_SHORT', 'error', `Selector ${selector} of ${domain} uses a ${bits}-bit RSA key; verifiers must reject keys under 1024 bits (RFC 8301 §3.2).`, 'Generate a 2048-bit key, publish it under a new selector and switch signing to it.', { bits }));
      } else if (bits < 2048) {
        findings.push(finding('DKIM_KEY_WEAK', 'warning', `Selector ${selector} of ${domain} uses a ${bits}-bit RSA key; 2048 bits is the current recommendation (RFC 8301 §3.2).`, 'Rotate to a 2048-bit key under a new selector.', { bits }));
      }
    }
  } else if (key.keyType === 'ed25519') {
    // RFC 8463 §4.2: p= is the raw 32-octet Ed25519 public key.
    const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(key.publicKey) ? Buffer.from(key.publicKey, 'base64') : Buffer.alloc(0);
    if (raw.length !== 32) {
      findings.push(finding('DKIM_RECORD_INVALID', 'error', `The Ed25519 key at ${name} is ${raw.length} octets, not 32 (RFC 8463).`, 'Publish the raw 32-octet public key, base64-encoded.', { record: result.record }));
    } else {
      result.bits = 256;
    }
  } else {
    findings.push(finding('DKIM_RECORD_INVALID', 'error', `The key at ${name} has k=${key.keyType}, which verifiers do not support (rsa or ed25519).`, 'Publish an rsa or ed25519 key.', { record: result.record }));
  }
  if (result.testing) {
    findings.push(finding('DKIM_TESTING', 'warning', `Selector ${selector} of ${domain} is in testing mode (t=y): verifiers may treat failures as unsigned.`, 'Remove t=y once signing works.'));
  }
  if (key.flags.includes('s')) {
    findings.push(finding('DKIM_STRICT_SUBDOMAIN', 'info', `Selector ${selector} of ${domain} has t=s: signatures whose i= is a subdomain of ${domain} will fail.`));
  }
  if (key.hashes?.includes('sha1')) {
    findings.push(finding('DKIM_SHA1_ALLOWED', 'warning', `Selector ${selector} of ${domain} allows sha1 (h=${key.hashes.join(':')}); verifiers must not accept sha1 signatures (RFC 8301 §3.1).`, 'Sign with rsa-sha256 and set h=sha256 (or drop h=).'));
  }
  return { result, findings };
}

export async function checkDkim(deps: Deps, domain: string, userSelectors: readonly string[] = []): Promise<{ result: DkimResult; findings: Finding[] }> {
  const source = userSelectors.length > 0 ? 'user' : 'common';
  const tried = source === 'user' ? [...new Set(userSelectors.map((s) => s.toLowerCase()))] : [...COMMON_DKIM_SELECTORS];
  const findings: Finding[] = [];
  const dnsErrors: Finding[] = [];
  const outcomes = await Promise.all(
    tried.map(async (sel) => {
      try {
        return await checkSelector(deps, domain, sel);
      } catch (e) {
        if (!(e instanceof DnsError)) throw e;
        dnsErrors.push(dnsFailureFinding(CHECK, e));
        return undefined;
      }
    }),
  );
  const selectors: DkimSelectorResult[] = [];
  outcomes.forEach((o, i) => {
    const sel = tried[i]!;
    if (!o) {
      if (source === 'user') selectors.push({ selector: sel, found: false, keyType: null, bits: null, testing: false, record: null });
      return;
    }
    findings.push(...o.findings);
    if (source === 'user' || o.result.found) selectors.push(o.result);
    if (source === 'user' && !o.result.found) {
      findings.push(finding('DKIM_KEY_MISSING', 'error', `No DKIM key at ${sel}._domainkey.${domain}: mail signed with selector ${sel} fails DKIM.`, `Publish the public key your signer gives for selector ${sel} as a TXT (or provider CNAME) record at ${sel}._domainkey.${domain}.`, { selector: sel }));
    }
  });
  findings.push(...dnsErrors);
  if (source === 'common' && selectors.length === 0 && dnsErrors.length === 0) {
    findings.push(finding('DKIM_NONE_FOUND', 'info', `None of ${tried.length} common DKIM selectors has a key at ${domain} (DKIM selectors cannot be listed from DNS).`, 'Pass the selector your mail is signed with (the s= of a DKIM-Signature header) with --selector.', { tried }));
  }
  return { result: { source, tried, selectors }, findings };
}
