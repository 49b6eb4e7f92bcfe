/**
 * monitor on Postfix's own log (scripts/services/postfix.sh writes it with maillog_file): `send`
 * delivers through the real Postfix + postgrey to an accepting destination (greylisted first, then
 * delivered by virtual(8)), to its own domain (greylisted, then accepted and discarded by the
 * discard transport, which Postfix logs as status=sent), and to one that refuses at RCPT (relay
 * access denied). The lines of this run are picked out of the shared log by their queue ids, then
 * `monitor` must count exactly what happened, and pflogsumm (Debian) must agree on the same file.
 *
 * The second test sends out through the test Postfix's relaying listener (POSTFIX_RELAY_PORT), whose
 * smtp(8) delivers to loopback smtp-sinks: one destination accepts, one answers RCPT with 4xx until
 * the message expires (POSTFIX_QUEUE_LIFETIME seconds), one with 5xx, and one is a closed port.
 * monitor's counts per destination must match the status lines of the real log, and pflogsumm's
 * totals must match monitor's.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';
import { pflogsummAvailable, runPflogsumm } from '../helpers/pflogsumm.js';

const skip = serviceSkip('postfix');
const env = serviceEnv('postfix');
const relaySkip = (() => {
  if (skip) return skip;
  if (env!.POSTFIX_RELAY_PORT) return false;
  const why = 'the test Postfix has no relaying listener (POSTFIX_RELAY_PORT): restart it with scripts/services/postfix.sh';
  if (process.env.CI) throw new Error(`e2e: ${why}`);
  return why;
})();
const pflogsummSkip = (() => {
  if (pflogsummAvailable()) return false;
  const why = 'pflogsumm is not installed (apt-get install pflogsumm)';
  if (process.env.CI) throw new Error(`e2e: ${why}`);
  return why;
})();
let dns: DnsFixtureServer;
let dir: string;

before(async () => {
  if (skip) return;
  dns = await startDnsServer({
    [env!.POSTFIX_DELIVER_DOMAIN!]: { MX: [{ priority: 10, exchange: 'mx.mailpace.test' }] },
    [env!.POSTFIX_DOMAIN!]: { MX: [{ priority: 10, exchange: 'mx.mailpace.test' }] },
    'elsewhere.example': { MX: [{ priority: 10, exchange: 'mx.mailpace.test' }] },
    'mx.mailpace.test': { A: ['127.0.0.1'] },
  });
  dir = mkdtempSync(join(tmpdir(), 'mailpace-monitor-e2e-'));
});
after(async () => {
  await dns?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * The lines of this run in a log several test suites write to: queue ids whose lines name the token
 * (from=/to=), every line of those queue ids, and NOQUEUE rejects naming the token.
 */
export function linesOfRun(log: string, token: string): string[] {
  const lines = log.split('\n').filter((l) => l !== '');
  const qids = new Set<string>();
  for (const l of lines) {
    const m = /: ([0-9A-F]{6,}|[0-9B-DF-HJ-NP-TV-Zb-df-hj-np-tv-z]{10,}): /.exec(l);
    if (m && l.includes(token)) qids.add(m[1]!);
  }
  return lines.filter((l) => {
    const m = /: ([0-9A-Za-z]{6,}): /.exec(l);
    if (m && qids.has(m[1]!)) return true;
    return l.includes('NOQUEUE: reject:') && l.includes(token);
  });
}

test('monitor counts a real Postfix log exactly, and agrees with pflogsumm', { skip, timeout: 300_000 }, async (t) => {
  const log = env!.POSTFIX_LOG!;
  const token = `mon${randomBytes(5).toString('hex')}`;
  const accept = [1, 2, 3].map((i) => `${token}-a${i}@${env!.POSTFIX_DELIVER_DOMAIN}`);
  const discarded = `${token}-d@${env!.POSTFIX_DOMAIN}`;
  const refused = `${token}-r@elsewhere.example`;
  const sender = `${token}-s@${env!.POSTFIX_DELIVER_DOMAIN}`;
  const store = join(dir, 's.sqlite');
  const r = await runCli(
    ['send', '--from', sender, '--to', [...accept, discarded, refused].join(','), '--subject', 'monitor e2e', '--text', 'hello\n', '--retry', '--backoff', '2s,4s', '--greylist-delay', '6s', '--store', store,
      '--port', env!.POSTFIX_DELIVER_PORT!, '--dns', dns.address, '--timeout', '10s', '--helo', 'client.mailpace.test', '--json'],
    { timeoutMs: 200_000 },
  );
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.summary, { delivered: 4, deferred: 0, bounced: 1, suppressed: 0, expired: 0 }, r.stderr);
  // Every refused RCPT (greylisting 450, relay denied 554) is one NOQUEUE reject line in Postfix's log.
  let refusedRcpts = 0;
  const refusedByDomain: Record<string, number> = {};
  for (const rec of doc.recipients) {
    for (const a of rec.attempts) {
      if (!(a.reply?.code >= 400)) continue;
      refusedRcpts++;
      const d = rec.recipient.slice(rec.recipient.indexOf('@') + 1);
      refusedByDomain[d] = (refusedByDomain[d] ?? 0) + 1;
    }
  }
  assert.ok(refusedRcpts >= 5, `greylisted 4 times and refused once at least: ${refusedRcpts}`);

  // Postfix delivers asynchronously: wait for its four status lines and the queue removals.
  let mine: string[] = [];
  for (let i = 0; i < 100; i++) {
    mine = linesOfRun(readFileSync(log, 'utf8'), token);
    if (mine.filter((l) => l.includes('status=sent')).length >= 4 && mine.filter((l) => l.endsWith(': removed')).length >= 2) break;
    await sleep(200);
  }
  const file = join(dir, 'run.log');
  writeFileSync(file, `${mine.join('\n')}\n`);
  const m = statSync(log).mtime;
  utimesSync(file, m, m); // the year of its classic time stamps, as for the real file

  const mon = await runCli(['monitor', file, '--json', '--by', 'destination']);
  assert.equal(mon.code, 0, mon.stderr);
  const rep = JSON.parse(mon.stdout);
  assert.equal(rep.sources[0].format, 'postfix');
  assert.equal(rep.sources[0].skipped, 0);
  // 2 messages accepted by smtpd (the 3 @deliver recipients in one, the @mailpace.test one).
  assert.deepEqual(
    { ...rep.totals },
    { received: 2, delivered: 4, deferred: 0, bounced: 0, rejected: refusedRcpts, expired: 0, complaints: 0, deferredMessages: 0 },
    mine.join('\n'),
  );
  const byDest = Object.fromEntries(rep.groups.map((g: { key: string; totals: Record<string, number> }) => [g.key, g.totals]));
  assert.equal(byDest[env!.POSTFIX_DELIVER_DOMAIN!].delivered, 3);
  assert.equal(byDest[env!.POSTFIX_DOMAIN!].delivered, 1);
  for (const d of [env!.POSTFIX_DELIVER_DOMAIN!, env!.POSTFIX_DOMAIN!, 'elsewhere.example']) assert.equal(byDest[d].rejected, refusedByDomain[d], d);
  assert.equal(refusedByDomain['elsewhere.example'], 1);
  assert.equal(rep.senderDomains[0].domain, env!.POSTFIX_DELIVER_DOMAIN);
  assert.equal(rep.senderDomains[0].totals.received, 2);
  const relay = rep.groups.find((g: { key: string }) => g.key === 'elsewhere.example').topReplies[0];
  assert.match(relay.text, /^554 5\.7\.1 <addr>: Relay access denied$/);
  assert.equal(relay.classification.reason, 'norelaying');
  const grey = rep.groups.flatMap((g: { topReplies: { text: string; classification: { greylisted?: boolean } }[] }) => g.topReplies).find((x: { text: string }) => /Greylisted/.test(x.text));
  assert.equal(grey.classification.greylisted, true);
  assert.ok(rep.providers.find((p: { key: string }) => p.key === 'other').delay.p50Ms >= 0);

  await t.test('pflogsumm agrees on the same file', { skip: pflogsummSkip }, () => {
    // The delivering listener logs as postfix-deliver/…: pflogsumm reads it with --syslog-name.
    const p = runPflogsumm(file, ['--syslog-name=postfix-deliver']);
    assert.equal(p.received, rep.totals.received);
    assert.equal(p.delivered, rep.totals.delivered);
    assert.equal(p.bounced, rep.totals.bounced);
    assert.equal(p.rejected, rep.totals.rejected);
    // pflogsumm's "deferred" counts messages, its "(N deferrals)" the lines: ours are totals.deferredMessages and totals.deferred.
    assert.equal(p.deferred, rep.totals.deferredMessages);
    assert.equal(p.deferrals, rep.totals.deferred);
  });
});

test('monitor counts real outbound outcomes (delivered, deferred, bounced, unreachable, expired), and agrees with pflogsumm', { skip: relaySkip, timeout: 300_000 }, async (t) => {
  const log = env!.POSTFIX_LOG!;
  const token = `out${randomBytes(5).toString('hex')}`;
  const ok = env!.POSTFIX_RELAY_OK_DOMAIN!;
  const deferD = env!.POSTFIX_RELAY_DEFER_DOMAIN!;
  const bounceD = env!.POSTFIX_RELAY_BOUNCE_DOMAIN!;
  const down = env!.POSTFIX_RELAY_DOWN_DOMAIN!;
  const lifetimeMs = Number(env!.POSTFIX_QUEUE_LIFETIME) * 1000;
  assert.ok(lifetimeMs > 0 && lifetimeMs <= 60_000, `POSTFIX_QUEUE_LIFETIME=${env!.POSTFIX_QUEUE_LIFETIME}`);
  // The sender is at the accepting destination, so Postfix's bounces come back there as deliveries.
  const sender = `${token}-s@${ok}`;
  const to = [ok, deferD, bounceD, down].map((d, i) => `${token}-${i}@${d}`);
  const r = await runCli(
    ['send', '--from', sender, '--to', to.join(','), '--subject', 'monitor outbound e2e', '--text', 'hello\n', '--relay', `smtp://127.0.0.1:${env!.POSTFIX_RELAY_PORT}`,
      '--ca-file', env!.POSTFIX_CA_FILE!, '--helo', 'client.mailpace.test', '--timeout', '10s', '--store', join(dir, 'out.sqlite'), '--json'],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  // The relay takes every recipient; what happens next is Postfix's.
  assert.equal(JSON.parse(r.stdout).summary.delivered, 4, r.stdout);

  // One message per destination; the bounced one and the two that expire are returned to the sender:
  // 3 delivery status notifications, each delivered to the accepting sink.
  const count = (lines: string[], re: RegExp): number => lines.filter((l) => re.test(l)).length;
  let mine: string[] = [];
  const deadline = Date.now() + lifetimeMs + 60_000;
  while (Date.now() < deadline) {
    mine = linesOfRun(readFileSync(log, 'utf8'), token);
    if (count(mine, /, status=expired, /) >= 2 && count(mine, /, status=sent /) >= 4 && count(mine, /: removed$/) >= 7) break;
    await sleep(500);
  }
  assert.equal(count(mine, /, status=expired, returned to sender$/), 2, mine.join('\n'));
  assert.equal(count(mine, /: removed$/), 7, mine.join('\n'));

  // What the log says, per recipient domain: the status lines of smtp(8).
  const fromLog: Record<string, Record<string, number>> = {};
  for (const l of mine) {
    const m = /: to=<[^>]*@([^>]+)>, .*, status=(sent|deferred|bounced) /.exec(l);
    if (!m) continue;
    const k = m[2] === 'sent' ? 'delivered' : m[2]!;
    fromLog[m[1]!] ??= { delivered: 0, deferred: 0, bounced: 0 };
    fromLog[m[1]!]![k]!++;
  }
  assert.deepEqual(fromLog[ok], { delivered: 4, deferred: 0, bounced: 0 });
  assert.deepEqual(fromLog[bounceD], { delivered: 0, deferred: 0, bounced: 1 });
  for (const d of [deferD, down]) {
    assert.equal(fromLog[d]!.delivered + fromLog[d]!.bounced, 0, d);
    assert.ok(fromLog[d]!.deferred >= 2, `${d} retried before it expired: ${fromLog[d]!.deferred}`);
  }

  const file = join(dir, 'out.log');
  writeFileSync(file, `${mine.join('\n')}\n`);
  const m = statSync(log).mtime;
  utimesSync(file, m, m);
  const mon = await runCli(['monitor', file, '--json', '--by', 'destination']);
  assert.equal(mon.code, 0, mon.stderr);
  const rep = JSON.parse(mon.stdout);
  assert.equal(rep.sources[0].format, 'postfix');
  assert.equal(rep.sources[0].skipped, 0);
  const deferrals = fromLog[deferD]!.deferred + fromLog[down]!.deferred;
  assert.deepEqual(
    { ...rep.totals },
    { received: 4, delivered: 4, deferred: deferrals, bounced: 1, rejected: 0, expired: 2, complaints: 0, deferredMessages: 2 },
    mine.join('\n'),
  );
  type Group = { key: string; totals: Record<string, number>; topReplies: { text: string }[] };
  const byDest = Object.fromEntries(rep.groups.map((g: Group) => [g.key, g]));
  for (const d of [ok, deferD, bounceD, down]) {
    const { delivered, deferred, bounced } = byDest[d].totals;
    assert.deepEqual({ delivered, deferred, bounced }, fromLog[d], d);
  }
  // qmgr's expiry lines name no recipient: each expiry counts under the destination its recipient was deferred at.
  assert.deepEqual([ok, deferD, bounceD, down].map((d) => byDest[d].totals.expired), [0, 1, 0, 1]);
  assert.equal(byDest['(unknown)'], undefined, JSON.stringify(Object.keys(byDest)));
  assert.ok(byDest[down].topReplies.some((x: { text: string }) => /Connection refused/.test(x.text)), JSON.stringify(byDest[down].topReplies));
  assert.ok(byDest[deferD].topReplies.some((x: { text: string }) => /^450 /.test(x.text)), JSON.stringify(byDest[deferD].topReplies));
  assert.ok(byDest[bounceD].topReplies.some((x: { text: string }) => /^5\d\d /.test(x.text)), JSON.stringify(byDest[bounceD].topReplies));

  await t.test('pflogsumm agrees on the same file', { skip: pflogsummSkip }, () => {
    const p = runPflogsumm(file, ['--syslog-name=postfix-relay']);
    assert.deepEqual(p, {
      received: rep.totals.received,
      delivered: rep.totals.delivered,
      deferred: rep.totals.deferredMessages,
      deferrals: rep.totals.deferred,
      bounced: rep.totals.bounced,
      rejected: rep.totals.rejected,
    });
  });
});
