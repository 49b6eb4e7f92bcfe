/**
 * EHLO replies (RFC 5321 §4.1.1.1): the first line names the server, every further line is one
 * service extension "KEYWORD [params]" (ehlo-line, RFC 5321 §4.1.1.1 ABNF).
 */
import type { SmtpReply } from './reply.js';

export interface EhloExtension {
  /** Upper-cased keyword: "SIZE", "STARTTLS", "8BITMIME", … */
  keyword: string;
  /** Parameters after the keyword ("10240000" for SIZE 10240000, ["PLAIN","LOGIN"] for AUTH). */
  params: string[];
}

export interface EhloInfo {
  /** The name the server gives for itself on the first line. */
  domain: string;
  /** The rest of the first line (greeting text). */
  greeting: string;
  extensions: EhloExtension[];
}

/** Extensions a sending MTA cares about, with where they are defined. */
export const KNOWN_EXTENSIONS = {
  STARTTLS: 'RFC 3207: upgrade the session to TLS',
  SIZE: 'RFC 1870: declared message size limit',
  PIPELINING: 'RFC 2920: commands may be sent in batches',
  '8BITMIME': 'RFC 6152: 8-bit message bodies',
  SMTPUTF8: 'RFC 6531: internationalised addresses and headers',
  CHUNKING: 'RFC 3030: BDAT instead of DATA',
  BINARYMIME: 'RFC 3030: binary message bodies',
  DSN: 'RFC 3461: delivery status notification requests',
  ENHANCEDSTATUSCODES: 'RFC 2034: replies carry RFC 3463 codes',
  REQUIRETLS: 'RFC 8689: the sender may require TLS all the way',
  AUTH: 'RFC 4954: SMTP authentication (mechanisms as parameters)',
  MTRK: 'RFC 3885: message tracking',
  DELIVERBY: 'RFC 2852: deliver-by time',
  VRFY: 'RFC 5321 §3.5: address verification',
  ETRN: 'RFC 1985: remote queue start',
  LIMITS: 'RFC 9422: server limits on recipients and transactions',
} as const;

export function parseEhlo(reply: Pick<SmtpReply, 'lines'>): EhloInfo {
  const [first = '', ...rest] = reply.lines;
  const m = /^(\S*)\s*(.*)$/.exec(first.trim())!;
  const extensions: EhloExtension[] = [];
  for (const line of rest) {
    const parts = line.trim().split(/[ \t]+/).filter((p) => p !== '');
    if (parts.length === 0) continue;
    // Old servers wrote "AUTH=LOGIN PLAIN" (pre-RFC 4954 syntax); read it as AUTH LOGIN PLAIN.
    const [kw, ...params] = parts;
    const eq = kw!.indexOf('=');
    if (eq > 0) extensions.push({ keyword: kw!.slice(0, eq).toUpperCase(), params: [kw!.slice(eq + 1), ...params].filter((p) => p !== '') });
    else extensions.push({ keyword: kw!.toUpperCase(), params });
  }
  return { domain: m[1] ?? '', greeting: m[2] ?? '', extensions };
}

export function hasExtension(info: EhloInfo | undefined, keyword: string): boolean {
  const k = keyword.toUpperCase();
  return !!info?.extensions.some((e) => e.keyword === k);
}

/** "SIZE 10240000", "PIPELINING", … — the form the JSON output lists. */
export function formatExtension(e: EhloExtension): string {
  return [e.keyword, ...e.params].join(' ');
}
