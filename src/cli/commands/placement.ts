/**
 * placement: send one copy of a message to each seed mailbox through the delivery engine, then
 * watch the seeds over IMAP until every copy shows up (or --timeout): inbox or spam, time to inbox,
 * the receiver's Authentication-Results, spam headers and Received hops; the copies are deleted
 * afterwards unless --keep.
 */
import { hostname } from 'node:os';
import type { CliContext } from '../context.js';
import { NetworkError, UsageError } from '../../core/errors.js';
import { DEFAULT_DELIVERY_OPTIONS, type DeliveryOptions } from '../../core/delivery/engine.js';
import { parseAddress, parseBackoff, parseHelo, positiveDuration, readCaFile, readInputFile, readSecret, wholeNumber } from '../flags.js';
import { parseDuration } from '../../core/duration.js';
import { checkMessageFlags, parseRelayFlags, readMessageFlag } from '../message-flags.js';
import { parseSeeds, seedPasswords } from '../../core/placement/seeds.js';
import { placementExitCode, summarise } from '../../core/placement/placement.js';
import type { PlacementSetup } from '../placement-runner.js';
import { placementCsv, placementDocument, renderPlacement } from '../../render/placement.js';
import { toJson } from '../../render/json.js';

const DEFAULT_WATCH_MS = 10 * 60_000;
const DEFAULT_POLL_MS = 5_000;

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  // ---- everything that can be refused is checked before any connection (exit 2) ----
  if (opts.seeds === undefined) throw new UsageError('placement needs --seeds <seeds.json>');
  if (opts.from === undefined) throw new UsageError('--from is required (the envelope sender and, when composing, the From: header)');
  const from = parseAddress(String(opts.from), '--from', { allowNull: false });
  checkMessageFlags(opts);
  const format = String(opts.format ?? (ctx.json ? 'json' : 'human'));
  if (format !== 'human' && format !== 'json' && format !== 'csv') throw new UsageError(`--format "${format}" is not one of human, json, csv`);
  if (ctx.json && format === 'csv') throw new UsageError('--json and --format csv contradict each other');
  const json = ctx.json || format === 'json';
  // The global --timeout is how long to watch here (default 10m); network steps keep their own bound.
  const watchMs = opts.watchTimeout !== undefined ? parseDuration(String(opts.watchTimeout), '--timeout') : DEFAULT_WATCH_MS;
  const stepMs = opts.watchTimeout !== undefined ? Math.min(watchMs, 30_000) : ctx.timeoutMs;
  const pollMs = opts.poll !== undefined ? positiveDuration(String(opts.poll), '--poll') : DEFAULT_POLL_MS;
  const seedFile = String(opts.seeds);
  const seeds = parseSeeds(readInputFile(seedFile, '--seeds').toString('utf8'), seedFile);
  const fileSecret = readSecret({ file: opts.passwordFile, env: {}, envName: '', flag: '--password-file' });
  const passwords = seedPasswords(seeds, ctx.io.env, fileSecret);
  const caPem = opts.caFile !== undefined ? readCaFile(String(opts.caFile)) : undefined;

  const { relay, password: relayPassword } = parseRelayFlags(ctx, opts, { name: '--relay-password-file', value: opts.relayPasswordFile });
  const options: DeliveryOptions = {
    ...DEFAULT_DELIVERY_OPTIONS,
    ...(relay ? { relay } : {}),
    port: relay ? relay.port : opts.port !== undefined ? wholeNumber(String(opts.port), '--port', 1, 65535) : 25,
    tls: opts.tls === 'required' ? 'required' : 'opportunistic',
    separate: true,
  };
  if (opts.backoff !== undefined) {
    const b = parseBackoff(String(opts.backoff));
    options.policy = { ...options.policy, firstBackoffMs: b.firstMs, maxBackoffMs: b.maxMs };
  }
  const heloName = opts.helo !== undefined ? parseHelo(String(opts.helo)) : hostname();
  const keep = opts.keep === true;
  const every = opts.every !== undefined ? positiveDuration(String(opts.every), '--every') : undefined;
  if (opts.runs !== undefined && every === undefined) throw new UsageError('--runs counts the runs of --every; give --every too');
  const maxRuns = opts.runs !== undefined ? wholeNumber(String(opts.runs), '--runs', 1, 1_000_000) : every !== undefined ? Infinity : 1;
  const messageBytes = await readMessageFlag(ctx, opts);
  const setup: PlacementSetup = {
    seeds, passwords, from, stepMs, watchMs, pollMs, keep, heloName, options, opts,
    ...(caPem ? { caPem } : {}),
    ...(relayPassword !== undefined ? { relayPassword } : {}),
    ...(messageBytes ? { messageBytes } : {}),
  };

  // Ctrl-C (SIGINT) or SIGTERM: stop sending and watching, delete the copies that arrived, exit
  // 130 or 143 (128 + the signal number, as shells report it). A second Ctrl-C leaves at once.
  const controller = new AbortController();
  let stoppedBy: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (stoppedBy) process.exit(sig === 'SIGINT' ? 130 : 143);
    stoppedBy = sig;
    ctx.notice(`mailpace-cli: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}: cleaning up the seed mailboxes (Ctrl-C again to leave at once)`);
    controller.abort(new Error(sig));
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const deps = ctx.deps();
  const { placementRun } = await import('../placement-runner.js');
  let worst = 0;
  try {
    for (let n = 1; n <= maxRuns; n++) {
      let scheduled = every !== undefined ? deps.clock.now() + every : 0;
      let out;
      try {
        out = await placementRun(ctx, deps, setup, controller.signal, n === 1);
      } catch (err) {
        // On a schedule, one run that could not reach any seed does not end the watch.
        if (every === undefined || !(err instanceof NetworkError)) throw err;
        ctx.notice(`mailpace-cli: run ${n}: ${err.message}`);
        worst = 3;
        out = undefined;
      }
      if (out?.interrupted) {
        const deleted = out.results.filter((r) => r.cleanedUp).length + out.sweptUp;
        ctx.notice(`mailpace-cli: run ${n} stopped; ${deleted} test ${deleted === 1 ? 'copy' : 'copies'} deleted${out.unswept ? `, ${out.unswept} accepted but not arrived (left where they land)` : ''}; the run is not kept`);
        break;
      }
      if (out) {
        // the schedule counts from each run's own start
        if (every !== undefined) scheduled = out.startedAt + every;
        const code = placementExitCode(out.results);
        worst = Math.max(worst, code);
        const doc = placementDocument(out.messageId, out.results, summarise(out.results), { id: out.runId, number: n, startedAt: new Date(out.startedAt).toISOString(), finishedAt: new Date(out.finishedAt).toISOString() });
        // On a schedule, JSON is one document per run, one per line (NDJSON); CSV has one header.
        if (json) ctx.out(every !== undefined ? JSON.stringify(doc) : toJson(doc));
        else if (format === 'csv') ctx.io.stdout.write(placementCsv(doc, n === 1));
        else ctx.out(`${n > 1 ? '\n' : ''}${renderPlacement(ctx.color, doc)}`);
        if (every !== undefined) {
          const inbox = out.results.filter((r) => r.placement === 'inbox').length;
          ctx.notice(`mailpace-cli: run ${n}${Number.isFinite(maxRuns) ? ` of ${maxRuns}` : ''}: ${inbox} of ${out.results.length} in the inbox${n < maxRuns ? `; next run at ${new Date(Math.max(scheduled, deps.clock.now())).toISOString()}` : ''}`);
        }
      }
      if (n >= maxRuns || controller.signal.aborted) break;
      const wait = scheduled - deps.clock.now();
      if (wait > 0) await deps.clock.sleep(wait, controller.signal).catch(() => undefined);
      else ctx.notice(`mailpace-cli: run ${n} took longer than --every; the next one starts now`);
      if (controller.signal.aborted) break;
    }
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  if (stoppedBy) return stoppedBy === 'SIGINT' ? 130 : 143;
  return worst;
}
