/**
 * A --separate send over one pipelining connection (RFC 2920): a message's content and the next
 * transaction's MAIL, RCPT and DATA go out in one write. A scripted SMTP server on loopback
 * answers each transaction as a test needs (a refused RCPT, a close after the 250, a 554 to the
 * content) and checks, as each message's content arrives, what the store holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { FakeClock } from '../../../src/core/clock.js';
import { classify } from '../../../src/core/delivery/classify.js';
import { DEFAULT_DELIVERY_OPTIONS, DeliveryEngine } from '../../../src/core/delivery/engine.js';
import { sendReport } from '../../../src/core/delivery/report.js';
import { SmtpTransport } from '../../../src/core/delivery/smtp-transport.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { startDnsServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';

const RAW = Buffer.from('From: sender@example.com\r\nTo: x@example.test\r\nSubject: t\r\nMessage-ID: <m1@example.com>\r\n\r\nHello\r\n');

interface Script {
  /** Reply to RCPT TO (default 250). */
  rcpt?(addr: string): string;
  /** Reply to the end of a message (default 250), by its recipients. */
  end?(rcpts: string[]): string;
  /** Close the connection right after answering the end of this message. */
  closeAfter?(rcpts: string[]): boolean;
  /** Called when a message's content has arrived, before it is answered. */
  onContent?(rcpts: string[]): Promise<void>;
}

interface Scripted {
  port: number;
  connections: number;
  /** Recipients of each message the server accepted (250 to its content). */
  accepted: string[][];
  /** Messages whose end-of-data reply was still held when the next command arrived. */
  pipelinedAfterContent: number;
  stop(): Promise<void>;
}

/** Holds a reply to the end of data this long unless the next command arrives first. */
const HOLD_MS = 300;

async function startScripted(script: Script): Promise<Scripted> {
  const sockets = new Set<Socket>();
  const state: Scripted = { port: 0, connections: 0, accepted: [], pipelinedAfterContent: 0, stop: async () => undefined };
  const server = createServer((s) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    s.write('220 mx.example.test ESMTP\r\n');
    let buf = '';
    let inData = false;
    let mail = false;
    let rcpts: string[] = [];
    let accepted: string[] = [];
    /** The end-of-data reply held back, sent when the next line arrives or after HOLD_MS. */
    let held: { send(): void } | undefined;
    let busy: Promise<void> = Promise.resolve();
    const reply = (r: string) => {
      if (!s.destroyed) s.write(`${r}\r\n`);
    };
    /** Lines received and not handled yet. */
    let queued = 0;
    const line = async (l: string): Promise<void> => {
      queued--;
      if (s.destroyed) return;
      if (inData) {
        if (l !== '.') return;
        inData = false;
        const msg = accepted;
        mail = false;
        rcpts = [];
        accepted = [];
        await script.onContent?.(msg);
        const r = script.end?.(msg) ?? '250 2.0.0 queued';
        await new Promise<void>((resolve) => {
          const h = {
            send: () => {
              if (held !== h) return;
              held = undefined;
              clearTimeout(timer);
              if (r.startsWith('250')) state.accepted.push(msg);
              reply(r);
              if (script.closeAfter?.(msg)) s.destroy();
              resolve();
            },
          };
          held = h;
          const timer = setTimeout(h.send, HOLD_MS);
          if (queued > 0) {
            // the next command came with the content
            state.pipelinedAfterContent++;
            h.send();
          }
        });
        return;
      }
      const verb = l.slice(0, 4).toUpperCase();
      if (verb === 'EHLO') reply('250-mx.example.test\r\n250-PIPELINING\r\n250 8BITMIME');
      else if (verb === 'RSET') {
        mail = false;
        rcpts = [];
        accepted = [];
        reply('250 2.0.0 Ok');
      } else if (verb === 'MAIL') {
        mail = true;
        reply('250 2.1.0 Ok');
      } else if (verb === 'RCPT') {
        const addr = /<([^>]*)>/.exec(l)?.[1] ?? '';
        rcpts.push(addr);
        const r = mail ? (script.rcpt?.(addr) ?? '250 2.1.5 Ok') : '503 5.5.1 Error: need MAIL command';
        if (r.startsWith('250')) accepted.push(addr);
        reply(r);
      } else if (verb === 'DATA') {
        // RFC 2920 §3.1 / Postfix: with no valid recipient, DATA is refused
        if (accepted.length === 0) reply('554 5.5.1 Error: no valid recipients');
        else {
          inData = true;
          reply('354 End data with <CR><LF>.<CR><LF>');
        }
      } else if (verb === 'QUIT') {
        reply('221 2.0.0 Bye');
        s.end();
      } else reply('502 5.5.2 Error: command not recognized');
    };
    s.on('data', (d) => {
      buf += d.toString('latin1');
      for (let nl = buf.indexOf('\r\n'); nl >= 0; nl = buf.indexOf('\r\n')) {
        const l = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        // the held reply goes out as soon as the next line is here, before it is handled
        if (held) {
          state.pipelinedAfterContent++;
          held.send();
        }
        queued++;
        busy = busy.then(() => line(l));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as { port: number }).port;
  state.stop = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

async function run(script: (store: MemoryStore) => Script, rcpts: string[]) {
  const store = new MemoryStore();
  const mx = await startScripted(script(store));
  const dns = await startDnsServer({ 'example.test': { MX: [{ priority: 10, exchange: 'mx.example.test' }] }, 'mx.example.test': { A: ['127.0.0.1'] } });
  const deps = testDeps(dns, { timeoutMs: 2000 });
  const clock = new FakeClock(1_700_000_000_000);
  // one connection, and several transactions waiting for it
  const transport = new SmtpTransport({ resolver: deps.resolver, clock, heloName: 'client.example.com', timeouts: { connectMs: 2000, greetingMs: 3000, commandMs: 3000 }, maxPerHost: 1 });
  const engine = new DeliveryEngine({ store, transport, clock, resolver: deps.resolver, classify, worker: 'test', random: () => 0.5, concurrency: 4 });
  try {
    await engine.enqueue({ id: 'q', messageId: '<m1@example.com>', sender: 'sender@example.com', raw: RAW, recipients: rcpts, options: { ...DEFAULT_DELIVERY_OPTIONS, port: mx.port, separate: true } });
    await engine.runDue({ id: 'q' });
    const rep = await sendReport(store, { queueId: 'q', messageId: '<m1@example.com>', recipients: rcpts, findings: engine.findings });
    const status = Object.fromEntries(rep.recipients.map((r) => [r.recipient, { status: r.status, code: r.attempts.at(-1)?.reply.code }]));
    return { mx, status };
  } finally {
    await transport.close();
    await dns.stop();
    await mx.stop();
  }
}

/** As each message's content arrives: its recipient is marked "sending", and no other is. */
function sendingChecks(store: MemoryStore, seen: string[]): Script['onContent'] {
  return async (msg) => {
    const m = await store.getQueued('q');
    const sending = (m?.recipients ?? []).filter((r) => r.status === 'sending').map((r) => r.recipient);
    seen.push(`${msg.join(',')}: ${sending.join(',')}`);
  };
}

test('the next message rides with the content; a refused RCPT of the next message: no DATA content for it, the others delivered', async () => {
  const seen: string[] = [];
  const { mx, status } = await run((store) => ({ rcpt: (a) => (a === 'b@example.test' ? '550 5.1.1 <b@example.test>: Recipient address rejected: User unknown' : '250 2.1.5 Ok'), onContent: sendingChecks(store, seen) }), ['a@example.test', 'b@example.test', 'c@example.test', 'd@example.test']);
  assert.deepEqual(status, {
    'a@example.test': { status: 'delivered', code: 250 },
    'b@example.test': { status: 'bounced', code: 550 },
    'c@example.test': { status: 'delivered', code: 250 },
    'd@example.test': { status: 'delivered', code: 250 },
  });
  assert.deepEqual(mx.accepted, [['a@example.test'], ['c@example.test'], ['d@example.test']]);
  assert.equal(mx.connections, 1);
  // b's envelope followed a's content in one write; c waited for b's answers (no content sent),
  // then d's envelope followed c's content
  assert.ok(mx.pipelinedAfterContent >= 2, `pipelined after content: ${mx.pipelinedAfterContent}`);
  // only the message whose content is on the wire is "sending" (a crash leaves at most it unrecorded)
  assert.deepEqual(seen, ['a@example.test: a@example.test', 'c@example.test: c@example.test', 'd@example.test: d@example.test']);
});

test('the server closes after the 250 to a message: the next one, never answered, goes on a new connection once', async () => {
  const { mx, status } = await run(() => ({ closeAfter: (msg) => msg[0] === 'a@example.test' }), ['a@example.test', 'b@example.test', 'c@example.test']);
  assert.deepEqual(status, {
    'a@example.test': { status: 'delivered', code: 250 },
    'b@example.test': { status: 'delivered', code: 250 },
    'c@example.test': { status: 'delivered', code: 250 },
  });
  assert.deepEqual(mx.accepted, [['a@example.test'], ['b@example.test'], ['c@example.test']], 'each message arrives exactly once');
  assert.equal(mx.connections, 2);
  assert.ok(mx.pipelinedAfterContent >= 1, `b's envelope came with a's content: ${mx.pipelinedAfterContent}`);
});

test('a 554 to a message content, then the next message pipelined behind it: bounced, and the next delivered', async () => {
  const seen: string[] = [];
  const { mx, status } = await run((store) => ({ end: (msg) => (msg[0] === 'a@example.test' ? '554 5.7.1 Spam message rejected' : '250 2.0.0 queued'), onContent: sendingChecks(store, seen) }), ['a@example.test', 'b@example.test', 'c@example.test']);
  assert.deepEqual(status, {
    'a@example.test': { status: 'bounced', code: 554 },
    'b@example.test': { status: 'delivered', code: 250 },
    'c@example.test': { status: 'delivered', code: 250 },
  });
  assert.deepEqual(mx.accepted, [['b@example.test'], ['c@example.test']]);
  assert.equal(mx.connections, 1);
  assert.ok(mx.pipelinedAfterContent >= 2, `pipelined after content: ${mx.pipelinedAfterContent}`);
  assert.deepEqual(seen, ['a@example.test: a@example.test', 'b@example.test: b@example.test', 'c@example.test: c@example.test']);
});

test('a 421 to the next RCPT after a delivered message: that message is deferred with the reply, nothing of it sent', async () => {
  const { mx, status } = await run(() => ({ rcpt: (a) => (a === 'b@example.test' ? '421 4.3.2 Service shutting down' : '250 2.1.5 Ok') }), ['a@example.test', 'b@example.test', 'c@example.test']);
  assert.equal(status['a@example.test']?.status, 'delivered');
  assert.deepEqual(status['b@example.test'], { status: 'deferred', code: 421 });
  assert.equal(status['c@example.test']?.status, 'delivered');
  assert.deepEqual(mx.accepted, [['a@example.test'], ['c@example.test']]);
});
