/**
 * DNS message encoding and decoding for the resolver's hot path (RFC 1035 §4, RFC 6891 OPT).
 * dns2's Packet codec reads and writes bit by bit (~0.2–0.3 ms per message here), which caps a
 * client near 2,000 queries/s; blocklist scans and fleets need an order of magnitude more, so
 * the resolver encodes queries and decodes replies with this byte-level codec. dns2 stays the
 * reference: test/unit/dns/wire.test.ts decodes the same messages with both and compares.
 *
 * Names travel as "binary strings" (one char per octet) because a DNS label may hold any octet
 * (RFC 2181 §11); SPF macro expansion (RFC 7208 §7) can produce ':' '/' or UTF-8 in a label.
 */
import { formatIp } from '../net/ip-address.js';
import { RECORD_TYPES, type DnsRecord, type RecordType } from './types.js';

const TYPE_NAMES = new Map<number, RecordType>(Object.entries(RECORD_TYPES).map(([k, v]) => [v, k as RecordType]));

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

/** UTF-8 text → one char per octet. */
export function toWireName(name: string): string {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  return ASCII.test(bare) ? bare : Buffer.from(bare, 'utf8').toString('latin1');
}
/** One char per octet → text (UTF-8 when valid, otherwise kept octet-for-octet). */
export function fromWireName(name: string): string {
  if (ASCII.test(name)) return name;
  const buf = Buffer.from(name, 'latin1');
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : name;
}

const DOT = 0x2e;

/**
 * Checks the octet limits of RFC 1035 §2.3.4 on a wire name; returns a reason or undefined.
 * (Native string searches rather than a loop over characters: this runs for every query, and most
 * of a one-off scan runs before V8 has optimised anything.)
 */
function wireNameProblem(wire: string): string | undefined {
  if (wire === '') return undefined; // the root
  if (wire.length + 2 > 255) return 'name longer than 255 octets';
  let start = 0;
  for (;;) {
    let dot = wire.indexOf('.', start);
    if (dot < 0) dot = wire.length;
    const len = dot - start;
    if (len === 0) return 'empty label';
    if (len > 63) return 'label longer than 63 octets';
    if (dot === wire.length) return undefined;
    start = dot + 1;
  }
}

/** Checks the octet limits of RFC 1035 §2.3.4 before encoding; returns a reason or undefined. */
export function nameProblem(name: string): string | undefined {
  return wireNameProblem(toWireName(name));
}

export interface EncodeOptions {
  id: number;
  edns: boolean;
}

/** A recursive query: RD set, and AD set to ask a validating resolver to report validation (RFC 6840 §5.7). */
export function encodeQuery(name: string, type: RecordType, opts: EncodeOptions): Buffer {
  const wire = toWireName(name);
  const problem = wireNameProblem(wire);
  if (problem) throw new Error(problem);
  // the labels take the name's octets plus one length octet each, and the root octet
  const qlen = wire === '' ? 1 : wire.length + 2;
  // OPT RR: root name, type 41, class = UDP payload size (1232: DNS flag day 2020), TTL 0, no options.
  const optLen = opts.edns ? 11 : 0;
  // from Node's shared slab (no backing store per query); every octet is written or zeroed below
  const buf = Buffer.allocUnsafe(12 + qlen + 4 + optLen).fill(0);
  buf.writeUInt16BE(opts.id & 0xffff, 0);
  buf.writeUInt16BE(0x0120, 2); // RD | AD
  buf.writeUInt16BE(1, 4);
  buf.writeUInt16BE(opts.edns ? 1 : 0, 10);
  let o = 12;
  if (wire !== '') {
    // write the name one octet later, then put each label's length where its dot (or the start) was
    buf.write(wire, 13, 'latin1');
    let start = 0;
    for (;;) {
      let dot = wire.indexOf('.', start);
      if (dot < 0) dot = wire.length;
      buf[12 + start] = dot - start;
      if (dot === wire.length) break;
      start = dot + 1;
    }
    o = 13 + wire.length;
  }
  buf[o++] = 0;
  buf.writeUInt16BE(RECORD_TYPES[type], o);
  buf.writeUInt16BE(1, o + 2); // IN
  o += 4;
  if (opts.edns) {
    buf[o] = 0;
    buf.writeUInt16BE(41, o + 1);
    buf.writeUInt16BE(1232, o + 3);
    // TTL (extended rcode, version, flags) and RDLENGTH stay zero
  }
  return buf;
}

export interface DecodedMessage {
  id: number;
  rcode: number;
  tc: boolean;
  ad: boolean;
  qr: boolean;
  question?: { name: string; type: number };
  answers: DnsRecord[];
  /** Answer records whose type we do not model, kept only as a count. */
  unknownAnswers: number;
}

class Reader {
  /** Room for one name being decoded (at most 255 octets, checked as it is read); from Node's slab. */
  private scratch: Buffer | undefined;

  constructor(
    readonly buf: Buffer,
    public o = 0,
  ) {}
  need(n: number): void {
    if (this.o + n > this.buf.length) throw new Error(`message truncated at octet ${this.o} (needs ${n} more)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.o++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.o);
    this.o += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.o);
    this.o += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.o, this.o + n);
    this.o += n;
    return b;
  }
  /** A possibly compressed name (RFC 1035 §4.1.4); guards against pointer loops and over-long names. */
  name(): string {
    const scratch = (this.scratch ??= Buffer.allocUnsafe(256));
    let w = 0;
    let o = this.o;
    let jumped = false;
    let hops = 0;
    let total = 1;
    for (;;) {
      if (o >= this.buf.length) throw new Error('name runs past the end of the message');
      const len = this.buf[o]!;
      if ((len & 0xc0) === 0xc0) {
        if (o + 1 >= this.buf.length) throw new Error('truncated compression pointer');
        if (++hops > 64) throw new Error('compression pointer loop');
        const target = ((len & 0x3f) << 8) | this.buf[o + 1]!;
        if (!jumped) this.o = o + 2;
        jumped = true;
        o = target;
        continue;
      }
      if (len & 0xc0) throw new Error(`bad label length octet 0x${len.toString(16)}`);
      if (len === 0) {
        if (!jumped) this.o = o + 1;
        break;
      }
      total += len + 1;
      if (total > 255) throw new Error('name longer than 255 octets');
      if (o + 1 + len > this.buf.length) throw new Error('label runs past the end of the message');
      // labels are gathered in a scratch buffer and become one string at the end
      if (w > 0) scratch[w++] = DOT;
      w += this.buf.copy(scratch, w, o + 1, o + 1 + len);
      o += 1 + len;
    }
    return scratch.toString('latin1', 0, w);
  }
}

function record(r: Reader, name: string, typeNum: number, ttl: number, rdlen: number): DnsRecord | undefined {
  const end = r.o + rdlen;
  r.need(rdlen);
  const type = TYPE_NAMES.get(typeNum);
  const base = { name: fromWireName(name), ttl };
  const rest = () => r.bytes(end - r.o);
  let out: DnsRecord | undefined;
  switch (type) {
    case 'A':
      if (rdlen !== 4) throw new Error(`A record with ${rdlen} octets`);
      out = { type, ...base, address: Array.from(r.bytes(4)).join('.') };
      break;
    case 'AAAA':
      if (rdlen !== 16) throw new Error(`AAAA record with ${rdlen} octets`);
      out = { type, ...base, address: formatIp({ family: 6, bytes: r.bytes(16) }) };
      break;
    case 'MX': {
      const priority = r.u16();
      out = { type, ...base, priority, exchange: fromWireName(r.name()) };
      break;
    }
    case 'TXT':
    case 'SPF': {
      const parts: Buffer[] = [];
      while (r.o < end) {
        const len = r.u8();
        if (r.o + len > end) throw new Error('TXT string runs past its record');
        parts.push(r.bytes(len));
      }
      out = { type, ...base, text: Buffer.concat(parts).toString('utf8') };
      break;
    }
    case 'CNAME':
    case 'PTR':
    case 'NS':
      out = { type, ...base, target: fromWireName(r.name()) };
      break;
    case 'SOA': {
      const primary = r.name();
      const admin = r.name();
      const serial = r.u32();
      r.bytes(12); // refresh, retry, expire
      out = { type, ...base, primary, admin, serial, minimum: r.u32() };
      break;
    }
    case 'TLSA': {
      if (rdlen < 3) throw new Error('TLSA record too short');
      const d = rest();
      out = { type, ...base, usage: d[0]!, selector: d[1]!, matchingType: d[2]!, data: d.subarray(3).toString('hex') };
      break;
    }
    case 'DS': {
      if (rdlen < 4) throw new Error('DS record too short');
      const d = rest();
      out = { type, ...base, keyTag: d.readUInt16BE(0), algorithm: d[2]!, digestType: d[3]!, digest: d.subarray(4).toString('hex') };
      break;
    }
    case 'DNSKEY': {
      if (rdlen < 4) throw new Error('DNSKEY record too short');
      const d = rest();
      out = { type, ...base, flags: d.readUInt16BE(0), protocol: d[2]!, algorithm: d[3]! };
      break;
    }
    case 'SRV':
    case 'CAA':
      out = { type, ...base, data: rest().toString('hex') };
      break;
    default:
      out = undefined;
  }
  if (r.o > end) throw new Error(`${type ?? typeNum} record overruns its length`);
  r.o = end;
  return out;
}

/** Decodes a reply; throws on anything malformed (the resolver reports it as an error status). */
export function decodeMessage(buf: Buffer): DecodedMessage {
  if (buf.length < 12) throw new Error(`malformed message: ${buf.length} octets, shorter than a header`);
  const r = new Reader(buf);
  try {
    const id = r.u16();
    const flags = r.u16();
    const qd = r.u16();
    const an = r.u16();
    r.u16(); // NSCOUNT
    r.u16(); // ARCOUNT
    const msg: DecodedMessage = {
      id,
      qr: (flags & 0x8000) !== 0,
      tc: (flags & 0x0200) !== 0,
      ad: (flags & 0x0020) !== 0,
      rcode: flags & 0x000f,
      answers: [],
      unknownAnswers: 0,
    };
    for (let i = 0; i < qd; i++) {
      const name = r.name();
      const type = r.u16();
      r.u16(); // class
      if (i === 0) msg.question = { name: fromWireName(name), type };
    }
    for (let i = 0; i < an; i++) {
      const name = r.name();
      const type = r.u16();
      r.u16(); // class
      const ttl = Math.min(r.u32(), 0x7fffffff); // RFC 2181 §8
      const rdlen = r.u16();
      const rec = record(r, name, type, ttl, rdlen);
      if (rec) msg.answers.push(rec);
      else msg.unknownAnswers++;
    }
    // Authority and additional sections are not needed (the OPT extended rcode is not used).
    return msg;
  } catch (e) {
    throw new Error(`malformed message: ${(e as Error).message}`);
  }
}

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
