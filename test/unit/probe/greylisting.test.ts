import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.js';
import { parseReply, type SmtpReply } from '../../../src/core/smtp/reply.js';
import { GREYLIST_PATTERNS, greylistRetrySchedule, matchGreylisting, retryUntilAccepted } from '../../../src/core/probe/greylisting.js';

// Real wordings: each must be recognised by the pattern named.
const GREYLISTED: [string, string][] = [
  ['450 4.2.0 <postmaster@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html', 'greylist-word'],
  ['451 4.7.1 Greylisting in action, please come back later', 'greylist-word'],
  ['450 4.7.1 Greylisted for 5 minutes (1)', 'greylist-word'],
  ['451 4.7.1 Try again later', 'try-again-later'],
  ['451 Temporary failure, please try again later.', 'try-again-later'],
  ['451 Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451', 'mimecast-greylisting'],
  ['450 4.3.2 Service currently unavailable', 'postscreen-after-220'],
  ['451 4.7.1 Temporary rejection, retry', 'temporary-policy-deferral'],
  ['450-4.2.0 Message deferred\r\n450 4.2.0 see our policy page', 'temporary-policy-deferral'],
];

const NOT_GREYLISTED = [
  '250 2.1.5 Ok',
  '550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown',
  '554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
  '452 4.3.1 Insufficient system storage',
  '421 4.7.0 Too many connections',
  '451 4.3.0 Error: queue file write error',
  '450 4.1.8 <probe@example.net>: Sender address rejected: Domain not found',
  '550 5.7.1 Greylisted forever (a permanent reply is never greylisting)',
];

test('greylisting replies are recognised, with the pattern that matched', () => {
  for (const [raw, id] of GREYLISTED) {
    const p = matchGreylisting(parseReply(raw));
    assert.equal(p?.id, id, raw);
  }
});

test('other replies are not taken for greylisting', () => {
  for (const raw of NOT_GREYLISTED) assert.equal(matchGreylisting(parseReply(raw)), undefined, raw);
});

test('every pattern names its source and only covers 4xx codes', () => {
  for (const p of GREYLIST_PATTERNS) {
    assert.ok(p.source.length > 10, p.id);
    assert.ok(p.codes.every((c) => c >= 400 && c < 500), p.id);
  }
});

test('retry schedule: growing gaps, capped, last attempt exactly at the end of the wait', () => {
  assert.deepEqual(greylistRetrySchedule(0), []);
  assert.deepEqual(greylistRetrySchedule(-5), []);
  assert.deepEqual(greylistRetrySchedule(1000), [1000]);
  assert.deepEqual(greylistRetrySchedule(10_000), [2000, 5000, 9500, 10_000]);
  const s = greylistRetrySchedule(15 * 60_000);
  assert.equal(s[s.length - 1], 15 * 60_000);
  for (let i = 1; i < s.length; i++) {
    assert.ok(s[i]! > s[i - 1]!, 'strictly increasing');
    assert.ok(s[i]! - s[i - 1]! <= 60_000 + 1e-9, 'gaps never exceed the cap');
  }
  // float arithmetic, no rounding: 2000 * 1.5^n
  assert.deepEqual(greylistRetrySchedule(30_000, { firstMs: 1000, factor: 2, maxGapMs: 4000 }), [1000, 3000, 7000, 11_000, 15_000, 19_000, 23_000, 27_000, 30_000]);
});

function replies(...raw: string[]): () => Promise<SmtpReply> {
  let i = 0;
  return async () => {
    const r = raw[Math.min(i++, raw.length - 1)]!;
    if (r === 'throw') throw new Error('connection refused');
    return parseReply(r);
  };
}

/** Runs retryUntilAccepted on a fake clock, advancing it whenever the retry loop sleeps. */
async function onFakeClock<T>(clock: FakeClock, run: Promise<T>): Promise<T> {
  let settled = false;
  void run.finally(() => (settled = true));
  while (!settled) {
    await new Promise((r) => setImmediate(r));
    if (clock.pending > 0) await clock.advance(60_000);
  }
  return run;
}

test('retries on the schedule until accepted; reports when, and the last refusal before it', async () => {
  const clock = new FakeClock(1_000_000);
  const first = clock.now();
  const out = await onFakeClock(clock, retryUntilAccepted(replies('450 4.2.0 Greylisted', '450 4.2.0 Greylisted', '250 2.1.5 Ok'), { clock, waitMs: 60_000, firstRefusalAt: first }));
  assert.equal(out.accepted, true);
  assert.equal(out.attempts, 3);
  assert.equal(out.acceptedAfterMs, 9500);
  assert.equal(out.lastRefusedAfterMs, 5000);
});

test('gives up when the wait runs out, and on a permanent failure; a failed attempt is counted and retried', async () => {
  const clock = new FakeClock(0);
  const never = await onFakeClock(clock, retryUntilAccepted(replies('450 4.2.0 Greylisted'), { clock, waitMs: 10_000, firstRefusalAt: 0 }));
  assert.equal(never.accepted, false);
  assert.equal(never.attempts, 4);
  assert.equal(never.lastRefusedAfterMs, 10_000);
  assert.equal(never.permanentFailure, undefined);

  const clock2 = new FakeClock(0);
  const perm = await onFakeClock(clock2, retryUntilAccepted(replies('throw', '550 5.1.1 no such user'), { clock: clock2, waitMs: 60_000, firstRefusalAt: 0 }));
  assert.equal(perm.accepted, false);
  assert.equal(perm.permanentFailure, true);
  assert.equal(perm.attempts, 2);
  assert.deepEqual(perm.errors, ['connection refused']);
  assert.equal(perm.lastReply?.code, 550);
});

test('no wait, no retries; an abort signal stops the sleeping', async () => {
  const clock = new FakeClock(0);
  const none = await retryUntilAccepted(replies('250 ok'), { clock, waitMs: 0, firstRefusalAt: 0 });
  assert.deepEqual(none, { accepted: false, attempts: 0, errors: [] });
  const ac = new AbortController();
  const p = retryUntilAccepted(replies('450 4.2.0 Greylisted'), { clock, waitMs: 60_000, firstRefusalAt: 0, signal: ac.signal });
  ac.abort(new Error('stop'));
  await assert.rejects(p, /stop/);
});
