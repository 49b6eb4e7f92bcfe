/**
 * The composition of the delivery engine for the CLI (`send`, `queue run`): store, SMTP transport,
 * classifier, TLS policy, progress on stderr, Ctrl-C. Loaded only by the commands that deliver.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { CliContext } from './context.js';
import { classify } from '../core/delivery/classify.js';
import { DeliveryEngine, type EngineEvent, type EnqueueInput } from '../core/delivery/engine.js';
import { sendReport, sendExitCode, type SendReport } from '../core/delivery/report.js';
import { SmtpTransport } from '../core/delivery/smtp-transport.js';
import { tlsPolicyFor } from '../core/delivery/tls-policy.js';
import { httpsPolicyFetcher } from '../core/probe/mta-sts.js';
import type { Store } from '../core/store/store.js';
import type { Deps } from '../core/deps.js';
import { TRANSCRIPT_MARKS, type TranscriptEntry } from '../core/smtp/transcript.js';
import type { Finding } from '../core/types.js';
import { startSpinner } from '../render/progress.js';
import { formatDuration } from '../core/duration.js';

export interface RunnerOptions {
  heloName: string;
  caPem?: string;
  concurrency: number;
  relayPassword?: string;
  retry: boolean;
  findings?: Finding[];
  /** How long a claim lasts before another worker may take the message over (default: the engine's 10 min). */
  leaseMs?: number;
}

export function workerName(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export async function makeEngine(
  ctx: CliContext,
  store: Store,
  o: RunnerOptions,
  onEvent?: (e: EngineEvent) => void,
  deps: Deps = ctx.deps(),
): Promise<{ engine: DeliveryEngine; close: () => Promise<void> }> {
  const transport = new SmtpTransport({
    resolver: deps.resolver,
    clock: deps.clock,
    heloName: o.heloName,
    // RFC 5321 §4.5.3.2 suggests minutes for MTAs; a test sender waits --timeout per step, and
    // three times that for the greeting (postscreen and tarpits pause before greeting).
    timeouts: { connectMs: ctx.timeoutMs, greetingMs: ctx.timeoutMs * 3, commandMs: Math.max(ctx.timeoutMs, 10_000) },
    ...(o.caPem ? { ca: o.caPem } : {}),
    ...(ctx.opts.verbose ? { onTranscript: (host: string, e: TranscriptEntry) => ctx.debug(`${host} ${TRANSCRIPT_MARKS[e.dir].padStart(2)} ${e.text}`) } : {}),
  });
  const fetcher = httpsPolicyFetcher({ resolver: deps.resolver, timeoutMs: ctx.timeoutMs, ...(o.caPem ? { ca: [o.caPem] } : {}) });
  const engine = new DeliveryEngine({
    store,
    transport,
    clock: deps.clock,
    resolver: deps.resolver,
    classify,
    worker: workerName(),
    concurrency: o.concurrency,
    ...(o.leaseMs !== undefined ? { leaseMs: o.leaseMs } : {}),
    tlsPolicy: (domain, port, signal) => tlsPolicyFor({ resolver: deps.resolver, fetcher, port, policyCache: { store, clock: deps.clock } }, domain, signal),
    ...(o.relayPassword !== undefined ? { relayPassword: o.relayPassword } : {}),
    ...(onEvent ? { onEvent } : {}),
  });
  return { engine, close: () => transport.close() };
}

/** Queues one message and delivers it (once, or until settled with retry). */
export async function runDelivery(ctx: CliContext, o: RunnerOptions & { enqueue: EnqueueInput; deps: Deps }): Promise<{ report: SendReport; exitCode: number }> {
  const store = await ctx.store();
  const spinner = await startSpinner(ctx, `sending to ${o.enqueue.recipients.length} recipient(s)`);
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    controller.abort(new Error('interrupted'));
  };
  process.once('SIGINT', onSigint);
  let done = 0;
  const onEvent = (e: EngineEvent) => {
    if (e.type === 'result') {
      done++;
      // one event per recipient: texts are built only when someone sees them
      if (spinner.visible) spinner.update(`${done} answer(s): ${e.recipient} ${e.status}${e.reply ? ` (${e.reply.code ?? ''} ${e.reply.text.split('\n')[0]})` : e.networkError ? ` (${e.networkError})` : ''}`);
      if (ctx.opts.verbose) ctx.debug(`${e.recipient}: ${e.status}${e.host ? ` via ${e.host}` : ''}${e.reply ? ` — ${e.reply.code ?? ''} ${e.reply.enhanced ?? ''} ${e.reply.text}` : e.networkError ? ` — ${e.networkError}` : ''}`);
    } else if (e.type === 'waiting') {
      const wait = formatDuration(e.until - Date.now());
      const who = e.recipients.map((r) => `${r.recipient} (${r.why}${r.reply ? `: ${r.reply.code ?? ''} ${r.reply.text.split('\n')[0]}` : ''})`).join(', ');
      spinner.update(`waiting ${wait} for the next attempt: ${who}`);
      if (!ctx.interactive) ctx.notice(`mailpace-cli: next attempt in ${wait}: ${who}`);
    }
  };
  const { engine, close } = await makeEngine(ctx, store, o, onEvent, o.deps);
  try {
    await engine.enqueue(o.enqueue);
    try {
      if (o.retry) await engine.runUntilSettled(o.enqueue.id, controller.signal);
      else await engine.runDue({ id: o.enqueue.id, signal: controller.signal });
    } catch (err) {
      if (!interrupted) throw err;
    }
    const report = await sendReport(store, { queueId: o.enqueue.id, messageId: o.enqueue.messageId, recipients: o.enqueue.recipients.map((r) => r.toLowerCase()), findings: [...(o.findings ?? []), ...engine.findings] });
    if (interrupted) ctx.notice(`mailpace-cli: interrupted; what was not delivered stays queued as ${o.enqueue.id}: continue with \`mailpace-cli queue run --retry\``);
    else if (report.summary.deferred > 0 && !o.retry) ctx.notice(`mailpace-cli: ${report.summary.deferred} deferred recipient(s) stay queued as ${o.enqueue.id}: \`mailpace-cli queue run\` retries them when due (or send with --retry to wait here)`);
    return { report, exitCode: sendExitCode(report) };
  } finally {
    process.removeListener('SIGINT', onSigint);
    spinner.stop();
    // QUIT goes out first; the store closes (and checkpoints its WAL) while the servers answer it.
    const quit = close();
    try {
      await store.close();
    } finally {
      await quit;
    }
  }
}
