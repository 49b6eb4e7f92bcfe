/**
 * A real DNS server on 127.0.0.1 (UDP and TCP on the same port 0) serving fixture zones,
 * used by every DNS-using test and by the benchmarks. Built on dns2's wire codec.
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

export type Behaviour = 'timeout' | 'servfail' | 'refused' | 'garbage' | 'truncate' | 'formerr-edns' | 'wrong-id';

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

export class DnsFixtureServer {
  readonly log: QueryLogEntry[] = [];
  private udp?: UdpSocket;
  private tcp?: TcpServer;
  private readonly sockets = new Set<Socket>();
  port = 0;
  readonly host = '127.0.0.1';

  constructor(
    public zone: Zone,
    private readonly opts: DnsServerOptions = {},
  ) {}

  /** "127.0.0.1:port", the form --dns takes. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  async start(): Promise<this> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const udp = createSocket('udp4');
      await new Promise<void>((res, rej) => {
        udp.once('error', rej);
        udp.bind(0, this.host, () => res());
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
    let req: any;
    try {
      req = Packet.parse(query);
    } catch {
      return undefined;
    }
    const q = req.questions[0];
    if (!q) return undefined;
    const qname: string = q.name;
    const qtype = TYPE_BY_NUM.get(q.type) ?? String(q.type);
    this.log.push({ name: Buffer.from(qname, 'latin1').toString('utf8'), type: qtype, transport });
    const opt = (req.additionals as any[]).find((r) => r.type === Packet.TYPE.EDNS);
    const maxUdp = opt ? Math.max(512, opt.class) : 512;

    const res: any = new Packet(req as never);
    res.header = { ...req.header, qr: 1, ra: 1, aa: 0, ad: 0, tc: 0, rcode: 0 };
    res.questions = [q];
    res.answers = [];
    res.authorities = [];
    res.additionals = [];

    const lookupName = Buffer.from(qname, 'latin1').toString('utf8');
    const e = this.entry(lookupName);
    switch (e?.behaviour) {
      case 'timeout':
        return undefined;
      case 'servfail':
        res.header.rcode = 2;
        return res.toBuffer();
      case 'refused':
        res.header.rcode = 5;
        return res.toBuffer();
      case 'garbage': {
        const g = randomBytes(40);
        g.writeUInt16BE(req.header.id, 0);
        g[2] = 0x81; // QR, RD
        g[3] = 0x80; // RA, NOERROR: looks like an answer until the body is read
        g.writeUInt16BE(1, 4); // qdcount 1 over bytes that are not a question
        return g;
      }
      case 'wrong-id':
        res.header.id = (req.header.id + 1) & 0xffff;
        return res.toBuffer();
      case 'formerr-edns':
        if (opt) {
          res.header.rcode = 1;
          return res.toBuffer();
        }
        break;
    }

    // CNAME chain, as a recursive resolver returns it.
    let owner = qname;
    let cur = e;
    for (let hop = 0; hop < 8 && cur?.CNAME && qtype !== 'CNAME'; hop++) {
      res.answers.push({ name: owner, type: Packet.TYPE.CNAME, class: 1, ttl: cur.ttl ?? 300, domain: cur.CNAME });
      owner = cur.CNAME;
      cur = this.entry(owner);
    }
    const ttl = cur?.ttl ?? 300;
    const add = (type: number, fields: Record<string, unknown>) =>
      res.answers.push({ name: owner, type, class: 1, ttl, ...fields });
    if (cur) {
      switch (qtype) {
        case 'A':
          cur.A?.forEach((address) => add(Packet.TYPE.A, { address }));
          break;
        case 'AAAA':
          cur.AAAA?.forEach((address) => add(Packet.TYPE.AAAA, { address }));
          break;
        case 'MX':
          cur.MX?.forEach((m) => add(Packet.TYPE.MX, { exchange: m.exchange, priority: m.priority }));
          break;
        case 'TXT':
          cur.TXT?.forEach((t) => add(Packet.TYPE.TXT, { data: Array.isArray(t) ? t.map((s) => Buffer.from(s, 'utf8')) : chunks(t) }));
          break;
        case 'SPF':
          cur.SPF?.forEach((t) => add(Packet.TYPE.SPF, { data: chunks(t) }));
          break;
        case 'CNAME':
          if (cur.CNAME) add(Packet.TYPE.CNAME, { domain: cur.CNAME });
          break;
        case 'PTR':
          cur.PTR?.forEach((domain) => add(Packet.TYPE.PTR, { domain }));
          break;
        case 'NS':
          cur.NS?.forEach((ns) => add(Packet.TYPE.NS, { ns }));
          break;
        case 'DNSKEY':
          cur.DNSKEY?.forEach((k) => add(Packet.TYPE.DNSKEY, { ...k }));
          break;
        case 'DS':
          cur.DS?.forEach((d) => {
            const b = Buffer.alloc(4);
            b.writeUInt16BE(d.keyTag, 0);
            b[2] = d.algorithm;
            b[3] = d.digestType;
            add(43, { data: Buffer.concat([b, Buffer.from(d.digest, 'hex')]) });
          });
          break;
        case 'TLSA':
          cur.TLSA?.forEach((t) => add(52, { data: Buffer.concat([Buffer.from([t.usage, t.selector, t.matchingType]), Buffer.from(t.data, 'hex')]) }));
          break;
      }
    }
    if (!cur && !this.nameExists(owner)) res.header.rcode = 3;
    if (this.opts.ad || cur?.ad || e?.ad) res.header.ad = 1;

    let buf: Buffer = res.toBuffer();
    if (transport === 'udp' && (e?.behaviour === 'truncate' || buf.length > maxUdp)) {
      res.answers = [];
      res.header.tc = 1;
      buf = res.toBuffer();
    }
    return buf;
  }

  private async delay(): Promise<void> {
    if (this.opts.delayMs) await new Promise((r) => setTimeout(r, this.opts.delayMs));
  }

  private async onUdp(msg: Buffer, address: string, port: number): Promise<void> {
    const reply = this.answer(msg, 'udp');
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
        const reply = this.answer(q, 'tcp');
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
