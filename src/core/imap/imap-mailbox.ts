/**
 * One IMAP mailbox over imapflow: log in, select, search, fetch without setting \Seen, flag, move.
 * Every failure becomes one typed error with a one-line message: a missing mailbox is the user's
 * to fix (UsageError, exit 2); a server that cannot be reached, refuses the login, fails TLS or does
 * not speak IMAP is "could not complete" (NetworkError, exit 3) — the same for `bounce fetch` and
 * `placement`, whose seeds' logins are checked the same way. The password is handed to
 * imapflow and nowhere else: never logged (logger: false), never in a message.
 */
import { rootCertificates } from 'node:tls';
import { ImapFlow, type FetchMessageObject } from 'imapflow';
import { MailpaceError, NetworkError, UsageError } from '../errors.js';
import type { ImapTarget } from './imap-url.js';

/** How to protect the login on an imap:// (not imaps://) URL. */
export const IMAP_TLS_MODES = ['required', 'opportunistic', 'none'] as const;
export type ImapTlsMode = (typeof IMAP_TLS_MODES)[number];

export interface ImapConnectOptions {
  target: ImapTarget;
  password: string;
  /** imap:// only: required → STARTTLS or nothing; opportunistic → when offered; none → never. */
  tls: ImapTlsMode;
  /** Extra trusted CAs (PEM), added to the system's. */
  caPem?: string;
  timeoutMs: number;
  /** Select read-only (EXAMINE): the run changes nothing in the mailbox. */
  readOnly: boolean;
}

type ImapFlowFailure = Error & {
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  mailboxMissing?: boolean;
  command?: string;
};

/** Node's certificate-verification failures (tls.TLSSocket#authorizationError codes). */
const CERT_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|EPROTO|ERR_SSL/;
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'CONNECT_TIMEOUT', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

export function imapFailure(err: unknown, t: ImapTarget, doing: string): MailpaceError {
  if (err instanceof MailpaceError) return err;
  const e = err as ImapFlowFailure;
  const where = `${t.host}:${t.port}`;
  const text = (e.responseText || e.message || String(err)).replace(/\s+/g, ' ').trim();
  if (e.authenticationFailed) {
    // RFC 5530 §3: UNAVAILABLE is a temporary failure of the server's authentication backend
    if (e.serverResponseCode === 'UNAVAILABLE') return new NetworkError('IMAP_AUTH_UNAVAILABLE', `IMAP server ${where} could not check the login now: ${text}`, { cause: err });
    // The mailbox could not be read: exit 3, as any other IMAP that could not be reached. Not
    // temporary: retrying with the same password will not help.
    return new NetworkError('IMAP_LOGIN_REFUSED', `IMAP login refused for user "${t.user}" at ${where}: ${text}`, {
      cause: err,
      temporary: false,
      hint: 'check the user in --imap and the password in MAILPACE_IMAP_PASSWORD or --password-file',
    });
  }
  const code = e.code ?? '';
  // A session that was up and then closed (the server crashed, restarted or the link failed) is not
  // a server that does not speak IMAP.
  if (doing !== 'connect' && (code === 'NoConnection' || code === 'EConnectionClosed' || code === 'ECONNRESET' || code === 'EPIPE')) {
    return new NetworkError('IMAP_CONNECTION_LOST', `the connection to IMAP server ${where} was lost during ${doing}: ${text}`, { cause: err });
  }
  if (UNREACHABLE.has(code)) {
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'no such host' : code === 'CONNECT_TIMEOUT' || code === 'ETIMEDOUT' ? 'timed out' : code.toLowerCase();
    return new NetworkError('IMAP_UNREACHABLE', `cannot connect to IMAP server ${where}: ${why}`, { cause: err });
  }
  if (e.tlsFailed || CERT_ERRORS.test(code)) {
    const starttlsMissing = /STARTTLS/i.test(text) && /not (?:supported|advertised|available)|does not (?:support|advertise)/i.test(text);
    // OpenSSL's record-layer errors when the peer answers in plaintext: an imaps:// URL on a plain port
    const notTls = /wrong version number|packet length too long|unknown protocol|http request/i.test(text);
    return new NetworkError('IMAP_TLS', `TLS with IMAP server ${where} failed: ${notTls ? 'the server did not answer in TLS' : text}`, {
      cause: err,
      temporary: false,
      hint: starttlsMissing
        ? 'the server offers no STARTTLS: use imaps://, or --tls none on a trusted network'
        : notTls
          ? 'is this the plain IMAP port? use imap:// there (STARTTLS), imaps:// on the implicit-TLS port (993)'
          : 'a private CA? give it with --ca-file',
    });
  }
  if (e.mailboxMissing || e.serverResponseCode === 'NONEXISTENT') return new UsageError(`mailbox "${t.mailbox}" does not exist on ${where}`, { cause: err });
  if (code === 'GREETING_TIMEOUT' || code === 'ETIMEOUT' || code.startsWith('ParserError') || code === 'InvalidResponse' || code === 'UnexpectedTag' || code === 'MissingTag' || code === 'EConnectionClosed' || code === 'NoConnection' || code.startsWith('ClosedAfterConnect') || code === 'LineTooLarge') {
    return new NetworkError('IMAP_PROTOCOL', `${where} did not answer as an IMAP server (${doing}): ${text}`, { cause: err });
  }
  return new NetworkError('IMAP_FAILED', `IMAP ${doing} on ${where} failed: ${text}`, { cause: err });
}

/** A selected mailbox; implements bounce/mailbox-fetch.ts's RemoteMailbox. */
export class ImapMailbox {
  private createdFolders = new Set<string>();
  private failure: unknown;

  private constructor(
    private readonly client: ImapFlow,
    readonly target: ImapTarget,
  ) {
    // imapflow reports socket failures as 'error' events as well; keep the first for the message
    client.on('error', (err: unknown) => {
      this.failure ??= err;
    });
  }

  static async open(o: ImapConnectOptions): Promise<ImapMailbox> {
    const t = o.target;
    const client = new ImapFlow({
      host: t.host,
      port: t.port,
      secure: t.secure,
      ...(t.secure ? {} : o.tls === 'required' ? { doSTARTTLS: true } : o.tls === 'none' ? { doSTARTTLS: false } : {}),
      auth: { user: t.user, pass: o.password },
      logger: false,
      disableAutoIdle: true,
      tls: { rejectUnauthorized: true, ...(o.caPem ? { ca: [...rootCertificates, o.caPem] } : {}) },
      connectionTimeout: o.timeoutMs,
      greetingTimeout: o.timeoutMs,
      // a socket silent for this long mid-command: a FETCH of a large message still makes progress
      socketTimeout: Math.max(o.timeoutMs * 6, 30_000),
    });
    const box = new ImapMailbox(client, t);
    try {
      await client.connect();
    } catch (err) {
      client.close();
      throw imapFailure(box.failure && !(err as ImapFlowFailure).authenticationFailed ? box.failure : err, t, 'connect');
    }
    try {
      await client.mailboxOpen(t.mailbox, { readOnly: o.readOnly });
    } catch (err) {
      await box.close();
      throw imapFailure(err, t, `SELECT ${t.mailbox}`);
    }
    return box;
  }

  /** UIDs matching the query, ascending (RFC 9051 §6.4.4 UID SEARCH). */
  async search(q: { unseenOnly: boolean; since?: Date }): Promise<number[]> {
    try {
      const found = await this.client.search({ ...(q.unseenOnly ? { seen: false } : { all: true }), ...(q.since ? { since: q.since } : {}) }, { uid: true });
      return (found || []).slice().sort((a, b) => a - b);
    } catch (err) {
      throw imapFailure(err, this.target, 'SEARCH');
    }
  }

  /** Whole messages; imapflow fetches BODY.PEEK[] for `source`, which leaves \Seen alone (RFC 9051 §6.4.5). */
  async *fetch(uids: readonly number[]): AsyncGenerator<{ uid: number; raw: Uint8Array }> {
    if (uids.length === 0) return;
    try {
      for await (const msg of this.client.fetch(uids.join(','), { uid: true, source: true }, { uid: true }) as AsyncGenerator<FetchMessageObject>) {
        if (msg.source) yield { uid: msg.uid, raw: msg.source };
      }
    } catch (err) {
      throw imapFailure(err, this.target, 'FETCH');
    }
  }

  async markSeen(uids: readonly number[]): Promise<void> {
    try {
      await this.client.messageFlagsAdd(uids.join(','), ['\\Seen'], { uid: true });
    } catch (err) {
      throw imapFailure(err, this.target, 'STORE +FLAGS (\\Seen)');
    }
  }

  /** UID MOVE (RFC 6851; imapflow falls back to COPY + EXPUNGE); creates the folder on TRYCREATE. */
  async move(uids: readonly number[], folder: string): Promise<void> {
    const range = uids.join(',');
    try {
      try {
        const r = await this.client.messageMove(range, folder, { uid: true });
        if (r === false) throw Object.assign(new Error(`could not move messages to "${folder}"`), { serverResponseCode: 'TRYCREATE' });
      } catch (err) {
        // RFC 9051 §7.1: [TRYCREATE] — the target does not exist yet; create it once and retry
        if ((err as ImapFlowFailure).serverResponseCode !== 'TRYCREATE' || this.createdFolders.has(folder)) throw err;
        this.createdFolders.add(folder);
        await this.client.mailboxCreate(folder);
        const r = await this.client.messageMove(range, folder, { uid: true });
        if (r === false) throw new Error(`could not move messages to "${folder}"`);
      }
    } catch (err) {
      throw imapFailure(err, this.target, `MOVE to ${folder}`);
    }
  }

  /** Switches to another mailbox of the same login (SELECT, or EXAMINE when read-only). */
  async select(mailbox: string, readOnly: boolean): Promise<void> {
    try {
      await this.client.mailboxOpen(mailbox, { readOnly });
    } catch (err) {
      throw imapFailure(err, { ...this.target, mailbox }, `SELECT ${mailbox}`);
    }
  }

  /** The mailboxes of this login that can be selected, with their RFC 6154 special use (\\Junk…). */
  async listMailboxes(): Promise<{ path: string; specialUse: string | null }[]> {
    try {
      const list = await this.client.list();
      return list.filter((m) => !m.flags.has('\\Noselect') && !m.flags.has('\\NonExistent')).map((m) => ({ path: m.path, specialUse: m.specialUse ?? null }));
    } catch (err) {
      throw imapFailure(err, this.target, 'LIST');
    }
  }

  /** UIDs of the selected mailbox's messages whose header field `name` contains `value` (RFC 9051 §6.4.4 HEADER). */
  async searchHeader(name: string, value: string): Promise<number[]> {
    try {
      const found = await this.client.search({ header: { [name]: value } }, { uid: true });
      return (found || []).slice().sort((a, b) => a - b);
    } catch (err) {
      throw imapFailure(err, this.target, 'SEARCH HEADER');
    }
  }

  /** The header block and INTERNALDATE (when the server stored the message) of one message, without setting \\Seen. */
  async fetchHeaders(uid: number): Promise<{ headers: Buffer; internalDate: Date | null } | undefined> {
    try {
      const msg = await this.client.fetchOne(String(uid), { uid: true, headers: true, internalDate: true }, { uid: true });
      if (!msg || !msg.headers) return undefined;
      const d = msg.internalDate;
      return { headers: msg.headers, internalDate: d instanceof Date ? d : typeof d === 'string' ? new Date(d) : null };
    } catch (err) {
      throw imapFailure(err, this.target, 'FETCH');
    }
  }

  /** Whether the server offers IDLE (RFC 2177). */
  get canIdle(): boolean {
    return this.client.capabilities.has('IDLE');
  }

  /**
   * IDLE on the selected mailbox (RFC 2177) until the server reports a new message (EXISTS) or `ms`
   * pass; true when something arrived. IDLE ends the way RFC 2177 §3 says: by the next command
   * (a NOOP here), which imapflow precedes with DONE. An abort of `signal` ends it the same way.
   */
  async idleFor(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return false;
    let news = false;
    const wake = () => void this.client.noop().catch(() => undefined);
    const onExists = () => {
      news = true;
      wake();
    };
    this.client.on('exists', onExists);
    const timer = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
    try {
      await this.client.idle();
    } catch (err) {
      throw imapFailure(err, this.target, 'IDLE');
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      this.client.off('exists', onExists);
    }
    return news;
  }

  /** \\Deleted, then expunged (UID EXPUNGE with UIDPLUS, RFC 4315 §2.1): only these messages go. */
  async deleteMessages(uids: readonly number[]): Promise<void> {
    if (uids.length === 0) return;
    try {
      await this.client.messageDelete(uids.join(','), { uid: true });
    } catch (err) {
      throw imapFailure(err, this.target, 'STORE +FLAGS (\\Deleted) / EXPUNGE');
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.logout();
    } catch {
      this.client.close();
    }
  }
}
