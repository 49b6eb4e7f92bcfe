/**
 * Test-side signing: keys generated here (node:crypto), messages signed with mailauth's own DKIM
 * signer and ARC sealer, DNS records to publish on the fixture DNS server.
 */
import { createRequire } from 'node:module';
import { createHash, generateKeyPairSync, sign as cryptoSign } from 'node:crypto';

const require = createRequire(import.meta.url);
const { dkimSign } = require('mailauth/lib/dkim/sign.js') as {
  dkimSign: (input: Buffer, opts: Record<string, unknown>) => Promise<{ signatures: string; errors: unknown[] }>;
};
const { sealMessage } = require('mailauth') as { sealMessage: (input: Buffer, seal: Record<string, unknown>) => Promise<Buffer> };

export interface TestKey {
  privateKey: string;
  /** The DKIM key record (RFC 6376 §3.6.1) to publish at <selector>._domainkey.<domain>. */
  record: string;
}

export function rsaKey(bits = 2048): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    record: `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
  };
}

export function ed25519Key(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // RFC 8463 §4.2: p= is the raw 32-octet public key, not the SPKI structure.
  const raw = publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), record: `v=DKIM1; k=ed25519; p=${raw.toString('base64')}` };
}

export interface MessageSpec {
  from?: string | null;
  to?: string;
  subject?: string;
  body?: string;
  returnPath?: string;
  extra?: string[];
}

export function message(spec: MessageSpec = {}): Buffer {
  const lines: string[] = [];
  if (spec.returnPath !== undefined) lines.push(`Return-Path: <${spec.returnPath}>`);
  if (spec.from !== null) lines.push(`From: Alice <${spec.from ?? 'alice@example.com'}>`);
  lines.push(`To: ${spec.to ?? 'bob@receiver.example'}`);
  lines.push(`Subject: ${spec.subject ?? 'Your password reset link'}`);
  lines.push('Date: Mon, 01 Jan 2024 10:00:00 +0000');
  lines.push('Message-ID: <reset-1@example.com>');
  lines.push('MIME-Version: 1.0');
  lines.push('Content-Type: text/plain; charset=utf-8');
  lines.push(...(spec.extra ?? []));
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${spec.body ?? 'Click the link to reset your password.\r\nThanks!\r\n'}`);
}

export interface SignSpec {
  domain: string;
  selector: string;
  key: TestKey;
  canonicalization?: string;
  algorithm?: string;
}

/** Prepends DKIM-Signature fields, as the sending service would. */
export async function sign(msg: Buffer, ...sigs: SignSpec[]): Promise<Buffer> {
  const r = await dkimSign(msg, {
    // mailauth stamps t= twice (once for the signed copy, once for the emitted header) unless given
    // signTime; across a rounding boundary the two differ and the signature cannot verify.
    signTime: new Date(),
    canonicalization: sigs[0]?.canonicalization ?? 'relaxed/relaxed',
    signatureData: sigs.map((s) => ({ signingDomain: s.domain, selector: s.selector, privateKey: s.key.privateKey, ...(s.algorithm ? { algorithm: s.algorithm } : {}) })),
  });
  if (r.errors?.length) throw new Error(`signing failed: ${JSON.stringify(r.errors)}`);
  return Buffer.concat([Buffer.from(r.signatures), msg]);
}

/** Prepends an ARC set (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results), as a forwarder would. */
export async function arcSeal(msg: Buffer, s: { domain: string; selector: string; key: TestKey; authResults: string; cv: 'none' | 'pass' | 'fail' }): Promise<Buffer> {
  const headers = await sealMessage(msg, { signingDomain: s.domain, selector: s.selector, privateKey: s.key.privateKey, authResults: s.authResults, cv: s.cv, signTime: new Date() });
  return Buffer.concat([headers, msg]);
}

/** Replaces the first occurrence of `from` in the body part only (after signing). */
export function tamperBody(msg: Buffer, from: string, to: string): Buffer {
  const s = msg.toString('utf8');
  const split = s.indexOf('\r\n\r\n');
  return Buffer.from(s.slice(0, split) + s.slice(split).replace(from, to));
}

/**
 * Changes the first base64 character of the b= tag that follows `after` (e.g. "d=esp.net;" or
 * "ARC-Seal:"), whatever folding the signer used, so that signature no longer verifies.
 */
export function corruptSignature(msg: Buffer, after: string): Buffer {
  const s = msg.toString('latin1');
  const start = s.indexOf(after);
  if (start < 0) throw new Error(`"${after}" not in message`);
  const m = /(?:^|[;\s])b=[ \t]*(?:\r\n[ \t]+)?([A-Za-z0-9+/])/.exec(s.slice(start));
  if (!m) throw new Error(`no b= after "${after}"`);
  const at = start + m.index + m[0].length - 1;
  const replacement = m[1] === 'A' ? 'B' : 'A';
  return Buffer.from(s.slice(0, at) + replacement + s.slice(at + 1), 'latin1');
}

// ---- signatures written verbatim: the tag-list text is ours, the cryptography is right, so a
// verifier can only reject them for their syntax.

/** RFC 6376 §3.4.2 relaxed canonicalization of one header field ("Name: value", possibly folded). */
function relaxedHeader(field: string): string {
  const colon = field.indexOf(':');
  const name = field.slice(0, colon).trim().toLowerCase();
  const value = field.slice(colon + 1).replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim();
  return `${name}:${value}`;
}

/** RFC 6376 §3.4.4 relaxed body canonicalization. */
function relaxedBody(body: string): string {
  const lines = body.split('\r\n').map((l) => l.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.length ? `${lines.join('\r\n')}\r\n` : '';
}

function splitMessage(msg: Buffer): { fields: string[]; body: string } {
  const s = msg.toString('utf8');
  const at = s.indexOf('\r\n\r\n');
  const fields: string[] = [];
  for (const line of s.slice(0, at).split('\r\n')) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += `\r\n${line}`;
    else fields.push(line);
  }
  return { fields, body: s.slice(at + 4) };
}

/** The fields h= names, each taken from the bottom up (RFC 6376 §5.4.2). */
function pickSigned(fields: string[], h: string): string[] {
  const left = [...fields];
  const out: string[] = [];
  for (const name of h.split(':').map((n) => n.trim().toLowerCase())) {
    for (let i = left.length - 1; i >= 0; i--) {
      if (left[i]!.slice(0, left[i]!.indexOf(':')).trim().toLowerCase() === name) {
        out.push(left[i]!);
        left.splice(i, 1);
        break;
      }
    }
  }
  return out;
}

/**
 * Signs `name: tags` as written: `tags` must end with an empty "b=" (optionally followed by ";"),
 * which gets the rsa-sha256 signature of `covered` (already canonical, CRLF-terminated) followed
 * by this field, relaxed, with b= empty (RFC 6376 §3.7).
 */
function signField(name: string, tags: string, covered: string[], key: TestKey): string {
  if (!/b=;?$/.test(tags)) throw new Error(`the tag-list must end with an empty b=: ${tags}`);
  const data = covered.join('') + relaxedHeader(`${name}: ${tags}`);
  const b = cryptoSign('sha256', Buffer.from(data, 'utf8'), key.privateKey).toString('base64');
  return `${name}: ${tags.replace(/b=(;?)$/, `b=${b}$1`)}`;
}

export const RAW_SIGNED = 'from:to:subject:date:message-id';

/**
 * Prepends a DKIM-Signature whose tag-list is `tags(bh)`, written verbatim (malformed if you like)
 * and signed over RAW_SIGNED with relaxed/relaxed: a lax verifier finds nothing wrong with it.
 */
export function signRawDkim(msg: Buffer, key: TestKey, tags: (bh: string) => string): Buffer {
  const { fields, body } = splitMessage(msg);
  const bh = createHash('sha256').update(relaxedBody(body)).digest('base64');
  const covered = pickSigned(fields, RAW_SIGNED).map((f) => `${relaxedHeader(f)}\r\n`);
  return Buffer.concat([Buffer.from(`${signField('DKIM-Signature', tags(bh), covered, key)}\r\n`), msg]);
}

/**
 * Prepends an ARC set i=1 (cv=none) whose ARC-Message-Signature tag-list is `ams(bh)` and whose
 * ARC-Seal tag-list is `seal`, both written verbatim and signed as written (the AMS over RAW_SIGNED,
 * the seal over the AAR, the AMS and itself, RFC 8617 §5.1.1).
 */
export function arcSealRaw(msg: Buffer, key: TestKey, spec: { authResults: string; ams: (bh: string) => string; seal: string }): Buffer {
  const { fields, body } = splitMessage(msg);
  const bh = createHash('sha256').update(relaxedBody(body)).digest('base64');
  const aar = `ARC-Authentication-Results: i=1; ${spec.authResults}`;
  const covered = pickSigned(fields, RAW_SIGNED).map((f) => `${relaxedHeader(f)}\r\n`);
  const ams = signField('ARC-Message-Signature', spec.ams(bh), covered, key);
  const seal = signField('ARC-Seal', spec.seal, [`${relaxedHeader(aar)}\r\n`, `${relaxedHeader(ams)}\r\n`], key);
  return Buffer.concat([Buffer.from(`${seal}\r\n${ams}\r\n${aar}\r\n`), msg]);
}
