/**
 * `bounce fetch`: reads messages from a remote mailbox in chunks of UIDs, hands each one to the caller
 * (parse, apply, render), then marks the handled ones \Seen and/or moves them away. The mailbox is an
 * interface (the IMAP client is injected), so the loop is tested without a server too.
 *
 * Order matters for safety: a chunk's messages are parsed and applied before they are flagged or
 * moved, so a run that dies half-way leaves them unseen and in place; the next run picks them up
 * again, and --apply is idempotent (Message-ID + recipient), so nothing is counted twice.
 */
import type { MessageSource } from './sources.js';

export interface MailboxSearch {
  /** Only messages without \Seen (RFC 9051 §6.4.4 UNSEEN). */
  unseenOnly: boolean;
  /** Internal date on or after this day (IMAP SINCE compares dates, not times). */
  since?: Date;
}

/** What `bounce fetch` needs from a mailbox; core/bounce/imap-mailbox.ts implements it over imapflow. */
export interface RemoteMailbox {
  /** UIDs matching the search, ascending. */
  search(query: MailboxSearch): Promise<number[]>;
  /** The full messages (RFC 822 source) of these UIDs, without setting \Seen (BODY.PEEK). */
  fetch(uids: readonly number[]): AsyncIterable<{ uid: number; raw: Uint8Array }>;
  markSeen(uids: readonly number[]): Promise<void>;
  /** Moves messages to `folder` (created when missing). */
  move(uids: readonly number[], folder: string): Promise<void>;
}

export interface FetchPlan {
  search: MailboxSearch;
  /** Flag handled messages \Seen (with --apply or --move-to: the run acted on them). */
  markSeen: boolean;
  moveTo?: string;
  /** UIDs fetched per round trip; bounds memory to one chunk of messages. */
  chunk?: number;
}

export interface FetchTotals {
  found: number;
  fetched: number;
  markedSeen: number;
  moved: number;
}

export interface FetchedSource extends MessageSource {
  uid: number;
}

/**
 * Runs the plan. `onMessage` returns whether the message was handled (a bounce, complaint or
 * auto-reply): only those are flagged or moved; a human's reply stays where a human will see it.
 */
/**
 * `totals` is updated as the run goes, so a caller whose run failed half-way can still say how far
 * it got.
 */
export async function fetchMailbox(
  mailbox: RemoteMailbox,
  plan: FetchPlan,
  name: (uid: number) => string,
  onMessage: (src: FetchedSource) => Promise<boolean>,
  totals: FetchTotals = { found: 0, fetched: 0, markedSeen: 0, moved: 0 },
): Promise<FetchTotals> {
  const uids = await mailbox.search(plan.search);
  totals.found = uids.length;
  const size = plan.chunk ?? 50;
  for (let i = 0; i < uids.length; i += size) {
    const chunk = uids.slice(i, i + size);
    const handled: number[] = [];
    for await (const { uid, raw } of mailbox.fetch(chunk)) {
      totals.fetched++;
      if (await onMessage({ uid, file: name(uid), raw })) handled.push(uid);
    }
    if (handled.length === 0) continue;
    if (plan.markSeen) {
      await mailbox.markSeen(handled);
      totals.markedSeen += handled.length;
    }
    if (plan.moveTo !== undefined) {
      await mailbox.move(handled, plan.moveTo);
      totals.moved += handled.length;
    }
  }
  return totals;
}
