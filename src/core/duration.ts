import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "2s", "1.5m", "1h", or a bare number of milliseconds → milliseconds. */
export function parseDuration(input: string, flag = '--timeout'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(input);
  if (!m) throw new UsageError(`${flag} "${input}" is not a duration (use e.g. 500ms, 2s, 1m)`);
  const ms = Number(m[1]) * UNITS[(m[2] ?? 'ms').toLowerCase()]!;
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} "${input}" is too large`);
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
