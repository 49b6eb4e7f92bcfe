/**
 * The closed vocabulary of finding codes. Each concern keeps its own table (data, with a
 * description and a default severity); this file joins them into one type.
 * Adding a code is fine; renaming or removing one breaks users' scripts.
 */
import type { Severity } from './types.js';
import { DNS_FINDING_CODES } from './dns/codes.js';
import { DOMAIN_FINDING_CODES } from './domain/codes.js';
import { POLICY_FINDING_CODES } from './domain/policy-codes.js';
import { AUTH_FINDING_CODES } from './auth/codes.js';
import { SCORE_FINDING_CODES, SCORE_VERDICT_CODES } from './score/codes.js';
import { BLOCKLIST_FINDING_CODES } from './blocklist/codes.js';
import { CI_FINDING_CODES } from './ci/codes.js';
import { PROBE_FINDING_CODES } from './probe/codes.js';
import { DELIVERY_FINDING_CODES } from './delivery/codes.js';
import { SEND_FINDING_CODES } from './delivery/send-codes.js';
import { WARMUP_FLAGS } from './warmup/codes.js';
import { MONITOR_FINDING_CODES } from './monitor/codes.js';
import { BOUNCE_FINDING_CODES } from './bounce/codes.js';

export interface FindingCodeInfo {
  readonly severity: Severity;
  readonly description: string;
}

export const FINDING_CODES = {
  ...DNS_FINDING_CODES,
  ...DOMAIN_FINDING_CODES,
  ...POLICY_FINDING_CODES,
  ...AUTH_FINDING_CODES,
  ...SCORE_FINDING_CODES,
  ...SCORE_VERDICT_CODES,
  ...BLOCKLIST_FINDING_CODES,
  ...CI_FINDING_CODES,
  ...PROBE_FINDING_CODES,
  ...DELIVERY_FINDING_CODES,
  ...SEND_FINDING_CODES,
  ...MONITOR_FINDING_CODES,
  ...BOUNCE_FINDING_CODES,
  // warmup simulate's day flags: listed by `mailpace-cli codes` with the rest of the vocabulary
  ...WARMUP_FLAGS,
} as const satisfies Record<string, FindingCodeInfo>;

export type FindingCode = keyof typeof FINDING_CODES;

export function isFindingCode(code: string): code is FindingCode {
  return Object.prototype.hasOwnProperty.call(FINDING_CODES, code);
}
