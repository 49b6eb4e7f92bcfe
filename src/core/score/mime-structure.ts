/**
 * The raw shape of a message, read straight from its bytes: the header section, and the tree of
 * MIME parts with their declared types and transfer encodings. postal-mime decodes content but
 * hides the structure (it renders a text body from the HTML when there is no text/plain part, for
 * one), and some rules need exactly what was declared: which parts exist, how each is encoded.
 *
 * Works on a latin1 view of the bytes, so string offsets are byte offsets and no byte is altered.
 * Lenient like a receiving MTA: a missing boundary or a bad header line does not stop the walk.
 */

export interface RawHeader {
  /** Lower-case field name. */
  name: string;
  /** Unfolded value (RFC 5322 §2.2.3), as raw octets in latin1. */
  value: string;
}

export interface MimeLeaf {
  /** Lower-case type/subtype; "text/plain" when absent (RFC 2045 §5.2). */
  contentType: string;
  params: Record<string, string>;
  /** Lower-case Content-Transfer-Encoding; "7bit" when absent (RFC 2045 §6.1). */
  transferEncoding: string;
  /** Lower-case disposition type ("inline", "attachment") or undefined. */
  disposition?: string;
  /** Byte range of the body in the raw message. */
  bodyStart: number;
  bodyEnd: number;
  /** Nesting depth (0: the message itself is the part). */
  depth: number;
}

export interface MimeStructure {
  headers: RawHeader[];
  /** Byte offset where the top-level body starts (after the blank line). */
  bodyStart: number;
  /** Leaf parts in document order (multipart containers are walked, message/rfc822 is a leaf). */
  leaves: MimeLeaf[];
  /** Set when the walk gave up on part of the tree. */
  truncated?: string;
  /** Structural defects found on the way (each once), e.g. a multipart that is never closed. */
  problems: string[];
}

/** Deeper than this, a message is hostile or broken; stop walking. */
export const MAX_MIME_DEPTH = 64;
/** More parts than this: stop walking (keeps a crafted message from costing unbounded work). */
export const MAX_MIME_PARTS = 2000;

/** Parses the header section that starts at `start`; returns the headers and where the body begins. */
export function parseHeaderBlock(text: string, start: number, end = text.length): { headers: RawHeader[]; bodyStart: number } {
  const headers: RawHeader[] = [];
  let pos = start;
  let current: RawHeader | undefined;
  while (pos < end) {
    let nl = text.indexOf('\n', pos);
    if (nl === -1 || nl >= end) nl = end;
    const line = text.slice(pos, nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl);
    const next = Math.min(nl + 1, end);
    if (line === '') return { headers, bodyStart: next };
    if ((line[0] === ' ' || line[0] === '\t') && current) {
      // folded continuation: unfolding removes the CRLF only (RFC 5322 §2.2.3)
      current.value += line;
    } else {
      const colon = line.indexOf(':');
      if (colon > 0) {
        let v = colon + 1;
        while (v < line.length && (line.charCodeAt(v) === 32 || line.charCodeAt(v) === 9)) v++;
        current = { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(v) };
        headers.push(current);
      } else {
        current = undefined; // a line that is no header: skipped, as parsers do
      }
    }
    pos = next;
  }
  return { headers, bodyStart: end };
}

const PARAM = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;

/** Splits "type/subtype; a=b; c="d"" into the lower-cased value and its parameters (RFC 2045 §5.1). */
export function parseParams(value: string): { value: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  const semi = value.indexOf(';');
  const head = (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase();
  if (semi !== -1) {
    let m: RegExpExecArray | null;
    PARAM.lastIndex = semi;
    while ((m = PARAM.exec(value)) !== null) {
      const key = m[1]!.toLowerCase();
      const v = m[2] !== undefined ? (m[2].includes('\\') ? m[2].replace(/\\(.)/g, '$1') : m[2]) : (m[3] ?? '').trim();
      if (!(key in params)) params[key] = v;
    }
  }
  return { value: head, params };
}

export function headerValue(headers: readonly RawHeader[], name: string): string | undefined {
  return headers.find((h) => h.name === name)?.value;
}

/** `text` may be passed when the caller already has the latin1 view of `raw`. */
export function parseMimeStructure(raw: Uint8Array, text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')): MimeStructure {
  const { headers, bodyStart } = parseHeaderBlock(text, 0);
  const leaves: MimeLeaf[] = [];
  const state: WalkState = { problems: new Set() };
  walk(text, headers, bodyStart, text.length, 0, leaves, state);
  return { headers, bodyStart, leaves, problems: [...state.problems], ...(state.truncated ? { truncated: state.truncated } : {}) };
}

interface WalkState {
  truncated?: string;
  problems: Set<string>;
}

function walk(
  text: string,
  headers: RawHeader[],
  bodyStart: number,
  bodyEnd: number,
  depth: number,
  leaves: MimeLeaf[],
  state: WalkState,
): void {
  if (leaves.length >= MAX_MIME_PARTS) {
    state.truncated ??= `more than ${MAX_MIME_PARTS} MIME parts`;
    return;
  }
  const declared = headerValue(headers, 'content-type');
  const ct = parseParams(declared ?? 'text/plain');
  // RFC 2045 §5.2: a Content-Type that does not parse as type/subtype is treated as text/plain.
  const valid = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.value);
  if (!valid) state.problems.add(`Content-Type "${(declared ?? '').slice(0, 60)}" is not type/subtype (RFC 2045 §5.1)`);
  const contentType = valid ? ct.value : 'text/plain';
  const cte = (headerValue(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase() || '7bit';
  const dispValue = headerValue(headers, 'content-disposition');
  const disposition = dispValue === undefined ? undefined : parseParams(dispValue).value || undefined;
  const boundary = ct.params.boundary;
  if (contentType.startsWith('multipart/') && !boundary) state.problems.add(`${contentType} without a boundary parameter (RFC 2046 §5.1.1)`);
  if (!contentType.startsWith('multipart/') || !boundary) {
    leaves.push({ contentType, params: ct.params, transferEncoding: cte, disposition, bodyStart, bodyEnd, depth });
    return;
  }
  if (depth >= MAX_MIME_DEPTH) {
    state.truncated ??= `MIME nesting deeper than ${MAX_MIME_DEPTH}`;
    return;
  }
  // RFC 2046 §5.1.1: a delimiter is CRLF "--" boundary at the start of a line; "--" boundary "--" closes.
  const delim = `--${boundary}`;
  const starts: number[] = [];
  let closeAt = bodyEnd;
  let pos = bodyStart;
  while (pos < bodyEnd) {
    const at = text.indexOf(delim, pos);
    if (at === -1 || at >= bodyEnd) break;
    const atLineStart = at === bodyStart || text[at - 1] === '\n';
    const after = at + delim.length;
    const isClose = text.startsWith('--', after);
    // the boundary must end there: "--b1" is no delimiter for a line "--b10" (only padding may follow, §5.1.1)
    const endsHere = isClose || after >= bodyEnd || /[\r\n \t]/.test(text[after]!);
    if (atLineStart && endsHere) {
      // the end of the delimiter line (transport padding may follow)
      let eol = text.indexOf('\n', after);
      if (eol === -1 || eol >= bodyEnd) eol = bodyEnd - 1;
      // the CRLF before the delimiter belongs to the delimiter, not to the previous part
      const prevEnd = at > 0 && text[at - 1] === '\n' ? (at > 1 && text[at - 2] === '\r' ? at - 2 : at - 1) : at;
      if (starts.length > 0) starts.push(prevEnd);
      if (isClose) {
        closeAt = prevEnd;
        break;
      }
      starts.push(eol + 1);
      pos = eol + 1;
    } else {
      pos = at + delim.length;
    }
  }
  // starts holds [partStart, partEnd, partStart, partEnd, …, partStart] (the last one open-ended)
  if (starts.length === 0) {
    state.problems.add(`${contentType} has no part delimited by its boundary "${boundary.slice(0, 40)}" (RFC 2046 §5.1.1)`);
    // a multipart with no delimiter at all: nothing inside to walk; treat the body as one opaque leaf
    leaves.push({ contentType, params: ct.params, transferEncoding: cte, disposition, bodyStart, bodyEnd, depth });
    return;
  }
  if (starts.length % 2 === 1) {
    state.problems.add(`${contentType} boundary "${boundary.slice(0, 40)}" is never closed with "--${boundary.slice(0, 40)}--" (RFC 2046 §5.1.1)`);
    starts.push(closeAt);
  }
  for (let i = 0; i < starts.length; i += 2) {
    const ps = starts[i]!;
    const pe = Math.max(ps, starts[i + 1]!);
    const part = parseHeaderBlock(text, ps, pe);
    walk(text, part.headers, part.bodyStart, pe, depth + 1, leaves, state);
    if (state.truncated && leaves.length >= MAX_MIME_PARTS) return;
  }
}
