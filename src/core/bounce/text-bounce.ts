/**
 * The error text of a bounce → recipients, each with the remote server's reply. Shared by every
 * non-standard format (vendors.ts holds the formats as data) and used to complete a DSN whose
 * Diagnostic-Code is missing. Patterns are the recipient lines of real bounces:
 *   <user@example.com>:          qmail, Yahoo, Postfix's human part, OpenSMTPD
 *     user@example.com           Exim, Gmail (indented, the reply on the following lines)
 *   user@example.com... reason   Sendmail
 *   … delivering your mail to <user@example.com>.   DragonFly and other sentence forms
 */
import type { SmtpStage } from '../delivery/classification.js';
import { ADDR, ORIGINAL_MESSAGE_MARKERS } from './vendors.js';

export interface TextRecipient {
  recipient: string;
  diagnostic: string;
}

const RECIPIENT_LINES: readonly RegExp[] = [
  // "<addr>:", and Sendmail's transcript line ">>> RCPT To:<addr>" (any case)
  new RegExp(String.raw`^\s*(?:>>>\s*)?(?:[Rr][Cc][Pp][Tt] [Tt][Oo]:\s*)?<(${ADDR})>:?\s*(.*)$`),
  new RegExp(String.raw`^\s*"?(${ADDR})"?\s*(?:<${ADDR}>)?\s*:?\s*$`),
  // Sendmail's "addr... reason"; V5 sendmail writes its own reply code first ("554 <addr>... 550 Host unknown")
  new RegExp(String.raw`^\s*(?:[45]\d\d\s+)?<?(${ADDR})>?\.\.\.\s*(.*)$`),
  new RegExp(String.raw`^\s*(${ADDR}):\s+(.*)$`),
  // a line that starts with the address: ">>> addr <addr>", "addr [User unknown]", "addr Invalid Address, …"
  new RegExp(String.raw`^\s*(?:>>>\s*)?<?(${ADDR})>?(?:\s+(.*))?$`),
  new RegExp(String.raw`^\s*(?:Recipient address|Original-Recipient|Failed recipient|Recipient|To|Final-Recipient)\s*:\s*(?:rfc822;\s*)?<?(${ADDR})>?\s*(.*)$`, 'i'),
];
const REASON_THEN_ADDRESS = new RegExp(String.raw`^\s*([A-Za-z][^<>]{2,120}?):\s*<(${ADDR})>\s*$`);
const SENTENCE = new RegExp(String.raw`(?:deliver(?:ing|y|ed)?(?: your (?:mail|message))? to:?|recipient(?:s)?:?|address(?:es)?:?|for|to)\s+<?(${ADDR})>?`, 'i');

/** The markers as one pattern tried at a given line start (sticky), each without its "^". */
const ORIGINAL_MESSAGE_MARKER = new RegExp(ORIGINAL_MESSAGE_MARKERS.map((re) => `(?:${re.source.replace(/^\^/, '')})`).join('|'), 'imy');

/** Offset of the first line that any marker matches, or -1: one try per line, not one per position. */
function firstMarkerLine(text: string): number {
  for (let pos = 0; pos < text.length; ) {
    ORIGINAL_MESSAGE_MARKER.lastIndex = pos;
    if (ORIGINAL_MESSAGE_MARKER.test(text)) return pos;
    const nl = text.indexOf('\n', pos);
    if (nl < 0) break;
    pos = nl + 1;
  }
  return -1;
}

const COPY_HEADER = /(?:Return-Path|Received|Delivered-To|DKIM-Signature|X-Received|Message-ID|From|Date):/iy;
const SPACE = /\s/;

/**
 * Offset of the line break before a blank line that a copied header block follows ("\n", white
 * space holding another "\n", then "Received:" …), or -1. Each run of white space is looked at once.
 */
function headerBlockAfterBlankLine(text: string): number {
  for (let i = text.indexOf('\n'); i >= 0; ) {
    let j = i + 1;
    while (j < text.length && SPACE.test(text[j]!)) j++;
    if (j - 1 > i && text.charCodeAt(j - 1) === 10) {
      COPY_HEADER.lastIndex = j;
      if (COPY_HEADER.test(text)) return i;
    }
    i = text.indexOf('\n', j);
  }
  return -1;
}

/** Cuts the returned copy of the original message off the error text; returns [error, original]. */
export function splitOriginal(text: string): [string, string] {
  let cut = firstMarkerLine(text);
  if (cut < 0) {
    // A bare header block after a blank line (Return-Path:/Received: first) starts the copy.
    cut = headerBlockAfterBlankLine(text);
  }
  return cut < 0 ? [text, ''] : [text.slice(0, cut), text.slice(cut)];
}

/** What RegExp \s and String.prototype.trim take for white space (ECMA-262 WhiteSpace and LineTerminator). */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  return c >= 0xa0 && (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff);
}

/**
 * `text` with each run of white space made one space, trimmed, cut to `max` characters (as
 * `text.replace(/\s+/g, ' ').trim().slice(0, max)`), reading only as much of a long text as that needs.
 */
export function squeeze(text: string, max: number): string {
  const n = text.length;
  let i = 0;
  let out = '';
  while (i < n && isSpace(text.charCodeAt(i))) i++;
  while (i < n) {
    let j = i;
    while (j < n && !isSpace(text.charCodeAt(j))) j++;
    out += text.slice(i, j);
    if (out.length >= max) break;
    let k = j;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    // a run of white space at the end is trimmed
    if (k < n) out += ' ';
    i = k;
  }
  return out.length > max ? out.slice(0, max) : out;
}

function clean(lines: readonly string[]): string {
  return squeeze(lines.join(' '), 2000);
}

/** Recipients and their text, from the error part of a bounce. */
export function recipientsFromText(errorText: string): TextRecipient[] {
  const lines = errorText.replace(/\r\n/g, '\n').split('\n');
  const found: { recipient: string; start: number; first: string; strength: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // every recipient line names an address
    if (line.length > 400 || !line.includes('@')) continue;
    for (let p = 0; p < RECIPIENT_LINES.length; p++) {
      const m = RECIPIENT_LINES[p]!.exec(line);
      if (m) {
        // a transcript line (">>> RCPT To:<addr>") stays in the reply: it names the command answered
        const first = /^\s*>>>/.test(line) ? `${line.trim()} ${m[2] ?? ''}` : (m[2] ?? '');
        found.push({ recipient: m[1]!, start: i, first, strength: p });
        break;
      }
    }
  }
  // One entry per recipient, in order of first appearance. When an address appears more than once
  // (a quoted "To: addr" header line, then the recipient line of the report), its reply follows the
  // strongest form of recipient line: the header-like forms (last in RECIPIENT_LINES) only when
  // nothing else names it.
  const out: TextRecipient[] = [];
  const seen = new Set<string>();
  for (let k = 0; k < found.length; k++) {
    const key = found[k]!.recipient.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    let best = k;
    for (let j = k + 1; j < found.length; j++) if (found[j]!.recipient.toLowerCase() === key && found[j]!.strength < found[best]!.strength) best = j;
    const f = found[best]!;
    // the reply runs to the next recipient line of another address, or to the start of another
    // host's transcript ("While talking to host:", V5 sendmail's "421 host (smtp)... Deferred")
    let end = lines.length;
    for (let j = best + 1; j < found.length; j++) {
      if (found[j]!.recipient.toLowerCase() !== key) {
        end = found[j]!.start;
        break;
      }
    }
    for (let j = f.start + 1; j < end; j++) {
      if (TRANSCRIPT_START.test(lines[j]!)) {
        end = j;
        break;
      }
    }
    // Sendmail writes the session transcript (">>> DATA", "<<< 550 …") just before the recipient line
    // it led to ("554 <addr>... Remote protocol error"): that reply is the recipient's.
    const before: string[] = [];
    // (V5 sendmail writes the host's own status line, "421 host (smtp)... Deferred: …", in between)
    for (let j = f.start - 1; j >= 0 && /^\s*(?:>>>|<<<|[45]\d\d \S+ \(\w+\)\.\.\. )/.test(lines[j]!); j--) if (/^\s*(?:>>>|<<<)/.test(lines[j]!)) before.unshift(lines[j]!.trim());
    const first = before.some((l) => l.startsWith('<<<')) && !/^\s*>>>/.test(lines[f.start]!) ? `${f.first} ${before.join(' ')}` : f.first;
    const block = [first, ...lines.slice(f.start + 1, end)];
    out.push({ recipient: found[k]!.recipient, diagnostic: clean(trimBlock(block)) });
  }
  if (out.some((o) => o.diagnostic === '')) {
    // The reply given once for every recipient, before the list of them ("Could not be delivered
    // because of / 550 5.1.1 User unknown / The following recipients were affected: …", MailMarshal).
    const shared = errorText.replace(/\r\n/g, '\n').split(/\n[ \t]*\n/).find((p) => REPLY_RE.test(p) && STATUS_RE.test(p) && p.length < 1000);
    // Else the explanation written above the list ("Your message was not delivered within 0 days and
    // 1 hours. Remote host is not responding. / The following recipients did not receive this message:").
    const preamble = shared ? undefined : clean(lines.slice(0, found[0]!.start)).slice(0, 1000);
    const text = shared ? clean(shared.split('\n')) : preamble;
    if (text) for (const o of out) if (o.diagnostic === '') o.diagnostic = text;
  }
  if (out.length === 0) {
    // "User's mailbox is full: <user@example.jp>": the reason first, the address after it.
    for (let i = 0; i < lines.length; i++) {
      const m = REASON_THEN_ADDRESS.exec(lines[i]!);
      if (m) {
        const rest = lines.slice(i + 1);
        const para = rest.findIndex((l) => l.trim() === '');
        out.push({ recipient: m[2]!, diagnostic: clean([m[1]!, ...(para >= 0 ? rest.slice(0, para) : rest)]) });
        return out;
      }
    }
    const m = SENTENCE.exec(errorText);
    if (m) {
      const after = errorText.slice(m.index + m[0].length);
      out.push({ recipient: m[1]!, diagnostic: clean(trimBlock(after.split('\n'))) });
    }
  }
  return out;
}

/** A recipient's block: drop the boilerplate paragraphs after its reply. */
function trimBlock(block: string[]): string[] {
  const joined = block.join('\n');
  const paras = joined.split(/\n[ \t]*\n/);
  // keep paragraphs up to and including the first that carries an SMTP reply or status, else the first two
  const idx = paras.findIndex((p) => REPLY_RE.test(p) || STATUS_RE.test(p));
  const keep = idx >= 0 ? paras.slice(0, idx + 1) : paras.slice(0, 2);
  return keep.join('\n').split('\n');
}

/** A line that starts another host's part of a Sendmail transcript. */
const TRANSCRIPT_START = /^\s*(?:while talking to \S+:|[45]\d\d \S+ \(\w+\)\.\.\. )/i;

const REPLY_RE = /(?:^|[\s:(\[])([45]\d\d)(?:[\s-]|$)/m;
export const STATUS_RE = /(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.]*\d)/;

/** The SMTP reply code a text quotes ("550"), or "". */
export function replyCodeOf(text: string): string {
  const m = /(?:^|[\s:(\[>]|said:\s*)([45]\d\d)(?:[\s-]+[45]\.\d|\s|-|$)/.exec(text);
  return m ? m[1]! : '';
}

/** The enhanced status code a text quotes ("5.1.1", qmail's "(#5.1.1)"), or "". */
export function statusOf(text: string): string {
  const m = STATUS_RE.exec(text);
  return m ? m[1]! : '';
}

/**
 * Whether `re` matches around an occurrence of `word` (which every match of `re` contains): the
 * pattern is tried on a short window at each occurrence, not at every position of a long text.
 */
function near(t: string, word: string, re: RegExp): boolean {
  for (let i = t.indexOf(word); i >= 0; i = t.indexOf(word, i + word.length)) {
    if (re.test(t.slice(Math.max(0, i - 64), i + word.length + 320))) return true;
  }
  return false;
}

/** The transaction stage a text names ("after RCPT TO", "in reply to end of DATA command" …). */
export function stageOf(text: string): SmtpStage | undefined {
  const t = text.toLowerCase();
  // Sendmail's transcript names the command it sent: ">>> DATA" then "<<< 550 …".
  const sent = t.includes('>>>') ? />>>\s*(data|rcpt to|mail from|ehlo|helo)\b/.exec(t) : null;
  if (sent) return sent[1] === 'data' ? 'data' : sent[1] === 'rcpt to' ? 'rcpt' : sent[1] === 'mail from' ? 'mail' : 'ehlo';
  // (each pattern only where its command's name occurs at all: most texts name none)
  if (near(t, 'rcpt', /(?:after|in reply to|response to|for|did not like our)\s+(?:the\s+)?(?:rcpt to|rcpt)|rcpt to(?: command)? response|rcpt to:<[^>]*>:/)) return 'rcpt';
  if (near(t, 'data', /(?:after|in reply to|did not like our)\s+(?:end of data|final data|data|the end of data)|end of data command|after end of data/)) return 'data';
  if (t.includes('mail from') && /(?:after|in reply to)\s+mail from/.test(t)) return 'mail';
  if ((t.includes('helo') || t.includes('ehlo')) && /(?:after|in reply to)\s+(?:helo|ehlo)/.test(t)) return 'ehlo';
  if ((t.includes('connect') || t.includes('greeting')) && /(?:after|in reply to)\s+(?:initial connection|the greeting|connect)/.test(t)) return 'greeting';
  return undefined;
}
