/**
 * seeds.json: the seed mailboxes a placement test sends to and then reads over IMAP.
 *
 *   [{ "address": "seed1@gmail.example", "provider": "gmail", "imap": "imaps://user@host:993",
 *      "folders": { "inbox": "INBOX", "spam": "[Gmail]/Spam" }, "passwordEnv": "SEED1_PASSWORD" }, …]
 *
 * Passwords never live in the file (it gets committed, copied and pasted into tickets): a seed
 * names the environment variable that holds its password, or the run's --password-file applies.
 * Every key is known; a misspelt one ("passwordENV", "folder") is refused rather than ignored, since
 * an ignored key silently reads the wrong folder or logs in without the intended password.
 */
import { UsageError } from '../errors.js';
import { parseImapUrl, type ImapTarget } from '../imap/imap-url.js';
import { IMAP_TLS_MODES, type ImapTlsMode } from '../imap/imap-mailbox.js';

export interface Seed {
  address: string;
  /** Groups the summary: "gmail", "outlook", … (default: the address's domain). */
  provider: string;
  /** The login and server; `mailbox` is the inbox folder. */
  imap: ImapTarget;
  /** The inbox folder (default INBOX). */
  inbox: string;
  /** The spam folder; null: the mailbox the server marks \Junk (RFC 6154), else "Junk". */
  spam: string | null;
  /** The environment variable holding this seed's IMAP password; else --password-file. */
  passwordEnv: string | null;
  /** imap:// only: how to protect the login (default required). */
  tls: ImapTlsMode;
}

const SEED_KEYS = ['address', 'provider', 'imap', 'folders', 'passwordEnv', 'tls'] as const;
const FOLDER_KEYS = ['inbox', 'spam'] as const;
const SECRET_KEY = /^(?:pass(?:word)?|pwd|secret|token|credentials?)$/i;
const ADDRESS = /^[^\s@<>()",;:]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function parseSeeds(text: string, name: string): Seed[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${name} is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new UsageError(`${name} must be a JSON array of seeds ([{"address": …, "imap": …}, …])`);
  if (data.length === 0) throw new UsageError(`${name} lists no seeds`);
  const seen = new Set<string>();
  return data.map((entry, i) => {
    const where = `${name}: seed ${i + 1}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new UsageError(`${where} is not an object`);
    const o = entry as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (SECRET_KEY.test(k)) throw new UsageError(`${where} has a password in the file ("${k}"): refused — name an environment variable with "passwordEnv", or give --password-file`);
      if (!(SEED_KEYS as readonly string[]).includes(k)) throw new UsageError(`${where}: unknown key "${k}" (known: ${SEED_KEYS.join(', ')})`);
    }
    const str = (k: string): string | undefined => {
      const v = o[k];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`${where}: "${k}" must be a non-empty string`);
      return v.trim();
    };
    const address = str('address');
    if (address === undefined) throw new UsageError(`${where} has no "address"`);
    if (!ADDRESS.test(address)) throw new UsageError(`${where}: "${address}" is not an email address`);
    const lower = address.toLowerCase();
    if (seen.has(lower)) throw new UsageError(`${where}: ${address} is listed twice`);
    seen.add(lower);
    const url = str('imap');
    if (url === undefined) throw new UsageError(`${where} (${address}) has no "imap" (imaps://user@host[:port])`);
    const imap = parseImapUrl(url, `${where} "imap"`);
    if ('error' in imap) throw new UsageError(imap.error.replace('set MAILPACE_IMAP_PASSWORD or give --password-file', 'name an environment variable with "passwordEnv", or give --password-file'));
    let inbox = imap.mailbox;
    let spam: string | null = null;
    if (o.folders !== undefined) {
      const f = o.folders;
      if (f === null || typeof f !== 'object' || Array.isArray(f)) throw new UsageError(`${where}: "folders" must be an object like {"inbox": "INBOX", "spam": "Junk"}`);
      for (const k of Object.keys(f)) if (!(FOLDER_KEYS as readonly string[]).includes(k)) throw new UsageError(`${where}: unknown key "folders.${k}" (known: ${FOLDER_KEYS.join(', ')})`);
      const fo = f as Record<string, unknown>;
      for (const k of FOLDER_KEYS) if (fo[k] !== undefined && (typeof fo[k] !== 'string' || (fo[k] as string).trim() === '')) throw new UsageError(`${where}: "folders.${k}" must be a folder name`);
      if (typeof fo.inbox === 'string') inbox = fo.inbox.trim();
      if (typeof fo.spam === 'string') spam = fo.spam.trim();
    }
    const passwordEnv = str('passwordEnv') ?? null;
    if (passwordEnv !== null && !ENV_NAME.test(passwordEnv)) throw new UsageError(`${where}: "passwordEnv" must be an environment variable name, e.g. SEED1_PASSWORD`);
    const tls = (str('tls') ?? 'required') as ImapTlsMode;
    if (!(IMAP_TLS_MODES as readonly string[]).includes(tls)) throw new UsageError(`${where}: "tls" must be one of ${IMAP_TLS_MODES.join(', ')}`);
    if (imap.secure && tls !== 'required') throw new UsageError(`${where}: "tls": "${tls}" contradicts imaps:// (implicit TLS)`);
    const provider = (str('provider') ?? lower.slice(lower.indexOf('@') + 1)).toLowerCase();
    return { address: lower, provider, imap: { ...imap, mailbox: inbox }, inbox, spam, passwordEnv, tls };
  });
}

/** Each seed's password: its passwordEnv variable, else the --password-file one. */
export function seedPasswords(seeds: readonly Seed[], env: NodeJS.ProcessEnv, fromFile: string | undefined): string[] {
  return seeds.map((s) => {
    if (s.passwordEnv !== null) {
      const v = env[s.passwordEnv];
      if (v === undefined || v === '') throw new UsageError(`seed ${s.address}: the environment variable ${s.passwordEnv} (its "passwordEnv") is not set`);
      return v;
    }
    if (fromFile === undefined) throw new UsageError(`seed ${s.address} has no "passwordEnv": give --password-file for the seeds without one`);
    return fromFile;
  });
}
