/** codes: the finding-code vocabulary, for scripts that match on codes. */
import type { CliContext } from '../context.js';
import { FINDING_CODES } from '../../core/finding-codes.js';
import { jsonDocument, toJson } from '../../render/json.js';

export async function run(ctx: CliContext, args: string[]): Promise<number> {
  const filter = args[0]?.toUpperCase();
  const codes = Object.entries(FINDING_CODES)
    .filter(([code]) => !filter || code.startsWith(filter))
    .map(([code, info]) => ({ code, severity: info.severity, description: info.description }));
  if (ctx.json) {
    ctx.out(toJson(jsonDocument('codes', { codes })));
    return 0;
  }
  const w = Math.max(0, ...codes.map((c) => c.code.length));
  const c = ctx.color;
  const sev = { error: c.red('error  '), warning: c.yellow('warning'), info: c.blue('info   ') };
  ctx.out(codes.map((x) => `${x.code.padEnd(w)}  ${sev[x.severity]}  ${x.description}`).join('\n'));
  return 0;
}
