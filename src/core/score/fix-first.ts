/**
 * "What to fix first": the few changes that would take the most points off the score, Rspamd
 * symbols and lint findings ranked on one scale, each with what to do.
 */
import type { Finding } from '../types.js';
import { findingWeight } from './lint.js';
import { adviceFor } from './rspamd-advice.js';
import type { ScoreSymbol } from './rspamd-reply.js';

export interface FixItem {
  /** An Rspamd symbol name or a lint finding code. */
  name: string;
  source: 'rspamd' | 'lint';
  /** Points it costs (Rspamd's score, or the lint weight). */
  points: number;
  advice: string;
}

/** Lint codes that say the same as an Rspamd symbol: when the symbol is listed, the finding is not repeated. */
const COVERED_BY: Record<string, readonly string[]> = {
  LINT_MISSING_MESSAGE_ID: ['MISSING_MID', 'INVALID_MSGID'],
  LINT_MISSING_DATE: ['MISSING_DATE', 'INVALID_DATE'],
  LINT_FROM_INVALID: ['MISSING_FROM', 'FROM_INVALID', 'MULTIPLE_FROM'],
  LINT_SUBJECT_MISSING: ['MISSING_SUBJECT', 'EMPTY_SUBJECT'],
  LINT_NO_TEXT_PART: ['MIME_HTML_ONLY', 'MIME_MA_MISSING_TEXT'],
  LINT_IMAGE_ONLY: ['HTML_SHORT_LINK_IMG_1', 'HTML_SHORT_LINK_IMG_2', 'HTML_SHORT_LINK_IMG_3', 'R_EMPTY_IMAGE'],
  LINT_ATTACHMENT_BLOCKED: ['MIME_BAD_EXTENSION', 'MIME_DOUBLE_BAD_EXTENSION'],
  LINT_LINK_TEXT_MISMATCH: ['PHISHING'],
  LINT_UNDECLARED_8BIT: ['R_BAD_CTE_7BIT'],
};

export const FIX_FIRST_LIMIT = 5;

export function fixFirst(symbols: readonly ScoreSymbol[], findings: readonly Finding[], limit = FIX_FIRST_LIMIT): FixItem[] {
  const items: FixItem[] = [];
  const listed = new Set<string>();
  for (const s of symbols) {
    if (s.score <= 0) continue;
    const advice = adviceFor(s.name) ?? (s.description ? `${s.description}.` : undefined);
    if (!advice) continue;
    items.push({ name: s.name, source: 'rspamd', points: s.score, advice });
    listed.add(s.name);
  }
  const seen = new Set<string>();
  for (const f of findings) {
    if (f.severity === 'info' || seen.has(f.code) || !f.code.startsWith('LINT_')) continue;
    if ((COVERED_BY[f.code] ?? []).some((sym) => listed.has(sym))) continue;
    seen.add(f.code);
    items.push({ name: f.code, source: 'lint', points: findingWeight(f), advice: f.fix ? `${f.message} ${f.fix}` : f.message });
  }
  // most points first; at equal points Rspamd's symbols (the points actually charged), then by name
  items.sort((a, b) => b.points - a.points || (a.source === b.source ? a.name.localeCompare(b.name) : a.source === 'rspamd' ? -1 : 1));
  return items.slice(0, limit);
}
