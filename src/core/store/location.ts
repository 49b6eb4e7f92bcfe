/**
 * Where a store lives, from `--store`, `MAILPACE_STORE` or `store copy --from/--to`:
 *   :memory:                                 nothing kept
 *   /path/store.sqlite, sqlite:///path, sqlite://relative/path    an SQLite file
 *   postgres://user[:password]@host[:port]/database[?…], postgresql://…   a shared PostgreSQL database
 * A password is never shown: `display` masks it, and every error about the store uses `display`.
 */
import { UsageError } from '../errors.js';

export type StoreLocation =
  | { kind: 'memory'; display: ':memory:' }
  | { kind: 'sqlite'; path: string; display: string }
  | { kind: 'postgres'; url: string; display: string; password?: string };

const MASK = '***';

export function parseStoreLocation(value: string, flag = '--store'): StoreLocation {
  const v = value.trim();
  if (v === '') throw new UsageError(`${flag} is empty: give a file path, sqlite://path or postgres://user@host/database`);
  if (v === ':memory:') return { kind: 'memory', display: ':memory:' };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: 'sqlite', path: v, display: v };
  if (scheme === 'sqlite') {
    const path = v.slice('sqlite://'.length);
    if (path === '') throw new UsageError(`${flag} "${v}" names no file: write sqlite:///absolute/path or sqlite://relative/path`);
    return { kind: 'sqlite', path, display: path };
  }
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new UsageError(`${flag} "${maskPassword(v)}" has an unknown scheme ${scheme}://: use a file path, sqlite://path or postgres://user@host/database`);
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new UsageError(`${flag} "${maskPassword(v)}" is not a valid URL: write postgres://user[:password]@host[:port]/database`);
  }
  const display = maskPassword(v);
  if (url.hostname === '') throw new UsageError(`${flag} "${display}" names no host: write postgres://user@host[:port]/database`);
  if (url.port !== '' && (Number(url.port) < 1 || Number(url.port) > 65535)) throw new UsageError(`${flag} "${display}" has port ${url.port}, outside 1–65535`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) throw new UsageError(`${flag} "${display}" names no database: write postgres://user@host[:port]/database`);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  return { kind: 'postgres', url: v, display, ...(password !== undefined ? { password } : {}) };
}

/** The URL with its password (if any) replaced by ***; also for text that is not a valid URL. */
export function maskPassword(text: string): string {
  // scheme://user:password@host — the password runs to the last "@" before the path.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):([^/?#]*)@/i, (_m, head: string) => `${head}:${MASK}@`).replace(/([?&]password=)[^&#]*/gi, `$1${MASK}`);
}

/** Removes a secret from free text (an error message that might quote it). */
export function scrub(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join(MASK);
}
