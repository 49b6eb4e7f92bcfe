/**
 * The real transport: SMTP sessions (src/core/smtp/session.ts) to each route host in order, every
 * address of a host before the next host (RFC 5321 §5.1). A host that refuses the connection,
 * times out, or greets with 4xx/5xx is skipped for the next one, as Postfix does
 * (smtp_skip_5xx_greeting); replies to MAIL, RCPT and DATA are answers about the message and end
 * the attempt. Sessions are pooled per host and address and reused for the next transaction
 * (RFC 5321 §4.1.1.5: a reused session is checked with RSET first, as Postfix's connection cache
 * does), at most `maxPerHost` at once to one host.
 */
import type { SecureContext } from 'node:tls';
import type { Clock } from '../clock.js';
import type { Resolver } from '../dns/types.js';
import type { SmtpReply } from '../smtp/reply.js';
import { SmtpSession, type StartTlsMode } from '../smtp/session.js';
import { SmtpSessionError } from '../smtp/smtp-error.js';
import type { TranscriptEntry } from '../smtp/transcript.js';
import type { ReplyRecord, TlsRecord } from '../store/store.js';
import type { SmtpStage } from './classification.js';
import { resolveAddresses, type RelayAuth } from './route.js';
import type { DeliveryTransport, HostFailure, RecipientResult, TlsRequirement, TransactionRequest, TransactionResult } from './transport.js';

export interface SmtpTransportOptions {
  resolver: Resolver;
  clock: Clock;
  heloName: string;
  timeouts: { connectMs: number; greetingMs: number; commandMs: number };
  /** Extra trust anchors (private PKI, tests). */
  ca?: string | Buffer;
  secureContext?: SecureContext;
  /** Connections to one host at once (default 3). */
  maxPerHost?: number;
  onTranscript?: (host: string, e: TranscriptEntry) => void;
}

function record(r: SmtpReply): ReplyRecord {
  const out: ReplyRecord = { code: r.code, text: r.text };
  if (r.enhanced) out.enhanced = r.enhanced;
  return out;
}

function stageOf(e: SmtpSessionError): SmtpStage {
  switch (e.phase) {
    case 'connect':
      return 'connect';
    case 'greeting':
      return 'greeting';
    case 'ehlo':
      return 'ehlo';
    case 'starttls':
    case 'tls-handshake':
      return 'starttls';
    case 'auth':
      return 'auth';
    case 'data':
      return 'data';
    default:
      return 'unknown';
  }
}

/** A transaction waiting for a connection to its host (see Slots). */
interface Waiter {
  /** The pool key it will use (host, address, port, TLS mode, relay user). */
  key: string;
  /** Its MAIL, RCPT… and DATA lines; absent when it may not join a running session. */
  envelope?: readonly string[];
  resolve(handoff?: Pooled): void;
}

/**
 * A counting semaphore per host. A session about to send a message may take a waiter for the
 * same key instead (take()): the waiter's commands go out in the same write as the message, and
 * the slot passes to it with the session.
 */
class Slots {
  private readonly used = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();
  constructor(private readonly limit: number) {}
  /** Resolves with a session already carrying the waiter's commands, or undefined with a free slot. */
  async acquire(host: string, key: string, envelope?: readonly string[]): Promise<Pooled | undefined> {
    const n = this.used.get(host) ?? 0;
    if (n < this.limit) {
      this.used.set(host, n + 1);
      return undefined;
    }
    return new Promise<Pooled | undefined>((resolve) => {
      const q = this.waiters.get(host) ?? [];
      q.push({ key, ...(envelope ? { envelope } : {}), resolve });
      this.waiters.set(host, q);
    });
  }
  /** The first waiter that may join a session of `key` (removed from the queue), if any. */
  take(host: string, key: string): Waiter | undefined {
    const q = this.waiters.get(host);
    const i = q?.findIndex((w) => w.key === key && w.envelope) ?? -1;
    if (i < 0) return undefined;
    return q!.splice(i, 1)[0];
  }
  release(host: string): void {
    const q = this.waiters.get(host);
    const next = q?.shift();
    if (next) return next.resolve(); // the slot passes straight to the waiter
    this.used.set(host, (this.used.get(host) ?? 1) - 1);
  }
}

interface Pooled {
  session: SmtpSession;
  /** Reused from the pool: the next transaction starts with RSET (pipelined when possible). */
  reused?: boolean;
  /**
   * Taken over from the transaction before, whose message went out in the same write as this
   * transaction's MAIL, RCPT… and DATA: their replies.
   */
  envelope?: Promise<SmtpReply[]>;
}

/** MAIL, RCPT… and DATA of a request (RFC 2920 §3.1: DATA may end a group). */
function envelopeLines(req: TransactionRequest): string[] {
  return [`MAIL FROM:<${req.sender}>`, ...req.recipients.map((r) => `RCPT TO:<${r}>`), 'DATA'];
}

/** Errors of a handed-on session that closed before answering the transaction's first command. */
const unanswered = new WeakSet<Error>();

/** One transaction's hold on a host's slot. */
interface Turn {
  host: string;
  key: string;
  /** The session (and the slot) went on to the next transaction with this one's message. */
  handedOn: boolean;
}

export class SmtpTransport implements DeliveryTransport {
  private readonly idle = new Map<string, Pooled[]>();
  private readonly slots: Slots;

  /**
   * A host's addresses once found: the resolver caches its answers for the run anyway, and a
   * --separate send asks for the same host thousands of times.
   */
  private readonly addresses = new Map<string, Awaited<ReturnType<typeof resolveAddresses>>>();

  constructor(private readonly opts: SmtpTransportOptions) {
    this.slots = new Slots(opts.maxPerHost ?? 3);
  }

  private async lookUp(host: string): Promise<Awaited<ReturnType<typeof resolveAddresses>>> {
    const r = await resolveAddresses(this.opts.resolver, host);
    // only answers with addresses: a failure is asked again next time
    if ('addresses' in r && r.addresses.length > 0) this.addresses.set(host, r);
    return r;
  }

  async transact(req: TransactionRequest): Promise<TransactionResult> {
    const failures: HostFailure[] = [];
    const relay = req.route.relay;
    for (const h of req.route.hosts) {
      const tlsReqs = req.tls.filter((t) => !t.appliesTo || t.appliesTo(h.host));
      const blocked = firstError(tlsReqs, (t) => t.checkHost?.(h.host));
      if (blocked) {
        failures.push({ host: h.host, port: h.port, stage: 'connect', error: blocked.error, policyFailure: blocked.failure });
        continue;
      }
      const addrs = this.addresses.get(h.host) ?? (await this.lookUp(h.host));
      if ('error' in addrs) {
        failures.push({ host: h.host, port: h.port, stage: 'connect', error: addrs.error.message });
        continue;
      }
      if (addrs.addresses.length === 0) {
        failures.push({ host: h.host, port: h.port, stage: 'connect', error: `${h.host} has no address (A/AAAA)` });
        continue;
      }
      for (const address of addrs.addresses) {
        if (req.signal?.aborted) throw req.signal.reason;
        const mode: StartTlsMode = relay?.secure ? 'never' : tlsReqs.length > 0 ? 'require' : 'opportunistic';
        const key = `${h.host}|${address}|${h.port}|${mode}|${relay?.auth?.user ?? ''}`;
        // Only a request without TLS requirements may join a running session (their checks run
        // on the session before the first command).
        let pooled: Pooled | undefined = await this.slots.acquire(h.host, key, tlsReqs.length === 0 ? envelopeLines(req) : undefined);
        const turn: Turn = { host: h.host, key, handedOn: false };
        try {
          if (!pooled) {
            const got = await this.connect(key, h.host, address, h.port, mode, relay, req.signal, tlsReqs[0]?.failure);
            if ('failure' in got) {
              failures.push(got.failure);
              continue;
            }
            pooled = got.pooled;
          }
          const tlsInfo = pooled.session.tls;
          const tls: TlsRecord | null = tlsInfo?.protocol ? { protocol: tlsInfo.protocol, cipher: tlsInfo.cipher ?? '' } : null;
          const bad = firstError(tlsReqs, (t) =>
            !tlsInfo?.protocol ? `${h.host} [${address}] did not offer STARTTLS` : t.checkSession?.(h.host, h.port, tlsInfo),
          );
          if (bad) {
            failures.push({ host: h.host, address, port: h.port, stage: 'starttls', error: bad.error, policyFailure: bad.failure });
            pooled.session.close();
            pooled = undefined;
            continue;
          }
          let results: RecipientResult[];
          const repliesBefore = pooled.session.replyCount;
          try {
            results = await this.run(pooled, req, turn);
          } catch (err) {
            // A pooled connection the server closed while idle fails on its first pipelined
            // write, before any reply, and so does one closed after the message before this one
            // (a 421 to its end of data): nothing was accepted, so run once more on a new one.
            const retry = err instanceof SmtpSessionError && ((pooled.reused && pooled.session.replyCount === repliesBefore) || unanswered.has(err));
            if (!retry) throw err;
            pooled.session.close();
            const fresh = await this.connect('', h.host, address, h.port, mode, relay, req.signal, tlsReqs[0]?.failure);
            if ('failure' in fresh) {
              pooled = undefined;
              failures.push(fresh.failure);
              continue;
            }
            pooled = fresh.pooled;
            results = await this.run(pooled, req, turn);
          }
          // a session handed on belongs to the next transaction now
          const usable = !pooled.session.isClosed && !turn.handedOn;
          // (only the session: the replies it was handed belong to this transaction)
          if (usable) this.putIdle(key, { session: pooled.session });
          pooled = undefined;
          return { host: h.host, address, port: h.port, tls, results, hostFailures: failures };
        } catch (err) {
          if (!(err instanceof SmtpSessionError)) throw err;
          // the session broke mid-transaction: what was not answered gets the network error
          pooled?.session.close();
          pooled = undefined;
          return {
            host: h.host,
            address,
            port: h.port,
            tls: null,
            results: req.recipients.map((recipient) => ({ recipient, networkError: err.message, stage: stageOf(err), ...(err.reply ? { reply: record(err.reply) } : {}) })),
            hostFailures: failures,
          };
        } finally {
          if (pooled && !turn.handedOn) pooled.session.close();
          if (!turn.handedOn) this.slots.release(h.host);
        }
      }
    }
    // Nobody could be reached: every recipient is deferred with the last failure, 5xx greetings
    // included, as Postfix does by default: postconf(5) smtp_skip_5xx_greeting = yes "moves on the
    // next mail exchanger" (bouncing at once "appears to contradict RFC 2821"), and its smtp(8)
    // client turns such a greeting's status into a 4.x.x one (smtp_proto.c), so a destination
    // whose every MX greets 5xx is deferred and tried again, never bounced.
    const last = failures[failures.length - 1];
    if (last?.stage === 'auth' && last.reply) {
      // The relay refused our login: its reply is the answer (535 permanent, 454 temporary),
      // classified like any other; a connection-level failure would only be retried forever.
      const reply = last.reply;
      return { host: last.host, ...(last.address ? { address: last.address } : {}), port: last.port, tls: null, hostFailures: failures, results: req.recipients.map((recipient) => ({ recipient, reply, stage: 'auth' })) };
    }
    return {
      tls: null,
      hostFailures: failures,
      results: req.recipients.map((recipient) => ({
        recipient,
        networkError: last ? `${last.host}${last.address ? ` [${last.address}]` : ''}: ${last.error}` : 'no mail host to try',
        stage: last?.stage ?? 'connect',
        ...(last?.policyFailure ? { policyFailure: last.policyFailure } : {}),
      })),
    };
  }

  /** An idle pooled session that still answers RSET, or a new one. */
  private async connect(
    key: string,
    host: string,
    address: string,
    port: number,
    mode: StartTlsMode,
    relay: { secure: boolean; auth?: RelayAuth } | undefined,
    signal: AbortSignal | undefined,
    policy?: TlsRequirement['failure'],
  ): Promise<{ pooled: Pooled } | { failure: HostFailure }> {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const p = list.pop()!;
      if (p.session.isClosed) continue;
      // With PIPELINING the RSET goes out in the same write as MAIL and RCPT (run()); a
      // connection the server has dropped meanwhile is then retried once on a new one.
      if (p.session.pipelining) return { pooled: { session: p.session, reused: true } };
      try {
        const r = await p.session.rset();
        if (r.code === 250) return { pooled: { session: p.session } };
      } catch {
        // the server closed the idle connection; open a new one
      }
      p.session.close();
    }
    try {
      const session = await SmtpSession.open({
        address,
        port,
        serverName: host,
        heloName: this.opts.heloName,
        startTls: mode,
        implicitTls: !!relay?.secure,
        tls: {
          ...(this.opts.ca ? { ca: this.opts.ca } : {}),
          ...(this.opts.secureContext ? { secureContext: this.opts.secureContext } : {}),
          // Opportunistic TLS takes what the server speaks, down to TLS 1.0 (RFC 7435: some
          // encryption beats none; a TLS below 1.2 is reported as a warning). When TLS is
          // required, 1.2 is the floor (RFC 8996 deprecates 1.0 and 1.1).
          ...(mode === 'opportunistic' && !this.opts.secureContext ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
          ...(mode === 'require' ? { minVersion: 'TLSv1.2' as const } : {}),
          rejectUnauthorized: false,
        },
        timeouts: this.opts.timeouts,
        clock: this.opts.clock,
        ...(signal ? { signal } : {}),
        ...(this.opts.onTranscript ? { onTranscript: (e: TranscriptEntry) => this.opts.onTranscript!(host, e) } : {}),
      });
      if (relay?.auth) {
        try {
          await session.login(relay.auth);
        } catch (err) {
          session.close();
          const e = err as SmtpSessionError;
          return { failure: { host, address, port, stage: 'auth', error: e.message, ...(e.reply ? { reply: record(e.reply) } : {}) } };
        }
      }
      return { pooled: { session } };
    } catch (err) {
      if (!(err instanceof SmtpSessionError)) throw err;
      const failure: HostFailure = { host, address, port, stage: stageOf(err), error: err.message, ...(err.reply ? { reply: record(err.reply) } : {}) };
      // TLS demanded (--tls required, MTA-STS, DANE) and STARTTLS missing or failed: our policy
      // refused the host, which is a finding, not the receiver's answer.
      if (policy && (err.code === 'SMTP_TLS_FAILED' || failure.stage === 'starttls')) failure.policyFailure = policy;
      return { failure };
    }
  }

  /** (RSET,) MAIL, RCPT…, DATA on an open session; MAIL and RCPT in one write with PIPELINING (RFC 2920). */
  private async run(p: Pooled, req: TransactionRequest, turn: Turn): Promise<RecipientResult[]> {
    const s = p.session;
    let mail: SmtpReply;
    let rcptReplies: SmtpReply[];
    let dataReply: SmtpReply | undefined;
    if (s.pipelining) {
      // RFC 2920 §3.1: DATA may end the group; the server answers it 554/503 when no recipient
      // was accepted, and 354 otherwise, so the message itself is only sent once RCPTs are known.
      let replies: SmtpReply[];
      try {
        replies = await (p.envelope ?? s.pipeline([...(p.reused ? ['RSET'] : []), ...envelopeLines(req)]));
      } catch (err) {
        const partial = [...((err as { partialReplies?: SmtpReply[] }).partialReplies ?? [])];
        if (p.reused) partial.shift();
        if (p.envelope && partial.length === 0 && err instanceof SmtpSessionError) unanswered.add(err);
        if (!(err instanceof SmtpSessionError) || partial.length === 0) throw err;
        // MAIL (and some RCPTs) answered before the server closed: those answers stand, the
        // recipients it never answered get the transport error.
        const mailReply = partial[0]!;
        return req.recipients.map((recipient, i) => {
          const r = mailReply.code !== 250 ? mailReply : partial[i + 1];
          return r ? { recipient, reply: record(r), stage: mailReply.code !== 250 ? 'mail' : 'rcpt' } : { recipient, networkError: err.message, stage: 'rcpt' };
        });
      }
      if (p.reused) replies.shift();
      mail = replies[0]!;
      dataReply = replies[replies.length - 1]!;
      rcptReplies = replies.slice(1, -1);
      if (dataReply.code === 354 && (mail.code !== 250 || !rcptReplies.some((r) => r.code === 250 || r.code === 251))) {
        // A server that says 354 with nobody to deliver to: abandon the transaction by closing
        // the connection (sending "." would complete it).
        s.close();
        dataReply = undefined;
        if (mail.code === 250) return req.recipients.map((recipient, i) => ({ recipient, reply: record(rcptReplies[i]!), stage: 'rcpt' }));
        return req.recipients.map((recipient) => ({ recipient, reply: record(mail), stage: 'mail' }));
      }
    } else {
      mail = await s.mailFrom(req.sender);
      rcptReplies = [];
      if (mail.code === 250) for (const rcpt of req.recipients) rcptReplies.push(await s.rcptTo(rcpt));
    }
    if (mail.code !== 250) {
      await s.rset().catch(() => s.close());
      return req.recipients.map((recipient) => ({ recipient, reply: record(mail), stage: 'mail' }));
    }
    const results = new Map<string, RecipientResult>();
    const accepted: string[] = [];
    req.recipients.forEach((rcpt, i) => {
      const r = rcptReplies[i]!;
      if (r.code === 250 || r.code === 251) accepted.push(rcpt);
      else results.set(rcpt, { recipient: rcpt, reply: record(r), stage: 'rcpt' });
    });
    if (accepted.length === 0) {
      await s.rset().catch(() => s.close());
      return req.recipients.map((r) => results.get(r)!);
    }
    await req.beforeData?.(accepted);
    let end: SmtpReply;
    if (dataReply === undefined) end = await s.data(req.message);
    else if (dataReply.code === 354) end = await this.content(p, req, turn);
    else end = dataReply;
    for (const rcpt of accepted) results.set(rcpt, { recipient: rcpt, reply: record(end), stage: 'data' });
    return req.recipients.map((r) => results.get(r)!);
  }

  /**
   * The message after a 354. When another transaction waits for this host on the same terms, its
   * MAIL, RCPT… and DATA follow the message in the same write (RFC 2920 §3.1) and the session
   * passes to it: each message then costs one round trip instead of two. Its recipients get no
   * "sending" mark until its own 354, so a crash still leaves at most this message unrecorded.
   */
  private content(p: Pooled, req: TransactionRequest, turn: Turn): Promise<SmtpReply> {
    const next = this.slots.take(turn.host, turn.key);
    if (!next) return p.session.dataBody(req.message);
    const sent = p.session.dataBodyThen(req.message, next.envelope!);
    // the next transaction reads these replies; a failure reaches it there
    sent.next.catch(() => undefined);
    turn.handedOn = true;
    next.resolve({ session: p.session, envelope: sent.next });
    return sent.end;
  }

  private putIdle(key: string, p: Pooled): void {
    const list = this.idle.get(key) ?? [];
    list.push(p);
    this.idle.set(key, list);
  }

  async closeIdle(): Promise<void> {
    const all = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all(all.map((p) => p.session.quit()));
  }

  async close(): Promise<void> {
    await this.closeIdle();
  }
}

function firstError(reqs: readonly TlsRequirement[], f: (t: TlsRequirement) => string | undefined): { error: string; failure: TlsRequirement['failure'] } | undefined {
  for (const t of reqs) {
    const e = f(t);
    if (e) return { error: e, failure: t.failure };
  }
  return undefined;
}
