/**
 * The SMTP envelope Rspamd scores a message under: the connecting IP, HELO name, reverse-DNS host
 * name, MAIL FROM, RCPT TO and SMTP AUTH user. Flags win; what is not given is taken from the
 * message where that is sensible: MAIL FROM from Return-Path or From, RCPT TO from To/Cc/Bcc, and
 * IP/HELO/host name from the newest Received header that records an outside client (the host name
 * there is the one that receiving MTA verified; "unknown" is none). With neither, the engine looks the
 * IP's forward-confirmed reverse DNS up (reverse-dns.ts); envelopeHeaders sends a Hostname only for a
 * verified name, as Rspamd's milter does.
 */
import { ipFamily } from '../net/ip-address.js';
import { addressParser } from 'postal-mime';
import { UsageError } from '../errors.js';
import type { RawHeader } from './mime-structure.js';

export interface Envelope {
  ip?: string;
  helo?: string;
  hostname?: string;
  from?: string;
  rcpt: string[];
  user?: string;
}

export interface EnvelopeFlags {
  ip?: string;
  helo?: string;
  hostname?: string;
  from?: string;
  rcpt?: readonly string[];
  user?: string;
}

export type EnvelopeSource = 'flag' | 'message';

export interface ResolvedEnvelope extends Envelope {
  /** Where each field came from. */
  sources: Partial<Record<keyof Envelope, EnvelopeSource>>;
}

/**
 * The client name an MTA gives when it could not verify one (Postfix's client_name; Postfix's own
 * Received header says "unknown" too). Never sent: see envelopeHeaders.
 */
export const UNKNOWN_HOSTNAME = 'unknown';

/** Header values may not hold line breaks or NUL: they would split the HTTP header (RFC 9110 §5.5). */
export function validateEnvelopeFlags(flags: EnvelopeFlags): void {
  const check = (name: string, v: string | undefined) => {
    if (v !== undefined && /[\r\n\0]/.test(v)) throw new UsageError(`--${name} must not contain line breaks`);
  };
  check('ip', flags.ip);
  check('helo', flags.helo);
  check('hostname', flags.hostname);
  check('from', flags.from);
  check('user', flags.user);
  for (const r of flags.rcpt ?? []) check('rcpt', r);
  if (flags.ip !== undefined && ipFamily(flags.ip.replace(/^\[|\]$/g, '')) === 0) {
    throw new UsageError(`--ip "${flags.ip}" is not an IPv4 or IPv6 address`);
  }
}

function addresses(value: string | undefined): string[] {
  if (!value) return [];
  try {
    return addressParser(Buffer.from(value, 'latin1').toString('utf8'), { flatten: true })
      .map((a) => a.address ?? '')
      .filter((a) => a.includes('@'));
  } catch {
    return [];
  }
}

/** RFC 1918, loopback, link-local, CGNAT and ULA: a hop inside the sender's own network. */
function isInternal(ip: string): boolean {
  if (ipFamily(ip) === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127) || a === 0;
  }
  const l = ip.toLowerCase();
  return l === '::1' || l.startsWith('fe80:') || l.startsWith('fc') || l.startsWith('fd') || l === '::';
}

export interface ReceivedHop {
  helo?: string;
  hostname?: string;
  ip?: string;
}

/**
 * Reads the client of a Received header (RFC 5321 §4.4): Postfix/Sendmail write
 * "from HELO (RDNS [IP])", Exim "from RDNS ([IP] helo=HELO)".
 */
export function parseReceived(value: string): ReceivedHop | undefined {
  const m = /^\s*from\s+(\S+)(?:\s+\(([^()]*)\))?/i.exec(value.replace(/\s+/g, ' '));
  if (!m) return undefined;
  const hop: ReceivedHop = {};
  const first = m[1]!;
  const inner = m[2] ?? '';
  const ipm = /\[(?:IPv6:)?([0-9a-f:.]+)\]/i.exec(inner) ?? /\[(?:IPv6:)?([0-9a-f:.]+)\]/i.exec(first);
  if (ipm && ipFamily(ipm[1]!)) hop.ip = ipm[1]!;
  const heloEq = /helo=([^\s)\]]+)/i.exec(inner);
  if (heloEq) {
    hop.helo = heloEq[1]!;
    if (!first.startsWith('[')) hop.hostname = first;
  } else {
    hop.helo = first.replace(/^\[|\]$/g, '');
    const name = /([a-z0-9.-]+\.[a-z]{2,})\s*\[/i.exec(inner);
    if (name && name[1]!.toLowerCase() !== UNKNOWN_HOSTNAME) hop.hostname = name[1]!;
  }
  return hop;
}

export function resolveEnvelope(headers: readonly RawHeader[], flags: EnvelopeFlags): ResolvedEnvelope {
  const sources: ResolvedEnvelope['sources'] = {};
  const get = (name: string) => headers.find((h) => h.name === name)?.value;
  const env: ResolvedEnvelope = { rcpt: [], sources };

  if (flags.from !== undefined) {
    env.from = flags.from;
    sources.from = 'flag';
  } else {
    const rp = get('return-path');
    // "<>" is the null reverse-path (RFC 5321 §4.5.5): a bounce; pass it on as empty
    const fromRp = rp !== undefined && /^\s*<\s*>\s*$/.test(rp) ? '' : addresses(rp)[0];
    const value = fromRp ?? addresses(get('from'))[0];
    if (value !== undefined) {
      env.from = value;
      sources.from = 'message';
    }
  }

  if (flags.rcpt && flags.rcpt.length > 0) {
    env.rcpt = [...flags.rcpt];
    sources.rcpt = 'flag';
  } else {
    const all = [...addresses(get('to')), ...addresses(get('cc')), ...addresses(get('bcc'))];
    const list = all.length > 0 ? all : addresses(get('delivered-to'));
    env.rcpt = [...new Set(list)];
    if (env.rcpt.length > 0) sources.rcpt = 'message';
  }

  // newest first: the first Received with an outside client is the hop a receiving MX would see
  const hop = headers
    .filter((h) => h.name === 'received')
    .map((h) => parseReceived(h.value))
    .find((r): r is ReceivedHop => !!r?.ip && !isInternal(r.ip));
  const fromFlagOrHop = (key: 'ip' | 'helo' | 'hostname') => {
    const v = flags[key];
    if (v !== undefined) {
      env[key] = key === 'ip' ? v.replace(/^\[|\]$/g, '') : v;
      sources[key] = 'flag';
    } else if (flags.ip === undefined && hop?.[key] !== undefined) {
      // a hop's HELO and host name only make sense with that hop's IP
      env[key] = hop[key];
      sources[key] = 'message';
    }
  };
  fromFlagOrHop('ip');
  fromFlagOrHop('helo');
  fromFlagOrHop('hostname');
  if (flags.user !== undefined) {
    env.user = flags.user;
    sources.user = 'flag';
  }
  return env;
}

/**
 * The envelope as Rspamd's HTTP request headers (rspamd.com/doc/developers/protocol.html), built as
 * Rspamd's own milter builds them from an MTA's session (rspamd/rspamd src/libserver/milter.c,
 * rspamd_milter_to_http and rspamd_milter_macro_http):
 *   Hostname  the client name the MTA verified (connect-phase name, else the {client_name} macro), only
 *             when not empty and not "unknown" — "skip unknown hostname from being added". A client
 *             without forward-confirmed reverse DNS is therefore scored with no Hostname at all, which
 *             is what adds RDNS_NONE and HFILTER_HOSTNAME_UNKNOWN at a real receiver. (Postfix gives
 *             the milter "[ip]" rather than "unknown" at connect, milter8_conn_event; Rspamd 3.4
 *             scores that exactly as no Hostname, which the e2e suite checks.)
 *   Helo      the HELO/EHLO name, when not empty
 *   From      MAIL FROM as given; "<>" for the null sender
 *   Rcpt      one per RCPT TO, in order
 *   IP        the client address
 *   User      the SMTP AUTH name ({auth_authen} macro), only for an authenticated session
 * The milter also sends what only a live SMTP session has (Queue-Id, User-Agent, TLS-Cipher, TLS-Version,
 * Mailer, Cert-Issuer, MTA-Name, "Milter: Yes"); a message that has not been sent has none of them.
 */
export function envelopeHeaders(env: Envelope): [string, string][] {
  const h: [string, string][] = [];
  const clean = (v: string) => v.replace(/[\r\n\0]/g, '');
  if (env.ip) h.push(['IP', clean(env.ip)]);
  if (env.helo) h.push(['Helo', clean(env.helo)]);
  if (env.hostname && env.hostname !== UNKNOWN_HOSTNAME) h.push(['Hostname', clean(env.hostname)]);
  if (env.from !== undefined) h.push(['From', env.from === '' ? '<>' : clean(env.from)]);
  for (const r of env.rcpt) h.push(['Rcpt', clean(r)]);
  if (env.user) h.push(['User', clean(env.user)]);
  return h;
}
