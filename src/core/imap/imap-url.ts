/**
 * `--imap imaps://user@host[:port]/Mailbox`: the server, the user and the mailbox of an IMAP URL
 * (RFC 5092 §3 form, without ;AUTH= and without a password — secrets never go on the command line).
 */
export interface ImapTarget {
  host: string;
  port: number;
  /** Implicit TLS (imaps://, RFC 8314 §3.3); else STARTTLS on the plain port per --tls. */
  secure: boolean;
  user: string;
  mailbox: string;
}

export const IMAP_PORT = 143;
export const IMAPS_PORT = 993;

export function parseImapUrl(value: string, flag = '--imap'): ImapTarget | { error: string } {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return { error: `${flag} "${value}" is not a URL (use imaps://user@host[:port]/INBOX)` };
  }
  if (u.protocol !== 'imap:' && u.protocol !== 'imaps:') return { error: `${flag} "${value}": the scheme must be imaps:// or imap://` };
  if (u.password) return { error: `${flag} must not carry a password: set MAILPACE_IMAP_PASSWORD or give --password-file` };
  if (!u.username) return { error: `${flag} "${value}" has no user (use imaps://user@host/INBOX; an @ in the user name is written %40)` };
  if (!u.hostname) return { error: `${flag} "${value}" has no host` };
  if (u.search || u.hash) return { error: `${flag} "${value}": only imap[s]://user@host[:port]/Mailbox is accepted` };
  let user: string;
  let mailbox: string;
  try {
    // RFC 5092 §3: the user (enc-user) and the mailbox are percent-encoded; ";AUTH=" is not supported
    user = decodeURIComponent(u.username);
    mailbox = decodeURIComponent(u.pathname.replace(/^\//, '').replace(/\/$/, ''));
  } catch {
    return { error: `${flag} "${value}": bad percent-encoding` };
  }
  if (/;auth=/i.test(user)) return { error: `${flag} "${value}": ;AUTH= is not supported (the login is the user name and a password)` };
  if (/;uid=|;uidvalidity=/i.test(mailbox)) return { error: `${flag} "${value}": give a mailbox, not a message (no ;UID=)` };
  const secure = u.protocol === 'imaps:';
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : secure ? IMAPS_PORT : IMAP_PORT,
    secure,
    user,
    mailbox: mailbox === '' ? 'INBOX' : mailbox,
  };
}

/** The URL of a mailbox (no password), or of one message in it (RFC 5092 §3 ";UID="). */
export function imapUrl(t: ImapTarget, uid?: number): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const port = t.port === (t.secure ? IMAPS_PORT : IMAP_PORT) ? '' : `:${t.port}`;
  const box = t.mailbox.split('/').map(encodeURIComponent).join('/');
  return `${t.secure ? 'imaps' : 'imap'}://${encodeURIComponent(t.user)}@${host}${port}/${box}${uid === undefined ? '' : `/;UID=${uid}`}`;
}
