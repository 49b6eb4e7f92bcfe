/**
 * DKIM-style tag=value lists (RFC 6376 §3.2), as in DKIM-Signature, ARC-Seal and
 * ARC-Message-Signature (RFC 8617 §4.1).
 *
 * Two readers: `parseTagList` is lax and only for *reading* fields we report on (it never decides
 * a verdict); `checkTagList` / `checkSignatureTags` are the strict grammar a verifier must apply
 * before it trusts a signature:
 *
 *   tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  = ALPHA *ALNUMPUNC          ; ALNUMPUNC = ALPHA / DIGIT / "_"
 *
 * Tag names are case-sensitive, and "Tags with duplicate names MUST NOT occur within a single
 * tag-list; if a tag name does occur more than once, the entire tag-list is invalid" (§3.2).
 * Tag values are not checked here beyond the split: each tag's own syntax is the verifier's job.
 */

/**
 * Lax: keys as written (case kept), the first of duplicates wins, specs without "=" skipped; white
 * space inside values (folding, base64 wrapping) is removed.
 */
export function parseTagList(value: string): Map<string, string> {
  const tags = new Map<string, string>();
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    if (!tags.has(key)) tags.set(key, part.slice(eq + 1).replace(/[ \t\r\n]+/g, ''));
  }
  return tags;
}

export type TagListCheck = { ok: true; tags: Map<string, string> } | { ok: false; problem: string };

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** FWS once unfolded (header values reach us unfolded): space, tab, and any stray CR/LF. */
const trimFws = (s: string) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
const shorten = (s: string) => (s.length > 24 ? `${s.slice(0, 24)}…` : s);

/** Strict RFC 6376 §3.2 tag-list: the tags (values trimmed of surrounding FWS), or the first problem in one phrase. */
export function checkTagList(value: string): TagListCheck {
  const specs = value.split(';');
  // One trailing ";" is allowed ([ ";" ]); any other empty tag-spec is not.
  if (specs.length > 1 && trimFws(specs[specs.length - 1]!) === '') specs.pop();
  const tags = new Map<string, string>();
  for (let n = 0; n < specs.length; n++) {
    const spec = specs[n]!;
    if (trimFws(spec) === '') {
      return { ok: false, problem: specs.length === 1 ? 'it is empty' : n === 0 ? 'it starts with ";" (an empty tag-spec)' : 'an empty tag-spec between two semicolons (";;")' };
    }
    const eq = spec.indexOf('=');
    if (eq < 0) return { ok: false, problem: `"${shorten(trimFws(spec))}" is not a tag=value pair` };
    const name = trimFws(spec.slice(0, eq));
    if (name === '') return { ok: false, problem: `a tag-spec has no tag name ("=${shorten(trimFws(spec.slice(eq + 1)))}")` };
    if (!TAG_NAME.test(name)) return { ok: false, problem: `"${shorten(name)}" is not a valid tag name, which is a letter followed by letters, digits or "_"` };
    if (tags.has(name)) return { ok: false, problem: `the tag "${name}" appears more than once` };
    tags.set(name, trimFws(spec.slice(eq + 1)));
  }
  return { ok: true, tags };
}

/** Required tags: DKIM-Signature (RFC 6376 §3.5), ARC-Message-Signature (RFC 8617 §4.1.2: DKIM's, with i= for v=), ARC-Seal (§4.1.3). */
export const REQUIRED_TAGS = {
  'dkim-signature': ['v', 'a', 'b', 'bh', 'd', 'h', 's'],
  'arc-message-signature': ['i', 'a', 'b', 'bh', 'd', 'h', 's'],
  'arc-seal': ['i', 'a', 'b', 'cv', 'd', 's'],
} as const;
export type SignatureField = keyof typeof REQUIRED_TAGS;

export type SignatureTagCheck =
  | { ok: true; tags: Map<string, string> }
  | { ok: false; kind: 'syntax' | 'missing'; problem: string; missing: string[] };

/**
 * A signature field's tag-list checked strictly, then for its required tags, matched
 * case-sensitively ("S=" is not "s=").
 */
export function checkSignatureTags(value: string, field: SignatureField): SignatureTagCheck {
  const r = checkTagList(value);
  if (!r.ok) return { ok: false, kind: 'syntax', problem: r.problem, missing: [] };
  const missing = REQUIRED_TAGS[field].filter((t) => !r.tags.has(t));
  if (missing.length === 0) return { ok: true, tags: r.tags };
  const otherCase = missing.flatMap((t) => [...r.tags.keys()].filter((k) => k !== t && k.toLowerCase() === t));
  const note = otherCase.length ? `; ${otherCase.map((k) => `"${k}="`).join(', ')} ${otherCase.length === 1 ? 'is a different tag' : 'are different tags'}, as tag names are case-sensitive` : '';
  return { ok: false, kind: 'missing', problem: `the required tag${missing.length === 1 ? '' : 's'} ${missing.map((t) => `"${t}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing${note}`, missing };
}

/**
 * The b= value as mailauth reads it (lib/parse-dkim-headers.js: keys lower-cased, the last of
 * duplicates wins, white space removed), to find mailauth's result row for a given field.
 */
export function libraryB(value: string): string | undefined {
  let b: string | undefined;
  for (const part of value.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim().toLowerCase() === 'b') b = part.slice(eq + 1).replace(/\s+/g, '');
  }
  return b;
}
