/**
 * The raw message, checked before anything authenticates it: a file that is empty, binary, has no
 * header section or stops in the middle of one is bad input (exit 2), not a message that "fails".
 *
 * The header section syntax is RFC 5322 §2.2 / §3.5: header fields up to the first empty line,
 * each "name:" with a name of printable US-ASCII except ":", continued by lines that start with
 * white space (folding, §2.2.3). Header values may carry UTF-8 (RFC 6532 §3.2); NUL and other
 * control characters may not (RFC 5322 §3.2.3 and §4.1 allow them only as obsolete syntax, and in
 * practice they mean the file is not a message).
 */
import { ipFamily } from '../net/ip-address.js';

export interface HeaderField {
  /** As written (case kept). */
  name: string;
  /** Unfolded, trimmed value. */
  value: string;
}

export interface MessageInput {
  /** The bytes to authenticate (an mbox "From " line and BOM removed; a header terminator added when the file had none). */
  raw: Buffer;
  headers: HeaderField[];
  /** The file had no empty line after the header section (a header-only message). */
  headerOnly: boolean;
}

export type MessageInspection = { ok: true; message: MessageInput } | { ok: false; problem: string };

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/; // RFC 5322 §3.6.8 ftext, then obs-optional WSP (§4.5.3)
const BAD_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/; // everything but HTAB, LF, CR
const MBOX_FROM = /^From [^\r\n]*\r?\n/; // mbox separator line (RFC 4155 §2), not a header field

/** Where the header section ends: the index just past the empty line, and where the empty line starts. */
function headerEnd(buf: Buffer): { headerLength: number; bodyStart: number } | undefined {
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    // LF LF, or LF CR LF
    if (buf[i + 1] === 0x0a) return { headerLength: i + 1, bodyStart: i + 2 };
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return { headerLength: i + 1, bodyStart: i + 3 };
  }
  return undefined;
}

function describeByte(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** Checks the header section and returns the message with its parsed header fields, or the problem in one phrase. */
export function inspectMessage(input: Buffer): MessageInspection {
  let buf = input;
  if (buf.length === 0) return { ok: false, problem: 'the file is empty' };
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3); // UTF-8 BOM from editors
  const head = buf.subarray(0, 1024).toString('latin1');
  const mbox = MBOX_FROM.exec(head);
  if (mbox) buf = buf.subarray(Buffer.byteLength(mbox[0], 'latin1'));
  if (buf.every((b) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a)) {
    return { ok: false, problem: 'the file has no content (only white space)' };
  }
  if (buf[0] === 0x0a || (buf[0] === 0x0d && buf[1] === 0x0a)) {
    return { ok: false, problem: 'the message has no header fields (it starts with an empty line)' };
  }

  const end = headerEnd(buf);
  const headerOnly = end === undefined;
  const section = end ? buf.subarray(0, end.headerLength) : buf;
  const control = BAD_CONTROL.exec(section.toString('latin1'));
  if (control) {
    return { ok: false, problem: `binary data in the header section (byte ${describeByte(control[0].charCodeAt(0))} at offset ${control.index}); this is not an RFC 5322 message` };
  }
  if (headerOnly && section[section.length - 1] !== 0x0a) {
    return { ok: false, problem: 'the header section is truncated (the file ends in the middle of a header line, with no body)' };
  }

  const lines = section.toString('utf8').split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const headers: HeaderField[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (/^[ \t]/.test(line)) {
      const last = headers[headers.length - 1];
      if (!last) return { ok: false, problem: 'the first line is a continuation line (it starts with white space), not a header field' };
      last.value += line; // unfolding removes only the CRLF (RFC 5322 §2.2.3)
      continue;
    }
    if (line.includes('\r')) return { ok: false, problem: `a bare CR inside header line ${i + 1}` };
    const m = FIELD_NAME.exec(line);
    if (!m) {
      const shown = line.length > 40 ? `${line.slice(0, 40)}…` : line;
      return { ok: false, problem: `line ${i + 1} of the header section is not a header field ("${shown}" has no "name:")` };
    }
    headers.push({ name: m[0].slice(0, -1).trim(), value: line.slice(m[0].length) });
  }
  for (const h of headers) h.value = h.value.trim();

  // mailauth only starts verifying once it has seen the end of the header section, so a header-only
  // message gets the empty line it may omit (RFC 5322 §3.5: the body is optional). An empty body
  // and no body canonicalise to the same body hash (RFC 6376 §3.4.3, §3.4.4).
  const raw = headerOnly ? Buffer.concat([buf, Buffer.from('\r\n')]) : buf;
  return { ok: true, message: { raw, headers, headerOnly } };
}

/** All values of a header field, top first. */
export function headerValues(msg: MessageInput, name: string): string[] {
  const n = name.toLowerCase();
  return msg.headers.filter((h) => h.name.toLowerCase() === n).map((h) => h.value);
}

/**
 * The envelope sender recorded by the final delivery agent: the topmost Return-Path
 * (RFC 5321 §4.4). "<>" is the null reverse-path and becomes "".
 */
export function returnPath(msg: MessageInput): string | undefined {
  const v = headerValues(msg, 'return-path')[0];
  if (v === undefined) return undefined;
  const angle = /<([^>]*)>/.exec(v);
  const addr = (angle ? angle[1]! : v).trim();
  // Anything but "" or local@domain is not a reverse-path (RFC 5321 §4.1.2): ignore it rather than guess.
  return addr === '' || /^[^@\s]+@[^@\s]+$/.test(addr) ? addr : undefined;
}

/**
 * The client IP recorded in the topmost Received header that has one ("from host ([192.0.2.1])"),
 * offered as a hint when --ip is missing — never used silently: a header can be forged.
 */
export function receivedClientIp(msg: MessageInput): string | undefined {
  for (const v of headerValues(msg, 'received')) {
    const m = /\[(?:IPv6:)?([0-9a-fA-F:.]+)\]/.exec(v);
    if (m && ipFamily(m[1]!)) return m[1];
  }
  return undefined;
}

/**
 * Decodes RFC 2047 encoded-words ("=?utf-8?q?Caf=C3=A9?=") for display. Unknown charsets and
 * malformed words are left as written; white space between adjacent encoded-words is dropped (§6.2).
 */
export function decodeEncodedWords(value: string): string {
  const word = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
  return value.replace(/(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)\s+(?==\?)/g, '$1').replace(word, (whole, charset: string, enc: string, text: string) => {
    try {
      const bytes =
        enc.toLowerCase() === 'b'
          ? Buffer.from(text, 'base64')
          : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return new TextDecoder(charset.split('*')[0]!.toLowerCase(), { fatal: false }).decode(bytes);
    } catch {
      return whole;
    }
  });
}
