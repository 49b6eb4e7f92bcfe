/**
 * Exim's main log → events (Exim specification, chapter "Log files", section "Log line flags":
 * "<=" arrival, "=>" normal delivery, "->" additional address in the same delivery, "*>" delivery
 * suppressed by -N, "**" delivery failed, "==" delivery deferred; fields R= router, T= transport,
 * H= host [ip], S= size, C= confirmation, QT= time on queue, DT= delivery time; rejected RCPT/
 * connections without a message id). Time stamps are local time unless +tz is logged; the message
 * id is the classic 16-character "1rg0bA-0004Xy-9B" or the 4.97+ 23-character form.
 */
import { LineResult, type LogReader, type MonitorEvent } from './events.js';
import { splitSmtpText } from './smtp-text.js';

const HEAD = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{3}))?(?: ([+-])(\d\d)(\d\d))? (?:\[\d+\] )?/;
const MSG_ID = /^([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4}) /;

/** Exim durations: "3s", "1m2s", "2h3m", "1d2h", "0.512s" (with +millisec). */
export function eximDuration(v: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)([wdhms])/g;
  let ms = 0;
  let seen = false;
  for (const m of v.matchAll(re)) {
    seen = true;
    ms += Number(m[1]) * { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }[m[2] as 'w' | 'd' | 'h' | 'm' | 's'];
  }
  return seen ? ms : undefined;
}

/** Value of " K=…" (quoted or not). */
function field(rest: string, key: string): string | undefined {
  const i = rest.indexOf(` ${key}=`);
  if (i < 0) return undefined;
  const s = i + key.length + 2;
  if (rest[s] === '"') {
    const e = rest.indexOf('"', s + 1);
    return rest.slice(s + 1, e < 0 ? undefined : e);
  }
  const e = rest.indexOf(' ', s);
  return rest.slice(s, e < 0 ? undefined : e);
}

export class EximReader implements LogReader {
  readonly format = 'exim' as const;
  private readonly senders = new Map<string, string>();

  line(text: string, emit: (e: MonitorEvent) => void): LineResult {
    const h = HEAD.exec(text);
    if (!h) return text.trim() === '' ? LineResult.Ignored : LineResult.Skipped;
    const [, y, mo, d, hh, mi, ss, mss, sign, tzh, tzm] = h;
    let at: number;
    if (sign !== undefined) {
      const off = (Number(tzh) * 60 + Number(tzm)) * 60_000 * (sign === '-' ? -1 : 1);
      at = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mi), Number(ss), Number(mss ?? 0)) - off;
    } else at = new Date(Number(y), Number(mo) - 1, Number(d), Number(hh), Number(mi), Number(ss), Number(mss ?? 0)).getTime();
    const body = text.slice(h[0].length);
    const idm = MSG_ID.exec(body);
    if (!idm) {
      // "H=(helo) [192.0.2.1] F=<a@b> rejected RCPT <c@d>: relay not permitted"
      const rej = / rejected (RCPT|MAIL|after DATA|EHLO|HELO|connection)[^:]*: (.*)$/.exec(body) ?? /^(?:.* )?rejected (RCPT|MAIL|EHLO|HELO) .*?: (.*)$/.exec(body);
      if (rej) {
        const f = /F=<([^>]*)>/.exec(body);
        const r = /rejected RCPT <([^>]*)>/.exec(body);
        const ip = /\[([0-9a-fA-F.:]+)\]/.exec(body);
        const temp = /temporarily rejected/.test(body);
        emit({ at, kind: 'rejected', reply: rej[2]!, temporary: temp, ...(f ? { sender: f[1]! } : {}), ...(r ? { recipient: r[1]! } : {}), ...(ip ? { relayIp: ip[1]! } : {}) });
        return LineResult.Parsed;
      }
      return LineResult.Ignored;
    }
    const id = idm[1]!;
    const rest = body.slice(idm[0].length);
    const flag = rest.slice(0, 3);
    if (flag === '<= ') {
      const sp = rest.indexOf(' ', 3);
      const sender = rest.slice(3, sp < 0 ? undefined : sp);
      const s = sender === '<>' ? '' : sender;
      this.senders.set(id, s);
      const size = Number(field(rest, 'S'));
      emit({ at, kind: 'received', queueId: id, sender: s, ...(Number.isFinite(size) ? { size } : {}) });
      return LineResult.Parsed;
    }
    if (flag === '=> ' || flag === '-> ' || flag === '== ' || flag === '** ') {
      const m = /^\S+ (\S+)/.exec(rest);
      const recipient = m ? m[1]!.replace(/^<|>$/g, '') : undefined;
      const e: MonitorEvent = { at, kind: flag === '== ' ? 'deferred' : flag === '** ' ? 'bounced' : 'delivered', queueId: id };
      if (recipient !== undefined) e.recipient = recipient;
      const sender = this.senders.get(id);
      if (sender !== undefined) e.sender = sender;
      const host = / H=(\S+)(?: \[([0-9a-fA-F.:]+)\])?/.exec(rest);
      if (host) {
        e.relay = host[1]!.replace(/^\(|\)$/g, '').toLowerCase();
        if (host[2]) e.relayIp = host[2];
      }
      const qt = field(rest, 'QT');
      const delay = qt === undefined ? undefined : eximDuration(qt);
      if (delay !== undefined) e.delayMs = delay;
      if (e.kind === 'delivered') {
        const c = field(rest, 'C');
        if (c !== undefined) e.reply = c;
      } else {
        const colon = rest.indexOf(': ');
        const reason = colon < 0 ? rest : rest.slice(colon + 2);
        if (/retry timeout exceeded/i.test(reason)) e.kind = 'expired';
        Object.assign(e, splitSmtpText(reason));
      }
      emit(e);
      return LineResult.Parsed;
    }
    return LineResult.Ignored; // "Completed", "*>", SMTP connection notes
  }
}
