/** Bounds the number of queries in flight (fleet checks, blocklist scans). */
import type { DnsAnswer, QueryOptions, RecordType, Resolver } from './types.js';

export class LimitingResolver implements Resolver {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    private readonly inner: Resolver,
    readonly maxInFlight: number,
  ) {}

  query<T extends RecordType>(name: string, type: T, opts?: QueryOptions): Promise<DnsAnswer<T>> {
    // no extra promise on the common path: only a query that has to wait is wrapped
    if (this.active < this.maxInFlight) {
      this.active++;
      return this.start(name, type, opts);
    }
    return new Promise<void>((r) => this.waiting.push(r)).then(() => this.start(name, type, opts));
  }

  /** Runs a query in a slot already taken; the slot passes straight to the next waiter when done. */
  private start<T extends RecordType>(name: string, type: T, opts?: QueryOptions): Promise<DnsAnswer<T>> {
    let p: Promise<DnsAnswer<T>>;
    try {
      p = this.inner.query(name, type, opts);
    } catch (e) {
      p = Promise.reject(e);
    }
    return p.finally(this.release);
  }

  private readonly release = () => {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  };
}
