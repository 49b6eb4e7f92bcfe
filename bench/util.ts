/** Small helpers shared by the benchmarks: timing, medians, running commands. */
import { spawn, spawnSync } from 'node:child_process';

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time of a command in ms (spawned synchronously, output discarded). */
export function timeCommand(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { ms: number; status: number | null } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: 'ignore', env });
  return { ms: performance.now() - t, status: r.status };
}

export function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}

export function table(rows: (string | number)[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => String(c).padEnd(widths[i]!)).join('  ')).join('\n');
}

/** Like timeCommand, but without blocking this process's event loop (in-process servers keep answering). */
export function timeCommandAsync(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ ms: number; status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'], env });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ ms: performance.now() - t, status, stdout }));
  });
}
