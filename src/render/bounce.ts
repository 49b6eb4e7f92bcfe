/** Renderers for `bounce parse`: human, the JSON contract (README "bounce parse"), ndjson and csv. */
import type { Applied } from '../core/bounce/apply.js';
import type { BounceMessage, BounceResult } from '../core/bounce/types.js';
import { csvRow } from './csv.js';

export interface BounceSummary {
  messages: number;
  bounces: number;
  feedback: number;
  autoReplies: number;
  notBounces: number;
  unreadable: number;
  hard: number;
  soft: number;
  suppressed?: number;
}

export function emptySummary(apply: boolean): BounceSummary {
  return { messages: 0, bounces: 0, feedback: 0, autoReplies: 0, notBounces: 0, unreadable: 0, hard: 0, soft: 0, ...(apply ? { suppressed: 0 } : {}) };
}

export function count(s: BounceSummary, m: BounceMessage, applied: readonly Applied[] | undefined): void {
  s.messages++;
  if (m.kind === 'bounce') s.bounces++;
  else if (m.kind === 'feedback') s.feedback++;
  else if (m.kind === 'auto-reply') s.autoReplies++;
  else if (m.kind === 'not-bounce') s.notBounces++;
  else s.unreadable++;
  if (m.kind === 'bounce') {
    for (const r of m.results) {
      if (r.reason === 'delivered') continue;
      if (r.hard) s.hard++;
      else s.soft++;
    }
  }
  if (applied && s.suppressed !== undefined) s.suppressed += applied.filter((a) => a.action === 'suppressed').length;
}

/** One result as the JSON contract has it (internal fields left out). */
export function resultJson(r: BounceResult): Record<string, unknown> {
  return {
    recipient: r.recipient,
    reason: r.reason,
    hard: r.hard,
    status: r.status,
    replyCode: r.replyCode,
    action: r.action,
    diagnostic: r.diagnostic,
    remoteMta: r.remoteMta,
    ...(r.feedbackType !== undefined ? { feedbackType: r.feedbackType } : {}),
    ...(r.lastAttemptDate ? { lastAttemptDate: r.lastAttemptDate } : {}),
    ...(r.userAgent ? { userAgent: r.userAgent } : {}),
    ...(r.sourceIp ? { sourceIp: r.sourceIp } : {}),
    ...(r.originalMailFrom ? { originalMailFrom: r.originalMailFrom } : {}),
    ...(r.arrivalDate ? { arrivalDate: r.arrivalDate } : {}),
    ...(r.feedbackId ? { feedbackId: r.feedbackId } : {}),
    ...(r.original ? { original: r.original } : {}),
  };
}

export function messageJson(m: BounceMessage, applied?: readonly Applied[]): Record<string, unknown> {
  return {
    file: m.file,
    messageId: m.messageId,
    kind: m.kind,
    format: m.format,
    ...(m.error ? { error: m.error } : {}),
    results: m.results.map(resultJson),
    ...(applied ? { applied } : {}),
  };
}

export const CSV_HEADER = ['file', 'messageId', 'kind', 'format', 'recipient', 'reason', 'hard', 'status', 'replyCode', 'action', 'remoteMta', 'feedbackType', 'diagnostic', 'originalMessageId', 'applied', 'error'];

/** One row per (message, recipient); a message without recipients gets one row with them empty. */
export function csvRows(m: BounceMessage, applied?: readonly Applied[]): string {
  const base = [m.file, m.messageId, m.kind, m.format];
  if (m.results.length === 0) return csvRow([...base, '', '', '', '', '', '', '', '', '', '', '', m.error ?? '']);
  return m.results
    .map((r) => {
      const a = applied?.find((x) => x.recipient === r.recipient);
      return csvRow([...base, r.recipient, r.reason, r.hard, r.status, r.replyCode, r.action, r.remoteMta, r.feedbackType ?? '', r.diagnostic, r.original?.messageId ?? '', a ? (a.suppression ? `${a.action}:${a.suppression}` : a.action) : '', '']);
    })
    .join('');
}

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function humanMessage(m: BounceMessage, c: Paint, applied?: readonly Applied[]): string {
  const kind = m.kind === 'bounce' ? c.red(m.kind) : m.kind === 'feedback' ? c.yellow(m.kind) : m.kind === 'unreadable' ? c.red(m.kind) : c.dim(m.kind);
  const lines = [`${c.bold(m.file)}  ${kind}${m.format ? c.dim(` (${m.format})`) : ''}${m.messageId ? c.dim(` ${m.messageId}`) : ''}`];
  if (m.error) lines.push(`  ${m.error}`);
  for (const r of m.results) {
    const codes = [r.replyCode, r.status].filter(Boolean).join(' ');
    const verdict = r.hard ? c.red(`${r.reason} (hard)`) : r.reason === 'vacation' || r.reason === 'feedback' ? c.yellow(r.reason) : `${r.reason} (soft)`;
    const a = applied?.find((x) => x.recipient === r.recipient);
    const act = a ? c.dim(` → ${a.action}${a.suppression ? ` (${a.suppression})` : ''}`) : '';
    lines.push(`  ${r.recipient}  ${verdict}${codes ? `  ${codes}` : ''}${r.feedbackType ? `  feedback-type ${r.feedbackType}` : ''}${act}`);
    if (r.diagnostic && r.reason !== 'vacation') lines.push(c.dim(`    ${r.diagnostic.slice(0, 160)}`));
  }
  return lines.join('\n');
}

export function humanSummary(s: BounceSummary): string {
  const parts = [`${s.messages} messages`, `${s.bounces} bounces (${s.hard} hard, ${s.soft} soft recipients)`, `${s.feedback} feedback`, `${s.autoReplies} auto-replies`, `${s.notBounces} not bounces`, `${s.unreadable} unreadable`];
  if (s.suppressed !== undefined) parts.push(`${s.suppressed} suppressed`);
  return parts.join(', ');
}
