/** Key material for DKIM fixtures, generated per test run (never committed). */
import { generateKeyPairSync } from 'node:crypto';

/** base64 SubjectPublicKeyInfo of a fresh RSA key, as published in a DKIM p= tag. */
export function rsaPublicKeyB64(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
}

/** base64 PKCS#1 RSAPublicKey: some signers publish this bare form instead of SubjectPublicKeyInfo. */
export function rsaPkcs1PublicKeyB64(bits: number): string {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return publicKey.export({ format: 'der', type: 'pkcs1' }).toString('base64');
}

/** base64 raw 32-octet Ed25519 public key (RFC 8463 §4.2). */
export function ed25519PublicKeyB64(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - 32).toString('base64');
}
