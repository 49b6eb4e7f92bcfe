/**
 * What every log reader turns a line into: one delivery-health event, in the same vocabulary
 * whichever MTA wrote the log (Postfix, Exim, KumoMTA, our own delivery log).
 */

export const EVENT_KINDS = ['received', 'delivered', 'deferred', 'bounced', 'rejected', 'expired', 'complaint'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface MonitorEvent {
  /** ms since epoch */
  at: number;
  kind: EventKind;
  /** The MTA's queue or message id. */
  queueId?: string;
  /** Envelope sender ("" for the null sender). */
  sender?: string;
  /**
   * The sender's domain, lower-cased, when the reader has it at hand (once per message rather than
   * once per event); otherwise the aggregation takes it from `sender`.
   */
  senderDomain?: string;
  recipient?: string;
  /** The host the MTA handed the message to (MX or relay), without its IP. */
  relay?: string;
  relayIp?: string;
  /** Time from receipt to this outcome (Postfix delay=, KumoMTA timestamp − created). */
  delayMs?: number;
  /** RFC 3463 status the MTA logged (dsn=). */
  dsn?: string;
  /** The reply or reason text, as logged. */
  reply?: string;
  /** The SMTP reply code, when known separately from the text. */
  code?: number;
  /** A connection failure instead of a reply ("Connection refused", "timed out"). */
  networkError?: string;
  /** Where in the transaction the reply came ("in reply to RCPT TO command"). */
  stage?: 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'mail' | 'rcpt' | 'data' | 'message';
  size?: number;
  /** A reject: 4xx (temporary) rather than 5xx. */
  temporary?: boolean;
  /** Spam score logged for the message (Rspamd). */
  score?: number;
}

/**
 * An event with every field present (undefined until set), always in the same order: every event
 * then has one shape, and the aggregation that reads a million of them reads one kind of object.
 */
export function newEvent(at: number, kind: EventKind, queueId: string | undefined): MonitorEvent {
  return {
    at,
    kind,
    queueId,
    sender: undefined,
    senderDomain: undefined,
    recipient: undefined,
    relay: undefined,
    relayIp: undefined,
    delayMs: undefined,
    dsn: undefined,
    reply: undefined,
    code: undefined,
    networkError: undefined,
    stage: undefined,
    size: undefined,
    temporary: undefined,
    score: undefined,
  };
}

/** What a reader made of one line. */
export const enum LineResult {
  /** Produced events or state (a sender, a size). */
  Parsed = 0,
  /** Well-formed but without delivery meaning (connects, other programs). */
  Ignored = 1,
  /** Not understood: counted and shown. */
  Skipped = 2,
  /**
   * Only from a reader told to read a later part of a log on its own: the line needs what earlier
   * parts said about its message, so it is read again after them.
   */
  Later = 3,
}

export interface LogReader {
  readonly format: SourceFormat;
  /** One line (without its newline); events go to `emit`. */
  line(text: string, emit: (e: MonitorEvent) => void): LineResult;
  /** Spam scores seen (Rspamd lines or milter headers), when the reader knows them. */
  scores?: number[];
  /** The next input file of the same run begins (per-message state carries over). */
  nextFile?(opts: { year?: number; refMs?: number }): void;
}

export const SOURCE_FORMATS = ['postfix', 'exim', 'kumomta', 'store'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/** toLowerCase only where there is an upper-case or non-ASCII letter (host and domain names are mostly logged in lower case). */
export function lowerCase(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}

/** Where the domain of `address` starts (after its last "@"), or -1 without one. */
export function domainStart(address: string): number {
  let at = address.length - 1;
  while (at >= 0 && address.charCodeAt(at) !== 64 /* @ */) at--;
  return at < 0 ? -1 : at + 1;
}

export function domainOf(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const d = domainStart(address);
  // Most domains are logged in lower case already: lower-case only those that are not (once per event).
  return d < 0 ? undefined : lowerCase(address.slice(d));
}
