/**
 * The Resolver contract. A query always resolves to a DnsAnswer: NXDOMAIN, NODATA, SERVFAIL,
 * REFUSED and timeouts are data (status), never exceptions, so each caller decides what they mean.
 */
export const RECORD_TYPES = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DS: 43,
  DNSKEY: 48,
  TLSA: 52,
  SPF: 99,
  CAA: 257,
} as const;
export type RecordType = keyof typeof RECORD_TYPES;

export type DnsStatus =
  | 'ok' // NOERROR with at least one record of the asked type
  | 'nodata' // NOERROR, name exists, no record of this type
  | 'nxdomain' // the name does not exist
  | 'servfail'
  | 'refused'
  | 'timeout'
  | 'error'; // FORMERR, NOTIMP, malformed answer, network error

interface RecordBase {
  name: string;
  ttl: number;
}
export interface AddressRecord extends RecordBase {
  type: 'A' | 'AAAA';
  address: string;
}
export interface MxRecord extends RecordBase {
  type: 'MX';
  exchange: string;
  priority: number;
}
export interface TxtRecord extends RecordBase {
  type: 'TXT' | 'SPF';
  /** The character-strings joined without separator (RFC 7208 §3.3, RFC 6376 §3.6.2.2). */
  text: string;
}
export interface NameRecord extends RecordBase {
  type: 'CNAME' | 'PTR' | 'NS';
  target: string;
}
export interface SoaRecord extends RecordBase {
  type: 'SOA';
  primary: string;
  admin: string;
  serial: number;
  minimum: number;
}
export interface TlsaRecord extends RecordBase {
  type: 'TLSA';
  usage: number;
  selector: number;
  matchingType: number;
  data: string; // hex
}
export interface DsRecord extends RecordBase {
  type: 'DS';
  keyTag: number;
  algorithm: number;
  digestType: number;
  digest: string; // hex
}
export interface DnskeyRecord extends RecordBase {
  type: 'DNSKEY';
  flags: number;
  protocol: number;
  algorithm: number;
}
export interface OtherRecord extends RecordBase {
  type: 'SRV' | 'CAA';
  data: string; // hex of the RDATA
}
export type DnsRecord =
  | AddressRecord
  | MxRecord
  | TxtRecord
  | NameRecord
  | SoaRecord
  | TlsaRecord
  | DsRecord
  | DnskeyRecord
  | OtherRecord;

type Distribute<R, T> = R extends DnsRecord ? (T extends R['type'] ? R : never) : never;
export type RecordOf<T extends RecordType> = Distribute<DnsRecord, T>;

export interface DnsAnswer<T extends RecordType = RecordType> {
  name: string;
  type: T;
  status: DnsStatus;
  /** The DNS RCODE, when a reply arrived. */
  rcode?: number;
  /** Records of the asked type, following any CNAME chain in the answer. */
  records: RecordOf<T>[];
  /** CNAME targets followed, in order. */
  cnames: string[];
  /** Authenticated Data: a validating resolver vouched for the answer (RFC 4035 §3.2.3). */
  ad: boolean;
  /** The server that answered (or was last tried). */
  server?: string;
  /** Human detail for error statuses. */
  detail?: string;
  /** Wire size of the answer message in octets. */
  size?: number;
}

export interface QueryOptions {
  signal?: AbortSignal;
}

export interface Resolver {
  query<T extends RecordType>(name: string, type: T, opts?: QueryOptions): Promise<DnsAnswer<T>>;
}

/** A nameserver address: host is an IPv4 or IPv6 literal. */
export interface NameServer {
  host: string;
  port: number;
}
