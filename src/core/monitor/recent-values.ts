/** A small most-recent-first set of strings read out of log lines. */
import { domainStart, lowerCase } from './events.js';

/**
 * Values that repeat across a log's lines (relay hosts, their IPs, DSN codes, sender domains: a few
 * dozen of them over a million lines), kept most-recent-first: a line whose value is one of them gets that
 * string back instead of a new one, and the aggregation's maps then look up a string whose hash
 * they already know. `made` turns a new slice into the kept value (the relay is lower-cased).
 */
export class RecentValues {
  private readonly raw: string[] = [];
  private readonly values: string[] = [];
  constructor(
    private readonly size: number,
    private readonly made: (s: string) => string,
  ) {}

  get(t: string, start: number, end: number): string {
    const raw = this.raw;
    const len = end - start;
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i]!;
      if (r.length === len && t.startsWith(r, start)) {
        const v = this.values[i]!;
        if (i > 0) {
          // One step towards the front: the frequent ones end up first.
          raw[i] = raw[i - 1]!;
          this.values[i] = this.values[i - 1]!;
          raw[i - 1] = r;
          this.values[i - 1] = v;
        }
        return v;
      }
    }
    const r = t.slice(start, end);
    const v = this.made(r);
    if (raw.length < this.size) {
      raw.push(r);
      this.values.push(v);
    } else {
      raw[raw.length - 1] = r;
      this.values[raw.length - 1] = v;
    }
    return v;
  }
}

/** The domains of addresses (after the last "@", lower-cased) as RecentValues keeps them: a log's few sender domains come back as the same strings. */
export class RecentDomains {
  private readonly values = new RecentValues(16, lowerCase);

  /** Undefined without an "@". */
  of(address: string): string | undefined {
    const d = domainStart(address);
    return d < 0 ? undefined : this.values.get(address, d, address.length);
  }
}
