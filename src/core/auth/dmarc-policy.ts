/**
 * The parts of a DMARC record (RFC 7489 §6.3) that decide a message's verdict: p, sp, adkim,
 * aspf, pct. (check-domain parses and lints the whole record; this only evaluates.)
 */
import type { AlignmentMode } from './alignment.js';

export const DMARC_POLICIES = {
  none: 'monitor only: no action on failing mail (RFC 7489 §6.3 p=none)',
  quarantine: 'treat failing mail as suspicious, e.g. deliver to spam (RFC 7489 §6.3 p=quarantine)',
  reject: 'reject failing mail during the SMTP transaction (RFC 7489 §6.3 p=reject)',
} as const;
export type DmarcPolicy = keyof typeof DMARC_POLICIES;

export interface DmarcPolicyRecord {
  record: string;
  p: DmarcPolicy;
  sp?: DmarcPolicy;
  adkim: AlignmentMode;
  aspf: AlignmentMode;
  pct: number;
  /** Set when p= is missing or invalid and p=none is assumed (RFC 7489 §6.6.3 step 6). */
  problem?: string;
}

function isPolicy(v: string | undefined): v is DmarcPolicy {
  return v !== undefined && Object.prototype.hasOwnProperty.call(DMARC_POLICIES, v);
}

function mode(v: string | undefined): AlignmentMode {
  return v === 's' ? 'strict' : 'relaxed';
}

/** Tag-value list (RFC 7489 §6.4): "v=DMARC1; p=reject; ..."; keys are case-insensitive. */
export function parseDmarcPolicy(record: string): DmarcPolicyRecord {
  const tags = new Map<string, string>();
  for (const part of record.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (!tags.has(key)) tags.set(key, part.slice(eq + 1).trim());
  }
  const p = tags.get('p')?.toLowerCase();
  const sp = tags.get('sp')?.toLowerCase();
  const pctRaw = tags.get('pct');
  const pctNum = pctRaw !== undefined && /^\d{1,3}$/.test(pctRaw) ? Number(pctRaw) : 100;
  const out: DmarcPolicyRecord = {
    record,
    p: isPolicy(p) ? p : 'none',
    adkim: mode(tags.get('adkim')?.toLowerCase()),
    aspf: mode(tags.get('aspf')?.toLowerCase()),
    pct: Math.min(100, pctNum),
  };
  if (isPolicy(sp)) out.sp = sp;
  if (!isPolicy(p)) out.problem = p === undefined ? 'the record has no p= tag; p=none is assumed' : `p=${p} is not a policy; p=none is assumed`;
  return out;
}
