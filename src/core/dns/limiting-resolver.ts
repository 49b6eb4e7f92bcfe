/** Bounds the number of queries in flight (fleet checks, blocklist scans). */
import type { DnsAnswer, QueryOptions, RecordType, Resolver } from './types.js';

export class LimitingResolver implements Resolver {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly inner: Resolver,
    readonly maxInFlight: number,
  ) {}

  async query<T extends RecordType>(name: string, type: T, opts?: QueryOptions): Promise<DnsAnswer<T>> {
    if (this.active >= this.maxInFlight) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await this.inner.query(name, type, opts);
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
