/**
 * Runs Debian's pflogsumm (the Perl Postfix log summariser) and reads its "Grand Totals", the peer
 * `monitor` is cross-checked and timed against. Its definitions (pflogsumm 1.1.5): received =
 * smtpd/postscreen "client=" and pickup lines; delivered = status=sent (not "forwarded as");
 * deferred = distinct queue ids with a status=deferred line, "(N deferrals)" = the lines; bounced
 * = status=bounced lines; rejected = every smtpd/postscreen/cleanup "reject:" line, 4xx included.
 */
import { spawnSync } from 'node:child_process';

export interface PflogsummTotals {
  received: number;
  delivered: number;
  deferred: number;
  deferrals: number;
  bounced: number;
  rejected: number;
}

export function pflogsummAvailable(): boolean {
  return spawnSync('pflogsumm', ['--help'], { stdio: 'ignore' }).error === undefined;
}

/** "  1234   received", "  12k  delivered" (pflogsumm scales large numbers: k, m). */
export function parsePflogsumm(text: string): PflogsummTotals {
  const num = (label: string): number => {
    const m = new RegExp(`^\\s*(\\d+)([km]?)\\s+${label}\\b`, 'm').exec(text);
    if (!m) throw new Error(`pflogsumm output has no "${label}" line`);
    return Number(m[1]) * (m[2] === 'k' ? 1024 : m[2] === 'm' ? 1024 * 1024 : 1);
  };
  const dfr = /^\s*\d+[km]?\s+deferred\s+\((\d+)([km]?)\s*deferrals\)/m.exec(text);
  return {
    received: num('received'),
    delivered: num('delivered'),
    deferred: num('deferred'),
    deferrals: dfr ? Number(dfr[1]) * (dfr[2] === 'k' ? 1024 : dfr[2] === 'm' ? 1024 * 1024 : 1) : 0,
    bounced: num('bounced'),
    rejected: num('rejected'),
  };
}

export function runPflogsumm(file: string, extra: string[] = []): PflogsummTotals {
  const r = spawnSync('pflogsumm', [...extra, file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`pflogsumm failed (${r.status}): ${r.stderr}`);
  return parsePflogsumm(r.stdout);
}
