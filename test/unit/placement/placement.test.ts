import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.js';
import { parseHeaderBlock } from '../../../src/core/score/mime-structure.js';
import { parseAuthenticationResults, receivedHops, spamHeaders } from '../../../src/core/placement/received-headers.js';
import { foldersToWatch, placementExitCode, placementOf, summarise, watchSeed, type SeedMailbox, type SeedResult } from '../../../src/core/placement/placement.js';
import { parseSeeds } from '../../../src/core/placement/seeds.js';
import { placementCsv, placementDocument } from '../../../src/render/placement.js';

const fields = (text: string) => parseHeaderBlock(text.replace(/\n/g, '\r\n'), 0).headers;

test('Authentication-Results: the topmost field only, comments ignored, a pass among several results wins', () => {
  const h = fields(
    'Authentication-Results: mx.google.com;\n' +
      '       dkim=neutral (body hash did not verify) header.i=@example.com header.s=s1;\n' +
      '       dkim=pass header.i=@example.com header.s=s2;\n' +
      '       spf=softfail (google.com: domain of transitioning a@example.com does not designate 203.0.113.5 as permitted sender) smtp.mailfrom=a@example.com;\n' +
      '       dmarc=fail (p=QUARANTINE sp=NONE dis=QUARANTINE) header.from=example.com; arc=none\n' +
      'Authentication-Results: forged.example; spf=pass; dkim=pass; dmarc=pass\n' +
      'Subject: x\n\n',
  );
  assert.deepEqual(parseAuthenticationResults(h), { authservId: 'mx.google.com', spf: 'softfail', dkim: 'pass', dmarc: 'fail', arc: 'none' });
  assert.deepEqual(parseAuthenticationResults(fields('Subject: x\n\n')), { authservId: null, spf: null, dkim: null, dmarc: null, arc: null });
  // RFC 8601 §2.2: "none" as the only result, and a version after the authserv-id
  assert.deepEqual(parseAuthenticationResults(fields('Authentication-Results: mx.example.org 1; none\n\n')), { authservId: 'mx.example.org', spf: null, dkim: null, dmarc: null, arc: null });
});

test('spam headers: the known filters, first value each, whitespace folded', () => {
  const h = fields('X-Spam-Status: Yes, score=7.1\n  required=5.0\nX-Rspamd-Score: 6.2\nX-MS-Exchange-Organization-SCL: 5\nX-Spam-Status: No\nX-Mailer: x\n\n');
  assert.deepEqual(spamHeaders(h), { 'x-spam-status': 'Yes, score=7.1 required=5.0', 'x-rspamd-score': '6.2', 'x-ms-exchange-organization-scl': '5' });
});

test('Received hops: oldest first, delays between their own timestamps', () => {
  const h = fields(
    'Received: from mx.example.org by imap.example.org (Dovecot) with LMTP id abc; Tue, 01 Dec 2026 20:00:03 +0000\n' +
      'Received: from client.example.com (client.example.com [192.0.2.1])\n  by mx.example.org (Postfix) with ESMTPS id 1; Tue, 01 Dec 2026 20:00:01 +0000\n' +
      'Received: by localhost; not a date\n\n',
  );
  assert.deepEqual(receivedHops(h), [
    { from: null, by: 'localhost', with: null, at: null, delayMs: null },
    { from: 'client.example.com', by: 'mx.example.org', with: 'ESMTPS', at: '2026-12-01T20:00:01.000Z', delayMs: null },
    { from: 'mx.example.org', by: 'imap.example.org', with: 'LMTP', at: '2026-12-01T20:00:03.000Z', delayMs: 2000 },
  ]);
});

const result = (provider: string, placement: SeedResult['placement'], t: number | null = null, extra: Partial<SeedResult> = {}): SeedResult => ({
  address: `${Math.random()}@x.example`, provider, placement, folder: null, timeToInboxMs: t, timeFromSendStartMs: null, sendStartedAt: null, acceptedAt: null, foundAt: null, storedAt: null, token: 't',
  authentication: { spf: null, dkim: null, dmarc: null, arc: null }, authservId: null, spamHeaders: {}, hops: [], send: { status: 'delivered', attempts: 1, reply: null }, watch: 'poll', cleanedUp: false, error: null, ...extra,
});

test('summary per provider and the exit code', () => {
  const rs = [result('gmail', 'inbox', 1000), result('gmail', 'inbox', 3000), result('gmail', 'spam', 2000), result('gmail', 'other:Promotions', 500), result('outlook', 'missing'), result('outlook', 'bounced')];
  const s = summarise(rs).providers;
  assert.deepEqual(s.gmail, { seeds: 4, inbox: 2, spam: 1, other: 1, missing: 0, bounced: 0, unknown: 0, inboxRate: 0.5, spamRate: 0.25, p50Ms: 1000, p95Ms: 3000 });
  assert.deepEqual(s.outlook, { seeds: 2, inbox: 0, spam: 0, other: 0, missing: 1, bounced: 1, unknown: 0, inboxRate: 0, spamRate: 0, p50Ms: null, p95Ms: null });
  assert.equal(placementExitCode(rs), 1);
  assert.equal(placementExitCode([result('a', 'inbox', 1)]), 0);
  assert.equal(placementExitCode([result('a', 'inbox', 1), result('a', 'unknown', null, { error: 'IMAP: down', send: { status: 'not-sent', attempts: 0, reply: null } })]), 3);
  assert.equal(placementExitCode([result('a', 'other:Updates', 1)]), 1);
});

test('placementOf: inbox case-insensitively (RFC 9051 §5.1), spam by name, anything else other:<folder>', () => {
  assert.equal(placementOf('INBOX', 'inbox', 'Junk'), 'inbox');
  assert.equal(placementOf('Junk', 'INBOX', 'Junk'), 'spam');
  assert.equal(placementOf('Archive', 'INBOX', 'Junk'), 'other:Archive');
  assert.equal(placementOf('Junk', 'INBOX', null), 'other:Junk');
});

/** Lets the watcher run its (promise-based) IMAP steps until it sleeps on the clock again. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A mailbox where the copy appears in `folder` at time `at`. */
function fakeMailbox(clock: FakeClock, folder: string, at: number, list = ['INBOX', 'Junk', 'Archive']): SeedMailbox & { searches: string[]; deleted: number[] } {
  let selected = '';
  const mb = {
    searches: [] as string[],
    deleted: [] as number[],
    listMailboxes: async () => list.map((path) => ({ path, specialUse: path === 'Junk' ? '\\Junk' : null })),
    select: async (m: string) => void (selected = m),
    searchHeader: async (_n: string, token: string) => {
      mb.searches.push(`${clock.now()}:${selected}`);
      return selected === folder && clock.now() >= at && token === 'tok' ? [42] : [];
    },
    fetchHeaders: async () => ({ headers: Buffer.from('Subject: x\r\n\r\n'), internalDate: new Date(at) }),
    deleteMessages: async (uids: readonly number[]) => void mb.deleted.push(...uids),
  };
  return mb;
}

test('watchSeed polls every folder each --poll until the copy appears; the spam folder found by \\Junk', async () => {
  const clock = new FakeClock(0);
  const mb = fakeMailbox(clock, 'Junk', 12_000);
  const [seed] = parseSeeds(JSON.stringify([{ address: 's@x.example', imap: 'imaps://s@127.0.0.1' }]), 'seeds.json');
  const w = await foldersToWatch(mb, seed!);
  assert.deepEqual(w, { inbox: 'INBOX', spam: 'Junk', order: ['INBOX', 'Junk', 'Archive'] });
  const p = watchSeed(mb, w.order, 'tok', { clock, pollMs: 5000, deadline: 60_000, readOnly: false });
  for (let i = 0; i < 4; i++) await settle().then(() => clock.advance(5000));
  const found = await p;
  assert.equal(found?.folder, 'Junk');
  assert.equal(found?.uid, 42);
  assert.equal(found?.foundAt, 15_000);
  assert.deepEqual(mb.searches, ['0:INBOX', '0:Junk', '0:Archive', '5000:INBOX', '5000:Junk', '5000:Archive', '10000:INBOX', '10000:Junk', '10000:Archive', '15000:INBOX', '15000:Junk']);
});

test('watchSeed gives up at the deadline (the last wait is shortened to it)', async () => {
  const clock = new FakeClock(0);
  const mb = fakeMailbox(clock, 'INBOX', Infinity, ['INBOX']);
  const p = watchSeed(mb, ['INBOX'], 'tok', { clock, pollMs: 4000, deadline: 10_000, readOnly: true });
  for (let i = 0; i < 4; i++) await settle().then(() => clock.advance(4000));
  assert.equal(await p, null);
  assert.deepEqual(mb.searches, ['0:INBOX', '4000:INBOX', '8000:INBOX', '10000:INBOX']);
});

test('watchSeed IDLEs on the inbox between rounds when the server offers IDLE, never sleeping on the clock', async () => {
  const clock = new FakeClock(0);
  const mb = fakeMailbox(clock, 'INBOX', 0, ['INBOX', 'Junk']);
  let rounds = 0;
  const idles: string[] = [];
  const searchHeader = mb.searchHeader;
  // the copy arrives during the second IDLE
  Object.assign(mb, {
    canIdle: true,
    searchHeader: async (n: string, t: string) => (rounds >= 2 ? searchHeader(n, t) : []),
    idleFor: async (ms: number) => {
      idles.push(`${ms}:${mb.searches.length}`);
      rounds++;
      return rounds >= 2;
    },
  });
  const found = await watchSeed(mb, ['INBOX', 'Junk'], 'tok', { clock, pollMs: 5000, deadline: 60_000, readOnly: false });
  assert.equal(found?.folder, 'INBOX');
  assert.deepEqual(idles, ['5000:0', '5000:0']);
  assert.equal(clock.now(), 0, 'no clock sleep: IDLE did the waiting');
});

test('watchSeed with a spam watch: a second login IDLEs on the spam folder; news there ends both waits', async () => {
  const clock = new FakeClock(0);
  const mb = fakeMailbox(clock, 'Junk', 0, ['INBOX', 'Junk']);
  const spamBox = fakeMailbox(clock, 'Junk', 0, ['INBOX', 'Junk']);
  let rounds = 0;
  const log: string[] = [];
  const searchHeader = mb.searchHeader;
  // the inbox IDLE would last the whole --poll; the spam IDLE hears the copy and the abort ends the inbox one
  Object.assign(mb, {
    canIdle: true,
    searchHeader: async (n: string, t: string) => (rounds >= 1 ? searchHeader(n, t) : []),
    idleFor: (ms: number, signal?: AbortSignal) =>
      new Promise<boolean>((resolve) => {
        log.push(`inbox idle ${ms}`);
        signal?.addEventListener('abort', () => {
          log.push('inbox idle ended');
          resolve(false);
        });
      }),
  });
  Object.assign(spamBox, {
    canIdle: true,
    select: async (folder: string, readOnly: boolean) => void log.push(`spam select ${folder} ${readOnly}`),
    idleFor: async (ms: number) => {
      log.push(`spam idle ${ms}`);
      rounds++;
      return true;
    },
  });
  const found = await watchSeed(mb, ['INBOX', 'Junk'], 'tok', { clock, pollMs: 30_000, deadline: 600_000, readOnly: false, spam: { box: spamBox, folder: 'Junk' } });
  assert.equal(found?.folder, 'Junk');
  assert.deepEqual(log, ['spam select Junk true', 'inbox idle 30000', 'spam idle 30000', 'inbox idle ended']);
  assert.equal(clock.now(), 0);
});

test('--format csv: a header and one row per seed, fields quoted where RFC 4180 needs it', () => {
  const rs = [
    result('gmail', 'inbox', 2100, { address: 'a@x.example', folder: 'INBOX', acceptedAt: '2026-12-01T20:00:00.000Z', foundAt: '2026-12-01T20:00:02.100Z', authentication: { spf: 'pass', dkim: 'pass', dmarc: 'pass', arc: null }, send: { status: 'delivered', attempts: 1, reply: { code: 250, enhanced: '2.0.0', text: 'OK, queued' } }, watch: 'idle', cleanedUp: true }),
    result('outlook', 'bounced', null, { address: 'b@y.example', send: { status: 'bounced', attempts: 1, reply: { code: 550, enhanced: '5.1.1', text: 'User "b" unknown' } }, watch: null }),
  ];
  const doc = placementDocument('<m@x.example>', rs, summarise(rs), { id: 'r1', number: 1, startedAt: '2026-12-01T20:00:00.000Z', finishedAt: '2026-12-01T20:00:05.000Z' });
  const csv = placementCsv(doc);
  assert.equal(placementCsv(doc, false), csv.slice(csv.indexOf('\r\n') + 2), 'later runs of --every: rows without the header');
  assert.equal(
    csv,
    'address,provider,placement,folder,timeToInboxMs,timeFromSendStartMs,acceptedAt,foundAt,spf,dkim,dmarc,arc,sendStatus,replyCode,replyText,watch,cleanedUp,error,runId,runNumber\r\n' +
      'a@x.example,gmail,inbox,INBOX,2100,,2026-12-01T20:00:00.000Z,2026-12-01T20:00:02.100Z,pass,pass,pass,,delivered,250,"OK, queued",idle,true,,r1,1\r\n' +
      'b@y.example,outlook,bounced,,,,,,,,,,bounced,550,"User ""b"" unknown",,false,,r1,1\r\n',
  );
});
