/**
 * One placement run for the CLI: compose a copy per seed, log in to every seed, send the copies
 * through the delivery engine (a few at once, deferred ones retried by the engine's retry policy
 * until --timeout), watch each seed as soon as its copy is accepted, delete the copies, and keep
 * the run in the store. An abort (Ctrl-C, SIGTERM) stops sending and watching, then looks once
 * more for the copies already accepted and deletes what it finds.
 */
import { randomBytes } from 'node:crypto';
import type { CliContext } from './context.js';
import type { Deps } from '../core/deps.js';
import { NetworkError } from '../core/errors.js';
import type { DeliveryOptions } from '../core/delivery/engine.js';
import type { Seed } from '../core/placement/seeds.js';
import { TOKEN_HEADER, errorText, foldersToWatch, lookOnce, newToken, placementOf, readCopy, watchSeed, type SeedResult, type SpamWatch } from '../core/placement/placement.js';
import type { PlacementRun } from '../core/store/store.js';
import { prepareOutgoing } from './message-flags.js';
import { formatDuration } from '../core/duration.js';

/** Copies handed to the engine at once: enough to overlap the SMTP round trips, few enough not to look like a burst. */
export const SEND_CONCURRENCY = 4;
/** After Ctrl-C, how long to wait for copies already accepted but not yet in the mailbox. */
export const SWEEP_GRACE_MS = 15_000;

export interface PlacementSetup {
  seeds: Seed[];
  passwords: string[];
  from: string;
  caPem?: string;
  /** Per network step (IMAP login, commands). */
  stepMs: number;
  /** The whole run: sending with retries, then watching. */
  watchMs: number;
  pollMs: number;
  keep: boolean;
  heloName: string;
  options: DeliveryOptions;
  relayPassword?: string;
  messageBytes?: Buffer;
  /** The command's flags (compose flags, DKIM). */
  opts: Record<string, any>;
}

export interface PlacementOutcome {
  runId: string;
  messageId: string;
  startedAt: number;
  finishedAt: number;
  results: SeedResult[];
  /** Stopped by a signal: the results are partial and the run is not kept. */
  interrupted: boolean;
  /** Copies found and deleted after the abort. */
  sweptUp: number;
  /** Accepted copies that had not arrived by the end of the grace period (left where they land). */
  unswept: number;
}

type Box = Awaited<ReturnType<typeof import('../core/imap/imap-mailbox.js').ImapMailbox.open>>;

export async function placementRun(ctx: CliContext, deps: Deps, s: PlacementSetup, signal: AbortSignal, first: boolean): Promise<PlacementOutcome> {
  const runId = `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const startedAt = deps.clock.now();
  // ---- the copies: one per seed, each with its own token, all with the message's one Message-ID ----
  const tokens = s.seeds.map(() => newToken());
  const copies: Awaited<ReturnType<typeof prepareOutgoing>>[] = [];
  let messageId: string | undefined;
  for (const [i, seed] of s.seeds.entries()) {
    const c = await prepareOutgoing(ctx, deps, s.opts, {
      from: s.from,
      to: [seed.address],
      headers: { [TOKEN_HEADER]: tokens[i]! },
      bodyLine: `Placement token: ${tokens[i]}`,
      checkDkimKey: i === 0,
      ...(s.messageBytes ? { messageBytes: s.messageBytes } : {}),
      ...(messageId ? { messageId } : {}),
    });
    messageId ??= c.prepared.messageId;
    if (i === 0 && first) for (const n of c.prepared.notices) ctx.notice(`mailpace-cli: ${n}`);
    if (first) for (const f of c.findings) if (f.severity !== 'info') ctx.notice(`mailpace-cli: ${f.message}`);
    copies.push(c);
  }

  // ---- log in to every seed first: no point sending where the copy cannot be looked for ----
  const { ImapMailbox } = await import('../core/imap/imap-mailbox.js');
  const login = (seed: Seed, i: number, readOnly: boolean) => ImapMailbox.open({ target: seed.imap, password: s.passwords[i]!, tls: seed.tls, ...(s.caPem ? { caPem: s.caPem } : {}), timeoutMs: s.stepMs, readOnly });
  const boxes = await Promise.all(
    s.seeds.map((seed, i) =>
      login(seed, i, s.keep).then(
        (box) => ({ box: box as Box | null, error: null as string | null }),
        (err: unknown) => ({ box: null, error: `IMAP: ${errorText(err)}` }),
      ),
    ),
  );
  const spamBoxes: (Box | null)[] = s.seeds.map(() => null);
  const results: SeedResult[] = s.seeds.map((seed, i) => blank(seed, tokens[i]!, boxes[i]!.error));
  let interrupted = false;
  let sweptUp = 0;
  let unswept = 0;
  const store = await ctx.store();
  try {
    if (boxes.every((b) => b.box === null)) {
      // Nothing to send to: one line (the first seed's reason), exit 3.
      throw new NetworkError('PLACEMENT_NO_SEED', `no seed mailbox could be read, nothing sent: ${s.seeds[0]!.address}: ${boxes[0]!.error}`);
    }
    const watched = await Promise.all(s.seeds.map((seed, i) => (boxes[i]!.box ? foldersToWatch(boxes[i]!.box!, seed).catch((err: unknown) => ({ error: `IMAP: ${errorText(err)}` })) : null)));
    for (const [i, w] of watched.entries()) if (w && 'error' in w) Object.assign(results[i]!, { error: w.error, placement: 'unknown' });
    // IDLE covers one mailbox per login: a second, read-only login IDLEs on the spam folder.
    await Promise.all(
      s.seeds.map(async (seed, i) => {
        const w = watched[i];
        if (!boxes[i]!.box?.canIdle || !w || 'error' in w || w.spam === null) return;
        spamBoxes[i] = await login(seed, i, true).catch(() => null);
      }),
    );

    // ---- send and watch: each seed's copy is watched for as soon as the receiver accepted it ----
    const { makeEngine } = await import('./delivery-runner.js');
    const { sendReport } = await import('../core/delivery/report.js');
    const deadline = startedAt + s.watchMs;
    // The engine retries a deferred copy on its policy; a copy still not accepted at the end of the watch expires.
    const options: DeliveryOptions = { ...s.options, policy: { ...s.options.policy, maxAgeMs: s.watchMs } };
    const { engine, close } = await makeEngine(
      ctx,
      store,
      { heloName: s.heloName, ...(s.caPem ? { caPem: s.caPem } : {}), concurrency: SEND_CONCURRENCY, retry: true, ...(s.relayPassword !== undefined ? { relayPassword: s.relayPassword } : {}) },
      (e) => {
        if (e.type === 'waiting') ctx.notice(`mailpace-cli: ${e.recipients.map((r) => `${r.recipient} (${r.why}${r.reply ? `: ${r.reply.code ?? ''} ${r.reply.text.split('\n')[0]}` : ''})`).join(', ')}: next attempt in ${formatDuration(e.until - deps.clock.now())}`);
      },
      deps,
    );
    const slots = limiter(SEND_CONCURRENCY);
    try {
      await Promise.all(
        s.seeds.map(async (seed, i) => {
          const r = results[i]!;
          if (r.error !== null) return;
          await slots(async () => {
            if (signal.aborted) return;
            const id = `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
            r.sendStartedAt = new Date(deps.clock.now()).toISOString();
            await engine.enqueue({ id, messageId: messageId!, sender: s.from, raw: copies[i]!.raw, recipients: [seed.address], options, force: true });
            await engine.runUntilSettled(id, signal).catch((err: unknown) => {
              if (!signal.aborted) throw err;
            });
            const rep = (await sendReport(store, { queueId: id, messageId: messageId!, recipients: [seed.address], findings: [] })).recipients[0]!;
            const last = rep.attempts[rep.attempts.length - 1];
            r.send = { status: rep.status, attempts: rep.attempts.length, reply: last ? last.reply : null };
            if (rep.status === 'delivered' && last) r.acceptedAt = last.at;
            if (rep.status === 'bounced' || rep.status === 'suppressed') r.placement = 'bounced';
            // Interrupted while deferred: a placement copy that comes later measures nothing.
            if (rep.status !== 'delivered' && rep.status !== 'bounced' && rep.status !== 'suppressed') await store.deleteQueued(id);
            ctx.debug(`${seed.address}: ${rep.status}${last ? ` — ${last.reply.code ?? ''} ${last.reply.text}` : ''}`);
          });
          const box = boxes[i]!.box;
          const w = watched[i];
          if (!box || !w || 'error' in w || r.send.status !== 'delivered') return;
          r.watch = box.canIdle ? 'idle' : 'poll';
          const spam: SpamWatch | undefined = spamBoxes[i] && w.spam ? { box: spamBoxes[i]!, folder: w.spam } : undefined;
          try {
            const found = await watchSeed(box, w.order, r.token, { clock: deps.clock, pollMs: s.pollMs, deadline, readOnly: s.keep, signal, ...(spam ? { spam } : {}) });
            if (!found) return;
            r.placement = placementOf(found.folder, w.inbox, w.spam);
            r.folder = found.folder;
            r.foundAt = new Date(found.foundAt).toISOString();
            r.storedAt = found.storedAt ? found.storedAt.toISOString() : null;
            r.timeToInboxMs = r.acceptedAt ? Math.max(0, found.foundAt - Date.parse(r.acceptedAt)) : null;
            r.timeFromSendStartMs = r.sendStartedAt ? Math.max(0, found.foundAt - Date.parse(r.sendStartedAt)) : null;
            Object.assign(r, readCopy(found.headers));
            if (!s.keep) {
              await box.deleteMessages([found.uid]);
              r.cleanedUp = true;
            }
          } catch (err) {
            if (r.placement === 'missing') r.placement = 'unknown';
            r.error = `IMAP: ${errorText(err)}`;
          }
        }),
      );
    } finally {
      await close();
    }

    if (signal.aborted) {
      interrupted = true;
      // Copies the receivers accepted but we had not seen yet are usually seconds away: watch a
      // little longer for them (a second Ctrl-C leaves at once) and delete what arrives.
      if (!s.keep) {
        const graceEnd = Math.min(deadline, deps.clock.now() + SWEEP_GRACE_MS);
        await Promise.all(
          s.seeds.map(async (_seed, i) => {
            const r = results[i]!;
            const box = boxes[i]!.box;
            const w = watched[i];
            if (!box || !w || 'error' in w || r.send.status !== 'delivered' || r.foundAt !== null) return;
            const spam: SpamWatch | undefined = spamBoxes[i] && w.spam ? { box: spamBoxes[i]!, folder: w.spam } : undefined;
            const found = await watchSeed(box, w.order, r.token, { clock: deps.clock, pollMs: Math.min(s.pollMs, 1000), deadline: graceEnd, readOnly: false, ...(spam ? { spam } : {}) }).catch(() => null);
            if (found && (await box.deleteMessages([found.uid]).then(() => true, () => false))) sweptUp++;
            else if (!found) unswept++;
          }),
        );
      }
    }
    const finishedAt = deps.clock.now();
    if (!interrupted) await store.addPlacementRun(toRecord(runId, messageId!, startedAt, finishedAt, results));
    return { runId, messageId: messageId!, startedAt, finishedAt, results, interrupted, sweptUp, unswept };
  } finally {
    await store.close();
    await Promise.all([...boxes.map((b) => b.box?.close()), ...spamBoxes.map((b) => b?.close())]);
  }
}

function toRecord(id: string, messageId: string, startedAt: number, finishedAt: number, results: readonly SeedResult[]): PlacementRun {
  return {
    id,
    messageId,
    startedAt,
    finishedAt,
    seeds: results.map((r) => ({
      address: r.address,
      provider: r.provider,
      placement: r.placement,
      sendStatus: r.send.status,
      ...(r.folder !== null ? { folder: r.folder } : {}),
      ...(r.timeToInboxMs !== null ? { timeToInboxMs: r.timeToInboxMs } : {}),
      ...(r.error !== null ? { error: r.error } : {}),
    })),
  };
}

/** Runs the functions given to it with at most `n` at a time. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    // A finishing function hands its slot straight to the next in line.
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

function blank(seed: Seed, token: string, error: string | null): SeedResult {
  return {
    address: seed.address,
    provider: seed.provider,
    placement: error ? 'unknown' : 'missing',
    folder: null,
    timeToInboxMs: null,
    timeFromSendStartMs: null,
    sendStartedAt: null,
    acceptedAt: null,
    foundAt: null,
    storedAt: null,
    token,
    authentication: { spf: null, dkim: null, dmarc: null, arc: null },
    authservId: null,
    spamHeaders: {},
    hops: [],
    send: { status: 'not-sent', attempts: 0, reply: null },
    watch: null,
    cleanedUp: false,
    error,
  };
}
