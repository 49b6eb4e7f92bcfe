/**
 * KumoMTA's JSON log records, one per line (https://docs.kumomta.com/reference/log_record/):
 * type Reception, Delivery, TransientFailure, Bounce, Expiration, AdminBounce, OOB, Feedback, Rejection;
 * `timestamp` and `created` are Unix seconds (RFC 3339 strings are accepted too); `response` has
 * `code`, `enhanced_code {class, subject, detail}`, `content`, `command`; `peer_address {name,
 * addr}`; `site` the MX site. Delay to delivery = timestamp − created. Files are zstd-compressed
 * segments by default (kumo.configure_local_logs, `compression_level`), read by line-source.ts.
 */
import { LineResult, type EventKind, type LogReader, type MonitorEvent } from './events.js';

const KINDS: Readonly<Record<string, EventKind>> = {
  Reception: 'received',
  Delivery: 'delivered',
  TransientFailure: 'deferred',
  Bounce: 'bounced',
  AdminBounce: 'bounced',
  OOB: 'bounced',
  Expiration: 'expired',
  Feedback: 'complaint',
  // An inbound SMTP refusal by KumoMTA itself (newer versions log it), as Postfix's smtpd rejects.
  Rejection: 'rejected',
};

const COMMAND_STAGE: Readonly<Record<string, MonitorEvent['stage']>> = {
  'MAIL FROM': 'mail',
  'RCPT TO': 'rcpt',
  DATA: 'data',
  '.': 'message',
  EHLO: 'ehlo',
  STARTTLS: 'starttls',
};

function time(v: unknown): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

export class KumoReader implements LogReader {
  readonly format = 'kumomta' as const;

  line(text: string, emit: (e: MonitorEvent) => void): LineResult {
    if (text.trim() === '') return LineResult.Ignored;
    let r: Record<string, any>;
    try {
      r = JSON.parse(text);
    } catch {
      return LineResult.Skipped;
    }
    if (typeof r !== 'object' || r === null || typeof r.type !== 'string') return LineResult.Skipped;
    const kind = KINDS[r.type];
    if (kind === undefined) return LineResult.Ignored; // types added later
    const at = time(r.timestamp);
    if (Number.isNaN(at)) return LineResult.Skipped;
    const e: MonitorEvent = { at, kind };
    if (typeof r.id === 'string') e.queueId = r.id;
    if (typeof r.sender === 'string') e.sender = r.sender;
    const rcpt = Array.isArray(r.recipient) ? r.recipient[0] : r.recipient;
    if (typeof rcpt === 'string') e.recipient = rcpt;
    if (typeof r.size === 'number') e.size = r.size;
    const peer = r.peer_address;
    if (peer && typeof peer === 'object') {
      if (typeof peer.name === 'string' && peer.name !== '') e.relay = peer.name.replace(/\.$/, '').toLowerCase();
      if (typeof peer.addr === 'string') e.relayIp = peer.addr.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    }
    if (e.relay === undefined && typeof r.site === 'string' && r.site !== '') {
      // "source->(alt1|alt2)?.gmail-smtp-in.l.google.com." → the host part after the pool and the alternation
      const host = r.site.replace(/^.*->/, '').replace(/^\([^)]*\)\??\.?/, '').replace(/\.$/, '');
      if (host) e.relay = host.toLowerCase();
    }
    const created = time(r.created);
    if (kind === 'delivered' && !Number.isNaN(created)) e.delayMs = Math.max(0, at - created);
    const resp = r.response;
    if (resp && typeof resp === 'object' && kind !== 'received' && kind !== 'complaint') {
      if (kind === 'rejected') e.temporary = typeof resp.code === 'number' && resp.code < 500;
      const ec = resp.enhanced_code;
      const enhanced = ec && typeof ec === 'object' ? `${ec.class}.${ec.subject}.${ec.detail}` : undefined;
      const content = typeof resp.content === 'string' ? resp.content : '';
      const code = typeof resp.code === 'number' ? resp.code : undefined;
      e.reply = `${code ?? ''}${enhanced ? ` ${enhanced}` : ''} ${content}`.trim();
      if (code !== undefined) e.code = code;
      if (enhanced !== undefined) e.dsn = enhanced;
      if (typeof resp.command === 'string') {
        const st = COMMAND_STAGE[resp.command.trim().toUpperCase().replace(/:.*$/, '')];
        if (st) e.stage = st;
      }
      // KumoMTA reports connection failures as 4xx/5xx with "KumoMTA internal" text and no command.
      if (/KumoMTA internal|failed to connect|connection refused|timed out/i.test(content) && resp.command == null) e.networkError = content;
    }
    emit(e);
    return LineResult.Parsed;
  }
}
