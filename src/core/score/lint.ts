/**
 * The built-in lint: every rule over one parsed message, and the built-in engine's verdict (score,
 * action, symbols) computed from the findings when Rspamd is not used.
 */
import type { Finding } from '../types.js';
import { EXECUTABLE_ATTACHMENT_WEIGHT, LINT_WEIGHTS, SCORE_FINDING_CODES, type ScoreFindingCode } from './codes.js';
import { LINT_RULES, lintContext, linkedHosts, type LintOptions } from './lint-rules.js';
import type { ParsedMessage } from './message.js';
import { byImpact, type ScoreSymbol } from './rspamd-reply.js';

export type { LintOptions } from './lint-rules.js';

export interface LintOutcome {
  findings: Finding[];
  /** Every http(s) host the message links to (for --check-links). */
  hosts: string[];
}

export function lintMessage(msg: ParsedMessage, opts: LintOptions): LintOutcome {
  const findings: Finding[] = [];
  if (msg.parseError || msg.structure.truncated) {
    findings.push({
      code: 'LINT_MIME_UNPARSEABLE',
      severity: 'error',
      check: 'format',
      message: `The MIME structure could not be fully parsed: ${msg.parseError ?? msg.structure.truncated}.`,
      fix: 'Generate the message with a maintained MIME library; receivers treat unparseable mail as hostile.',
    });
  }
  if (msg.structure.problems.length > 0) {
    findings.push({
      code: 'LINT_MIME_MALFORMED',
      severity: 'warning',
      check: 'format',
      message: `The MIME structure is malformed: ${msg.structure.problems.join('; ')}.`,
      fix: 'Generate the message with a maintained MIME library rather than by string templates.',
      evidence: msg.structure.problems,
    });
  }
  const ctx = lintContext(msg, opts);
  for (const rule of LINT_RULES) findings.push(...rule(ctx));
  return { findings, hosts: linkedHosts(ctx) };
}

/** Points for one finding in the built-in score. */
export function findingWeight(f: Finding): number {
  if (!(f.code in LINT_WEIGHTS)) return 0;
  if (f.code === 'LINT_ATTACHMENT_BLOCKED' && f.severity === 'error') return EXECUTABLE_ATTACHMENT_WEIGHT;
  return LINT_WEIGHTS[f.code as ScoreFindingCode];
}

/**
 * Rspamd's stock action thresholds (/etc/rspamd/actions.conf): the built-in engine reports its
 * score on the same scale, so "action" reads the same with either engine.
 */
export const DEFAULT_ACTION_THRESHOLDS = [
  { action: 'reject', score: 15 },
  { action: 'add header', score: 6 },
  { action: 'greylist', score: 4 },
] as const;

export const BUILTIN_REQUIRED_SCORE = 15;

export function actionFor(score: number): string {
  return DEFAULT_ACTION_THRESHOLDS.find((t) => score >= t.score)?.action ?? 'no action';
}

export interface BuiltinVerdict {
  score: number;
  requiredScore: number;
  action: string;
  symbols: ScoreSymbol[];
}

/** One symbol per finding code (counted once, at its heaviest), summed into a score. */
export function builtinVerdict(findings: readonly Finding[]): BuiltinVerdict {
  const byCode = new Map<string, { weight: number; messages: string[] }>();
  for (const f of findings) {
    const w = findingWeight(f);
    const cur = byCode.get(f.code) ?? { weight: 0, messages: [] };
    cur.weight = Math.max(cur.weight, w);
    cur.messages.push(f.message);
    byCode.set(f.code, cur);
  }
  const symbols: ScoreSymbol[] = [...byCode].map(([code, v]) => ({
    name: code,
    score: v.weight,
    description: (SCORE_FINDING_CODES as Record<string, { description: string }>)[code]?.description ?? code,
    options: v.messages,
  }));
  symbols.sort(byImpact);
  // sum in hundredths so 0.1 + 0.2 prints as 0.3
  const score = Math.round(symbols.reduce((s, x) => s + x.score * 100, 0)) / 100;
  return { score, requiredScore: BUILTIN_REQUIRED_SCORE, action: actionFor(score), symbols };
}
