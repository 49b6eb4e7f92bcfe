/** score: read messages → score them (Rspamd or the built-in lint) → render; exit 1 above --max-score. */
import { readFile } from 'node:fs/promises';
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { EXIT, exitCodeFor, parseFailOn } from '../../core/policy.js';
import type { Finding, Severity } from '../../core/types.js';
import { NO_HTTP, type HttpClient } from '../../core/http/http-client.js';
import { DEFAULT_ALLOWED_EXTENSIONS, parseExtensionList } from '../../core/score/attachment-extensions.js';
import { ENGINES, scoreMessages, type EngineChoice, type ScoreDeps, type ScoreInput, type ScoreOptions } from '../../core/score/engine.js';
import { validateEnvelopeFlags } from '../../core/score/envelope.js';
import { assertMessage } from '../../core/score/message.js';
import { DEFAULT_RSPAMD_URL } from '../../core/score/rspamd-client.js';
import { jsonDocument, toJson } from '../../render/json.js';
import { startSpinner } from '../../render/progress.js';
import { renderScore, renderSentEnvelope, scoreResultJson } from '../../render/score.js';
import { templateCase } from '../../core/ci/cases.js';
import { isReportFormat, outputFormat, writeReport } from '../report-format.js';

const FORMATS = ['human', 'json', 'junit', 'github'] as const;

export const DEFAULT_CONCURRENCY = 8;

async function readInput(ctx: CliContext, file: string): Promise<ScoreInput> {
  let raw: Buffer;
  try {
    raw = file === '-' ? await ctx.readStdinBytes('a message', 'give a file name instead of -') : await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new UsageError(`${file}: cannot read: ${why}`);
  }
  assertMessage(raw, file === '-' ? 'stdin' : file);
  return { file, raw };
}

function parseNumber(value: unknown, flag: string, opts: { integer?: boolean; min?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (String(value).trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n)) || (opts.min !== undefined && n < opts.min)) {
    throw new UsageError(`${flag} "${value}" must be ${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}`);
  }
  return n;
}

function rspamdUrl(value: string, from: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new UsageError(`${from} "${value}" is not a URL`, { hint: 'e.g. http://127.0.0.1:11333' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${from} "${value}" must be an http: or https: URL`);
  return value;
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const failOn = parseFailOn(opts.failOn);
  const format = outputFormat(ctx, opts.format, FORMATS);
  if (args.length === 0) throw new UsageError('no message given: mailpace-cli score <file.eml…> (or - for stdin; see --help)');
  if (args.filter((a) => a === '-').length > 1) throw new UsageError('stdin (-) can be given only once');
  const engine = (opts.engine ?? 'auto') as EngineChoice;
  if (!(ENGINES as readonly string[]).includes(engine)) throw new UsageError(`--engine "${engine}" must be one of: ${ENGINES.join(', ')}`);
  const maxScore = parseNumber(opts.maxScore, '--max-score');
  const concurrency = parseNumber(opts.concurrency, '--concurrency', { integer: true, min: 1 }) ?? DEFAULT_CONCURRENCY;
  const env = ctx.io.env;
  const url = opts.rspamd !== undefined ? rspamdUrl(opts.rspamd, '--rspamd') : env.MAILPACE_RSPAMD_URL ? rspamdUrl(env.MAILPACE_RSPAMD_URL, 'MAILPACE_RSPAMD_URL') : DEFAULT_RSPAMD_URL;
  const password: string | undefined = opts.rspamdPassword ?? (env.MAILPACE_RSPAMD_PASSWORD || undefined);
  const envelope = { ip: opts.ip, helo: opts.helo, hostname: opts.hostname, from: opts.from, rcpt: opts.rcpt ?? [], user: opts.user };
  validateEnvelopeFlags(envelope);
  const base = opts.attachmentAllowList !== undefined ? parseExtensionList([opts.attachmentAllowList]) : [...DEFAULT_ALLOWED_EXTENSIONS];
  const allowedExtensions = [...new Set([...base, ...parseExtensionList(opts.allowAttachment ?? [])])];
  if (opts.linkZone && !opts.checkLinks) throw new UsageError('--link-zone needs --check-links');

  const options: ScoreOptions = {
    engine,
    rspamd: { url, ...(password !== undefined ? { password } : {}), explicit: opts.rspamd !== undefined || !!env.MAILPACE_RSPAMD_URL },
    envelope,
    allSymbols: !!opts.allSymbols,
    lint: { bulk: !!opts.bulk, allowedExtensions },
    concurrency,
    checkLinks: !!opts.checkLinks,
  };

  // Every file is read and checked before any is scored: a typo in the 40th name fails fast (exit 2).
  const inputs: ScoreInput[] = [];
  for (const file of args) inputs.push(await readInput(ctx, file));

  // undici takes a third of a second to load: the built-in engine never needs it
  const http: HttpClient = engine === 'builtin' ? NO_HTTP : await ctx.httpClient({ connections: concurrency });
  const deps: ScoreDeps = { http, timeoutMs: ctx.timeoutMs };
  // DNS only when it can be used: the client's host name for Rspamd, blocklists for --check-links
  const dns = engine !== 'builtin' || options.checkLinks ? ctx.deps() : undefined;
  if (dns && engine !== 'builtin') deps.resolver = dns.resolver;
  if (options.checkLinks) {
    const { createLinkChecker } = await import('../../core/score/link-check.js');
    deps.linkChecker = createLinkChecker(dns!, { selection: { zones: opts.linkZone } });
  }
  const spinner = await startSpinner(ctx, `scoring ${inputs.length === 1 ? inputs[0]!.file : `${inputs.length} messages`}`);
  let run;
  try {
    run = await scoreMessages(inputs, options, deps, (_r, done) => {
      if (inputs.length > 1) spinner.update(`scored ${done}/${inputs.length}`);
    });
  } finally {
    spinner.stop();
    await http.close().catch(() => undefined);
  }
  if (run.notice) ctx.notice(run.notice);
  // --verbose: the envelope each message was actually scored under, as sent to Rspamd
  for (const r of run.results) {
    const sent = renderSentEnvelope(r);
    if (sent) ctx.debug(sent);
  }

  const exitCode = scoreExitCode(run.results.flatMap((r) => r.findings), failOn, maxScore !== undefined && run.results.some((r) => r.score > maxScore));
  if (isReportFormat(format)) {
    const notices = run.engine === 'builtin' && engine !== 'builtin' && run.notice ? [{ level: 'warning' as const, message: run.notice.replace(/^mailpace-cli: /, '') }] : [];
    writeReport(ctx, format, { command: 'score', suites: [{ name: 'score', cases: run.results.map((r) => templateCase(r, maxScore)), notices, properties: { engine: run.engine } }], failOn, exitCode });
  } else if (format === 'json') ctx.out(toJson(jsonDocument('score', { results: run.results.map(scoreResultJson) })));
  else ctx.out(renderScore(ctx.color, run.results, { ...(maxScore !== undefined ? { maxScore } : {}), all: !!ctx.opts.verbose }));
  return exitCode;
}

/** Lint findings decide, except that a score above --max-score fails a run that could complete. */
function scoreExitCode(findings: readonly Finding[], failOn: Severity, aboveMax: boolean): number {
  const findingsExit = exitCodeFor(findings, failOn);
  if (findingsExit === EXIT.INCOMPLETE) return findingsExit;
  return aboveMax ? EXIT.FINDINGS : findingsExit;
}
