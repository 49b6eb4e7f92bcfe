/** warmup simulate: runs a plan through the delivery engine against modelled receivers on a fake clock. */
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_MODEL, parseModel } from '../../core/warmup/model.js';
import { parsePlanDocument, type WarmupPlan } from '../../core/warmup/plan.js';
import { simulate } from '../../core/warmup/simulate.js';
import { toJson } from '../../render/json.js';
import { simulationCsv, simulationDocument, simulationHuman } from '../../render/warmup.js';
import { parseDecimal, parseVolume, readInputFile, wholeNumber } from '../flags.js';
import { hasPlanFlags, outputFormat, planFromFlags } from './warmup-plan.js';

function readJson(path: string, flag: string): unknown {
  const text = readInputFile(path, flag).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${flag} ${path} is not JSON: ${(e as Error).message.split('\n')[0]}`);
  }
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const format = outputFormat(ctx, opts);
  let plan: WarmupPlan;
  const flat = opts.volume !== undefined;
  if (flat) {
    if (args[0] !== undefined || ['target', 'start', 'curve', 'growth'].some((k) => opts[k] !== undefined)) throw new UsageError('--volume simulates a flat daily volume: leave out the plan file, --target, --curve, --start and --growth');
    const volume = parseVolume(String(opts.volume), '--volume', { perDay: true });
    const days = opts.days !== undefined ? wholeNumber(String(opts.days), '--days', 1, 365) : 30;
    const one = (await planFromFlags(ctx, { ...opts, days: undefined, target: String(volume), start: String(volume) })).plan;
    plan = { ...one, days: Array.from({ length: days }, (_, i) => ({ ...one.days[0]!, day: i + 1 })), sources: [...one.sources, `flat: ${volume}/day for ${days} days (--volume)`] };
  } else if (args[0] !== undefined) {
    if (hasPlanFlags(opts)) throw new UsageError('give a plan file or the plan flags (--target …), not both');
    plan = parsePlanDocument(readJson(args[0], 'plan'), args[0]);
  } else {
    if (!hasPlanFlags(opts)) throw new UsageError('give a plan file (from warmup plan --out) or the plan flags, e.g. --target 50000/day');
    plan = (await planFromFlags(ctx, opts)).plan;
  }
  let model = opts.model !== undefined ? parseModel(readJson(String(opts.model), '--model')) : structuredClone(DEFAULT_MODEL);
  if (opts.bounceRate !== undefined) model = { ...model, bounceRate: parseDecimal(String(opts.bounceRate), '--bounce-rate', 0, 1, { percent: true }) };
  if (opts.complaintRate !== undefined) model = { ...model, complaintRate: parseDecimal(String(opts.complaintRate), '--complaint-rate', 0, 1, { percent: true }) };
  const seed = wholeNumber(String(opts.seed ?? '1'), '--seed', 0, 4294967295);
  const result = await simulate({ plan, model, seed, suggest: opts.suggest !== false, flat });
  if (format === 'json') ctx.out(toJson(simulationDocument(result)));
  else if (format === 'csv') ctx.io.stdout.write(simulationCsv(result));
  else {
    // On a colour terminal the chart is an ink view; in a pipe or file, the plain text chart.
    let inkChart: string | undefined;
    if (opts.chart && ctx.color.level > 0) {
      const { renderWarmupChart } = await import('../../render/warmup-chart.js');
      inkChart = renderWarmupChart(result, (ctx.io.stdout as { columns?: number }).columns ?? 100);
    }
    ctx.out(simulationHuman(result, ctx.color, { chart: !!opts.chart, ...(inkChart !== undefined ? { inkChart } : {}) }));
  }
  return result.verdict.ok ? 0 : 1;
}
