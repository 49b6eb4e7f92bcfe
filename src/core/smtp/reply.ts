/**
 * SMTP replies as data: a pure parser for single- and multi-line replies (RFC 5321 §4.2) with
 * enhanced status codes (RFC 3463, carried per RFC 2034 §4).
 *
 * A reply is one or more lines "ddd-text" (continuation) ending with "ddd text" or a bare "ddd".
 * Every line of one reply must carry the same code (RFC 5321 §4.2.1). Servers that announce
 * ENHANCEDSTATUSCODES prefix each line's text with "class.subject.detail" (RFC 2034 §4).
 */

export interface SmtpReply {
  /** The three-digit reply code (RFC 5321 §4.2.2). */
  code: number;
  /** "class.subject.detail" (RFC 3463 §2) when the server sent one that agrees with the code. */
  enhanced?: string;
  /** Text of each line, code and enhanced code removed. */
  lines: string[];
  /** The lines joined with "\n". */
  text: string;
}

export type ReplyClass = 'positive' | 'intermediate' | 'transient' | 'permanent';

/** Thrown by parseReply for text that is not an SMTP reply (garbage, truncated lines, mixed codes). */
export class ReplySyntaxError extends Error {
  constructor(
    message: string,
    readonly raw: string,
  ) {
    super(message);
    this.name = 'ReplySyntaxError';
  }
}

// RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF ) Reply-code [ SP textstring ] CRLF,
// Reply-code = %x32-35 %x30-35 %x30-39. Servers in the wild also send a bare code followed by a tab.
const LINE = /^([2-5][0-5][0-9])(?:([ \t-])(.*))?$/s;

// RFC 3463 §2: class "." subject "." detail, where subject and detail are 1-3 digits without
// leading zeros ("0" / %x31-39 0*2DIGIT). The class must be 2, 4 or 5.
const ENHANCED = /^([245])\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})(?=[ \t]|$)[ \t]*/;

export interface ParsedLine {
  code: number;
  /** True for "ddd-…": more lines follow. */
  more: boolean;
  text: string;
}

/** One reply line, or undefined when the line is not of the reply-line form. */
export function parseReplyLine(line: string): ParsedLine | undefined {
  const m = LINE.exec(line.replace(/\r$/, ''));
  if (!m) return undefined;
  return { code: Number(m[1]), more: m[2] === '-', text: m[3] ?? '' };
}

/** Splits "class.subject.detail" off the front of a reply text; only when its class agrees with the code. */
export function splitEnhancedCode(code: number, text: string): { enhanced?: string; text: string } {
  const m = ENHANCED.exec(text);
  // RFC 3463 §3.1: the class digit repeats the meaning of the reply code's first digit; a
  // mismatching prefix is just text (some servers put version numbers or dates there).
  if (!m || Number(m[1]) !== Math.floor(code / 100)) return { text };
  return { enhanced: `${m[1]}.${m[2]}.${m[3]}`, text: text.slice(m[0].length) };
}

/**
 * Parses one complete reply. Accepts "\r\n" or "\n" line ends and an optional final line break.
 * Throws ReplySyntaxError when a line is not a reply line, codes differ between lines, a
 * continuation line ends the input, or a final line is followed by more lines.
 */
export function parseReply(raw: string): SmtpReply {
  const body = raw.replace(/\r?\n$/, '');
  if (body === '') throw new ReplySyntaxError('empty reply', raw);
  const rawLines = body.split(/\r?\n/);
  const parsed: ParsedLine[] = [];
  for (const [i, l] of rawLines.entries()) {
    const p = parseReplyLine(l);
    if (!p) throw new ReplySyntaxError(`line ${i + 1} is not an SMTP reply line: ${JSON.stringify(l.slice(0, 80))}`, raw);
    if (parsed.length > 0 && p.code !== parsed[0]!.code) {
      throw new ReplySyntaxError(`line ${i + 1} has code ${p.code}, the reply started with ${parsed[0]!.code} (RFC 5321 §4.2.1)`, raw);
    }
    if (p.more === false && i !== rawLines.length - 1) {
      throw new ReplySyntaxError(`line ${i + 1} ends the reply but more lines follow`, raw);
    }
    parsed.push(p);
  }
  if (parsed[parsed.length - 1]!.more) throw new ReplySyntaxError('the reply ends with a continuation line (truncated)', raw);
  const code = parsed[0]!.code;
  // The enhanced code of the first line is the reply's; servers repeat it on every line (RFC 2034 §4).
  const first = splitEnhancedCode(code, parsed[0]!.text);
  const lines = parsed.map((p, i) => {
    if (i === 0) return first.text;
    const s = splitEnhancedCode(code, p.text);
    return s.enhanced !== undefined && s.enhanced === first.enhanced ? s.text : p.text;
  });
  const reply: SmtpReply = { code, lines, text: lines.join('\n') };
  if (first.enhanced !== undefined) reply.enhanced = first.enhanced;
  return reply;
}

/** parseReply without the exception. */
export function tryParseReply(raw: string): SmtpReply | undefined {
  try {
    return parseReply(raw);
  } catch {
    return undefined;
  }
}

/**
 * Splits a received byte stream (as text) into complete replies. Returns the complete replies and
 * what is left over (an incomplete reply); throws ReplySyntaxError on a line that is not a reply line.
 */
export function readReplies(buffer: string): { replies: SmtpReply[]; rest: string } {
  const replies: SmtpReply[] = [];
  let start = 0;
  let pos = 0;
  for (;;) {
    const nl = buffer.indexOf('\n', pos);
    if (nl < 0) break;
    const line = buffer.slice(pos, nl).replace(/\r$/, '');
    const p = parseReplyLine(line);
    if (!p) throw new ReplySyntaxError(`not an SMTP reply line: ${JSON.stringify(line.slice(0, 80))}`, buffer.slice(start, nl + 1));
    pos = nl + 1;
    if (!p.more) {
      replies.push(parseReply(buffer.slice(start, pos)));
      start = pos;
    }
  }
  return { replies, rest: buffer.slice(start) };
}

/** RFC 5321 §4.2.1: the first digit says whether the command was accepted, and if not, for how long. */
export function replyClass(code: number): ReplyClass {
  const d = Math.floor(code / 100);
  if (d === 2) return 'positive';
  if (d === 3) return 'intermediate';
  if (d === 4) return 'transient';
  return 'permanent';
}

/** The reply as one line of text for messages: "450 4.2.0 Greylisted, see …". */
export function formatReply(r: { code: number; enhanced?: string | null; text: string }): string {
  return [String(r.code), r.enhanced ?? '', r.text.replace(/\s*\n\s*/g, ' ').trim()].filter((x) => x !== '').join(' ');
}
