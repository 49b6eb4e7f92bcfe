/**
 * The detectors on generated Postfix logs: known injected anomalies must be found, at the right
 * hour and group; clean logs with the same daily rhythm must give no findings at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { runMonitor, type MonitorReport } from '../../../src/core/monitor/monitor.js';
import { generatePostfixLog, type GenOptions } from '../../helpers/postfix-log.js';

const START = new Date('2026-11-02T00:00:00Z');
const DAY = 86_400_000;

async function monitor(o: Partial<GenOptions> & { hours: number }, extra: { since?: number; until?: number; baselineMs?: number } = {}): Promise<{ r: MonitorReport; expected: ReturnType<typeof generatePostfixLog>['expected'] }> {
  const g = generatePostfixLog({ start: START, peakPerHour: 240, rfc3339: true, ...o });
  const r = await runMonitor({ inputs: ['-'], source: 'postfix', by: 'provider', baselineMs: extra.baselineMs ?? 7 * DAY, now: Date.now(), stdin: Readable.from([Buffer.from(g.text)]), ...(extra.since !== undefined ? { since: extra.since } : {}), ...(extra.until !== undefined ? { until: extra.until } : {}) });
  return { r, expected: g.expected };
}

const codes = (r: MonitorReport) => r.findings.map((f) => `${f.code}:${(f.evidence as { group?: string; list?: string })?.group ?? (f.evidence as { list?: string })?.list ?? ''}`);

test('clean logs: no findings, for several seeds and both window forms', async () => {
  for (const seed of [1, 2, 3, 4]) {
    const { r, expected } = await monitor({ hours: 24 * 5, seed });
    assert.deepEqual(r.findings, [], `seed ${seed}: ${codes(r).join(', ')}`);
    assert.equal(r.totals.delivered, expected.delivered);
    assert.equal(r.totals.deferred, expected.deferred);
    assert.equal(r.totals.bounced, expected.bounced);
    assert.equal(r.totals.received, expected.received);
    assert.equal(r.totals.rejected, expected.rejected);
  }
  const { r } = await monitor({ hours: 24 * 5, seed: 9 }, { since: START.getTime() + 4 * DAY });
  assert.deepEqual(r.findings, [], codes(r).join(', '));
});

test('a volume spike from one sender domain at 14:00 on day 4 is flagged for that domain, with since and size', async () => {
  const { r } = await monitor({ hours: 24 * 5, seed: 11, spike: { domain: 'news.example', factor: 8, fromHour: 3 * 24 + 14, hours: 1 } });
  const f = r.findings.find((x) => x.code === 'VOLUME_SPIKE' && (x.evidence as { group: string }).group === 'sender:news.example');
  assert.ok(f, codes(r).join(', '));
  assert.equal((f!.evidence as { since: string }).since, '2026-11-05T14:00:00.000Z');
  assert.match(f!.message, /×/);
  assert.match(f!.fix!, /news\.example/);
  // nothing else but the overall volume it also raises
  assert.deepEqual(r.findings.filter((x) => x.code !== 'VOLUME_SPIKE'), [], codes(r).join(', '));
  assert.ok(r.findings.filter((x) => x.code === 'VOLUME_SPIKE').every((x) => ['sender:news.example', 'all'].includes((x.evidence as { group: string }).group)));
});

test('a deferral burst at Gmail is flagged for gmail only, from the hour it started', async () => {
  const { r } = await monitor({ hours: 24 * 5, seed: 12, deferralBurst: { provider: 'gmail', rate: 0.6, fromHour: 4 * 24 + 13, hours: 2 } });
  const d = r.findings.filter((x) => x.code === 'DEFERRAL_RATE_HIGH');
  assert.equal(d.length, 1, codes(r).join(', '));
  assert.equal((d[0]!.evidence as { group: string }).group, 'provider:gmail');
  assert.equal((d[0]!.evidence as { since: string }).since, '2026-11-06T13:00:00.000Z');
  assert.match(d[0]!.message, /95% CI/);
  // the retried deferrals also make mail late at Gmail; nothing at the other providers
  for (const f of r.findings) assert.match((f.evidence as { group: string }).group, /gmail/, codes(r).join(', '));
});

test('a new blocklist reply is flagged with the list, the IP and the command to run', async () => {
  const { r } = await monitor({ hours: 24 * 5, seed: 13, blocklist: { provider: 'microsoft', list: 'zen.spamhaus.org', ip: '203.0.113.5', rate: 0.5, fromHour: 4 * 24 + 9, hours: 1 } });
  const b = r.findings.find((x) => x.code === 'BLOCKLIST_REPLY');
  assert.ok(b, codes(r).join(', '));
  assert.equal(b!.severity, 'error');
  assert.match(b!.message, /^zen\.spamhaus\.org lists 203\.0\.113\.5: \d+ replies from microsoft since 2026-11-06T09/);
  assert.match(b!.fix!, /mailpace-cli blocklist scan 203\.0\.113\.5/);
  const ms = r.providers.find((p) => p.key === 'microsoft')!;
  assert.equal(ms.blocklists[0]!.list, 'zen.spamhaus.org');
  assert.equal(ms.blocklists[0]!.ip, '203.0.113.5');
});

test('the window is judged against history before it: --since keeps the baseline, the totals only the window', async () => {
  const since = START.getTime() + 4 * DAY + 12 * 3_600_000;
  const { r } = await monitor({ hours: 24 * 5, seed: 14, deferralBurst: { provider: 'yahoo', rate: 0.7, fromHour: 4 * 24 + 15, hours: 1 } }, { since });
  assert.equal(r.window.from, new Date(since).toISOString());
  assert.ok(r.hourly.length <= 12);
  assert.ok(r.findings.some((f) => f.code === 'DEFERRAL_RATE_HIGH' && (f.evidence as { group: string }).group === 'provider:yahoo'), codes(r).join(', '));
  assert.ok(r.totals.delivered < 4000);
});

test('four weeks of history: the hour-of-week model (median/MAD) is used, and a clean week stays clean', async () => {
  const { r } = await monitor({ hours: 24 * 29, peakPerHour: 90, seed: 15, spike: { domain: 'billing.example', factor: 30, fromHour: 28 * 24 + 10, hours: 1 } }, { baselineMs: 28 * DAY, since: START.getTime() + 28 * DAY });
  const f = r.findings.find((x) => x.code === 'VOLUME_SPIKE' && (x.evidence as { group: string }).group === 'sender:billing.example');
  assert.ok(f, codes(r).join(', '));
  assert.equal((f!.evidence as { model: string }).model, 'hour-of-week');
  const clean = await monitor({ hours: 24 * 29, peakPerHour: 90, seed: 16 }, { baselineMs: 28 * DAY, since: START.getTime() + 28 * DAY });
  assert.deepEqual(clean.r.findings, [], codes(clean.r).join(', '));
});

test('fixed thresholds: a window with 8% bounces is a BOUNCE_RATE_HIGH warning even without history', async () => {
  const g = generatePostfixLog({ start: START, hours: 3, peakPerHour: 300, seed: 17, blocklist: { provider: 'gmail', list: 'bl.spamcop.net', ip: '203.0.113.7', rate: 0.2, fromHour: 0, hours: 3 } });
  const r = await runMonitor({ inputs: ['-'], source: 'postfix', by: 'provider', baselineMs: 7 * DAY, now: Date.now(), year: 2026, stdin: Readable.from([Buffer.from(g.text)]) });
  const b = r.findings.filter((f) => f.code === 'BOUNCE_RATE_HIGH');
  assert.ok(b.length >= 1, codes(r).join(', '));
  assert.ok(r.findings.some((f) => f.code === 'BLOCKLIST_REPLY' && /bl\.spamcop\.net lists 203\.0\.113\.7/.test(f.message)));
});
