/**
 * The stable shape of `auth message`: one verdict per mechanism, alignment explained, findings.
 * Field names are a public contract (README, --json); add fields, never rename them.
 */
import type { SpfResult } from '../spf/evaluate.js';
import type { Finding } from '../types.js';
import type { AlignmentMode } from './alignment.js';
import type { DmarcPolicy } from './dmarc-policy.js';

/** RFC 7208 §2.6 results: the same vocabulary as auth spf's check_host(). */
export type { SpfResult };

/** RFC 8601 §2.7.1 DKIM results (none is expressed as an empty signature list). */
export const DKIM_RESULTS = {
  pass: 'the signature verified with the published key',
  fail: 'the signature or the body hash did not verify (RFC 6376 §6.1.3)',
  neutral: 'the signature verified but was not accepted, e.g. expired',
  policy: 'the signature was not accepted by local policy, e.g. a key under 1024 bits (RFC 8301 §3.2)',
  permerror: 'the signature cannot be verified: no key, unusable key, malformed signature (RFC 6376 §6.1.1, §6.1.2)',
  temperror: 'the key could not be fetched (DNS)',
} as const;
export type DkimResult = keyof typeof DKIM_RESULTS;

/** RFC 7489 §11.2 / RFC 8601 §2.7.1 DMARC results. */
export const DMARC_RESULTS = {
  pass: 'SPF or DKIM passed aligned with the From domain (RFC 7489 §4.2)',
  fail: 'neither passed aligned; the policy applies (RFC 7489 §6.6.4)',
  none: 'the From domain publishes no DMARC record (RFC 7489 §6.6.3)',
  permerror: 'no single From domain to evaluate (RFC 7489 §6.6.1)',
  temperror: 'the DMARC record could not be fetched (DNS)',
} as const;
export type DmarcResult = keyof typeof DMARC_RESULTS;

/** RFC 8617 §4.4 chain validation status, plus temperror when DNS kept us from validating. */
export const ARC_RESULTS = {
  none: 'no ARC sets on the message',
  pass: 'every ARC-Seal and the newest ARC-Message-Signature verify (RFC 8617 §5.2)',
  fail: 'the chain is broken or a signature does not verify (RFC 8617 §5.2)',
  temperror: 'an ARC key could not be fetched (DNS)',
} as const;
export type ArcResult = keyof typeof ARC_RESULTS;

export interface SpfVerdict {
  result: SpfResult;
  /** False when no --ip was given: SPF needs the connecting IP. */
  evaluated: boolean;
  /** The domain SPF was checked for (MAIL FROM domain, or the HELO name for a null sender). */
  domain: string | null;
  /** Which identity was checked (RFC 7208 §2.3, §2.4). */
  identity: 'mailfrom' | 'helo' | null;
  ip: string | null;
  helo: string | null;
  /** The envelope sender used ("" for the null reverse-path). */
  mailFrom: string | null;
  /** Where mailFrom came from. */
  mailFromSource: 'option' | 'return-path' | 'none';
  /** The SPF record of `domain`, when one was found. */
  record: string | null;
  explanation: string;
  lookups: { count: number; void: number } | null;
}

export interface DkimSignatureVerdict {
  /** d= */
  domain: string;
  /** s= */
  selector: string;
  /** a= */
  algorithm: string | null;
  result: DkimResult;
  /** Passed and aligned with the From domain under the DMARC record's adkim (relaxed without a record). */
  aligned: boolean;
  /** Why this result, and why aligned or not. */
  info: string;
  /** RSA modulus length of the key, when it was fetched. */
  keyBits: number | null;
}

export interface AlignmentVerdict {
  aligned: boolean;
  mode: AlignmentMode;
  /** The authenticated domain that aligned, else the one considered (SPF domain / first passing d=), else null. */
  domain: string | null;
  explanation: string;
}

export interface DmarcVerdict {
  result: DmarcResult;
  /** The RFC5322.From domain (A-label, lower case). */
  fromDomain: string | null;
  orgDomain: string | null;
  record: string | null;
  /** Where the record was found: the From domain, or its organisational domain (inherited). */
  recordDomain: string | null;
  inherited: boolean;
  /** The policy for this From domain: sp= when inherited and set, else p= (RFC 7489 §6.6.3). */
  policy: DmarcPolicy | null;
  /** What the policy asks receivers to do with this message: "none" when it passes. */
  disposition: DmarcPolicy | null;
  pct: number | null;
  alignment: { spf: AlignmentVerdict; dkim: AlignmentVerdict };
  explanation: string;
}

export interface ArcVerdict {
  result: ArcResult;
  /** Number of ARC sets (ARC-Seal header fields) on the message. */
  chainLength: number;
  /** d= of the newest ARC-Seal. */
  sealer: string | null;
  explanation: string;
}

/** pass → exit 0; fail → exit 1; temperror → exit 3 (see verdict.ts). */
export type MessageVerdict = 'pass' | 'fail' | 'temperror';

export interface MessageAuthReport {
  message: { from: string[]; returnPath: string | null; messageId: string | null; subject: string | null };
  verdict: MessageVerdict;
  spf: SpfVerdict;
  dkim: DkimSignatureVerdict[];
  dmarc: DmarcVerdict;
  arc: ArcVerdict;
  findings: Finding[];
}
