/**
 * send: flags → prepared message (compose or read, attachment policy, DKIM, virus scan) → plan →
 * queue → delivery engine (one pass, or until settled with --retry) → report.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_DELIVERY_OPTIONS, type DeliveryOptions } from '../../core/delivery/engine.js';
import { DEFAULT_RETRY_POLICY } from '../../core/delivery/retry-policy.js';
import { parseDomainList } from '../config.js';
import { addressDomain } from '../../core/store/store.js';
import { parseAddress, parseBackoff, parseHelo, positiveDuration, readCaFile, readInputFile, readSecret, wholeNumber } from '../flags.js';
import { toJson } from '../../render/json.js';
import { renderSendPlan, renderSendReport, SEND_FORMATS, sendDocument, sendPlanDocument } from '../../render/send.js';
import { runDelivery } from '../delivery-runner.js';
import { isReportFormat, outputFormat, writeReport } from '../report-format.js';
import { checkMessageFlags, parseRelayFlags, prepareOutgoing } from '../message-flags.js';
import type { Finding } from '../../core/types.js';

const WARMUP_MAX_AGE_MS = 5 * 24 * 3_600_000;

export interface SendPlan {
  from: string;
  recipients: string[];
  domains: { domain: string; recipients: number; transactions: number }[];
  messageId: string;
  bytes: number;
  dkim: { domain: string; selector: string; algorithm: string } | null;
  virusScan: string | null;
  options: DeliveryOptions;
  retry: boolean;
  heloName: string;
}

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  // ---- everything that can be refused is checked before any connection (exit 2) ----
  const format = outputFormat(ctx, opts.format, SEND_FORMATS);
  if (opts.from === undefined) throw new UsageError('--from is required (the envelope sender and, when composing, the From: header)');
  const from = parseAddress(String(opts.from), '--from', { allowNull: false });
  const toFlags: string[] = (opts.to as string[] | undefined) ?? [];
  if (toFlags.length === 0 && opts.toFile === undefined) throw new UsageError('give recipients with --to <address> (repeatable) or --to-file <path|->');
  let rcptInput = [...toFlags.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)];
  if (opts.toFile !== undefined) {
    const text = opts.toFile === '-' ? await ctx.readStdin('recipients', 'give them with --to') : readInputFile(String(opts.toFile), '--to-file').toString('utf8');
    rcptInput = rcptInput.concat(parseDomainList(text));
  }
  const checkedDomains = new Set<string>();
  const recipients = [...new Set(rcptInput.map((r) => parseAddress(r, '--to', { checkedDomains }).toLowerCase()))];
  if (recipients.length === 0) throw new UsageError('no recipients: --to-file was empty');

  checkMessageFlags(opts);

  const { relay, password } = parseRelayFlags(ctx, opts, { name: '--password-file', value: opts.passwordFile });

  const backoff = opts.backoff !== undefined ? parseBackoff(String(opts.backoff)) : { firstMs: DEFAULT_RETRY_POLICY.firstBackoffMs, maxMs: DEFAULT_RETRY_POLICY.maxBackoffMs };
  const options: DeliveryOptions = {
    ...DEFAULT_DELIVERY_OPTIONS,
    ...(relay ? { relay } : {}),
    port: relay ? relay.port : opts.port !== undefined ? wholeNumber(String(opts.port), '--port', 1, 65535) : 25,
    tls: opts.tls === 'required' ? 'required' : 'opportunistic',
    maxRcpt: wholeNumber(String(opts.maxRcpt ?? '100'), '--max-rcpt', 1, 1000),
    separate: !!opts.separate,
    policy: {
      firstBackoffMs: backoff.firstMs,
      maxBackoffMs: backoff.maxMs,
      greylistDelayMs: opts.greylistDelay !== undefined ? positiveDuration(String(opts.greylistDelay), '--greylist-delay', { allowZero: true }) : DEFAULT_RETRY_POLICY.greylistDelayMs,
      // A warm-up spreads a list over days: the queue keeps it as long as Postfix keeps mail
      // (maximal_queue_lifetime = 5d, postconf(5)) unless --max-age says otherwise.
      maxAgeMs: opts.maxAge !== undefined ? positiveDuration(String(opts.maxAge), '--max-age') : opts.warmup !== undefined ? WARMUP_MAX_AGE_MS : DEFAULT_RETRY_POLICY.maxAgeMs,
    },
  };
  if (opts.warmup !== undefined) {
    const { readPlanFile } = await import('../../core/warmup/enforce.js');
    options.warmup = readPlanFile(readInputFile(String(opts.warmup), '--warmup').toString('utf8'), String(opts.warmup));
  }
  const concurrency = wholeNumber(String(opts.concurrency ?? '10'), '--concurrency', 1, 100);
  const heloName = opts.helo !== undefined ? parseHelo(String(opts.helo)) : hostname();
  const caPem = opts.caFile !== undefined ? readCaFile(String(opts.caFile)) : undefined;

  // The virus scanner's client loads only when --clamd asks for it.
  const clamdLib = opts.clamd !== undefined ? await import('../../core/delivery/clamd.js') : undefined;
  const clamd = clamdLib ? clamdLib.parseClamdTarget(String(opts.clamd)) : undefined;

  // ---- the message ----
  // One resolver for the whole run: the DKIM key check, routing and MTA-STS share its cache.
  const deps = ctx.deps();
  const out = await prepareOutgoing(ctx, deps, opts, { from, to: recipients, checkDkimKey: !opts.dryRun });
  const { prepared, raw, dkim, findings } = out;
  for (const n of prepared.notices) ctx.notice(`mailpace-cli: ${n}`);

  const perDomain = new Map<string, number>();
  for (const r of recipients) perDomain.set(addressDomain(r), (perDomain.get(addressDomain(r)) ?? 0) + 1);
  const size = options.separate ? 1 : options.maxRcpt;
  const plan: SendPlan = {
    from,
    recipients,
    domains: [...perDomain].map(([domain, n]) => ({ domain, recipients: n, transactions: Math.ceil(n / size) })),
    messageId: prepared.messageId,
    bytes: raw.length,
    dkim,
    virusScan: clamd && clamdLib ? clamdLib.formatClamdTarget(clamd) : null,
    options,
    retry: !!opts.retry,
    heloName,
  };
  if (opts.dryRun) {
    if (ctx.json) ctx.out(toJson(sendPlanDocument(plan)));
    else ctx.out(renderSendPlan(ctx.color, plan));
    return 0;
  }

  if (clamd && clamdLib) {
    const { scanWithClamd, formatClamdTarget } = clamdLib;
    const verdict = await scanWithClamd(clamd, raw, { timeoutMs: Math.max(ctx.timeoutMs, 30_000) });
    if (!verdict.clean) {
      const f: Finding = { code: 'SEND_CONTENT_REJECTED', severity: 'error', check: 'virus-scan', message: `clamd found ${verdict.signature} in the message: nothing was sent.`, fix: 'Remove the infected attachment.' };
      if (ctx.json) ctx.out(toJson({ schemaVersion: 1, command: 'send', messageId: prepared.messageId, queueId: null, virus: verdict.signature, recipients: [], findings: [f], summary: { delivered: 0, deferred: 0, bounced: 0, suppressed: 0, expired: 0 } }));
      else ctx.out(`${ctx.color.red('✗')} virus found by clamd (${formatClamdTarget(clamd)}): ${verdict.signature} — nothing was sent`);
      return 1;
    }
    ctx.debug(`clamd ${formatClamdTarget(clamd)}: clean`);
  }

  // ---- queue and deliver ----
  const queueId = `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
  const report = await runDelivery(ctx, {
    heloName,
    caPem,
    concurrency,
    relayPassword: password,
    retry: !!opts.retry,
    enqueue: { id: queueId, messageId: prepared.messageId, sender: from, raw, recipients, options, force: !!opts.force },
    findings,
    deps,
  });
  if (isReportFormat(format)) {
    const { sendSuite } = await import('../../core/delivery/report.js');
    writeReport(ctx, format, { command: 'send', suites: [sendSuite(report.report)], failOn: 'warning', exitCode: report.exitCode });
  } else if (format === 'json') ctx.out(toJson(sendDocument(report.report)));
  else ctx.out(renderSendReport(ctx.color, report.report, { retry: !!opts.retry }));
  return report.exitCode;
}
