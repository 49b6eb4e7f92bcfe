/**
 * Test-side signing: keys generated here (node:crypto), messages signed with mailauth's own DKIM
 * signer and ARC sealer, DNS records to publish on the fixture DNS server.
 */
import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';

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
