/**
 * One SMTP client session as a promise-based object, on nodemailer's lib/smtp-connection.
 *
 * We open the TCP connection ourselves (to an address the caller resolved through the Resolver:
 * this layer never touches node:dns) and hand the connected socket to nodemailer, which runs the
 * greeting, EHLO (HELO fallback), STARTTLS (RFC 3207) and the post-TLS EHLO. nodemailer's
 * transaction log is our transcript; it is also how we see the banner and EHLO replies.
 *
 * After open(): login() (nodemailer's SASL code), then command() for single commands (MAIL, RCPT,
 * RSET, NOOP, VRFY …: used by probe, which must never send DATA), pipeline() and dataBody() for
 * the `send` command, quit() and close().
 *
 * From the first command after the handshake on, the session reads the replies itself (see
 * takeOver()): a `send` to thousands of recipients runs every transaction through here, and
 * nodemailer hands out one reply per turn of the event loop, which a pipelined group of four
 * replies pays four times. nodemailer keeps the socket's error, end and timeout handling.
 */
import net from 'node:net';
import { ipFamily } from '../net/ip-address.js';
import { TLSSocket, type ConnectionOptions, type SecureContext, type SecureVersion } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import type { Clock } from '../clock.js';
import { hasExtension, parseEhlo, type EhloInfo } from './ehlo.js';
import { tryParseReply, type SmtpReply } from './reply.js';
import { fromNodemailerError, printable, SmtpSessionError, type NodemailerErrorLike, type SmtpPhase } from './smtp-error.js';
import { tlsSessionInfo, type TlsSessionInfo } from './tls-session.js';
import { Transcript, type TranscriptEntry } from './transcript.js';
import { dotStuff } from './dot-stuff.js';

export type StartTlsMode = 'never' | 'opportunistic' | 'require';

export interface SmtpTimeouts {
  /** TCP connect. */
  connectMs: number;
  /** From connected to the 220 greeting (RFC 5321 §4.5.3.2.1 suggests 5 minutes for MTAs; probes use less). */
  greetingMs: number;
  /** Inactivity while waiting for any reply, and the TLS handshake. */
  commandMs: number;
}

export interface SmtpTlsOptions {
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL cipher string. "DEFAULT@SECLEVEL=0" is needed to offer TLS 1.0/1.1 at all with OpenSSL 3. */
  ciphers?: string;
  /** Trust anchors (PEM). Unset: Node's default store (bundled roots plus NODE_EXTRA_CA_CERTS). */
  ca?: string | Buffer | (string | Buffer)[];
  /**
   * A prebuilt context (tls.createSecureContext) instead of ca/ciphers/versions: building one with
   * a full root list costs ~70 ms of CPU, so callers that open many sessions build it once.
   */
  secureContext?: SecureContext;
  /**
   * Default false: the session records whether the chain verified (TlsSessionInfo.authorized, the
   * chain only, no name check) instead of failing on it. true: Node's full check, names included.
   */
  rejectUnauthorized?: boolean;
}

export interface SmtpSessionOptions {
  /** IP address to connect to (IPv4 or IPv6 literal). */
  address: string;
  port: number;
  /** The server's host name: SNI and the label in messages. Defaults to the address. */
  serverName?: string;
  /** Our EHLO/HELO name (RFC 5321 §4.1.1.1: the client's FQDN or an address literal). */
  heloName: string;
  startTls: StartTlsMode;
  /** TLS from the first byte (submissions on port 465, RFC 8314 §3.3) instead of STARTTLS. */
  implicitTls?: boolean;
  tls?: SmtpTlsOptions;
  timeouts: SmtpTimeouts;
  clock: Clock;
  signal?: AbortSignal;
  localAddress?: string;
  /** Every transcript entry as it happens (for --verbose). */
  onTranscript?: (e: TranscriptEntry) => void;
}

export interface SmtpSessionTimings {
  /** TCP connect. */
  connectMs: number;
  /** From connected to the end of the greeting. */
  bannerMs: number;
  /** The first EHLO (or HELO) round trip. */
  ehloMs?: number;
  /** STARTTLS command plus the TLS handshake. */
  startTlsMs?: number;
  /** From starting to connect until the session was ready for commands. */
  readyMs: number;
}

interface Exchange {
  command: string;
  reply?: string;
  sentAt: number;
  repliedAt?: number;
}

type Pending = { resolve: (r: SmtpReply) => void; reject: (e: Error) => void; command: string };

/** The nodemailer internals the session relies on once it reads replies itself. */
interface ConnectionInternals {
  _socket: net.Socket | false | null;
  /** Its 'data' listener on the socket (removed when the session takes the replies over). */
  _onSocketData?: (chunk: Buffer) => void;
  /** Bytes after the last line break it has seen. */
  _remainder?: string;
}

/** nodemailer's own bound on a reply (MAX_RESPONSE_SIZE): a peer that never ends one is cut off. */
const MAX_REPLY_BYTES = 1024 * 1024;

/** Reads replies off the socket after the handshake: lines from Buffers, one callback per reply. */
interface DirectReader {
  socket: net.Socket;
  /** Bytes of a line not yet ended by LF. */
  rest?: Buffer;
  /** Lines of a multi-line reply still in progress. */
  lines: string[];
  size: number;
  waiters: ((raw: string) => void)[];
}

/** "250-…": more lines of the same reply follow (nodemailer's test: digits, then "-"). */
function isContinuation(line: string): boolean {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  return i > 0 && line.charCodeAt(i) === 45;
}

/**
 * One reply line as text: ASCII as is; other bytes as UTF-8 when they are valid UTF-8 (RFC 6531
 * servers), else byte for byte (RFC 5321 §4.2 defines no charset), as nodemailer decodes them.
 */
function decodeLine(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      const utf8 = buf.toString('utf8', start, end);
      return utf8.includes('\uFFFD') ? buf.toString('latin1', start, end) : utf8;
    }
  }
  return buf.toString('latin1', start, end);
}

function isDnsName(s: string): boolean {
  return ipFamily(s) === 0 && /[a-z]/i.test(s);
}

function commandVerb(line: string): string {
  return line.trim().split(/[\s:]/)[0]!.toUpperCase();
}

function assertLine(s: string, what: string): void {
  // RFC 5321 §2.3.8: CR and LF only ever appear together as the line end we add.
  if (/[\r\n]/.test(s)) throw new SmtpSessionError('SMTP_PROTOCOL_ERROR', `${what} contains a line break`, { phase: 'command' });
}

export class SmtpSession {
  readonly transcript: Transcript;
  banner!: SmtpReply;
  /** The EHLO reply the session continued with (after STARTTLS when TLS is up). */
  ehlo?: EhloInfo;
  /** The EHLO reply before STARTTLS (equal to ehlo when there was no STARTTLS). */
  ehloPlain?: EhloInfo;
  /** EHLO was refused and HELO used instead (RFC 5321 §4.1.4). */
  usedHelo = false;
  /** The server announced STARTTLS in its plaintext EHLO. */
  startTlsOffered = false;
  /** The reply to STARTTLS when the server refused it (opportunistic mode goes on in plaintext). */
  startTlsRefusal?: SmtpReply;
  tls?: TlsSessionInfo;
  timings!: SmtpSessionTimings;
  readonly label: string;

  private readonly conn: SMTPConnection;
  private readonly exchanges: Exchange[] = [];
  private pending?: Pending;
  private failure?: SmtpSessionError;
  private phase: SmtpPhase = 'connect';
  private closed = false;
  private replies = 0;
  private direct?: DirectReader;
  /** Set while the handshake runs: fails it, and marks exchanges worth recording. */
  private handshakeReject?: (err: Error) => void;
  private readonly startedAt: number;

  private constructor(
    private readonly opts: SmtpSessionOptions,
    socket: net.Socket,
    startedAt: number,
    transcript: Transcript,
  ) {
    this.startedAt = startedAt;
    this.transcript = transcript;
    this.label = endpointLabel(opts);
    const logger = {
      // nodemailer logs every reply as {tnx: 'server'} and every command as {tnx: 'client'}
      // (transactionLog); the message argument is the raw line, never a format to expand.
      debug: (entry: { tnx?: string } | undefined, message: unknown) => {
        if (typeof message !== 'string') return;
        if (entry?.tnx === 'server') this.onServer(message);
        else if (entry?.tnx === 'client') this.onClient(message);
      },
      info: () => undefined,
      warn: (_e: unknown, message: unknown) => {
        if (typeof message === 'string' && /discarded/i.test(message)) this.transcript.event(message);
      },
      error: () => undefined,
      trace: () => undefined,
      fatal: () => undefined,
    };
    const rejectUnauthorized = opts.tls?.rejectUnauthorized ?? false;
    const tlsOpts: ConnectionOptions = { rejectUnauthorized };
    // Node folds the host name check into `authorized`; when we only record (not enforce), keep
    // `authorized` about the chain alone — callers check names themselves (RFC 6125 rules differ
    // by protocol: MTA-STS and DANE-EE treat names differently).
    if (!rejectUnauthorized) tlsOpts.checkServerIdentity = () => undefined;
    if (opts.tls?.minVersion) tlsOpts.minVersion = opts.tls.minVersion;
    if (opts.tls?.maxVersion) tlsOpts.maxVersion = opts.tls.maxVersion;
    if (opts.tls?.ciphers) tlsOpts.ciphers = opts.tls.ciphers;
    if (opts.tls?.ca) tlsOpts.ca = opts.tls.ca;
    if (opts.tls?.secureContext) tlsOpts.secureContext = opts.tls.secureContext;
    const serverName = opts.serverName && isDnsName(opts.serverName) ? opts.serverName.replace(/\.$/, '') : undefined;
    this.conn = new SMTPConnection({
      connection: socket,
      host: serverName ?? opts.address,
      servername: serverName,
      port: opts.port,
      name: opts.heloName,
      secure: !!opts.implicitTls,
      ignoreTLS: opts.startTls === 'never',
      requireTLS: opts.startTls === 'require',
      opportunisticTLS: opts.startTls === 'opportunistic',
      tls: tlsOpts,
      greetingTimeout: opts.timeouts.greetingMs,
      socketTimeout: opts.timeouts.commandMs,
      // covers greeting, EHLO, STARTTLS and the handshake (nodemailer's setup deadline)
      connectionTimeout: opts.timeouts.greetingMs + 3 * opts.timeouts.commandMs,
      socketCloseTimeout: 500,
      logger,
      transactionLog: true,
    });
    this.conn.on('error', (err: NodemailerErrorLike) => this.onError(err));
    this.conn.on('end', () => this.onEnd());
  }

  /** Connects, reads the greeting, says EHLO and (per startTls) upgrades to TLS. */
  static async open(opts: SmtpSessionOptions): Promise<SmtpSession> {
    const clock = opts.clock;
    const startedAt = clock.now();
    const transcript = new Transcript(() => clock.now(), startedAt, opts.onTranscript);
    if (ipFamily(opts.address) === 0) {
      throw new SmtpSessionError('SMTP_CONNECT_FAILED', `"${opts.address}" is not an IP address (resolve names before connecting)`, { phase: 'connect' });
    }
    assertLine(opts.heloName, 'the EHLO name');
    transcript.event(`connecting to ${opts.address} port ${opts.port}`);
    const socket = await connectTcp(opts);
    const connectMs = clock.now() - startedAt;
    transcript.event(`connected (${socket.localAddress}:${socket.localPort} → ${socket.remoteAddress}:${socket.remotePort})`);
    const session = new SmtpSession(opts, socket, startedAt, transcript);
    session.phase = 'greeting';
    try {
      await session.handshake();
    } catch (err) {
      session.close();
      if (err instanceof SmtpSessionError) err.transcript = [...transcript.entries];
      throw err;
    }
    session.describe(connectMs);
    return session;
  }

  private handshake(): Promise<void> {
    const { signal } = this.opts;
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const finish = (err?: Error) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        this.handshakeReject = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onAbort = () => finish(new SmtpSessionError('SMTP_ABORTED', `${this.label}: cancelled`, { phase: this.phase }));
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.handshakeReject = finish;
      this.conn.connect((err?: NodemailerErrorLike) => {
        if (err) return finish(this.toError(err));
        this.phase = 'command';
        finish();
      });
    });
  }

  /** Reads banner, EHLO and TLS state out of the exchanges seen during the handshake. */
  private describe(connectMs: number): void {
    const greeting = this.exchanges.find((x) => x.command === '');
    this.banner = tryParseReply(greeting?.reply ?? '') ?? { code: 0, lines: [], text: greeting?.reply ?? '' };
    const bannerAt = greeting?.repliedAt ?? this.startedAt;
    const ehlos = this.exchanges.filter((x) => /^(EHLO|HELO)\b/i.test(x.command) && x.reply !== undefined);
    const okEhlos = ehlos.filter((x) => x.reply!.startsWith('2'));
    this.usedHelo = okEhlos.some((x) => /^HELO\b/i.test(x.command));
    const first = okEhlos[0];
    const last = okEhlos[okEhlos.length - 1];
    if (first) this.ehloPlain = parseEhlo(tryParseReply(first.reply!) ?? { lines: [] });
    if (last) this.ehlo = parseEhlo(tryParseReply(last.reply!) ?? { lines: [] });
    this.startTlsOffered = !!this.ehloPlain?.extensions.some((e) => e.keyword === 'STARTTLS');
    const starttls = this.exchanges.find((x) => /^STARTTLS$/i.test(x.command));
    if (starttls?.reply && !starttls.reply.startsWith('2')) this.startTlsRefusal = tryParseReply(starttls.reply);
    const socket = (this.conn as unknown as ConnectionInternals)._socket;
    if (socket instanceof TLSSocket) this.tls = tlsSessionInfo(socket);
    const now = this.opts.clock.now();
    const timings: SmtpSessionTimings = { connectMs, bannerMs: bannerAt - this.startedAt - connectMs, readyMs: now - this.startedAt };
    const firstEhlo = ehlos[0];
    if (firstEhlo?.repliedAt !== undefined) timings.ehloMs = firstEhlo.repliedAt - firstEhlo.sentAt;
    if (starttls && this.tls) {
      // the handshake ends when nodemailer sends the post-TLS EHLO
      const after = this.exchanges.find((x) => x.sentAt >= starttls.sentAt && /^(EHLO|HELO)\b/i.test(x.command) && x !== firstEhlo);
      timings.startTlsMs = (after?.sentAt ?? now) - starttls.sentAt;
    }
    this.timings = timings;
  }

  private onClient(line: string): void {
    this.transcript.client(line);
    // only the handshake's exchanges are kept: a long `send` session must not grow this list
    if (!this.handshakeReject) return;
    const verb = commandVerb(line);
    if (verb === 'EHLO' || verb === 'HELO') this.phase = 'ehlo';
    else if (verb === 'STARTTLS') this.phase = 'starttls';
    this.exchanges.push({ command: line, sentAt: this.opts.clock.now() });
  }

  private onServer(reply: string): void {
    this.replies++;
    this.transcript.server(reply);
    if (!this.handshakeReject) return;
    const now = this.opts.clock.now();
    if (this.exchanges.length > 0 && tryParseReply(reply) === undefined) {
      // Garbage after a valid greeting: nodemailer would take it for a refusal and try HELO,
      // then wait for a reply that never comes. Call it what it is, now.
      const e = new SmtpSessionError('SMTP_PROTOCOL_ERROR', `${this.label}: the reply to ${commandVerb(this.exchanges[this.exchanges.length - 1]!.command) || 'the greeting'} is not an SMTP reply: ${printable(reply.slice(0, 120))}`, {
        phase: this.phase,
        response: reply,
      });
      e.transcript = [...this.transcript.entries];
      this.handshakeReject(e);
      this.close();
      return;
    }
    // the first reply is the greeting, which answers no command
    if (this.exchanges.length === 0) this.exchanges.push({ command: '', sentAt: this.startedAt });
    const open = this.exchanges.find((x) => x.reply === undefined);
    if (open) {
      open.reply = reply;
      open.repliedAt = now;
      if (/^STARTTLS$/i.test(open.command) && reply.startsWith('2')) this.phase = 'tls-handshake';
    }
  }

  private toError(err: NodemailerErrorLike): SmtpSessionError {
    const e = fromNodemailerError(err, this.phase, this.label);
    e.transcript = [...this.transcript.entries];
    return e;
  }

  private onError(err: NodemailerErrorLike): void {
    const e = this.toError(err);
    this.transcript.event(`error: ${e.message}`);
    if (this.handshakeReject) return this.handshakeReject(e);
    this.failure ??= e;
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
  }

  private onEnd(): void {
    this.closed = true;
    const p = this.pending;
    this.pending = undefined;
    const e = this.failure ?? new SmtpSessionError('SMTP_CONNECTION_CLOSED', `${this.label}: the server closed the connection`, { phase: this.phase });
    if (this.handshakeReject) return this.handshakeReject(e);
    p?.reject(e);
  }

  /**
   * From here on the session reads replies itself: nodemailer's 'data' listener comes off the
   * socket (after STARTTLS the TLS socket), whatever it had buffered carries over. Undefined when
   * the connection is gone or nodemailer's internals are not what this relies on.
   */
  private takeOver(): DirectReader | undefined {
    if (this.direct) return this.direct;
    const internals = this.conn as unknown as ConnectionInternals;
    const socket = internals._socket;
    if (!socket || typeof internals._onSocketData !== 'function') return undefined;
    socket.removeListener('data', internals._onSocketData);
    const d: DirectReader = { socket, lines: [], size: 0, waiters: [] };
    if (internals._remainder) d.rest = Buffer.from(internals._remainder, 'latin1');
    internals._remainder = '';
    this.direct = d;
    socket.on('data', (chunk: Buffer) => this.onDirectData(d, chunk));
    return d;
  }

  private onDirectData(d: DirectReader, chunk: Buffer): void {
    if (this.closed) return;
    const buf = d.rest ? Buffer.concat([d.rest, chunk]) : chunk;
    d.rest = undefined;
    let start = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
      const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = decodeLine(buf, start, end);
      start = nl + 1;
      // a stray empty line answers nothing (nodemailer skips them too)
      if (d.lines.length === 0 && line.trim() === '') continue;
      d.lines.push(line);
      d.size += line.length;
      if (isContinuation(line)) {
        if (d.size > MAX_REPLY_BYTES) return this.directFailure(d, 'the reply exceeds 1 MB');
        continue;
      }
      const raw = d.lines.length === 1 ? line : d.lines.join('\n');
      d.lines = [];
      d.size = 0;
      this.onDirectReply(d, raw);
      if (this.closed) return;
    }
    if (start < buf.length) {
      if (buf.length - start + d.size > MAX_REPLY_BYTES) return this.directFailure(d, 'the reply exceeds 1 MB');
      // a copy: the chunk's memory is not kept alive by a few bytes of it
      d.rest = Buffer.from(buf.subarray(start));
    }
  }

  private onDirectReply(d: DirectReader, raw: string): void {
    this.replies++;
    this.transcript.server(raw);
    const waiter = d.waiters.shift();
    if (waiter) waiter(raw);
    else if (!/^421[ -]/.test(raw)) return this.directFailure(d, `a reply to no command: ${printable(raw.slice(0, 120))}`);
    // RFC 5321 §3.8: 421 means the server is closing the channel, whatever it answered (and a
    // 421 to no command ends an idle session)
    if (/^421[ -]/.test(raw)) {
      if (!waiter) this.transcript.event('the server closed the idle connection');
      this.close();
    }
  }

  private directFailure(d: DirectReader, what: string): void {
    const e = new SmtpSessionError('SMTP_PROTOCOL_ERROR', `${this.label}: ${what}`, { phase: this.phase });
    this.failure ??= e;
    d.waiters = [];
    const p = this.pending;
    this.pending = undefined;
    p?.reject(e);
    this.close();
  }

  /** The socket to write to once replies are read here, or the reason there is none. */
  private writable(what: string, phase: SmtpPhase): { d: DirectReader } | { error: Error } {
    if (this.failure) return { error: this.failure };
    if (this.closed) return { error: new SmtpSessionError('SMTP_CONNECTION_CLOSED', `${this.label}: the session is closed`, { phase }) };
    if (this.pending) return { error: new Error(`SmtpSession.${what}: one command at a time`) };
    const d = this.takeOver();
    if (!d) {
      const internals = this.conn as unknown as ConnectionInternals;
      if (internals._socket && typeof internals._onSocketData !== 'function') return { error: new Error("nodemailer smtp-connection internals changed: the socket's data listener is missing") };
      return { error: new SmtpSessionError('SMTP_CONNECTION_CLOSED', `${this.label}: the session is closed`, { phase }) };
    }
    return { d };
  }

  /**
   * Sends one command line and resolves with the reply, whatever its code (4xx and 5xx are
   * results here, not errors). Rejects on transport failures, timeouts and unparseable replies.
   */
  command(line: string): Promise<SmtpReply> {
    assertLine(line, 'an SMTP command');
    const verb = commandVerb(line);
    const w = this.writable('command', 'command');
    if ('error' in w) return Promise.reject(w.error);
    this.phase = verb === 'QUIT' ? 'quit' : 'command';
    return new Promise<SmtpReply>((resolve, reject) => {
      this.pending = { resolve, reject, command: verb };
      w.d.waiters.push((str: string) => {
        const p = this.pending;
        this.pending = undefined;
        if (!p) return;
        const reply = tryParseReply(str);
        if (!reply) return this.notAReply(p, verb, `the reply to ${verb}`, 'command', str);
        p.resolve(reply);
      });
      this.transcript.client(line);
      w.d.socket.write(`${line}\r\n`);
    });
  }

  /** Replies received so far (greeting included). */
  get replyCount(): number {
    return this.replies;
  }

  /** The server announced PIPELINING (RFC 2920) in the EHLO reply the session continued with. */
  get pipelining(): boolean {
    return hasExtension(this.ehlo, 'PIPELINING');
  }

  /**
   * Several commands in one write, the replies in order (RFC 2920 §3.1: RSET, MAIL and RCPT may
   * be grouped, and DATA may end a group). Only when the server announced PIPELINING. Rejects
   * like command().
   */
  pipeline(lines: readonly string[]): Promise<SmtpReply[]> {
    for (const l of lines) assertLine(l, 'an SMTP command');
    const w = this.writable('pipeline', 'command');
    if ('error' in w) return Promise.reject(w.error);
    this.phase = 'command';
    return new Promise<SmtpReply[]>((resolve, reject) => {
      const replies: SmtpReply[] = [];
      // A server may answer part of the group and then close (421 to one RCPT): the replies that
      // did arrive travel with the error as `partialReplies`.
      const fail = (e: Error) => reject(Object.assign(e, { partialReplies: [...replies] }));
      this.pending = { resolve: () => undefined, reject: fail, command: commandVerb(lines[0] ?? '') };
      this.awaitReplies(w.d, lines, replies, resolve);
      for (const line of lines) this.transcript.client(line);
      w.d.socket.write(`${lines.join('\r\n')}\r\n`);
    });
  }

  /** Collects the replies to `lines` (already pending) into `replies`; `done` when the last is in. */
  private awaitReplies(d: DirectReader, lines: readonly string[], replies: SmtpReply[], done: (replies: SmtpReply[]) => void): void {
    lines.forEach((line, i) => {
      const verb = commandVerb(line);
      d.waiters.push((str: string) => {
        const p = this.pending;
        if (!p) return;
        const reply = tryParseReply(str);
        if (!reply) {
          this.pending = undefined;
          return this.notAReply(p, verb, `the reply to ${verb}`, 'command', str);
        }
        replies.push(reply);
        if (i === lines.length - 1) {
          this.pending = undefined;
          done(replies);
        }
      });
    });
  }

  /** Something that is not an SMTP reply where one was due: the session is over. */
  private notAReply(p: Pending, verb: string, what: string, phase: SmtpPhase, str: string): void {
    const e = new SmtpSessionError('SMTP_PROTOCOL_ERROR', `${this.label}: ${what} is not an SMTP reply: ${JSON.stringify(str.slice(0, 120))}`, { phase, command: verb, response: str });
    this.failure ??= e;
    p.reject(e);
    this.close();
  }

  /** MAIL FROM:<addr> (RFC 5321 §4.1.1.2); "" is the null reverse-path. */
  mailFrom(address: string, params = ''): Promise<SmtpReply> {
    assertLine(address, 'the sender address');
    return this.command(`MAIL FROM:<${address}>${params ? ` ${params}` : ''}`);
  }

  /** RCPT TO:<addr> (RFC 5321 §4.1.1.3). */
  rcptTo(address: string, params = ''): Promise<SmtpReply> {
    assertLine(address, 'the recipient address');
    return this.command(`RCPT TO:<${address}>${params ? ` ${params}` : ''}`);
  }

  /**
   * DATA (RFC 5321 §4.1.1.4): resolves with the reply to DATA when it is not 354, else sends the
   * message — CRLF line ends, dot-stuffed (§4.5.2), ended by CRLF "." CRLF — and resolves with the
   * reply to the end of data.
   */
  async data(message: Uint8Array): Promise<SmtpReply> {
    const go = await this.command('DATA');
    if (go.code !== 354) return go;
    return this.dataBody(message);
  }

  /** The message after a 354 reply to DATA (sent alone or pipelined): dot-stuffed, then the end-of-data reply. */
  dataBody(message: Uint8Array): Promise<SmtpReply> {
    const w = this.writable('dataBody', 'data');
    if ('error' in w) return Promise.reject(w.error);
    this.phase = 'data';
    return new Promise<SmtpReply>((resolve, reject) => {
      this.pending = { resolve, reject, command: 'DATA' };
      w.d.waiters.push((str: string) => {
        const p = this.pending;
        this.pending = undefined;
        this.phase = 'command';
        if (!p) return;
        const reply = tryParseReply(str);
        if (!reply) return this.notAReply(p, 'DATA', 'the reply to the message', 'data', str);
        p.resolve(reply);
      });
      this.transcript.client(`(message, ${message.length} bytes)`);
      // one write of the whole stuffed message, built once per message (dotStuff caches it)
      w.d.socket.write(dotStuff(message));
    });
  }

  /**
   * The message after a 354, and in the same write the next transaction's commands (RFC 2920
   * §3.1: the content of a message may start a group; RFC 5321 §4.1.1.4: the end of data ends the
   * transaction, accepted or refused, so the next MAIL needs no RSET before it). `end` is the reply to the message; `next` the replies to `lines`, in
   * order. When the session fails, `end` rejects if it was not answered yet, and `next` rejects
   * with the replies that did arrive as `partialReplies`.
   */
  dataBodyThen(message: Uint8Array, lines: readonly string[]): { end: Promise<SmtpReply>; next: Promise<SmtpReply[]> } {
    for (const l of lines) assertLine(l, 'an SMTP command');
    const w = this.writable('dataBodyThen', 'data');
    if ('error' in w) return { end: Promise.reject(w.error), next: Promise.reject(Object.assign(w.error, { partialReplies: [] })) };
    this.phase = 'data';
    let endResolve!: (r: SmtpReply) => void;
    let endReject!: (e: Error) => void;
    let nextResolve!: (r: SmtpReply[]) => void;
    let nextReject!: (e: Error) => void;
    const end = new Promise<SmtpReply>((res, rej) => ((endResolve = res), (endReject = rej)));
    const next = new Promise<SmtpReply[]>((res, rej) => ((nextResolve = res), (nextReject = rej)));
    const replies: SmtpReply[] = [];
    let ended = false;
    const fail = (e: Error) => {
      if (!ended) {
        ended = true;
        endReject(e);
      }
      nextReject(Object.assign(e, { partialReplies: [...replies] }));
    };
    this.pending = { resolve: () => undefined, reject: fail, command: 'DATA' };
    w.d.waiters.push((str: string) => {
      const p = this.pending;
      if (!p) return;
      const reply = tryParseReply(str);
      if (!reply) {
        this.pending = undefined;
        return this.notAReply(p, 'DATA', 'the reply to the message', 'data', str);
      }
      this.phase = 'command';
      ended = true;
      endResolve(reply);
      if (lines.length === 0) {
        this.pending = undefined;
        nextResolve(replies);
      }
    });
    this.awaitReplies(w.d, lines, replies, nextResolve);
    this.transcript.client(`(message, ${message.length} bytes)`);
    for (const line of lines) this.transcript.client(line);
    const body = dotStuff(message);
    w.d.socket.write(lines.length > 0 ? Buffer.concat([body, Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8')]) : body);
    return { end, next };
  }

  /** RSET (RFC 5321 §4.1.1.5): abandons the transaction. */
  rset(): Promise<SmtpReply> {
    return this.command('RSET');
  }

  /** QUIT, then close; never throws (the server may already be gone). */
  async quit(): Promise<SmtpReply | undefined> {
    if (this.closed || this.failure) {
      this.close();
      return undefined;
    }
    try {
      return await this.command('QUIT');
    } catch {
      return undefined;
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch {
      // already torn down
    }
  }

  /**
   * Authenticates with nodemailer's SASL code (PLAIN, LOGIN, CRAM-MD5, XOAUTH2); the transcript
   * redacts secrets. Only before the first command: from then on the session reads the replies.
   */
  login(auth: { user: string; pass: string; method?: string }): Promise<void> {
    if (this.direct) return Promise.reject(new Error('SmtpSession.login: log in before any other command'));
    this.phase = 'auth';
    return new Promise<void>((resolve, reject) => {
      this.conn.login({ user: auth.user, pass: auth.pass, method: auth.method }, (err) => {
        this.phase = 'command';
        if (err) reject(this.toError(err as NodemailerErrorLike));
        else resolve();
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** "mx.example.org [192.0.2.1]:25" or "[192.0.2.1]:25": how messages name the other end. */
export function endpointLabel(opts: Pick<SmtpSessionOptions, 'address' | 'port' | 'serverName'>): string {
  return `${opts.serverName && opts.serverName !== opts.address ? `${opts.serverName} ` : ''}[${opts.address}]:${opts.port}`;
}

/** The message without the leading "<endpoint>: " (for callers that print the host themselves). */
export function withoutLabel(message: string, opts: Pick<SmtpSessionOptions, 'address' | 'port' | 'serverName'>): string {
  const prefix = `${endpointLabel(opts)}: `;
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

function connectTcp(opts: SmtpSessionOptions): Promise<net.Socket> {
  const label = endpointLabel(opts);
  return new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ host: opts.address, port: opts.port, localAddress: opts.localAddress });
    let done = false;
    const finish = (err?: SmtpSessionError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.removeListener('error', onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(socket);
    };
    const onError = (e: NodeJS.ErrnoException) => {
      const code = e.code === 'ECONNREFUSED' ? 'SMTP_CONNECT_REFUSED' : e.code === 'ETIMEDOUT' ? 'SMTP_CONNECT_TIMEOUT' : 'SMTP_CONNECT_FAILED';
      finish(new SmtpSessionError(code, `${label}: ${code === 'SMTP_CONNECT_REFUSED' ? 'connection refused' : `cannot connect (${e.code ?? e.message})`}`, { phase: 'connect', systemCode: e.code, cause: e }));
    };
    const onAbort = () => finish(new SmtpSessionError('SMTP_ABORTED', `${label}: cancelled`, { phase: 'connect' }));
    // timers are real: a TCP connect is a network event, not a schedule (the Clock is for schedules)
    const timer = setTimeout(
      () => finish(new SmtpSessionError('SMTP_CONNECT_TIMEOUT', `${label}: no TCP connection within ${opts.timeouts.connectMs} ms`, { phase: 'connect' })),
      opts.timeouts.connectMs,
    );
    socket.once('error', onError);
    socket.once('connect', () => finish());
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
