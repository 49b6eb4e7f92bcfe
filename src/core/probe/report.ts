/**
 * The probe's result shapes: what the JSON document carries (src/render/probe.ts adds
 * schemaVersion and command). Field names are a public contract (issue 5).
 */
import type { Finding } from '../types.js';
import type { TlsVersion } from '../smtp/tls-session.js';
import type { CertificateReport } from './certificate.js';
import type { MtaStsMode } from './mta-sts.js';

export interface ReplyReport {
  code: number;
  enhanced: string | null;
  text: string;
}

export interface TlsReport {
  /** The main session's TLS (STARTTLS with this machine's defaults); null when it failed. */
  negotiated: { protocol: string; cipher: string } | null;
  /** Per version: accepted (true), refused (false), or unknown (null: could not test, see versionErrors). */
  versions: Record<TlsVersion, boolean | null>;
  versionErrors?: Partial<Record<TlsVersion, string>>;
  certificate: CertificateReport | null;
}

export interface GreylistingReport {
  /** A MAIL FROM + RCPT TO was attempted. */
  tested: boolean;
  detected: boolean;
  /** The first reply to RCPT TO (or to MAIL FROM when that was refused). */
  firstReply: ReplyReport | null;
  /** Which pattern recognised greylisting (src/core/probe/greylisting.ts). */
  pattern?: string;
  /** With --greylist-wait: from the first refusal to acceptance (clock time); null when not accepted/not waited. */
  acceptedAfterMs: number | null;
  /** The last retry still refused this long after the first refusal: the delay lies between this and acceptedAfterMs. */
  lastRefusedAfterMs?: number;
  /** Retries made (each a new connection). */
  retries?: number;
  /** The --greylist-wait budget in ms. */
  waitMs?: number;
}

export interface DaneReport {
  tlsaName: string;
  records: number;
  authenticated: boolean;
  usable: number;
  matched: boolean | null;
}

export interface MtaStsHostReport {
  mode: MtaStsMode;
  mxListed: boolean;
  failures: string[];
}

export interface HostTimings {
  resolveMs?: number;
  connectMs?: number;
  bannerMs?: number;
  ehloMs?: number;
  startTlsMs?: number;
  tlsMatrixMs?: number;
  greylistingMs?: number;
  totalMs: number;
}

export interface HostReport {
  host: string;
  /** The address probed (the first that accepted a connection). */
  address: string | null;
  addresses: string[];
  port: number;
  /** MX preference; null when probing --host directly. */
  priority: number | null;
  /** First PTR name of the address; null when none. */
  ptr: string | null;
  /** TCP connected and the server said something (a greeting, even a refusal). */
  reachable: boolean;
  banner: { code: number; text: string } | null;
  /** Extensions from the plaintext EHLO ("SIZE 10240000", "STARTTLS", …). */
  ehlo: string[];
  /** Extensions from the EHLO after STARTTLS. */
  ehloTls?: string[];
  /** STARTTLS offered in the plaintext EHLO. */
  starttls: boolean;
  tls: TlsReport | null;
  greylisting: GreylistingReport;
  mtaSts?: MtaStsHostReport;
  dane?: DaneReport;
  timings: HostTimings;
  /** Why the session could not be completed. */
  error?: { code: string; message: string };
  /** Addresses tried before `address` that failed to connect or refused at the greeting (RFC 5321 §5.1: try the next). */
  failedAddresses?: { address: string; code: string; message: string }[];
  findings: Finding[];
}

export interface MtaStsReport {
  published: boolean;
  id?: string;
  mode?: MtaStsMode;
  mx?: string[];
  maxAge?: number;
  error?: string;
}

export interface ProbeReport {
  /** What the user asked for: the domain, or the --host value. */
  target: string;
  /** The recipient domain (for MX lookup, MTA-STS and the default recipient), when there is one. */
  domain: string | null;
  /** MX hosts that were not probed because of --max-hosts. */
  skippedHosts: string[];
  mtaSts?: MtaStsReport;
  hosts: HostReport[];
  /** Every finding of the run: the domain's and every host's (host findings name the host in evidence). */
  findings: Finding[];
  /** No host could be reached (exit 3). */
  incomplete: boolean;
}
