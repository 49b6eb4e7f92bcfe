/**
 * A real DNS server on 127.0.0.1 (UDP and TCP on the same port 0) serving fixture zones,
 * used by every DNS-using test and by the benchmarks. Own minimal encoder (dns2's type table).
 *
 * Behaviours per name: timeout (never answers), servfail, refused, garbage (random bytes with our ID),
 * truncate (TC=1 over UDP, full answer over TCP), formerr-edns (FORMERR when an OPT record is present).
 * UDP answers larger than the client's advertised size (512 without EDNS) are truncated, as real servers do.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import dns2 from 'dns2';

const { Packet } = dns2;

export type Behaviour = 'timeout' | 'servfail' | 'refused' | 'garbage' | 'truncate' | 'formerr-edns' | 'wrong-id' | 'drop-first';

export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  MX?: { priority: number; exchange: string }[];
  /** Each TXT record is a string (split into 255-octet strings) or an explicit list of strings. */
  TXT?: (string | string[])[];
  SPF?: string[];
  CNAME?: string;
  PTR?: string[];
  NS?: string[];
  DS?: { keyTag: number; algorithm: number; digestType: number; digest: string }[];
  DNSKEY?: { flags: number; protocol: number; algorithm: number; key: string }[];
  TLSA?: { usage: number; selector: number; matchingType: number; data: string }[];
  behaviour?: Behaviour;
  /** Set the AD bit on answers for this name (a validating resolver vouching for it). */
  ad?: boolean;
  ttl?: number;
}
export type Zone = Record<string, ZoneEntry>;

export interface DnsServerOptions {
  /** Added before every answer, in ms. */
  delayMs?: number;
  /** Dynamic names: consulted when the zone has no entry for a name. */
  fallback?: (name: string) => ZoneEntry | undefined;
  /** AD on every answer. */
  ad?: boolean;
  /**
   * Cache encoded replies per question (benchmarks: tens of thousands of queries). Off by default so
   * tests may change zone entries between queries.
   */
  cache?: boolean;
  /** Listen on ::1 instead of 127.0.0.1 (IPv6 transport tests). */
  ipv6?: boolean;
  /** Listen on this port (UDP and TCP) instead of a free one: a server coming up where none was. */
  port?: number;
  /**
   * Names at or below these zones are passed on, as a recursive resolver would, to another server
   * (e.g. rbldnsd for the blocklist zones) and its reply relayed unchanged.
   */
  forward?: { zones: readonly string[]; to: { host: string; port: number } };
}

export interface QueryLogEntry {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

const TYPE_BY_NUM = new Map<number, string>(Object.entries(Packet.TYPE as Record<string, number>).map(([k, v]) => [v, k]));
TYPE_BY_NUM.set(43, 'DS');
TYPE_BY_NUM.set(52, 'TLSA');

function norm(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function chunks(s: string): Buffer[] {
  const b = Buffer.from(s, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; i += 255) out.push(b.subarray(i, i + 255));
  return out.length ? out : [Buffer.alloc(0)];
}

interface WireRecord {
  name: string; // one char per octet
  type: number;
  ttl: number;
  rdata: Buffer;
}

/** A name in uncompressed wire form (labels of UTF-8 octets). */
function nameBytes(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...labels.map((l) => {
    const b = Buffer.from(l, 'utf8');
    return Buffer.concat([Buffer.from([b.length]), b]);
  }), Buffer.from([0])]);
}
function wireNameBytes(octets: string): Buffer {
  const labels = octets.split('.').filter(Boolean);
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}
function txtBytes(strings: Buffer[]): Buffer {
  return Buffer.concat(strings.flatMap((b) => [Buffer.from([b.length]), b]));
}
function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(tail !== undefined ? 8 - h.length - t.length : 0).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

interface ParsedQuery {
  id: number;
  rd: boolean;
  name: string; // one char per octet
  type: number;
  /** The question section as sent, echoed in the reply. */
  raw: Buffer;
  /** The client's EDNS UDP payload size, when it sent an OPT record. */
  ednsSize?: number;
}

function parseQuery(buf: Buffer): ParsedQuery | undefined {
  if (buf.length < 17 || buf.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let o = 12;
  while (o < buf.length && buf[o] !== 0) {
    const len = buf[o]!;
    if (len > 63 || o + 1 + len > buf.length) return undefined;
    labels.push(buf.toString('latin1', o + 1, o + 1 + len));
    o += 1 + len;
  }
  if (o + 5 > buf.length) return undefined;
  const q: ParsedQuery = { id: buf.readUInt16BE(0), rd: (buf[2]! & 1) === 1, name: labels.join('.'), type: buf.readUInt16BE(o + 1), raw: buf.subarray(12, o + 5) };
  let p = o + 5;
  // additional section: an OPT record (root name, type 41) carries the UDP payload size in its class
  if (buf.readUInt16BE(10) > 0 && p + 11 <= buf.length && buf[p] === 0 && buf.readUInt16BE(p + 1) === 41) q.ednsSize = buf.readUInt16BE(p + 3);
  return q;
}

function encodeReply(r: { id: number; rd: boolean; rcode: number; tc: boolean; ad: boolean; question: Buffer; answers: WireRecord[] }): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(r.id, 0);
  h[2] = 0x80 | (r.tc ? 0x02 : 0) | (r.rd ? 0x01 : 0); // QR, TC, RD
  h[3] = 0x80 | (r.ad ? 0x20 : 0) | (r.rcode & 0x0f); // RA, AD, RCODE
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(r.answers.length, 6);
  const parts: Buffer[] = [h, r.question];
  for (const a of r.answers) {
    const fixed = Buffer.alloc(10);
    fixed.writeUInt16BE(a.type, 0);
    fixed.writeUInt16BE(1, 2);
    fixed.writeUInt32BE(a.ttl, 4);
    fixed.writeUInt16BE(a.rdata.length, 8);
    parts.push(wireNameBytes(a.name), fixed, a.rdata);
  }
  return Buffer.concat(parts);
}

export class DnsFixtureServer {
  readonly log: QueryLogEntry[] = [];
  private udp?: UdpSocket;
  private tcp?: TcpServer;
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly host: string;

  private zoneData: Zone;
  constructor(
    zone: Zone,
    private readonly opts: DnsServerOptions = {},
  ) {
    this.zoneData = zone;
    this.host = opts.ipv6 ? '::1' : '127.0.0.1';
  }

  /** The served zone; replacing it drops every cached reply. */
  get zone(): Zone {
    return this.zoneData;
  }
  set zone(z: Zone) {
    this.zoneData = z;
    this.cache.clear();
  }

  /** "127.0.0.1:port" or "[::1]:port", the form --dns takes. */
  get address(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  async start(): Promise<this> {
    for (let attempt = 0; attempt < (this.opts.port ? 1 : 20); attempt++) {
      const udp = createSocket(this.opts.ipv6 ? 'udp6' : 'udp4');
      await new Promise<void>((res, rej) => {
        udp.once('error', rej);
        udp.bind(this.opts.port ?? 0, this.host, () => res());
      });
      const port = udp.address().port;
      const tcp = createTcpServer((s) => this.onTcp(s));
      const ok = await new Promise<boolean>((res) => {
        tcp.once('error', () => res(false));
        tcp.listen(port, this.host, () => res(true));
      });
      if (!ok) {
        udp.close();
        continue;
      }
      this.udp = udp;
      this.tcp = tcp;
      this.port = port;
      udp.on('message', (msg, rinfo) => void this.onUdp(msg, rinfo.address, rinfo.port));
      return this;
    }
    throw new Error('could not bind a UDP+TCP port pair');
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }

  count(name: string, type?: string): number {
    return this.log.filter((q) => norm(q.name) === norm(name) && (!type || q.type === type)).length;
  }

  private entry(name: string): ZoneEntry | undefined {
    const n = norm(name);
    const direct = this.zone[n];
    if (direct) return direct;
    // wildcard: *.suffix
    const labels = n.split('.');
    for (let i = 1; i < labels.length; i++) {
      const w = this.zone[`*.${labels.slice(i).join('.')}`];
      if (w) return w;
    }
    return this.opts.fallback?.(n);
  }

  private nameExists(name: string): boolean {
    const n = norm(name);
    if (this.entry(n)) return true;
    // An empty non-terminal exists (RFC 8020): some name below it is in the zone.
    return Object.keys(this.zone).some((k) => k.endsWith(`.${n}`));
  }

  /** Builds the reply; undefined means "do not answer". */
  private answer(query: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    const q = parseQuery(query);
    if (!q) return undefined;
    const qtype = TYPE_BY_NUM.get(q.type) ?? String(q.type);
    const qname = Buffer.from(q.name, 'latin1').toString('utf8');
    this.log.push({ name: qname, type: qtype, transport });
    const maxUdp = q.ednsSize ? Math.max(512, q.ednsSize) : 512;
    const reply = (rcode: number, answers: WireRecord[] = [], flags: { tc?: boolean; ad?: boolean } = {}) =>
      encodeReply({ id: q.id, rd: q.rd, rcode, tc: !!flags.tc, ad: !!flags.ad, question: q.raw, answers });

    const e = this.entry(qname);
    switch (e?.behaviour) {
      case 'timeout':
        return undefined;
      case 'servfail':
        return reply(2);
      case 'refused':
        return reply(5);
      case 'garbage': {
        const g = randomBytes(40);
        g.writeUInt16BE(q.id, 0);
        g[2] = 0x81; // QR, RD
        g[3] = 0x80; // RA, NOERROR: looks like an answer until the body is read
        g.writeUInt16BE(1, 4); // qdcount 1 over bytes that are not a question
        return g;
      }
      case 'wrong-id': {
        const r = reply(0);
        r.writeUInt16BE((q.id + 1) & 0xffff, 0);
        return r;
      }
      case 'formerr-edns':
        if (q.ednsSize) return reply(1);
        break;
      case 'drop-first':
        // a datagram lost on the way: the first UDP query for this name goes unanswered
        if (transport === 'udp' && this.log.filter((l) => l.name === qname && l.transport === 'udp').length === 1) return undefined;
        break;
    }

    // CNAME chain, as a recursive resolver returns it.
    const answers: WireRecord[] = [];
    let owner = q.name;
    let cur = e;
    for (let hop = 0; hop < 8 && cur?.CNAME && qtype !== 'CNAME'; hop++) {
      answers.push({ name: owner, type: 5, ttl: cur.ttl ?? 300, rdata: nameBytes(cur.CNAME) });
      owner = Buffer.from(cur.CNAME, 'utf8').toString('latin1');
      cur = this.entry(cur.CNAME);
    }
    const ttl = cur?.ttl ?? 300;
    const add = (type: number, rdata: Buffer) => answers.push({ name: owner, type, ttl, rdata });
    if (cur) {
      switch (qtype) {
        case 'A':
          cur.A?.forEach((a) => add(1, Buffer.from(a.split('.').map(Number))));
          break;
        case 'AAAA':
          cur.AAAA?.forEach((a) => add(28, ipv6Bytes(a)));
          break;
        case 'MX':
          cur.MX?.forEach((m) => {
            const pref = Buffer.alloc(2);
            pref.writeUInt16BE(m.priority);
            add(15, Buffer.concat([pref, nameBytes(m.exchange)]));
          });
          break;
        case 'TXT':
          cur.TXT?.forEach((t) => add(16, txtBytes(Array.isArray(t) ? t.map((x) => Buffer.from(x, 'utf8')) : chunks(t))));
          break;
        case 'SPF':
          cur.SPF?.forEach((t) => add(99, txtBytes(chunks(t))));
          break;
        case 'CNAME':
          if (cur.CNAME) add(5, nameBytes(cur.CNAME));
          break;
        case 'PTR':
          cur.PTR?.forEach((d) => add(12, nameBytes(d)));
          break;
        case 'NS':
          cur.NS?.forEach((d) => add(2, nameBytes(d)));
          break;
        case 'DNSKEY':
          cur.DNSKEY?.forEach((k) => {
            const h = Buffer.alloc(4);
            h.writeUInt16BE(k.flags, 0);
            h[2] = k.protocol;
            h[3] = k.algorithm;
            add(48, Buffer.concat([h, Buffer.from(k.key, 'base64')]));
          });
          break;
        case 'DS':
          cur.DS?.forEach((d) => {
            const b = Buffer.alloc(4);
            b.writeUInt16BE(d.keyTag, 0);
            b[2] = d.algorithm;
            b[3] = d.digestType;
            add(43, Buffer.concat([b, Buffer.from(d.digest, 'hex')]));
          });
          break;
        case 'TLSA':
          cur.TLSA?.forEach((t) => add(52, Buffer.concat([Buffer.from([t.usage, t.selector, t.matchingType]), Buffer.from(t.data, 'hex')])));
          break;
      }
    }
    const ownerText = Buffer.from(owner, 'latin1').toString('utf8');
    const rcode = !cur && !this.nameExists(ownerText) ? 3 : 0;
    const ad = !!(this.opts.ad || cur?.ad || e?.ad);
    const full = reply(rcode, answers, { ad });
    if (transport === 'udp' && (e?.behaviour === 'truncate' || full.length > maxUdp)) return reply(rcode, [], { tc: true, ad });
    return full;
  }

  /**
   * With the cache option, replies are cached per (question, EDNS size, transport) with the ID patched
   * in: benchmarks send tens of thousands of queries. Behaviours other than plain answers are not
   * cached. Replacing `zone` clears the cache.
   */
  private readonly cache = new Map<string, Buffer>();
  clearCache(): void {
    this.cache.clear();
  }

  private cachedAnswer(query: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
    if (!this.opts.cache) return this.answer(query, transport);
    // Question section starts at 12; find its end (labels, then type and class).
    if (query.length < 17 || query.readUInt16BE(4) !== 1) return this.answer(query, transport);
    let o = 12;
    while (o < query.length && query[o] !== 0) o += query[o]! + 1;
    const qEnd = o + 5;
    if (qEnd > query.length) return this.answer(query, transport);
    const hasOpt = query.readUInt16BE(10) > 0;
    const key = `${transport} ${hasOpt ? query.subarray(qEnd).toString('hex') : '-'} ${query.toString('latin1', 12, qEnd).toLowerCase()}`;
    const hit = this.cache.get(key);
    if (hit) {
      const labels: string[] = [];
      for (let p = 12; query[p]! !== 0; p += query[p]! + 1) labels.push(query.toString('latin1', p + 1, p + 1 + query[p]!));
      const qname = Buffer.from(labels.join('.'), 'latin1').toString('utf8');
      const qtype = TYPE_BY_NUM.get(query.readUInt16BE(qEnd - 4)) ?? String(query.readUInt16BE(qEnd - 4));
      this.log.push({ name: qname, type: qtype, transport });
      const out = Buffer.from(hit);
      query.copy(out, 0, 0, 2); // the query's ID
      out[2] = (out[2]! & 0xfe) | (query[2]! & 0x01); // echo RD
      return out;
    }
    const reply = this.answer(query, transport);
    const name = this.log[this.log.length - 1]?.name;
    const e = name === undefined ? undefined : this.entry(name);
    if (reply && (!e || !e.behaviour)) this.cache.set(key, reply);
    return reply;
  }

  private async delay(): Promise<void> {
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
  }

  /** The upstream's reply for a name in a forwarded zone; undefined when the name is not forwarded or no reply came. */
  private async forwarded(query: Buffer): Promise<Buffer | null | undefined> {
    const fw = this.opts.forward;
    const q = fw ? parseQuery(query) : undefined;
    if (!fw || !q) return null;
    const name = norm(Buffer.from(q.name, 'latin1').toString('utf8'));
    if (!fw.zones.some((z) => name === norm(z) || name.endsWith(`.${norm(z)}`))) return null;
    this.log.push({ name, type: TYPE_BY_NUM.get(q.type) ?? String(q.type), transport: 'udp' });
    const sock = createSocket(fw.to.host.includes(':') ? 'udp6' : 'udp4');
    try {
      return await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 3000);
        sock.on('message', (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        sock.on('error', () => resolve(undefined));
        sock.send(query, fw.to.port, fw.to.host);
      });
    } finally {
      sock.close();
    }
  }

  private async onUdp(msg: Buffer, address: string, port: number): Promise<void> {
    const upstream = await this.forwarded(msg);
    if (upstream !== null) {
      if (upstream) this.udp?.send(upstream, port, address, () => undefined);
      return;
    }
    const reply = this.cachedAnswer(msg, 'udp');
    if (!reply) return;
    await this.delay();
    this.udp?.send(reply, port, address, () => undefined);
  }

  private onTcp(s: Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', async (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) {
        const len = buf.readUInt16BE(0);
        const q = buf.subarray(2, len + 2);
        buf = buf.subarray(len + 2);
        const upstream = await this.forwarded(q);
        const reply = upstream === null ? this.cachedAnswer(q, 'tcp') : upstream;
        if (!reply) continue;
        await this.delay();
        const l = Buffer.alloc(2);
        l.writeUInt16BE(reply.length);
        s.write(Buffer.concat([l, reply]));
      }
    });
  }
}

export async function startDnsServer(zone: Zone, opts?: DnsServerOptions): Promise<DnsFixtureServer> {
  return new DnsFixtureServer(zone, opts).start();
}
