import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { SocketResolver } from '../../../src/core/dns/socket-resolver.js';
import { CachingResolver } from '../../../src/core/dns/caching-resolver.js';
import { LimitingResolver } from '../../../src/core/dns/limiting-resolver.js';
import type { DnsAnswer, RecordType, Resolver } from '../../../src/core/dns/types.js';
import { FakeClock } from '../../../src/core/clock.js';
import type { Deps } from '../../../src/core/deps.js';
import { scanBlocklists, scanExitCode } from '../../../src/core/blocklist/scan.js';
import { selectLists } from '../../../src/core/blocklist/selection.js';
import { collectTargets } from '../../../src/core/blocklist/target.js';

let srv: DnsFixtureServer;
let slow: DnsFixtureServer;

const nibbles = (hex32: string) => hex32.split('').reverse().join('.');

before(async () => {
  srv = await startDnsServer({
    // RFC 5782 §5 test entry, answered like the real ZEN: SBL + XBL + PBL
    '2.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2', '127.0.0.4', '127.0.0.10'], TXT: ['Listed by SBL, see https://check.spamhaus.org/sbl/query/SBLTEST'] },
    '5.113.0.203.zen.spamhaus.org': { A: ['127.0.0.2'], TXT: ['Listed by SBL', 'second reason'] },
    '5.113.0.203.b.barracudacentral.org': { A: ['127.0.0.2'] },
    '254.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] },
    '253.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] },
    '99.2.0.192.zen.spamhaus.org': { A: ['198.51.100.80'] },
    '1.2.0.192.zen.spamhaus.org': { behaviour: 'timeout' },
    '2.2.0.192.zen.spamhaus.org': { behaviour: 'servfail' },
    '3.2.0.192.zen.spamhaus.org': { behaviour: 'refused' },
    '4.2.0.192.zen.spamhaus.org': { behaviour: 'garbage' },
    '5.2.0.192.zen.spamhaus.org': { TXT: ['exists, but has no A record'] },
    [`${nibbles('20010db8000100000000000000000005')}.zen.spamhaus.org`]: { A: ['127.0.0.2'] },
    'dbltest.com.dbl.spamhaus.org': { A: ['127.0.1.2'], TXT: ['Listed by DBL'] },
    'test.uribl.com.multi.uribl.com': { A: ['127.0.0.14'] },
    'blocked.example.multi.uribl.com': { A: ['127.0.0.1'] },
  });
  slow = await startDnsServer({}, { delayMs: 20 });
});
after(async () => {
  await srv.stop();
  await slow.stop();
});

function depsFor(server: DnsFixtureServer, opts: { timeoutMs?: number; maxInFlight?: number } = {}): Deps {
  const base = new SocketResolver({ servers: [{ host: '127.0.0.1', port: server.port }], timeoutMs: opts.timeoutMs ?? 1000 });
  return { resolver: new CachingResolver(new LimitingResolver(base, opts.maxInFlight ?? 64)), clock: new FakeClock(0), timeoutMs: 1000 };
}

const targets = (...inputs: string[]) => collectTargets(inputs, 256).targets;
const zones = (...z: string[]) => selectLists({ zones: z });

test('listed, clean and the reason: codes decoded, TXT joined, removal link; exit 1', async () => {
  const r = await scanBlocklists(depsFor(srv), targets('127.0.0.2', '203.0.113.5', '127.0.0.1'), zones('zen.spamhaus.org', 'b.barracudacentral.org'));
  const by = (t: string, z: string) => r.results.find((x) => x.target === t && x.zone === z)!;
  const test2 = by('127.0.0.2', 'zen.spamhaus.org');
  assert.equal(test2.status, 'listed');
  assert.deepEqual(test2.codes, ['127.0.0.2', '127.0.0.4', '127.0.0.10']);
  assert.equal(test2.meanings.length, 3);
  assert.match(test2.txt!, /SBLTEST/);
  assert.equal(test2.removalUrl, 'https://check.spamhaus.org/');
  assert.equal(by('203.0.113.5', 'zen.spamhaus.org').txt, 'Listed by SBL | second reason');
  assert.equal(by('203.0.113.5', 'b.barracudacentral.org').status, 'listed');
  assert.equal(by('203.0.113.5', 'b.barracudacentral.org').txt, null);
  assert.equal(by('127.0.0.1', 'zen.spamhaus.org').status, 'clean');
  // results come in target order, lists in selection order, whatever the arrival order
  assert.deepEqual(r.results.map((x) => `${x.target} ${x.zone}`), [
    '127.0.0.2 zen.spamhaus.org',
    '127.0.0.2 b.barracudacentral.org',
    '203.0.113.5 zen.spamhaus.org',
    '203.0.113.5 b.barracudacentral.org',
    '127.0.0.1 zen.spamhaus.org',
    '127.0.0.1 b.barracudacentral.org',
  ]);
  assert.deepEqual(
    { ...r.summary, durationMs: 0 },
    { targets: 3, lists: 2, queries: 6, dnsQueries: 9, listed: 3, clean: 3, errors: 0, timeouts: 0, listedTargets: 2, durationMs: 0 },
  );
  assert.deepEqual(r.notices, []);
  assert.equal(scanExitCode(r.summary), 1);
});

test('a list refusing our resolver: errors, never listed, one notice saying what to do; exit 3 when nothing else', async () => {
  const r = await scanBlocklists(depsFor(srv), targets('192.0.2.254', '192.0.2.253'), zones('zen.spamhaus.org'));
  assert.deepEqual(r.results.map((x) => x.status), ['error', 'error']);
  assert.equal(r.summary.listed, 0);
  assert.equal(r.notices.length, 1);
  assert.match(r.notices[0]!, /^Spamhaus refused to answer our resolver \(zen\.spamhaus\.org answered 127\.255\.255\.254\)/);
  assert.match(r.notices[0]!, /--dns <ip>/);
  assert.match(r.notices[0]!, /--spamhaus-key/);
  assert.equal(scanExitCode(r.summary), 3);
});

test('timeout, SERVFAIL, REFUSED, garbage, rewritten NXDOMAIN and NODATA each get their status and one notice', async () => {
  const r = await scanBlocklists(
    depsFor(srv, { timeoutMs: 200 }),
    targets('192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.99', '192.0.2.5', '192.0.2.6'),
    zones('zen.spamhaus.org'),
  );
  const status = Object.fromEntries(r.results.map((x) => [x.target, x.status]));
  assert.deepEqual(status, {
    '192.0.2.1': 'timeout',
    '192.0.2.2': 'error',
    '192.0.2.3': 'error',
    '192.0.2.4': 'error',
    '192.0.2.99': 'error',
    '192.0.2.5': 'clean',
    '192.0.2.6': 'clean',
  });
  assert.match(r.results[0]!.detail!, /within 200 ms/);
  assert.match(r.results[1]!.detail!, /SERVFAIL/);
  assert.match(r.results[2]!.detail!, /REFUSED/);
  assert.match(r.results[3]!.detail!, /malformed/);
  assert.deepEqual(r.results[4]!.codes, ['198.51.100.80']);
  const notes = r.notices.join('\n');
  assert.match(notes, /outside 127\.0\.0\.0\/8: your resolver rewrites/);
  assert.match(notes, /answered REFUSED for zen\.spamhaus\.org/);
  assert.match(notes, /1 query got SERVFAIL/);
  assert.match(notes, /1 query failed \(zen\.spamhaus\.org\): malformed/);
  assert.match(notes, /1 query timed out .*--timeout/);
  assert.equal(r.notices.length, 5);
  assert.deepEqual([r.summary.clean, r.summary.errors, r.summary.timeouts], [2, 4, 1]);
  assert.equal(scanExitCode(r.summary), 0);
});

test('IPv6 is asked with 32 reversed nibbles, and only of lists that answer IPv6', async () => {
  const r = await scanBlocklists(depsFor(srv), targets('2001:db8:1::5'), zones('zen.spamhaus.org', 'b.barracudacentral.org'));
  assert.equal(r.results.length, 1);
  assert.equal(r.results[0]!.status, 'listed');
  assert.equal(r.results[0]!.targetKind, 'ipv6');
  assert.match(r.notices.join(' '), /IPv6 addresses were not checked against Barracuda BRBL: it only lists IPv4/);
});

test('domains are asked of domain lists only, IPs of IP lists only', async () => {
  const before = srv.log.length;
  const r = await scanBlocklists(depsFor(srv), targets('dbltest.com', 'test.uribl.com', '127.0.0.1'), zones('dbl.spamhaus.org', 'multi.uribl.com', 'zen.spamhaus.org'));
  const asked = srv.log.slice(before).filter((q) => q.type === 'A').map((q) => q.name).sort();
  assert.deepEqual(asked, [
    '1.0.0.127.zen.spamhaus.org',
    'dbltest.com.dbl.spamhaus.org',
    'dbltest.com.multi.uribl.com',
    'test.uribl.com.dbl.spamhaus.org',
    'test.uribl.com.multi.uribl.com',
  ]);
  const uribl = r.results.find((x) => x.target === 'test.uribl.com' && x.zone === 'multi.uribl.com')!;
  assert.equal(uribl.status, 'listed');
  assert.equal(uribl.meanings.length, 3);
});

test('URIBL 127.0.0.1 is a refusal with its own advice', async () => {
  const r = await scanBlocklists(depsFor(srv), targets('blocked.example'), zones('multi.uribl.com'));
  assert.equal(r.results[0]!.status, 'error');
  assert.match(r.notices[0]!, /^URIBL refused to answer our resolver/);
});

test('--concurrency bounds the DNS queries in flight, and every answer is reported once as it arrives', async () => {
  let inFlight = 0;
  let max = 0;
  const base = new SocketResolver({ servers: [{ host: '127.0.0.1', port: slow.port }], timeoutMs: 2000 });
  const counting: Resolver = {
    async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
      inFlight++;
      max = Math.max(max, inFlight);
      try {
        return await base.query(name, type);
      } finally {
        inFlight--;
      }
    },
  };
  const deps: Deps = { resolver: new CachingResolver(new LimitingResolver(counting, 4)), clock: new FakeClock(0), timeoutMs: 2000 };
  const seen: number[] = [];
  const r = await scanBlocklists(deps, collectTargets(['198.51.100.0/27'], 256).targets, zones('zen.spamhaus.org'), {
    concurrency: 4,
    onResult: (_res, done, total) => {
      assert.equal(total, 32);
      seen.push(done);
    },
  });
  assert.equal(r.summary.queries, 32);
  assert.equal(max, 4);
  assert.deepEqual(seen, Array.from({ length: 32 }, (_, i) => i + 1));
});

test('a failing result callback ends the scan with its error instead of leaving it hanging', async () => {
  let calls = 0;
  await assert.rejects(
    scanBlocklists(depsFor(srv), targets('127.0.0.2', '203.0.113.5', '127.0.0.1'), zones('zen.spamhaus.org'), {
      concurrency: 1,
      onResult: () => {
        calls++;
        throw new Error('renderer broke');
      },
    }),
    /renderer broke/,
  );
  assert.equal(calls, 1, 'no lookup is started after the failure');
});

test('an aborted scan stops starting lookups and reports the ones that finished', async () => {
  const ac = new AbortController();
  const r = await scanBlocklists(depsFor(srv), targets('198.51.100.0/28'), zones('zen.spamhaus.org'), {
    concurrency: 2,
    signal: ac.signal,
    onResult: (_r, done) => {
      if (done === 3) ac.abort();
    },
  });
  assert.ok(r.results.length >= 3 && r.results.length < 16, `finished: ${r.results.length}`);
  assert.equal(r.summary.queries, r.results.length);
});
