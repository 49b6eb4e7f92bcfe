/**
 * The message `send` queues: composed from options with nodemailer's MIME composer, or read from a
 * saved message. Either way it leaves here as CRLF bytes with a From domain (what DKIM's d= and
 * DMARC alignment are about), a Message-ID that stays with it through every retry (receivers
 * de-duplicate on it), and attachments that passed the allow-list.
 *
 * Dot-stuffing (RFC 5321 §4.5.2) is the SMTP layer's job, not this module's: these bytes are the
 * message as DKIM signs it and as the receiver stores it.
 */
import { createHash, randomBytes } from 'node:crypto';
import PostalMime, { addressParser } from 'postal-mime';
import type { Clock } from '../clock.js';
import { UsageError } from '../errors.js';
import { DEFAULT_ALLOWED_EXTENSIONS, blockedKind, extensionOf, parseExtensionList } from '../score/attachment-extensions.js';
import { assertMessage } from '../score/message.js';
import { headerValue, parseHeaderBlock, parseMimeStructure, type RawHeader } from '../score/mime-structure.js';

/**
 * Above this many recipients the composed To: is the empty group "undisclosed-recipients:;"
 * (RFC 5322 §3.4 group syntax; the §A.1.3 example uses this very name) instead of the list.
 * Why: every recipient sees the To: header, so one message to a seed list or a batch of customers
 * would hand each of them everybody else's address — a leak no later fix can undo. The cost is
 * measurable instead: Rspamd's R_UNDISC_RCPT adds 3.0 points (rules/regexp/headers.lua), while a
 * long list costs nothing there (RCPT_COUNT_* score 0). A handful of colleagues testing together
 * may see each other; beyond that, senders should send one message per recipient.
 */
export const TO_HEADER_MAX_RECIPIENTS = 5;

export interface MessageAttachment {
  filename: string;
  content: Buffer;
  /** Detected from the filename by the composer when absent. */
  contentType?: string;
}

export interface ComposeInput {
  /** "Name <address>" or a bare address. */
  from: string;
  to: readonly string[];
  subject?: string;
  text?: string;
  html?: string;
  attachments?: readonly MessageAttachment[];
  /** Extra header fields. "Message-ID" here is taken as the message's ID (like `messageId`). */
  headers?: Readonly<Record<string, string>>;
  /** Reuse an ID (a re-send that receivers should recognise as the same message). */
  messageId?: string;
  /** Right-hand side of a generated Message-ID; the From domain when absent. */
  messageIdDomain?: string;
}

/** What the allow-list is built from: the values of --allow-attachment and --attachment-allow-list. */
export interface AttachmentPolicyOptions {
  /** Added to the allow-list (`--allow-attachment pdf`, repeatable, comma lists accepted). */
  allowAttachment?: readonly string[];
  /** Replaces the default allow-list (DEFAULT_ALLOWED_EXTENSIONS) when given. */
  attachmentAllowList?: readonly string[];
}

export interface ReadMessageOptions extends AttachmentPolicyOptions {
  /** How the input is named in messages: the file name, or "stdin". */
  name?: string;
  /** Right-hand side of a Message-ID added to a message without one; the From domain when absent. */
  messageIdDomain?: string;
}

export interface AttachmentInfo {
  filename: string;
  /** Lower-case MIME type as declared by the part. */
  contentType: string;
}

export interface PreparedMessage {
  /** The RFC 5322 message, CRLF line ends throughout, ending with CRLF. Not dot-stuffed. */
  raw: Buffer;
  /** With angle brackets, as in the header: "<id@domain>". */
  messageId: string;
  /** The first mailbox of the header From (RFC 5322 §3.6.2): DKIM d= defaults to its domain. */
  from: { address: string; domain: string };
  /** Named attachments (inline parts without a file name are no attachment a reader opens). */
  attachments: AttachmentInfo[];
  /** What was changed or decided on the way, one sentence each, for the CLI to show. */
  notices: string[];
}

// ---- attachment allow-list ------------------------------------------------------------------

export type AttachmentRefusal = 'blocked' | 'double-extension' | 'not-allowed' | 'no-extension';

export interface AttachmentDecision {
  filename: string;
  /** Lower-case final extension ('' when there is none). */
  extension: string;
  allowed: boolean;
  reason?: AttachmentRefusal;
  /** For blocked and double extensions: what kind of executable or script it is. */
  kind?: string;
  /** The extension that made it blocked (the next-to-last one for a double extension). */
  blockedExtension?: string;
}

/** The allow-list: the default (or --attachment-allow-list) plus every --allow-attachment value. */
export function attachmentAllowList(opts: AttachmentPolicyOptions = {}): Set<string> {
  const base = opts.attachmentAllowList !== undefined ? parseExtensionList(opts.attachmentAllowList) : [...DEFAULT_ALLOWED_EXTENSIONS];
  return new Set([...base, ...parseExtensionList(opts.allowAttachment ?? [])]);
}

/**
 * Whether one attachment may be sent. Blocked extensions are refused whatever the allow-list says;
 * so is a blocked next-to-last extension ("invoice.exe.pdf"): Rspamd scores both forms
 * (MIME_BAD_EXTENSION, MIME_DOUBLE_BAD_EXTENSION in plugins/mime_types.lua), because a reader who
 * sees "invoice.pdf.exe" shortened, or "invoice.exe.pdf" from a crafted archive, is being tricked.
 */
export function decideAttachment(filename: string, allowed: ReadonlySet<string>): AttachmentDecision {
  // Windows drops trailing dots and spaces from file names, so "setup.exe. " runs as setup.exe.
  const name = filename.replace(/[. ]+$/, '');
  const extension = extensionOf(name);
  const kind = blockedKind(extension);
  if (kind) return { filename, extension, allowed: false, reason: 'blocked', kind, blockedExtension: extension };
  const base = name.split(/[\\/]/).pop() ?? '';
  const parts = base.split('.');
  // "report.exe.pdf": three or more parts, so the next-to-last one is an extension, not the name
  if (parts.length > 2) {
    const ext2 = parts[parts.length - 2]!.trim().toLowerCase();
    const kind2 = blockedKind(ext2);
    if (kind2) return { filename, extension, allowed: false, reason: 'double-extension', kind: kind2, blockedExtension: ext2 };
  }
  if (extension === '') return { filename, extension, allowed: false, reason: 'no-extension' };
  if (!allowed.has(extension)) return { filename, extension, allowed: false, reason: 'not-allowed' };
  return { filename, extension, allowed: true };
}

/** One-line reason and the hint (the flag to pass, or why none helps) for a refused attachment. */
function refusalError(d: AttachmentDecision): UsageError {
  const quoted = JSON.stringify(d.filename);
  switch (d.reason) {
    case 'blocked':
      return new UsageError(`attachment ${quoted} is a ${d.kind} (.${d.blockedExtension}): executables and scripts are never sent (Gmail and Outlook block them)`, {
        hint: '--allow-attachment cannot allow it; link to a download page on your own domain instead',
      });
    case 'double-extension':
      return new UsageError(`attachment ${quoted} has a double extension hiding a ${d.kind} (.${d.blockedExtension}.${d.extension}): refused, filters treat it as malware`, {
        hint: `rename the file without ".${d.blockedExtension}." in its name; --allow-attachment cannot allow it`,
      });
    case 'no-extension':
      return new UsageError(`attachment ${quoted} has no file extension, so it is not on the attachment allow-list`, {
        hint: 'rename it with the extension of its format (for example .pdf or .txt)',
      });
    default:
      return new UsageError(`attachment ${quoted}: .${d.extension} is not on the attachment allow-list; pass --allow-attachment ${d.extension} to send it`, {
        hint: 'the default list holds common document, image, calendar and archive formats',
      });
  }
}

/** Throws a UsageError (exit 2) for the first attachment that may not be sent. */
export function assertAttachmentsAllowed(filenames: readonly string[], allowed: ReadonlySet<string>): void {
  for (const f of filenames) {
    const d = decideAttachment(f, allowed);
    if (!d.allowed) throw refusalError(d);
  }
}

// ---- addresses and IDs ------------------------------------------------------------------------

/** The mailboxes of an address header value (RFC 5322 §3.4); groups flattened. */
function mailboxes(value: string): { name: string; address: string }[] {
  return addressParser(value, { flatten: true }).filter((a): a is { name: string; address: string } => typeof a.address === 'string' && a.address !== '');
}

function splitAddress(address: string): { address: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  const domain = address.slice(at + 1).replace(/\.$/, '').toLowerCase();
  if (!/^[^\s@<>()[\]\\,;:"]+$/.test(domain)) return undefined;
  return { address, domain };
}

/** A fresh Message-ID: 128 random bits, unique without coordination (RFC 5322 §3.6.4). */
export function newMessageId(domain: string): string {
  return `<${randomBytes(16).toString('hex')}@${domain}>`;
}

const MSG_ID = /^<[^\s<>@]+@[^\s<>@]+>$/;

function normalizeMessageId(value: string): string {
  const v = value.trim();
  const id = v.startsWith('<') ? v : `<${v}>`;
  if (!MSG_ID.test(id)) throw new UsageError(`Message-ID ${JSON.stringify(value)} is not of the form <left@right> (RFC 5322 §3.6.4)`);
  return id;
}

/** RFC 5322 §3.3 date-time in UTC, as MTAs write it: "Tue, 14 Nov 2023 22:13:20 +0000". */
export function formatDateHeader(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

// ---- compose -----------------------------------------------------------------------------------

/** Set from their own inputs; a second copy through `headers` would contradict them. */
const RESERVED_HEADERS = new Set(['from', 'to', 'bcc', 'subject', 'date', 'mime-version', 'content-type', 'content-transfer-encoding']);
// RFC 5322 §2.2: printable US-ASCII except ":"
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** Composes a multipart message (text/html alternatives, attachments) with nodemailer's composer. */
export async function composeMessage(deps: { clock: Clock }, input: ComposeInput, policy: AttachmentPolicyOptions = {}): Promise<PreparedMessage> {
  const fromBoxes = mailboxes(input.from);
  const from = fromBoxes.length === 1 ? splitAddress(fromBoxes[0]!.address) : undefined;
  if (!from) throw new UsageError(`from address ${JSON.stringify(input.from)} is not one email address (name@domain)`);
  if (input.to.length === 0) throw new UsageError('no recipients: give at least one to address');
  for (const to of input.to) {
    const boxes = mailboxes(to);
    if (boxes.length !== 1 || !splitAddress(boxes[0]!.address)) throw new UsageError(`recipient ${JSON.stringify(to)} is not one email address (name@domain)`);
  }
  // Refused before anything is built: no point composing a message that may not go out.
  const allowed = attachmentAllowList(policy);
  assertAttachmentsAllowed((input.attachments ?? []).map((a) => a.filename), allowed);

  let givenId = input.messageId;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    const key = name.trim();
    if (!FIELD_NAME.test(key)) throw new UsageError(`header name ${JSON.stringify(name)} is not a field name (RFC 5322 §2.2)`);
    if (/[\r\n]/.test(value)) throw new UsageError(`header ${key}: the value contains a line break`);
    const lower = key.toLowerCase();
    if (lower === 'message-id') {
      givenId ??= value;
      continue;
    }
    if (RESERVED_HEADERS.has(lower)) throw new UsageError(`header ${key} is set from the message's own options, not as an extra header`);
    headers[key] = value;
  }
  if (input.subject !== undefined && /[\r\n]/.test(input.subject)) throw new UsageError('subject contains a line break');
  const messageId = givenId !== undefined ? normalizeMessageId(givenId) : newMessageId(input.messageIdDomain ?? from.domain);

  const notices: string[] = [];
  const listTo = input.to.length <= TO_HEADER_MAX_RECIPIENTS;
  if (!listTo) {
    notices.push(
      `To: shows "undisclosed-recipients:;" instead of ${input.to.length} addresses, so no recipient sees the others; Rspamd adds 3 points for it (R_UNDISC_RCPT): send one message per recipient to avoid both.`,
    );
  }
  // Loaded here: reading a prepared message (--message) never needs the composer, and it pulls
  // in nodemailer's fetch and MIME stack.
  const { default: MailComposer } = await import('nodemailer/lib/mail-composer/index.js');
  const composer = new MailComposer({
    from: input.from,
    ...(listTo ? { to: [...input.to] } : {}),
    subject: input.subject,
    text: input.text ?? (input.html === undefined ? '' : undefined),
    html: input.html,
    attachments: (input.attachments ?? []).map((a) => ({ filename: a.filename, content: a.content, ...(a.contentType ? { contentType: a.contentType } : {}) })),
    headers,
    messageId,
    date: new Date(deps.clock.now()),
    // SMTP carries CRLF only (RFC 5321 §2.3.8); text given with LF is converted too.
    newline: 'win',
    // Content comes as Buffers and strings only; never let a value name a file or URL to fetch.
    disableFileAccess: true,
    disableUrlAccess: true,
    // Boundaries derived from the Message-ID: the same input, ID and clock give the same bytes.
    baseBoundary: createHash('sha256').update(messageId).digest('hex').slice(0, 24),
  });
  let built = await composer.compile().build();
  // nodemailer drops an empty group from To:, so the group goes in as a prepared field line.
  if (!listTo) built = Buffer.concat([Buffer.from('To: undisclosed-recipients:;\r\n', 'latin1'), built]);
  const raw = toCrlf(built.toString('latin1')).text;
  const inspected = await inspect(Buffer.from(raw, 'latin1'), 'the composed message');
  return { raw: Buffer.from(raw, 'latin1'), messageId, from, attachments: inspected.attachments, notices };
}

// ---- read ----------------------------------------------------------------------------------------

/** Every line end as CRLF (RFC 5322 §2.1; SMTP, RFC 5321 §2.3.8: CR and LF only as CRLF). */
function toCrlf(text: string): { text: string; changed: boolean } {
  const out = text.replace(/\r\n|\r|\n/g, '\r\n');
  return { text: out, changed: out.length !== text.length };
}

/** Header fields named `name` removed from the header section (with their folded lines). */
function removeHeader(text: string, bodyStart: number, name: string): string {
  const head = text.slice(0, bodyStart);
  const lines = head.split('\r\n');
  const kept: string[] = [];
  let dropping = false;
  for (const line of lines) {
    if (dropping && (line.startsWith(' ') || line.startsWith('\t'))) continue;
    const colon = line.indexOf(':');
    dropping = colon > 0 && line.slice(0, colon).trim().toLowerCase() === name;
    if (!dropping) kept.push(line);
  }
  return kept.join('\r\n') + text.slice(bodyStart);
}

/** Why the MIME structure is broken (a cut-off file, a multipart without its boundary, …), or undefined. */
function mimeBreakage(raw: Buffer): string | undefined {
  const s = parseMimeStructure(raw);
  if (s.truncated) return s.truncated;
  if (s.problems.length > 0) return s.problems[0];
  const text = raw.toString('latin1');
  for (const leaf of s.leaves) {
    // Binary parts need BINARYMIME (RFC 3030), which the SMTP client does not use; CRLF conversion would corrupt them.
    if (leaf.transferEncoding === 'binary') return `a ${leaf.contentType} part declares Content-Transfer-Encoding: binary, which SMTP without BINARYMIME cannot carry (RFC 3030)`;
    if (leaf.transferEncoding === 'base64') {
      // RFC 2045 §6.8: base64 comes in 4-character groups, padded with "="; a remainder means the data was cut.
      const chars = text.slice(leaf.bodyStart, leaf.bodyEnd).replace(/[^A-Za-z0-9+/=]/g, '').length;
      if (chars % 4 !== 0) return `a base64 ${leaf.contentType} part ends in the middle of a 4-character group: the data is cut short (RFC 2045 §6.8)`;
    }
  }
  return undefined;
}

/** Named attachments as postal-mime decodes them (RFC 2231 and RFC 2047 file names included). */
async function inspect(raw: Buffer, name: string): Promise<{ attachments: AttachmentInfo[] }> {
  let email;
  try {
    email = await PostalMime.parse(raw, { attachmentEncoding: 'arraybuffer' });
  } catch (err) {
    throw new UsageError(`${name}: the MIME structure cannot be parsed: ${(err as Error)?.message ?? String(err)}`.replace(/[\r\n]+/g, ' '));
  }
  const attachments = email.attachments
    .filter((a) => typeof a.filename === 'string' && a.filename !== '')
    .map((a) => ({ filename: a.filename as string, contentType: a.mimeType }));
  return { attachments };
}

/**
 * Reads a saved message (a .eml file or stdin) for sending: CRLF line ends, a From header with
 * an address, a Message-ID and a Date (added at the top when missing, as a submission server
 * would: RFC 6409 §8.1, §8.3), no Bcc header (RFC 5322 §3.6.3: blind copies must not show),
 * no mbox "From " line, and a MIME structure that is whole.
 */
export async function readMessage(deps: { clock: Clock }, input: Uint8Array, opts: ReadMessageOptions = {}): Promise<PreparedMessage> {
  const name = opts.name ?? 'the message';
  assertMessage(input, name);
  const notices: string[] = [];
  let text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');

  // An mbox separator ("From sender date", no colon) is no header field; sent, it would corrupt the header.
  if (text.startsWith('From ')) {
    const nl = text.search(/\r?\n/);
    text = nl === -1 ? '' : text.slice(nl).replace(/^\r?\n/, '');
    notices.push('Removed the mbox "From " separator line before the header.');
  }
  const crlf = toCrlf(text);
  text = crlf.text;
  if (crlf.changed) notices.push('Converted line ends to CRLF, as SMTP requires (RFC 5321 §2.3.8).');
  // A header-only message still needs the empty line that ends the header section (RFC 5322 §2.1).
  if (!text.includes('\r\n\r\n')) text += text.endsWith('\r\n') ? '\r\n' : '\r\n\r\n';
  if (!text.endsWith('\r\n')) text += '\r\n';

  let { headers, bodyStart } = parseHeaderBlock(text, 0);
  const fromFields = headers.filter((h) => h.name === 'from');
  if (fromFields.length === 0) {
    throw new UsageError(`${name}: the message has no From header (RFC 5322 §3.6.2 requires one)`, { hint: 'add "From: you@your-domain" at the top of the message' });
  }
  if (fromFields.length > 1) {
    throw new UsageError(`${name}: the message has ${fromFields.length} From headers; RFC 5322 §3.6 allows one, and DMARC receivers reject such mail (RFC 7489 §6.6.1)`);
  }
  const from = fromAddress(fromFields[0]!, name);

  if (headers.some((h) => h.name === 'bcc')) {
    text = removeHeader(text, bodyStart, 'bcc');
    notices.push('Removed the Bcc header: every recipient would see the blind copies (RFC 5322 §3.6.3).');
    ({ headers, bodyStart } = parseHeaderBlock(text, 0));
  }

  // A field present but empty counts as missing; it goes, so the added one is the only one.
  for (const field of ['message-id', 'date']) {
    if (headers.some((h) => h.name === field) && !headerValue(headers, field)?.trim()) {
      text = removeHeader(text, bodyStart, field);
      ({ headers, bodyStart } = parseHeaderBlock(text, 0));
    }
  }
  let messageId: string;
  const idValue = headerValue(headers, 'message-id')?.trim();
  const added: string[] = [];
  if (idValue) {
    messageId = /<[^<>]+>/.exec(idValue)?.[0] ?? idValue;
  } else {
    messageId = newMessageId(opts.messageIdDomain ?? from.domain);
    added.push(`Message-ID: ${messageId}`);
    notices.push(`The message had no Message-ID; added ${messageId} at the top (RFC 5322 §3.6.4: receivers de-duplicate on it, and it stays the same on every retry).`);
  }
  if (!headerValue(headers, 'date')?.trim()) {
    const date = formatDateHeader(deps.clock.now());
    added.push(`Date: ${date}`);
    notices.push(`The message had no Date header (RFC 5322 §3.6.1 requires one); added "Date: ${date}" at the top.`);
  }
  if (added.length > 0) text = added.map((l) => `${l}\r\n`).join('') + text;

  const raw = Buffer.from(text, 'latin1');
  const broken = mimeBreakage(raw);
  if (broken) {
    throw new UsageError(`${name}: broken MIME structure: ${broken}`.replace(/[\r\n]+/g, ' '), {
      hint: 'the file may be truncated; export the message again (score reports every structural problem)',
    });
  }
  const { attachments } = await inspect(raw, name);
  assertAttachmentsAllowed(
    attachments.map((a) => a.filename),
    attachmentAllowList(opts),
  );
  return { raw, messageId, from, attachments, notices };
}

function fromAddress(field: RawHeader, name: string): { address: string; domain: string } {
  // Header octets are read as latin1; non-ASCII addresses (RFC 6532) are UTF-8 on the wire.
  const value = Buffer.from(field.value, 'latin1').toString('utf8');
  const first = mailboxes(value)[0];
  const parsed = first ? splitAddress(first.address) : undefined;
  if (!parsed) throw new UsageError(`${name}: the From header ${JSON.stringify(value.slice(0, 80))} holds no address of the form name@domain`);
  return parsed;
}
