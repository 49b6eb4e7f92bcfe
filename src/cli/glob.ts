/**
 * File globs for the config file's "templates" ("emails/*.eml", "mail/**\/*.{eml,txt}"), with the
 * shell's meaning: `*` and `?` never cross a "/", `**` as a whole segment is any number of
 * directories, `[abc]`/`[a-z]`/`[!x]` a character class, `{a,b}` alternatives. Names starting with
 * "." match only a pattern segment that starts with "." (as in sh and git). Node 20 has no fs.glob.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export class GlobError extends Error {}

/** `{a,b}` alternatives, expanded outermost first (nested braces work); "\\{" is a literal brace. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (ch === '}') {
      if (depth === 0) throw new GlobError('"}" without "{"');
      depth--;
      if (depth === 0) {
        const parts: string[] = [];
        let from = open + 1;
        for (const c of commas) {
          parts.push(pattern.slice(from, c));
          from = c + 1;
        }
        parts.push(pattern.slice(from, i));
        const head = pattern.slice(0, open);
        const tails = expandBraces(pattern.slice(i + 1));
        return parts.flatMap((p) => expandBraces(head + p).flatMap((h) => tails.map((t) => h + t)));
      }
    } else if (ch === ',' && depth === 1) {
      commas.push(i);
    }
  }
  if (depth > 0) throw new GlobError('unclosed "{"');
  return [pattern];
}

const MAGIC = /[*?[\\]/;

/** One path segment's pattern as a regular expression. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i]!;
    if (ch === '\\') {
      const next = segment[++i];
      if (next === undefined) throw new GlobError('a trailing "\\" escapes nothing');
      re += next.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    } else if (ch === '*') {
      re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) throw new GlobError('unclosed "["');
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      if (body === '') throw new GlobError('an empty "[]" matches nothing');
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else {
      re += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
    }
  }
  try {
    return new RegExp(`^${re}$`, 'u');
  } catch {
    throw new GlobError(`"${segment}" has a bad character range`);
  }
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

function isDir(path: string, e: Dirent): boolean {
  if (e.isDirectory()) return true;
  if (!e.isSymbolicLink()) return false;
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The files a pattern matches, sorted, as paths relative to `base` when the pattern is relative (or
 * absolute when it is). Only files are returned, never directories.
 */
export function globFiles(pattern: string, base: string): string[] {
  if (pattern.trim() === '') throw new GlobError('the pattern is empty');
  const found = new Set<string>();
  for (const alt of expandBraces(pattern)) {
    const absolute = isAbsolute(alt);
    const segments = alt.split('/').filter((s, i) => s !== '' && !(s === '.' && i > 0));
    const regexps = segments.map((s) => (s === '**' ? null : MAGIC.test(s) ? segmentRegExp(s) : s));
    const walk = (dir: string, shown: string, k: number, seen: Set<string>): void => {
      if (k === segments.length) {
        if (isFile(dir)) found.add(shown);
        return;
      }
      const seg = regexps[k]!;
      const rest = (name: string) => (shown === '' ? name : shown === '/' ? `/${name}` : `${shown}/${name}`);
      if (seg === null) {
        // "**": this directory, and every directory below it (not through dot-directories)
        if (seen.has(dir)) return;
        walk(dir, shown, k + 1, new Set(seen).add(dir));
        for (const e of entries(dir)) {
          const path = join(dir, e.name);
          if (!e.name.startsWith('.') && isDir(path, e)) walk(path, rest(e.name), k, new Set(seen).add(dir));
        }
        return;
      }
      if (typeof seg === 'string') {
        walk(join(dir, seg), rest(seg), k + 1, seen);
        return;
      }
      const dotOk = segments[k]!.startsWith('.');
      for (const e of entries(dir)) {
        if ((e.name.startsWith('.') && !dotOk) || !seg.test(e.name)) continue;
        walk(join(dir, e.name), rest(e.name), k + 1, seen);
      }
    };
    walk(absolute ? '/' : base, absolute ? '/' : '', 0, new Set());
  }
  return [...found].sort();
}
