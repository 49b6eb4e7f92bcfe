/**
 * A DeliveryTransport with modelled receivers instead of sockets: each transaction is answered
 * from the provider's model (capacity per clock hour, greylisting, bounces, blocks) and a seeded
 * PRNG. The engine classifies these replies with the same classifier as live replies, so its
 * retry policy and destination throttle react exactly as they would in `send`.
 */
import type { Clock } from '../clock.js';
import type { DeliveryTransport, RecipientResult, TransactionRequest, TransactionResult } from '../delivery/transport.js';
import type { ReplyRecord } from '../store/store.js';
import { providerModel, type ProviderModel, type ReceiverModel, type ReplyTemplate } from './model.js';
import type { ProviderName } from './providers.js';

const HOUR = 3_600_000;
/** The sending IP the replies name (RFC 5737 documentation address). */
export const SIM_IP = '203.0.113.5';

export type ReplyKind = 'accepted' | 'throttled' | 'greylisted' | 'bounced' | 'blocked';

export interface ProviderDayCounters {
  accepted: number;
  bounced: number;
  complaints: number;
  throttleReplies: number;
  greylisted: number;
  blocked: number;
}

interface ProviderState {
  capacity: number;
  hour: number;
  acceptedThisHour: number;
  peakHour: number;
  blockedToday: boolean;
  day: ProviderDayCounters;
}

const zero = (): ProviderDayCounters => ({ accepted: 0, bounced: 0, complaints: 0, throttleReplies: 0, greylisted: 0, blocked: 0 });

export interface ModelTransportOptions {
  model: ReceiverModel;
  clock: Clock;
  random: () => number;
  /** The provider a (synthetic) recipient domain stands for. */
  providerOf: (domain: string) => ProviderName;
  /** How many real messages a simulated recipient stands for. */
  weightOf: (recipient: string) => number;
}

/** Every acceptance is the same reply (frozen: shared by all the results that carry it). */
const ACCEPTED = Object.freeze({ code: 250, enhanced: '2.0.0', text: 'OK: queued' });

export class ModelTransport implements DeliveryTransport {
  private readonly state = new Map<ProviderName, ProviderState>();
  /**
   * Filled replies per template and domain (frozen, handed out again and again); null for a
   * template that names the recipient.
   */
  private readonly filled = new Map<ReplyTemplate, Map<string, ReplyRecord> | null>();
  /** The same for throttle replies, kept apart so that a reply object tells its kind even when a model gives two kinds one template. */
  private readonly throttleFilled = new Map<ReplyTemplate, Map<string, ReplyRecord> | null>();
  private readonly greylisted = new Set<string>();
  /** The throttle replies handed out (the simulator counts rate limits by them). */
  private readonly throttleReplies = new WeakSet<ReplyRecord>();
  transactions = 0;

  constructor(private readonly o: ModelTransportOptions) {}

  private st(p: ProviderName): ProviderState {
    let s = this.state.get(p);
    if (!s) {
      s = { capacity: providerModel(this.o.model, p).coldHourly, hour: -1, acceptedThisHour: 0, peakHour: 0, blockedToday: false, day: zero() };
      this.state.set(p, s);
    }
    return s;
  }

  /** The provider's hourly capacity now. */
  capacity(p: ProviderName): number {
    return Math.round(this.st(p).capacity);
  }

  counters(p: ProviderName): ProviderDayCounters {
    return { ...this.st(p).day };
  }

  async transact(req: TransactionRequest): Promise<TransactionResult> {
    this.transactions++;
    const domain = req.route.domain;
    const p = this.o.providerOf(domain);
    const m = providerModel(this.o.model, p);
    const s = this.st(p);
    const hour = Math.floor(this.o.clock.now() / HOUR);
    if (hour !== s.hour) {
      s.hour = hour;
      s.acceptedThisHour = 0;
    }
    const results: RecipientResult[] = [];
    const accepted: string[] = [];
    for (const recipient of req.recipients) {
      const w = this.o.weightOf(recipient);
      let kind: ReplyKind;
      if (s.blockedToday) kind = 'blocked';
      else if (m.greylistRate > 0 && !this.greylisted.has(recipient) && this.o.random() < m.greylistRate) {
        this.greylisted.add(recipient);
        kind = 'greylisted';
      } else if (s.acceptedThisHour > 0 && s.acceptedThisHour + w > s.capacity) kind = 'throttled';
      else if (this.o.random() < this.o.model.bounceRate) kind = 'bounced';
      else kind = 'accepted';
      if (kind === 'accepted') {
        s.acceptedThisHour += w;
        s.peakHour = Math.max(s.peakHour, s.acceptedThisHour);
        s.day.accepted += w;
        // complaints: the expected share, rounded stochastically (a unit may stand for many messages)
        const c = w * this.o.model.complaintRate;
        s.day.complaints += Math.floor(c) + (this.o.random() < c - Math.floor(c) ? 1 : 0);
        accepted.push(recipient);
        results.push({ recipient, reply: ACCEPTED, stage: 'message' });
        continue;
      }
      if (kind === 'bounced') s.day.bounced += w;
      else if (kind === 'throttled') s.day.throttleReplies += 1;
      else if (kind === 'greylisted') s.day.greylisted += w;
      else s.day.blocked += w;
      let reply: ReplyRecord;
      if (kind === 'throttled') {
        reply = this.reply(m.throttleReply, recipient, domain, this.throttleFilled);
        this.throttleReplies.add(reply);
      } else reply = this.reply(kind === 'greylisted' ? m.greylistReply : kind === 'bounced' ? m.bounceReply : m.blockReply, recipient, domain, this.filled);
      results.push({ recipient, reply, stage: kind === 'blocked' ? 'message' : 'rcpt' });
    }
    if (accepted.length > 0 && req.beforeData) await req.beforeData(accepted);
    return { host: req.route.hosts[0]?.host ?? `mx.${domain}`, address: '192.0.2.25', port: req.route.hosts[0]?.port ?? 25, tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' }, results, hostFailures: [] };
  }

  /** Whether `reply` is a throttle reply this transport answered with. */
  isThrottle(reply: ReplyRecord): boolean {
    return this.throttleReplies.has(reply);
  }

  private reply(t: ReplyTemplate, recipient: string, domain: string, filled: Map<ReplyTemplate, Map<string, ReplyRecord> | null>): ReplyRecord {
    let byDomain = filled.get(t);
    if (byDomain === undefined) {
      byDomain = t.text.includes('{recipient}') ? null : new Map();
      filled.set(t, byDomain);
    }
    if (byDomain === null) return fill(t, recipient, domain);
    let r = byDomain.get(domain);
    if (!r) byDomain.set(domain, (r = Object.freeze(fill(t, recipient, domain))));
    return r;
  }

  /**
   * The end of a sending day: each provider's capacity grows with the clean volume it accepted
   * (at most dailyGrowth × the busiest hour) and shrinks with bounces and complaints past the
   * model's levels; a complaint rate past the provider's block level blocks the next day.
   */
  endDay(): void {
    const pen = this.o.model.penalty;
    for (const [p, s] of this.state) {
      const m: ProviderModel = providerModel(this.o.model, p);
      const d = s.day;
      const judged = d.accepted + d.bounced >= this.o.model.rateMinVolume;
      const bounceRate = d.accepted + d.bounced > 0 ? d.bounced / (d.accepted + d.bounced) : 0;
      const complaintRate = d.accepted > 0 ? d.complaints / d.accepted : 0;
      const factor = judged ? Math.max(0.25, 1 - pen.bounceWeight * Math.max(0, bounceRate - pen.bounceAbove) - pen.complaintWeight * Math.max(0, complaintRate - pen.complaintAbove)) : 1;
      s.capacity = Math.max(m.coldHourly * 0.25, Math.max(s.capacity, m.dailyGrowth * s.peakHour) * factor);
      s.blockedToday = judged && m.complaintBlockRate > 0 && complaintRate > m.complaintBlockRate;
      s.peakHour = 0;
      s.day = zero();
    }
  }

  async closeIdle(): Promise<void> {}
  async close(): Promise<void> {}
}

function fill(t: ReplyTemplate, recipient: string, domain: string): ReplyRecord {
  const text = t.text.replaceAll('{ip}', SIM_IP).replaceAll('{recipient}', recipient).replaceAll('{domain}', domain);
  return t.enhanced ? { code: t.code, enhanced: t.enhanced, text } : { code: t.code, text };
}
