/**
 * What the lint needs from an HTML body: its links (href and visible text), its images, and how much
 * text a reader actually sees. A tolerant scan, not a DOM: mail HTML is often broken, and the rules
 * only need tags and text, never layout.
 */

export interface HtmlLink {
  href: string;
  /** Visible text of the anchor, entities decoded, whitespace collapsed. */
  text: string;
}

export interface HtmlContent {
  links: HtmlLink[];
  /** <img> elements. */
  images: number;
  /** Visible text (outside head/style/script/comments), whitespace collapsed. */
  text: string;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  copy: '©',
  reg: '®',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
  zwnj: '',
  zwj: '',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);?/gi, (m, body: string) => {
    if (body[0] === '#') {
      const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    const named = NAMED_ENTITIES[body.toLowerCase()];
    return named ?? m;
  });
}

/** Removes what a reader never sees: comments, head, style, script, template. */
function stripInvisible(html: string): string {
  return html
    .replace(/<!--[\s\S]*?(?:-->|$)/g, ' ')
    .replace(/<(head|style|script|template|title)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, ' ');
}

/** Tags that do not break a word: "<b>example</b>.com" reads as "example.com". */
const INLINE_TAGS = /<\/?(?:a|b|i|u|s|em|strong|span|font|small|big|sub|sup|mark|code|abbr|wbr)\b[^>]*>/gi;

function tagsToText(html: string): string {
  return decodeEntities(html.replace(INLINE_TAGS, '').replace(/<[^>]*>?/g, ' '))
    // zero-width and soft-hyphen characters are invisible padding, often used to dodge filters
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

function attr(attrs: string, name: string): string | undefined {
  const re = new RegExp(`(?:^|\\s)${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i');
  const m = re.exec(attrs);
  if (!m) return undefined;
  return decodeEntities(m[1] ?? m[2] ?? m[3] ?? '').trim();
}

export function analyseHtml(html: string): HtmlContent {
  const visible = stripInvisible(html);
  const links: HtmlLink[] = [];
  const anchor = /<a\b([^>]*)>([\s\S]*?)(?:<\/a\s*>|(?=<a\b)|$)/gi;
  let m: RegExpExecArray | null;
  while ((m = anchor.exec(visible)) !== null) {
    const href = attr(m[1] ?? '', 'href');
    if (href !== undefined) links.push({ href, text: tagsToText(m[2] ?? '') });
    if (m[0].length === 0) anchor.lastIndex++;
  }
  const images = (visible.match(/<img\b/gi) ?? []).length;
  return { links, images, text: tagsToText(visible) };
}

/** http(s) URLs in plain text (RFC 3986 characters, trailing punctuation trimmed). */
export function urlsInText(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\bhttps?:\/\/[^\s<>"'`{}|\\^]+/gi)) {
    out.push(m[0].replace(/[.,;:!?)\]]+$/, ''));
  }
  return out;
}
