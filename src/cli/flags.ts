/**
 * Flag value parsers shared by every command, so that `send`, `probe`, `queue`, `bounce fetch` and
 * `ci` accept and refuse the same inputs with the same one-line messages (exit 2).
 */
import { readFileSync } from 'node:fs';
import { normalizeDomain } from '../core/domain/name.js';
import { parseDuration } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { ipFamily } from '../core/net/ip-address.js';

export function wholeNumber(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} "${value}" is not a number (use a whole number from ${min} to ${max})`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} ${value} is out of range (${min}–${max})`);
  return n;
}

/** A DKIM selector (RFC 6376 §3.1: sub-domain labels), lower-cased; `what` names the flag or config key. */
export function parseSelector(value: string, what: string): string {
  const sel = value.trim().toLowerCase();
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(sel)) throw new UsageError(`${what} "${value}" is not a valid DKIM selector`);
  return sel;
}

/** A single IP address (no range), trimmed; `what` names the flag or config key. */
export function parseIp(value: string, what: string): string {
  const ip = value.trim();
  if (!ipFamily(ip)) throw new UsageError(`${what} "${value}" is not an IPv4 or IPv6 address`);
  return ip;
}

/** An IP literal (optionally in brackets), else a host name. */
export function parseHost(value: string, flag: string): string {
  const bare = value.trim().replace(/^\[|\]$/g, '');
  if (ipFamily(bare)) return bare;
  try {
    return normalizeDomain(bare);
  } catch (e) {
    throw new UsageError(`${flag} ${(e as Error).message.replace(/^"[^"]*" is not a domain name/, `"${value}" is neither an IP address nor a host name`)}`);
  }
}

/**
 * An envelope address we can put between < and > (RFC 5321 §4.1.2), without line breaks.
 * `checkedDomains`: domains already found valid in this list (a --to-file of thousands of
 * addresses shares a few domains); each new valid one is added.
 */
export function parseAddress(value: string, flag: string, opts: { allowNull?: boolean; allowPostmaster?: boolean; checkedDomains?: Set<string> } = {}): string {
  const v = value.trim().replace(/^<(.*)>$/, '$1');
  if (v === '' && opts.allowNull) return '';
  if (opts.allowPostmaster && v.toLowerCase() === 'postmaster') return 'Postmaster';
  // eslint-disable-next-line no-control-regex
  if (!/^[^\s<>()\x00-\x1f@]+@[^\s<>()\x00-\x1f@]+$/.test(v)) throw new UsageError(`${flag} "${value}" is not an address like user@example.com`);
  const domain = v.slice(v.lastIndexOf('@') + 1);
  if (opts.checkedDomains?.has(domain)) return v;
  if (!/^\[[^\]]+\]$/.test(domain)) parseHost(domain, flag);
  opts.checkedDomains?.add(domain);
  return v;
}

export function parseHelo(value: string): string {
  const v = value.trim();
  // an address literal (RFC 5321 §4.1.3) or a domain name
  if (/^\[(?:IPv6:)?[0-9a-fA-F:.]+\]$/.test(v)) return v;
  try {
    return normalizeDomain(v);
  } catch (e) {
    throw new UsageError(`--helo ${(e as Error).message}`);
  }
}

export function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --ca-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file ${path} contains no PEM certificate`);
  return text;
}


/** `--backoff 5m,1h`: the first gap and the largest gap. */
export function parseBackoff(value: string): { firstMs: number; maxMs: number } {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new UsageError(`--backoff "${value}" must be <first>,<max>, e.g. 5m,1h`);
  const firstMs = parseDuration(parts[0], '--backoff');
  const maxMs = parseDuration(parts[1], '--backoff');
  if (firstMs <= 0) throw new UsageError(`--backoff "${value}": the first gap must be more than 0`);
  if (maxMs < firstMs) throw new UsageError(`--backoff "${value}": the largest gap is smaller than the first`);
  return { firstMs, maxMs };
}

/** A positive duration flag (--max-age, --greylist-delay …). */
export function positiveDuration(value: string, flag: string, opts: { allowZero?: boolean } = {}): number {
  const ms = parseDuration(value, flag);
  if (ms < 0 || (ms === 0 && !opts.allowZero)) throw new UsageError(`${flag} "${value}" must be more than 0`);
  return ms;
}

/** A whole file that must exist (a message, a key, a list): one-line errors for the usual failures. */
export function readInputFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new UsageError(`cannot read ${flag} ${path}: ${why}`);
  }
}

/**
 * A password: from --password-file (first line, the file should be private) or the environment
 * variable. Never a flag value: argv is visible to every user of the machine (ps).
 */
export function readSecret(opts: { file?: string; env: NodeJS.ProcessEnv; envName: string; flag: string }): string | undefined {
  if (opts.file !== undefined) {
    const text = readInputFile(opts.file, opts.flag).toString('utf8');
    const line = text.split(/\r?\n/)[0] ?? '';
    if (line === '') throw new UsageError(`${opts.flag} ${opts.file} is empty`);
    return line;
  }
  const v = opts.env[opts.envName];
  return v === undefined || v === '' ? undefined : v;
}

/** A volume: 50000, 50,000, 50k, 1.5m, with an optional "/day" (`warmup --target`, `--start`, `--volume`). */
export function parseVolume(value: string, flag: string, opts: { perDay?: boolean; max?: number } = {}): number {
  const v = value.trim().toLowerCase().replace(/_/g, '');
  const m = /^(\d+(?:,\d{3})*(?:\.\d+)?)\s*([km])?(\/day|\/d)?$/.exec(v);
  if (!m || (m[3] && !opts.perDay)) throw new UsageError(`${flag} "${value}" is not a volume (use e.g. 50000${opts.perDay ? ', 50k/day' : ', 50k'} or 1.5m)`);
  const n = Math.round(Number(m[1]!.replace(/,/g, '')) * (m[2] === 'k' ? 1e3 : m[2] === 'm' ? 1e6 : 1));
  const max = opts.max ?? 1e9;
  if (n < 1 || n > max) throw new UsageError(`${flag} ${value} is out of range (1–${max})`);
  return n;
}

/** A decimal number in a range (`--growth 1.3`, `--bounce-rate 0.02`); `percent` also accepts "2%". */
export function parseDecimal(value: string, flag: string, min: number, max: number, opts: { percent?: boolean; exclusiveMin?: boolean } = {}): number {
  const v = value.trim();
  const m = /^(\d+(?:\.\d+)?|\.\d+)(%)?$/.exec(v);
  if (!m || (m[2] && !opts.percent)) throw new UsageError(`${flag} "${value}" is not a number${opts.percent ? ' (e.g. 0.02 or 2%)' : ''}`);
  const n = Number(m[1]) / (m[2] ? 100 : 1);
  if (n < min || n > max || (opts.exclusiveMin && n === min)) throw new UsageError(`${flag} ${value} is out of range (${opts.exclusiveMin ? 'more than ' : ''}${min}–${max})`);
  return n;
}

/** `--hours 8-20`: sending from 08:00 up to 20:00 (end exclusive), whole hours within 0–24. */
export function parseHours(value: string, flag = '--hours'): { from: number; to: number } {
  const m = /^\s*(\d{1,2})\s*-\s*(\d{1,2})\s*$/.exec(value);
  if (!m) throw new UsageError(`${flag} "${value}" must be <from>-<to> in whole hours, e.g. 8-20`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from > 23 || to > 24 || to <= from) throw new UsageError(`${flag} "${value}": the hours must lie within 0-24 and end after they start`);
  return { from, to };
}

/**
 * `--mix gmail=40,microsoft=25,yahoo=15,other=20`: recipient shares per provider, in percent
 * (adding up to 100) or fractions (adding up to 1). `resolve` maps a name or alias to a provider.
 */
export function parseMix<P extends string>(value: string, resolve: (name: string) => P | undefined, flag = '--mix'): Partial<Record<P, number>> {
  const out: Partial<Record<P, number>> = {};
  const parts = value.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`${flag} is empty (use e.g. gmail=40,microsoft=25,yahoo=15,other=20)`);
  for (const part of parts) {
    const m = /^([a-z0-9.\- ]+?)\s*[=:]\s*(\d+(?:\.\d+)?)%?$/i.exec(part);
    if (!m) throw new UsageError(`${flag} "${part}" must be <provider>=<share>, e.g. gmail=40`);
    const p = resolve(m[1]!);
    if (p === undefined) throw new UsageError(`${flag}: unknown provider "${m[1]}"`);
    if (out[p] !== undefined) throw new UsageError(`${flag}: ${p} is given twice`);
    out[p] = Number(m[2]);
  }
  const sum = Object.values<number>(out as Record<P, number>).reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 100) < 0.01) {
    for (const k of Object.keys(out) as P[]) out[k] = out[k]! / 100;
  } else if (Math.abs(sum - 1) >= 0.0001) {
    throw new UsageError(`${flag} shares add up to ${Math.round(sum * 1000) / 1000}; they must add up to 100 (or 1)`);
  }
  return out;
}

/**
 * `--since 7d` (that long ago) or `--since 2026-11-30` (a calendar date, or an ISO 8601 date-time):
 * a point in time no later than now.
 */
export function parseSince(value: string, flag: string, now: number): Date {
  const v = value.trim();
  if (/^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    const t = Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
    if (Number.isNaN(t)) throw new UsageError(`${flag} "${value}" is not a valid date`);
    if (t > now) throw new UsageError(`${flag} "${value}" is in the future`);
    return new Date(t);
  }
  if (!/^\d/.test(v)) throw new UsageError(`${flag} "${value}" is neither a duration (e.g. 7d) nor a date (e.g. 2026-11-30)`);
  return new Date(now - positiveDuration(v, flag));
}
