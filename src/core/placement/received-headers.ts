/**
 * What a receiver wrote into the copy it stored: its Authentication-Results verdicts, its spam
 * filter's headers and the Received chain. Read from the header block fetched over IMAP.
 */
import type { RawHeader } from '../score/mime-structure.js';

export type AuthVerdicts = { spf: string | null; dkim: string | null; dmarc: string | null; arc: string | null };

/** Comments (RFC 5322 §3.2.2, nested) out of a structured header value. */
function stripComments(v: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && depth > 0) {
      i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out;
}

/**
 * The verdicts of the topmost Authentication-Results field: RFC 8601 §5 — the receiver adds its own
 * at the top, and fields further down may be forged by the sender or written by earlier hops.
 * Of several results for one method (two DKIM signatures) a pass wins: DMARC needs one aligned pass.
 */
export function parseAuthenticationResults(headers: readonly RawHeader[]): AuthVerdicts & { authservId: string | null } {
  const out: AuthVerdicts & { authservId: string | null } = { spf: null, dkim: null, dmarc: null, arc: null, authservId: null };
  const field = headers.find((h) => h.name === 'authentication-results');
  if (!field) return out;
  const parts = stripComments(field.value).split(';').map((p) => p.trim());
  // authserv-id [version] (RFC 8601 §2.2)
  out.authservId = parts[0]?.split(/\s+/)[0] || null;
  for (const p of parts.slice(1)) {
    const m = /^([A-Za-z0-9-]+)(?:\/\d+)?\s*=\s*([A-Za-z0-9-]+)/.exec(p);
    if (!m) continue;
    const method = m[1]!.toLowerCase() as keyof AuthVerdicts;
    if (!(method in out) || method === ('authservId' as string)) continue;
    const result = m[2]!.toLowerCase();
    if (out[method] === null || (out[method] !== 'pass' && result === 'pass')) out[method] = result;
  }
  return out;
}

/**
 * Spam filters' verdict headers as found: SpamAssassin (X-Spam-Status, X-Spam-Flag, X-Spam-Score,
 * X-Spam-Level), Rspamd (X-Rspamd-Score, X-Rspamd-Action, X-Spamd-Result), Microsoft 365
 * (X-MS-Exchange-Organization-SCL, X-Forefront-Antispam-Report, X-Microsoft-Antispam), Yahoo and
 * others (X-YMail-*, X-Spam-*). Names lower-case, the first (topmost) value of each.
 */
const SPAM_HEADER = /^(?:x-spam(?:-[a-z-]+)?|x-rspamd-[a-z-]+|x-spamd-result|x-ms-exchange-organization-scl|x-forefront-antispam-report|x-microsoft-antispam(?:-[a-z-]+)?|x-ymail-[a-z-]+|x-proofpoint-spam-details|x-barracuda-spam-[a-z-]+)$/;

export function spamHeaders(headers: readonly RawHeader[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of headers) if (SPAM_HEADER.test(h.name) && !(h.name in out)) out[h.name] = h.value.replace(/\s+/g, ' ').trim();
  return out;
}

export interface Hop {
  from: string | null;
  by: string | null;
  with: string | null;
  /** The hop's own timestamp (after the last ";", RFC 5321 §4.4), ISO 8601; null when unreadable. */
  at: string | null;
  /** Since the previous (older) hop; null for the first or when either time is unreadable. */
  delayMs: number | null;
}

/** The Received chain oldest first (the fields are prepended, so the bottom one is the first hop). */
export function receivedHops(headers: readonly RawHeader[]): Hop[] {
  const fields = headers.filter((h) => h.name === 'received').reverse();
  let prev: number | null = null;
  return fields.map((f) => {
    const v = f.value.replace(/\s+/g, ' ');
    const semi = v.lastIndexOf(';');
    const t = semi >= 0 ? Date.parse(v.slice(semi + 1).trim()) : NaN;
    const clauses = stripComments(semi >= 0 ? v.slice(0, semi) : v);
    const word = (k: string) => new RegExp(`(?:^|\\s)${k}\\s+(\\S+)`, 'i').exec(clauses)?.[1] ?? null;
    const at = Number.isFinite(t) ? t : null;
    const hop: Hop = { from: word('from'), by: word('by'), with: word('with'), at: at === null ? null : new Date(at).toISOString(), delayMs: at !== null && prev !== null ? at - prev : null };
    if (at !== null) prev = at;
    return hop;
  });
}
