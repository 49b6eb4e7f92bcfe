/**
 * mailpace.config.json: the project's domains, sending IPs, templates, recipients and policy, so
 * `mailpace-cli check-domain` with no arguments checks the domains and `mailpace-cli ci` runs every
 * check the file configures. Flags given on the command line win over the file.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';

export const CONFIG_FILE = 'mailpace.config.json';

export interface ProjectConfig {
  domains?: string[];
  selectors?: string[];
  ips?: string[];
  /** Blocklists for `ci`'s scan of the IPs and domains (as `blocklist scan --zone`). */
  zones?: string[];
  /** Message files to score, as globs relative to the config file ("emails/*.eml"). */
  templates?: string[];
  /** A template scoring above this fails `ci`. */
  maxScore?: number;
  /** Rspamd worker URL for scoring templates; without it `ci` uses the built-in lint. */
  rspamd?: string;
  /** Recipient domains whose MX hosts `ci` probes. */
  recipients?: string[];
  profile?: 'bulk';
  failOn?: 'error' | 'warning' | 'info';
  dns?: string[];
}

type Kind = 'strings' | 'string' | 'number';

const KEYS: Record<keyof ProjectConfig | '$schema', Kind> = {
  $schema: 'string',
  domains: 'strings',
  selectors: 'strings',
  ips: 'strings',
  zones: 'strings',
  templates: 'strings',
  maxScore: 'number',
  rspamd: 'string',
  recipients: 'strings',
  profile: 'string',
  failOn: 'string',
  dns: 'strings',
};

const KIND_TEXT: Record<Kind, string> = { string: 'a string', strings: 'an array of strings', number: 'a number' };

/**
 * Reads --config <file>, or ./mailpace.config.json when it exists and no config was named.
 * Returns undefined when there is none.
 */
export function loadConfig(explicit: string | undefined, cwd = process.cwd()): { path: string; config: ProjectConfig } | undefined {
  const path = resolve(cwd, explicit ?? CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (explicit === undefined && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`config ${path} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError(`config ${path} must be a JSON object`);
  for (const [k, v] of Object.entries(raw)) {
    const kind = (KEYS as Record<string, string>)[k];
    if (!kind) throw new UsageError(`config ${path}: unknown key "${k}" (known: ${Object.keys(KEYS).filter((x) => x !== '$schema').join(', ')})`);
    const ok =
      kind === 'string' ? typeof v === 'string' : kind === 'number' ? typeof v === 'number' && Number.isFinite(v) : Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (!ok) throw new UsageError(`config ${path}: "${k}" must be ${KIND_TEXT[kind as Kind]}`);
  }
  const config = raw as ProjectConfig;
  if (config.profile !== undefined && config.profile !== 'bulk') throw new UsageError(`config ${path}: profile must be "bulk"`);
  if (config.failOn !== undefined && !['error', 'warning', 'info'].includes(config.failOn)) throw new UsageError(`config ${path}: failOn must be error, warning or info`);
  if (config.maxScore !== undefined && config.maxScore < 0) throw new UsageError(`config ${path}: maxScore must be 0 or more`);
  if (config.rspamd !== undefined && !/^https?:\/\/[^/\s]/i.test(config.rspamd)) throw new UsageError(`config ${path}: rspamd "${config.rspamd}" must be an http:// or https:// URL`);
  return { path, config };
}

/** Domain lists from a file or stdin: one per line, "#" starts a comment, blank lines ignored. */
export function parseDomainList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}
