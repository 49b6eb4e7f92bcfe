/**
 * The built-in lint rules. Each is a pure function of the parsed message and the options, returning
 * findings; lint.ts runs them all. Thresholds are named constants with their source.
 */
import { addressParser, type Address } from 'postal-mime';
import { getDomain, parse as parseHost } from 'tldts';
import type { Finding } from '../types.js';
import { blockedKind, extensionOf } from './attachment-extensions.js';
import { analyseHtml, urlsInText, type HtmlContent } from './html-content.js';
import type { ParsedMessage } from './message.js';
import { headerValue } from './mime-structure.js';
import { shortenerFor } from './url-shorteners.js';

export interface LintOptions {
  /** Apply bulk-sender rules (List-Unsubscribe, RFC 8058 one-click). */
  bulk: boolean;
  /** Lower-case extensions allowed for attachments (the always-blocked ones are flagged regardless). */
  allowedExtensions: readonly string[];
}

/** Postfix's default message_size_limit (postconf(5)): 10240000 bytes. Many gateways refuse more. */
export const MAX_MESSAGE_BYTES = 10_240_000;
/**
 * An attachment this big, base64-encoded (4/3 larger, RFC 2045 §6.8), alone exceeds Postfix's
 * default size limit.
 */
export const MAX_ATTACHMENT_BYTES = Math.floor((MAX_MESSAGE_BYTES * 3) / 4);
/** Gmail clips messages whose HTML is over about 102 KB behind "[Message clipped]". */
export const GMAIL_CLIP_BYTES = 102 * 1024;
/** RFC 5322 §2.1.1: lines MUST be no more than 998 characters, excluding the CRLF. */
export const MAX_LINE_OCTETS = 998;
/**
 * Below this many characters of visible text, an HTML body with images is "image only";
 * SpamAssassin's HTML_IMAGE_ONLY_04 rule uses the same 400-byte bound for "images with 0-400 bytes of words".
 */
export const IMAGE_ONLY_TEXT_CHARS = 400;

export interface LintContext {
  msg: ParsedMessage;
  opts: LintOptions;
  html?: HtmlContent;
  /** Every http(s) URL in the HTML hrefs and the text body, deduplicated, in order. */
  urls: string[];
}

export type LintRule = (ctx: LintContext) => Finding[];

function header(ctx: LintContext, name: string): string | undefined {
  return headerValue(ctx.msg.structure.headers, name);
}

function headerCount(ctx: LintContext, name: string): number {
  return ctx.msg.structure.headers.filter((h) => h.name === name).length;
}

function hostOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.hostname.replace(/^\[|\]$/g, '').toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

/** Registrable domain (example.co.uk for a.b.example.co.uk), or the host itself for IPs/unknown suffixes. */
export function siteOf(host: string): string {
  return getDomain(host, { allowPrivateDomains: false }) ?? host.toLowerCase();
}

// --- structure ----------------------------------------------------------------------------------

const noTextPart: LintRule = ({ msg }) => {
  const inline = msg.structure.leaves.filter((l) => l.disposition !== 'attachment');
  const hasHtml = inline.some((l) => l.contentType === 'text/html');
  const hasPlain = inline.some((l) => l.contentType === 'text/plain' && l.bodyEnd > l.bodyStart);
  if (!hasHtml || hasPlain) return [];
  return [
    {
      code: 'LINT_NO_TEXT_PART',
      severity: 'warning',
      check: 'content',
      message: 'The message is HTML only: there is no text/plain alternative.',
      fix: 'Send multipart/alternative with a text/plain part before the HTML (RFC 2046 §5.1.4); most ESPs and templating tools can generate it.',
    },
  ];
};

const imageOnly: LintRule = ({ html }) => {
  if (!html || html.images === 0) return [];
  const chars = html.text.replace(/\s/g, '').length;
  if (chars >= IMAGE_ONLY_TEXT_CHARS) return [];
  return [
    {
      code: 'LINT_IMAGE_ONLY',
      severity: 'warning',
      check: 'content',
      message: `The HTML is mostly images: ${html.images} image${html.images === 1 ? '' : 's'} and only ${chars} characters of visible text.`,
      fix: `Put the message in real text (at least ${IMAGE_ONLY_TEXT_CHARS} characters) and keep images as illustration, with alt text.`,
      evidence: { images: html.images, textChars: chars },
    },
  ];
};

const sizeLarge: LintRule = ({ msg }) => {
  if (msg.raw.length <= MAX_MESSAGE_BYTES) return [];
  return [
    {
      code: 'LINT_SIZE_LARGE',
      severity: 'warning',
      check: 'size',
      message: `The message is ${msg.raw.length} bytes, over the ${MAX_MESSAGE_BYTES}-byte limit many servers keep (Postfix's default message_size_limit).`,
      fix: 'Link to large files instead of attaching them, and compress images.',
      evidence: { bytes: msg.raw.length },
    },
  ];
};

const htmlClipped: LintRule = ({ msg }) => {
  const html = msg.email?.html;
  if (!html) return [];
  const bytes = Buffer.byteLength(html, 'utf8');
  if (bytes <= GMAIL_CLIP_BYTES) return [];
  return [
    {
      code: 'LINT_HTML_CLIPPED',
      severity: 'info',
      check: 'size',
      message: `The HTML body is ${Math.round(bytes / 1024)} KB; Gmail clips anything over about 102 KB behind "View entire message".`,
      fix: 'Trim inline CSS and markup, or move content to a web page; clipped mail hides the unsubscribe link and tracking pixel.',
      evidence: { bytes },
    },
  ];
};

const lineTooLong: LintRule = ({ msg }) => {
  const raw = msg.raw;
  let start = 0;
  let longest = 0;
  let lineNo = 0;
  let at = 0;
  let count = 0;
  for (let i = 0; i <= raw.length; i++) {
    if (i === raw.length || raw[i] === 0x0a) {
      lineNo++;
      let len = i - start;
      if (len > 0 && raw[i - 1] === 0x0d) len--;
      if (len > MAX_LINE_OCTETS) {
        count++;
        if (len > longest) {
          longest = len;
          at = lineNo;
        }
      }
      start = i + 1;
    }
  }
  if (count === 0) return [];
  return [
    {
      code: 'LINT_LINE_TOO_LONG',
      severity: 'warning',
      check: 'format',
      message: `${count} line${count === 1 ? '' : 's'} over ${MAX_LINE_OCTETS} octets (longest: ${longest} octets, line ${at}).`,
      fix: 'Encode long bodies as quoted-printable or base64 (RFC 2045 §6.7, §6.8) and fold long headers (RFC 5322 §2.2.3).',
      evidence: { lines: count, longest, line: at },
    },
  ];
};

function has8bit(raw: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (raw[i]! > 0x7f) return true;
  return false;
}

const undeclared8bit: LintRule = ({ msg }) => {
  const out: Finding[] = [];
  const { structure, raw } = msg;
  if (has8bit(raw, 0, structure.bodyStart)) {
    out.push({
      code: 'LINT_UNDECLARED_8BIT',
      severity: 'warning',
      check: 'format',
      message: 'The header section holds raw 8-bit octets; outside SMTPUTF8 (RFC 6532) headers must be ASCII.',
      fix: 'Encode non-ASCII header text as RFC 2047 encoded-words (=?UTF-8?B?…?=), which every mail library can do.',
    });
  }
  const bad = structure.leaves.filter(
    (l) => l.transferEncoding !== '8bit' && l.transferEncoding !== 'binary' && has8bit(raw, l.bodyStart, l.bodyEnd),
  );
  if (bad.length > 0) {
    out.push({
      code: 'LINT_UNDECLARED_8BIT',
      severity: 'warning',
      check: 'format',
      message: `${bad.length} MIME part${bad.length === 1 ? '' : 's'} (${[...new Set(bad.map((l) => l.contentType))].join(', ')}) hold 8-bit octets but are declared ${[...new Set(bad.map((l) => l.transferEncoding))].join('/')}.`,
      fix: 'Declare Content-Transfer-Encoding: 8bit (or encode the part as quoted-printable/base64) so relays do not mangle it (RFC 2045 §6.2).',
      evidence: bad.map((l) => ({ contentType: l.contentType, transferEncoding: l.transferEncoding })),
    });
  }
  return out;
};

// --- headers ------------------------------------------------------------------------------------

const missingDate: LintRule = (ctx) => {
  const date = header(ctx, 'date');
  if (date === undefined) {
    return [
      {
        code: 'LINT_MISSING_DATE',
        severity: 'warning',
        check: 'headers',
        message: 'There is no Date header (RFC 5322 §3.6 requires exactly one).',
        fix: 'Set Date when the message is sent (most MTAs add it, but filters see the message before that when it arrives without).',
      },
    ];
  }
  if (Number.isNaN(Date.parse(date.replace(/\([^)]*\)/g, '').trim()))) {
    return [
      {
        code: 'LINT_MISSING_DATE',
        severity: 'warning',
        check: 'headers',
        message: `The Date header "${date.slice(0, 80)}" is not a valid date-time (RFC 5322 §3.3).`,
        fix: 'Format it like "Thu, 27 Nov 2025 10:00:00 +0000".',
        evidence: { date },
      },
    ];
  }
  return [];
};

const missingMessageId: LintRule = (ctx) => {
  const mid = header(ctx, 'message-id');
  if (mid === undefined || mid.trim() === '') {
    return [
      {
        code: 'LINT_MISSING_MESSAGE_ID',
        severity: 'warning',
        check: 'headers',
        message: 'There is no Message-ID header.',
        fix: 'Generate one per message as <unique@your-domain> (RFC 5322 §3.6.4); Gmail expects it of bulk senders.',
      },
    ];
  }
  // RFC 5322 §3.6.4: msg-id = "<" id-left "@" id-right ">"
  if (!/^\s*<[^<>@\s]+@[^<>@\s]+>\s*$/.test(mid)) {
    return [
      {
        code: 'LINT_MISSING_MESSAGE_ID',
        severity: 'warning',
        check: 'headers',
        message: `The Message-ID "${mid.slice(0, 80)}" is not of the form <left@right> (RFC 5322 §3.6.4).`,
        fix: 'Generate it as <unique@your-domain>.',
        evidence: { messageId: mid },
      },
    ];
  }
  return [];
};

const ADDR = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$|^[^\s@<>()",;:]+@\[[0-9a-f:.]+\]$/i;

const fromInvalid: LintRule = (ctx) => {
  const count = headerCount(ctx, 'from');
  const bad = (message: string, evidence?: unknown): Finding[] => [
    {
      code: 'LINT_FROM_INVALID',
      severity: 'error',
      check: 'headers',
      message,
      fix: 'Send exactly one From header with one address in a domain you authenticate (SPF/DKIM aligned for DMARC).',
      ...(evidence === undefined ? {} : { evidence }),
    },
  ];
  if (count === 0) return bad('There is no From header (RFC 5322 §3.6 requires exactly one).');
  if (count > 1) return bad(`There are ${count} From headers; RFC 5322 §3.6 allows exactly one, and DMARC receivers reject such mail (RFC 7489 §6.6.1).`);
  const value = header(ctx, 'from')!;
  let list: Address[];
  try {
    list = addressParser(Buffer.from(value, 'latin1').toString('utf8'), { flatten: false });
  } catch {
    list = [];
  }
  const mailboxes = list.flatMap((a) => (a.group ? a.group : [a]));
  if (list.some((a) => a.group !== undefined)) return bad(`The From header is a group ("${value.slice(0, 80)}"), which is not a sender.`, { from: value });
  if (mailboxes.length === 0 || mailboxes.every((m) => !m.address)) return bad(`The From header "${value.slice(0, 80)}" holds no address.`, { from: value });
  if (mailboxes.length > 1 && header(ctx, 'sender') === undefined) {
    return bad(`The From header lists ${mailboxes.length} mailboxes and there is no Sender header (RFC 5322 §3.6.2).`, { from: value });
  }
  const invalid = mailboxes.filter((m) => !ADDR.test(m.address));
  if (invalid.length > 0) return bad(`The From address "${invalid[0]!.address.slice(0, 80)}" is not a valid addr-spec (RFC 5322 §3.4.1).`, { from: value });
  return [];
};

const subjectMissing: LintRule = (ctx) => {
  const subject = header(ctx, 'subject');
  if (subject !== undefined && subject.trim() !== '') return [];
  return [
    {
      code: 'LINT_SUBJECT_MISSING',
      severity: 'warning',
      check: 'headers',
      message: subject === undefined ? 'There is no Subject header.' : 'The Subject header is empty.',
      fix: 'Give every message a short, specific subject; filters and readers both penalise mail without one.',
    },
  ];
};

// RFC 2369 §2: List-Unsubscribe is a comma-separated list of <URI>.
function listUnsubscribeUris(value: string): string[] {
  return [...value.matchAll(/<([^>]*)>/g)].map((m) => m[1]!.trim());
}

const unsubscribe: LintRule = (ctx) => {
  if (!ctx.opts.bulk) return [];
  const value = header(ctx, 'list-unsubscribe');
  if (value === undefined || listUnsubscribeUris(value).length === 0) {
    return [
      {
        code: 'LINT_NO_UNSUBSCRIBE',
        severity: 'error',
        check: 'unsubscribe',
        message:
          value === undefined
            ? 'Bulk mail without a List-Unsubscribe header: Gmail and Yahoo require one of bulk senders.'
            : `The List-Unsubscribe header "${value.slice(0, 80)}" holds no <URI> (RFC 2369 §2).`,
        fix: 'Add "List-Unsubscribe: <https://example.com/unsub?u=…>, <mailto:unsub@example.com>" and "List-Unsubscribe-Post: List-Unsubscribe=One-Click".',
      },
    ];
  }
  const uris = listUnsubscribeUris(value);
  const https = uris.filter((u) => /^https:\/\//i.test(u));
  const post = header(ctx, 'list-unsubscribe-post');
  // RFC 8058 §3.1: the POST header must contain exactly the key/value List-Unsubscribe=One-Click
  const postOk = post !== undefined && post.trim() === 'List-Unsubscribe=One-Click';
  if (https.length > 0 && postOk) return [];
  const missing = [https.length === 0 ? 'an https: URI in List-Unsubscribe' : '', postOk ? '' : '"List-Unsubscribe-Post: List-Unsubscribe=One-Click"']
    .filter(Boolean)
    .join(' and ');
  return [
    {
      code: 'LINT_NO_ONE_CLICK_UNSUBSCRIBE',
      severity: 'error',
      check: 'unsubscribe',
      message: `No one-click unsubscribe (RFC 8058): missing ${missing}.`,
      fix: 'Add an https: URI that unsubscribes on POST without further interaction, the List-Unsubscribe-Post header, and sign both headers with DKIM (RFC 8058 §3.1, §4).',
      evidence: { listUnsubscribe: value, listUnsubscribePost: post },
    },
  ];
};

// --- attachments --------------------------------------------------------------------------------

function attachmentsOf(ctx: LintContext): { filename: string; size: number; mimeType: string }[] {
  const list = ctx.msg.email?.attachments ?? [];
  return list.map((a) => ({
    filename: a.filename ?? '',
    size: typeof a.content === 'string' ? Buffer.byteLength(a.content) : a.content.byteLength,
    mimeType: a.mimeType,
  }));
}

const attachmentBlocked: LintRule = (ctx) => {
  const allowed = new Set(ctx.opts.allowedExtensions);
  const out: Finding[] = [];
  for (const a of attachmentsOf(ctx)) {
    if (!a.filename) continue; // an unnamed inline part (a related image) is no attachment a reader opens
    const ext = extensionOf(a.filename);
    const kind = blockedKind(ext);
    if (kind) {
      out.push({
        code: 'LINT_ATTACHMENT_BLOCKED',
        severity: 'error',
        check: 'attachments',
        message: `"${a.filename}" is a ${kind} (.${ext}); Gmail and Outlook block such attachments and filters score them as malware.`,
        fix: 'Do not attach executables or scripts; link to a download page on your own domain instead.',
        evidence: { filename: a.filename, extension: ext, mimeType: a.mimeType, alwaysBlocked: true },
      });
    } else if (!allowed.has(ext)) {
      out.push({
        code: 'LINT_ATTACHMENT_BLOCKED',
        severity: 'warning',
        check: 'attachments',
        message: ext ? `"${a.filename}" has the extension .${ext}, which is not on the attachment allow-list.` : `"${a.filename}" has no extension.`,
        fix: 'Send a common format (pdf, png, jpg, docx, xlsx, …), or allow it with --allow-attachment if you mean to send it.',
        evidence: { filename: a.filename, extension: ext, mimeType: a.mimeType, alwaysBlocked: false },
      });
    }
  }
  return out;
};

const attachmentLarge: LintRule = (ctx) =>
  attachmentsOf(ctx)
    .filter((a) => a.size > MAX_ATTACHMENT_BYTES)
    .map((a) => ({
      code: 'LINT_ATTACHMENT_LARGE' as const,
      severity: 'warning' as const,
      check: 'attachments',
      message: `"${a.filename || a.mimeType}" is ${(a.size / 1_000_000).toFixed(1)} MB; base64-encoded it alone exceeds the ${MAX_MESSAGE_BYTES}-byte limit many servers keep.`,
      fix: 'Host the file and link to it.',
      evidence: { filename: a.filename, bytes: a.size },
    }));

// --- links --------------------------------------------------------------------------------------

const urlShortener: LintRule = (ctx) => {
  const seen = new Map<string, string[]>();
  for (const url of ctx.urls) {
    const host = hostOf(url);
    if (!host) continue;
    const s = shortenerFor(host, getDomain(host));
    if (!s) continue;
    const list = seen.get(s) ?? [];
    list.push(url);
    seen.set(s, list);
  }
  return [...seen].map(([shortener, urls]) => ({
    code: 'LINT_URL_SHORTENER' as const,
    severity: 'warning' as const,
    check: 'links',
    message: `${urls.length} link${urls.length === 1 ? '' : 's'} through the public shortener ${shortener} (${urls[0]}).`,
    fix: 'Link to the destination directly, or use a short-link domain you own.',
    evidence: { shortener, urls },
  }));
};

/** The domain that link text shows, when it reads as a URL or a bare domain name. */
export function domainShownIn(text: string): string | undefined {
  const t = text.trim().replace(/[.,;:!?)\]]+$/, '');
  const m = /^(?:https?:\/\/)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9])(?::\d+)?(?:[/?#]\S*)?$/i.exec(t);
  if (!m) return undefined;
  const host = m[1]!.toLowerCase();
  // "file.pdf", "v1.2": only names with a known public suffix count as a shown domain
  const info = parseHost(host);
  if (!info.domain || !info.isIcann) return undefined;
  return host;
}

const linkTextMismatch: LintRule = ({ html }) => {
  if (!html) return [];
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const link of html.links) {
    const shown = domainShownIn(link.text);
    if (!shown) continue;
    const target = hostOf(link.href);
    if (!target) continue;
    const a = siteOf(shown);
    const b = siteOf(target);
    if (a === b) continue;
    const key = `${a}>${b}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      code: 'LINT_LINK_TEXT_MISMATCH',
      severity: 'warning',
      check: 'links',
      message: `A link shows "${link.text.slice(0, 80)}" (${a}) but goes to ${target} (${b}).`,
      fix: 'Make the visible text match the destination, or use words instead of a URL; for click tracking use a tracking domain under your own domain.',
      evidence: { text: link.text, href: link.href },
    });
  }
  return out;
};

export const LINT_RULES: readonly LintRule[] = [
  fromInvalid,
  missingDate,
  missingMessageId,
  subjectMissing,
  unsubscribe,
  noTextPart,
  imageOnly,
  urlShortener,
  linkTextMismatch,
  attachmentBlocked,
  attachmentLarge,
  sizeLarge,
  htmlClipped,
  lineTooLong,
  undeclared8bit,
];

/** Builds what the rules share: the HTML analysis and the message's URLs. */
export function lintContext(msg: ParsedMessage, opts: LintOptions): LintContext {
  const html = msg.email?.html ? analyseHtml(msg.email.html) : undefined;
  const urls = new Set<string>();
  for (const l of html?.links ?? []) if (/^https?:\/\//i.test(l.href)) urls.add(l.href);
  // the text body may be postal-mime's rendering of the HTML; its URLs are then the same ones
  for (const u of urlsInText(msg.email?.text ?? '')) urls.add(u);
  return { msg, opts, html, urls: [...urls] };
}

/** Every http(s) host a message links to, lower-case, deduplicated. */
export function linkedHosts(ctx: LintContext): string[] {
  return [...new Set(ctx.urls.map(hostOf).filter((h): h is string => !!h))];
}

