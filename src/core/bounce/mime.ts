/**
 * A bounce's parts, decoded to text: the shared raw MIME walker (score/mime-structure.ts, lenient
 * like an MTA) finds the parts; this module undoes transfer encodings and charsets. Bounces need
 * the structure postal-mime hides (message/delivery-status, text/rfc822-headers, message/rfc822
 * kept as text), and must never throw on broken input.
 */
import { isAscii } from 'node:buffer';
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

const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) t[65 + i] = t[97 + i] = 10 + i;
  return t;
})();

/** Quoted-printable (RFC 2045 §6.7) → bytes: "=XX" octets and "=" soft line breaks; anything else kept. */
function decodeQp(s: string): Buffer {
  const src = Buffer.from(s, 'latin1');
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c !== 61 /* = */) {
      out[o++] = c;
      continue;
    }
    // soft line break: "=" CRLF or "=" LF
    if (src[i + 1] === 10) {
      i += 1;
      continue;
    }
    if (src[i + 1] === 13 && src[i + 2] === 10) {
      i += 2;
      continue;
    }
    const hi = i + 1 < src.length ? HEX[src[i + 1]!]! : -1;
    const lo = i + 2 < src.length ? HEX[src[i + 2]!]! : -1;
    if (hi >= 0 && lo >= 0) {
      out[o++] = (hi << 4) | lo;
      i += 2;
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}

/**
 * One decoder per charset label (decode() without streaming keeps no state), null for a label the
 * Encoding Standard does not know: a label is looked up once, not once per part (an unknown one
 * throws, and building the error costs more than the decoding).
 */
type Decoder = InstanceType<typeof TextDecoder>;
const decoders = new Map<string, Decoder | null>();

function decoderFor(label: string): Decoder | null {
  let d = decoders.get(label);
  if (d === undefined) {
    try {
      d = new TextDecoder(label);
    } catch {
      d = null;
    }
    // labels come from the messages: a bounded table, whatever they declare
    if (decoders.size < 256) decoders.set(label, d);
  }
  return d;
}

/** Bytes (latin1 string) → text in the declared charset; unknown charsets fall back to UTF-8, then latin1. */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? '').trim().toLowerCase();
  if (cs && cs !== 'us-ascii' && cs !== 'utf-8' && cs !== 'utf8') {
    const d = decoderFor(cs);
    if (d) {
      try {
        return d.decode(bytes);
      } catch {
        /* below */
      }
    }
  }
  // ISO-2022-JP without a label still decodes as ASCII; invalid UTF-8 becomes U+FFFD, never a throw.
  if (!cs && bytes.includes(0x1b)) {
    try {
      return decoderFor('iso-2022-jp')!.decode(bytes);
    } catch {
      /* fall through */
    }
  }
  return UTF8.decode(bytes);
}

/** Stateless (decode() without streaming): one is enough. */
const UTF8 = new TextDecoder('utf-8');

/** Charsets whose bytes 0x00–0x7F are ASCII (WHATWG Encoding labels; "" is the RFC 2045 default, US-ASCII). */
const ASCII_COMPATIBLE = /^(?:|us-ascii|ascii|utf-?8|iso-8859-\d{1,2}|iso_8859-1|latin1|windows-125\d)$/i;
const NOT_ASCII = /[^\x00-\x7f]/;

/**
 * A part's body as text. `bytes` are the same octets as `raw` (its latin1 view), so the checks and
 * decoders that work on bytes need no copy.
 */
export function decodeBody(raw: string, transferEncoding: string, charset: string | undefined, bytes: Buffer = Buffer.from(raw, 'latin1')): string {
  const cut = raw.length > MAX_PART_CHARS;
  const body = cut ? raw.slice(0, MAX_PART_CHARS) : raw;
  const octets = cut ? bytes.subarray(0, MAX_PART_CHARS) : bytes;
  // 7bit/8bit text that is plain ASCII (no escape: ISO-2022-JP is 7-bit too) in a charset that
  // agrees with ASCII reads as it is: no copy, no decoder.
  if (transferEncoding !== 'base64' && transferEncoding !== 'quoted-printable' && ASCII_COMPATIBLE.test((charset ?? '').trim()) && isAscii(octets) && !octets.includes(0x1b)) return body;
  let decoded: Buffer;
  if (transferEncoding === 'base64') decoded = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (transferEncoding === 'quoted-printable') decoded = decodeQp(body);
  else decoded = octets;
  return decodeCharset(decoded, charset);
}

/** RFC 2047 §2 encoded-word: =?charset[*language]?B|Q?text?= (RFC 2231 §5 adds the language). */
const ENCODED_WORD = /=\?([^?*\s]+)(?:\*[^?\s]*)?\?([BbQq])\?([^?\s]*)\?=/g;

function wordBytes(encoding: string, text: string): Buffer {
  if (encoding === 'b' || encoding === 'B') return Buffer.from(text, 'base64');
  // RFC 2047 §4.2: "_" is a space; "=XX" an octet
  return decodeQp(text.replace(/_/g, ' '));
}

const replacements = (s: string): number => s.split('\uFFFD').length - 1;

/**
 * The words of one charset, decoded together; a stateful charset (ISO-2022-JP) ends each word in
 * ASCII and starts the next with an escape, which decoded together is an error (WHATWG Encoding
 * §12.2.1): then word by word, whichever reads with fewer replacement characters.
 */
function decodeRun(words: readonly Buffer[], charset: string): string {
  const joined = decodeCharset(Buffer.concat(words), charset);
  if (words.length === 1 || !joined.includes('\uFFFD')) return joined;
  const each = words.map((w) => decodeCharset(w, charset)).join('');
  return replacements(each) < replacements(joined) ? each : joined;
}

/**
 * Encoded words decoded to text. Adjacent encoded words are joined without the white space between
 * them (RFC 2047 §6.2), and their bytes decoded together when they share a charset, since mailers
 * split a multi-byte character across two words.
 */
function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  let out = '';
  let last = 0;
  let run: { charset: string; bytes: Buffer[] } | undefined;
  const flush = () => {
    if (run) out += decodeRun(run.bytes, run.charset);
    run = undefined;
  };
  for (const m of value.matchAll(ENCODED_WORD)) {
    const between = value.slice(last, m.index);
    if (!(run && /^\s*$/.test(between))) {
      flush();
      out += between;
    }
    const charset = m[1]!.toLowerCase();
    const bytes = wordBytes(m[2]!, m[3]!);
    if (run && run.charset === charset) run.bytes.push(bytes);
    else {
      flush();
      run = { charset, bytes: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

/** An RFC 2047 header value decoded; raw 8-bit values read as UTF-8. */
export function decodeHeader(value: string | undefined): string {
  if (value === undefined) return '';
  let v = value;
  if (NOT_ASCII.test(value)) {
    const utf8 = Buffer.from(value, 'latin1').toString('utf8');
    if (!utf8.includes('\uFFFD')) v = utf8;
  }
  return decodeEncodedWords(v).replace(/\s+/g, ' ').trim();
}

export function readBounceInput(raw: Uint8Array): BounceInput {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const text = bytes.toString('latin1');
  const s = parseMimeStructure(raw, text);
  const parts: TextPart[] = [];
  for (const leaf of s.leaves) {
    // A multipart without delimiters (broken) is read as text: its fields are still in there.
    const ct = leaf.contentType.startsWith('multipart/') ? 'text/plain' : leaf.contentType;
    if (!(ct.startsWith('text/') || ct.startsWith('message/') || ct === 'application/octet-stream' && leaf.params.name === undefined)) continue;
    // message/* bodies are never transfer-encoded beyond 7bit/8bit (RFC 2046 §5.2.1), but real ones are.
    const body = text.slice(leaf.bodyStart, leaf.bodyEnd);
    const charset = ct === 'message/global-delivery-status' || ct === 'message/global' ? leaf.params.charset ?? 'utf-8' : leaf.params.charset;
    parts.push({ contentType: ct, params: leaf.params, text: decodeBody(body, leaf.transferEncoding, charset, bytes.subarray(leaf.bodyStart, leaf.bodyEnd)) });
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
