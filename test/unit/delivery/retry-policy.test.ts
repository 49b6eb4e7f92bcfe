import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffMs, DestinationThrottle, nextRetry, softBounceSuppresses, DEFAULT_RETRY_POLICY } from '../../../src/core/delivery/retry-policy.js';
import { dotStuff } from '../../../src/core/smtp/dot-stuff.js';
import { parseRelayUrl, shuffleEqualPriorities } from '../../../src/core/delivery/route.js';

const MIN = 60_000;

test('back-off doubles from the first gap and stops at the largest (5m,1h → 5,10,20,40,60,60)', () => {
  const p = { firstBackoffMs: 5 * MIN, maxBackoffMs: 60 * MIN };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50, 5000].map((n) => backoffMs(p, n) / MIN), [5, 10, 20, 40, 60, 60, 60, 60]);
  assert.equal(backoffMs({ firstBackoffMs: 1.5, maxBackoffMs: 1e9 }, 3), 6, 'float milliseconds');
});

test('the schedule of a message that keeps getting 4xx: retries until the queue lifetime, the last one at the expiry', () => {
  const policy = { ...DEFAULT_RETRY_POLICY }; // 5m,1h, max age 2h
  const created = 0;
  const times = [0];
  let now = 0;
  for (let n = 1; n < 20; n++) {
    const d = nextRetry(policy, { deferrals: n, createdAt: created, expiresAt: created + policy.maxAgeMs }, {}, now);
    if (d.kind === 'expire') break;
    now = d.at;
    times.push(now);
  }
  assert.deepEqual(times.map((t) => t / MIN), [0, 5, 15, 35, 75, 120]);
  assert.equal(nextRetry(policy, { deferrals: 6, createdAt: 0, expiresAt: 120 * MIN }, {}, 120 * MIN).kind, 'expire');
});

test('greylisting is never retried before the greylist delay; a receiver-given wait and a destination hold win when longer', () => {
  const policy = { firstBackoffMs: MIN, maxBackoffMs: 60 * MIN, greylistDelayMs: 5 * MIN, maxAgeMs: 24 * 60 * MIN };
  const st = { deferrals: 1, createdAt: 0, expiresAt: 24 * 60 * MIN };
  assert.equal((nextRetry(policy, st, { greylisted: true }, 0) as { at: number }).at, 5 * MIN);
  assert.equal((nextRetry(policy, st, {}, 0) as { at: number }).at, MIN);
  assert.equal((nextRetry(policy, st, { retryAfterMs: 10 * MIN }, 0) as { at: number }).at, 10 * MIN);
  assert.equal((nextRetry(policy, st, { retryAfterMs: 10 * 24 * 60 * MIN }, 0) as { at: number }).at, 24 * 60 * MIN, 'capped at a day, then at the expiry');
  assert.equal((nextRetry(policy, { ...st, destinationNotBefore: 30 * MIN }, {}, 0) as { at: number }).at, 30 * MIN);
});

test('destination throttle: consecutive strikes double the hold; a success clears it', () => {
  const t = new DestinationThrottle({ firstBackoffMs: MIN, maxBackoffMs: 8 * MIN });
  assert.equal(t.notBefore('gmail.com', 0), undefined);
  assert.equal(t.strike('gmail.com', 0), MIN);
  assert.equal(t.notBefore('gmail.com', 30_000), MIN);
  assert.equal(t.notBefore('gmail.com', MIN), undefined);
  assert.equal(t.strike('gmail.com', MIN), 3 * MIN);
  assert.equal(t.strike('gmail.com', 3 * MIN, 20 * MIN), 23 * MIN, 'a longer receiver-given wait wins');
  t.clear('gmail.com', 4 * MIN);
  assert.equal(t.notBefore('gmail.com', 4 * MIN), 23 * MIN, 'a success in flight during the hold does not lift it');
  t.clear('gmail.com', 23 * MIN);
  assert.equal(t.strike('gmail.com', 23 * MIN), 24 * MIN, 'after the hold, strikes start again');
});

test('mailbox full suppresses only after 3 bounces spread over at least 3 days', () => {
  const D = 86_400_000;
  assert.equal(softBounceSuppresses([0, D, 2 * D]), false);
  assert.equal(softBounceSuppresses([0, 3 * D]), false);
  assert.equal(softBounceSuppresses([0, D, 3 * D]), true);
  assert.equal(softBounceSuppresses([3 * D, 0, 0]), true);
});

test('dot-stuffing: leading dots doubled, bare LF/CR become CRLF, terminator added', () => {
  const out = (s: string) => dotStuff(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(out('a\r\n.b\r\n'), 'a\r\n..b\r\n.\r\n');
  assert.equal(out('.start\nmid\r.x\n..y'), '..start\r\nmid\r\n..x\r\n...y\r\n.\r\n');
  assert.equal(out(''), '.\r\n');
  assert.equal(out('no end'), 'no end\r\n.\r\n');
});

test('equal MX priorities are shuffled among themselves only', () => {
  const hosts = [1, 10, 10, 10, 20, 20].map((priority, i) => ({ priority, host: `h${i}` }));
  let k = 0;
  const rnd = () => [0.9, 0.1, 0.5, 0.2][k++ % 4]!;
  const out = shuffleEqualPriorities([...hosts], rnd);
  assert.deepEqual(out.map((h) => h.priority), [1, 10, 10, 10, 20, 20]);
  assert.deepEqual(new Set(out.slice(1, 4).map((h) => h.host)), new Set(['h1', 'h2', 'h3']));
  assert.notDeepEqual(out.map((h) => h.host), hosts.map((h) => h.host), 'the order changed');
});

test('relay URLs: default ports per RFC 6409/8314, no credentials in argv', () => {
  assert.deepEqual(parseRelayUrl('smtp://relay.example.com'), { host: 'relay.example.com', port: 587, secure: false });
  assert.deepEqual(parseRelayUrl('smtps://relay.example.com'), { host: 'relay.example.com', port: 465, secure: true });
  assert.deepEqual(parseRelayUrl('smtp://[::1]:2525'), { host: '::1', port: 2525, secure: false });
  assert.match((parseRelayUrl('smtp://u:p@relay') as { error: string }).error, /credentials/);
  assert.match((parseRelayUrl('https://relay') as { error: string }).error, /scheme/);
  assert.match((parseRelayUrl('relay:25') as { error: string }).error, /scheme|URL/);
});
