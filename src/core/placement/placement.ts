/**
 * Seed-mailbox placement: where did each seed's copy land (inbox, spam, another folder, nowhere),
 * how long after the receiver accepted it, and what the receiver thought of it. The CLI sends; this
 * module watches the seeds' mailboxes, reads the copies' headers, cleans up and summarises.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { MailpaceError } from '../errors.js';
import { parseHeaderBlock } from '../score/mime-structure.js';
import type { Seed } from './seeds.js';
import { placementStats, type PlacementStats } from '../monitor/placement-trend.js';
import { parseAuthenticationResults, receivedHops, spamHeaders, type AuthVerdicts, type Hop } from './received-headers.js';

/** The header that carries a copy's token; also in the body (composed messages) for filters that strip X- headers. */
export const TOKEN_HEADER = 'X-Mailpace-Placement';

export function newToken(): string {
  return `mp-${randomBytes(9).toString('hex')}`;
}

/** inbox | spam | other:<folder> | missing | bounced; unknown when the seed's mailbox could not be read. */
export type Placement = 'inbox' | 'spam' | `other:${string}` | 'missing' | 'bounced' | 'unknown';

/** What watching one seed needs from its IMAP login (core/imap/imap-mailbox.ts implements it). */
export interface SeedMailbox {
  listMailboxes(): Promise<{ path: string; specialUse: string | null }[]>;
  select(mailbox: string, readOnly: boolean): Promise<void>;
  searchHeader(name: string, value: string): Promise<number[]>;
  fetchHeaders(uid: number): Promise<{ headers: Buffer; internalDate: Date | null } | undefined>;
  deleteMessages(uids: readonly number[]): Promise<void>;
  /** IMAP IDLE (RFC 2177), when the server offers it. */
  readonly canIdle?: boolean;
  /** IDLE on the selected mailbox until a new message arrives, `ms` pass or `signal` aborts. */
  idleFor?(ms: number, signal?: AbortSignal): Promise<boolean>;
}

export interface SeedSend {
  status: 'delivered' | 'deferred' | 'bounced' | 'suppressed' | 'expired' | 'not-sent';
  /** SMTP attempts made (more than one: deferred, then retried). */
  attempts: number;
  reply: { code: number | null; enhanced: string | null; text: string } | null;
}

export interface SeedResult {
  address: string;
  provider: string;
  placement: Placement;
  folder: string | null;
  /** Receiver's acceptance (250 to DATA) → the copy seen in the mailbox. */
  timeToInboxMs: number | null;
  /** Send start (before connecting) → the copy seen in the mailbox. */
  timeFromSendStartMs: number | null;
  sendStartedAt: string | null;
  acceptedAt: string | null;
  foundAt: string | null;
  /** The copy's IMAP INTERNALDATE: when the server stored it (whole seconds). */
  storedAt: string | null;
  token: string;
  authentication: AuthVerdicts;
  authservId: string | null;
  spamHeaders: Record<string, string>;
  hops: Hop[];
  send: SeedSend;
  /** How the mailbox was watched between looks: IMAP IDLE on the inbox, or polling every --poll. */
  watch: 'idle' | 'poll' | null;
  /** Whether the test copy was deleted afterwards (false with --keep or when nothing was found). */
  cleanedUp: boolean;
  /** Why the seed's mailbox could not be read or cleaned up; null when all went well. */
  error: string | null;
}

export interface FoundCopy {
  folder: string;
  uid: number;
  foundAt: number;
  storedAt: Date | null;
  headers: Buffer;
}

/** The folders to look in: the inbox, the spam folder, then every other selectable one. */
export async function foldersToWatch(mb: SeedMailbox, seed: Seed): Promise<{ inbox: string; spam: string | null; order: string[] }> {
  const list = await mb.listMailboxes();
  const byLower = new Map(list.map((m) => [m.path.toLowerCase(), m.path]));
  // RFC 6154 §2: \Junk marks the spam folder whatever it is called ("[Gmail]/Spam", "Junk E-mail")
  const spam = seed.spam ?? list.find((m) => m.specialUse === '\\Junk')?.path ?? byLower.get('junk') ?? byLower.get('spam') ?? null;
  const inbox = seed.inbox.toUpperCase() === 'INBOX' ? 'INBOX' : seed.inbox;
  const rest = list.map((m) => m.path).filter((p) => p.toLowerCase() !== inbox.toLowerCase() && p !== spam);
  return { inbox, spam, order: [inbox, ...(spam ? [spam] : []), ...rest] };
}

/** A second login that IDLEs on the spam folder while the first IDLEs on the inbox. */
export interface SpamWatch {
  box: SeedMailbox;
  folder: string;
}

/**
 * Looks in the folders until the copy carrying `token` shows up or `deadline` passes (or `signal`
 * aborts). Each round selects every folder and runs SEARCH HEADER (RFC 9051 §6.4.4): a fresh
 * SELECT makes the server report mail delivered since the last look, which a long-open selection
 * would only show after NOOP. Between rounds: IMAP IDLE (RFC 2177) when the server offers it, else
 * a sleep of --poll. IDLE watches only the selected mailbox, so with `spam` a second login IDLEs on
 * the spam folder at the same time; whichever hears of new mail first ends both waits.
 */
export async function watchSeed(
  mb: SeedMailbox,
  folders: readonly string[],
  token: string,
  o: { clock: Clock; pollMs: number; deadline: number; readOnly: boolean; signal?: AbortSignal; spam?: SpamWatch },
): Promise<FoundCopy | null> {
  for (;;) {
    const found = await lookOnce(mb, folders, token, o.clock, o.readOnly);
    if (found) return found;
    const now = o.clock.now();
    if (now >= o.deadline || o.signal?.aborted) return null;
    const wait = Math.min(o.pollMs, o.deadline - now);
    if (mb.canIdle && mb.idleFor) {
      await mb.select(folders[0]!, o.readOnly);
      if (o.spam) await o.spam.box.select(o.spam.folder, true);
      const stop = new AbortController();
      const end = () => stop.abort();
      o.signal?.addEventListener('abort', end, { once: true });
      try {
        const waits = [mb.idleFor(wait, stop.signal).finally(end)];
        if (o.spam?.box.idleFor) waits.push(o.spam.box.idleFor(wait, stop.signal).finally(end));
        await Promise.all(waits);
      } finally {
        o.signal?.removeEventListener('abort', end);
      }
    } else {
      await o.clock.sleep(wait, o.signal).catch(() => undefined);
    }
  }
}

/** One look in every folder for the copy carrying `token`. */
export async function lookOnce(mb: SeedMailbox, folders: readonly string[], token: string, clock: Clock, readOnly: boolean): Promise<FoundCopy | null> {
  for (const folder of folders) {
    await mb.select(folder, readOnly);
    const uids = await mb.searchHeader(TOKEN_HEADER, token);
    if (uids.length > 0) {
      const foundAt = clock.now();
      const uid = uids[0]!;
      const h = await mb.fetchHeaders(uid);
      return { folder, uid, foundAt, storedAt: h?.internalDate ?? null, headers: h?.headers ?? Buffer.alloc(0) };
    }
  }
  return null;
}

export function placementOf(folder: string, inbox: string, spam: string | null): Placement {
  if (folder.toLowerCase() === inbox.toLowerCase()) return 'inbox';
  if (spam !== null && folder === spam) return 'spam';
  return `other:${folder}`;
}

/** The parts of a result that come from the copy's headers. */
export function readCopy(headers: Buffer): Pick<SeedResult, 'authentication' | 'authservId' | 'spamHeaders' | 'hops'> {
  const { headers: fields } = parseHeaderBlock(headers.toString('latin1'), 0);
  const ar = parseAuthenticationResults(fields);
  return { authentication: { spf: ar.spf, dkim: ar.dkim, dmarc: ar.dmarc, arc: ar.arc }, authservId: ar.authservId, spamHeaders: spamHeaders(fields), hops: receivedHops(fields) };
}

export function errorText(err: unknown): string {
  return err instanceof MailpaceError ? err.message : err instanceof Error ? err.message : String(err);
}

// ---- summary and exit code ----

/** One provider's seeds in one run: the statistics monitor keeps per run, and the spam rate. */
export type ProviderSummary = Omit<PlacementStats, 'runs'> & { spamRate: number | null };

export function summarise(results: readonly SeedResult[]): { providers: Record<string, ProviderSummary> } {
  const byProvider = new Map<string, SeedResult[]>();
  for (const r of results) byProvider.set(r.provider, [...(byProvider.get(r.provider) ?? []), r]);
  const providers: Record<string, ProviderSummary> = {};
  for (const [name, list] of byProvider) {
    const st = placementStats(list, 1);
    const known = st.seeds - st.unknown;
    providers[name] = { seeds: st.seeds, inbox: st.inbox, spam: st.spam, other: st.other, missing: st.missing, bounced: st.bounced, unknown: st.unknown, inboxRate: st.inboxRate, spamRate: known > 0 ? st.spam / known : null, p50Ms: st.p50Ms, p95Ms: st.p95Ms };
  }
  return { providers };
}

/** 3 a seed's mailbox could not be read (or nothing was sent); 1 any spam, other folder, missing or bounced; 0 all in the inbox. */
export function placementExitCode(results: readonly SeedResult[]): 0 | 1 | 3 {
  if (results.some((r) => r.placement === 'unknown' || (r.error !== null && r.placement !== 'bounced'))) return 3;
  if (results.every((r) => r.send.status === 'not-sent')) return 3;
  return results.every((r) => r.placement === 'inbox') ? 0 : 1;
}
