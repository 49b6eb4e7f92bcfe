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

/** An envelope address we can put between < and > (RFC 5321 §4.1.2), without line breaks. */
export function parseAddress(value: string, flag: string, opts: { allowNull?: boolean; allowPostmaster?: boolean } = {}): string {
  const v = value.trim().replace(/^<(.*)>$/, '$1');
  if (v === '' && opts.allowNull) return '';
  if (opts.allowPostmaster && v.toLowerCase() === 'postmaster') return 'Postmaster';
  // eslint-disable-next-line no-control-regex
  if (!/^[^\s<>()\x00-\x1f@]+@[^\s<>()\x00-\x1f@]+$/.test(v)) throw new UsageError(`${flag} "${value}" is not an address like user@example.com`);
  const domain = v.slice(v.lastIndexOf('@') + 1);
  if (!/^\[[^\]]+\]$/.test(domain)) parseHost(domain, flag);
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
