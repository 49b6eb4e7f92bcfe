/**
 * The Store contract: every implementation (memory, SQLite, PostgreSQL) must pass these.
 * `make` returns a fresh, empty store; `reopen` (when given) reopens the same data.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlacementRun, QueuedMessage, Store, Suppression } from '../../src/core/store/store.js';

export function queued(id: string, recipients: string[], over: Partial<QueuedMessage> = {}): QueuedMessage {
  return {
    id,
    messageId: `<${id}@example.com>`,
    sender: 'sender@example.com',
    raw: Buffer.from(`Message-ID: <${id}@example.com>\r\nFrom: sender@example.com\r\n\r\nhello ${id}\r\n`),
    createdAt: 1000,
    expiresAt: 1000 + 7_200_000,
    options: { helo: 'client.example.com', nested: { a: 1 } },
    recipients: recipients.map((r) => ({ recipient: r, domain: r.split('@')[1]!.toLowerCase(), status: 'queued', attempts: 0, nextAttemptAt: 1000 })),
    ...over,
  };
}

export function storeContract(name: string, make: () => Promise<Store>): void {
  test(`${name}: suppression list (case-insensitive, upsert, batch lookup, filter)`, async () => {
    const store = await make();
    try {
      await store.addSuppression({ address: 'Bob@Example.com', reason: 'hard-bounce', detail: '550 5.1.1', source: 'send', createdAt: 1000 });
      await store.addSuppression({ address: 'amy@example.com', reason: 'complaint', createdAt: 2000 });
      assert.equal((await store.getSuppression('bob@example.COM'))?.reason, 'hard-bounce');
      assert.equal((await store.getSuppression('bob@example.com'))?.detail, '550 5.1.1');
      assert.equal((await store.getSuppression('bob@example.com'))?.source, 'send');
      const among = await store.suppressedAmong(['AMY@example.com', 'nobody@example.com', 'bob@example.com']);
      assert.deepEqual([...among.keys()].sort(), ['amy@example.com', 'bob@example.com']);
      assert.equal((await store.suppressedAmong([])).size, 0);
      await store.addSuppression({ address: 'bob@example.com', reason: 'manual', createdAt: 3000 });
      assert.deepEqual((await store.listSuppressions()).map((s) => [s.address, s.reason]), [['amy@example.com', 'complaint'], ['bob@example.com', 'manual']]);
      assert.deepEqual((await store.listSuppressions({ reason: 'complaint' })).map((s) => s.address), ['amy@example.com']);
      assert.equal(await store.removeSuppression('AMY@example.com'), true);
      assert.equal(await store.removeSuppression('amy@example.com'), false);
    } finally {
      await store.close();
    }
  });

  test(`${name}: batch suppressions — one call, normalised, a later duplicate wins, awkward text kept`, async () => {
    const store = await make();
    try {
      await store.addSuppression({ address: 'old@example.com', reason: 'manual', createdAt: 1 });
      const list: Suppression[] = Array.from({ length: 2500 }, (_, i) => ({ address: `User${i}@Example.com`, reason: 'hard-bounce', source: 'import', createdAt: 100 + i }));
      list.push({ address: 'old@example.com', reason: 'complaint', detail: 'tab\there, newline\nthere, back\\slash, "quoted", ünïcode', source: 'import', createdAt: 5 });
      list.push({ address: 'user7@example.com', reason: 'unsubscribe', source: 'import', createdAt: 9 });
      await store.addSuppressions(list);
      await store.addSuppressions([]);
      assert.equal((await store.listSuppressions()).length, 2501);
      const old = await store.getSuppression('OLD@example.com');
      assert.equal(old?.reason, 'complaint');
      assert.equal(old?.detail, 'tab\there, newline\nthere, back\\slash, "quoted", ünïcode');
      assert.equal((await store.getSuppression('user7@example.com'))?.reason, 'unsubscribe');
      assert.equal((await store.getSuppression('user8@example.com'))?.createdAt, 108);
      assert.equal((await store.getSuppression('user8@example.com'))?.detail, undefined);
      const among = await store.suppressedAmong(['user1@example.com', 'USER2499@EXAMPLE.COM', 'none@example.com']);
      assert.deepEqual([...among.keys()].sort(), ['user1@example.com', 'user2499@example.com']);
    } finally {
      await store.close();
    }
  });

  test(`${name}: batch log rows keep their order and every field`, async () => {
    const store = await make();
    try {
      await store.logDeliveries([
        { messageId: '<a@x>', recipient: 'A@example.com', status: 'deferred', at: 50, queueId: 'q1', replyCode: 451, enhancedCode: '4.7.1', response: 'later' },
        { messageId: '<a@x>', recipient: 'a@example.com', status: 'delivered', at: 50, queueId: 'q1', mx: 'mx.example.com', address: '192.0.2.1', port: 25, tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' }, classification: { reason: 'delivered', hard: false, suppress: false, retry: false } },
      ]);
      await store.logDeliveries([]);
      const rows = await store.listDeliveries();
      assert.deepEqual(rows.map((r) => r.status), ['delivered', 'deferred'], 'same time: the later row is newer');
      assert.equal(rows[0]!.recipient, 'a@example.com');
      assert.deepEqual(rows[0]!.tls, { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
      assert.equal(rows[0]!.classification?.reason, 'delivered');
      assert.equal(rows[1]!.response, 'later');
      assert.equal(rows[1]!.enhancedCode, '4.7.1');
    } finally {
      await store.close();
    }
  });

  test(`${name}: delivery log (newest first, filters, TLS and classification kept)`, async () => {
    const store = await make();
    try {
      const id1 = await store.logDelivery({ messageId: '<1@x>', recipient: 'Bob@example.com', status: 'deferred', replyCode: 451, enhancedCode: '4.7.1', at: 10, queueId: 'q1' });
      const id2 = await store.logDelivery({
        messageId: '<1@x>',
        recipient: 'bob@example.com',
        status: 'delivered',
        replyCode: 250,
        at: 20,
        mx: 'mx.example.com',
        address: '192.0.2.1',
        port: 25,
        tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
        classification: { reason: 'delivered', hard: false, suppress: false, retry: false },
      });
      await store.logDelivery({ messageId: '<2@x>', recipient: 'amy@example.com', status: 'bounced', replyCode: 550, at: 15 });
      assert.ok(id2 > id1);
      assert.deepEqual((await store.listDeliveries({ recipient: 'BOB@example.com' })).map((d) => d.status), ['delivered', 'deferred']);
      assert.deepEqual((await store.listDeliveries({ since: 15 })).map((d) => d.replyCode), [250, 550]);
      assert.deepEqual((await store.listDeliveries({ limit: 1 })).map((d) => d.status), ['delivered']);
      assert.deepEqual((await store.listDeliveries({ messageId: '<2@x>' })).map((d) => d.recipient), ['amy@example.com']);
      assert.deepEqual((await store.listDeliveries({ queueId: 'q1' })).map((d) => d.replyCode), [451]);
      const newest = (await store.listDeliveries())[0]!;
      assert.deepEqual(newest.tls, { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' });
      assert.equal(newest.classification?.reason, 'delivered');
      assert.equal(newest.address, '192.0.2.1');
      assert.equal(newest.port, 25);
    } finally {
      await store.close();
    }
  });

  test(`${name}: tagged log rows are counted per tag, UTC hour and status (warm-up counters)`, async () => {
    const store = await make();
    try {
      const H = 3_600_000;
      const t0 = 1_700_000_000_000 - (1_700_000_000_000 % H); // an hour boundary
      const row = (at: number, status: string, tag?: string) => store.logDelivery({ messageId: '<w@x>', recipient: `r${at}@example.com`, status, at, ...(tag ? { tag } : {}) });
      await row(t0 + 1, 'delivered', 'warmup:p1:gmail');
      await row(t0 + 2, 'delivered', 'warmup:p1:gmail');
      await row(t0 + 3, 'bounced', 'warmup:p1:gmail');
      await row(t0 + H + 5, 'delivered', 'warmup:p1:gmail');
      await row(t0 + 7, 'delivered', 'warmup:p1:yahoo');
      await row(t0 + 8, 'delivered', 'warmup:p2:gmail'); // another plan
      await row(t0 + 9, 'delivered'); // untagged
      const key = (c: { tag: string; hour: number; status: string; count: number }) => `${c.tag} ${c.hour - t0} ${c.status} ${c.count}`;
      const all = (await store.countDeliveries({ tagPrefix: 'warmup:p1:' })).map(key).sort();
      assert.deepEqual(all, [`warmup:p1:gmail 0 bounced 1`, `warmup:p1:gmail 0 delivered 2`, `warmup:p1:gmail ${H} delivered 1`, `warmup:p1:yahoo 0 delivered 1`]);
      const recent = (await store.countDeliveries({ tagPrefix: 'warmup:p1:', since: t0 + H })).map(key);
      assert.deepEqual(recent, [`warmup:p1:gmail ${H} delivered 1`]);
      assert.deepEqual(await store.countDeliveries({ tagPrefix: 'warmup:none:' }), []);
      assert.equal((await store.listDeliveries({ messageId: '<w@x>', limit: 100 })).find((d) => d.at === t0 + 7)?.tag, 'warmup:p1:yahoo', 'the tag is kept on the row');
    } finally {
      await store.close();
    }
  });

  test(`${name}: queue — enqueue, claim due, lease excludes others, record, release settles`, async () => {
    const store = await make();
    try {
      await store.enqueue(queued('q1', ['a@one.example', 'B@two.example']));
      await store.enqueue(queued('q2', ['c@one.example'], { createdAt: 2000, recipients: [{ recipient: 'c@one.example', domain: 'one.example', status: 'deferred', attempts: 1, nextAttemptAt: 50_000 }] }));
      await assert.rejects(store.enqueue(queued('q1', ['x@y.example'])));
      const listed = await store.listQueue();
      assert.deepEqual(listed.map((m) => m.id), ['q1', 'q2']);
      assert.deepEqual(listed[0]!.options, { helo: 'client.example.com', nested: { a: 1 } });
      assert.equal(listed[0]!.raw.toString(), queued('q1', []).raw.toString());
      assert.equal(listed[0]!.recipients[1]!.recipient, 'b@two.example');

      // only q1 is due at t=2000; a second worker finds nothing while the lease lives
      const c1 = await store.claim({ worker: 'w1', now: 2000, leaseMs: 60_000, limit: 10 });
      assert.deepEqual(c1.map((c) => c.message.id), ['q1']);
      assert.equal(c1[0]!.leaseUntil, 62_000);
      assert.deepEqual(await store.claim({ worker: 'w2', now: 3000, leaseMs: 60_000, limit: 10 }), []);
      await assert.rejects(store.recordAttempts('w2', [{ queueId: 'q1', updates: [], log: [] }]));

      // w1 delivers one recipient and defers the other, with the log rows in the same call
      await store.recordAttempts('w1', [
        {
          queueId: 'q1',
          updates: [
          { recipient: 'a@one.example', status: 'delivered', lastReply: { code: 250, enhanced: '2.0.0', text: 'ok' }, attempted: true, at: 2100 },
          { recipient: 'b@two.example', status: 'deferred', nextAttemptAt: 10_000, lastReply: { code: 451, text: 'later' }, reason: 'systemerror', hard: false, attempted: true, at: 2100 },
          ],
          log: [
            { messageId: '<q1@example.com>', queueId: 'q1', recipient: 'a@one.example', status: 'delivered', replyCode: 250, at: 2100 },
            { messageId: '<q1@example.com>', queueId: 'q1', recipient: 'b@two.example', status: 'deferred', replyCode: 451, at: 2100 },
          ],
        },
      ]);
      await store.release('q1', 'w1');
      const q1 = (await store.getQueued('q1'))!;
      assert.deepEqual(
        q1.recipients.map((r) => [r.recipient, r.status, r.attempts, r.firstAttemptAt, r.lastReply?.code, r.reason ?? null]),
        [
          ['a@one.example', 'delivered', 1, 2100, 250, null],
          ['b@two.example', 'deferred', 1, 2100, 451, 'systemerror'],
        ],
      );
      assert.equal(q1.recipients[1]!.hard, false);
      assert.equal((await store.listDeliveries({ queueId: 'q1' })).length, 2);

      // not due before 10 000; due after; the released lease is free at once
      assert.deepEqual(await store.claim({ worker: 'w2', now: 9000, leaseMs: 60_000, limit: 10 }), []);
      const c2 = await store.claim({ worker: 'w2', now: 60_000, leaseMs: 1000, limit: 1 });
      assert.deepEqual(c2.map((c) => c.message.id), ['q1']);
      // a crashed worker: its lease expires and another takes the message
      const c3 = await store.claim({ worker: 'w3', now: 61_001, leaseMs: 1000, limit: 10 });
      assert.deepEqual(c3.map((c) => c.message.id).sort(), ['q1', 'q2']);
      await assert.rejects(store.recordAttempts('w2', [{ queueId: 'q1', updates: [], log: [] }]));
      // a batch with a message this worker does not hold writes nothing at all
      await store.enqueue(queued('q5', ['f@one.example']));
      await assert.rejects(
        store.recordAttempts('w3', [
          { queueId: 'q1', updates: [{ recipient: 'b@two.example', status: 'bounced', attempted: true, at: 61_050 }], log: [] },
          { queueId: 'q5', updates: [], log: [] },
        ]),
      );
      assert.equal((await store.getQueued('q1'))!.recipients[1]!.status, 'deferred');
      await store.deleteQueued('q5');
      await store.recordAttempts('w3', [{ queueId: 'q1', updates: [{ recipient: 'b@two.example', status: 'delivered', attempted: true, at: 61_100 }], log: [] }]);
      await store.release('q1', 'w3');
      assert.equal(await store.getQueued('q1'), undefined, 'a settled message leaves the queue');
      // claim by id
      await store.release('q2', 'w3');
      assert.deepEqual((await store.claim({ worker: 'w4', now: 61_200, leaseMs: 1000, limit: 10, id: 'q2' })).map((c) => c.message.id), ['q2']);
      assert.equal(await store.deleteQueued('q2'), true);
      assert.equal(await store.deleteQueued('q2'), false);
      await store.enqueue(queued('q3', ['d@one.example']));
      await store.enqueue(queued('q4', ['e@one.example']));
      assert.equal(await store.deleteAllQueued(), 2);
      assert.deepEqual(await store.listQueue(), []);
    } finally {
      await store.close();
    }
  });

  test(`${name}: a hold moves the listed recipients' next attempt and nothing else; later updates in the batch apply after it`, async () => {
    const store = await make();
    try {
      await store.enqueue(
        queued('q7', [], {
          recipients: [
            { recipient: 'a@one.example', domain: 'one.example', status: 'queued', attempts: 0, nextAttemptAt: 1000 },
            { recipient: 'b@one.example', domain: 'one.example', status: 'deferred', attempts: 2, nextAttemptAt: 1500, firstAttemptAt: 900, lastAttemptAt: 950, lastReply: { code: 421, enhanced: '4.7.0', text: 'slow down' }, reason: 'ratelimited', hard: false },
            { recipient: 'c@two.example', domain: 'two.example', status: 'queued', attempts: 0, nextAttemptAt: 1000 },
          ],
        }),
      );
      const [c] = await store.claim({ worker: 'w1', now: 2000, leaseMs: 60_000, limit: 1 });
      assert.ok(c);
      await assert.rejects(store.recordAttempts('w2', [{ queueId: 'q7', updates: [], log: [], hold: { recipients: ['a@one.example'], until: 9000 } }]));
      await store.recordAttempts('w1', [
        // addresses as given by a caller (case), one of them not in the message
        { queueId: 'q7', updates: [], log: [], hold: { recipients: ['A@one.example', 'b@one.example', 'nobody@one.example'], until: 9000 } },
        { queueId: 'q7', updates: [{ recipient: 'b@one.example', status: 'delivered', attempted: true, at: 2100 }], log: [] },
      ]);
      await store.release('q7', 'w1');
      const q7 = (await store.getQueued('q7'))!;
      assert.deepEqual(
        q7.recipients.map((r) => [r.recipient, r.status, r.attempts, r.nextAttemptAt, r.firstAttemptAt ?? null, r.lastAttemptAt ?? null, r.lastReply?.code ?? null, r.reason ?? null]),
        [
          ['a@one.example', 'queued', 0, 9000, null, null, null, null],
          ['b@one.example', 'delivered', 3, 9000, 900, 2100, 421, 'ratelimited'],
          ['c@two.example', 'queued', 0, 1000, null, null, null, null],
        ],
      );
      // c is still due; a waits for the hold
      assert.deepEqual((await store.claim({ worker: 'w2', now: 2000, leaseMs: 1000, limit: 1 }))[0]?.message.id, 'q7');
    } finally {
      await store.close();
    }
  });

  test(`${name}: a "sending" mark survives for the next worker after a crash`, async () => {
    const store = await make();
    try {
      await store.enqueue(queued('q9', ['a@one.example']));
      const [c] = await store.claim({ worker: 'w1', now: 2000, leaseMs: 5000, limit: 1 });
      assert.ok(c);
      await store.recordAttempts('w1', [{ queueId: 'q9', updates: [{ recipient: 'a@one.example', status: 'sending', at: 2001 }], log: [] }]);
      // w1 dies here (no release). Its lease ends at 7000; the recipient is still due.
      assert.deepEqual(await store.claim({ worker: 'w2', now: 6999, leaseMs: 5000, limit: 1 }), []);
      const [again] = await store.claim({ worker: 'w2', now: 7000, leaseMs: 5000, limit: 1 });
      assert.equal(again?.message.recipients[0]!.status, 'sending');
    } finally {
      await store.close();
    }
  });

  test(`${name}: placement runs — kept with their seeds, listed oldest first within [since, until], ids unique`, async () => {
    const store = await make();
    try {
      const run = (id: string, at: number, seeds: PlacementRun['seeds']): PlacementRun => ({ id, startedAt: at, finishedAt: at + 5000, messageId: `<${id}@example.com>`, seeds });
      await store.addPlacementRun(
        run('r2', 20_000, [
          { address: 'seed1@gmail.example', provider: 'gmail', placement: 'inbox', folder: 'INBOX', timeToInboxMs: 1234, sendStatus: 'delivered' },
          { address: 'seed2@outlook.example', provider: 'outlook', placement: 'spam', folder: 'Junk E-mail', timeToInboxMs: 98_765_432_100, sendStatus: 'delivered' },
          { address: 'seed3@yahoo.example', provider: 'yahoo', placement: 'unknown', sendStatus: 'not-sent', error: 'IMAP: connection refused' },
        ]),
      );
      await store.addPlacementRun(run('r1', 10_000, [{ address: 'seed1@gmail.example', provider: 'gmail', placement: 'missing', sendStatus: 'delivered' }]));
      await store.addPlacementRun(run('r3', 30_000, []));
      await assert.rejects(store.addPlacementRun(run('r1', 40_000, [])));
      const all = await store.listPlacementRuns();
      assert.deepEqual(all.map((r) => r.id), ['r1', 'r2', 'r3']);
      const r2 = all[1]!;
      assert.deepEqual(r2, run('r2', 20_000, [
        { address: 'seed1@gmail.example', provider: 'gmail', placement: 'inbox', folder: 'INBOX', timeToInboxMs: 1234, sendStatus: 'delivered' },
        { address: 'seed2@outlook.example', provider: 'outlook', placement: 'spam', folder: 'Junk E-mail', timeToInboxMs: 98_765_432_100, sendStatus: 'delivered' },
        { address: 'seed3@yahoo.example', provider: 'yahoo', placement: 'unknown', sendStatus: 'not-sent', error: 'IMAP: connection refused' },
      ]));
      assert.deepEqual(all[2]!.seeds, []);
      assert.deepEqual((await store.listPlacementRuns({ since: 20_000 })).map((r) => r.id), ['r2', 'r3']);
      assert.deepEqual((await store.listPlacementRuns({ since: 10_001, until: 20_000 })).map((r) => r.id), ['r2']);
      assert.deepEqual(await store.listPlacementRuns({ since: 50_000 }), []);
    } finally {
      await store.close();
    }
  });

  test(`${name}: MTA-STS policy cache — none until stored, stored as given, a new fetch replaces it, domains apart`, async () => {
    const store = await make();
    try {
      assert.equal(await store.getMtaStsPolicy('example.org'), undefined);
      const first = { domain: 'Example.ORG', id: '20240101T000000', mode: 'enforce' as const, mx: ['mx1.example.org', '*.mail.example.org'], maxAge: 604800, fetchedAt: 1_700_000_000_000, expiresAt: 1_700_604_800_000 };
      await store.putMtaStsPolicy(first);
      assert.deepEqual(await store.getMtaStsPolicy('example.org'), { ...first, domain: 'example.org' });
      assert.deepEqual(await store.getMtaStsPolicy('EXAMPLE.org'), { ...first, domain: 'example.org' }, 'domains compare case-insensitively');
      const second = { domain: 'example.org', id: 'v2', mode: 'testing' as const, mx: ['mx2.example.org'], maxAge: 86400, fetchedAt: 1_700_000_100_000, expiresAt: 1_700_086_500_000 };
      await store.putMtaStsPolicy(second);
      assert.deepEqual(await store.getMtaStsPolicy('example.org'), second);
      await store.putMtaStsPolicy({ ...first, domain: 'other.example', mode: 'none', mx: [] });
      assert.deepEqual((await store.getMtaStsPolicy('other.example'))?.mx, []);
      assert.equal((await store.getMtaStsPolicy('example.org'))?.id, 'v2');
    } finally {
      await store.close();
    }
  });
}
