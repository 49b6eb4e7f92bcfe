/** Human and JSON rendering of `send` (and `queue run`): a line per recipient, its attempts, findings. */
import type { ChalkInstance } from 'chalk';
import type { RecipientReport, SendReport } from '../core/delivery/report.js';
import { summarize } from '../core/types.js';
import type { SendPlan } from '../cli/commands/send.js';
import { formatDuration } from '../core/duration.js';
import { plural, renderFinding } from './findings.js';
import { jsonDocument } from './json.js';

/** send and queue run: their own text and JSON, and the CI report formats. */
export const SEND_FORMATS = ['human', 'json', 'junit', 'github'] as const;

export function sendDocument(report: SendReport) {
  return jsonDocument('send', report);
}

export function sendPlanDocument(plan: SendPlan) {
  return jsonDocument('send', { dryRun: true, plan });
}

function clip(s: string, n = 110): string {
  const one = s.replace(/\s*\n\s*/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

const MARK: Record<RecipientReport['status'], (c: ChalkInstance) => string> = {
  delivered: (c) => c.green('✓'),
  deferred: (c) => c.yellow('…'),
  bounced: (c) => c.red('✗'),
  suppressed: (c) => c.dim('–'),
  expired: (c) => c.red('⌛'),
};

function recipientLines(c: ChalkInstance, r: RecipientReport): string[] {
  const head = `${MARK[r.status](c)} ${r.recipient.padEnd(30)} ${r.status}${r.reason && r.status !== 'delivered' ? c.dim(` (${r.reason}${r.status === 'bounced' ? (r.hard ? ', hard' : ', soft') : ''})`) : ''}${r.suppressed && r.status === 'bounced' ? c.dim(' → suppressed') : ''}`;
  const lines = [head];
  for (const a of r.attempts) {
    const via = a.mx ? `${a.mx}${a.address && a.address !== a.mx ? ` [${a.address}]` : ''}` : '—';
    const tls = a.tls ? c.dim(` ${a.tls.protocol}`) : a.mx ? c.yellow(' plaintext') : '';
    const reply = clip(`${a.reply.code ?? ''} ${a.reply.enhanced ?? ''} ${a.reply.text}`.replace(/\s+/g, ' ').trim());
    lines.push(`    ${c.dim(a.at.slice(11, 19))} ${via}${tls}  ${reply}`);
  }
  if (r.nextAttemptAt) lines.push(`    ${c.dim(`next attempt ${r.nextAttemptAt}`)}`);
  return lines;
}

export function renderSendReport(c: ChalkInstance, report: SendReport, opts: { retry?: boolean } = {}): string {
  const lines = [`${c.bold(report.messageId)} ${c.dim(`queue ${report.queueId}`)}`];
  for (const r of report.recipients) lines.push(...recipientLines(c, r));
  if (report.findings.length > 0) {
    lines.push('');
    for (const f of report.findings) lines.push(renderFinding(c, f, '  '));
  }
  const s = report.summary;
  const parts = [`${s.delivered} delivered`, `${s.deferred} deferred`, `${s.bounced} bounced`, `${s.suppressed} suppressed`, `${s.expired} expired`];
  lines.push('', `${plural(report.recipients.length, 'recipient')}: ${parts.join(', ')}`);
  if (s.deferred > 0 && !opts.retry) lines.push(c.dim('deferred recipients stay queued: `mailpace-cli queue run` retries them when due'));
  const sum = summarize(report.findings);
  if (sum.errors + sum.warnings > 0) lines.push(c.dim(`${plural(sum.errors, 'error')}, ${plural(sum.warnings, 'warning')}`));
  return lines.join('\n');
}

export function renderSendPlan(c: ChalkInstance, plan: SendPlan): string {
  const o = plan.options;
  const lines = [
    `${c.bold('plan')} ${c.dim('(--dry-run: nothing is sent)')}`,
    `  from        ${plan.from}`,
    `  message     ${plan.messageId}, ${plan.bytes} bytes${plan.dkim ? `, DKIM ${plan.dkim.algorithm} d=${plan.dkim.domain} s=${plan.dkim.selector}` : ', not DKIM-signed'}`,
    `  virus scan  ${plan.virusScan ?? 'none'}`,
    `  route       ${o.relay ? `relay ${o.relay.secure ? 'smtps' : 'smtp'}://${o.relay.host}:${o.relay.port}${o.relay.user ? ` as ${o.relay.user}` : ''}` : `MX of each domain, port ${o.port}`}, TLS ${o.tls}, EHLO ${plan.heloName}`,
    `  batches     ${o.separate ? 'one message per recipient' : `up to ${o.maxRcpt} recipients per transaction`}`,
    `  retry       ${plan.retry ? 'in the foreground' : 'later, with `queue run`'}: back-off ${formatDuration(o.policy.firstBackoffMs)} doubling to ${formatDuration(o.policy.maxBackoffMs)}, greylisting ≥ ${formatDuration(o.policy.greylistDelayMs)}, expire after ${formatDuration(o.policy.maxAgeMs)}`,
    `  recipients  ${plural(plan.recipients.length, 'recipient')} in ${plural(plan.domains.length, 'domain')}:`,
  ];
  if (o.warmup) lines.splice(lines.length - 1, 0, `  warm-up     plan ${o.warmup.id}: ${plural(o.warmup.days.length, 'sending day')}, ${o.warmup.hours.from}:00–${o.warmup.hours.to}:00 local time; caps per provider counted from the delivery log`);
  for (const d of plan.domains) lines.push(`    ${d.domain.padEnd(28)} ${plural(d.recipients, 'recipient')}, ${plural(d.transactions, 'transaction')}`);
  return lines.join('\n');
}
