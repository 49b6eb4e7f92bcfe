/**
 * Which TLS versions an MX accepts after STARTTLS: one session per version, pinned with
 * minVersion = maxVersion, all at once.
 *
 * OpenSSL 3 (Node 20 bundles 3.0) will not complete a TLS 1.0/1.1 handshake at its default
 * security level 1: the server's key exchange is signed with MD5-SHA1/SHA-1 and the client aborts
 * with "legacy sigalg disallowed" — a client-side refusal that would read as "server refuses
 * TLS 1.0". Each attempt therefore uses ciphers "DEFAULT@SECLEVEL=0". Measured here with Debian 12's
 * Postfix (OpenSSL 3.0.19): the server side accepts 1.0/1.1 at the default level, only the client
 * side needs level 0. A refusal that still comes from our side is reported as unknown (null).
 */
import type { SecureVersion } from 'node:tls';
import { SmtpSession, type SmtpSessionOptions } from '../smtp/session.js';
import { SmtpSessionError } from '../smtp/smtp-error.js';
import { TLS_VERSIONS, type TlsSessionInfo, type TlsVersion } from '../smtp/tls-session.js';

export const LEGACY_CIPHERS = 'DEFAULT@SECLEVEL=0';

/** OpenSSL errors that mean this client would not even try (not the server's answer). */
const CLIENT_SIDE_REFUSALS = new Set(['ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'ERR_SSL_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED', 'ERR_TLS_INVALID_PROTOCOL_VERSION']);

export interface VersionAttempt {
  /** true: handshake completed with this version; false: the server refused it; null: unknown. */
  accepted: boolean | null;
  cipher?: string;
  /** Why it failed or is unknown. */
  error?: string;
  /** Our TLS library would not offer the version. */
  clientRefused?: boolean;
  /** The session's TLS details, when it worked (the certificate comes from here if the main session had none). */
  session?: TlsSessionInfo;
}

export type VersionMatrix = Record<TlsVersion, VersionAttempt>;

export async function probeTlsVersion(base: Omit<SmtpSessionOptions, 'startTls'>, version: TlsVersion): Promise<VersionAttempt> {
  let session: SmtpSession | undefined;
  try {
    session = await SmtpSession.open({
      ...base,
      startTls: 'require',
      tls: { ...base.tls, minVersion: version as SecureVersion, maxVersion: version as SecureVersion, ciphers: LEGACY_CIPHERS },
    });
    const got = session.tls?.protocol;
    if (got !== version) return { accepted: false, error: `negotiated ${got ?? 'no TLS'} instead` };
    return { accepted: true, cipher: session.tls!.cipher ?? undefined, session: session.tls };
  } catch (err) {
    if (!(err instanceof SmtpSessionError)) return { accepted: null, error: (err as Error).message };
    const sys = err.systemCode ?? '';
    if (CLIENT_SIDE_REFUSALS.has(sys)) return { accepted: null, clientRefused: true, error: `this client cannot offer ${version} (${sys})` };
    // The handshake (or STARTTLS for this attempt) failed: the server does not do this version.
    if (err.smtpCode === 'SMTP_TLS_FAILED' && (err.phase === 'tls-handshake' || err.phase === 'starttls')) {
      return { accepted: false, error: sys || err.message };
    }
    // Anything else (no connection, greeting timeout…) says nothing about the version.
    return { accepted: null, error: err.message };
  } finally {
    await session?.quit();
  }
}

/** All four versions concurrently; `baseFor` gives each attempt its session options. */
export async function probeTlsVersions(baseFor: (v: TlsVersion) => Omit<SmtpSessionOptions, 'startTls'>): Promise<VersionMatrix> {
  const results = await Promise.all(TLS_VERSIONS.map((v) => probeTlsVersion(baseFor(v), v)));
  return Object.fromEntries(TLS_VERSIONS.map((v, i) => [v, results[i]!])) as VersionMatrix;
}
