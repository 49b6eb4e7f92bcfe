/**
 * Per-run memoisation: the same name/type is asked at most once per run (concurrent askers share
 * the in-flight promise). Lives as long as the run's Deps; never module-level.
 */
import type { DnsAnswer, QueryOptions, RecordType, Resolver } from './types.js';

export class CachingResolver implements Resolver {
  private readonly cache = new Map<string, Promise<DnsAnswer<any>>>();
  hits = 0;
  misses = 0;
  constructor(private readonly inner: Resolver) {}

  query<T extends RecordType>(name: string, type: T, opts?: QueryOptions): Promise<DnsAnswer<T>> {
    const key = `${type} ${(name.endsWith('.') ? name.slice(0, -1) : name).toLowerCase()}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.hits++;
      return hit as Promise<DnsAnswer<T>>;
    }
    this.misses++;
    const p = this.inner.query(name, type, opts);
    this.cache.set(key, p);
    return p;
  }
}
