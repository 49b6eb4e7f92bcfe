/**
 * What a TLS session negotiated and what the peer presented, read off a connected TLSSocket.
 */
import type { TLSSocket } from 'node:tls';

/** The protocol names Node reports (TLSSocket.getProtocol), in order of age. */
export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

export interface TlsSessionInfo {
  /** "TLSv1.3", … */
  protocol: string | null;
  /** OpenSSL cipher name ("TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"). */
  cipher: string | null;
  /** IANA name of the cipher suite, when Node knows it. */
  cipherStandardName?: string;
  /** Did the chain verify against the trust store given for the handshake (names are not part of this). */
  authorized: boolean;
  /** OpenSSL's verification error code when not authorized ("CERT_HAS_EXPIRED", …). */
  authorizationError?: string;
  /** The peer's certificates in DER, leaf first, as sent (plus what OpenSSL linked up). */
  chain: Buffer[];
}

export function tlsSessionInfo(socket: TLSSocket): TlsSessionInfo {
  const cipher = socket.getCipher() as { name?: string; standardName?: string } | undefined;
  const chain: Buffer[] = [];
  try {
    let cert = socket.getPeerCertificate(true);
    const seen = new Set<string>();
    // issuerCertificate links up the chain; a self-signed certificate links to itself
    while (cert && cert.raw && !seen.has(cert.fingerprint256)) {
      seen.add(cert.fingerprint256);
      chain.push(cert.raw);
      cert = cert.issuerCertificate;
    }
  } catch {
    // no certificate (anonymous ciphers): an empty chain
  }
  const err = socket.authorizationError as unknown;
  const info: TlsSessionInfo = {
    protocol: socket.getProtocol(),
    cipher: cipher?.name ?? null,
    authorized: socket.authorized,
    chain,
  };
  if (cipher?.standardName) info.cipherStandardName = cipher.standardName;
  if (!socket.authorized && err) info.authorizationError = err instanceof Error ? ((err as Error & { code?: string }).code ?? err.message) : String(err);
  return info;
}
