/**
 * Why an SMTP session failed, as a closed vocabulary, and the mapping from nodemailer's error
 * shape ({code: 'ETLS'|'ETIMEDOUT'|…, response, responseCode, command, timeoutType}) to SmtpError.
 */
import { SmtpError } from '../errors.js';
import { tryParseReply, type SmtpReply } from './reply.js';
import type { TranscriptEntry } from './transcript.js';

export const SMTP_ERROR_CODES = {
  SMTP_CONNECT_REFUSED: 'The host refused the TCP connection: nothing listens on the port, or a firewall rejects it.',
  SMTP_CONNECT_TIMEOUT: 'No TCP connection within the timeout: the host is down or the port is filtered (common for port 25 on consumer and cloud networks).',
  SMTP_CONNECT_FAILED: 'The TCP connection failed (network unreachable, reset, bad address).',
  SMTP_GREETING_TIMEOUT: 'Connected, but the server sent no greeting within the timeout (RFC 5321 §4.5.3.2.1 allows it 5 minutes).',
  SMTP_GREETING_REJECTED: 'The greeting was not 220: the server refuses service to this client (RFC 5321 §3.1, 554).',
  SMTP_PROTOCOL_ERROR: 'The server sent something that is not an SMTP reply, or a reply to no command.',
  SMTP_TLS_FAILED: 'The STARTTLS command was refused or the TLS handshake failed (RFC 3207).',
  SMTP_TIMEOUT: 'The server stopped answering in the middle of the session.',
  SMTP_CONNECTION_CLOSED: 'The server closed the connection unexpectedly.',
  SMTP_REPLY_ERROR: 'The server answered a command with a 4xx or 5xx reply (RFC 5321 §4.2.1).',
  SMTP_ABORTED: 'The session was cancelled by the caller.',
} as const;
export type SmtpErrorCode = keyof typeof SMTP_ERROR_CODES;

/** Where in the session it happened. */
export type SmtpPhase = 'connect' | 'greeting' | 'ehlo' | 'starttls' | 'tls-handshake' | 'command' | 'auth' | 'data' | 'quit';

/** An SmtpError that knows its phase, the reply (if one arrived) and the transcript up to the failure. */
export class SmtpSessionError extends SmtpError {
  readonly phase: SmtpPhase;
  readonly reply?: SmtpReply;
  /** The underlying system or TLS error code (ECONNREFUSED, ERR_SSL_…), when there was one. */
  readonly systemCode?: string;
  transcript: TranscriptEntry[] = [];

  constructor(
    code: SmtpErrorCode,
    message: string,
    details: { phase: SmtpPhase; reply?: SmtpReply; command?: string; response?: string; systemCode?: string; cause?: unknown },
  ) {
    // RFC 5321 §4.2.1: a 5yz reply is permanent, 4yz transient; transport failures may pass.
    const temporary = details.reply ? details.reply.code < 500 : true;
    super(
      code,
      message,
      { replyCode: details.reply?.code, enhancedCode: details.reply?.enhanced, command: details.command, response: details.response },
      { temporary, cause: details.cause },
    );
    this.phase = details.phase;
    this.reply = details.reply;
    this.systemCode = details.systemCode;
  }

  get smtpCode(): SmtpErrorCode {
    return this.code as SmtpErrorCode;
  }
}

/** The fields nodemailer puts on its errors (lib/errors.js, smtp-connection _formatError). */
export interface NodemailerErrorLike extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
  timeoutType?: string;
  reason?: string;
}

/** Control and non-ASCII bytes of a hostile reply shown as \\xNN, so messages stay one readable line. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function cleanMessage(m: string, response: string | undefined): string {
  // nodemailer appends ": <response>" to its messages; we keep the reply separately
  let s = response && m.endsWith(`: ${response}`) ? m.slice(0, -response.length - 2) : m;
  s = s.replace(/\.?\s*response=.*$/s, '');
  return s.trim();
}

/**
 * Turns a nodemailer error into an SmtpSessionError. `phase` is our own knowledge of where the
 * session was (nodemailer's `command` is often just "CONN").
 */
export function fromNodemailerError(err: NodemailerErrorLike, phase: SmtpPhase, hostLabel: string): SmtpSessionError {
  const response = typeof err.response === 'string' ? err.response : undefined;
  const reply = response ? tryParseReply(response) : undefined;
  const base = cleanMessage(err.message ?? String(err), response);
  const shown = response ? `: ${printable(response.replace(/\s*\r?\n\s*/g, ' ').slice(0, 300))}` : '';
  const command = err.command && err.command !== 'CONN' && err.command !== 'API' ? err.command : undefined;
  const systemCode = err.originalCode ?? (err.code && !/^E[A-Z]+$/.test(err.code) ? err.code : undefined) ?? (err as { reason?: string }).reason;
  const mk = (code: SmtpErrorCode, text: string) =>
    new SmtpSessionError(code, `${hostLabel}: ${text}${shown}`, { phase, reply, command, response, systemCode, cause: err });

  if (err.code === 'ETIMEDOUT') {
    if (err.timeoutType === 'GREETING_TIMEOUT' || phase === 'greeting') return mk('SMTP_GREETING_TIMEOUT', 'no SMTP greeting within the timeout');
    if (err.timeoutType === 'UPGRADE_TIMEOUT') return mk('SMTP_TLS_FAILED', 'the TLS handshake timed out');
    if (err.timeoutType === 'CONNECT_TIMEOUT') return mk('SMTP_CONNECT_TIMEOUT', 'connection timed out');
    return mk('SMTP_TIMEOUT', `no reply within the timeout (${phase})`);
  }
  if (phase === 'greeting') {
    if (reply) return mk('SMTP_GREETING_REJECTED', `greeting was ${reply.code}, not 220`);
    if (response) return mk('SMTP_PROTOCOL_ERROR', 'the greeting is not an SMTP reply');
    if (err.code === 'ECONNECTION' || err.code === 'ESOCKET') return mk('SMTP_CONNECTION_CLOSED', `connection closed before the greeting (${base})`);
  }
  if (err.code === 'ETLS' || phase === 'tls-handshake' || phase === 'starttls') {
    if (reply && phase === 'starttls') return mk('SMTP_TLS_FAILED', `STARTTLS refused`);
    return mk('SMTP_TLS_FAILED', base.replace(/^Error initiating TLS - /, 'TLS handshake failed: '));
  }
  if (err.code === 'EPROTOCOL') {
    if (reply && reply.code >= 400) return mk('SMTP_REPLY_ERROR', `${phase} failed`);
    return mk('SMTP_PROTOCOL_ERROR', base);
  }
  if (err.code === 'ECONNECTION' || err.code === 'ESOCKET') {
    if (reply && reply.code >= 400) return mk('SMTP_REPLY_ERROR', `${phase} failed`);
    return mk('SMTP_CONNECTION_CLOSED', base);
  }
  if (reply && reply.code >= 400) return mk('SMTP_REPLY_ERROR', base);
  return mk('SMTP_PROTOCOL_ERROR', base);
}
