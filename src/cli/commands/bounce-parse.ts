/** bounce parse: read bounces, feedback-loop reports and auto-replies; with --apply, act on them. */
import { once } from 'node:events';
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { applyMessage, messageKey, type Applied } from '../../core/bounce/apply.js';
import { parseBounce } from '../../core/bounce/parse.js';
import { checkInputs, messageSources } from '../../core/bounce/sources.js';
import type { BounceMessage } from '../../core/bounce/types.js';
import type { Store } from '../../core/store/store.js';
import { count, CSV_HEADER, csvRows, emptySummary, humanMessage, humanSummary, messageJson } from '../../render/bounce.js';
import { csvRow } from '../../render/csv.js';
import { jsonDocument, toNdjsonLine } from '../../render/json.js';

export const FORMATS = ['human', 'json', 'ndjson', 'csv'] as const;
type Format = (typeof FORMATS)[number];

export function parseFormat(value: string | undefined, json: boolean): Format {
  if (value === undefined) return json ? 'json' : 'human';
  const f = value.trim().toLowerCase();
  if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format "${value}" is not one of ${FORMATS.join(', ')}`);
  if (json && f !== 'json') throw new UsageError(`--json and --format ${f} contradict each other (use one)`);
  return f as Format;
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const format = parseFormat(opts.format === undefined ? undefined : String(opts.format), ctx.json);
  await checkInputs(args);
  const stdout = ctx.io.stdout;
  const write = async (s: string) => {
    if (!stdout.write(s)) await once(stdout, 'drain');
  };
  const apply = opts.apply === true;
  const store: Store | undefined = apply ? await ctx.store() : undefined;
  const summary = emptySummary(apply);
  let first = true;
  try {
    if (format === 'json') await write(`${JSON.stringify(jsonDocument('bounce parse', {}), null, 2).slice(0, -2)},\n  "messages": [`);
    if (format === 'csv') await write(csvRow(CSV_HEADER));
    const sources = messageSources(args, { readStdin: () => ctx.readStdinBytes('a message or an mbox', 'give files or directories as arguments'), concurrency: 16 });
    for await (const src of sources) {
      const m: BounceMessage = src.error ? { file: src.file, messageId: '', kind: 'unreadable', format: '', results: [], error: src.error } : parseBounce(src.raw, src.file);
      let applied: Applied[] | undefined;
      if (store) applied = await applyMessage(store, m, messageKey(m, src.raw), Date.now());
      count(summary, m, applied);
      if (format === 'json') {
        const body = JSON.stringify(messageJson(m, applied), null, 2).replace(/\n/g, '\n    ');
        await write(`${first ? '\n' : ',\n'}    ${body}`);
      } else if (format === 'ndjson') await write(toNdjsonLine(messageJson(m, applied)));
      else if (format === 'csv') await write(csvRows(m, applied));
      else await write(`${humanMessage(m, ctx.color, applied)}\n`);
      first = false;
    }
    if (format === 'json') await write(`${first ? '' : '\n  '}],\n  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ')}\n}\n`);
    else if (format === 'human') await write(`${ctx.color.bold(humanSummary(summary))}\n`);
    else ctx.notice(humanSummary(summary));
  } finally {
    await store?.close();
  }
  return 0;
}
