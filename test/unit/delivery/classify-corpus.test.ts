/**
 * The reply classifier against Sisimai v5.1's verdicts on its own corpus of real bounces
 * (test/fixtures/bounces/, see SOURCES.md there). Only each record's fields go in — reply code,
 * Status, Diagnostic-Code text — never the message, so the figure says how far text and codes
 * alone get to Sisimai's reason. Records whose reason Sisimai takes from the message's structure
 * are excluded, each kind with its reason below; every other disagreement counts.
 */
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify } from '../../../src/core/delivery/classify.js';
import type { ClassifyInput, SmtpStage } from '../../../src/core/delivery/classification.js';

interface CorpusRecord {
  file: string;
  recipient: string | null;
  reason: string | null;
  status: string;
  replycode: string;
  diagnosticcode: string;
  smtpcommand: string;
  smtpagent?: string;
  not_bounce?: boolean;
}

const FIXTURE = new URL('../../fixtures/bounces/expected.jsonl', import.meta.url);
const records: CorpusRecord[] = readFileSync(FIXTURE, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as CorpusRecord);

/** Kinds of record left out, and why: Sisimai decides these from the message, not the text. */
const EXCLUDED: readonly { readonly why: string; readonly test: (r: CorpusRecord) => boolean }[] = [
  { why: 'not a bounce (no recipient, no verdict)', test: (r) => r.not_bounce === true || r.reason === null },
  { why: 'feedback: an ARF report (RFC 5965), known by its MIME structure', test: (r) => r.reason === 'feedback' },
  { why: 'vacation: an auto-reply (RFC 3834), known by its headers', test: (r) => r.reason === 'vacation' },
  { why: 'delivered: a DSN with Action: delivered, known by its Action field', test: (r) => r.reason === 'delivered' },
  { why: 'undefined: Sisimai found no text either', test: (r) => r.reason === 'undefined' },
  {
    why: "Google Groups notices: Sisimai's GoogleGroups decoder names them rejected by the message's sender; the text is a letter in one of 11 languages",
    test: (r) => r.smtpagent === 'GoogleGroups',
  },
  {
    why: 'no diagnostic text and a status without a reason (X.0.0): the verdict comes from the Action field',
    test: (r) => r.diagnosticcode.trim() === '' && (r.status === '' || /^[45]\.0\.0$/.test(r.status)),
  },
];

// Sisimai writes its own internal status (X.0.9NN, Sisimai::SMTP::Status InternalCode) when the
// message had none, derived from the reason it had already decided: passing it would pass the answer.
const SISIMAI_INTERNAL_STATUS = /^[45]\.0\.9\d\d$/;

const STAGE_OF: Readonly<Record<string, SmtpStage>> = { CONN: 'greeting', HELO: 'ehlo', EHLO: 'ehlo', MAIL: 'mail', RCPT: 'rcpt', DATA: 'data' };

function inputOf(r: CorpusRecord, withStage: boolean): ClassifyInput {
  const input: ClassifyInput = { text: r.diagnosticcode };
  if (/^[245]\d\d$/.test(r.replycode)) input.code = Number(r.replycode);
  if (r.status !== '' && !SISIMAI_INTERNAL_STATUS.test(r.status)) input.enhanced = r.status;
  const stage = STAGE_OF[r.smtpcommand];
  if (withStage && stage) input.stage = stage;
  return input;
}

function agreement(withStage: boolean) {
  let counted = 0;
  let agreed = 0;
  const excluded = new Map<string, number>();
  const disagreements: string[] = [];
  for (const r of records) {
    const ex = EXCLUDED.find((e) => e.test(r));
    if (ex) {
      excluded.set(ex.why, (excluded.get(ex.why) ?? 0) + 1);
      continue;
    }
    counted++;
    const c = classify(inputOf(r, withStage));
    if (c.reason === r.reason) agreed++;
    else disagreements.push(`${r.reason} ≠ ${c.reason} (${c.rule}) ${r.file} ${r.status} ${r.replycode}: ${r.diagnosticcode.slice(0, 100)}`);
  }
  return { counted, agreed, rate: agreed / counted, excluded, disagreements };
}

// The rates reached when this test was written: the classifier must not fall below them.
const FLOOR_TEXT_ONLY = 0.88;
const FLOOR_WITH_STAGE = 0.885;

test('corpus: agreement with Sisimai v5.1 from reply code, status and diagnostic text', () => {
  const a = agreement(false);
  const lines = [...a.excluded].map(([why, n]) => `  excluded ${n}: ${why}`);
  console.log(`classify vs Sisimai v5.1: ${a.agreed}/${a.counted} = ${(a.rate * 100).toFixed(1)}% (text, code and status only)\n${lines.join('\n')}`);
  if (process.env.CLASSIFY_CORPUS_VERBOSE) console.log(a.disagreements.join('\n'));
  assert.ok(a.counted > 380, `too few records counted: ${a.counted}`);
  assert.ok(a.rate >= FLOOR_TEXT_ONLY, `agreement ${(a.rate * 100).toFixed(1)}% fell below ${FLOOR_TEXT_ONLY * 100}%:\n${a.disagreements.join('\n')}`);
});

test('corpus: agreement when the SMTP command the message names is passed as the stage', () => {
  const a = agreement(true);
  console.log(`classify vs Sisimai v5.1 with the stage: ${a.agreed}/${a.counted} = ${(a.rate * 100).toFixed(1)}%`);
  assert.ok(a.rate >= FLOOR_WITH_STAGE, `agreement ${(a.rate * 100).toFixed(1)}% fell below ${FLOOR_WITH_STAGE * 100}%:\n${a.disagreements.join('\n')}`);
});

test('corpus: every record classifies without throwing, and hard/suppress/retry stay consistent', () => {
  for (const r of records) {
    const c = classify(inputOf(r, true));
    assert.ok(!(c.retry && c.hard), `${r.file}: retry and hard at once`);
    assert.ok(!c.suppress || c.hard, `${r.file}: suppress without hard`);
    assert.ok(!(c.soft && c.suppress), `${r.file}: soft and suppress at once`);
  }
});
