/**
 * The delivery engine: queue → claim → route → transaction → classify → record, with the retry
 * policy deciding when a deferred recipient is due again. `send`, `queue run` and the warm-up
 * simulator run this same code; only the transport (real SMTP or modelled receivers), the clock
 * (system or fake) and the store differ.
 *
 * Guarantees (what the store's lease and write order give):
 * - a recipient's state is written before DATA ("sending") and after the reply, in one
 *   transaction with its log row, so a crash loses nothing and a message is never sent twice
 *   within one run; across a crash delivery is at-least-once with the same Message-ID, which
 *   receivers can use to drop the duplicate;
 * - two processes never work on one message at once (claims are leases).
 */
import type { Clock } from '../clock.js';
import type { Resolver } from '../dns/types.js';
import { finding } from '../probe/host-findings.js';
import type { Finding } from '../types.js';
import { addressDomain, applyUpdate, applyUpdates, isFinal, type AttemptRecord, nextDue, normalizeAddress, type DeliveryLogEntry, type QueuedMessage, type QueuedRecipient, type RecipientUpdate, type ReplyRecord, type Store, type TlsRecord } from '../store/store.js';
import type { Classification, ClassifyInput } from './classification.js';
import { DEFAULT_RETRY_POLICY, DestinationThrottle, nextRetry, type RetryPolicy, type RetryState } from './retry-policy.js';
import { applySuppressionRule } from './suppression-rule.js';
import { routeDomain, type RelayAuth, type Route } from './route.js';
import { type DeliveryTransport, type RecipientResult, type TlsRequirement, type TransactionResult } from './transport.js';
import type { WarmupBudget, WarmupEnforcement } from '../warmup/enforce.js';
import type { ProviderName } from '../warmup/providers.js';

/** How a queued message is to be delivered; kept with it in the queue (never a password). */
export interface DeliveryOptions {
  relay?: { host: string; port: number; secure: boolean; user?: string };
  /** Destination port for direct delivery (default 25). */
  port: number;
  tls: 'opportunistic' | 'required';
  maxRcpt: number;
  separate: boolean;
  policy: RetryPolicy;
  /** `send --warmup`: the plan whose daily and hourly caps per provider the queue keeps to. */
  warmup?: WarmupEnforcement;
}

export const DEFAULT_DELIVERY_OPTIONS: DeliveryOptions = { port: 25, tls: 'opportunistic', maxRcpt: 100, separate: false, policy: DEFAULT_RETRY_POLICY };

export interface TlsPolicyOutcome {
  requirements: TlsRequirement[];
  findings: Finding[];
}

export interface EngineDeps {
  store: Store;
  transport: DeliveryTransport;
  clock: Clock;
  resolver: Resolver;
  classify: (input: ClassifyInput) => Classification;
  /** This process's name in claims ("host:pid:random"). */
  worker: string;
  random?: () => number;
  /** MTA-STS / DANE for a recipient domain (direct delivery only). */
  tlsPolicy?: (domain: string, port: number, signal?: AbortSignal) => Promise<TlsPolicyOutcome>;
  /**
   * The relay password comes from the environment at run time, never from the queue; the user
   * name is each message's own (its options.relay.user).
   */
  relayPassword?: string;
  /** Transactions in flight at once (default 10). */
  concurrency?: number;
  /** How long a claim lasts before another worker may take the message over (default 10 min). */
  leaseMs?: number;
  /** How long a lazy write waits for a durable commit to ride on (default 50 ms; real time, not the clock). */
  lazyWriteMs?: number;
  onEvent?: (e: EngineEvent) => void;
  /**
   * false: attempts write no delivery-log rows (the warm-up simulator, whose store keeps no log:
   * its figures come from the events, and a throttled backlog retried all day would add a row per
   * attempt). Default true.
   */
  deliveryLog?: boolean;
}

export type EngineEvent =
  | { type: 'attempt'; queueId: string; domain: string; recipients: string[] }
  | { type: 'result'; queueId: string; recipient: string; status: string; reply?: ReplyRecord; networkError?: string; host?: string }
  | { type: 'waiting'; queueId: string; until: number; recipients: { recipient: string; why: string; reply?: ReplyRecord }[] };

export interface EnqueueInput {
  id: string;
  messageId: string;
  sender: string;
  raw: Buffer;
  recipients: readonly string[];
  options: DeliveryOptions;
  /** Send to suppressed recipients too. */
  force?: boolean;
}

/** Pending and due at `now`. */
function isDue(r: QueuedRecipient, now: number): boolean {
  return !isFinal(r.status) && r.nextAttemptAt <= now;
}

/** The one domain of `recipients` when every one of them is due at `now` (else undefined). */
function allDueAtOneDomain(recipients: readonly QueuedRecipient[], now: number): string | undefined {
  const domain = recipients[0]?.domain;
  for (const r of recipients) if (r.domain !== domain || !isDue(r, now)) return undefined;
  return domain;
}

function optionsOf(m: QueuedMessage): DeliveryOptions {
  const o = m.options as Partial<DeliveryOptions>;
  return { ...DEFAULT_DELIVERY_OPTIONS, ...o, policy: { ...DEFAULT_RETRY_POLICY, ...(o.policy ?? {}) } };
}

/** What the engine remembers about a recipient's latest answer (why it waits, for progress). */
interface Pending {
  recipient: string;
  why: string;
  reply?: ReplyRecord;
}

const SUPPRESS_DETAIL_MAX = 300;
/** How long a lazy write waits for a durable commit to ride on before it is committed alone. */
const LAZY_WRITE_MS = 50;
/** Distinct replies whose classification is kept; past this the cache starts again. */
const CLASSIFIED_MAX = 10_000;

export class DeliveryEngine {
  readonly findings: Finding[] = [];
  private readonly throttle: DestinationThrottle;
  private readonly routes = new Map<string, Promise<Route>>();
  private readonly tlsPolicies = new Map<string, Promise<TlsPolicyOutcome>>();
  private readonly findingKeys = new Set<string>();
  private readonly random: () => number;
  private readonly waiting = new Map<string, Pending>();
  /** Whether `waiting` is kept: only runUntilSettled reports it (a queue run or a simulation would only fill it). */
  private trackWaiting = false;
  private pendingWrites: { rec: AttemptRecord; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private flushScheduled = false;
  private lazyTimer: NodeJS.Timeout | undefined;
  private readonly flushing = new Set<Promise<void>>();
  /** The first failed lazy write of this run, thrown by drain(). */
  private writeFailure: unknown;
  /** Every lazy write's failure handler (one function, not one per write). */
  private readonly lazyFailed = (e: unknown): void => {
    this.writeFailure ??= e;
  };
  /** Warm-up budgets of this queue run, per plan id (loaded from the log at the run's start). */
  private budgets = new Map<string, Promise<WarmupBudget>>();
  /** The provider behind each recipient domain (warm-up caps), looked up once. */
  private readonly providers = new Map<string, Promise<ProviderName>>();
  /** Classifications of reply texts seen in this process (bounded). */
  private readonly classified = new Map<string, Classification>();
  /** The same, by reply object, for frozen (immutable) replies a transport hands out again and again. */
  private readonly classifiedReplies = new WeakMap<ReplyRecord, { stage: string; c: Classification }>();
  /** Finding keys per recipient domain and code (causeKey). */
  private readonly causeKeys = new Map<string, Map<string, string>>();
  /** The domain part causeKey saw last (a batch is one domain), to skip the lookup. */
  private lastCausePart: { part: string; byCode: Map<string, string> } | undefined;
  /** Each message's options with the defaults filled in, per options object. */
  private readonly options = new WeakMap<object, DeliveryOptions>();
  /** Recipient lookup per claimed message (a --separate send has thousands). */
  private readonly recipientIndex = new WeakMap<QueuedMessage, Map<string, QueuedRecipient>>();

  constructor(private readonly deps: EngineDeps) {
    this.throttle = new DestinationThrottle(DEFAULT_RETRY_POLICY);
    this.random = deps.random ?? Math.random;
  }

  /** Adds a finding once per key; a thunk is only built when the key is new (replies repeat by the thousand). */
  private addFinding(make: Finding | (() => Finding), key?: string): void {
    if (key !== undefined && this.findingKeys.has(key)) return;
    const f = typeof make === 'function' ? make() : make;
    key ??= `${f.code}|${f.message}`;
    if (this.findingKeys.has(key)) return;
    this.findingKeys.add(key);
    this.findings.push(f);
  }

  /** Queues a message; suppressed recipients are settled at once as "suppressed" (unless force). */
  async enqueue(input: EnqueueInput): Promise<QueuedMessage> {
    const now = this.deps.clock.now();
    const seen = new Set<string>();
    const rcpts = input.recipients.map(normalizeAddress).filter((r) => !seen.has(r) && !!seen.add(r));
    const suppressed = input.force ? new Map() : await this.deps.store.suppressedAmong(rcpts);
    // one string per domain, so the per-domain grouping of every claim compares references
    const domains = new Map<string, string>();
    const recipients: QueuedRecipient[] = rcpts.map((r) => {
      const s = suppressed.get(r);
      let domain = addressDomain(r);
      domain = domains.get(domain) ?? (domains.set(domain, domain), domain);
      const q: QueuedRecipient = { recipient: r, domain, status: s ? 'suppressed' : 'queued', attempts: 0, nextAttemptAt: now };
      if (s) {
        q.reason = s.reason;
        this.addFinding(finding('RECIPIENT_SUPPRESSED', 'send', `${r} is on the suppression list (${s.reason}${s.detail ? `: ${s.detail}` : ''}) and was skipped.`, { fix: `Remove it with: mailpace-cli suppression remove ${r} (or send with --force).` }));
      }
      return q;
    });
    const message: QueuedMessage = {
      id: input.id,
      messageId: input.messageId,
      sender: input.sender,
      raw: input.raw,
      createdAt: now,
      expiresAt: now + input.options.policy.maxAgeMs,
      options: input.options as unknown as Record<string, unknown>,
      recipients,
    };
    await this.deps.store.enqueue(message);
    for (const r of recipients) {
      if (r.status === 'suppressed') await this.deps.store.logDelivery({ at: now, queueId: input.id, messageId: input.messageId, recipient: r.recipient, status: 'suppressed' });
    }
    if (recipients.every((r) => r.status === 'suppressed')) {
      // nothing to deliver: take it out of the queue again (claim + release settles it)
      const [c] = await this.deps.store.claim({ worker: this.deps.worker, now, leaseMs: 1000, limit: 1, id: input.id });
      if (c) await this.deps.store.release(input.id, this.deps.worker);
      else await this.deps.store.deleteQueued(input.id);
    }
    return message;
  }

  /** Claims what is due now (or message `id`) and makes one attempt for each due recipient. */
  async runDue(opts: { id?: string; limit?: number; signal?: AbortSignal } = {}): Promise<number> {
    const now = this.deps.clock.now();
    const claims = await this.deps.store.claim({ worker: this.deps.worker, now, leaseMs: this.deps.leaseMs ?? 600_000, limit: opts.limit ?? 1000, ...(opts.id !== undefined ? { id: opts.id } : {}) });
    this.budgets = new Map();
    // Every due transaction of every claimed message shares one pool of `concurrency` slots.
    const jobs: (() => Promise<void>)[] = [];
    const held: Promise<void>[] = [];
    try {
      for (const c of claims) {
        const p = await this.plan(c.message, opts.signal);
        jobs.push(...p.jobs);
        held.push(...p.held);
      }
      await runLimited(jobs, this.deps.concurrency ?? 10);
      await Promise.all(held);
    } finally {
      try {
        await this.drain();
      } finally {
        for (const c of claims) await this.deps.store.release(c.message.id, this.deps.worker);
      }
    }
    return claims.length;
  }

  /**
   * `send --retry`: attempts message `id` until every recipient is final, sleeping (on the
   * injected clock) until the next one is due. Idle connections are closed before a wait.
   */
  async runUntilSettled(id: string, signal?: AbortSignal): Promise<QueuedMessage | undefined> {
    this.trackWaiting = true;
    for (;;) {
      await this.runDue({ id, signal });
      const m = await this.deps.store.getQueued(id);
      if (!m) return undefined;
      const due = nextDue(m);
      if (due === undefined) return m;
      const now = this.deps.clock.now();
      if (due > now) {
        this.deps.onEvent?.({ type: 'waiting', queueId: id, until: due, recipients: m.recipients.filter((r) => !isFinal(r.status)).map((r) => this.waiting.get(r.recipient) ?? { recipient: r.recipient, why: 'queued' }) });
        await this.deps.transport.closeIdle();
        await this.deps.clock.sleep(due - now, signal);
      } else if (m.recipients.some((r) => r.status === 'sending' || isDue(r, now))) {
        // due but not claimable (another worker holds it): wait a little and look again
        await this.deps.clock.sleep(1000, signal);
      }
    }
  }

  /** The transactions for one claimed message; `held`: the writes for recipients of throttled destinations. */
  private async plan(m: QueuedMessage, signal?: AbortSignal): Promise<{ jobs: (() => Promise<void>)[]; held: Promise<void>[] }> {
    // made once per stored options object: the memory store hands out the same one with every claim of a message (nobody changes it)
    let opts = this.options.get(m.options);
    if (!opts) this.options.set(m.options, (opts = optionsOf(m)));
    const now = this.deps.clock.now();
    const held: Promise<void>[] = [];
    // The due recipients by domain, in queue order. One pass over the message, no copies: a
    // throttled destination's whole backlog comes through here on every retry.
    let capped: QueuedRecipient[] | undefined;
    if (opts.warmup) capped = await this.withinWarmupCaps(m, opts.warmup, m.recipients.filter((r) => isDue(r, now)), now, held);
    const byDomain = new Map<string, QueuedRecipient[]>();
    // A message to one domain with every recipient due (a bulk send, a held backlog come due) is
    // its own one group.
    const all = capped ? undefined : allDueAtOneDomain(m.recipients, now);
    if (all !== undefined) byDomain.set(all, m.recipients);
    let last: QueuedRecipient[] | undefined;
    let lastDomain: string | undefined;
    if (all === undefined) for (const r of capped ?? m.recipients) {
      if (!capped && !isDue(r, now)) continue;
      // recipients of one domain usually come together: look the list up only when the domain changes
      if (r.domain !== lastDomain || !last) {
        lastDomain = r.domain;
        last = byDomain.get(r.domain);
        if (!last) byDomain.set(r.domain, (last = []));
      }
      last.push(r);
    }
    const jobs: (() => Promise<void>)[] = [];
    const size = opts.separate ? 1 : Math.max(1, opts.maxRcpt);
    for (const [domain, rcpts] of byDomain) {
      const until = this.throttle.notBefore(opts.relay ? 'relay' : domain, now);
      if (until !== undefined) {
        held.push(this.hold(m, rcpts, until));
        continue;
      }
      for (let i = 0; i < rcpts.length; i += size) {
        const batch = rcpts.length <= size ? rcpts : rcpts.slice(i, i + size);
        jobs.push(() => this.attempt(m, opts, domain, batch, signal));
      }
    }
    return { jobs, held };
  }

  /**
   * `send --warmup`: the due recipients the plan's caps allow now, in queue order; the others wait
   * (deferred, reason "warmup-cap") for the next hour or sending day with room.
   */
  private async withinWarmupCaps(m: QueuedMessage, plan: WarmupEnforcement, due: QueuedRecipient[], now: number, held: Promise<void>[]): Promise<QueuedRecipient[]> {
    let loading = this.budgets.get(plan.id);
    if (!loading) {
      loading = warmupEnforce().then(({ WarmupBudget }) => WarmupBudget.load(this.deps.store, plan, now));
      this.budgets.set(plan.id, loading);
    }
    const budget = await loading;
    const { WARMUP_CAP_REASON } = await warmupEnforce();
    const go: QueuedRecipient[] = [];
    const wait: RecipientUpdate[] = [];
    const waitFor: QueuedRecipient[] = [];
    const waiting = new Map<ProviderName, { count: number; until: number }>();
    for (const r of due) {
      const provider = budget.key(await this.providerOf(r.domain));
      if (budget.take(provider)) {
        go.push(r);
        continue;
      }
      const until = budget.nextWindow(provider);
      wait.push({ recipient: r.recipient, status: 'deferred', nextAttemptAt: until, reason: WARMUP_CAP_REASON, at: now });
      waitFor.push(r);
      const w = waiting.get(provider) ?? { count: 0, until };
      w.count++;
      waiting.set(provider, w);
      if (this.trackWaiting) this.waiting.set(r.recipient, { recipient: r.recipient, why: `warm-up cap for ${provider} (day ${budget.day} of the plan)` });
    }
    for (const [provider, w] of waiting) {
      const b = budget.get(provider);
      this.addFinding(
        () => finding('WARMUP_CAP_REACHED', 'send', `${provider}: day ${budget.day} of the warm-up plan allows ${b.dailyCap} today and ${b.hourlyCap} an hour (${b.usedToday} used today); ${w.count} recipient(s) wait until ${new Date(w.until).toISOString()}.`, {
          fix: 'Leave them queued and run `mailpace-cli queue run` from cron (or send with --retry to wait in the foreground).',
          evidence: { provider, day: budget.day, dailyCap: b.dailyCap, hourlyCap: b.hourlyCap, sentToday: b.usedToday, waiting: w.count, until: new Date(w.until).toISOString() },
        }),
        `WARMUP_CAP_REACHED|${provider}`,
      );
    }
    if (wait.length > 0) held.push(this.record(m, wait, [], 'lazy', waitFor));
    return go;
  }

  private providerOf(domain: string): Promise<ProviderName> {
    let p = this.providers.get(domain);
    if (!p) {
      p = import('../warmup/providers.js').then(({ providerOfDomain }) => providerOfDomain(this.deps.resolver, domain)).then((r) => r.provider);
      this.providers.set(domain, p);
    }
    return p;
  }

  private route(domain: string, opts: DeliveryOptions): Promise<Route> {
    if (opts.relay) {
      const r = opts.relay;
      const auth: RelayAuth | undefined = r.user && this.deps.relayPassword !== undefined ? { user: r.user, pass: this.deps.relayPassword } : undefined;
      return Promise.resolve({ kind: 'hosts', domain, hosts: [{ host: r.host, priority: 0, port: r.port }], relay: { secure: r.secure, ...(auth ? { auth } : {}) } });
    }
    let p = this.routes.get(domain);
    if (!p) {
      p = routeDomain(this.deps.resolver, domain, { port: opts.port, random: this.random });
      this.routes.set(domain, p);
    }
    return p;
  }

  private async tlsFor(domain: string, opts: DeliveryOptions, signal?: AbortSignal): Promise<TlsRequirement[]> {
    const reqs: TlsRequirement[] = [];
    if (opts.tls === 'required') reqs.push({ failure: 'TLS_REQUIRED' });
    if (!opts.relay && this.deps.tlsPolicy) {
      const key = `${domain}|${opts.port}`;
      let p = this.tlsPolicies.get(key);
      if (!p) {
        // TLSA records are per port (RFC 6698 §3: _<port>._tcp.<host>)
        p = this.deps.tlsPolicy(domain, opts.port, signal);
        this.tlsPolicies.set(key, p);
      }
      const outcome = await p;
      for (const f of outcome.findings) this.addFinding(f);
      reqs.push(...outcome.requirements);
    }
    return reqs;
  }

  private async attempt(m: QueuedMessage, opts: DeliveryOptions, domain: string, batch: QueuedRecipient[], signal?: AbortSignal): Promise<void> {
    // A rate limit that arrived while this transaction waited for its turn holds it back too:
    // the destination is not offered more mail before the throttle ends (as Postfix defers the
    // rest of a destination's queue after a "421 too many" instead of trying each message).
    const now = this.deps.clock.now();
    const until = this.throttle.notBefore(opts.relay ? 'relay' : domain, now);
    if (until !== undefined) {
      await this.hold(m, batch, until);
      return;
    }
    const recipients = batch.map((r) => r.recipient);
    this.deps.onEvent?.({ type: 'attempt', queueId: m.id, domain, recipients });
    const route = await this.route(domain, opts);
    let result: TransactionResult;
    if (route.kind === 'null-mx') {
      // RFC 7505 §4.1: a domain with a null MX accepts no mail; fail at once with 5.1.10 and
      // reply code 556 (RFC 7504), without trying any address.
      result = synthetic(recipients, { code: 556, enhanced: '5.1.10', text: `Recipient address rejected: ${domain} has a null MX and accepts no mail (RFC 7505)` });
    } else if (route.kind === 'no-host') {
      const text = route.reason === 'nxdomain' ? `Host or domain name not found: ${domain} does not exist (NXDOMAIN)` : `${domain} has no MX and no address records`;
      result = synthetic(recipients, { code: 550, enhanced: '5.1.2', text });
    } else if (route.kind === 'dns-error') {
      result = { tls: null, hostFailures: [], results: recipients.map((recipient) => ({ recipient, networkError: `DNS lookup of ${domain} failed: ${route.error.message}`, stage: 'connect' })) };
    } else {
      const tls = await this.tlsFor(domain, opts, signal);
      result = await this.deps.transport.transact({
        route,
        sender: m.sender,
        recipients,
        message: m.raw,
        tls,
        beforeData: async (accepted) => {
          const at = this.deps.clock.now();
          await this.record(m, accepted.map((recipient) => ({ recipient, status: 'sending' as const, at })), [], 'durable', inBatchOrder(batch, accepted));
        },
        ...(signal ? { signal } : {}),
      });
    }
    await this.settle(m, opts, domain, batch, result);
  }

  /** Classifies each recipient's answer and writes the new state with its log row. */
  private async settle(m: QueuedMessage, opts: DeliveryOptions, domain: string, batch: QueuedRecipient[], result: TransactionResult): Promise<void> {
    const now = this.deps.clock.now();
    for (const f of result.hostFailures) {
      if (f.policyFailure) this.addFinding(finding(f.policyFailure, 'send', `${f.host}${f.address ? ` [${f.address}]` : ''}: ${f.error}`, { evidence: { host: f.host, address: f.address, port: f.port } }));
    }
    if (result.tls) this.tlsFindings(result.host!, result.tls);
    else if (result.host && result.results.some((r) => r.reply && r.reply.code !== undefined && r.reply.code < 300)) {
      this.addFinding(() => finding('TLS_NOT_USED', 'send', `${result.host} [${result.address}] offered no STARTTLS: the message travelled in plaintext.`, { fix: 'Ask the receiver to enable STARTTLS, or send with --tls required to refuse plaintext.' }), `TLS_NOT_USED|${result.host}`);
    }
    // send --warmup: the log rows count toward the plan's cap of the domain's provider
    const tag = opts.warmup ? (await warmupEnforce()).warmupTag(opts.warmup.id, (await this.budgets.get(opts.warmup.id))?.key(await this.providerOf(domain)) ?? 'other') : undefined;
    const o = this.outcomes(m, opts, domain, batch, result, now, tag);
    // Suppressions are written before the log rows of the bounces that caused them (the
    // mailbox-full rule counts earlier bounces in the log), as each bounce was classified.
    if (o.suppress) for (const [recipient, c, r] of o.suppress) await this.maybeSuppress(recipient, c, r, now);
    await this.record(m, o.updates, o.log, 'lazy', o.targets);
  }

  /**
   * settle()'s work without waiting on anything: each recipient's new state, log row and event.
   * Synchronous, so that the loop that runs for every recipient of every transaction is plain
   * code for the optimiser (no resumption point inside it).
   */
  private outcomes(
    m: QueuedMessage,
    opts: DeliveryOptions,
    domain: string,
    batch: QueuedRecipient[],
    result: TransactionResult,
    now: number,
    tag: string | undefined,
  ): { updates: RecipientUpdate[]; targets: QueuedRecipient[]; log: DeliveryLogEntry[]; suppress?: [string, Classification, RecipientResult][] } {
    const updates: RecipientUpdate[] = [];
    /** The claimed recipient record each update is for (updates[i] applies to targets[i]). */
    const targets: QueuedRecipient[] = [];
    const log: DeliveryLogEntry[] = [];
    let suppress: [string, Classification, RecipientResult][] | undefined;
    const destination = opts.relay ? 'relay' : domain;
    let rateLimitedUntil: number | undefined;
    let rateKey: string | undefined;
    const keepLog = this.deps.deliveryLog !== false;
    // one retry state for the batch, filled in per recipient (nextRetry keeps nothing of it)
    const state: RetryState = { deferrals: 0, createdAt: m.createdAt, expiresAt: m.expiresAt, destinationNotBefore: undefined };
    // Transports answer in the batch's order: then the i-th result is the i-th recipient's, else look it up.
    const results = result.results;
    let inOrder = results.length === batch.length;
    for (let i = 0; inOrder && i < batch.length; i++) inOrder = results[i]!.recipient === batch[i]!.recipient;
    const byRecipient = inOrder ? undefined : new Map(results.map((x) => [x.recipient, x]));
    for (let i = 0; i < batch.length; i++) {
      const rec = batch[i]!;
      const r = (byRecipient ? byRecipient.get(rec.recipient) : results[i]) ?? { recipient: rec.recipient, networkError: 'no answer', stage: 'unknown' as const };
      const c = this.classifyResult(r);
      const attemptAt = now;
      let status: RecipientUpdate['status'];
      let nextAttemptAt: number | undefined;
      let why = c.reason;
      if (r.reply && r.reply.code !== undefined && r.reply.code >= 200 && r.reply.code < 300) {
        status = 'delivered';
        this.throttle.clear(destination, now);
      } else if (c.retry || !r.reply || r.reply.code === undefined || r.reply.code < 500) {
        if (c.rateLimited) {
          rateLimitedUntil = this.throttle.strike(destination, now, c.retryAfterMs);
          rateKey ??= `SEND_RATE_LIMITED|${destination}`;
          // a throttled batch gets here for every recipient: the thunk only once
          if (!this.findingKeys.has(rateKey)) this.addFinding(() => finding('SEND_RATE_LIMITED', 'send', `${destination} is rate-limiting us: ${replyText(r)}`, { fix: 'Send more slowly to this provider (lower --concurrency, warm up the IP: mailpace-cli warmup plan).' }), rateKey);
        }
        state.deferrals = rec.attempts + 1;
        state.destinationNotBefore = rateLimitedUntil;
        const decision = nextRetry(opts.policy, state, c, now);
        if (decision.kind === 'expire') {
          status = 'expired';
          why = 'expired';
        } else {
          status = 'deferred';
          nextAttemptAt = decision.at;
          if (this.trackWaiting) {
            const pending: Pending = { recipient: rec.recipient, why: decision.why };
            if (r.reply) pending.reply = r.reply;
            else if (r.networkError) pending.reply = { text: r.networkError };
            this.waiting.set(rec.recipient, pending);
          }
        }
      } else {
        status = 'bounced';
        (suppress ??= []).push([rec.recipient, c, r]);
      }
      // why a recipient waits matters only while it does
      if (status !== 'deferred' && this.trackWaiting) this.waiting.delete(rec.recipient);
      this.causeFindings(c, r, rec.recipient);
      const lastReply: ReplyRecord | undefined = r.reply ?? (r.networkError ? { text: r.networkError } : undefined);
      // written out rather than spread: this runs for every recipient of every transaction
      const update = { recipient: rec.recipient, status } as RecipientUpdate;
      if (nextAttemptAt !== undefined) update.nextAttemptAt = nextAttemptAt;
      if (lastReply) update.lastReply = lastReply;
      update.reason = status === 'expired' ? 'expired' : why;
      update.hard = status === 'bounced' ? c.hard : false;
      update.attempted = true;
      update.at = attemptAt;
      updates.push(update);
      targets.push(rec);
      if (keepLog) {
        const entry: DeliveryLogEntry = {
          at: attemptAt,
          queueId: m.id,
          messageId: m.messageId,
          recipient: rec.recipient,
          status,
          tls: result.tls,
          classification: status === 'expired' ? { ...c, reason: 'expired', retry: false } : c,
        };
        if (tag !== undefined) entry.tag = tag;
        if (result.host) entry.mx = result.host;
        if (result.address) entry.address = result.address;
        if (result.port !== undefined) entry.port = result.port;
        if (r.reply?.code !== undefined) entry.replyCode = r.reply.code;
        if (r.reply?.enhanced) entry.enhancedCode = r.reply.enhanced;
        if (lastReply) entry.response = lastReply.text;
        log.push(entry);
      }
      if (this.deps.onEvent) {
        const e: Extract<EngineEvent, { type: 'result' }> = { type: 'result', queueId: m.id, recipient: rec.recipient, status };
        if (r.reply) e.reply = r.reply;
        if (r.networkError) e.networkError = r.networkError;
        if (result.host) e.host = result.host;
        this.deps.onEvent(e);
      }
    }
    // A rate limit holds back the destination's other pending recipients of this message too.
    if (rateLimitedUntil !== undefined && this.othersToHold(m, domain, batch, rateLimitedUntil)) {
      const inBatch = new Set(batch);
      const updated = new Set(updates.map((u) => u.recipient));
      for (const other of m.recipients) {
        if (!holdsBack(other, domain, rateLimitedUntil) || inBatch.has(other)) continue;
        if (updated.has(other.recipient)) continue;
        updates.push({ recipient: other.recipient, status: other.status, nextAttemptAt: rateLimitedUntil, at: now });
        targets.push(other);
      }
    }
    return suppress ? { updates, targets, log, suppress } : { updates, targets, log };
  }

  /**
   * Whether a rate limit at `domain` until `until` has recipients of `m` to hold outside `batch`.
   * Usually the batch is all of them (a message to one provider): counted, no sets built.
   */
  private othersToHold(m: QueuedMessage, domain: string, batch: readonly QueuedRecipient[], until: number): boolean {
    let inMessage = 0;
    for (const r of m.recipients) if (holdsBack(r, domain, until)) inMessage++;
    let inBatch = 0;
    for (const r of batch) if (holdsBack(r, domain, until)) inBatch++;
    return inMessage > inBatch;
  }

  private classifyResult(r: RecipientResult): Classification {
    if (r.policyFailure) {
      // Our own refusal to send (TLS policy): temporary, about the route, never the recipient.
      return { reason: 'securityerror', hard: false, suppress: false, retry: true, rule: `policy:${r.policyFailure}` };
    }
    if (!r.reply || r.reply.code === undefined) {
      return this.deps.classify({ text: r.networkError ?? r.reply?.text ?? '', networkError: r.networkError ?? 'unknown', stage: r.stage });
    }
    // The same reply comes back by the thousand (a throttled provider, a bulk send): classify it once.
    const frozen = Object.isFrozen(r.reply);
    if (frozen) {
      const hit = this.classifiedReplies.get(r.reply);
      if (hit && hit.stage === r.stage) return hit.c;
    }
    const key = `${r.stage}\u0000${r.reply.code}\u0000${r.reply.enhanced ?? ''}\u0000${r.reply.text}`;
    let c = this.classified.get(key);
    if (!c) {
      const input: ClassifyInput = { code: r.reply.code, text: r.reply.text, stage: r.stage };
      if (r.reply.enhanced) input.enhanced = r.reply.enhanced;
      c = this.deps.classify(input);
      if (this.classified.size >= CLASSIFIED_MAX) this.classified.clear();
      this.classified.set(key, c);
    }
    if (frozen) this.classifiedReplies.set(r.reply, { stage: r.stage, c });
    return c;
  }

  /** Hard bounces about the recipient are suppressed; mailbox full only after repeats over days. */
  private async maybeSuppress(recipient: string, c: Classification, r: RecipientResult, now: number): Promise<void> {
    const detail = replyText(r).slice(0, SUPPRESS_DETAIL_MAX);
    await applySuppressionRule(this.deps.store, { recipient, classification: c, detail, source: 'send', now });
  }

  private tlsFindings(host: string, tls: TlsRecord): void {
    if (tls.protocol === 'TLSv1' || tls.protocol === 'TLSv1.1') {
      this.addFinding(() => finding('TLS_VERSION_OLD', 'send', `${host} negotiated ${tls.protocol} (${tls.cipher}); TLS 1.2 or later is expected (RFC 8996).`, { fix: 'Ask the receiving server to enable TLS 1.2 and 1.3; check with: mailpace-cli probe ' + host }), `TLS_VERSION_OLD|${host}`);
    }
  }

  /**
   * `<code>|<the part of the address after its "@">`: a finding's key per recipient domain, made
   * once per code and domain (a throttled batch asks for it on every recipient).
   */
  private causeKey(code: string, recipient: string): string {
    // the same text as recipient.split('@')[1]
    const at = recipient.indexOf('@');
    if (at < 0) return `${code}|undefined`;
    const next = recipient.indexOf('@', at + 1);
    let byCode: Map<string, string> | undefined;
    let part: string;
    const prev = this.lastCausePart;
    if (next < 0 && prev && recipient.length - at - 1 === prev.part.length && recipient.endsWith(prev.part)) ({ part, byCode } = prev);
    else {
      part = recipient.slice(at + 1, next < 0 ? recipient.length : next);
      byCode = this.causeKeys.get(part);
      if (!byCode) {
        if (this.causeKeys.size >= CLASSIFIED_MAX) this.causeKeys.clear();
        this.causeKeys.set(part, (byCode = new Map()));
      }
      this.lastCausePart = { part, byCode };
    }
    let key = byCode.get(code);
    if (key === undefined) byCode.set(code, (key = `${code}|${part}`));
    return key;
  }

  /** Sender-side causes the reply reveals, each with the command that looks into it. */
  private causeFindings(c: Classification, r: RecipientResult, recipient: string): void {
    // Greylisting (RFC 6647) refuses nobody: its reason follows the status code (4.7.1 is
    // "blocked" to Sisimai), but the cure is the retry after the delay, not a blocklist scan.
    if (c.greylisted && !c.blocklist) return;
    // addFinding checks each key before it makes the finding: a throttled batch gets here for every recipient.
    if (c.blocklist || c.reason === 'blocked' || c.reason === 'badreputation') {
      // a provider's throttle reply often reads as "blocked" (bad reputation): known keys go no further
      const key = this.causeKey('SEND_BLOCKLISTED', recipient);
      if (this.findingKeys.has(key)) return;
      this.addFinding(
        () => finding('SEND_BLOCKLISTED', 'send', `${recipient}: the receiver refused the sender${c.blocklist ? ` (blocklist: ${c.blocklist})` : ''}: ${replyText(r)}`, {
          fix: 'Find out which lists have your sending IP and domain: mailpace-cli blocklist scan <sending IP> --domain-ips <your domain>',
          severity: c.hard ? 'error' : 'warning',
        }),
        key,
      );
    } else if (c.reason === 'authfailure') {
      this.addFinding(() => finding('SEND_AUTH_FAILED', 'send', `${recipient}: ${replyText(r)}`, { fix: 'Check SPF, DKIM and DMARC of the sending domain: mailpace-cli check-domain <domain> --ip <sending IP>' }), this.causeKey('SEND_AUTH_FAILED', recipient));
    } else if (c.reason === 'spamdetected' || c.reason === 'virusdetected' || c.reason === 'contenterror' || c.reason === 'mesgtoobig' || c.reason === 'policyviolation') {
      this.addFinding(() => finding('SEND_CONTENT_REJECTED', 'send', `${recipient}: ${c.reason}: ${replyText(r)}`, { fix: 'Score the message as a receiver would: mailpace-cli score <message.eml>' }), this.causeKey('SEND_CONTENT_REJECTED', recipient));
    } else if (r.stage === 'auth') {
      this.addFinding(() => finding('RELAY_AUTH_FAILED', 'send', `the relay refused the login: ${replyText(r)}`, { fix: 'Check --user and the password (MAILPACE_SMTP_PASSWORD or --password-file), and that the relay allows this account to submit.', severity: c.hard ? 'error' : 'warning' }), 'RELAY_AUTH_FAILED');
    } else if (c.reason === 'requireptr') {
      this.addFinding(() => finding('SEND_PTR_REQUIRED', 'send', `${recipient}: ${replyText(r)}`, { fix: 'Give the sending IP a PTR record that resolves back to it: mailpace-cli check-domain <domain> --ip <sending IP>' }), this.causeKey('SEND_PTR_REQUIRED', recipient));
    }
  }

  /**
   * Group commit. SQLite's cost is per commit, not per row, so writes are gathered:
   * - 'durable' (the "sending" mark before DATA): the caller waits until it is committed, together
   *   with every write that is pending, in the next turn of the event loop.
   * - 'lazy' (a reply's outcome, a hold): the caller goes on at once; the write rides on the next
   *   durable commit, or on a timer, and drain() commits the rest before the run ends or the claim is
   *   released. A crash in between leaves the recipient "sending", which is retried after the lease
   *   (at-least-once, with the same Message-ID): never more than one message per connection, the
   *   same exposure as a crash between DATA and the reply.
   */
  private write(rec: AttemptRecord, mode: 'durable' | 'lazy'): Promise<void> {
    if (mode === 'lazy') {
      this.pendingWrites.push({ rec, resolve: noop, reject: this.lazyFailed });
      if (!this.flushScheduled && this.lazyTimer === undefined) {
        this.lazyTimer = setTimeout(() => void this.flush(), this.deps.lazyWriteMs ?? LAZY_WRITE_MS);
      }
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      this.pendingWrites.push({ rec, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.lazyTimer !== undefined) clearTimeout(this.lazyTimer);
    this.lazyTimer = undefined;
    const p = this.commit(this.pendingWrites.splice(0));
    this.flushing.add(p);
    void p.finally(() => this.flushing.delete(p));
    return p;
  }

  private async commit(batch: { rec: AttemptRecord; resolve: () => void; reject: (e: unknown) => void }[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      await this.deps.store.recordAttempts(this.deps.worker, batch.map((b) => b.rec));
      for (const b of batch) b.resolve();
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err);
      // one message's lease was lost: write the others on their own so only that one fails
      for (const b of batch) {
        try {
          await this.deps.store.recordAttempts(this.deps.worker, [b.rec]);
          b.resolve();
        } catch (e) {
          b.reject(e);
        }
      }
    }
  }

  /** Commits every pending write; throws the first lazy write that failed. */
  private async drain(): Promise<void> {
    for (;;) {
      if (this.pendingWrites.length > 0) await this.flush();
      else if (this.flushing.size > 0) await Promise.all(this.flushing);
      else break;
    }
    const failure = this.writeFailure;
    this.writeFailure = undefined;
    if (failure !== undefined) throw failure;
  }

  /**
   * Recipients of a throttled destination wait, unchanged, until the throttle ends (not an
   * attempt): one list of addresses for the store, not an update each (the whole backlog of a
   * throttled destination comes here on every claim while the throttle lasts).
   */
  private async hold(m: QueuedMessage, rcpts: readonly QueuedRecipient[], until: number): Promise<void> {
    if (rcpts.length === 0) return;
    await this.write({ queueId: m.id, updates: [], log: [], hold: { recipients: rcpts.map((r) => r.recipient), until } }, 'lazy');
    for (const r of rcpts) r.nextAttemptAt = until;
  }

  /**
   * Writes updates (and log rows) for message `m`, then applies them to the engine's copy of it:
   * to `targets[i]` (the claimed record updates[i] is for) when the caller has them, else looked up
   * by address. A throttled destination's backlog is held on every claim, so the direct way matters.
   */
  private async record(m: QueuedMessage, updates: RecipientUpdate[], log: DeliveryLogEntry[], mode: 'durable' | 'lazy', targets?: readonly QueuedRecipient[]): Promise<void> {
    if (updates.length === 0 && log.length === 0) return;
    await this.write({ queueId: m.id, updates, log }, mode);
    if (targets) for (let i = 0; i < updates.length; i++) applyUpdate(targets[i]!, updates[i]!);
    else applyUpdates(this.recipientIndex, m, updates);
  }
}

function noop(): void {}

/** The warm-up enforcement code, loaded only for a `send --warmup` queue entry. */
function warmupEnforce(): Promise<typeof import('../warmup/enforce.js')> {
  return import('../warmup/enforce.js');
}

/** The records of `batch` that `addresses` name, when they come in the batch's order (transports keep it); else undefined. */
function inBatchOrder(batch: readonly QueuedRecipient[], addresses: readonly string[]): QueuedRecipient[] | undefined {
  const out: QueuedRecipient[] = [];
  let j = 0;
  for (const a of addresses) {
    while (j < batch.length && batch[j]!.recipient !== a) j++;
    if (j === batch.length) return undefined;
    out.push(batch[j++]!);
  }
  return out;
}

/** A pending recipient at `domain` that a rate limit until `until` moves later. */
function holdsBack(r: QueuedRecipient, domain: string, until: number): boolean {
  return r.domain === domain && !isFinal(r.status) && r.nextAttemptAt < until;
}

function synthetic(recipients: readonly string[], reply: ReplyRecord): TransactionResult {
  return { tls: null, hostFailures: [], results: recipients.map((recipient) => ({ recipient, reply, stage: 'connect' })) };
}

function replyText(r: RecipientResult): string {
  if (r.reply) return `${r.reply.code ?? ''}${r.reply.enhanced ? ` ${r.reply.enhanced}` : ''} ${r.reply.text}`.trim();
  return r.networkError ?? '';
}

/** Runs thunks with at most `limit` in flight. */
async function runLimited(jobs: (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, async () => {
    while (next < jobs.length && failure === undefined) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (e) {
        failure ??= e;
      }
    }
  });
  await Promise.all(workers);
  if (failure !== undefined) throw failure;
}

