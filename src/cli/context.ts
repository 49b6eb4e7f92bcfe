/**
 * Composition root: the only place that turns flags and environment into real dependencies.
 */
import type { ChalkInstance } from 'chalk';
import { systemClock } from '../core/clock.js';
import type { Deps } from '../core/deps.js';
import { parseDuration } from '../core/duration.js';
import { defaultStorePath, type Store } from '../core/store/store.js';
import { parseStoreLocation } from '../core/store/location.js';
import type { HttpClient } from '../core/http/http-client.js';

/**
 * The DNS stack (sockets, node:dns, node:crypto), loaded before a command that resolves names runs
 * (see loadDnsStack): a command that only reads files (monitor) starts without it.
 */
let dns: typeof import('./dns-stack.js') | undefined;

export async function loadDnsStack(): Promise<void> {
  dns ??= await import('./dns-stack.js');
}

/** How long stdin may stay silent before a notice says the command is waiting for it. */
export const STDIN_QUIET_MS = 2000;

export interface GlobalOptions {
  json?: boolean;
  dns?: string[];
  timeout?: string;
  quiet?: boolean;
  verbose?: boolean;
  color?: boolean;
  store?: string;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_DNS_IN_FLIGHT = 64;

export interface Io {
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** chalk's constructor, once loadColour() has run: only a context that colours something needs it. */
let ChalkClass: (typeof import('chalk'))['Chalk'] | undefined;

/** Loads chalk, for a run where stdout or stderr is a terminal (colour is used nowhere else). */
export async function loadColour(): Promise<void> {
  ChalkClass ??= (await import('chalk')).Chalk;
}

/**
 * What chalk does at level 0, without loading it: any style, however chained, returns its
 * arguments as text (one argument as it is, several joined by spaces, as chalk joins them), and
 * `level` is 0.
 */
const NO_COLOUR = new Proxy(() => undefined, {
  apply: (_target, _this, args: unknown[]) => (args.length === 1 ? '' + args[0] : args.join(' ')),
  get: (_target, prop) => (prop === 'level' ? 0 : NO_COLOUR),
}) as unknown as ChalkInstance;

function colourAt(level: 0 | 2): ChalkInstance {
  if (level === 0) return NO_COLOUR;
  if (!ChalkClass) throw new Error('colour output needs loadColour() before the context is made');
  return new ChalkClass({ level });
}

export class CliContext {
  readonly timeoutMs: number;
  /** Colour for stdout output: only on a TTY, never with NO_COLOR or --no-color. */
  readonly color: ChalkInstance;
  /** Colour for stderr output. */
  readonly errColor: ChalkInstance;

  constructor(
    readonly opts: GlobalOptions,
    readonly io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
  ) {
    this.timeoutMs = opts.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(opts.timeout, '--timeout');
    const allowed = opts.color !== false && !('NO_COLOR' in io.env && io.env.NO_COLOR !== '') && !opts.json;
    this.color = colourAt(allowed && io.stdout.isTTY ? 2 : 0);
    this.errColor = colourAt(allowed && io.stderr.isTTY ? 2 : 0);
  }

  get json(): boolean {
    return !!this.opts.json;
  }

  /** Spinners and live views: stderr is a TTY, not --json, not --quiet. */
  get interactive(): boolean {
    return !!this.io.stderr.isTTY && !this.opts.json && !this.opts.quiet;
  }

  /**
   * The real dependencies: a socket resolver on --dns (else the system's servers), bounded, and
   * cached unless `cache: false` (a blocklist scan asks every name once; a cache would only hold
   * every answer until the end).
   */
  deps(opts: { maxInFlight?: number; cache?: boolean } = {}): Deps {
    if (!dns) throw new Error('the DNS stack is not loaded (loadDnsStack)');
    const { parseNameServer, systemNameServers, SocketResolver, LimitingResolver, CachingResolver } = dns;
    const servers = this.opts.dns && this.opts.dns.length > 0 ? this.opts.dns.map(parseNameServer) : systemNameServers();
    const base = new SocketResolver({ servers, timeoutMs: this.timeoutMs });
    const bounded = new LimitingResolver(base, opts.maxInFlight ?? DEFAULT_DNS_IN_FLIGHT);
    const resolver = opts.cache === false ? bounded : new CachingResolver(bounded);
    return { resolver, clock: systemClock, timeoutMs: this.timeoutMs };
  }

  /** The HTTP client (undici, pooled, `connections` sockets per origin); undici is loaded only here, on first use. */
  async httpClient(opts: { connections: number }): Promise<HttpClient> {
    const { UndiciHttpClient } = await import('../core/http/undici-http-client.js');
    return new UndiciHttpClient({ connections: opts.connections });
  }

  /**
   * Opens the store lazily: SQLite (or pg, for a postgres:// URL) is loaded only by commands that
   * keep state. `poolSize`: PostgreSQL connections (workers in one process share them).
   */
  async store(opts: { poolSize?: number } = {}): Promise<Store> {
    return this.openStore(this.opts.store ?? defaultStorePath(this.io.env), '--store', opts);
  }

  /** Opens the store at `value` (a path, sqlite://path, postgres://… or :memory:); `flag` names it in errors. */
  async openStore(value: string, flag: string, opts: { poolSize?: number; migrate?: boolean } = {}): Promise<Store> {
    const location = parseStoreLocation(value, flag);
    if (location.kind === 'memory') {
      const { MemoryStore } = await import('../core/store/memory-store.js');
      return new MemoryStore();
    }
    if (location.kind === 'postgres') {
      const { PostgresStore } = await import('../core/store/postgres-store.js');
      // The password: the URL's, else PGPASSWORD; with neither, pg looks in ~/.pgpass (PGPASSFILE).
      const password = location.password ?? this.io.env.PGPASSWORD;
      return PostgresStore.open(location.url, {
        display: location.display,
        ...(password !== undefined && password !== '' ? { password } : {}),
        connectTimeoutMs: Math.max(this.timeoutMs, 10_000),
        ...(opts.poolSize !== undefined ? { poolSize: opts.poolSize } : {}),
        ...(opts.migrate !== undefined ? { migrate: opts.migrate } : {}),
      });
    }
    const path = location.path;
    let sqlite: typeof import('../core/store/sqlite-store.js');
    try {
      sqlite = await import('../core/store/sqlite-store.js');
    } catch (e) {
      // The better-sqlite3 package itself is gone (a native binding that will not load fails later, in SqliteStore).
      if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes("'better-sqlite3'")) {
        const { MailpaceError } = await import('../core/errors.js');
        throw new MailpaceError('STORE_NATIVE_BINDING', 'cannot open the store: the better-sqlite3 package is not installed', {
          cause: e,
          hint: 'run `npm install` in the mailpace-cli directory, or reinstall it: `npm install -g --allow-scripts=better-sqlite3 mailpace-cli`',
        });
      }
      throw e;
    }
    return new sqlite.SqliteStore(path, opts.migrate === false ? { migrate: false } : {});
  }

  /**
   * All of stdin (for `-` arguments and piped lists). A pipe that stays open with nothing in it would
   * otherwise hang without a word: after STDIN_QUIET_MS a notice on stderr says what is awaited.
   */
  async readStdinBytes(what = 'input', instead = 'give it as arguments'): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      if (chunks.length === 0) this.notice(`mailpace-cli: waiting for ${what} on standard input; end it with Ctrl-D, or ${instead}`);
    }, STDIN_QUIET_MS);
    timer.unref();
    try {
      for await (const c of this.io.stdin ?? process.stdin) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
    } finally {
      clearTimeout(timer);
    }
    return Buffer.concat(chunks);
  }

  /** All of stdin as UTF-8 text. */
  async readStdin(what?: string, instead?: string): Promise<string> {
    return (await this.readStdinBytes(what, instead)).toString('utf8');
  }

  /** stdin is piped (not a terminal): a list may be waiting there. */
  get stdinPiped(): boolean {
    return !(this.io.stdin ?? process.stdin).isTTY;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A notice on stderr (suppressed by --quiet). */
  notice(text: string): void {
    if (!this.opts.quiet) this.io.stderr.write(`${text}\n`);
  }

  /** Verbose diagnostics on stderr. */
  debug(text: string): void {
    if (this.opts.verbose) this.io.stderr.write(`${this.errColor.dim(text)}\n`);
  }
}
