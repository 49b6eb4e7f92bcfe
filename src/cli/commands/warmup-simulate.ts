/** warmup simulate: runs a plan through the delivery engine against modelled receivers on a fake clock. */
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { DEFAULT_MODEL, parseModel } from '../../core/warmup/model.js';
import { parsePlanDocument, type WarmupPlan } from '../../core/warmup/plan.js';
import { simulate } from '../../core/warmup/simulate.js';
import { toJson } from '../../render/json.js';
import { simulationCsv, simulationDocument, simulationHuman } from '../../render/warmup.js';
import { parseDecimal, readInputFile, wholeNumber } from '../flags.js';
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
  if (args[0] !== undefined) {
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
  const result = await simulate({ plan, model, seed, suggest: opts.suggest !== false });
  if (format === 'json') ctx.out(toJson(simulationDocument(result)));
  else if (format === 'csv') ctx.io.stdout.write(simulationCsv(result));
  else ctx.out(simulationHuman(result, ctx.color, { chart: !!opts.chart }));
  return result.verdict.ok ? 0 : 1;
}
