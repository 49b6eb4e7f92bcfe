/**
 * Distributed delivery on one PostgreSQL queue: 2,000 messages, four `queue run` processes started
 * at once (the built CLI, real processes, one real database), and one of them killed with SIGKILL
 * in the middle of its work. The receiver is an smtp-server sink on 127.0.0.1 reached as a relay.
 *
 * What must hold afterwards: every Message-ID arrived at least once, at most one arrived twice (the
 * one the killed worker had in flight: delivery is at-least-once across a crash), the queue is empty,
 * and the delivery log has exactly one final row per message.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresStore } from '../../src/core/store/postgres-store.js';
import { DEFAULT_DELIVERY_OPTIONS, type DeliveryOptions } from '../../src/core/delivery/engine.js';
import { FINAL_STATUSES } from '../../src/core/store/store.js';
import { BIN } from '../helpers/cli.js';
import { freshDatabase, postgresSkip, sql } from '../helpers/postgres.js';
import { startFakeMx } from '../helpers/smtp-server.js';

const skip = postgresSkip();
const N = 2000;
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

interface Worker {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startWorker(url: string, workers: number): Worker {
  const child = spawn(
    process.execPath,
    [BIN, 'queue', 'run', '--retry', '--workers', String(workers), '--concurrency', '1', '--lease', '3s', '--helo', 'client.example.net', '--store', url, '--json', '--quiet'],
    { env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const w: Worker = { child, stdout: '', stderr: '', exit: new Promise((r) => child.on('exit', (code, signal) => r({ code, signal }))) };
  child.stdout!.on('data', (d) => (w.stdout += d));
  child.stderr!.on('data', (d) => (w.stderr += d));
  return w;
}

async function until(pred: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  for (let waited = 0; !(await pred()); waited += 50) {
    if (waited >= ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('4 queue run processes share 2,000 messages; one is killed mid-run; each message is delivered, at most one twice', { skip, timeout: 600_000 }, async () => {
  const sink = await startFakeMx({ name: 'sink.example.test' });
  cleanups.push(() => sink.stop());
  const db = await freshDatabase('workers');
  cleanups.push(db.drop);

  // Queue 2,000 one-recipient messages, each with its own Message-ID, relayed to the sink.
  const store = await PostgresStore.open(db.url, { display: 'test' });
  cleanups.push(() => store.close());
  const options: DeliveryOptions = { ...DEFAULT_DELIVERY_OPTIONS, relay: { host: '127.0.0.1', port: sink.port, secure: false } };
  const now = Date.now();
  const ids: string[] = [];
  for (let i = 0; i < N; i++) {
    const n = String(i).padStart(4, '0');
    const messageId = `<m${n}.${now}@workers.example>`;
    ids.push(messageId);
    await store.enqueue({
      id: `q${n}`,
      messageId,
      sender: 'sender@workers.example',
      raw: Buffer.from(`Message-ID: ${messageId}\r\nFrom: sender@workers.example\r\nTo: r${n}@sink.example\r\nSubject: ${n}\r\n\r\nmessage ${n}\r\n`),
      createdAt: now + i,
      expiresAt: now + 3_600_000,
      options: options as unknown as Record<string, unknown>,
      recipients: [{ recipient: `r${n}@sink.example`, domain: 'sink.example', status: 'queued', attempts: 0, nextAttemptAt: now }],
    });
  }

  // The victim runs one worker; the others two each (--workers). One message in flight per worker.
  const victim = startWorker(db.url, 1);
  const others = [startWorker(db.url, 2), startWorker(db.url, 2), startWorker(db.url, 2)];
  const all = [victim, ...others];
  try {
    // Kill the victim mid-run: once a few hundred messages are through and it holds a claim.
    const pid = victim.child.pid!;
    let held: string[] = [];
    await until(
      async () => {
        if (sink.messages.length < 300) return false;
        held = (await sql<{ id: string }>(db.url, 'SELECT id FROM queue_message WHERE claimed_by LIKE $1', [`%:${pid}:%`])).map((r) => r.id);
        return held.length > 0;
      },
      120_000,
      `the victim (pid ${pid}) to hold a claim after 300 messages (stderr: ${victim.stderr})`,
    );
    victim.child.kill('SIGKILL');
    const end = await victim.exit;
    assert.equal(end.signal, 'SIGKILL', `the victim ended by itself: ${victim.stderr}`);
    // What it held when it died: between the sample above and the kill it may have finished that
    // message and claimed the next. Its claims stay in the table until the 3 s lease runs out, so
    // reading them now (milliseconds after the exit) names the message it had in flight.
    const heldAtKill = (await sql<{ id: string }>(db.url, 'SELECT id FROM queue_message WHERE claimed_by LIKE $1', [`%:${pid}:%`])).map((r) => r.id);
    held = [...new Set([...held, ...heldAtKill])];
    const receivedAtKill = sink.messages.length;
    assert.ok(receivedAtKill < N, 'killed before the queue was done');

    // The survivors take over the victim's claim once its 3 s lease ends, and finish.
    for (const w of others) {
      const e = await w.exit;
      assert.equal(e.code, 0, `a survivor failed (exit ${e.code}): ${w.stderr}`);
      const doc = JSON.parse(w.stdout);
      assert.equal(doc.command, 'queue run');
    }

    // Every Message-ID arrived; at most one (the victim's in-flight message) twice.
    const counts = new Map<string, number>();
    for (const m of sink.messages) {
      const id = /^Message-ID: (\S+)/im.exec(m)?.[1];
      assert.ok(id, 'every message has its Message-ID');
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const missing = ids.filter((id) => !counts.has(id));
    assert.deepEqual(missing, [], 'every message arrived');
    const twice = [...counts].filter(([, n]) => n > 1);
    assert.ok(twice.length <= 1 && twice.every(([, n]) => n === 2), `at most one message twice: ${JSON.stringify(twice)}`);
    if (twice.length === 1) assert.ok(held.includes(`q${twice[0]![0].slice(2, 6)}`), `the duplicate ${twice[0]![0]} was the victim's (it held ${held.join(', ')})`);
    assert.equal(sink.messages.length, N + twice.length);

    // The queue is empty and the log has one final row per message.
    assert.deepEqual(await store.listQueue(), []);
    const finals = await sql<{ message_id: string; n: number }>(
      db.url,
      `SELECT message_id, count(*)::int AS n FROM delivery_log WHERE status IN (${[...FINAL_STATUSES].map((s) => `'${s}'`).join(',')}) GROUP BY message_id`,
    );
    assert.equal(finals.length, N);
    assert.deepEqual(finals.filter((r) => r.n !== 1), [], 'one final row per message');
    const statuses = await sql<{ status: string; n: number }>(db.url, `SELECT status, count(*)::int AS n FROM delivery_log GROUP BY status`);
    assert.deepEqual(statuses, [{ status: 'delivered', n: N }]);
  } finally {
    for (const w of all) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  }
});
