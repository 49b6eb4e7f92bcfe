/**
 * A bounce's parts, decoded to text: the shared raw MIME walker (score/mime-structure.ts, lenient
 * like an MTA) finds the parts; this module undoes transfer encodings and charsets. Bounces need
 * the structure postal-mime hides (message/delivery-status, text/rfc822-headers, message/rfc822
 * kept as text), and must never throw on broken input.
 */
import { decodeWords } from 'postal-mime';
import { headerValue, parseHeaderBlock, parseMimeStructure, type RawHeader } from '../score/mime-structure.js';

export interface TextPart {
  contentType: string;
  params: Record<string, string>;
  text: string;
}

export interface BounceInput {
  headers: RawHeader[];
  parts: TextPart[];
  /** multipart/report's report-type parameter (lower case), when the message is one. */
  reportType: string;
}

const MAX_PART_CHARS = 2_000_000;

function decodeQp(s: string): Buffer {
  const out: number[] = [];
  const src = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < src.length; i++) {
    const c = src.charCodeAt(i);
    if (c === 61 /* = */ && /^[0-9A-Fa-f]{2}$/.test(src.slice(i + 1, i + 3))) {
      out.push(parseInt(src.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

/** Bytes (latin1 string) → text in the declared charset; unknown charsets fall back to UTF-8, then latin1. */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? '').trim().toLowerCase();
  if (cs && cs !== 'us-ascii' && cs !== 'utf-8' && cs !== 'utf8') {
    try {
      return new TextDecoder(cs).decode(bytes);
    } catch {
      /* unknown label: below */
    }
  }
  // ISO-2022-JP without a label still decodes as ASCII; invalid UTF-8 becomes U+FFFD, never a throw.
  if (!cs && bytes.includes(0x1b)) {
    try {
      return new TextDecoder('iso-2022-jp').decode(bytes);
    } catch {
      /* fall through */
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

export function decodeBody(raw: string, transferEncoding: string, charset: string | undefined): string {
  const body = raw.length > MAX_PART_CHARS ? raw.slice(0, MAX_PART_CHARS) : raw;
  let bytes: Buffer;
  if (transferEncoding === 'base64') bytes = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (transferEncoding === 'quoted-printable') bytes = decodeQp(body);
  else bytes = Buffer.from(body, 'latin1');
  return decodeCharset(bytes, charset);
}

/** An RFC 2047 header value decoded; raw 8-bit values read as UTF-8. */
export function decodeHeader(value: string | undefined): string {
  if (value === undefined) return '';
  const utf8 = Buffer.from(value, 'latin1').toString('utf8');
  const v = utf8.includes('\uFFFD') ? value : utf8;
  try {
    return decodeWords(v).replace(/\s+/g, ' ').trim();
  } catch {
    return v.trim();
  }
}

export function readBounceInput(raw: Uint8Array): BounceInput {
  const s = parseMimeStructure(raw);
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const parts: TextPart[] = [];
  for (const leaf of s.leaves) {
    // A multipart without delimiters (broken) is read as text: its fields are still in there.
    const ct = leaf.contentType.startsWith('multipart/') ? 'text/plain' : leaf.contentType;
    if (!(ct.startsWith('text/') || ct.startsWith('message/') || ct === 'application/octet-stream' && leaf.params.name === undefined)) continue;
    // message/* bodies are never transfer-encoded beyond 7bit/8bit (RFC 2046 §5.2.1), but real ones are.
    const body = text.slice(leaf.bodyStart, leaf.bodyEnd);
    parts.push({ contentType: ct, params: leaf.params, text: decodeBody(body, leaf.transferEncoding, ct === 'message/global-delivery-status' || ct === 'message/global' ? leaf.params.charset ?? 'utf-8' : leaf.params.charset) });
  }
  const top = headerValue(s.headers, 'content-type') ?? '';
  const reportType = /multipart\/report/i.test(top) ? (/report-type\s*=\s*"?([\w-]+)/i.exec(top)?.[1] ?? '').toLowerCase() : '';
  return { headers: s.headers, parts, reportType };
}

/** The header fields of an embedded message (message/rfc822, text/rfc822-headers, or a copy after a separator line). */
export function embeddedHeaders(text: string): RawHeader[] {
  const start = text.search(/^[A-Za-z][\w-]*:/m);
  if (start < 0) return [];
  return parseHeaderBlock(text, start).headers;
}

export { headerValue, type RawHeader };
