/**
 * The delivery engine against real SMTP servers on loopback (smtp-server) and the fixture DNS
 * server, with time on a FakeClock: routing, reply classes, retry schedule, suppression, TLS.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.js';
import { classify } from '../../../src/core/delivery/classify.js';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryEngine, type DeliveryOptions } from '../../../src/core/delivery/engine.js';
import { sendReport } from '../../../src/core/delivery/report.js';
import { SmtpTransport } from '../../../src/core/delivery/smtp-transport.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { planIdOf } from '../../../src/core/warmup/enforce.js';
import { startDnsServer, type DnsFixtureServer, type Zone } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { makeTestPki, startFakeMx, startRawServer, type FakeMx, type FakeMxOptions, type TestPki } from '../../helpers/smtp-server.js';

const RAW = Buffer.from('From: sender@example.com\r\nTo: x@example.test\r\nSubject: t\r\nMessage-ID: <m1@example.com>\r\n\r\nHello\r\n.leading dot\r\n');

let pki: TestPki;
before(async () => {
  pki = await makeTestPki();
});
after(async () => {
  await pki.cleanup();
});

interface Rig {
  engine: DeliveryEngine;
  store: MemoryStore;
  clock: FakeClock;
  dns: DnsFixtureServer;
  close(): Promise<void>;
}

async function rig(zone: Zone, opts: { start?: number } = {}): Promise<Rig> {
  const dns = await startDnsServer(zone);
  const deps = testDeps(dns, { timeoutMs: 2000 });
  const clock = new FakeClock(opts.start ?? 1_700_000_000_000);
  const store = new MemoryStore();
  const transport = new SmtpTransport({ resolver: deps.resolver, clock, heloName: 'client.example.com', timeouts: { connectMs: 2000, greetingMs: 3000, commandMs: 3000 }, ca: pki.caPem });
  const engine = new DeliveryEngine({ store, transport, clock, resolver: deps.resolver, classify, worker: 'test', random: () => 0.5, concurrency: 4 });
  return {
    engine,
    store,
    clock,
    dns,
    close: async () => {
      await transport.close();
      await dns.stop();
    },
  };
}

function options(mx: { port: number }, over: Partial<DeliveryOptions> = {}): DeliveryOptions {
  return { ...DEFAULT_DELIVERY_OPTIONS, port: mx.port, ...over };
}

let seq = 0;
async function send(r: Rig, mx: { port: number }, recipients: string[], over: Partial<DeliveryOptions> = {}, retry = false) {
  const id = `q${++seq}`;
  await r.engine.enqueue({ id, messageId: '<m1@example.com>', sender: 'sender@example.com', raw: RAW, recipients, options: options(mx, over) });
  if (retry) {
    const p = r.engine.runUntilSettled(id);
    let settled = false;
    void p.then(() => (settled = true), () => (settled = true));
    // drive the fake clock a minute at a time while the engine sleeps (bounded)
    for (let i = 0; i < 600 && !settled; i++) {
      await new Promise((res) => setTimeout(res, 5));
      if (r.clock.pending > 0) await r.clock.advance(60_000);
    }
    await p;
  } else {
    await r.engine.runDue({ id });
  }
  return sendReport(r.store, { queueId: id, messageId: '<m1@example.com>', recipients, findings: r.engine.findings });
}

const zoneFor = (domain: string, hosts: { name: string; ip: string; priority: number }[]): Zone => {
  const z: Zone = { [domain]: { MX: hosts.map((h) => ({ priority: h.priority, exchange: h.name })) } };
  for (const h of hosts) z[h.name] = { A: [h.ip] };
  return z;
};

async function withMx(o: FakeMxOptions, fn: (mx: FakeMx) => Promise<void>): Promise<void> {
  const mx = await startFakeMx(o);
  try {
    await fn(mx);
  } finally {
    await mx.stop();
  }
}

test('delivered over STARTTLS: the message arrives dot-stuffed correctly, TLS recorded, log written', async () => {
  await withMx({ tls: pki.good }, async (mx) => {
    const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const rep = await send(r, mx, ['x@example.test']);
      assert.equal(rep.recipients[0]!.status, 'delivered');
      assert.deepEqual(rep.summary, { delivered: 1, deferred: 0, bounced: 0, suppressed: 0, expired: 0 });
      assert.equal(mx.messages.length, 1);
      assert.match(mx.messages[0]!, /\r\n\.leading dot\r\n/);
      const a = rep.recipients[0]!.attempts[0]!;
      assert.equal(a.mx, 'mx.example.test');
      assert.equal(a.address, '127.0.0.1');
      assert.match(a.tls!.protocol, /^TLSv1\.[23]$/);
      assert.equal(a.reply.code, 250);
      assert.equal(a.classification?.reason, 'delivered');
      assert.equal((await r.store.listQueue()).length, 0, 'a settled message leaves the queue');
    } finally {
      await r.close();
    }
  });
});

test('550 5.1.1 bounces and suppresses; the next send skips the address without connecting', async () => {
  await withMx({ rcptReplies: { 'gone@example.test': { code: 550, message: '5.1.1 <gone@example.test>: Recipient address rejected: User unknown in virtual mailbox table' } } }, async (mx) => {
    const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const rep = await send(r, mx, ['gone@example.test']);
      assert.equal(rep.recipients[0]!.status, 'bounced');
      assert.equal(rep.recipients[0]!.reason, 'userunknown');
      assert.equal(rep.recipients[0]!.hard, true);
      assert.equal(rep.recipients[0]!.suppressed, true);
      assert.equal((await r.store.getSuppression('gone@example.test'))?.reason, 'hard-bounce');
      const connections = mx.connections;
      const again = await send(r, mx, ['gone@example.test']);
      assert.equal(again.recipients[0]!.status, 'suppressed');
      assert.equal(mx.connections, connections, 'no connection for a suppressed recipient');
      assert.ok(r.engine.findings.some((f) => f.code === 'RECIPIENT_SUPPRESSED'));
    } finally {
      await r.close();
    }
  });
});

test('554 5.7.1 blocked using zen.spamhaus.org: bounced, never suppressed, the list named', async () => {
  await withMx({ mailReply: { code: 554, message: '5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org' } }, async (mx) => {
    const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const rep = await send(r, mx, ['a@example.test', 'b@example.test']);
      assert.deepEqual(rep.recipients.map((x) => x.status), ['bounced', 'bounced']);
      assert.equal(rep.recipients[0]!.suppressed, false);
      assert.equal(await r.store.getSuppression('a@example.test'), undefined);
      const f = r.engine.findings.find((x) => x.code === 'SEND_BLOCKLISTED');
      assert.ok(f, 'SEND_BLOCKLISTED finding');
      assert.match(f.message, /zen\.spamhaus\.org/i);
      assert.equal(mx.messages.length, 0);
    } finally {
      await r.close();
    }
  });
});

test('one transaction, mixed answers: accepted get the DATA reply, 550 bounces, 452 defers', async () => {
  await withMx(
    {
      rcptReplies: {
        'nobody@example.test': { code: 550, message: '5.1.1 No such user' },
        'full@example.test': { code: 452, message: '4.2.2 Mailbox full' },
      },
    },
    async (mx) => {
      const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
      try {
        const rep = await send(r, mx, ['ok@example.test', 'nobody@example.test', 'full@example.test']);
        assert.deepEqual(
          rep.recipients.map((x) => [x.recipient, x.status]),
          [
            ['ok@example.test', 'delivered'],
            ['nobody@example.test', 'bounced'],
            ['full@example.test', 'deferred'],
          ],
        );
        assert.equal(mx.messages.length, 1, 'one DATA for the transaction');
        assert.equal(mx.commands.filter((c) => c === 'DATA').length, 1);
        const q = (await r.store.listQueue())[0]!;
        const full = q.recipients.find((x) => x.recipient === 'full@example.test')!;
        // first deferral: the first back-off gap (5 min)
        assert.equal(full.nextAttemptAt - full.lastAttemptAt!, 5 * 60_000);
      } finally {
        await r.close();
      }
    },
  );
});

test('greylisting with 4.7.1 (milter-greylist): reason as Sisimai names the code (blocked), greylisted, and no blocklist finding', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]), { start: clock.now() });
  await withMx({ greylist: { delayMs: 5 * 60_000, clock: r.clock, code: 451, message: '4.7.1 Greylisting in action, please come back in 00:05:00' } }, async (mx) => {
    try {
      const rep = await send(r, mx, ['grey@example.test'], { policy: { firstBackoffMs: 60_000, maxBackoffMs: 3_600_000, greylistDelayMs: 5 * 60_000, maxAgeMs: 7_200_000 } }, true);
      assert.equal(rep.recipients[0]!.status, 'delivered');
      const c = rep.recipients[0]!.attempts[0]!.classification;
      assert.deepEqual({ reason: c?.reason, greylisted: c?.greylisted, retry: c?.retry, suppress: c?.suppress }, { reason: 'blocked', greylisted: true, retry: true, suppress: false });
      assert.ok(!rep.findings.some((f) => f.code === 'SEND_BLOCKLISTED'), JSON.stringify(rep.findings));
    } finally {
      await r.close();
    }
  });
});

test('greylisting: retried only after the greylisting delay, then delivered (fake clock)', async () => {
  const clock = new FakeClock(1_700_000_000_000);
  const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]), { start: clock.now() });
  await withMx({ greylist: { delayMs: 10 * 60_000, clock: r.clock } }, async (mx) => {
    try {
      const rep = await send(r, mx, ['grey@example.test'], { policy: { firstBackoffMs: 60_000, maxBackoffMs: 3_600_000, greylistDelayMs: 10 * 60_000, maxAgeMs: 7_200_000 } }, true);
      assert.equal(rep.recipients[0]!.status, 'delivered');
      const attempts = rep.recipients[0]!.attempts;
      assert.equal(attempts[0]!.classification?.greylisted, true);
      assert.equal(attempts[0]!.classification?.retry, true);
      const gaps = attempts.slice(1).map((a, i) => Date.parse(a.at) - Date.parse(attempts[i]!.at));
      assert.ok(gaps.every((g) => g >= 10 * 60_000), `no retry before the greylist delay: ${gaps}`);
      assert.equal(mx.messages.length, 1);
    } finally {
      await r.close();
    }
  });
});

test('still deferred after --max-age: expired at the end of the queue lifetime, doubling gaps before', async () => {
  await withMx({ rcptReplies: { 'slow@example.test': { code: 451, message: '4.3.0 Temporary local problem' } } }, async (mx) => {
    const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const policy = { firstBackoffMs: 60_000, maxBackoffMs: 8 * 60_000, greylistDelayMs: 0, maxAgeMs: 30 * 60_000 };
      const rep = await send(r, mx, ['slow@example.test'], { policy }, true);
      const rc = rep.recipients[0]!;
      assert.equal(rc.status, 'expired');
      const times = rc.attempts.map((a) => Date.parse(a.at));
      const gaps = times.slice(1).map((t, i) => t - times[i]!);
      // 1, 2, 4, 8, 8 … minutes (the fake clock advances a minute at a time, so round up)
      assert.deepEqual(gaps.slice(0, 4).map((g) => Math.ceil(g / 60_000)), [1, 2, 4, 8]);
      assert.ok(times[times.length - 1]! - times[0]! <= 31 * 60_000);
    } finally {
      await r.close();
    }
  });
});

test('a host that refuses at the greeting is skipped for the next MX; null MX bounces at once with 5.1.10', async () => {
  const first = await startFakeMx({ host: '127.0.0.2', refuse: { code: 421, message: '4.3.2 Service shutting down' } });
  const second = await startFakeMx({ host: '127.0.0.3', port: first.port });
  const r = await rig({
    ...zoneFor('example.test', [
      { name: 'mx1.example.test', ip: '127.0.0.2', priority: 10 },
      { name: 'mx2.example.test', ip: '127.0.0.3', priority: 20 },
    ]),
    'nullmx.example.test': { MX: [{ priority: 0, exchange: '.' }] },
  });
  try {
    const rep = await send(r, first, ['a@example.test']);
    assert.equal(rep.recipients[0]!.status, 'delivered');
    assert.equal(rep.recipients[0]!.attempts[0]!.mx, 'mx2.example.test');
    assert.equal(second.messages.length, 1);
    const nul = await send(r, first, ['b@nullmx.example.test']);
    assert.equal(nul.recipients[0]!.status, 'bounced');
    assert.equal(nul.recipients[0]!.attempts[0]!.reply.enhanced, '5.1.10');
    assert.equal(nul.recipients[0]!.suppressed, true);
  } finally {
    await r.close();
    await first.stop();
    await second.stop();
  }
});

test('every MX greets 554: both are tried, and the recipient is deferred, not bounced (Postfix smtp_skip_5xx_greeting)', async () => {
  const first = await startFakeMx({ host: '127.0.0.2', refuse: { code: 554, message: '5.7.1 No SMTP service here' } });
  const second = await startFakeMx({ host: '127.0.0.3', port: first.port, refuse: { code: 554, message: '5.7.1 No SMTP service here' } });
  const r = await rig(
    zoneFor('example.test', [
      { name: 'mx1.example.test', ip: '127.0.0.2', priority: 10 },
      { name: 'mx2.example.test', ip: '127.0.0.3', priority: 20 },
    ]),
  );
  try {
    const rep = await send(r, first, ['a@example.test']);
    const rc = rep.recipients[0]!;
    assert.deepEqual({ status: rc.status, suppressed: rc.suppressed }, { status: 'deferred', suppressed: false });
    assert.equal(first.connections + second.connections, 2, 'each MX was tried once');
    assert.equal(rc.attempts[0]!.classification?.retry, true);
    assert.equal(await r.store.getSuppression('a@example.test'), undefined);
  } finally {
    await r.close();
    await first.stop();
    await second.stop();
  }
});

test('--tls required against a host without STARTTLS: deferred with TLS_REQUIRED, nothing sent', async () => {
  await withMx({}, async (mx) => {
    const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const rep = await send(r, mx, ['a@example.test'], { tls: 'required' });
      assert.equal(rep.recipients[0]!.status, 'deferred');
      assert.ok(r.engine.findings.some((f) => f.code === 'TLS_REQUIRED'));
      assert.equal(mx.messages.length, 0);
    } finally {
      await r.close();
    }
  });
});

test('a rate-limit reply holds back the whole destination', async () => {
  await withMx({ rcptReplies: { 'a@example.test': { code: 421, message: '4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.' } } }, async (mx) => {
    const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const rep = await send(r, mx, ['a@example.test', 'b@example.test'], { separate: true });
      assert.equal(rep.recipients[0]!.status, 'deferred');
      assert.ok(r.engine.findings.some((f) => f.code === 'SEND_RATE_LIMITED'));
      // a second message to the same destination in this run waits too (no connection now)
      const conns = mx.connections;
      const again = await send(r, mx, ['c@example.test']);
      assert.equal(again.recipients[0]!.status, 'deferred');
      assert.equal(mx.connections, conns);
    } finally {
      await r.close();
    }
  });
});

test('servers that speak garbage, stall or drop the connection: deferred with the transport error, nothing crashes', async () => {
  for (const behaviour of ['garbage', 'garbage-after-ehlo', 'close', 'close-after-ehlo', 'stall-after-ehlo', 'broken-starttls'] as const) {
    const raw = await startRawServer(behaviour);
    const r = await rig(zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const rep = await send(r, raw, ['a@example.test']);
      const rc = rep.recipients[0]!;
      assert.equal(rc.status, 'deferred', `${behaviour}: ${JSON.stringify(rc)}`);
      assert.equal(rc.attempts[0]!.classification?.retry, true, behaviour);
      assert.ok(rc.attempts[0]!.reply.text.length > 0, `${behaviour}: the error is recorded`);
    } finally {
      await r.close();
      await raw.stop();
    }
  }
});

/** A memory store that keeps every commit the engine makes, in order. */
class CommitLog extends MemoryStore {
  readonly commits: { recipient: string; status: string }[][] = [];
  failOn: string | undefined;
  override async recordAttempts(worker: string, batch: Parameters<MemoryStore['recordAttempts']>[1]): Promise<void> {
    const rows = batch.flatMap((b) => b.updates.map((u) => ({ recipient: u.recipient, status: u.status })));
    if (this.failOn && rows.some((r) => r.status === this.failOn)) throw new Error(`the store lost the lease (${this.failOn})`);
    this.commits.push(rows);
    return super.recordAttempts(worker, batch);
  }
}

/**
 * The lazy-write timer is real time: on a loaded machine 50 ms can pass between one message's reply and
 * the next "sending" mark, and the outcome is then committed alone. That is correct, but it would change
 * the commit count this rig asserts, so here the timer is long and only the next mark or drain() commits.
 */
async function commitRig(store: CommitLog, zone: Zone): Promise<{ engine: DeliveryEngine; close(): Promise<void> }> {
  const dns = await startDnsServer(zone);
  const deps = testDeps(dns, { timeoutMs: 2000 });
  const clock = new FakeClock(1_700_000_000_000);
  const transport = new SmtpTransport({ resolver: deps.resolver, clock, heloName: 'client.example.com', timeouts: { connectMs: 2000, greetingMs: 3000, commandMs: 3000 } });
  const engine = new DeliveryEngine({ store, transport, clock, resolver: deps.resolver, classify, worker: 'test', random: () => 0.5, concurrency: 1, lazyWriteMs: 60_000 });
  return { engine, close: async () => (await transport.close(), await dns.stop()) };
}

test('--separate on one connection: each outcome is committed before the next DATA, riding on its "sending" mark', async () => {
  await withMx({}, async (mx) => {
    const store = new CommitLog();
    const r = await commitRig(store, zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      const rcpts = ['a@example.test', 'b@example.test', 'c@example.test', 'd@example.test', 'e@example.test'];
      await r.engine.enqueue({ id: 'qc', messageId: '<m1@example.com>', sender: 'sender@example.com', raw: RAW, recipients: rcpts, options: options(mx, { separate: true }) });
      await r.engine.runDue({ id: 'qc' });
      assert.equal(mx.messages.length, 5);
      const at = (recipient: string, status: string) => store.commits.findIndex((c) => c.some((x) => x.recipient === recipient && x.status === status));
      for (let i = 0; i < rcpts.length; i++) {
        const marked = at(rcpts[i]!, 'sending');
        assert.ok(marked >= 0, `${rcpts[i]} is marked "sending" before its DATA`);
        // A crash can leave at most the message in flight on this connection unrecorded.
        if (i > 0) assert.ok(at(rcpts[i - 1]!, 'delivered') <= marked, `${rcpts[i - 1]}'s outcome is committed before ${rcpts[i]}'s DATA`);
      }
      // one commit per DATA (the outcome rides along), and one for the last outcome
      assert.equal(store.commits.length, rcpts.length + 1, JSON.stringify(store.commits));
      const left = (await store.getQueued('qc'))?.recipients.filter((x) => x.status !== 'delivered') ?? [];
      assert.deepEqual(left, [], 'every outcome is in the store when runDue returns');
    } finally {
      await r.close();
    }
  });
});

test('an outcome the store refuses to write fails the run (it is not lost silently)', async () => {
  await withMx({}, async (mx) => {
    const store = new CommitLog();
    store.failOn = 'delivered';
    const r = await commitRig(store, zoneFor('example.test', [{ name: 'mx.example.test', ip: '127.0.0.1', priority: 10 }]));
    try {
      await r.engine.enqueue({ id: 'qf', messageId: '<m1@example.com>', sender: 'sender@example.com', raw: RAW, recipients: ['a@example.test'], options: options(mx) });
      await assert.rejects(r.engine.runDue({ id: 'qf' }), /lost the lease \(delivered\)/);
      assert.equal((await store.getQueued('qf'))?.recipients[0]?.status, 'sending', 'the recipient stays "sending": retried after the lease, at least once');
    } finally {
      await r.close();
    }
  });
});

test('--warmup with --retry: a cap of one an hour sends one recipient per hour, the others wait as warmup-cap', async () => {
  await withMx({}, async (mx) => {
    const zone: Zone = { 'gm.example': { MX: [{ priority: 5, exchange: 'gmail-smtp-in.l.google.com' }] }, 'gmail-smtp-in.l.google.com': { A: ['127.0.0.1'] } };
    const r = await rig(zone);
    try {
      const days = [{ day: 1, total: 1, hourlyCap: 1, providers: { gmail: { volume: 5, hourlyCap: 1 } } }];
      const hours = { from: 0, to: 24 };
      const warmup = { id: planIdOf({ hours, days }), hours, days };
      const t0 = r.clock.now();
      const rep = await send(r, mx, ['a@gm.example', 'b@gm.example', 'c@gm.example'], { separate: true, warmup }, true);
      assert.deepEqual(rep.summary, { delivered: 3, deferred: 0, bounced: 0, suppressed: 0, expired: 0 });
      const hoursOf = rep.recipients.map((x) => Math.floor((Date.parse(x.attempts[0]!.at) - (t0 - (t0 % 3_600_000))) / 3_600_000));
      assert.deepEqual(hoursOf, [0, 1, 2], 'one per hour, in queue order');
      assert.ok(rep.recipients.every((x) => x.attempts.length === 1), 'a held recipient is not an attempt');
      const counted = await r.store.countDeliveries({ tagPrefix: `warmup:${warmup.id}:` });
      assert.deepEqual(counted.map((c) => `${c.tag.split(':')[2]} ${c.status} ${c.count}`), ['gmail delivered 1', 'gmail delivered 1', 'gmail delivered 1']);
      assert.ok(r.engine.findings.some((f) => f.code === 'WARMUP_CAP_REACHED'));
    } finally {
      await r.close();
    }
  });
});
