/**
 * Events → counts: totals and groups for the report window, and hourly series (overall, per
 * sender domain, per provider, per --by group) reaching back over the baseline for the detectors.
 */
import type { Classification } from '../delivery/classification.js';
import { domainOf, type EventKind, type MonitorEvent } from './events.js';
import { RecentDomains } from './recent-values.js';
import { providerOf, relayProviderOf } from './provider.js';
import type { ProviderName } from '../warmup/providers.js';
import { ipInReply, normalizeReply, ReplyClassifier } from './replies.js';

export const GROUP_BY = ['sender-domain', 'provider', 'destination', 'relay'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface Counts {
  received: number;
  delivered: number;
  deferred: number;
  bounced: number;
  rejected: number;
  expired: number;
  complaints: number;
}

export const zeroCounts = (): Counts => ({ received: 0, delivered: 0, deferred: 0, bounced: 0, rejected: 0, expired: 0, complaints: 0 });

/**
 * counts[field]++ with the field named in the code: a property named by a variable that takes seven
 * values is a megamorphic store, and this runs several times for each of a million events.
 */
export function countInto(c: Counts, kind: EventKind): void {
  switch (kind) {
    case 'received':
      c.received++;
      break;
    case 'delivered':
      c.delivered++;
      break;
    case 'deferred':
      c.deferred++;
      break;
    case 'bounced':
      c.bounced++;
      break;
    case 'rejected':
      c.rejected++;
      break;
    case 'expired':
      c.expired++;
      break;
    case 'complaint':
      c.complaints++;
      break;
  }
}

export interface ReplyCluster {
  text: string;
  kind: EventKind;
  classification: Classification;
  count: number;
  /** Count inside the window. */
  windowCount: number;
  firstAt: number;
  lastAt: number;
  /** Per hour (all history), for the new-cluster detector. */
  hourly: Map<number, number>;
  /** Groups (provider) it came from. */
  providers: Set<string>;
  /** Where in the input it was first seen (Aggregate.seq), and each provider: see Aggregate.absorb. */
  firstSeq: number;
  providerSeq: Map<string, number>;
}

export interface BlocklistHit {
  list: string;
  ip: string;
  count: number;
  firstAt: number;
  lastAt: number;
  example: string;
  providers: Set<string>;
  firstSeq: number;
  providerSeq: Map<string, number>;
}

export interface GroupStats {
  key: string;
  counts: Counts;
  delays: number[];
  replies: Map<string, ReplyCluster>;
  blocklists: Map<string, BlocklistHit>;
  firstSeq: number;
}

/** An hourly series: counts per hour, and delivery delays per hour (providers only). */
export interface Series {
  hours: Map<number, Counts>;
  delays?: Map<number, number[]>;
  /** The hour last counted into (events mostly come in time order). */
  lastHour?: number;
  lastCounts?: Counts;
  firstSeq: number;
}

export interface AggregateOptions {
  by: GroupBy;
  /** Window, ms since epoch (undefined: open). */
  since?: number;
  until?: number;
  /** How much history before each window hour the baseline may use. */
  baselineMs: number;
}

export function hourOf(at: number): number {
  return Math.floor(at / HOUR_MS) * HOUR_MS;
}

export class Aggregate {
  readonly totals = zeroCounts();
  /** Distinct queue ids with a deferral (pflogsumm's "deferred" count). */
  readonly deferredMessages = new Set<string>();
  readonly groups = new Map<string, GroupStats>();
  /** Per provider, whatever --by is (with --by provider, the same map as `groups`). */
  readonly providers: Map<string, GroupStats>;
  readonly senderDomains = new Map<string, Counts>();
  readonly series = new Map<string, Series>();
  readonly clusters = new Map<string, ReplyCluster>();
  readonly blocklists = new Map<string, BlocklistHit>();
  readonly classifier = new ReplyClassifier();
  /** Relay host → provider, per run (a log names a few hundred MX hosts a million times). */
  private readonly relayProviders = new Map<string, ProviderName>();
  firstAt = Infinity;
  lastAt = -Infinity;
  windowFirstAt = Infinity;
  windowLastAt = -Infinity;
  /** Events outside the window and its baseline, and events with no usable time. */
  dropped = 0;
  /** Every event offered, kept or not. */
  seen = 0;
  /**
   * Where in the input the events being added come from (a line number, or any number that grows
   * with the input). Only parts of one input counted apart and merged (absorb) need it: what was
   * seen first decides a cluster's classification and the order of equal counts, as it does when
   * the input is counted in one go.
   */
  seq = 0;

  /** The earliest time kept: the window's start less the baseline. */
  private readonly historyFrom: number;

  constructor(readonly opts: AggregateOptions) {
    this.providers = opts.by === 'provider' ? this.groups : new Map();
    this.historyFrom = opts.since === undefined ? -Infinity : opts.since - opts.baselineMs;
  }

  inWindow(at: number): boolean {
    return (this.opts.since === undefined || at >= this.opts.since) && (this.opts.until === undefined || at < this.opts.until);
  }

  add(e: MonitorEvent): void {
    this.seen++;
    if (!Number.isFinite(e.at) || e.at < this.historyFrom || (this.opts.until !== undefined && e.at >= this.opts.until)) {
      this.dropped++;
      return;
    }
    if (e.at < this.firstAt) this.firstAt = e.at;
    if (e.at > this.lastAt) this.lastAt = e.at;
    const kind = e.kind;
    const senderDomain = e.senderDomain ?? (e.sender === undefined ? undefined : this.senderDomainNames.of(e.sender)) ?? (e.sender === '' ? '<>' : '(unknown)');
    const outbound = e.kind !== 'received' && e.kind !== 'rejected';
    // The recipient's domain is only needed where the relay names no known provider, and for --by destination.
    const relayProvider = e.kind === 'received' ? undefined : relayProviderOf(e.relay, this.relayProviders);
    const rcptDomain = e.kind !== 'received' && (relayProvider === undefined || this.opts.by === 'destination') ? domainOf(e.recipient) : undefined;
    const provider = e.kind === 'received' ? undefined : (relayProvider ?? providerOf(undefined, rcptDomain));
    const key = this.keyFor(e, senderDomain, rcptDomain, provider);
    const hour = hourOf(e.at);

    // Hourly series, over window and history.
    this.allSeries ??= this.newSeries('all');
    countInto(this.countsAt(this.allSeries, hour), kind);
    if (e.kind === 'received' || e.kind === 'rejected' || e.sender !== undefined) this.bump(this.senderSeries, 'sender', senderDomain, hour, kind);
    if (provider !== undefined && outbound) {
      const s = this.bump(this.providerSeries, 'provider', provider, hour, kind);
      if (e.kind === 'delivered' && e.delayMs !== undefined) {
        s.delays ??= new Map();
        let d = s.delays.get(hour);
        if (!d) s.delays.set(hour, (d = []));
        d.push(e.delayMs);
      }
    }
    if ((this.opts.by === 'destination' || this.opts.by === 'relay') && key !== undefined) this.bump(this.bySeries, 'by', key, hour, kind);

    let cluster: ReplyCluster | undefined;
    let list: string | undefined;
    if ((e.kind === 'deferred' || e.kind === 'bounced' || e.kind === 'expired' || e.kind === 'rejected') && e.reply !== undefined) {
      const norm = normalizeReply(e.reply);
      const ckey = `${e.kind}|${norm}`;
      cluster = this.clusters.get(ckey);
      if (!cluster) {
        const classification = this.classifier.classify(norm, {
          text: e.reply,
          ...(e.code !== undefined ? { code: e.code } : {}),
          ...(e.dsn !== undefined ? { dsn: e.dsn } : {}),
          ...(e.stage !== undefined ? { stage: e.stage } : {}),
          ...(e.networkError !== undefined ? { networkError: e.networkError } : {}),
        });
        cluster = { text: norm, kind: e.kind, classification, count: 0, windowCount: 0, firstAt: e.at, lastAt: e.at, hourly: new Map(), providers: new Set(), firstSeq: this.seq, providerSeq: new Map() };
        this.clusters.set(ckey, cluster);
      }
      cluster.count++;
      cluster.lastAt = Math.max(cluster.lastAt, e.at);
      cluster.firstAt = Math.min(cluster.firstAt, e.at);
      cluster.hourly.set(hour, (cluster.hourly.get(hour) ?? 0) + 1);
      if (provider !== undefined && !cluster.providers.has(provider)) {
        cluster.providers.add(provider);
        cluster.providerSeq.set(provider, this.seq);
      }
      // Blocklist replies only count for mail we sent: a reject of ours names the client's list entry, not our IP.
      // The cluster's classification already looked for a named list (the masked parts never hold one).
      if (outbound) list = cluster.classification.blocklist;
    }

    if (!this.inWindow(e.at)) return;
    if (e.at < this.windowFirstAt) this.windowFirstAt = e.at;
    if (e.at > this.windowLastAt) this.windowLastAt = e.at;
    countInto(this.totals, kind);
    if (e.kind === 'deferred' && e.queueId !== undefined) this.deferredMessages.add(e.queueId);
    if (e.kind === 'received' || e.sender !== undefined) {
      let sd = this.senderDomains.get(senderDomain);
      if (!sd) this.senderDomains.set(senderDomain, (sd = zeroCounts()));
      countInto(sd, kind);
    }
    const g = key === undefined ? undefined : this.group(this.groups, key);
    const p = provider === undefined ? undefined : this.providers === this.groups && key === provider ? g : this.group(this.providers, provider);
    this.countInGroup(g, e, cluster);
    if (p !== g) this.countInGroup(p, e, cluster);
    if (cluster) cluster.windowCount++;
    if (list !== undefined) {
      const ip = ipInReply(e.reply!, e.relayIp) ?? 'unknown';
      for (const map of [this.blocklists, g?.blocklists, p === g ? undefined : p?.blocklists]) {
        if (!map) continue;
        const bk = `${list}|${ip}`;
        const hit = map.get(bk);
        if (hit) {
          hit.count++;
          hit.lastAt = Math.max(hit.lastAt, e.at);
          hit.firstAt = Math.min(hit.firstAt, e.at);
          if (provider && !hit.providers.has(provider)) {
            hit.providers.add(provider);
            hit.providerSeq.set(provider, this.seq);
          }
        } else {
          const providers = provider ? [provider] : [];
          map.set(bk, { list, ip, count: 1, firstAt: e.at, lastAt: e.at, example: cluster!.text, providers: new Set(providers), firstSeq: this.seq, providerSeq: new Map(providers.map((x) => [x, this.seq])) });
        }
      }
    }
  }

  /** domainOf for senders the reader did not find the domain of. */
  private readonly senderDomainNames = new RecentDomains();

  private countInGroup(x: GroupStats | undefined, e: MonitorEvent, cluster: ReplyCluster | undefined): void {
    if (!x) return;
    countInto(x.counts, e.kind);
    if (e.kind === 'delivered' && e.delayMs !== undefined) x.delays.push(e.delayMs);
    if (cluster) {
      const k = `${e.kind}|${cluster.text}`;
      const r = x.replies.get(k);
      if (r) r.windowCount++;
      else x.replies.set(k, { ...cluster, windowCount: 1, firstSeq: this.seq });
    }
  }

  private keyFor(e: MonitorEvent, senderDomain: string, rcptDomain: string | undefined, provider: string | undefined): string | undefined {
    switch (this.opts.by) {
      case 'sender-domain':
        return senderDomain;
      case 'provider':
        return provider ?? (e.kind === 'received' ? undefined : 'other');
      case 'destination':
        return e.kind === 'received' ? undefined : (rcptDomain ?? '(unknown)');
      case 'relay':
        return e.kind === 'received' || e.kind === 'rejected' ? undefined : (e.relay ?? 'none');
    }
  }

  private group(map: Map<string, GroupStats>, key: string): GroupStats {
    let g = map.get(key);
    if (!g) map.set(key, (g = { key, counts: zeroCounts(), delays: [], replies: new Map(), blocklists: new Map(), firstSeq: this.seq }));
    return g;
  }

  /** Series per dimension, without building "sender:x" strings per event. */
  private allSeries: Series | undefined;
  private readonly senderSeries = new Map<string, Series>();
  private readonly providerSeries = new Map<string, Series>();
  private readonly bySeries = new Map<string, Series>();

  private newSeries(name: string): Series {
    const s: Series = { hours: new Map(), lastHour: undefined, lastCounts: undefined, firstSeq: this.seq };
    this.series.set(name, s);
    return s;
  }

  private bump(dim: Map<string, Series>, dimension: string, key: string, hour: number, kind: EventKind): Series {
    let s = dim.get(key);
    if (!s) dim.set(key, (s = this.newSeries(`${dimension}:${key}`)));
    countInto(this.countsAt(s, hour), kind);
    return s;
  }

  /** The series' counts for the hour (events mostly come in time order: the last hour is kept at hand). */
  private countsAt(s: Series, hour: number): Counts {
    if (s.lastHour === hour) return s.lastCounts!;
    let c = s.hours.get(hour);
    if (!c) s.hours.set(hour, (c = zeroCounts()));
    s.lastHour = hour;
    s.lastCounts = c;
    return c;
  }

  /** What absorb() needs of another Aggregate (as a worker thread sends it back). */
  data(): AggregateData {
    const { totals, deferredMessages, groups, providers, senderDomains, series, clusters, blocklists, firstAt, lastAt, windowFirstAt, windowLastAt, dropped, seen } = this;
    return { totals, deferredMessages, groups, providers, senderDomains, series, clusters, blocklists, firstAt, lastAt, windowFirstAt, windowLastAt, dropped, seen };
  }

  /**
   * Adds what another Aggregate (same options) counted of another part of the same input, as if its
   * events had been added here in input order (by their seq): counts add up, sets and lists join, and
   * what was seen first comes first — a map's order, a reply cluster's classification, a blocklist
   * hit's example. Events can still be added afterwards. `o`'s objects become this one's.
   */
  absorb(o: AggregateData): void {
    addCounts(this.totals, o.totals);
    for (const q of o.deferredMessages) this.deferredMessages.add(q);
    this.firstAt = Math.min(this.firstAt, o.firstAt);
    this.lastAt = Math.max(this.lastAt, o.lastAt);
    this.windowFirstAt = Math.min(this.windowFirstAt, o.windowFirstAt);
    this.windowLastAt = Math.max(this.windowLastAt, o.windowLastAt);
    this.dropped += o.dropped;
    this.seen += o.seen;
    for (const [k, c] of o.senderDomains) {
      const mine = this.senderDomains.get(k);
      if (mine) addCounts(mine, c);
      else this.senderDomains.set(k, c);
    }
    mergeFirstSeen(this.series, o.series, mergeSeries);
    mergeFirstSeen(this.clusters, o.clusters, mergeCluster);
    mergeFirstSeen(this.blocklists, o.blocklists, mergeHit);
    mergeFirstSeen(this.groups, o.groups, mergeGroup);
    if (this.providers !== this.groups) mergeFirstSeen(this.providers, o.providers, mergeGroup);
    // A group's reply entry carries its cluster's classification: the first event's of the whole input.
    for (const map of this.providers === this.groups ? [this.groups] : [this.groups, this.providers]) {
      for (const g of map.values()) for (const [k, r] of g.replies) r.classification = this.clusters.get(k)?.classification ?? r.classification;
    }
    // The per-dimension lookups of add() point at the merged series.
    this.allSeries = undefined;
    this.senderSeries.clear();
    this.providerSeries.clear();
    this.bySeries.clear();
    for (const [name, x] of this.series) {
      const colon = name.indexOf(':');
      const dim = name.slice(0, colon);
      if (name === 'all') this.allSeries = x;
      else if (dim === 'sender') this.senderSeries.set(name.slice(colon + 1), x);
      else if (dim === 'provider') this.providerSeries.set(name.slice(colon + 1), x);
      else if (dim === 'by') this.bySeries.set(name.slice(colon + 1), x);
    }
  }
}

export type AggregateData = Pick<
  Aggregate,
  'totals' | 'deferredMessages' | 'groups' | 'providers' | 'senderDomains' | 'series' | 'clusters' | 'blocklists' | 'firstAt' | 'lastAt' | 'windowFirstAt' | 'windowLastAt' | 'dropped' | 'seen'
>;

export function addCounts(into: Counts, c: Counts): void {
  into.received += c.received;
  into.delivered += c.delivered;
  into.deferred += c.deferred;
  into.bounced += c.bounced;
  into.rejected += c.rejected;
  into.expired += c.expired;
  into.complaints += c.complaints;
}

/** Merges `theirs` into `mine` by key (`merge` gets the one seen first, then the other); the keys end up in the order first seen. */
function mergeFirstSeen<T extends { firstSeq: number }>(mine: Map<string, T>, theirs: Map<string, T>, merge: (first: T, then: T) => T): void {
  if (theirs.size === 0) return;
  const all = [...mine];
  const index = new Map(all.map(([k], i) => [k, i]));
  let ordered = true;
  for (const [k, v] of theirs) {
    const i = index.get(k);
    if (i === undefined) {
      if (all.length > 0 && v.firstSeq < all[all.length - 1]![1].firstSeq) ordered = false;
      all.push([k, v]);
    } else {
      const m = all[i]![1];
      all[i] = [k, v.firstSeq < m.firstSeq ? merge(v, m) : merge(m, v)];
    }
  }
  if (!ordered) all.sort((a, b) => a[1].firstSeq - b[1].firstSeq);
  mine.clear();
  for (const [k, v] of all) mine.set(k, v);
}

/** Providers in the order they were first seen. */
function mergeProviders(a: { providers: Set<string>; providerSeq: Map<string, number> }, b: { providers: Set<string>; providerSeq: Map<string, number> }): { providers: Set<string>; providerSeq: Map<string, number> } {
  const seq = new Map(a.providerSeq);
  for (const [p, q] of b.providerSeq) seq.set(p, Math.min(q, seq.get(p) ?? Infinity));
  const order = [...seq].sort((x, y) => x[1] - y[1]);
  return { providers: new Set(order.map(([p]) => p)), providerSeq: new Map(order) };
}

function mergeHourly(into: Map<number, number>, from: Map<number, number>): void {
  for (const [h, n] of from) into.set(h, (into.get(h) ?? 0) + n);
}

/** `first` was seen before `then`: its text and classification stand. */
function mergeCluster(first: ReplyCluster, then: ReplyCluster): ReplyCluster {
  const hourly = new Map(first.hourly);
  mergeHourly(hourly, then.hourly);
  return {
    ...first,
    count: first.count + then.count,
    windowCount: first.windowCount + then.windowCount,
    firstAt: Math.min(first.firstAt, then.firstAt),
    lastAt: Math.max(first.lastAt, then.lastAt),
    hourly,
    ...mergeProviders(first, then),
  };
}

function mergeHit(first: BlocklistHit, then: BlocklistHit): BlocklistHit {
  return { ...first, count: first.count + then.count, firstAt: Math.min(first.firstAt, then.firstAt), lastAt: Math.max(first.lastAt, then.lastAt), ...mergeProviders(first, then) };
}

function mergeGroup(first: GroupStats, then: GroupStats): GroupStats {
  const counts = zeroCounts();
  addCounts(counts, first.counts);
  addCounts(counts, then.counts);
  const replies = new Map(first.replies);
  mergeFirstSeen(replies, then.replies, mergeCluster);
  const blocklists = new Map(first.blocklists);
  mergeFirstSeen(blocklists, then.blocklists, mergeHit);
  return { key: first.key, counts, delays: first.delays.concat(then.delays), replies, blocklists, firstSeq: first.firstSeq };
}

function mergeSeries(first: Series, then: Series): Series {
  const hours = new Map<number, Counts>();
  for (const s of [first, then]) {
    for (const [h, c] of s.hours) {
      const m = hours.get(h);
      if (m) addCounts(m, c);
      else hours.set(h, { ...c });
    }
  }
  const merged: Series = { hours, lastHour: undefined, lastCounts: undefined, firstSeq: first.firstSeq };
  if (first.delays || then.delays) {
    const delays = new Map<number, number[]>();
    for (const s of [first, then]) for (const [h, d] of s.delays ?? []) delays.set(h, (delays.get(h) ?? []).concat(d));
    merged.delays = delays;
  }
  return merged;
}
