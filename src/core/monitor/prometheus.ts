/**
 * node_exporter's textfile collector format (Prometheus text exposition format 0.0.4,
 * https://prometheus.io/docs/instrumenting/exposition_formats/; collector docs: "write to a
 * temporary file in the same directory and rename it", https://github.com/prometheus/node_exporter#textfile-collector).
 * Counts are over the report's window (the whole log without --since).
 */
import { rename, writeFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MailpaceError } from '../errors.js';
import type { MonitorReport } from './monitor.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function prometheusText(r: MonitorReport, now: number): string {
  const out: string[] = [];
  const metric = (name: string, type: string, help: string, rows: [Record<string, string>, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of rows) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${esc(x)}"`).join(',');
      out.push(`${name}${l ? `{${l}}` : ''} ${Number.isFinite(v) ? v : 0}`);
    }
  };
  for (const k of ['delivered', 'deferred', 'bounced', 'expired', 'complaints'] as const) {
    metric(`mailpace_${k}_total`, 'counter', `Recipients ${k} in the monitored window, per provider.`, r.providers.map((p) => [{ provider: p.key }, p.totals[k]]));
  }
  metric('mailpace_received_total', 'counter', 'Messages received in the monitored window, per sender domain.', r.senderDomains.filter((s) => s.totals.received > 0).map((s) => [{ sender_domain: s.domain }, s.totals.received]));
  metric('mailpace_rejected_total', 'counter', 'SMTP rejects (smtpd, postscreen, cleanup) in the monitored window.', [[{}, r.totals.rejected]]);
  metric('mailpace_deferral_rate', 'gauge', 'Deferred share of delivery attempts, per provider.', r.providers.map((p) => [{ provider: p.key }, p.rates.deferral.value]));
  metric('mailpace_bounce_rate', 'gauge', 'Bounced share of final outcomes, per provider.', r.providers.map((p) => [{ provider: p.key }, p.rates.bounce.value]));
  const q: [Record<string, string>, number][] = [];
  for (const p of r.providers) {
    if (!p.delay) continue;
    q.push([{ provider: p.key, quantile: '0.5' }, p.delay.p50Ms / 1000], [{ provider: p.key, quantile: '0.95' }, p.delay.p95Ms / 1000], [{ provider: p.key, quantile: '0.99' }, p.delay.p99Ms / 1000]);
  }
  metric('mailpace_delivery_delay_seconds', 'gauge', 'Time from receipt to delivery, quantiles per provider.', q);
  const bl = new Map<string, [Record<string, string>, number]>();
  for (const p of r.providers) for (const b of p.blocklists) {
    const key = `${b.list}|${b.ip}`;
    const cur = bl.get(key);
    if (cur) cur[1] += b.count;
    else bl.set(key, [{ list: b.list, ip: b.ip }, b.count]);
  }
  metric('mailpace_blocklist_replies_total', 'counter', 'Deferrals and bounces naming a blocklist, per list and listed IP.', [...bl.values()]);
  const fc = new Map<string, number>();
  for (const f of r.findings) fc.set(`${f.code}|${f.severity}`, (fc.get(`${f.code}|${f.severity}`) ?? 0) + 1);
  metric('mailpace_monitor_findings', 'gauge', 'Findings of the last monitor run, per code and severity.', [...fc.entries()].map(([k, v]) => [{ code: k.split('|')[0]!, severity: k.split('|')[1]! }, v]));
  metric('mailpace_monitor_last_run_timestamp_seconds', 'gauge', 'When monitor last wrote this file.', [[{}, Math.floor(now / 1000)]]);
  return `${out.join('\n')}\n`;
}

/** Written to a temporary file beside the target, then renamed over it: the collector never reads half a file. */
export async function writePrometheusTextfile(path: string, r: MonitorReport, now: number): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, prometheusText(r, now), { mode: 0o644 });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new MailpaceError('MONITOR_TEXTFILE', `cannot write --prometheus-textfile ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`, { cause: e });
  }
}
