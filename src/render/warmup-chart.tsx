/**
 * `warmup simulate --chart` on a terminal (ink): per day, the accepted volume of each provider as a
 * stacked bar against the planned volume, the backlog as a bar of its own, and the deferral rate in
 * colour. Imported lazily by the command, only when stdout is a TTY: ink and React are never loaded
 * otherwise (the plain text chart in warmup.ts stands in for pipes and files).
 */
import { Box, Text, renderToString } from 'ink';
import { largestRemainder } from '../core/warmup/plan.js';
import type { SimulationResult } from '../core/warmup/simulate.js';
import type { ProviderName } from '../core/warmup/providers.js';

const PROVIDER_COLOUR: Partial<Record<ProviderName, string>> = {
  gmail: 'red',
  microsoft: 'blue',
  yahoo: 'magenta',
  apple: 'white',
  proton: 'cyan',
  other: 'gray',
};
const FALLBACK_COLOURS = ['green', 'yellow', 'cyan', 'white'];

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

function colourOf(providers: ProviderName[], p: ProviderName): string {
  return PROVIDER_COLOUR[p] ?? FALLBACK_COLOURS[providers.indexOf(p) % FALLBACK_COLOURS.length]!;
}

function DayRow({ r, day, providers, max, maxBacklog, barWidth, backlogWidth }: { r: SimulationResult; day: number; providers: ProviderName[]; max: number; maxBacklog: number; barWidth: number; backlogWidth: number }) {
  const d = r.days[day]!;
  const acceptedCells = Math.round((d.accepted / max) * barWidth);
  const plannedCells = Math.max(acceptedCells, Math.round((d.planned / max) * barWidth));
  const parts = largestRemainder(providers.map((p) => d.providers[p]?.accepted ?? 0), acceptedCells);
  const rate = d.offered > 0 ? d.deferred / d.offered : 0;
  const rateColour = rate <= 0.05 ? 'green' : rate <= 0.2 ? 'yellow' : 'red';
  const backlogCells = maxBacklog > 0 ? Math.round((d.backlog / maxBacklog) * backlogWidth) : 0;
  const flagged = d.flags.length > 0;
  return (
    <Box>
      <Text color={flagged ? (d.flags.some((f) => f.severity === 'error') ? 'red' : 'yellow') : undefined}>{String(d.day).padStart(4)} </Text>
      {providers.map((p, i) => (
        <Text key={p} color={colourOf(providers, p)}>
          {'█'.repeat(parts[i]!)}
        </Text>
      ))}
      <Text dimColor>{'░'.repeat(plannedCells - acceptedCells)}</Text>
      <Text>{' '.repeat(Math.max(0, barWidth - plannedCells))} </Text>
      <Text color={rateColour}>{(d.offered > 0 ? pct(rate) : '–').padStart(6)}</Text>
      <Text> </Text>
      <Text color="yellow">{'▇'.repeat(backlogCells)}</Text>
      <Text dimColor>{d.backlog > 0 ? ` ${fmt(d.backlog)}` : ''}</Text>
    </Box>
  );
}

function Chart({ r, width }: { r: SimulationResult; width: number }) {
  const providers = Object.keys(r.days[0]?.providers ?? {}) as ProviderName[];
  const max = Math.max(1, ...r.days.map((d) => Math.max(d.planned, d.accepted)));
  const maxBacklog = Math.max(0, ...r.days.map((d) => d.backlog));
  const backlogWidth = Math.max(8, Math.floor(width * 0.2));
  const barWidth = Math.max(10, width - 5 - 8 - backlogWidth - 12);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>accepted</Text>
        <Text dimColor>{` per day by provider, ░ planned but not accepted (full bar ${fmt(max)}), `}</Text>
        <Text bold>deferred</Text>
        <Text dimColor>, </Text>
        <Text bold color="yellow">
          backlog
        </Text>
      </Text>
      <Text>
        {'     '}
        {providers.map((p) => (
          <Text key={p} color={colourOf(providers, p)}>
            {`█ ${p}  `}
          </Text>
        ))}
      </Text>
      {r.days.map((_, i) => (
        <DayRow key={i} r={r} day={i} providers={providers} max={max} maxBacklog={maxBacklog} barWidth={barWidth} backlogWidth={backlogWidth} />
      ))}
    </Box>
  );
}

/** The chart as terminal text (ANSI colours included), `columns` wide. */
export function renderWarmupChart(r: SimulationResult, columns: number): string {
  return renderToString(<Chart r={r} width={Math.max(60, Math.min(columns, 160))} />, { columns: Math.max(60, Math.min(columns, 160)) });
}
