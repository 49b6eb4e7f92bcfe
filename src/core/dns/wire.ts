/**
 * DNS message encoding/decoding on dns2's Packet codec, plus our mapping of its records to DnsRecord.
 * Names travel as "binary strings" (one char per octet) because a DNS label may hold any octet
 * (RFC 2181 §11); SPF macro expansion (RFC 7208 §7) can produce ':' '/' or UTF-8 in a label.
 */
import dns2 from 'dns2';
import { RECORD_TYPES, type DnsRecord, type RecordType } from './types.js';

const Packet = dns2.Packet as any;

const TYPE_NAMES = new Map<number, RecordType>(
  Object.entries(RECORD_TYPES).map(([k, v]) => [v, k as RecordType]),
);

/** UTF-8 text → one char per octet, the form dns2 writes to the wire. */
export function toWireName(name: string): string {
  return Buffer.from(name.replace(/\.$/, ''), 'utf8').toString('latin1');
}
/** One char per octet → text (UTF-8 when valid, otherwise kept octet-for-octet). */
export function fromWireName(name: string): string {
  const buf = Buffer.from(name, 'latin1');
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : name;
}

/** Checks the octet limits of RFC 1035 §2.3.4 before encoding; returns a reason or undefined. */
export function nameProblem(name: string): string | undefined {
  const wire = toWireName(name);
  if (wire === '') return undefined; // the root
  const labels = wire.split('.');
  if (labels.some((l) => l.length === 0)) return 'empty label';
  if (labels.some((l) => l.length > 63)) return 'label longer than 63 octets';
  if (wire.length + 2 > 255) return 'name longer than 255 octets';
  return undefined;
}

export interface EncodeOptions {
  id: number;
  edns: boolean;
}

export function encodeQuery(name: string, type: RecordType, opts: EncodeOptions): Buffer {
  const packet = new Packet({ id: opts.id, rd: 1, ad: 1 } as never);
  // RFC 6840 §5.7: setting AD in a query asks a validating resolver to report validation in AD.
  packet.header.ad = 1;
  packet.questions.push({ name: toWireName(name), type: RECORD_TYPES[type], class: Packet.CLASS.IN });
  if (opts.edns) {
    // RFC 6891 OPT; 1232 octets is the DNS flag day 2020 recommendation for UDP payloads.
    packet.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: 1232 }) as never);
  }
  return packet.toBuffer();
}

export interface DecodedMessage {
  id: number;
  rcode: number;
  tc: boolean;
  ad: boolean;
  qr: boolean;
  question?: { name: string; type: number };
  answers: DnsRecord[];
  /** Raw answer entries whose type we do not model, kept only as a count. */
  unknownAnswers: number;
}

function hex(buf: unknown): string {
  return Buffer.isBuffer(buf) ? buf.toString('hex') : '';
}

/** Maps one of dns2's decoded resources to our record shape; undefined for types we ignore. */
function mapRecord(r: Record<string, any>): DnsRecord | undefined {
  const type = TYPE_NAMES.get(r.type);
  const name = fromWireName(String(r.name ?? ''));
  const ttl = Number(r.ttl ?? 0);
  switch (type) {
    case 'A':
    case 'AAAA':
      return { type, name, ttl, address: String(r.address) };
    case 'MX':
      return { type, name, ttl, exchange: fromWireName(String(r.exchange ?? '')), priority: Number(r.priority) };
    case 'TXT':
    case 'SPF':
      return { type, name, ttl, text: String(r.data ?? '') };
    case 'CNAME':
    case 'PTR':
    case 'NS':
      return { type, name, ttl, target: fromWireName(String(r.domain ?? r.ns ?? '')) };
    case 'SOA':
      return { type, name, ttl, primary: String(r.primary), admin: String(r.admin), serial: Number(r.serial), minimum: Number(r.minimum) };
    case 'DNSKEY':
      return { type, name, ttl, flags: Number(r.flags), protocol: Number(r.protocol), algorithm: Number(r.algorithm) };
    case 'TLSA': {
      const d: Buffer = Buffer.isBuffer(r.data) ? r.data : Buffer.alloc(0);
      if (d.length < 3) return undefined;
      return { type, name, ttl, usage: d[0]!, selector: d[1]!, matchingType: d[2]!, data: d.subarray(3).toString('hex') };
    }
    case 'DS': {
      const d: Buffer = Buffer.isBuffer(r.data) ? r.data : Buffer.alloc(0);
      if (d.length < 4) return undefined;
      return { type, name, ttl, keyTag: d.readUInt16BE(0), algorithm: d[2]!, digestType: d[3]!, digest: d.subarray(4).toString('hex') };
    }
    case 'SRV':
    case 'CAA':
      return { type, name, ttl, data: hex(r.data) };
    default:
      return undefined;
  }
}

/** Decodes a reply; throws on a message too malformed to read a header from. */
export function decodeMessage(buf: Buffer): DecodedMessage {
  if (buf.length < 12) throw new Error(`reply too short (${buf.length} octets)`);
  const p = Packet.parse(buf) as any;
  // dns2 skips records it cannot decode; a count mismatch means the message is broken or cut short.
  const h = p.header;
  if ((p.questions?.length ?? 0) !== h.qdcount || (p.answers?.length ?? 0) !== h.ancount) {
    throw new Error(`malformed message (${h.qdcount} question(s), ${h.ancount} answer(s) announced; ${p.questions?.length ?? 0} and ${p.answers?.length ?? 0} readable)`);
  }
  const answers: DnsRecord[] = [];
  let unknownAnswers = 0;
  for (const r of p.answers ?? []) {
    const m = r ? mapRecord(r) : undefined;
    if (m) answers.push(m);
    else unknownAnswers++;
  }
  const q = p.questions?.[0];
  return {
    id: p.header.id,
    rcode: p.header.rcode,
    tc: !!p.header.tc,
    ad: !!p.header.ad,
    qr: !!p.header.qr,
    question: q ? { name: fromWireName(String(q.name)), type: q.type } : undefined,
    answers,
    unknownAnswers,
  };
}

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
