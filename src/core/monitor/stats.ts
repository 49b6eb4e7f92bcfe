/**
 * The statistics monitor's report and detectors use: Wilson score intervals for rates, nearest-rank
 * percentiles, median/MAD for robust hour-of-week baselines and an exponentially weighted moving
 * average (with its variance) where the history is too short for that.
 */

export interface Interval {
  value: number;
  low: number;
  high: number;
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927; Brown, Cai & DasGupta 2001
 * recommend it over the normal approximation for small n and rates near 0, which is where
 * bounce and complaint rates live). z = 1.96: 95%. n = 0 gives {0, 0, 1}: nothing is known.
 */
export function wilson(successes: number, n: number, z = 1.959964): Interval {
  if (n <= 0) return { value: 0, low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { value: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Nearest-rank percentile (q in 0..1) of an already sorted array; undefined when empty. */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number | undefined {
  const n = sorted.length;
  return n === 0 ? undefined : sorted[rankOf(n, q)]!;
}

/** The nearest rank (0-based) of quantile q among n samples (n > 0). */
function rankOf(n: number, q: number): number {
  return Math.min(n, Math.max(1, Math.ceil(q * n))) - 1;
}

/**
 * Puts the k-th smallest of a[lo..hi] at a[k], smaller ones before it and larger ones after it
 * (Hoare's FIND, median-of-three pivots); false when it took too many rounds (the caller sorts instead).
 */
function select(a: Float64Array, k: number, lo: number, hi: number): boolean {
  for (let rounds = 0; hi > lo; rounds++) {
    if (rounds > 64) return false;
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot: sorted or reversed samples do not make it quadratic.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return true;
  }
  return true;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}

/**
 * The samples in a Float64Array of their own (new Float64Array(array) copies a plain array of numbers
 * directly; from() goes through its iterator), and whether selection may be used on it: 64 or more
 * samples, none NaN (those are sorted instead).
 */
function copyForSelection(samples: ArrayLike<number>): { s: Float64Array; selectable: boolean } {
  const s = new Float64Array(samples as ArrayLike<number>);
  let selectable = s.length >= 64;
  for (let i = 0; selectable && i < s.length; i++) if (Number.isNaN(s[i]!)) selectable = false;
  return { s, selectable };
}

/** One nearest-rank percentile (q in 0..1) of the samples, selected in a copy: the value percentiles() gives for it. Undefined when empty. */
export function percentile(samples: ArrayLike<number>, q: number): number | undefined {
  const n = samples.length;
  if (n === 0) return undefined;
  const { s, selectable } = copyForSelection(samples);
  const k = rankOf(n, q);
  if (!(selectable && select(s, k, 0, n - 1))) s.sort();
  return s[k]!;
}

/**
 * p50/p95/p99 of the samples, nearest rank: the three order statistics are selected in a copy
 * (linear time) rather than sorting it all; the same values a sort gives. Samples with a NaN are sorted.
 */
export function percentiles(samples: ArrayLike<number>): { p50: number; p95: number; p99: number } | undefined {
  const n = samples.length;
  if (n === 0) return undefined;
  const { s, selectable } = copyForSelection(samples);
  const k50 = rankOf(n, 0.5);
  const k95 = rankOf(n, 0.95);
  const k99 = rankOf(n, 0.99);
  // Largest rank first: each selection leaves the smaller ranks in the part before it.
  if (!(selectable && select(s, k99, 0, n - 1) && select(s, k95, 0, k99) && select(s, k50, 0, k95))) s.sort();
  return { p50: s[k50]!, p95: s[k95]!, p99: s[k99]! };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median absolute deviation, scaled by 1.4826 so that it estimates σ for normal data. */
export function mad(xs: readonly number[], centre = median(xs)): number {
  return 1.4826 * median(xs.map((x) => Math.abs(x - centre)));
}

/**
 * EWMA of a series with its exponentially weighted variance (West 1979 / Finch 2009 "Incremental
 * calculation of weighted mean and variance"): mean and σ of "recent normal".
 */
export class Ewma {
  mean = 0;
  variance = 0;
  count = 0;
  constructor(readonly alpha: number) {}
  push(x: number): void {
    if (this.count === 0) {
      this.mean = x;
      this.variance = 0;
    } else {
      const diff = x - this.mean;
      const incr = this.alpha * diff;
      this.mean += incr;
      this.variance = (1 - this.alpha) * (this.variance + diff * incr);
    }
    this.count++;
  }
  get sd(): number {
    return Math.sqrt(this.variance);
  }
}
