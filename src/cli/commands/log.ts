/** log: the delivery log, newest first. */
import type { CliContext } from '../context.js';
import { toJson, jsonDocument } from '../../render/json.js';
import { attemptReport } from '../../core/delivery/report.js';
import { parseAddress, positiveDuration, wholeNumber } from '../flags.js';

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  const recipient = opts.recipient !== undefined ? parseAddress(String(opts.recipient), '--recipient') : undefined;
  const since = opts.since !== undefined ? Date.now() - positiveDuration(String(opts.since), '--since') : undefined;
  const limit = wholeNumber(String(opts.limit ?? '100'), '--limit', 1, 1_000_000);
  const store = await ctx.store();
  try {
    const rows = await store.listDeliveries({ ...(recipient ? { recipient } : {}), ...(since !== undefined ? { since } : {}), limit });
    const entries = rows.map((e) => {
      const { at, ...rest } = attemptReport(e);
      return { at, queueId: e.queueId ?? null, messageId: e.messageId, recipient: e.recipient, status: e.status, ...rest };
    });
    if (ctx.json) {
      ctx.out(toJson(jsonDocument('log', { entries })));
      return 0;
    }
    if (entries.length === 0) {
      ctx.out('the delivery log has no matching entries');
      return 0;
    }
    for (const e of entries) {
      const reply = `${e.reply.code ?? ''} ${e.reply.enhanced ?? ''} ${e.reply.text}`.replace(/\s+/g, ' ').trim().slice(0, 90);
      ctx.out(`${ctx.color.dim(e.at)} ${e.status.padEnd(10)} ${e.recipient.padEnd(28)} ${e.mx ?? ''}${e.tls ? ctx.color.dim(` ${e.tls.protocol}`) : ''} ${reply}${e.classification && e.status !== 'delivered' ? ctx.color.dim(` [${e.classification.reason}]`) : ''}`);
    }
    return 0;
  } finally {
    await store.close();
  }
}
