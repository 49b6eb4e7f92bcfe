/**
 * A message to score: its raw bytes, checked to be a message at all, its raw MIME structure, and
 * postal-mime's decoded view (addresses, text, HTML, attachments).
 */
import PostalMime, { type Email } from 'postal-mime';
import { UsageError } from '../errors.js';
import { parseMimeStructure, type MimeStructure } from './mime-structure.js';
import { notAMessageReason } from './message-check.js';

export interface ParsedMessage {
  raw: Uint8Array;
  structure: MimeStructure;
  /** postal-mime's view; undefined when the parser gave up (see parseError). */
  email?: Email;
  parseError?: string;
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
