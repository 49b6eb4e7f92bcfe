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
import { LineResult, type LogReader, type MonitorEvent } from './events.js';
import { ClassicClock, parseSyslog } from './syslog.js';

/**
 * Where the queue id ends (at its ": "), or -1: 5–20 letters and digits (short hex ids, long ids of
 * enable_long_queue_ids) or NOQUEUE. A loop rather than a RegExp: it runs on every line.
 */
function queueIdEnd(msg: string): number {
  const n = Math.min(msg.length - 1, 21);
  for (let i = 0; i < n; i++) {
    const c = msg.charCodeAt(i);
    if (c === 58 /* : */) return i >= 5 && msg.charCodeAt(i + 1) === 32 ? i : -1;
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

/** "host h[ip] said: 550 … (in reply to RCPT TO command)" → code, stage, text; "connect to …: Connection refused" → a network error. */
export function splitPostfixReply(raw: string): { text: string; code?: number; stage?: SmtpStage; networkError?: string } {
  let text = raw;
  let stage: SmtpStage | undefined;
  const inReply = / \(in reply to (.+?) command\)$/.exec(text);
  if (inReply) {
    stage = STAGES[inReply[1]!];
    text = text.slice(0, inReply.index);
  }
  const said = /^host \S+ said: /.exec(text);
  if (said) text = text.slice(said[0].length);
  const code = /^([245]\d\d)[ -]/.exec(text);
  if (code) return { text, code: Number(code[1]), ...(stage ? { stage } : {}) };
  if (!said) {
    // smtp(8) network failures: "connect to h[ip]:25: Connection refused", "lost connection with h[ip] while receiving the initial server greeting",
    // "Host or domain name not found", "conversation with h[ip] timed out while …".
    const net = /^(?:connect to \S+: (.+)|lost connection with \S+ while (.+)|conversation with \S+ timed out while (.+)|(Host or domain name not found.*)|(Name service error.*)|(delivery temporarily suspended: .+))$/.exec(text);
    if (net) {
      const what = net[1] ?? (net[2] ? `lost connection while ${net[2]}` : net[3] ? `timed out while ${net[3]}` : net[4] ?? net[5] ?? net[6]!);
      const during = net[2] ?? net[3] ?? '';
      const st: SmtpStage | undefined = /greeting/.test(during) ? 'greeting' : /HELO|EHLO/.test(during) ? 'ehlo' : /MAIL FROM/.test(during) ? 'mail' : /RCPT TO/.test(during) ? 'rcpt' : /DATA|message/.test(during) ? 'data' : net[1] ? 'connect' : stage;
      return { text, networkError: what, ...(st ? { stage: st } : {}) };
    }
  }
  return { text, ...(stage ? { stage } : {}) };
}

/** relay=mx.example.com[192.0.2.1]:25 → host and IP ("none", "local", "virtual" have no IP). */
function splitRelay(v: string): { relay: string; relayIp?: string } {
  const b = v.indexOf('[');
  if (b < 0) return { relay: v.toLowerCase() };
  const e = v.indexOf(']', b);
  return { relay: v.slice(0, b).toLowerCase(), relayIp: v.slice(b + 1, e < 0 ? undefined : e) };
}

/** The value of ", key=" before the status field (postfix writes to=<…> first, the rest in a fixed order). */
function statusField(msg: string, key: string, from: number, statusAt: number): string | undefined {
  const i = msg.indexOf(key, from);
  if (i < 0 || i > statusAt) return undefined;
  const start = i + key.length;
  const end = msg.indexOf(', ', start);
  return msg.slice(start, end < 0 || end > statusAt ? statusAt : end);
}

export class PostfixReader implements LogReader {
  readonly format = 'postfix' as const;
  readonly scores: number[] = [];
  private readonly clock: ClassicClock;
  /** qid → envelope sender, from qmgr's from= line, until "removed". */
  private readonly senders = new Map<string, string>();
  /** qid → receipt time, from client=/pickup until qmgr names the sender. */
  private readonly pending = new Map<string, number>();

  constructor(opts: { year?: number; refMs?: number }) {
    this.clock = new ClassicClock(opts);
  }

  line(text: string, emit: (e: MonitorEvent) => void): LineResult {
    const s = parseSyslog(text, this.clock);
    if (!s) return text.trim() === '' ? LineResult.Ignored : LineResult.Skipped;
    const program = s.program;
    const slash = program.lastIndexOf('/');
    if (slash < 0) {
      if (program === 'rspamd') return this.rspamd(s.message);
      return LineResult.Ignored;
    }
    // Any "name/…/service" program: Postfix instances and master.cf services have their own names
    // (postfix-out/smtp, postfix/submission/smtpd); lines without a queue id are ignored below.
    const service = (name: string) => program.length === slash + 1 + name.length && program.endsWith(name);
    const qidEnd = queueIdEnd(s.message);
    if (qidEnd < 0) return LineResult.Ignored; // "connect from …", "warning: …", statistics
    const qid = s.message.slice(0, qidEnd);
    const msg = s.message.slice(qidEnd + 2);
    const at = s.at;

    if (msg.startsWith('to=<')) return this.status(qid, at, msg, emit);
    if (msg.startsWith('from=<')) return this.qmgrFrom(qid, at, msg, emit);
    if (msg.startsWith('client=')) {
      if (service('smtpd') || service('postscreen')) this.pending.set(qid, at);
      return LineResult.Parsed;
    }
    if ((msg.startsWith('uid=') || msg.startsWith('sender=')) && service('pickup')) {
      this.pending.set(qid, at);
      return LineResult.Parsed;
    }
    if (msg === 'removed') {
      this.senders.delete(qid);
      this.flushPending(qid, emit);
      return LineResult.Parsed;
    }
    if (msg.startsWith('warning: header X-Spam') || msg.startsWith('info: header X-Spam') || msg.startsWith('warning: header X-Rspamd') || msg.startsWith('info: header X-Rspamd')) {
      return this.spamHeader(msg);
    }
    const c0 = msg.charCodeAt(0);
    const rej = c0 === 114 /* r */ || c0 === 109 /* m */ ? /^(milter-reject|reject): (.*)$/.exec(msg) : null;
    if (rej) {
      if (service('cleanup')) {
        // cleanup(8): "reject: header Subject: …; from=<a> to=<b> …: 550 5.7.1 text", "milter-reject: END-OF-MESSAGE from h[ip]: 5.7.1 Spam; from=<a> to=<b> …"
        if (!/^(header|body|END-OF-MESSAGE) /.test(rej[2]!)) return LineResult.Ignored;
        this.flushPending(qid, emit);
        emit(this.reject(at, qid, rej[2]!));
        return LineResult.Parsed;
      }
      if (service('smtpd') || service('postscreen')) {
        emit(this.reject(at, qid, rej[2]!));
        return LineResult.Parsed;
      }
    }
    return LineResult.Ignored;
  }

  /** At the end of the input: messages received whose sender never showed up still count as received. */
  finish(emit: (e: MonitorEvent) => void): void {
    for (const qid of [...this.pending.keys()]) this.flushPending(qid, emit);
  }

  private flushPending(qid: string, emit: (e: MonitorEvent) => void, sender?: string, size?: number): void {
    const at = this.pending.get(qid);
    if (at === undefined) return;
    this.pending.delete(qid);
    emit({ at, kind: 'received', queueId: qid, ...(sender !== undefined ? { sender } : {}), ...(size !== undefined ? { size } : {}) });
  }

  private qmgrFrom(qid: string, at: number, msg: string, emit: (e: MonitorEvent) => void): LineResult {
    const close = msg.indexOf('>, ');
    if (close < 0) return LineResult.Skipped;
    const sender = msg.slice(6, close);
    const rest = msg.slice(close + 3);
    if (rest.startsWith('size=')) {
      const size = Number(/^size=(\d+)/.exec(rest)?.[1] ?? NaN);
      this.senders.set(qid, sender);
      this.flushPending(qid, emit, sender, Number.isNaN(size) ? undefined : size);
      return LineResult.Parsed;
    }
    if (rest.startsWith('status=expired')) {
      // qmgr: "from=<a@b>, status=expired, returned to sender": the whole message gave up.
      emit({ at, kind: 'expired', queueId: qid, sender, reply: rest.slice(rest.indexOf(',') + 2) || 'expired' });
      return LineResult.Parsed;
    }
    return LineResult.Ignored;
  }

  private status(qid: string, at: number, msg: string, emit: (e: MonitorEvent) => void): LineResult {
    const si = msg.indexOf(', status=');
    if (si < 0) return LineResult.Skipped;
    // to=<…> may hold ", " inside a quoted local part: read it up to its closing bracket.
    const toEnd = msg.indexOf('>, ', 4);
    const recipient = toEnd < 0 ? undefined : msg.slice(4, toEnd);
    const from = toEnd < 0 ? 0 : toEnd;
    const after = msg.slice(si + 9);
    const sp = after.indexOf(' ');
    const status = sp < 0 ? after : after.slice(0, sp);
    let reply = '';
    if (sp >= 0) {
      const open = after.indexOf('(', sp);
      if (open >= 0) reply = after.slice(open + 1, after.endsWith(')') ? -1 : undefined);
    }
    const kind = status === 'sent' ? 'delivered' : status === 'deferred' ? 'deferred' : status === 'bounced' ? 'bounced' : status === 'expired' ? 'expired' : undefined;
    if (kind === undefined) return LineResult.Ignored; // status=deliverable/undeliverable (address verification), softbounce …
    if (kind === 'delivered' && /^forwarded as /.test(reply)) return LineResult.Ignored; // pflogsumm's "forwarded", not a delivery
    const delayText = statusField(msg, ', delay=', from, si);
    const relay = statusField(msg, ', relay=', from, si);
    const split = splitPostfixReply(reply);
    const e: MonitorEvent = { at, kind, queueId: qid };
    const sender = this.senders.get(qid);
    if (sender !== undefined) e.sender = sender;
    if (recipient !== undefined) e.recipient = recipient;
    if (relay !== undefined) Object.assign(e, splitRelay(relay));
    if (delayText !== undefined) {
      const delay = Number(delayText);
      if (!Number.isNaN(delay)) e.delayMs = delay * 1000;
    }
    const dsn = statusField(msg, ', dsn=', from, si);
    if (dsn !== undefined) e.dsn = dsn;
    e.reply = split.text;
    if (split.code !== undefined) e.code = split.code;
    if (split.stage !== undefined) e.stage = split.stage as MonitorEvent['stage'];
    if (split.networkError !== undefined) e.networkError = split.networkError;
    emit(e);
    return LineResult.Parsed;
  }

  /** "RCPT from h[ip]: 450 4.2.0 <a@b>: Recipient address rejected: Greylisted …; from=<x> to=<a@b> proto=ESMTP helo=<h>" */
  private reject(at: number, qid: string, rest: string): MonitorEvent {
    const tail = /; from=<([^>]*)> to=<([^>]*)>/.exec(rest);
    let body = tail ? rest.slice(0, tail.index) : rest.replace(/; from=<.*$/, '');
    const from = /^(?:RCPT|MAIL|DATA|END-OF-MESSAGE|CONNECT|EHLO|HELO|VRFY|ETRN|BDAT|header \S+|body) from \S+: /.exec(body) ?? /^(?:header|body) .*?: (?=[245]\d\d |[245]\.\d)/.exec(body);
    if (from) body = body.slice(from[0].length);
    const code = /^([245])(\d\d)[ -]/.exec(body);
    const dsn = /^(?:[245]\d\d[ -])?([245]\.\d{1,3}\.\d{1,3}) /.exec(body);
    const e: MonitorEvent = { at, kind: 'rejected', reply: body };
    if (qid !== 'NOQUEUE') e.queueId = qid;
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
