import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { BlocklistResult } from '../../../src/core/blocklist/query.js';
import { LiveFeed, startBlocklistLive } from '../../../src/render/blocklist-live.js';

function result(i: number, status: BlocklistResult['status']): BlocklistResult {
  return {
    target: `192.0.2.${i}`,
    targetKind: 'ipv4',
    zone: 'zen.spamhaus.org',
    list: 'Spamhaus ZEN',
    listId: 'spamhaus-zen',
    status,
    codes: status === 'listed' ? ['127.0.0.2'] : [],
    meanings: status === 'listed' ? ['SBL: spam source'] : [],
    txt: null,
    removalUrl: null,
  };
}

test('the feed counts answers by status and keeps a bounded list of listings', () => {
  const feed = new LiveFeed('scan', 40, 0);
  let calls = 0;
  const unsubscribe = feed.subscribe(() => calls++);
  for (let i = 0; i < 40; i++) feed.add(result(i, i % 3 === 0 ? 'listed' : i % 3 === 1 ? 'clean' : 'error'), i + 1);
  unsubscribe();
  feed.add(result(99, 'timeout'), 41);
  const s = feed.snapshot();
  assert.equal(calls, 40);
  assert.equal(s.done, 41);
  assert.equal(s.listed, 14);
  assert.equal(s.errors, 13);
  assert.equal(s.timeouts, 1);
  assert.equal(s.listings.length, 10);
  assert.equal(s.moreListings, 4);
  assert.equal(s.latest.length, 5);
  assert.equal(s.latest[4]!.target, '192.0.2.99');
});

test('with a frame interval, listeners are told once per frame, and at once on flush', () => {
  const feed = new LiveFeed('scan', 10, 60_000);
  let calls = 0;
  feed.subscribe(() => calls++);
  for (let i = 0; i < 10; i++) feed.add(result(i, 'clean'), i + 1);
  assert.equal(calls, 0);
  assert.equal(feed.snapshot().done, 10);
  feed.flush();
  assert.equal(calls, 1);
});

test('the ink view renders the counter and rows as answers arrive', async () => {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    }),
    { isTTY: true, columns: 120, rows: 40 },
  ) as unknown as NodeJS.WriteStream;
  const live = startBlocklistLive(stream, 'Scanning 3 targets against 1 list', 3, { debug: true });
  live.onResult(result(1, 'clean'), 1);
  live.onResult(result(2, 'listed'), 2);
  live.onResult(result(3, 'timeout'), 3);
  await live.stop();
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  assert.match(plain, /Scanning 3 targets against 1 list/);
  assert.match(plain, /3\/3 answered · 1 listed · 0 errors · 1 timeouts/);
  assert.match(plain, /listed so far/);
  assert.match(plain, /✗ 192\.0\.2\.2 Spamhaus ZEN SBL: spam source/);
  assert.match(plain, /… 192\.0\.2\.3 Spamhaus ZEN timed out/);
});
