/** check-domain: parse flags → checkDomains → render. */
import type { CliContext } from '../context.js';
import { checkDomains } from '../../core/domain/check-domain.js';
import { normalizeDomain } from '../../core/domain/name.js';
import { UsageError } from '../../core/errors.js';
import { exitCodeFor, parseFailOn } from '../../core/policy.js';
import { jsonDocument, toJson } from '../../render/json.js';
import { renderCheckDomain } from '../../render/check-domain.js';
import { startSpinner } from '../../render/progress.js';

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const failOn = parseFailOn(opts.failOn);
  if (args.length === 0) throw new UsageError('no domain given: mailpace-cli check-domain <domain…> (see --help)');
  const domains = [...new Set(args.map(normalizeDomain))];
  const selectors: string[] = (opts.selector ?? []).map((s: string) => {
    const sel = s.trim().toLowerCase();
    if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(sel)) throw new UsageError(`--selector "${s}" is not a valid DKIM selector`);
    return sel;
  });
  const deps = ctx.deps();
  const spinner = await startSpinner(ctx, `checking ${domains.join(', ')}`);
  let report;
  try {
    report = await checkDomains(deps, domains, { selectors });
  } finally {
    spinner.stop();
  }
  if (ctx.json) ctx.out(toJson(jsonDocument('check-domain', report)));
  else ctx.out(renderCheckDomain(ctx.color, report));
  return exitCodeFor(report.domains.flatMap((d) => d.findings), failOn);
}
