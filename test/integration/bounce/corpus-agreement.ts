/**
 * Per-field agreement of `bounce parse` with Sisimai v5.1's verdicts on its own corpus
 * (test/fixtures/bounces/, see SOURCES.md there). Shared by the corpus test and by anyone who
 * wants the table (BOUNCE_CORPUS_VERBOSE=1 prints every disagreement).
 */
import { readFileSync } from 'node:fs';
import { parseBounce } from '../../../src/core/bounce/parse.js';
import type { BounceMessage } from '../../../src/core/bounce/types.js';

export interface CorpusRecord {
  file: string;
  index?: number;
  recipient: string | null;
  reason: string | null;
  status: string;
  replycode: string;
  hard: boolean;
  feedbacktype?: string;
  smtpagent?: string;
  not_bounce?: boolean;
}

export const FIXTURES = new URL('../../fixtures/bounces/', import.meta.url);

export function loadRecords(): CorpusRecord[] {
  return readFileSync(new URL('expected.jsonl', FIXTURES), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as CorpusRecord);
}

/** Sisimai's own internal status (Sisimai::SMTP::Status, X.0.9NN) when the message gave none: we say "" there. */
export const SISIMAI_INTERNAL_STATUS = /^[45]\.0\.9\d\d$/;

export type Field = 'reason' | 'recipient' | 'status' | 'hard';

/** Disagreements made on purpose: file → fields, each with why. Keep it short. */
const TSS04 = 'Yahoo\'s [TSS04] "temporarily deferred due to unexpected volume or user complaints" is a reputation verdict in Yahoo\'s own error-code page (senders.yahooinc.com/smtp-error-codes), so badreputation, the reason send uses for it; Sisimai v5.1 files it under rejected and notes the message is not granular (Sisimai::Rhost::YahooInc)';
export const ALLOWED: readonly { file: string; field: Field; why: string }[] = [
  { file: 'eml/lhost-postfix-74.eml', field: 'reason', why: TSS04 },
  { file: 'eml/rhost-yahooinc-02.eml', field: 'reason', why: TSS04 },
  // The returned message's To: is kijitora@example.com (the report names no other address); Sisimai v5.1 reports it cut short as "kijitora@exampl".
  { file: 'eml/lhost-v5sendmail-01.eml', field: 'recipient', why: 'the returned To: is kijitora@example.com; Sisimai v5.1 cuts it to "kijitora@exampl"' },
  { file: 'eml/crlf/lhost-v5sendmail-01.eml', field: 'recipient', why: 'the returned To: is kijitora@example.com; Sisimai v5.1 cuts it to "kijitora@exampl"' },
];

export function agreement() {
  const records = loadRecords();
  const parsed = new Map<string, BounceMessage>();
  const get = (file: string) => {
    let m = parsed.get(file);
    if (!m) {
      m = parseBounce(readFileSync(new URL(file, FIXTURES)), file);
      parsed.set(file, m);
    }
    return m;
  };
  const fields: Field[] = ['reason', 'recipient', 'status', 'hard'];
  const stats = Object.fromEntries(fields.map((f) => [f, { agreed: 0, counted: 0, allowed: 0 }])) as Record<Field, { agreed: number; counted: number; allowed: number }>;
  const disagreements: string[] = [];
  const notBounce: string[] = [];
  for (const r of records) {
    const m = get(r.file);
    if (r.not_bounce) {
      if (m.results.length > 0) notBounce.push(`${r.file}: ${m.kind} with ${m.results.length} results`);
      continue;
    }
    const idx = (r.index ?? 1) - 1;
    const ours = m.results.find((x) => x.recipient.toLowerCase() === (r.recipient ?? '').toLowerCase()) ?? m.results[idx];
    const got: Record<Field, string> = {
      reason: ours?.reason ?? '(none)',
      recipient: (ours?.recipient ?? '(none)').toLowerCase(),
      status: ours?.status ?? '(none)',
      hard: String(ours?.hard ?? '(none)'),
    };
    const want: Record<Field, string> = {
      reason: r.reason ?? '',
      recipient: (r.recipient ?? '').toLowerCase(),
      status: SISIMAI_INTERNAL_STATUS.test(r.status) ? '' : r.status,
      hard: String(r.hard),
    };
    for (const f of fields) {
      stats[f].counted++;
      if (got[f] === want[f]) stats[f].agreed++;
      else if (ALLOWED.some((a) => a.file === r.file && a.field === f)) {
        stats[f].agreed++;
        stats[f].allowed++;
      } else disagreements.push(`${f}: want ${want[f]} got ${got[f]}  ${r.file} [${m.kind} ${m.format}] (${r.smtpagent}) ${f === 'reason' ? (ours?.diagnostic ?? '').slice(0, 140) : ''}`);
    }
  }
  return { stats, disagreements, notBounce, messages: parsed.size };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const a = agreement();
  for (const [f, s] of Object.entries(a.stats)) console.log(`${f}: ${s.agreed}/${s.counted} = ${((100 * s.agreed) / s.counted).toFixed(1)}%`);
  if (process.env.BOUNCE_CORPUS_VERBOSE) console.log(a.disagreements.join('\n'));
  console.log('not-bounce with results:', a.notBounce);
}
