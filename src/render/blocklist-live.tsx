/**
 * The live view of a scan on a terminal (ink): a counter and progress bar, listings as they arrive and
 * the latest answers. Rendered on stderr; the final table goes to stdout afterwards. Imported lazily by
 * the command, only when stderr is a TTY, so ink and React are never loaded otherwise.
 */
import { useSyncExternalStore } from 'react';
import { Box, Text, render, type Instance } from 'ink';
import type { BlocklistResult, ResultStatus } from '../core/blocklist/query.js';

export interface LiveSnapshot {
  title: string;
  done: number;
  total: number;
  listed: number;
  errors: number;
  timeouts: number;
  /** Listings so far (the rows that need action), oldest first, capped. */
  listings: BlocklistResult[];
  moreListings: number;
  /** The most recent answers of any status. */
  latest: BlocklistResult[];
}

const MAX_LISTINGS = 10;
const MAX_LATEST = 5;

/** Re-render at most this often: a big scan answers thousands of queries a second. */
const FRAME_MS = 80;

/** Holds the scan's progress; the component subscribes to it. Lives for one scan. */
export class LiveFeed {
  private snap: LiveSnapshot;
  private readonly listeners = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  /** frameMs 0: tell the listeners on every answer (tests). */
  constructor(
    title: string,
    total: number,
    private readonly frameMs = FRAME_MS,
  ) {
    this.snap = { title, done: 0, total, listed: 0, errors: 0, timeouts: 0, listings: [], moreListings: 0, latest: [] };
  }

  add(r: BlocklistResult, done: number): void {
    const s = this.snap;
    const listings = r.status === 'listed' && s.listings.length < MAX_LISTINGS ? [...s.listings, r] : s.listings;
    this.snap = {
      ...s,
      done,
      listed: s.listed + (r.status === 'listed' ? 1 : 0),
      errors: s.errors + (r.status === 'error' ? 1 : 0),
      timeouts: s.timeouts + (r.status === 'timeout' ? 1 : 0),
      listings,
      moreListings: s.moreListings + (r.status === 'listed' && listings === s.listings ? 1 : 0),
      latest: [...s.latest, r].slice(-MAX_LATEST),
    };
    if (this.frameMs <= 0) return this.flush();
    // Coalesce: one render per frame, not one per answer (rendering costs far more than a query).
    this.timer ??= setTimeout(() => this.flush(), this.frameMs);
  }

  /** Tells the listeners now (and cancels a pending frame). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const l of this.listeners) l();
  }

  /** Arrow functions: React calls them detached (useSyncExternalStore). */
  snapshot = (): LiveSnapshot => this.snap;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };
}

const COLOURS: Record<ResultStatus, string> = { listed: 'red', error: 'yellow', timeout: 'yellow', clean: 'green' };
const MARKS: Record<ResultStatus, string> = { listed: '✗', error: '!', timeout: '…', clean: '✓' };

function Row({ r }: { r: BlocklistResult }) {
  const what = r.status === 'listed' || r.status === 'error' ? (r.meanings[0] ?? r.detail ?? '') : r.status === 'timeout' ? 'timed out' : 'clean';
  return (
    <Text wrap="truncate-end">
      <Text color={COLOURS[r.status]}>{MARKS[r.status]} </Text>
      <Text bold>{r.target}</Text>
      <Text dimColor> {r.list}</Text> {what}
    </Text>
  );
}

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

export function BlocklistLive({ feed }: { feed: LiveFeed }) {
  const s = useSyncExternalStore(feed.subscribe, feed.snapshot);
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    <Box flexDirection="column">
      <Text bold>{s.title}</Text>
      <Text>
        {bar(s.done, s.total)} {n(s.done)}/{n(s.total)} answered · <Text color="red">{n(s.listed)} listed</Text> ·{' '}
        <Text color="yellow">{n(s.errors)} errors</Text> · <Text color="yellow">{n(s.timeouts)} timeouts</Text>
      </Text>
      {s.listings.length > 0 && (
        <Box flexDirection="column" marginTop={1}>
          <Text underline>listed so far</Text>
          {s.listings.map((r, i) => (
            <Row key={`l${i}`} r={r} />
          ))}
          {s.moreListings > 0 && <Text dimColor>… and {n(s.moreListings)} more</Text>}
        </Box>
      )}
      <Box flexDirection="column" marginTop={1}>
        <Text underline>latest answers</Text>
        {s.latest.map((r, i) => (
          <Row key={`a${s.done - s.latest.length + i}`} r={r} />
        ))}
      </Box>
    </Box>
  );
}

export interface LiveView {
  onResult(r: BlocklistResult, done: number): void;
  /** Erases the view (it is replaced by the final table) and unmounts. */
  stop(): Promise<void>;
}

export interface LiveOptions {
  /** Every frame written in full, nothing erased (tests). */
  debug?: boolean;
}

export function startBlocklistLive(stream: NodeJS.WriteStream, title: string, total: number, opts: LiveOptions = {}): LiveView {
  const feed = new LiveFeed(title, total, opts.debug ? 0 : FRAME_MS);
  const instance: Instance = render(<BlocklistLive feed={feed} />, {
    stdout: stream,
    stderr: stream,
    patchConsole: false,
    exitOnCtrlC: false,
    debug: opts.debug ?? false,
  });
  return {
    onResult: (r, done) => feed.add(r, done),
    stop: async () => {
      feed.flush();
      // Let React commit the last answers before the final frame is taken.
      await new Promise((resolve) => setImmediate(resolve));
      if (!opts.debug) instance.clear();
      instance.unmount();
      await instance.waitUntilExit().catch(() => undefined);
    },
  };
}
