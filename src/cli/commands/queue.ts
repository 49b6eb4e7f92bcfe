/** queue list | run [--retry] | delete <id>|--all — the delivery queue in the store. */
import { hostname } from 'node:os';
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { FINAL_STATUSES } from '../../core/store/store.js';
import { sendReport, sendExitCode, type SendReport } from '../../core/delivery/report.js';
import { toJson, jsonDocument } from '../../render/json.js';
import { isReportFormat, outputFormat, writeReport } from '../report-format.js';
import { renderSendReport, SEND_FORMATS } from '../../render/send.js';
import { parseHelo, positiveDuration, readCaFile, readSecret, wholeNumber } from '../flags.js';

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const action = args[0];
  if (action === 'list') return list(ctx);
  if (action === 'run') return runQueue(ctx, opts);
  if (action === 'delete') return del(ctx, args.slice(1), opts);
  throw new UsageError(`unknown queue action "${action}": use list, run or delete`);
}

async function list(ctx: CliContext): Promise<number> {
  const store = await ctx.store();
  try {
    const messages = await store.listQueue();
    const doc = messages.map((m) => ({
      queueId: m.id,
      messageId: m.messageId,
      sender: m.sender,
      createdAt: new Date(m.createdAt).toISOString(),
      expiresAt: new Date(m.expiresAt).toISOString(),
      bytes: m.raw.length,
      recipients: m.recipients.map((r) => ({
        recipient: r.recipient,
        status: r.status,
        attempts: r.attempts,
        nextAttemptAt: FINAL_STATUSES.has(r.status) ? null : new Date(r.nextAttemptAt).toISOString(),
        lastReply: r.lastReply ?? null,
        reason: r.reason ?? null,
      })),
    }));
    if (ctx.json) {
      ctx.out(toJson(jsonDocument('queue list', { messages: doc })));
      return 0;
    }
    if (doc.length === 0) {
      ctx.out('the queue is empty');
      return 0;
    }
    const c = ctx.color;
    for (const m of doc) {
      ctx.out(`${c.bold(m.queueId)} ${m.messageId} from ${m.sender || '<>'} ${c.dim(`queued ${m.createdAt}, expires ${m.expiresAt}, ${m.bytes} bytes`)}`);
      for (const r of m.recipients) {
        const last = r.lastReply ? ` — ${`${r.lastReply.code ?? ''} ${r.lastReply.enhanced ?? ''} ${r.lastReply.text}`.replace(/\s+/g, ' ').trim().slice(0, 100)}` : '';
        ctx.out(`  ${r.recipient.padEnd(30)} ${r.status.padEnd(9)} ${c.dim(`${r.attempts} attempt(s)${r.nextAttemptAt ? `, next ${r.nextAttemptAt}` : ''}`)}${last}`);
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

async function runQueue(ctx: CliContext, opts: Record<string, any>): Promise<number> {
  const format = outputFormat(ctx, opts.format, SEND_FORMATS);
  const { makeEngine } = await import('../delivery-runner.js');
  const { runWorkers } = await import('../../core/delivery/workers.js');
  const heloName = opts.helo !== undefined ? parseHelo(String(opts.helo)) : hostname();
  const concurrency = wholeNumber(String(opts.concurrency ?? '10'), '--concurrency', 1, 100);
  const workers = wholeNumber(String(opts.workers ?? '1'), '--workers', 1, 64);
  const leaseMs = opts.lease !== undefined ? positiveDuration(String(opts.lease), '--lease') : undefined;
  const caPem = opts.caFile !== undefined ? readCaFile(String(opts.caFile)) : undefined;
  const password = readSecret({ file: opts.passwordFile, env: ctx.io.env, envName: 'MAILPACE_SMTP_PASSWORD', flag: '--password-file' });
  // Workers share the process's connections to a PostgreSQL store: one each, and one for the rest.
  const store = await ctx.store({ poolSize: Math.min(workers + 1, 20) });
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  try {
    const before = await store.listQueue();
    const deps = ctx.deps();
    const runners = await Promise.all(
      Array.from({ length: workers }, () =>
        makeEngine(ctx, store, { heloName, concurrency, retry: !!opts.retry, ...(leaseMs !== undefined ? { leaseMs } : {}), ...(caPem ? { caPem } : {}), ...(password !== undefined ? { relayPassword: password } : {}) }, undefined, deps),
      ),
    );
    try {
      // Each worker claims as many messages as it runs transactions at once.
      await runWorkers({ store, clock: deps.clock, engines: runners.map((r) => r.engine), batch: concurrency, retry: !!opts.retry, signal: controller.signal });
    } finally {
      for (const r of runners) await r.close();
    }
    const reports: SendReport[] = [];
    for (const m of before) {
      reports.push(await sendReport(store, { queueId: m.id, messageId: m.messageId, recipients: m.recipients.filter((r) => !FINAL_STATUSES.has(r.status)).map((r) => r.recipient), findings: [] }));
    }
    const seen = new Set<string>();
    const findings = runners.flatMap((r) => r.engine.findings).filter((f) => !seen.has(`${f.code}|${f.message}`) && !!seen.add(`${f.code}|${f.message}`));
    const codes = reports.map(sendExitCode);
    const exitCode = codes.includes(3) ? 3 : codes.includes(1) ? 1 : 0;
    if (isReportFormat(format)) {
      const { sendSuite } = await import('../../core/delivery/report.js');
      const suites = reports.map((r) => sendSuite(r, `queue ${r.queueId}`));
      if (findings.length > 0) suites.push({ name: 'queue run', cases: [{ name: 'queue run', findings }], notices: [] });
      writeReport(ctx, format, { command: 'queue run', suites, failOn: 'warning', exitCode });
    } else if (format === 'json') {
      ctx.out(toJson(jsonDocument('queue run', { messages: reports, findings })));
    } else if (reports.length === 0) {
      ctx.out('the queue is empty');
    } else {
      for (const r of reports) ctx.out(renderSendReport(ctx.color, { ...r, findings: [] }, { retry: !!opts.retry }));
      for (const f of findings) ctx.out(`${f.severity}: ${f.code} ${f.message}`);
    }
    return exitCode;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await store.close();
  }
}

async function del(ctx: CliContext, ids: string[], opts: Record<string, any>): Promise<number> {
  if (!opts.all && ids.length === 0) throw new UsageError('give a queue id (see `mailpace-cli queue list`) or --all');
  if (opts.all && ids.length > 0) throw new UsageError('give queue ids or --all, not both');
  const store = await ctx.store();
  try {
    let deleted = 0;
    const missing: string[] = [];
    if (opts.all) deleted = await store.deleteAllQueued();
    else for (const id of ids) (await store.deleteQueued(id)) ? deleted++ : missing.push(id);
    if (ctx.json) ctx.out(toJson(jsonDocument('queue delete', { deleted, missing })));
    else {
      ctx.out(`${deleted} message(s) deleted from the queue`);
      for (const id of missing) ctx.notice(`mailpace-cli: no queued message ${id}`);
    }
    return missing.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
