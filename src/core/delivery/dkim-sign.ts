/**
 * DKIM signing of the message `send` queues (RFC 6376 §5), with mailauth's signer, and a check
 * that the signing domain publishes the public half of the key we sign with — a mismatch fails
 * every signature at every receiver, and is the most common DKIM mistake after a key rotation.
 *
 * Keys: RSA (rsa-sha256, RFC 6376 §3.3.1; at least 1024 bits, RFC 8301 §3.2) and Ed25519
 * (ed25519-sha256, RFC 8463 §3), read from PEM; the type comes from the key itself.
 *
 * mailauth is imported lazily, on the first signature: nothing else in `send` needs it.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { checkAlignment, normalizeDomain } from '../auth/alignment.js';
import type { Clock } from '../clock.js';
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import { dnsFailureFinding, findingFor } from '../domain/check-runner.js';
import { parseDkimKey } from '../domain/dkim.js';
import { DnsError, MailpaceError, UsageError } from '../errors.js';
import type { Finding } from '../types.js';

export type DkimAlgorithm = 'rsa-sha256' | 'ed25519-sha256';

export interface DkimPrivateKey {
  keyObject: KeyObject;
  type: 'rsa' | 'ed25519';
  algorithm: DkimAlgorithm;
  /** RSA modulus size; 256 for Ed25519. */
  bits: number;
  /** The p= value the selector's record must carry (RFC 6376 §3.6.1; RFC 8463 §4.2 for Ed25519). */
  publicKeyB64: string;
}

/**
 * Signed header fields (RFC 6376 §5.4.1: those a receiver shows or acts on). Only fields present
 * are signed; From is signed once more than it occurs ("oversigned", RFC 6376 §5.4.2, §8.15), so a
 * second From added in transit breaks the signature instead of being shown to the reader.
 */
export const DKIM_SIGNED_HEADERS = [
  'From',
  'To',
  'Cc',
  'Subject',
  'Date',
  'Message-ID',
  'Reply-To',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'In-Reply-To',
  'References',
] as const;

/** RFC 8301 §3.2: verifiers MUST NOT accept RSA keys under 1024 bits; signers MUST use at least that. */
export const MIN_RSA_BITS = 1024;

/** PKCS#8 prefix of a raw 32-octet Ed25519 private key (RFC 8410 §7): what `dknewkey` (dkimpy) writes is the bare key in base64. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Parses a DKIM private key: PEM (PKCS#8 or PKCS#1 RSA), or a base64 raw Ed25519 key. Throws UsageError. */
export function parseDkimPrivateKey(material: string | Buffer, source = 'the DKIM key'): DkimPrivateKey {
  const text = Buffer.isBuffer(material) ? material.toString('utf8') : material;
  let keyObject: KeyObject;
  try {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      keyObject = createPrivateKey({ key: text, format: 'pem' });
    } else if (/^\s*[A-Za-z0-9+/]{43}=\s*$/.test(text)) {
      keyObject = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(text.trim(), 'base64')]), format: 'der', type: 'pkcs8' });
    } else if (/-----BEGIN [A-Z ]*PUBLIC KEY-----/.test(text)) {
      throw new UsageError(`${source} is a public key; signing needs the private key`);
    } else {
      throw new UsageError(`${source} is not a PEM private key ("-----BEGIN PRIVATE KEY-----")`);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (/ENCRYPTED/.test(text) || /passphrase/i.test(String((err as Error).message))) {
      throw new UsageError(`${source} is encrypted; give an unencrypted key (openssl pkey -in key.pem -out plain.pem)`);
    }
    throw new UsageError(oneLine(`${source} cannot be read as a private key${code ? ` (${code})` : ''}`));
  }
  const type = keyObject.asymmetricKeyType;
  if (type === 'rsa') {
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new UsageError(`${source} is a ${bits}-bit RSA key; receivers reject DKIM keys under ${MIN_RSA_BITS} bits (RFC 8301 §3.2)`, { hint: 'generate a 2048-bit key' });
    // RFC 6376 §3.6.1: p= is the DER SubjectPublicKeyInfo, base64-encoded.
    const spki = createPublicKey(keyObject).export({ format: 'der', type: 'spki' });
    return { keyObject, type, algorithm: 'rsa-sha256', bits, publicKeyB64: spki.toString('base64') };
  }
  if (type === 'ed25519') {
    // RFC 8463 §4.2: p= is the raw 32-octet public key, not wrapped in SubjectPublicKeyInfo.
    const spki = createPublicKey(keyObject).export({ format: 'der', type: 'spki' });
    return { keyObject, type, algorithm: 'ed25519-sha256', bits: 256, publicKeyB64: spki.subarray(spki.length - 32).toString('base64') };
  }
  throw new UsageError(`${source} holds a key of type ${type}; DKIM signs with rsa (RFC 6376 §3.3) or ed25519 (RFC 8463)`);
}

/** Reads and parses a key file; an unreadable or unparseable file is a UsageError (one line). */
export async function readDkimPrivateKey(path: string): Promise<DkimPrivateKey> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable');
    throw new UsageError(`DKIM key file ${path}: ${why}`);
  }
  return parseDkimPrivateKey(data, `DKIM key file ${path}`);
}

export interface DkimSignOptions {
  key: DkimPrivateKey;
  selector: string;
  /** d= (--dkim-domain); the header From domain when absent. */
  domain?: string;
  /** The header From domain of the message (PreparedMessage.from.domain). */
  fromDomain: string;
}

export interface DkimSignResult {
  /** The message with the DKIM-Signature field prepended (RFC 6376 §5.6), CRLF throughout. */
  raw: Buffer;
  /** The DKIM-Signature field as added, folded, without the final CRLF. */
  signature: string;
  algorithm: DkimAlgorithm;
  domain: string;
  selector: string;
  notices: string[];
}

// ---- the parts of mailauth's signer we use (lib/dkim/dkim-signer.js, lib/dkim/message-parser.js)
interface MaParsedHeader {
  key: string | null;
  casedKey: string;
  line: Buffer;
}
interface MaSigner {
  signatureHeaders: string[];
  errors: { err: Error }[];
  on(event: string, fn: (...args: unknown[]) => void): void;
  end(chunk: Buffer): void;
}
type MaSignerClass = new (options: Record<string, unknown>) => MaSigner;

/**
 * mailauth's DkimSigner (what its dkimSign() runs) extended to oversign From. mailauth puts a field
 * name in h= once per instance present, so it cannot list From once more than it occurs; the extra
 * entry must add nothing to the signed data (RFC 6376 §5.4.2: a nonexistent field is the null
 * string). So the top-most From is named twice in h= — h= is built from each field's casedKey —
 * while its line goes into the hash once. signDkim checks the outcome in the h= it gets back.
 */
async function loadSigner(): Promise<MaSignerClass> {
  // A variable specifier keeps the import lazy and away from the type checker (mailauth has no typings).
  const specifier = 'mailauth/lib/dkim/dkim-signer.js';
  const mod = (await import(specifier)) as { DkimSigner?: MaSignerClass; default?: { DkimSigner?: MaSignerClass } };
  const Base = mod.DkimSigner ?? mod.default?.DkimSigner;
  if (!Base) throw new MailpaceError('DKIM_LIBRARY', 'mailauth does not export DkimSigner; reinstall the package');
  const B = Base as unknown as new (options: Record<string, unknown>) => MaSigner & { messageHeaders(h: { parsed: MaParsedHeader[] }): Promise<void> };
  class OversigningSigner extends B {
    override async messageHeaders(headers: { parsed: MaParsedHeader[] }): Promise<void> {
      const top = headers.parsed.find((h) => h.key === 'from');
      if (top) top.casedKey = `${top.casedKey}: ${top.casedKey}`;
      return super.messageHeaders(headers);
    }
  }
  return OversigningSigner as unknown as MaSignerClass;
}

/** How many From fields the header section holds. */
function fromFieldCount(raw: Buffer): number {
  const head = raw.toString('latin1').split('\r\n\r\n', 1)[0]!;
  return head.split('\r\n').filter((l) => /^from[ \t]*:/i.test(l)).length;
}

/** The tag list of a DKIM-Signature value, unfolded; just enough to read h= back. */
function signatureTag(signature: string, tag: string): string | undefined {
  const value = signature.slice(signature.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ');
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === tag) return part.slice(eq + 1).replace(/\s+/g, '');
  }
  return undefined;
}

/**
 * Signs `raw` (CRLF, as PreparedMessage.raw): relaxed/relaxed canonicalization (RFC 6376 §3.4.2,
 * §3.4.4, robust to the whitespace changes relays make), t= from the clock, no x= (an expiry would
 * fail messages that sit in a retry queue past it).
 */
export async function signDkim(deps: { clock: Clock }, raw: Buffer, opts: DkimSignOptions): Promise<DkimSignResult> {
  const domain = normalizeDomain(opts.domain ?? opts.fromDomain);
  const selector = opts.selector.trim().toLowerCase();
  // RFC 6376 §3.1: the selector is one or more DNS labels.
  if (!/^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/.test(selector)) {
    throw new UsageError(`DKIM selector ${JSON.stringify(opts.selector)} is not a DNS label (RFC 6376 §3.1)`);
  }
  if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)+$/.test(domain)) throw new UsageError(`DKIM domain ${JSON.stringify(opts.domain ?? opts.fromDomain)} is not a domain name`);
  // RFC 6376 §5.4: From MUST be signed; a message without one has nothing for DMARC to align with.
  if (fromFieldCount(raw) === 0) throw new UsageError('the message has no From header, which DKIM must sign (RFC 6376 §5.4)');
  const notices: string[] = [];
  const alignment = checkAlignment(domain, opts.fromDomain, 'relaxed');
  if (!alignment.aligned) {
    notices.push(`d=${domain} is not in the organisational domain of the From domain ${normalizeDomain(opts.fromDomain)}: this signature cannot make DMARC pass (RFC 7489 §3.1.1).`);
  }
  // Node caches the module itself; no module-level state here (DESIGN: caches live per run).
  const Signer = await loadSigner();
  const signer = new Signer({
    canonicalization: 'relaxed/relaxed',
    algorithm: opts.key.algorithm,
    signTime: new Date(deps.clock.now()),
    headerList: DKIM_SIGNED_HEADERS.join(':'),
    signatureData: [
      {
        signingDomain: domain,
        selector,
        // mailauth reads PEM; PKCS#8 whatever the key file held (PKCS#1, raw Ed25519).
        privateKey: opts.key.keyObject.export({ format: 'pem', type: 'pkcs8' }),
      },
    ],
  });
  await new Promise<void>((resolve, reject) => {
    signer.on('error', (err) => reject(err as Error));
    signer.on('finish', () => resolve());
    signer.end(raw);
  });
  const signature = signer.signatureHeaders[0];
  if (!signature) {
    const why = signer.errors[0]?.err?.message ?? 'no signature was produced';
    throw new MailpaceError('DKIM_SIGN_FAILED', oneLine(`DKIM signing failed: ${why}`));
  }
  const h = (signatureTag(signature, 'h') ?? '').split(':').map((s) => s.toLowerCase());
  const fromCount = fromFieldCount(raw);
  if (h.filter((n) => n === 'from').length !== fromCount + 1) {
    throw new MailpaceError('DKIM_SIGN_FAILED', `DKIM signing did not oversign From (h=${h.join(':')}); the installed mailauth signs differently than this module expects`);
  }
  const field = signature.replace(/\r?\n$/, '').replace(/\r?\n/g, '\r\n');
  return { raw: Buffer.concat([Buffer.from(`${field}\r\n`, 'latin1'), raw]), signature: field, algorithm: opts.key.algorithm, domain, selector, notices };
}

// ---- is the key published? --------------------------------------------------------------------

const CHECK = 'dkim-key';
const finding = findingFor(CHECK);

/** The public key a record's p= holds, or undefined when it cannot be read as that key type. */
function recordKey(keyType: string, p: string): KeyObject | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(p)) return undefined;
  const der = Buffer.from(p, 'base64');
  try {
    if (keyType === 'ed25519') {
      if (der.length !== 32) return undefined;
      return createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), der]), format: 'der', type: 'spki' });
    }
    // RFC 6376 §3.6.1 says SubjectPublicKeyInfo; some signers publish the bare PKCS#1 key, which verifiers accept too.
    for (const type of ['spki', 'pkcs1'] as const) {
      try {
        return createPublicKey({ key: der, format: 'der', type });
      } catch {
        /* next encoding */
      }
    }
  } catch {
    /* not a key */
  }
  return undefined;
}

/**
 * Looks up <selector>._domainkey.<domain> and compares the published key with the private key's
 * public half. Returns [] when they match, one DKIM_KEY_* warning when not, a DNS_* error when DNS
 * could not say.
 */
export async function checkDkimKeyPublished(deps: Deps, opts: { domain: string; selector: string; privateKey: DkimPrivateKey }): Promise<Finding[]> {
  const domain = normalizeDomain(opts.domain);
  const selector = opts.selector.trim().toLowerCase();
  const name = `${selector}._domainkey.${domain}`;
  const ours = opts.privateKey;
  const publish = `Publish "v=DKIM1; k=${ours.type}; p=${ours.publicKeyB64}" as a TXT record at ${name}.`;
  let texts: string[];
  try {
    const a = await deps.resolver.query(name, 'TXT');
    if (isFailure(a)) throw answerError(a);
    texts = a.records.map((r) => r.text);
  } catch (e) {
    if (e instanceof DnsError) return [dnsFailureFinding(CHECK, e)];
    throw e;
  }
  // Keys are TXT records; other TXT at the same name (an SPF record via a wildcard) is no key.
  const candidates = texts.filter((t) => /(^|;)\s*(v=DKIM1|k=|p=)/i.test(t));
  if (candidates.length === 0) {
    return [finding('DKIM_KEY_NOT_PUBLISHED', 'warning', `No DKIM key record at ${name}: receivers cannot verify mail signed with s=${selector} d=${domain}.`, publish, { name, selector, domain })];
  }
  const ourSpki = createPublicKey(ours.keyObject).export({ format: 'der', type: 'spki' });
  const problems: string[] = [];
  for (const record of candidates) {
    const parsed = parseDkimKey(record);
    if (typeof parsed === 'string') problems.push(`does not parse (${parsed})`);
    else if (parsed.publicKey === '') problems.push('has an empty p= (the key is revoked, RFC 6376 §3.6.1)');
    else if (parsed.keyType !== ours.type) problems.push(`has k=${parsed.keyType} while the private key is ${ours.type}`);
    else {
      const theirs = recordKey(parsed.keyType, parsed.publicKey);
      if (!theirs) problems.push(`has a p= that is not a readable ${parsed.keyType} public key`);
      else if (!theirs.export({ format: 'der', type: 'spki' }).equals(ourSpki)) problems.push('holds a public key that is not the public half of the private key used to sign');
    }
  }
  if (problems.length === 0) return [];
  const message =
    candidates.length > 1
      ? `${candidates.length} key records at ${name}, and receivers may use any of them (RFC 6376 §3.6.2.2); one ${problems[0]}: receivers will fail some signatures made with this key.`
      : `The key record at ${name} ${problems[0]}: receivers will fail signatures made with this key.`;
  return [
    finding(
      'DKIM_KEY_MISMATCH',
      'warning',
      message,
      candidates.length > 1 ? `Keep one record at ${name}. ${publish}` : `${publish} Or sign with the private key that belongs to the published record.`,
      { name, records: candidates },
    ),
  ];
}
