/**
 * Is this an email message at all? Kept apart from message.ts (which loads postal-mime) so that
 * commands that only need the check do not load a MIME parser they do not use.
 */

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
const CONTROL = /[\x00-\x08\x0e-\x1f\x7f]/;

/** Index of the LF that starts the first blank line (LF LF or LF CR LF), or -1. */
function blankLine(buf: Buffer): number {
  for (let i = buf.indexOf(10); i >= 0 && i < buf.length - 1; i = buf.indexOf(10, i + 1)) {
    const c = buf[i + 1];
    if (c === 10 || (c === 13 && buf[i + 2] === 10)) return i;
  }
  return -1;
}

export function notAMessageReason(raw: Uint8Array): string | undefined {
  if (raw.length === 0) return 'the file is empty';
  const buf = Buffer.from(raw.buffer, raw.byteOffset, Math.min(raw.byteLength, 256 * 1024));
  // The header section ends at the first blank line (\r?\n\r?\n); only it is read as text, so a
  // large message costs no more than a small one here.
  const nl = blankLine(buf);
  const sectionEnd = nl < 0 ? buf.length : nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl;
  const section = buf.toString('latin1', 0, sectionEnd);
  if (/^\s*$/.test(section) && /^\s*$/.test(buf.toString('latin1')) && raw.length <= buf.length) return 'the file holds only whitespace';
  if (section.includes('\0')) return 'binary data (NUL bytes) where the header section should be';
  // Lines one at a time (LF or CRLF ends): usually the first or second line is a known header.
  let pos = 0;
  const nextLine = (): string | undefined => {
    if (pos > section.length) return undefined;
    const nl = section.indexOf('\n', pos);
    const line = nl < 0 ? section.slice(pos) : section.slice(pos, nl > pos && section.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
    pos = nl < 0 ? section.length + 1 : nl + 1;
    return line;
  };
  let line = nextLine();
  // an mbox "From " separator line may precede the headers
  if (line?.startsWith('From ')) line = nextLine();
  if (!FIELD_LINE.test(line ?? '')) return 'it does not start with a header field ("Name: value", RFC 5322 §2.2)';
  let known = false;
  for (; line !== undefined; line = nextLine()) {
    if (!FIELD_LINE.test(line)) continue;
    if (MESSAGE_HEADERS.has(line.slice(0, line.indexOf(':')).trim().toLowerCase())) {
      known = true;
      break;
    }
  }
  if (!known) return 'no message header (From, To, Subject, Date, Message-ID, Received, MIME-Version, …) in its header section';
  // Control characters other than TAB/CR/LF throughout the header section: binary, not a message.
  if (CONTROL.test(section)) {
    const controls = (section.match(/[\x00-\x08\x0e-\x1f\x7f]/g) ?? []).length;
    if (controls / section.length > 0.01) return 'binary data where the header section should be';
  }
  return undefined;
}
