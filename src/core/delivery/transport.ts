/**
 * A transport carries one SMTP transaction (one sender, up to max-rcpt recipients of one domain,
 * one message) to a destination and reports what each recipient got. The engine (engine.ts)
 * decides what the answers mean; the transport only talks. `send` uses the SMTP transport
 * (smtp-transport.ts); the warm-up simulator plugs in modelled receivers behind the same interface.
 */
import type { SmtpStage } from './classification.js';
import type { ReplyRecord, TlsRecord } from '../store/store.js';
import type { Route } from './route.js';

/** Failures that are ours to report as findings (TLS policy), not the receiver's reply. */
export const POLICY_FAILURES = {
  TLS_REQUIRED: '--tls required, and the host did not offer STARTTLS or the handshake failed',
  MTA_STS_POLICY_FAILED: 'The domain publishes an MTA-STS policy in enforce mode, and the host did not satisfy it (RFC 8461 §5)',
  DANE_FAILED: "The host's certificate does not match the DNSSEC-validated TLSA records (RFC 7672 §2.2)",
} as const;
export type PolicyFailure = keyof typeof POLICY_FAILURES;

export interface RecipientResult {
  recipient: string;
  /** The receiver's reply to this recipient (RCPT, or the end of DATA for accepted recipients). */
  reply?: ReplyRecord;
  /** No reply: the transaction failed before one ("ECONNREFUSED …", "timeout …"). */
  networkError?: string;
  /** A TLS policy failure (deferred; reported as a finding). */
  policyFailure?: PolicyFailure;
  stage: SmtpStage;
}

export interface HostFailure {
  host: string;
  address?: string;
  port: number;
  stage: SmtpStage;
  error: string;
  reply?: ReplyRecord;
  policyFailure?: PolicyFailure;
}

export interface TransactionResult {
  /** The host and address that answered for the recipients (undefined when none could be used). */
  host?: string;
  address?: string;
  port?: number;
  tls: TlsRecord | null;
  results: RecipientResult[];
  /** Hosts and addresses tried before (or instead of) the one that answered. */
  hostFailures: HostFailure[];
}

/** What TLS a destination demands (MTA-STS enforce, DANE, --tls required). */
export interface TlsRequirement {
  failure: PolicyFailure;
  /** The hosts it covers (DANE: those with usable TLSA records); all when absent. */
  appliesTo?(host: string): boolean;
  /** Before connecting: an error when this MX host may not be used (MTA-STS mx: patterns). */
  checkHost?(host: string): string | undefined;
  /** After STARTTLS: an error when the session does not satisfy the policy (certificate, TLSA). */
  checkSession?(host: string, port: number, tls: { authorized: boolean; authorizationError?: string; chain: Buffer[]; protocol: string | null }): string | undefined;
}

export interface TransactionRequest {
  route: Extract<Route, { kind: 'hosts' }>;
  sender: string;
  recipients: readonly string[];
  message: Uint8Array;
  /** Refuse plaintext delivery (--tls required, MTA-STS enforce, DANE). Every requirement must hold. */
  tls: readonly TlsRequirement[];
  /** Called with the accepted recipients just before DATA: the engine writes "sending" state first. */
  beforeData?(accepted: readonly string[]): Promise<void>;
  signal?: AbortSignal;
}

export interface DeliveryTransport {
  transact(req: TransactionRequest): Promise<TransactionResult>;
  /** Closes idle pooled connections (before a long wait). */
  closeIdle(): Promise<void>;
  close(): Promise<void>;
}
