/**
 * The production Resolver: our own UDP/TCP transport and byte-level wire codec (wire.ts). dns2's
 * codec was measured at 0.2–0.3 ms per message, capping a client near 2,000 queries/s; it remains the
 * reference the codec is tested against (test/unit/dns/wire.test.ts).
 * - UDP first, with EDNS0; TCP when the reply is truncated (RFC 7766 §5), EDNS dropped on FORMERR/NOTIMP.
 * - Each attempt has the per-query timeout; servers are tried in order on timeout or network error.
 * - Replies must match our random ID and the question (RFC 5452 §9.1); others are ignored.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { DnsError } from '../errors.js';
import type { DnsAnswer, DnsStatus, NameServer, QueryOptions, RecordOf, RecordType, Resolver } from './types.js';
import { RECORD_TYPES } from './types.js';
import { decodeMessage, encodeQuery, nameProblem, RCODE, type DecodedMessage } from './wire.js';

export interface SocketResolverOptions {
  servers: NameServer[];
  /** Per attempt, in milliseconds. */
  timeoutMs: number;
  /** Largest reply accepted over TCP; bigger answers are treated as malformed. */
  maxTcpReply?: number;
}

type Exchange =
  | { kind: 'reply'; msg: DecodedMessage; size: number }
  | { kind: 'timeout' }
  | { kind: 'fail'; detail: string };

function sameName(a: string, b: string): boolean {
  return a.replace(/\.$/, '').toLowerCase() === b.replace(/\.$/, '').toLowerCase();
}

export function formatServer(s: NameServer): string {
  return isIPv6(s.host) ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`;
}

export class SocketResolver implements Resolver {
  readonly servers: readonly NameServer[];
  private readonly timeoutMs: number;
  private readonly maxTcpReply: number;
  /** Messages actually sent (UDP + TCP), for tests and benchmarks. */
  sent = 0;

  constructor(opts: SocketResolverOptions) {
    if (opts.servers.length === 0) {
      throw new DnsError('DNS_NO_SERVERS', '', '', 'no DNS servers configured', {
        hint: 'pass --dns <ip[:port]> or configure a nameserver in /etc/resolv.conf',
      });
    }
    this.servers = opts.servers;
    this.timeoutMs = opts.timeoutMs;
    this.maxTcpReply = opts.maxTcpReply ?? 65535;
  }

  async query<T extends RecordType>(name: string, type: T, opts: QueryOptions = {}): Promise<DnsAnswer<T>> {
    const qname = name.replace(/\.$/, '');
    const base: DnsAnswer<T> = { name: qname, type, status: 'error', records: [], cnames: [], ad: false };
    const problem = nameProblem(qname);
    if (problem) return { ...base, detail: `cannot query "${qname}": ${problem}` };

    let last: DnsAnswer<T> = { ...base, status: 'timeout' };
    for (const server of this.servers) {
      if (opts.signal?.aborted) return { ...base, status: 'timeout', detail: 'aborted' };
      const serverName = formatServer(server);
      let edns = true;
      let ex = await this.udp(server, qname, type, edns, opts.signal);
      if (ex.kind === 'reply' && (ex.msg.rcode === RCODE.FORMERR || ex.msg.rcode === RCODE.NOTIMP)) {
        // Pre-EDNS servers answer FORMERR/NOTIMP to an OPT record (RFC 6891 §7): ask again plainly.
        edns = false;
        ex = await this.udp(server, qname, type, edns, opts.signal);
      }
      if (ex.kind === 'reply' && ex.msg.tc) {
        ex = await this.tcp(server, qname, type, edns, opts.signal);
      }
      if (ex.kind === 'timeout') {
        last = { ...base, status: 'timeout', server: serverName, detail: `no reply from ${serverName} within ${this.timeoutMs} ms` };
        continue;
      }
      if (ex.kind === 'fail') {
        last = { ...base, status: 'error', server: serverName, detail: ex.detail };
        continue;
      }
      return this.toAnswer(base, ex.msg, ex.size, serverName);
    }
    return last;
  }

  private toAnswer<T extends RecordType>(base: DnsAnswer<T>, msg: DecodedMessage, size: number, server: string): DnsAnswer<T> {
    const out: DnsAnswer<T> = { ...base, rcode: msg.rcode, ad: msg.ad, server, size };
    const statusByRcode: Record<number, DnsStatus> = {
      [RCODE.SERVFAIL]: 'servfail',
      [RCODE.REFUSED]: 'refused',
      [RCODE.FORMERR]: 'error',
      [RCODE.NOTIMP]: 'error',
    };
    if (msg.rcode !== RCODE.NOERROR && msg.rcode !== RCODE.NXDOMAIN) {
      return { ...out, status: statusByRcode[msg.rcode] ?? 'error', detail: `rcode ${msg.rcode} from ${server}` };
    }
    // Follow the CNAME chain inside the answer section (RFC 1034 §3.6.2).
    let owner = base.name;
    const cnames: string[] = [];
    if (base.type !== 'CNAME') {
      for (let hop = 0; hop < 16; hop++) {
        const c = msg.answers.find((r) => r.type === 'CNAME' && sameName(r.name, owner));
        if (!c || c.type !== 'CNAME') break;
        owner = c.target;
        if (cnames.includes(owner)) break;
        cnames.push(owner);
      }
    }
    const records = msg.answers.filter(
      (r) => r.type === base.type && (sameName(r.name, owner) || sameName(r.name, base.name)),
    ) as RecordOf<T>[];
    out.records = records;
    out.cnames = cnames;
    if (msg.rcode === RCODE.NXDOMAIN) {
      // RFC 6604: with a CNAME chain, NXDOMAIN applies to the last name; either way nothing to use.
      out.status = 'nxdomain';
    } else {
      out.status = records.length > 0 ? 'ok' : 'nodata';
    }
    return out;
  }

  private matches(msg: DecodedMessage, id: number, qname: string, type: RecordType): boolean {
    if (msg.id !== id || !msg.qr) return false;
    // A reply without a question (some servers on FORMERR) still matches by ID.
    if (!msg.question) return true;
    return msg.question.type === RECORD_TYPES[type] && sameName(msg.question.name, qname);
  }

  /**
   * UDP goes through a small pool of long-lived sockets per address family: opening a socket per
   * query caps throughput near 3,000 queries/s, a pool reaches the server's own limit. Each socket
   * keeps its own random port and every query a random ID (RFC 5452 §9.2 asks for both); replies
   * are matched on socket, ID, source address and question, anything else is dropped.
   */
  private readonly channels = new Map<string, UdpChannel[]>();
  private nextChannel = 0;
  static readonly POOL_SIZE = 8;

  /** A pooled socket connected to this server (round-robin over up to POOL_SIZE). */
  private channel(server: NameServer): UdpChannel {
    const key = formatServer(server);
    let pool = this.channels.get(key);
    if (!pool) this.channels.set(key, (pool = []));
    if (pool.length < SocketResolver.POOL_SIZE) {
      const list = pool;
      const c = new UdpChannel(server, () => {
        // a socket that failed is replaced on next use
        const i = list.indexOf(c);
        if (i >= 0) list.splice(i, 1);
      });
      list.push(c);
      return c;
    }
    return pool[this.nextChannel++ % pool.length]!;
  }

  /** Closes the pooled sockets (they never keep the process alive, so this is optional). */
  close(): void {
    for (const pool of this.channels.values()) for (const c of pool) c.close();
    this.channels.clear();
  }

  private udp(server: NameServer, qname: string, type: RecordType, edns: boolean, signal?: AbortSignal): Promise<Exchange> {
    return new Promise((resolve) => {
      const ch = this.channel(server);
      let id = randomInt(0x10000);
      for (let i = 0; ch.pending.has(id) && i < 16; i++) id = randomInt(0x10000);
      if (ch.pending.has(id)) return resolve({ kind: 'fail', detail: 'too many queries in flight on one socket' });
      let query: Buffer;
      try {
        query = encodeQuery(qname, type, { id, edns });
      } catch (e) {
        return resolve({ kind: 'fail', detail: `cannot encode query: ${(e as Error).message}` });
      }
      let done = false;
      const finish = (ex: Exchange) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearInterval(retransmit);
        signal?.removeEventListener('abort', onAbort);
        ch.pending.delete(id);
        resolve(ex);
      };
      const onAbort = () => finish({ kind: 'timeout' });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), this.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      ch.pending.set(id, {
        server,
        onReply: (msg, size) => {
          if (this.matches(msg, id, qname, type)) finish({ kind: 'reply', msg, size });
        },
        onMalformed: (detail) => finish({ kind: 'fail', detail: `malformed reply from ${formatServer(server)}: ${detail}` }),
        onError: (detail) => finish({ kind: 'fail', detail: `UDP to ${formatServer(server)}: ${detail}` }),
      });
      const send = () => {
        this.sent++;
        ch.send(query, server, (err) => {
          if (err) finish({ kind: 'fail', detail: `UDP to ${formatServer(server)}: ${err.message}` });
        });
      };
      // UDP loses datagrams under bursts: resend the same query (same ID) a few times within the
      // timeout, as stub resolvers do (RFC 1536 §1), so one drop does not cost the whole timeout.
      const interval = Math.max(50, Math.min(1000, this.timeoutMs / 4));
      const retransmit = setInterval(() => {
        if (!done) send();
      }, interval);
      send();
    });
  }

  private tcp(server: NameServer, qname: string, type: RecordType, edns: boolean, signal?: AbortSignal): Promise<Exchange> {
    return new Promise((resolve) => {
      const id = randomInt(0x10000);
      let query: Buffer;
      try {
        query = encodeQuery(qname, type, { id, edns });
      } catch (e) {
        return resolve({ kind: 'fail', detail: `cannot encode query: ${(e as Error).message}` });
      }
      const sock = tcpConnect({ host: server.host, port: server.port });
      let done = false;
      let buf = Buffer.alloc(0);
      const finish = (ex: Exchange) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        sock.destroy();
        resolve(ex);
      };
      const onAbort = () => finish({ kind: 'timeout' });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), this.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      sock.on('error', (err) => finish({ kind: 'fail', detail: `TCP to ${formatServer(server)}: ${err.message}` }));
      sock.on('close', () => finish({ kind: 'fail', detail: `TCP to ${formatServer(server)}: connection closed before a full reply` }));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        this.sent++;
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        if (buf.length > this.maxTcpReply + 2) return finish({ kind: 'fail', detail: 'TCP reply too large' });
        if (buf.length < 2) return;
        const need = buf.readUInt16BE(0);
        if (buf.length < need + 2) return;
        const body = buf.subarray(2, need + 2);
        try {
          const msg = decodeMessage(body);
          if (this.matches(msg, id, qname, type)) finish({ kind: 'reply', msg, size: body.length });
          else finish({ kind: 'fail', detail: `TCP reply from ${formatServer(server)} does not match the query` });
        } catch (e) {
          finish({ kind: 'fail', detail: `malformed TCP reply from ${formatServer(server)}: ${(e as Error).message}` });
        }
      });
    });
  }
}

interface PendingQuery {
  server: NameServer;
  onReply(msg: DecodedMessage, size: number): void;
  onMalformed(detail: string): void;
  onError(detail: string): void;
}

/**
 * One pooled UDP socket, connected to one server, and the queries waiting on it by ID. Connecting
 * makes the kernel drop datagrams from any other source (RFC 5452 §9.1), saves an address lookup per
 * send, and turns an ICMP "port unreachable" into an immediate error instead of a timeout.
 */
class UdpChannel {
  readonly pending = new Map<number, PendingQuery>();
  private readonly sock: UdpSocket;
  private closed = false;
  private connected = false;
  private queued: Buffer[] = [];

  constructor(
    readonly server: NameServer,
    onBroken: () => void,
  ) {
    this.sock = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
    // pending queries keep the process alive through their timers; an idle pooled socket must not
    this.sock.unref();
    this.sock.on('message', (buf) => {
      if (buf.length < 2) return;
      const p = this.pending.get(buf.readUInt16BE(0));
      if (!p) return;
      let msg: DecodedMessage;
      try {
        msg = decodeMessage(buf);
      } catch (e) {
        p.onMalformed((e as Error).message);
        return;
      }
      p.onReply(msg, buf.length);
    });
    this.sock.on('error', (err: NodeJS.ErrnoException) => {
      // an ICMP port-unreachable on a connected socket: say it plainly
      const detail = err.code === 'ECONNREFUSED' ? 'connection refused (is a DNS server listening there?)' : err.message;
      for (const p of [...this.pending.values()]) p.onError(detail);
      this.close();
      onBroken();
    });
    this.sock.connect(server.port, server.host, () => {
      this.connected = true;
      for (const b of this.queued) this.sock.send(b);
      this.queued = [];
    });
  }

  /** Send errors surface as the socket's 'error' event, which fails every query on it. */
  send(buf: Buffer, _server: NameServer, cb: (err: Error | null) => void): void {
    if (this.closed) return cb(new Error('socket closed'));
    // no per-send callback: it costs an allocation and a callback per datagram on the hot path
    if (this.connected) this.sock.send(buf);
    else this.queued.push(buf);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
  }
}
