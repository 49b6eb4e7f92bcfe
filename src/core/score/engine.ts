/**
 * `score`'s engine: choose Rspamd or the built-in lint, then score every message — concurrently,
 * over the one HTTP connection pool in deps.http — and assemble each message's result.
 */
import type { Resolver } from '../dns/types.js';
import type { HttpClient } from '../http/http-client.js';
import type { Finding } from '../types.js';
import { sortFindings } from '../types.js';
import { envelopeHeaders, resolveEnvelope, type Envelope, type EnvelopeFlags } from './envelope.js';
import { fixFirst, type FixItem } from './fix-first.js';
import { builtinVerdict, lintMessage, type LintOptions } from './lint.js';
import { parseMessage } from './message.js';
import { RspamdClient } from './rspamd-client.js';
import { RspamdError } from './rspamd-error.js';
import { reverseDnsLookup, type ReverseDnsResult } from './reverse-dns.js';
import type { RspamdCheck, ScoreSymbol } from './rspamd-reply.js';
import { parseMimeStructure } from './mime-structure.js';

export const ENGINES = ['auto', 'rspamd', 'builtin'] as const;
export type EngineChoice = (typeof ENGINES)[number];
export type EngineName = Exclude<EngineChoice, 'auto'>;

export interface ScoreOptions {
  engine: EngineChoice;
  rspamd: {
    url: string;
    password?: string;
    /** The URL was asked for (--rspamd or MAILPACE_RSPAMD_URL): unreachable is then an error, not a fallback. */
    explicit: boolean;
  };
  envelope: EnvelopeFlags;
  /** Ask Rspamd for every symbol ("Pass: all"). */
  allSymbols: boolean;
  lint: LintOptions;
  /** Messages in flight at once (and the HTTP pool size). */
  concurrency: number;
  /** Look linked domains up in the domain blocklists. */
  checkLinks: boolean;
}

/** Looks linked hosts up in domain blocklists; returns findings (listed, or could not check). */
export type LinkChecker = (hosts: readonly string[]) => Promise<Finding[]>;

export interface ScoreDeps {
  http: HttpClient;
  timeoutMs: number;
  linkChecker?: LinkChecker;
  /** For the client's confirmed host name when an IP is known and no --hostname is given. */
  resolver?: Resolver;
}

export interface ScoreInput {
  /** File name as given ("-" for stdin). */
  file: string;
  raw: Uint8Array;
}

/** One envelope header as sent to Rspamd. */
export interface EnvelopeHeader {
  name: string;
  value: string;
}

/** The envelope a message was scored under, and what of it went to Rspamd. */
export interface SentEnvelope extends Envelope {
  /**
   * The envelope headers of the /checkv2 request, in the order sent (IP, Helo, Hostname, From, Rcpt…,
   * User); absent when the built-in engine scored the message (nothing was sent).
   */
  headers?: EnvelopeHeader[];
  /** The client IP's forward-confirmed reverse DNS, when it was looked up for the Hostname header. */
  reverseDns?: ReverseDnsResult;
}

export interface ScoreResult {
  file: string;
  engine: EngineName;
  score: number;
  requiredScore: number;
  action: string;
  symbols: ScoreSymbol[];
  findings: Finding[];
  fixFirst: FixItem[];
  envelope: SentEnvelope;
  messageId?: string;
  bytes: number;
}

export interface ChosenEngine {
  engine: EngineName;
  client?: RspamdClient;
  /** One line for stderr when auto fell back to the built-in lint. */
  notice?: string;
  /** Why auto fell back: what reaching Rspamd failed with. */
  fallbackReason?: string;
}

/**
 * auto: Rspamd when /ping answers, else the built-in lint with a notice. rspamd, or an explicit URL:
 * Rspamd or an RspamdError (exit 3). builtin: no network at all.
 */
export async function chooseEngine(opts: ScoreOptions, deps: ScoreDeps): Promise<ChosenEngine> {
  if (opts.engine === 'builtin') return { engine: 'builtin' };
  const client = new RspamdClient(deps.http, { url: opts.rspamd.url, password: opts.rspamd.password, timeoutMs: deps.timeoutMs });
  try {
    await client.ping();
    return { engine: 'rspamd', client };
  } catch (err) {
    if (opts.engine === 'rspamd' || opts.rspamd.explicit || !(err instanceof RspamdError)) throw err;
    const fallbackReason = err.message.replace(/^.*?: /, '');
    return {
      engine: 'builtin',
      fallbackReason,
      notice: `mailpace-cli: no Rspamd at ${opts.rspamd.url} (${fallbackReason}); using the built-in lint (--engine builtin to silence, --rspamd <url> to point at one)`,
    };
  }
}

export async function scoreMessage(input: ScoreInput, chosen: ChosenEngine, opts: ScoreOptions, deps: ScoreDeps): Promise<ScoreResult> {
  // The header section alone gives the envelope, so the request to Rspamd leaves first and the
  // MIME parse and lint (CPU here) run while Rspamd works on the message (CPU there).
  const structure = parseMimeStructure(input.raw);
  const { sources: _sources, ...resolved } = resolveEnvelope(structure.headers, opts.envelope);
  const envelope: SentEnvelope = resolved;
  let check: Promise<RspamdCheck> | undefined;
  if (chosen.engine === 'rspamd' && chosen.client) {
    const client = chosen.client;
    check = (async () => {
      // No host name given or recorded: do what the receiving MTA does, FCrDNS on the client IP. Only a
      // confirmed name becomes envelope.hostname; otherwise Rspamd gets no Hostname, as from its milter.
      if (envelope.ip && envelope.hostname === undefined && deps.resolver) {
        envelope.reverseDns = await reverseDnsLookup(deps.resolver, envelope.ip);
        if (envelope.reverseDns.status === 'confirmed') envelope.hostname = envelope.reverseDns.hostname;
      }
      // what the client puts on the request: RspamdClient.check sends envelopeHeaders(envelope)
      envelope.headers = envelopeHeaders(envelope).map(([name, value]) => ({ name, value }));
      return client.check(input.raw, envelope, { allSymbols: opts.allSymbols, ...(input.file !== '-' ? { filename: input.file } : {}) });
    })();
    // a rejection is awaited below; until then keep it from counting as unhandled
    check.catch(() => undefined);
  }
  const msg = await parseMessage(input.raw, structure);
  const lint = lintMessage(msg, opts.lint);
  const findings = [...lint.findings];
  if (opts.checkLinks && deps.linkChecker && lint.hosts.length > 0) findings.push(...(await deps.linkChecker(lint.hosts)));
  const base = {
    file: input.file,
    findings: sortFindings(findings),
    envelope,
    bytes: input.raw.length,
    ...(msg.email?.messageId ? { messageId: msg.email.messageId } : {}),
  };
  if (check) {
    const c = await check;
    return {
      ...base,
      engine: 'rspamd',
      score: c.score,
      requiredScore: c.requiredScore,
      action: c.action,
      symbols: c.symbols,
      fixFirst: fixFirst(c.symbols, findings),
    };
  }
  const verdict = builtinVerdict(findings);
  return { ...base, engine: 'builtin', ...verdict, fixFirst: fixFirst([], findings) };
}

/** Runs fn over items with at most `limit` in flight; results keep the input order; the first error wins. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.err;
  return results;
}

export interface ScoreRun {
  engine: EngineName;
  notice?: string;
  fallbackReason?: string;
  results: ScoreResult[];
}

export async function scoreMessages(
  inputs: readonly ScoreInput[],
  opts: ScoreOptions,
  deps: ScoreDeps,
  onResult?: (r: ScoreResult, done: number) => void,
): Promise<ScoreRun> {
  const chosen = await chooseEngine(opts, deps);
  let done = 0;
  const results = await mapLimit(inputs, opts.concurrency, async (input) => {
    const r = await scoreMessage(input, chosen, opts, deps);
    onResult?.(r, ++done);
    return r;
  });
  return { engine: chosen.engine, ...(chosen.notice ? { notice: chosen.notice, fallbackReason: chosen.fallbackReason } : {}), results };
}
