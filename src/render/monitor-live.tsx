/**
 * monitor --follow's live dashboard on a terminal (ink): the current hour per provider against the
 * baseline deferral rate, p95 time to delivery, and the latest alerts. Rendered on stderr;
 * imported lazily, only on a TTY, so ink and React are never loaded otherwise.
 */
import { useSyncExternalStore } from 'react';
import { Box, Text, render } from 'ink';
import type { CliContext } from '../cli/context.js';
import type { DashboardState } from '../cli/monitor-follow.js';

class Feed {
  snap: DashboardState = { hour: '', lines: 0, rows: [], alerts: [] };
  private readonly listeners = new Set<() => void>();
  set(s: DashboardState): void {
    this.snap = s;
    for (const l of this.listeners) l();
  }
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  get = () => this.snap;
}

const pct = (x: number | null) => (x === null ? '   –  ' : `${(x * 100).toFixed(1).padStart(5)}%`);
const dur = (ms: number | null) => (ms === null ? '–' : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);

function Dashboard({ feed }: { feed: Feed }) {
  const s = useSyncExternalStore(feed.subscribe, feed.get);
  return (
    <Box flexDirection="column">
      <Text bold>
        mailpace-cli monitor — hour from {s.hour} — {s.lines.toLocaleString('en-US')} lines read (Ctrl-C to stop)
      </Text>
      <Text dimColor>{'provider      delivered  deferred  bounced  deferral  baseline  p95 delay'}</Text>
      {s.rows.slice(0, 12).map((r) => (
        <Text key={r.provider} color={r.baselineDeferralRate !== null && r.deferralRate > Math.max(2 * r.baselineDeferralRate, r.baselineDeferralRate + 0.05) ? 'yellow' : undefined}>
          {r.provider.padEnd(12)} {String(r.delivered).padStart(9)} {String(r.deferred).padStart(9)} {String(r.bounced).padStart(8)} {pct(r.deferralRate)}    {pct(r.baselineDeferralRate)}   {dur(r.p95Ms)}
        </Text>
      ))}
      <Text bold>Alerts</Text>
      {s.alerts.length === 0 ? <Text color="green">none</Text> : s.alerts.map((a, i) => <Text key={i} color="red">{a.slice(0, 160)}</Text>)}
    </Box>
  );
}

export async function startMonitorLive(ctx: CliContext): Promise<{ update(s: DashboardState): void; stop(): void }> {
  const feed = new Feed();
  const inst = render(<Dashboard feed={feed} />, { stdout: ctx.io.stderr as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false });
  return { update: (s) => feed.set(s), stop: () => inst.unmount() };
}
