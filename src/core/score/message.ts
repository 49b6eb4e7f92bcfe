/**
 * A message to score: its raw bytes, checked to be a message at all, its raw MIME structure, and
 * postal-mime's decoded view (addresses, text, HTML, attachments).
 */
import PostalMime, { type Email } from 'postal-mime';
import { UsageError } from '../errors.js';
import { parseMimeStructure, type MimeStructure } from './mime-structure.js';

export interface ParsedMessage {
  raw: Uint8Array;
  structure: MimeStructure;
  /** postal-mime's view; undefined when the parser gave up (see parseError). */
  email?: Email;
  parseError?: string;
}

/** Header names that a message almost always carries at least one of (RFC 5322 §3.6, RFC 5321 §4.4, RFC 2045). */
const MESSAGE_HEADERS = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'received',
  'return-path',
  'delivered-to',
  'reply-to',
  'mime-version',
  'content-type',
  'in-reply-to',
  'references',
  'dkim-signature',
  'arc-seal',
  'authentication-results',
]);

// RFC 5322 §2.2: a field name is printable US-ASCII except ":"; obsolete syntax (§4.5.8) allows WSP before the colon.
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/**
 * Why `raw` is not an email message, or undefined when it looks like one: empty input, binary
 * data in the header section, or text that does not start with header fields.
 */
export function notAMessageReason(raw: Uint8Array): string | undefined {
  if (raw.length === 0) return 'the file is empty';
  const head = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 256 * 1024)).toString('latin1');
  if (/^\s*$/.test(head) && raw.length <= head.length) return 'the file holds only whitespace';
  const sectionEnd = head.search(/\r?\n\r?\n/);
  const section = sectionEnd === -1 ? head : head.slice(0, sectionEnd);
  if (section.includes('\0')) return 'binary data (NUL bytes) where the header section should be';
  const lines = section.split(/\r?\n/);
  // an mbox "From " separator line may precede the headers
  if (lines[0]?.startsWith('From ')) lines.shift();
  const first = lines[0] ?? '';
  if (!FIELD_LINE.test(first)) return 'it does not start with a header field ("Name: value", RFC 5322 §2.2)';
  const names = lines.filter((l) => FIELD_LINE.test(l)).map((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase());
  if (!names.some((n) => MESSAGE_HEADERS.has(n))) {
    return 'no message header (From, To, Subject, Date, Message-ID, Received, MIME-Version, …) in its header section';
  }
  // Control characters other than TAB/CR/LF throughout the header section: binary, not a message.
  const controls = (section.match(/[\x00-\x08\x0e-\x1f\x7f]/g) ?? []).length;
  if (controls > 0 && controls / section.length > 0.01) return 'binary data where the header section should be';
  return undefined;
}

/** Throws a UsageError (exit 2) naming `name` when `raw` is not a message. */
export function assertMessage(raw: Uint8Array, name: string): void {
  const why = notAMessageReason(raw);
  if (why) throw new UsageError(`${name}: not an email message: ${why}`, { hint: 'pass a saved .eml file (RFC 5322), or - to read one from stdin' });
}

/** `structure` may be passed when the caller already read it (the engine does, for the envelope). */
export async function parseMessage(raw: Uint8Array, structure: MimeStructure = parseMimeStructure(raw)): Promise<ParsedMessage> {
  try {
    const email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
    return { raw, structure, email };
  } catch (err) {
    return { raw, structure, parseError: (err as Error)?.message ?? String(err) };
  }
}
