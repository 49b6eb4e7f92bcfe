/**
 * SVG Tiny Portable/Secure checks for BIMI logos (BIMI Group "SVG Tiny PS" profile, draft-svg-tiny-ps-abrotman).
 * mailauth's validator (lib/bimi/validate-svg.js, an XML parse plus the profile's structural rules)
 * runs first; it stops at the first problem, so the rules it lacks are checked here as well:
 * version="1.2", plain href= references (SVG 2 style), and the 32 KiB size mailbox providers accept.
 * mailauth is imported lazily, only when a logo is actually checked.
 */

/** Largest logo the BIMI group and Gmail accept. */
export const BIMI_SVG_MAX_BYTES = 32 * 1024;

/** mailauth's error codes → our sentence (lib/bimi/validate-svg.js). */
const MAILAUTH_SVG_ERRORS: Record<string, string> = {
  INVALID_XML_FILE: 'it is not well-formed XML',
  INVALID_SVG_FILE: 'its root element is not <svg>',
  INVALID_BASE_PROFILE: 'the root <svg> lacks baseProfile="tiny-ps"',
  LOGO_MISSING_TITLE: 'it has no <title> (the brand name) directly under <svg>',
  LOGO_INVALID_ROOT_ATTRS: 'the root <svg> has x= or y= attributes, which the profile forbids',
  LOGO_INCLUDES_REFERENCE: 'it references an external resource (xlink:href outside the file)',
  LOGO_INVALID_ELEMENT: 'it contains a forbidden element (script or animation)',
};

type ValidateSvg = (svg: string) => unknown;
type ValidateXml = (xml: string) => true | { err: { msg: string; line: number } };

interface Validators {
  svg?: ValidateSvg;
  /** fast-xml-parser's well-formedness check: mailauth's parser itself accepts unclosed tags. */
  xml?: ValidateXml;
}

async function loadValidators(): Promise<Validators> {
  // A variable specifier keeps the import lazy and away from the type checker (mailauth has no typings).
  const specifier = 'mailauth/lib/bimi/validate-svg.js';
  const out: Validators = {};
  try {
    const mod: any = await import(specifier);
    out.svg = mod.validateSvg ?? mod.default?.validateSvg;
    // fast-xml-parser is mailauth's dependency, so it is resolved from mailauth's own location.
    const { createRequire } = await import('node:module');
    const fromMailauth = createRequire(createRequire(import.meta.url).resolve(specifier));
    out.xml = fromMailauth('fast-xml-parser').XMLValidator?.validate;
  } catch {
    // Without mailauth the text checks below still run.
  }
  return out;
}

/** Control characters out, whitespace runs collapsed: parser messages quote the input. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, '?').replace(/\s+/g, ' ').slice(0, 160);
}

/** The attributes of the first <svg …> start tag, after any prolog, comments and doctype. */
function rootSvgAttributes(svg: string): Record<string, string> | undefined {
  const body = svg.replace(/^\uFEFF/, '').replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(\[[\s\S]*?\])?\s*>/gi, '').trimStart();
  const m = /^<svg(\s[^>]*)?>/i.exec(body);
  if (!m) return undefined;
  const attrs: Record<string, string> = {};
  for (const a of (m[1] ?? '').matchAll(/([\w:.-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = a[3] ?? a[4] ?? '';
  return attrs;
}

/** Problems that keep the file from being SVG Tiny PS; [] when none were found. */
export async function svgTinyPsProblems(svg: string, bytes: number): Promise<string[]> {
  const problems: string[] = [];
  if (bytes > BIMI_SVG_MAX_BYTES) problems.push(`it is ${bytes} bytes; the limit is ${BIMI_SVG_MAX_BYTES} (32 KiB)`);
  const { svg: validate, xml: wellFormed } = await loadValidators();
  const xml = wellFormed?.(svg);
  if (xml && xml !== true) {
    problems.push(`it is not well-formed XML (line ${xml.err.line}: ${printable(xml.err.msg)})`);
    return problems;
  }
  let mailauthCode: string | undefined;
  if (validate) {
    try {
      validate(svg);
    } catch (e: any) {
      const code: string = typeof e?.code === 'string' ? e.code : 'INVALID_XML_FILE';
      mailauthCode = code;
      const detail = e?.details?.element ? ` (<${e.details.element}>)` : e?.details?.link ? ` (${e.details.link})` : '';
      problems.push(`${MAILAUTH_SVG_ERRORS[code] ?? e?.message ?? 'it failed validation'}${detail}`);
    }
  }
  if (mailauthCode === 'INVALID_XML_FILE') return problems;
  const root = rootSvgAttributes(svg);
  if (!root) {
    if (mailauthCode !== 'INVALID_SVG_FILE') problems.push('its root element is not <svg>');
    return problems;
  }
  if (!validate) {
    // Without mailauth, the structural rules it covers are approximated on the text.
    if (root.baseProfile !== 'tiny-ps') problems.push('the root <svg> lacks baseProfile="tiny-ps"');
    if (!/<title[\s>]/i.test(svg)) problems.push('it has no <title> (the brand name)');
    if (/<(script|animate|animateMotion|animateTransform|set|discard)[\s>/]/i.test(svg)) problems.push('it contains a forbidden element (script or animation)');
  }
  if (root.version !== '1.2') problems.push(`the root <svg> has ${root.version === undefined ? 'no version' : `version="${root.version}"`}; SVG Tiny PS requires version="1.2"`);
  // SVG 2 allows plain href= (mailauth only looks at xlink:href), and mailauth stops at its first
  // problem, so references are looked for here too.
  const external = [...svg.matchAll(/(?:^|[\s"'])(?:xlink:)?href\s*=\s*["']\s*((?:https?:|\/\/|file:)[^"']*)["']/gi)].map((m) => m[1]!);
  if (external.length > 0 && mailauthCode !== 'LOGO_INCLUDES_REFERENCE') problems.push(`it references an external resource (${external[0]!.slice(0, 80)})`);
  if (/url\(\s*["']?\s*https?:/i.test(svg)) problems.push('a style references an external url(http…)');
  return problems;
}
