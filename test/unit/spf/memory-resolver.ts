/** A Resolver over a plain object, for pure evaluation tests: no sockets, and a log of what was asked. */
import type { DnsAnswer, DnsStatus, RecordType, Resolver } from '../../../src/core/dns/types.js';

export interface MemoryEntry {
  A?: string[];
  AAAA?: string[];
  MX?: [number, string][];
  TXT?: string[];
  PTR?: string[];
  /** Every query for the name gets this status (servfail, timeout, …). */
  status?: DnsStatus;
}

export class MemoryResolver implements Resolver {
  readonly asked: string[] = [];
  constructor(private readonly zone: Record<string, MemoryEntry>) {}

  async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
    const n = name.replace(/\.$/, '').toLowerCase();
    this.asked.push(`${type} ${n}`);
    const base = { name: n, type, records: [] as any[], cnames: [], ad: false };
    const e = this.zone[n];
    if (!e) {
      const exists = Object.keys(this.zone).some((k) => k.endsWith(`.${n}`));
      return { ...base, status: exists ? 'nodata' : 'nxdomain' } as DnsAnswer<T>;
    }
    if (e.status) return { ...base, status: e.status } as DnsAnswer<T>;
    const ttl = 300;
    let records: any[] = [];
    if (type === 'A' || type === 'AAAA') records = (e[type as 'A' | 'AAAA'] ?? []).map((address: string) => ({ type, name: n, ttl, address }));
    if (type === 'MX') records = (e.MX ?? []).map(([priority, exchange]) => ({ type, name: n, ttl, priority, exchange }));
    if (type === 'TXT') records = (e.TXT ?? []).map((text) => ({ type, name: n, ttl, text }));
    if (type === 'PTR') records = (e.PTR ?? []).map((target) => ({ type, name: n, ttl, target }));
    return { ...base, records, status: records.length ? 'ok' : 'nodata' } as DnsAnswer<T>;
  }
}
