/** warmup plan: a day-by-day warm-up schedule from a published curve, per provider, with hourly caps. */
import { writeFileSync } from 'node:fs';
import type { CliContext } from '../context.js';
import { UsageError, MailpaceError } from '../../core/errors.js';
import { CURVE_NAMES, type CurveName } from '../../core/warmup/curves.js';
import { buildPlan, EXAMPLE_MIX, type Mix, type WarmupPlan } from '../../core/warmup/plan.js';
import { mixFromList, parseRecipientList, providerByName, type ListMix } from '../../core/warmup/providers.js';
import { toJson } from '../../render/json.js';
import { planCsv, planDocument, planHuman } from '../../render/warmup.js';
import { parseDecimal, parseHours, parseMix, parseVolume, readInputFile, wholeNumber } from '../flags.js';

export function outputFormat(ctx: CliContext, opts: Record<string, any>): 'human' | 'json' | 'csv' {
  if (ctx.json) return 'json';
  const f = String(opts.format ?? 'human');
  if (f !== 'human' && f !== 'json' && f !== 'csv') throw new UsageError(`--format "${f}" must be human, json or csv`);
  return f;
}

/** True when any flag that shapes a plan was given (simulate: a plan file and plan flags exclude each other). */
export function hasPlanFlags(opts: Record<string, any>): boolean {
  return ['target', 'start', 'days', 'curve', 'growth', 'mix', 'list', 'hours'].some((k) => opts[k] !== undefined);
}

/** Builds the plan the flags describe; with --list, resolves the recipients' MX hosts first. */
export async function planFromFlags(ctx: CliContext, opts: Record<string, any>): Promise<{ plan: WarmupPlan; list?: ListMix }> {
  if (opts.target === undefined) throw new UsageError('--target is required (the daily volume to reach, e.g. --target 50000/day)');
  const target = parseVolume(String(opts.target), '--target', { perDay: true });
  const curve = String(opts.curve ?? 'geometric');
  if (!(CURVE_NAMES as readonly string[]).includes(curve)) throw new UsageError(`--curve "${curve}" must be one of: ${CURVE_NAMES.join(', ')}`);
  const start = opts.start !== undefined ? parseVolume(String(opts.start), '--start', { perDay: true }) : undefined;
  const days = opts.days !== undefined ? wholeNumber(String(opts.days), '--days', 1, 365) : undefined;
  const growth = opts.growth !== undefined ? parseDecimal(String(opts.growth), '--growth', 1, 10, { exclusiveMin: true }) : undefined;
  const hours = opts.hours !== undefined ? parseHours(String(opts.hours)) : { from: 0, to: 24 };
  if (opts.mix !== undefined && opts.list !== undefined) throw new UsageError('give --mix or --list, not both');
  let mix: Mix = EXAMPLE_MIX;
  let list: ListMix | undefined;
  const sources: string[] = [];
  if (opts.mix !== undefined) mix = parseMix(String(opts.mix), providerByName);
  else if (opts.list !== undefined) {
    const path = String(opts.list);
    const text = path === '-' ? await ctx.readStdin('the recipient list', 'give a file: --list recipients.txt') : readInputFile(path, '--list').toString('utf8');
    const { addresses, bad } = parseRecipientList(text);
    if (addresses.length === 0) throw new UsageError(`--list ${path} has no recipient addresses${bad ? ` (${bad} line(s) were not addresses)` : ''}`);
    if (bad) ctx.notice(`mailpace-cli: --list: skipped ${bad} line(s) that are not addresses`);
    list = await mixFromList(ctx.deps().resolver, addresses);
    if (list.failed.length === list.domains) {
      throw new MailpaceError('DNS_FAILED', `--list: the MX lookup failed for every domain (${list.failed.slice(0, 3).join(', ')}${list.failed.length > 3 ? ', …' : ''})`, { temporary: true, hint: 'check --dns and the network, then run again' });
    }
    mix = Object.fromEntries(Object.entries(list.counts).map(([k, v]) => [k, v / list!.recipients]));
    sources.push(`mix: ${path === '-' ? 'stdin' : path}, ${list.recipients} recipients at ${list.domains} domains, by MX host`);
  } else sources.push('mix: an example mix (gmail 40%, microsoft 25%, yahoo 15%, other 20%); give --mix or --list for your own');
  const plan = buildPlan({ curve: curve as CurveName, target, ...(start !== undefined ? { start } : {}), ...(days !== undefined ? { days } : {}), ...(growth !== undefined ? { growth } : {}), mix, hours, sources });
  return { plan, ...(list ? { list } : {}) };
}

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  const format = outputFormat(ctx, opts);
  const { plan, list } = await planFromFlags(ctx, opts);
  const doc = planDocument(plan, list);
  if (opts.out !== undefined) {
    try {
      writeFileSync(String(opts.out), toJson(doc));
    } catch (e) {
      throw new UsageError(`cannot write --out ${opts.out}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`);
    }
  }
  if (format === 'json') ctx.out(toJson(doc));
  else if (format === 'csv') ctx.io.stdout.write(planCsv(plan));
  else ctx.out(planHuman(plan, ctx.color, list));
  return 0;
}
