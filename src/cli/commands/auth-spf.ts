/**
 * auth spf: flags → evaluateSpf → render.
 * Exit codes: 0 for any computed result (pass, fail, softfail, neutral, none, permerror are answers
 * about the domain, not failures of the tool); 3 for temperror (DNS could not answer: retry);
 * 2 for bad input (--ip not an address, no identity to check).
 */
import type { CliContext } from '../context.js';
import { EXIT } from '../../core/policy.js';
import { evaluateSpf } from '../../core/spf/evaluate.js';
import { jsonDocument, toJson } from '../../render/json.js';
import { authSpfJson, renderAuthSpf } from '../../render/auth-spf.js';
import { startSpinner } from '../../render/progress.js';

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  const input = { ip: String(opts.ip ?? ''), mailFrom: opts.mailFrom as string | undefined, helo: opts.helo as string | undefined };
  const deps = ctx.deps();
  const spinner = await startSpinner(ctx, `evaluating SPF for ${input.ip}`);
  let ev;
  try {
    ev = await evaluateSpf(deps, input);
  } finally {
    spinner.stop();
  }
  if (ctx.json) ctx.out(toJson(jsonDocument('auth spf', authSpfJson(ev))));
  else ctx.out(renderAuthSpf(ctx.color, ev));
  return ev.result === 'temperror' ? EXIT.INCOMPLETE : EXIT.OK;
}
