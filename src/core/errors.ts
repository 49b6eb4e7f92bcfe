/**
 * Typed errors. Every error carries a stable code and whether retrying could help
 * (temporary) — the axis that decides between "try later" and "fix something".
 */
export interface MailpaceErrorOptions {
  temporary?: boolean;
  cause?: unknown;
  /** A hint the CLI prints after the message: what the user can do next. */
  hint?: string;
}

export class MailpaceError extends Error {
  readonly code: string;
  readonly temporary: boolean;
  readonly hint?: string;
  constructor(code: string, message: string, opts: MailpaceErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.temporary = opts.temporary ?? false;
    this.hint = opts.hint;
  }
}

/** Bad flags, bad arguments, unreadable or malformed input: exit 2. */
export class UsageError extends MailpaceError {
  constructor(message: string, opts: MailpaceErrorOptions = {}) {
    super('USAGE', message, opts);
  }
}

export type DnsErrorCode =
  | 'DNS_TIMEOUT'
  | 'DNS_SERVFAIL'
  | 'DNS_REFUSED'
  | 'DNS_FORMERR'
  | 'DNS_NOTIMP'
  | 'DNS_BAD_RESPONSE'
  | 'DNS_NETWORK'
  | 'DNS_NO_SERVERS';

/** A DNS lookup that could not produce an answer (not NXDOMAIN/NODATA: those are answers). */
export class DnsError extends MailpaceError {
  readonly qname: string;
  readonly qtype: string;
  constructor(code: DnsErrorCode, qname: string, qtype: string, message: string, opts: MailpaceErrorOptions = {}) {
    super(code, message, { temporary: opts.temporary ?? code !== 'DNS_NO_SERVERS', ...opts });
    this.qname = qname;
    this.qtype = qtype;
  }
}

/** A network operation (TCP connect, HTTP fetch) that failed: exit 3 when nothing else could be concluded. */
export class NetworkError extends MailpaceError {
  constructor(code: string, message: string, opts: MailpaceErrorOptions = {}) {
    super(code, message, { temporary: opts.temporary ?? true, ...opts });
  }
}

/** An SMTP reply or transport failure, with the reply parts kept apart. */
export class SmtpError extends MailpaceError {
  readonly replyCode?: number;
  readonly enhancedCode?: string;
  readonly command?: string;
  readonly response?: string;
  constructor(
    code: string,
    message: string,
    details: { replyCode?: number; enhancedCode?: string; command?: string; response?: string } = {},
    opts: MailpaceErrorOptions = {},
  ) {
    // RFC 5321 §4.2.1: 4yz is transient, 5yz permanent. Transport errors default to temporary.
    const temporary = opts.temporary ?? (details.replyCode === undefined ? true : details.replyCode < 500);
    super(code, message, { ...opts, temporary });
    this.replyCode = details.replyCode;
    this.enhancedCode = details.enhancedCode;
    this.command = details.command;
    this.response = details.response;
  }
}

export function isMailpaceError(err: unknown): err is MailpaceError {
  return err instanceof MailpaceError;
}
