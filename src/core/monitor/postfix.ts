/**
 * Postfix's log (syslog or maillog_file) → events. What each line means, from Postfix's own
 * documentation and source: the delivery agents' "to=<…>, relay=…, delay=…, delays=a/b/c/d,
 * dsn=…, status=sent|deferred|bounced (…)" (postconf(5) delay_logging_resolution_limit;
 * src/global/log_adhoc.c), qmgr's "from=<…>, size=…, nrcpt=…" and "status=expired, returned to
 * sender" (src/qmgr/qmgr_message.c), smtpd's "client=…" and "NOQUEUE: reject: RCPT from …: 550 …;
 * from=<…> to=<…>" (src/smtpd/smtpd_check.c), cleanup's header/body/milter rejects
 * (src/cleanup/cleanup_milter.c), pickup's "uid=… from=<…>", postscreen's rejects
 * (POSTSCREEN_README).
 *
 * Counting follows pflogsumm (1.1.5) so totals compare: a message is received once, at smtpd's or
 * postscreen's "client=" or pickup's line; delivered, deferred and bounced are per recipient
 * status line; rejected is every "reject:" line of smtpd, postscreen and cleanup, 4xx ones
 * (greylisting) included. Unlike pflogsumm, "deferred" counts deferral attempts (pflogsumm's
 * "N deferrals"), not distinct messages, and qmgr's "status=expired" is counted as expired.
 */
import type { SmtpStage } from '../delivery/classification.js';
import { LineResult, lowerCase, newEvent, type LogReader, type MonitorEvent } from './events.js';
import { ClassicClock, scanSyslogHeader, type ClockState, type SyslogHeader } from './syslog.js';
import { RecentDomains, RecentValues } from './recent-values.js';

/**
 * Where the queue id that starts at `from` ends (at its ": "), or -1: 5–20 letters and digits (short
 * hex ids, long ids of enable_long_queue_ids) or NOQUEUE. A loop rather than a RegExp: it runs on
 * every line.
 */
function queueIdEnd(t: string, from: number): number {
  const n = Math.min(t.length - 1, from + 21);
  for (let i = from; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c === 58 /* : */) return i - from >= 5 && t.charCodeAt(i + 1) === 32 ? i : -1;
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return -1;
  }
  return -1;
}

const STAGES: Record<string, SmtpStage> = {
  'MAIL FROM': 'mail',
  'RCPT TO': 'rcpt',
  'DATA': 'data',
  'end of DATA': 'message',
  'EHLO': 'ehlo',
  'HELO': 'ehlo',
  'STARTTLS': 'starttls',
};

const IN_REPLY = / \(in reply to (.+?) command\)$/;
const SAID = /^host \S+ said: /;
const NETWORK = /^(?:connect to \S+: (.+)|lost connection with \S+ while (.+)|conversation with \S+ timed out while (.+)|(Host or domain name not found.*)|(Name service error.*)|(delivery temporarily suspended: .+))$/;

/** A reply code at the start of `text`: "250 …", "550-…" (RFC 5321 §4.2). */
function leadingCode(text: string): number | undefined {
  const c = text.charCodeAt(0);
  if (c !== 50 && c !== 52 && c !== 53) return undefined; // 2, 4, 5
  const d1 = text.charCodeAt(1) - 48;
  const d2 = text.charCodeAt(2) - 48;
  const sep = text.charCodeAt(3);
  if (d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || (sep !== 32 && sep !== 45)) return undefined;
  return (c - 48) * 100 + d1 * 10 + d2;
}

/** "host h[ip] said: 550 … (in reply to RCPT TO command)" → code, stage, text; "connect to …: Connection refused" → a network error. */
export function splitPostfixReply(raw: string): { text: string; code?: number; stage?: SmtpStage; networkError?: string } {
  let text = raw;
  let stage: SmtpStage | undefined;
  // The RegExps only run where their fixed parts are there: most replies are "250 2.0.0 Ok: queued as …".
  const inReply = text.endsWith(' command)') ? IN_REPLY.exec(text) : null;
  if (inReply) {
    stage = STAGES[inReply[1]!];
    text = text.slice(0, inReply.index);
  }
  const said = text.startsWith('host ') ? SAID.exec(text) : null;
  if (said) text = text.slice(said[0].length);
  const code = leadingCode(text);
  if (code !== undefined) return stage ? { text, code, stage } : { text, code };
  if (!said) {
    // smtp(8) network failures: "connect to h[ip]:25: Connection refused", "lost connection with h[ip] while receiving the initial server greeting",
    // "Host or domain name not found", "conversation with h[ip] timed out while …".
    const net = NETWORK.exec(text);
    if (net) {
      const what = net[1] ?? (net[2] ? `lost connection while ${net[2]}` : net[3] ? `timed out while ${net[3]}` : net[4] ?? net[5] ?? net[6]!);
      const during = net[2] ?? net[3] ?? '';
      const st: SmtpStage | undefined = /greeting/.test(during) ? 'greeting' : /HELO|EHLO/.test(during) ? 'ehlo' : /MAIL FROM/.test(during) ? 'mail' : /RCPT TO/.test(during) ? 'rcpt' : /DATA|message/.test(during) ? 'data' : net[1] ? 'connect' : stage;
      return { text, networkError: what, ...(st ? { stage: st } : {}) };
    }
  }
  return stage ? { text, stage } : { text };
}

/** Where the value of ", key=" starts, between `from` and the status field (postfix writes to=<…> first, the rest in a fixed order); -1 without one. */
function fieldStart(t: string, key: string, from: number, statusAt: number): number {
  const i = t.indexOf(key, from);
  return i < 0 || i > statusAt ? -1 : i + key.length;
}

/** Where the field that starts at `start` ends: at the next ", " (", status=" begins with one, so the search stops there at the latest). */
function fieldEnd(t: string, start: number, statusAt: number): number {
  const end = t.indexOf(', ', start);
  return end < 0 || end > statusAt ? statusAt : end;
}

/**
 * "1.4", "12" → the number, as Number() reads it (an integer of up to 15 digits divided by a power
 * of ten is correctly rounded, as Number's reading is), without a string; NaN for anything else,
 * which Number() then reads.
 */
function decimal(t: string, start: number, end: number): number {
  if (end - start > 15 || end === start) return NaN;
  let n = 0;
  let scale = 1;
  let dot = false;
  for (let i = start; i < end; i++) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      if (dot) scale *= 10;
    } else if (c === 46 /* . */ && !dot && i > start && i < end - 1) dot = true;
    else return NaN;
  }
  return n / scale;
}

const same = (s: string): string => s;

/** Whether the service name of "…/<service>" (it starts at `sv`, `svLen` long) is `name`. */
function isService(t: string, sv: number, svLen: number, name: string): boolean {
  return svLen === name.length && t.startsWith(name, sv);
}

/** A line where a message arrives, the lines that call hold(): smtpd's or postscreen's "client=", pickup's "uid=" or "sender="; `q` is where the text after the queue id starts. */
function isArrival(t: string, q: number, sv: number, svLen: number): boolean {
  const c = t.charCodeAt(q);
  if (c === 99 /* c */) return t.startsWith('client=', q) && (isService(t, sv, svLen, 'smtpd') || isService(t, sv, svLen, 'postscreen'));
  return (c === 117 /* u */ || c === 115) /* s */ && (t.startsWith('uid=', q) || t.startsWith('sender=', q)) && isService(t, sv, svLen, 'pickup');
}

/** A recipient whose last attempt was deferred, and where that attempt went. */
interface DeferredRecipient {
  recipient: string;
  relay: string | undefined;
  relayIp: string | undefined;
}

/** One queue id's state (see PostfixReader.messages). */
export interface QueueEntry {
  /** Receipt time, while the receipt is not counted yet (NaN once it is, or without one). */
  receivedAt: number;
  /** Order in which receipts were first held (finish keeps it). */
  seq: number;
  sender: string | undefined;
  /** The sender's domain (lower-cased; undefined without an "@"), found once for all the message's events. */
  senderDomain: string | undefined;
  deferred: DeferredRecipient[] | undefined;
}

const newEntry = (receivedAt: number, seq: number): QueueEntry => ({ receivedAt, seq, sender: undefined, senderDomain: undefined, deferred: undefined });

export class PostfixReader implements LogReader {
  readonly format = 'postfix' as const;
  readonly scores: number[] = [];
  private clock: ClassicClock;
  /** Filled for every line (one object, not one per line). */
  private readonly header: SyslogHeader = { at: 0, progStart: 0, progEnd: 0, colon: 0, slash: -1 };
  /**
   * What is known of each queue id, one record per id until qmgr's "removed": the receipt time
   * until qmgr names the sender, the sender, and the recipients whose last attempt was deferred
   * (qmgr's expiry line names no recipient: these are the ones it gives up on, see qmgrFrom). One
   * map, so a line costs one lookup and a finished message one deletion.
   */
  private readonly messages = new Map<string, QueueEntry>();
  private readonly relays = new RecentValues(16, lowerCase);
  private readonly relayIps = new RecentValues(16, same);
  private readonly dsns = new RecentValues(8, same);
  private readonly senderDomains = new RecentDomains();
  /** Receipts not yet counted, in the order they were first held (finish counts them in that order). */
  private pendingSeq = 0;
  /**
   * Set when this reader reads a later part of a log on its own (monitor/halves.ts): the queue ids
   * that arrive in it (smtpd's or postscreen's client=, pickup), and the queue ids of lines held
   * back. A line that needs per-message state of a queue id that has not arrived in this part is
   * answered with LineResult.Later: an earlier part knows that message. A queue id arrived here
   * when `messages` has it (in flight) or `gone` does (arrived, then removed).
   */
  private readonly arrived: string[] | undefined;
  private readonly gone: Set<string> | undefined;
  private readonly heldBack: Set<string> | undefined;
  /** A queue id arrived after lines of it were held back: this part cannot be read on its own. */
  arrivedAfterHeld = false;
  /** The time stamp of the last line answered with Later. */
  laterAt = NaN;

  constructor(opts: { year?: number; refMs?: number; later?: boolean }) {
    this.clock = new ClassicClock(opts);
    if (opts.later) {
      this.arrived = [];
      this.gone = new Set();
      this.heldBack = new Set();
    }
  }

  /** What this reader knows of the messages in flight, its clock's year state, and (a later part) the queue ids that arrived. */
  state(): { messages: Map<string, QueueEntry>; pendingSeq: number; clock: ClockState; arrived: string[] | undefined } {
    return { messages: this.messages, pendingSeq: this.pendingSeq, clock: this.clock.state, arrived: this.arrived };
  }

  /**
   * Goes on from the end of a later part of the same log, read on its own after this one: its
   * messages in flight (none of them known here) join this reader's, its receipts after this
   * reader's; with --year its clock's year state is taken over.
   */
  adopt(later: { messages: Iterable<[string, QueueEntry]>; pendingSeq: number; clock: ClockState }, withYear: boolean): void {
    for (const [qid, e] of later.messages) {
      e.seq += this.pendingSeq;
      this.messages.set(qid, e);
    }
    this.pendingSeq += later.pendingSeq;
    if (withYear) this.clock.adopt(later.clock);
  }

  /**
   * The next file of the same run (a newer rotation): the per-message state carries over, so a
   * message received in mail.log.1 and delivered in mail.log keeps its sender and its deferred
   * recipients. With --year the clock runs on (a rotation that crosses New Year steps on); without
   * it, each file's own modification time dates its lines.
   */
  nextFile(opts: { year?: number; refMs?: number }): void {
    if (opts.year === undefined) this.clock = new ClassicClock(opts);
  }

  /**
   * One line. Fields are found by position in the line and only the values an event needs are cut
   * out: this runs a million times for a day's log of a busy server.
   */
  line(t: string, emit: (e: MonitorEvent) => void, knownAt?: number): LineResult {
    const h = this.header;
    if (!scanSyslogHeader(t, this.clock, h)) return t.trim() === '' ? LineResult.Ignored : LineResult.Skipped;
    const { progStart, progEnd, colon, slash } = h;
    // A held-back line is read again with the time its own part's clock gave it.
    const at = knownAt === undefined ? h.at : knownAt;
    const n = t.length;
    const m = colon + 2;
    if (slash < 0) {
      if (progEnd - progStart === 6 && t.startsWith('rspamd', progStart)) return this.rspamd(t.slice(m));
      return LineResult.Ignored;
    }
    // Any "name/…/service" program: Postfix instances and master.cf services have their own names
    // (postfix-out/smtp, postfix/submission/smtpd); lines without a queue id are ignored below.
    const sv = slash + 1;
    const svLen = progEnd - sv;
    const qidEnd = queueIdEnd(t, m);
    if (qidEnd < 0) return LineResult.Ignored; // "connect from …", "warning: …", statistics
    const q = qidEnd + 2;
    if (this.arrived !== undefined && this.holdBack(t, m, qidEnd, q, sv, svLen)) {
      this.laterAt = at;
      return LineResult.Later;
    }
    switch (t.charCodeAt(q)) {
      case 116 /* t */:
        if (t.startsWith('to=<', q)) return this.status(t.slice(m, qidEnd), at, t, q, emit);
        break;
      case 102 /* f */:
        if (t.startsWith('from=<', q)) return this.qmgrFrom(t.slice(m, qidEnd), at, t, q, emit);
        break;
      case 99 /* c */:
        if (t.startsWith('client=', q)) {
          if (isArrival(t, q, sv, svLen)) this.hold(t.slice(m, qidEnd), at);
          return LineResult.Parsed;
        }
        break;
      case 117 /* u */:
      case 115 /* s */:
        if (isArrival(t, q, sv, svLen)) {
          this.hold(t.slice(m, qidEnd), at);
          return LineResult.Parsed;
        }
        break;
      case 114 /* r */:
        if (n - q === 7 && t.startsWith('removed', q)) {
          const qid = t.slice(m, qidEnd);
          const entry = this.messages.get(qid);
          if (entry !== undefined) {
            this.forget(qid);
            this.flushPending(entry, qid, emit);
          }
          return LineResult.Parsed;
        }
        if (t.startsWith('reject: ', q)) return this.rejectLine(t, m, qidEnd, q + 8, at, sv, svLen, emit);
        break;
      case 109 /* m */:
        if (t.startsWith('milter-reject: ', q)) return this.rejectLine(t, m, qidEnd, q + 15, at, sv, svLen, emit);
        break;
      case 119 /* w */:
      case 105 /* i */:
        if (t.startsWith('warning: header X-Spam', q) || t.startsWith('info: header X-Spam', q) || t.startsWith('warning: header X-Rspamd', q) || t.startsWith('info: header X-Rspamd', q)) {
          return this.spamHeader(t.slice(q));
        }
        break;
    }
    return LineResult.Ignored;
  }

  /**
   * For a reader of a later part: notes arrivals, and whether a line must wait for the earlier
   * parts' state of its message. The lines that read or change `messages` — to=, from=, removed,
   * cleanup's rejects — are held back unless their queue id arrived in this part; the arrivals are
   * exactly the lines that call hold().
   */
  private holdBack(t: string, m: number, qidEnd: number, q: number, sv: number, svLen: number): boolean {
    if (isArrival(t, q, sv, svLen)) {
      const qid = t.slice(m, qidEnd);
      if (this.heldBack!.size > 0 && this.heldBack!.has(qid)) this.arrivedAfterHeld = true;
      this.arrived!.push(qid);
      return false;
    }
    const c = t.charCodeAt(q);
    const stateful =
      (c === 116 /* t */ && t.startsWith('to=<', q)) ||
      (c === 102 /* f */ && t.startsWith('from=<', q)) ||
      (c === 114 /* r */ && (t.startsWith('removed', q) || (t.startsWith('reject: ', q) && isService(t, sv, svLen, 'cleanup')))) ||
      (c === 109 /* m */ && t.startsWith('milter-reject: ', q) && isService(t, sv, svLen, 'cleanup'));
    if (!stateful) return false;
    const qid = t.slice(m, qidEnd);
    // Most of these are messages in flight here: `messages` is small, `gone` large.
    if (this.messages.has(qid) || this.gone!.has(qid)) return false;
    this.heldBack!.add(qid);
    return true;
  }

  /** At the end of the input: messages received whose sender never showed up still count as received. */
  finish(emit: (e: MonitorEvent) => void): void {
    const waiting: [string, QueueEntry][] = [];
    for (const entry of this.messages) if (!Number.isNaN(entry[1].receivedAt)) waiting.push(entry);
    waiting.sort((a, b) => a[1].seq - b[1].seq);
    for (const [qid, q] of waiting) this.flushPending(q, qid, emit);
  }

  /** A receipt (smtpd's or postscreen's client=, pickup's line), counted once qmgr names the sender. */
  private hold(qid: string, at: number): void {
    const q = this.messages.get(qid);
    if (q === undefined) this.messages.set(qid, newEntry(at, this.pendingSeq++));
    else {
      if (Number.isNaN(q.receivedAt)) q.seq = this.pendingSeq++;
      q.receivedAt = at;
    }
  }

  private entry(qid: string): QueueEntry {
    let q = this.messages.get(qid);
    if (q === undefined) this.messages.set(qid, (q = newEntry(NaN, 0)));
    return q;
  }

  /** The message is done with: its state goes (a reader of a later part remembers that it arrived here). */
  private forget(qid: string): void {
    this.messages.delete(qid);
    this.gone?.add(qid);
  }

  private flushPending(q: QueueEntry, qid: string, emit: (e: MonitorEvent) => void, sender?: string, size?: number): void {
    const at = q.receivedAt;
    if (Number.isNaN(at)) return;
    q.receivedAt = NaN;
    const e = newEvent(at, 'received', qid);
    if (sender !== undefined) {
      e.sender = sender;
      e.senderDomain = q.senderDomain;
    }
    if (size !== undefined) e.size = size;
    emit(e);
  }

  /** qmgr(8): "from=<a@b>, size=123, nrcpt=1 (queue active)" or "from=<a@b>, status=expired, returned to sender"; `q` is where "from=<" starts. */
  private qmgrFrom(qid: string, at: number, t: string, q: number, emit: (e: MonitorEvent) => void): LineResult {
    const close = t.indexOf('>, ', q + 6);
    if (close < 0) return LineResult.Skipped;
    const sender = t.slice(q + 6, close);
    const r = close + 3;
    if (t.startsWith('size=', r)) {
      let size = 0;
      let i = r + 5;
      for (let c = t.charCodeAt(i); c >= 48 && c <= 57; c = t.charCodeAt(++i)) size = size * 10 + (c - 48);
      const entry = this.entry(qid);
      entry.sender = sender;
      entry.senderDomain = this.senderDomains.of(sender);
      this.flushPending(entry, qid, emit, sender, i > r + 5 ? size : undefined);
      return LineResult.Parsed;
    }
    if (t.startsWith('status=expired', r)) {
      const comma = t.indexOf(',', r);
      const reply = t.slice(comma < 0 ? r + 1 : comma + 2) || 'expired';
      // The whole message gave up: qmgr(8) logs this line and has bounce(8) return the recipients of
      // the message's defer log to the sender (src/qmgr/qmgr_active.c, qmgr_active_done_2_generic:
      // "status=expired, returned to sender", then adefer_flush). The line names no recipient: they
      // are the ones whose last attempt in this log was deferred, so each counts under its own
      // destination; without any (the deferrals lie before the log's start), the message counts once.
      const entry = this.messages.get(qid);
      const waiting = entry?.deferred;
      if (waiting !== undefined && waiting.length > 0) {
        entry!.deferred = undefined;
        for (const d of waiting) {
          const e = newEvent(at, 'expired', qid);
          e.sender = sender;
          e.recipient = d.recipient;
          e.reply = reply;
          if (d.relay !== undefined) e.relay = d.relay;
          if (d.relayIp !== undefined) e.relayIp = d.relayIp;
          emit(e);
        }
      } else {
        const e = newEvent(at, 'expired', qid);
        e.sender = sender;
        e.reply = reply;
        emit(e);
      }
      return LineResult.Parsed;
    }
    return LineResult.Ignored;
  }

  /** A delivery agent's "to=<…>, [orig_to=<…>,] relay=…, delay=…, delays=…, dsn=…, status=… (…)"; `q` is where "to=<" starts. */
  private status(qid: string, at: number, t: string, q: number, emit: (e: MonitorEvent) => void): LineResult {
    const si = t.indexOf(', status=', q);
    if (si < 0) return LineResult.Skipped;
    // to=<…> may hold ", " inside a quoted local part: read it up to its closing bracket.
    const toEnd = t.indexOf('>, ', q + 4);
    const recipient = toEnd < 0 ? undefined : t.slice(q + 4, toEnd);
    const from = toEnd < 0 ? q : toEnd;
    const a = si + 9;
    const sp = t.indexOf(' ', a);
    const len = (sp < 0 ? t.length : sp) - a;
    const kind: MonitorEvent['kind'] | undefined =
      len === 4 && t.startsWith('sent', a) ? 'delivered'
      : len === 8 && t.startsWith('deferred', a) ? 'deferred'
      : len === 7 && t.startsWith('bounced', a) ? 'bounced'
      : len === 7 && t.startsWith('expired', a) ? 'expired'
      : undefined;
    if (kind === undefined) return LineResult.Ignored; // status=deliverable/undeliverable (address verification), softbounce …
    let reply = '';
    if (sp >= 0) {
      const open = t.indexOf('(', sp);
      if (open >= 0) reply = t.slice(open + 1, t.charCodeAt(t.length - 1) === 41 /* ) */ ? t.length - 1 : t.length);
    }
    if (kind === 'delivered' && reply.startsWith('forwarded as ')) return LineResult.Ignored; // pflogsumm's "forwarded", not a delivery
    const delayAt = fieldStart(t, ', delay=', from, si);
    const relayAt = fieldStart(t, ', relay=', from, si);
    const e = newEvent(at, kind, qid);
    const entry = this.messages.get(qid);
    const sender = entry?.sender;
    if (sender !== undefined) {
      e.sender = sender;
      e.senderDomain = entry!.senderDomain;
    }
    if (recipient !== undefined) e.recipient = recipient;
    if (relayAt >= 0) {
      // relay=mx.example.com[192.0.2.1]:25 → host and IP ("none", "local", "virtual" have no IP).
      const relayEnd = fieldEnd(t, relayAt, si);
      let b = relayAt;
      while (b < relayEnd && t.charCodeAt(b) !== 91 /* [ */) b++;
      e.relay = this.relays.get(t, relayAt, b);
      if (b < relayEnd) {
        let c = b + 1;
        while (c < relayEnd && t.charCodeAt(c) !== 93 /* ] */) c++;
        e.relayIp = this.relayIps.get(t, b + 1, c);
      }
    }
    if (delayAt >= 0) {
      const delayEnd = fieldEnd(t, delayAt, si);
      let delay = decimal(t, delayAt, delayEnd);
      if (Number.isNaN(delay)) delay = Number(t.slice(delayAt, delayEnd));
      if (!Number.isNaN(delay)) e.delayMs = delay * 1000;
    }
    const dsnAt = fieldStart(t, ', dsn=', from, si);
    if (dsnAt >= 0) e.dsn = this.dsns.get(t, dsnAt, fieldEnd(t, dsnAt, si));
    // Most replies are a plain "250 2.0.0 Ok …": a code first and no "(in reply to …)" to take off.
    const code = leadingCode(reply);
    if (code !== undefined && !reply.endsWith(' command)')) {
      e.reply = reply;
      e.code = code;
    } else {
      const split = splitPostfixReply(reply);
      e.reply = split.text;
      if (split.code !== undefined) e.code = split.code;
      if (split.stage !== undefined) e.stage = split.stage as MonitorEvent['stage'];
      if (split.networkError !== undefined) e.networkError = split.networkError;
    }
    if (recipient !== undefined && (kind === 'deferred' || entry?.deferred !== undefined)) this.track(entry ?? this.entry(qid), kind, recipient, e.relay, e.relayIp);
    emit(e);
    return LineResult.Parsed;
  }

  /** Keeps, per queue id, the recipients whose last attempt was deferred (for qmgr's expiry line). */
  private track(q: QueueEntry, kind: MonitorEvent['kind'], recipient: string, relay: string | undefined, relayIp: string | undefined): void {
    let waiting = q.deferred;
    if (kind === 'deferred') {
      if (waiting === undefined) q.deferred = waiting = [];
      const d = waiting.find((x) => x.recipient === recipient);
      if (d !== undefined) {
        d.relay = relay;
        d.relayIp = relayIp;
      } else waiting.push({ recipient, relay, relayIp });
    } else if (waiting !== undefined) {
      // Delivered, bounced or expired on its own: no longer waiting.
      const i = waiting.findIndex((x) => x.recipient === recipient);
      if (i >= 0) waiting.splice(i, 1);
      if (waiting.length === 0) q.deferred = undefined;
    }
  }

  /** cleanup(8) header/body/milter rejects, smtpd(8) and postscreen(8) rejects; `r` is where the text after "reject: " starts. */
  private rejectLine(t: string, m: number, qidEnd: number, r: number, at: number, sv: number, svLen: number, emit: (e: MonitorEvent) => void): LineResult {
    if (isService(t, sv, svLen, 'cleanup')) {
      // "reject: header Subject: …; from=<a> to=<b> …: 550 5.7.1 text", "milter-reject: END-OF-MESSAGE from h[ip]: 5.7.1 Spam; from=<a> to=<b> …"
      if (!(t.startsWith('header ', r) || t.startsWith('body ', r) || t.startsWith('END-OF-MESSAGE ', r))) return LineResult.Ignored;
      const qid = t.slice(m, qidEnd);
      const q = this.messages.get(qid);
      if (q !== undefined) {
        this.flushPending(q, qid, emit);
        // cleanup(8) rejected the message: no qmgr line and no "removed" follow; nothing else is kept for it.
        if (q.sender === undefined && q.deferred === undefined) this.forget(qid);
      }
      emit(this.reject(at, qid, t.slice(r)));
      return LineResult.Parsed;
    }
    if (isService(t, sv, svLen, 'smtpd') || isService(t, sv, svLen, 'postscreen')) {
      emit(this.reject(at, t.slice(m, qidEnd), t.slice(r)));
      return LineResult.Parsed;
    }
    return LineResult.Ignored;
  }

  /** "RCPT from h[ip]: 450 4.2.0 <a@b>: Recipient address rejected: Greylisted …; from=<x> to=<a@b> proto=ESMTP helo=<h>" */
  private reject(at: number, qid: string, rest: string): MonitorEvent {
    const tail = /; from=<([^>]*)> to=<([^>]*)>/.exec(rest);
    let body = tail ? rest.slice(0, tail.index) : rest.replace(/; from=<.*$/, '');
    const from = /^(?:RCPT|MAIL|DATA|END-OF-MESSAGE|CONNECT|EHLO|HELO|VRFY|ETRN|BDAT|header \S+|body) from \S+: /.exec(body) ?? /^(?:header|body) .*?: (?=[245]\d\d |[245]\.\d)/.exec(body);
    if (from) body = body.slice(from[0].length);
    const code = /^([245])(\d\d)[ -]/.exec(body);
    const dsn = /^(?:[245]\d\d[ -])?([245]\.\d{1,3}\.\d{1,3}) /.exec(body);
    const e = newEvent(at, 'rejected', qid === 'NOQUEUE' ? undefined : qid);
    e.reply = body;
    if (code) {
      e.code = Number(code[1] + code[2]);
      e.temporary = code[1] === '4';
    } else if (dsn) e.temporary = dsn[1]!.startsWith('4');
    if (dsn) e.dsn = dsn[1]!;
    if (tail) {
      e.sender = tail[1]!;
      e.recipient = tail[2]!;
    }
    const client = /^\S+ from [^[\s]*\[([0-9a-fA-F.:]+)\]/.exec(rest);
    if (client) e.relayIp = client[1]!;
    return e;
  }

  /**
   * A spam score header that header_checks logs with WARN or INFO (postconf(5) header_checks;
   * Rspamd's milter adds X-Spamd-Result "default: False [3.40 / 15.00]" and X-Spam-Score / X-Rspamd-Score "3.40").
   */
  private spamHeader(msg: string): LineResult {
    const m = /header X-(?:Spamd-Result: \w+: \w+ \[(-?\d+(?:\.\d+)?) ?\/|(?:Spam|Rspamd)-Score: (-?\d+(?:\.\d+)?)\b)/.exec(msg);
    if (!m) return LineResult.Ignored;
    this.scores.push(Number(m[1] ?? m[2]));
    return LineResult.Parsed;
  }

  /** rspamd_task_write_log: "… (default: F (no action): [3.40/15.00] [SYMBOLS…]" (rspamd's default log_format). */
  private rspamd(msg: string): LineResult {
    const m = /\(\w+: [TFS] \([^)]*\): \[(-?\d+(?:\.\d+)?)\/-?\d+(?:\.\d+)?\]/.exec(msg);
    if (!m) return LineResult.Ignored;
    this.scores.push(Number(m[1]));
    return LineResult.Parsed;
  }
}
