import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fetchMailbox, type MailboxSearch, type RemoteMailbox } from '../../../src/core/bounce/mailbox-fetch.js';

/** A mailbox in memory that records every call, in order. */
function fakeMailbox(uids: number[]): RemoteMailbox & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async search(q: MailboxSearch) {
      calls.push(`search unseen=${q.unseenOnly}${q.since ? ` since=${q.since.toISOString().slice(0, 10)}` : ''}`);
      return uids;
    },
    async *fetch(chunk) {
      calls.push(`fetch ${chunk.join(',')}`);
      for (const uid of chunk) yield { uid, raw: Buffer.from(`Subject: ${uid}\r\n\r\n`) };
    },
    async markSeen(chunk) {
      calls.push(`seen ${chunk.join(',')}`);
    },
    async move(chunk, folder) {
      calls.push(`move ${chunk.join(',')} ${folder}`);
    },
  };
}

test('fetchMailbox: chunks of UIDs; each chunk handled before its messages are flagged and moved; only handled ones', async () => {
  const box = fakeMailbox([3, 5, 8, 9, 12]);
  const seen: string[] = [];
  const totals = await fetchMailbox(box, { search: { unseenOnly: true, since: new Date('2026-11-30T00:00:00Z') }, markSeen: true, moveTo: 'Done', chunk: 2 }, (uid) => `box/;UID=${uid}`, async (src) => {
    seen.push(src.file);
    box.calls.push(`handle ${src.uid}`);
    return src.uid !== 8; // 8 is a person's reply: left alone
  });
  assert.deepEqual(totals, { found: 5, fetched: 5, markedSeen: 4, moved: 4 });
  assert.deepEqual(seen, ['box/;UID=3', 'box/;UID=5', 'box/;UID=8', 'box/;UID=9', 'box/;UID=12']);
  assert.deepEqual(box.calls, [
    'search unseen=true since=2026-11-30',
    'fetch 3,5', 'handle 3', 'handle 5', 'seen 3,5', 'move 3,5 Done',
    'fetch 8,9', 'handle 8', 'handle 9', 'seen 9', 'move 9 Done',
    'fetch 12', 'handle 12', 'seen 12', 'move 12 Done',
  ]);
});

test('fetchMailbox: a read-only plan changes nothing; a failing handler stops before any flag is set', async () => {
  const box = fakeMailbox([1, 2]);
  const totals = await fetchMailbox(box, { search: { unseenOnly: false }, markSeen: false }, String, async () => true);
  assert.deepEqual(totals, { found: 2, fetched: 2, markedSeen: 0, moved: 0 });
  assert.deepEqual(box.calls, ['search unseen=false', 'fetch 1,2']);

  const failing = fakeMailbox([1, 2]);
  await assert.rejects(
    fetchMailbox(failing, { search: { unseenOnly: true }, markSeen: true, moveTo: 'Done' }, String, async (src) => {
      if (src.uid === 2) throw new Error('store is gone');
      return true;
    }),
    /store is gone/,
  );
  assert.ok(!failing.calls.some((c) => c.startsWith('seen') || c.startsWith('move')), failing.calls.join('; '));
});
