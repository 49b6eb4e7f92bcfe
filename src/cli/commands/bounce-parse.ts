/** bounce parse: read bounces, feedback-loop reports and auto-replies; with --apply, act on them. */
import type { CliContext } from '../context.js';
import { BounceRun, parseFormat } from '../bounce-run.js';
import { checkInputs, messageSources } from '../../core/bounce/sources.js';

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const format = parseFormat(opts.format === undefined ? undefined : String(opts.format), ctx.json);
  await checkInputs(args);
  const out = new BounceRun(ctx, { command: 'bounce parse', format, apply: opts.apply === true });
  try {
    await out.start();
    const sources = messageSources(args, { readStdin: () => ctx.readStdinBytes('a message or an mbox', 'give files or directories as arguments') });
    for await (const src of sources) await out.handle(src);
    await out.finish();
  } finally {
    await out.close();
  }
  return 0;
}
