/**
 * placement: send one copy of a message to each seed mailbox through the delivery engine, then
 * watch the seeds over IMAP until every copy shows up (or --timeout): inbox or spam, time to inbox,
 * the receiver's Authentication-Results, spam headers and Received hops; the copies are deleted
 * afterwards unless --keep.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { CliContext } from '../context.js';
import { NetworkError, UsageError } from '../../core/errors.js';
import { DEFAULT_DELIVERY_OPTIONS, type DeliveryOptions } from '../../core/delivery/engine.js';
import { parseAddress, parseHelo, positiveDuration, readCaFile, readInputFile, readSecret, wholeNumber } from '../flags.js';
import { parseDuration } from '../../core/duration.js';
import { checkMessageFlags, parseRelayFlags, prepareOutgoing, readMessageFlag } from '../message-flags.js';
import { parseSeeds, seedPasswords, type Seed } from '../../core/placement/seeds.js';
import { TOKEN_HEADER, errorText, foldersToWatch, newToken, placementExitCode, placementOf, readCopy, summarise, watchSeed, type SeedResult } from '../../core/placement/placement.js';
import { placementCsv, placementDocument, renderPlacement } from '../../render/placement.js';
import { toJson } from '../../render/json.js';

const DEFAULT_WATCH_MS = 10 * 60_000;
const DEFAULT_POLL_MS = 5_000;

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  // ---- everything that can be refused is checked before any connection (exit 2) ----
  if (opts.seeds === undefined) throw new UsageError('placement needs --seeds <seeds.json>');
  if (opts.from === undefined) throw new UsageError('--from is required (the envelope sender and, when composing, the From: header)');
  const from = parseAddress(String(opts.from), '--from', { allowNull: false });
  checkMessageFlags(opts);
  const format = String(opts.format ?? (ctx.json ? 'json' : 'human'));
  if (format !== 'human' && format !== 'json' && format !== 'csv') throw new UsageError(`--format "${format}" is not one of human, json, csv`);
  if (ctx.json && format === 'csv') throw new UsageError('--json and --format csv contradict each other');
  const json = ctx.json || format === 'json';
  // The global --timeout is how long to watch here (default 10m); network steps keep their own bound.
  const watchMs = opts.watchTimeout !== undefined ? parseDuration(String(opts.watchTimeout), '--timeout') : DEFAULT_WATCH_MS;
  const stepMs = opts.watchTimeout !== undefined ? Math.min(watchMs, 30_000) : ctx.timeoutMs;
  const pollMs = opts.poll !== undefined ? positiveDuration(String(opts.poll), '--poll') : DEFAULT_POLL_MS;
  const seedFile = String(opts.seeds);
  const seeds = parseSeeds(readInputFile(seedFile, '--seeds').toString('utf8'), seedFile);
  const fileSecret = readSecret({ file: opts.passwordFile, env: {}, envName: '', flag: '--password-file' });
  const passwords = seedPasswords(seeds, ctx.io.env, fileSecret);
  const caPem = opts.caFile !== undefined ? readCaFile(String(opts.caFile)) : undefined;

  const { relay, password: relayPassword } = parseRelayFlags(ctx, opts, { name: '--relay-password-file', value: opts.relayPasswordFile });
  const options: DeliveryOptions = {
    ...DEFAULT_DELIVERY_OPTIONS,
    ...(relay ? { relay } : {}),
    port: relay ? relay.port : opts.port !== undefined ? wholeNumber(String(opts.port), '--port', 1, 65535) : 25,
    tls: opts.tls === 'required' ? 'required' : 'opportunistic',
    separate: true,
  };
  const heloName = opts.helo !== undefined ? parseHelo(String(opts.helo)) : hostname();
  const keep = opts.keep === true;
  const messageBytes = await readMessageFlag(ctx, opts);

  // ---- the copies: one per seed, each with its own token, all with the message's one Message-ID ----
  const deps = ctx.deps();
  const tokens = seeds.map(() => newToken());
  const copies = [];
  let messageId: string | undefined;
  for (const [i, seed] of seeds.entries()) {
    const c = await prepareOutgoing(ctx, deps, opts, {
      from,
      to: [seed.address],
      headers: { [TOKEN_HEADER]: tokens[i]! },
      bodyLine: `Placement token: ${tokens[i]}`,
      checkDkimKey: i === 0,
      ...(messageBytes ? { messageBytes } : {}),
      ...(messageId ? { messageId } : {}),
    });
    messageId ??= c.prepared.messageId;
    if (i === 0) for (const n of c.prepared.notices) ctx.notice(`mailpace-cli: ${n}`);
    for (const f of c.findings) if (f.severity !== 'info') ctx.notice(`mailpace-cli: ${f.message}`);
    copies.push(c);
  }

  // ---- log in to every seed first: no point sending where the copy cannot be looked for ----
  const { ImapMailbox } = await import('../../core/imap/imap-mailbox.js');
  const boxes = await Promise.all(
    seeds.map((seed, i) =>
      ImapMailbox.open({ target: seed.imap, password: passwords[i]!, tls: seed.tls, ...(caPem ? { caPem } : {}), timeoutMs: stepMs, readOnly: keep }).then(
        (box) => ({ box, error: null as string | null }),
        (err: unknown) => ({ box: null, error: `IMAP: ${errorText(err)}` }),
      ),
    ),
  );
  const results: SeedResult[] = seeds.map((seed, i) => blank(seed, tokens[i]!, boxes[i]!.error));
  try {
    if (boxes.every((b) => b.box === null)) {
      // Nothing to send to: one line (the first seed's reason), exit 3.
      throw new NetworkError('PLACEMENT_NO_SEED', `no seed mailbox could be read, nothing sent: ${seeds[0]!.address}: ${boxes[0]!.error}`);
    }
    const watched = await Promise.all(seeds.map((seed, i) => (boxes[i]!.box ? foldersToWatch(boxes[i]!.box!, seed).catch((err: unknown) => ({ error: `IMAP: ${errorText(err)}` })) : null)));
    for (const [i, w] of watched.entries()) if (w && 'error' in w) Object.assign(results[i]!, { error: w.error, placement: 'unknown' });

    // ---- send: one queue entry per seed, through the delivery engine ----
    const { makeEngine } = await import('../delivery-runner.js');
    const { sendReport } = await import('../../core/delivery/report.js');
    const store = await ctx.store();
    const { engine, close } = await makeEngine(ctx, store, { heloName, ...(caPem ? { caPem } : {}), concurrency: 1, retry: false, ...(relayPassword !== undefined ? { relayPassword } : {}) }, undefined, deps);
    const runStart = deps.clock.now();
    try {
      for (const [i, seed] of seeds.entries()) {
        const r = results[i]!;
        if (r.error !== null) continue;
        const id = `${Date.now().toString(36)}${randomBytes(5).toString('hex')}`;
        r.sendStartedAt = new Date(deps.clock.now()).toISOString();
        await engine.enqueue({ id, messageId: messageId!, sender: from, raw: copies[i]!.raw, recipients: [seed.address], options, force: true });
        await engine.runDue({ id });
        const rep = (await sendReport(store, { queueId: id, messageId: messageId!, recipients: [seed.address], findings: [] })).recipients[0]!;
        const last = rep.attempts[rep.attempts.length - 1];
        r.send = { status: rep.status, reply: last ? last.reply : null };
        if (rep.status === 'delivered' && last) r.acceptedAt = last.at;
        if (rep.status === 'bounced' || rep.status === 'suppressed') r.placement = 'bounced';
        // A placement copy that comes a retry later measures nothing: it does not stay queued.
        if (rep.status === 'deferred') await store.deleteQueued(id);
        ctx.debug(`${seed.address}: ${rep.status}${last ? ` — ${last.reply.code ?? ''} ${last.reply.text}` : ''}`);
      }
    } finally {
      await close();
      await store.close();
    }

    // ---- watch: every accepted copy, all seeds at once ----
    const deadline = deps.clock.now() + watchMs;
    await Promise.all(
      seeds.map(async (seed, i) => {
        const r = results[i]!;
        const box = boxes[i]!.box;
        const w = watched[i];
        if (!box || !w || 'error' in w || r.send.status !== 'delivered') return;
        r.watch = box.canIdle ? 'idle' : 'poll';
        try {
          const found = await watchSeed(box, w.order, r.token, { clock: deps.clock, pollMs, deadline, readOnly: keep });
          if (!found) {
            r.placement = 'missing';
            return;
          }
          r.placement = placementOf(found.folder, w.inbox, w.spam);
          r.folder = found.folder;
          r.foundAt = new Date(found.foundAt).toISOString();
          r.storedAt = found.storedAt ? found.storedAt.toISOString() : null;
          r.timeToInboxMs = r.acceptedAt ? Math.max(0, found.foundAt - Date.parse(r.acceptedAt)) : null;
          r.timeFromSendStartMs = r.sendStartedAt ? Math.max(0, found.foundAt - Date.parse(r.sendStartedAt)) : null;
          Object.assign(r, readCopy(found.headers));
          if (!keep) {
            await box.deleteMessages([found.uid]);
            r.cleanedUp = true;
          }
        } catch (err) {
          if (r.placement === 'missing') r.placement = 'unknown';
          r.error = `IMAP: ${errorText(err)}`;
        }
      }),
    );
    ctx.debug(`placement run took ${Math.round(deps.clock.now() - runStart)} ms`);
  } finally {
    await Promise.all(boxes.map((b) => b.box?.close()));
  }

  const doc = placementDocument(messageId!, results, summarise(results));
  if (json) ctx.out(toJson(doc));
  else if (format === 'csv') ctx.out(placementCsv(doc));
  else ctx.out(renderPlacement(ctx.color, doc));
  return placementExitCode(results);
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
    send: { status: 'not-sent', reply: null },
    watch: null,
    cleanedUp: false,
    error,
  };
}
