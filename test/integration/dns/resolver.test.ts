import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { SocketResolver } from '../../../src/core/dns/socket-resolver.js';
import { CachingResolver } from '../../../src/core/dns/caching-resolver.js';

let srv: DnsFixtureServer;
let r: SocketResolver;
const big = Array.from({ length: 40 }, (_, i) => `v=big${i} ${'x'.repeat(60)}`);

before(async () => {
  srv = await startDnsServer({
    'example.test': { A: ['192.0.2.1'], TXT: ['v=spf1 -all', ['part one ', 'part two']], MX: [{ priority: 10, exchange: 'mx.example.test' }] },
    'mx.example.test': { A: ['192.0.2.25'], AAAA: ['2001:db8::25'] },
    'alias.example.test': { CNAME: 'example.test' },
    'big.example.test': { TXT: big },
    'slow.example.test': { behaviour: 'timeout' },
    'fail.example.test': { behaviour: 'servfail' },
    'no.example.test': { behaviour: 'refused' },
    'junk.example.test': { behaviour: 'garbage' },
    'old.example.test': { behaviour: 'formerr-edns', A: ['192.0.2.9'] },
    'signed.example.test': { A: ['192.0.2.7'], ad: true },
    'foo:bar/baz.example.test': { TXT: ['odd name'] },
    'sub.empty.example.test': { A: ['192.0.2.3'] },
    '*.wild.example.test': { A: ['192.0.2.4'] },
  });
  r = new SocketResolver({ servers: [{ host: '127.0.0.1', port: srv.port }], timeoutMs: 1000 });
});
after(() => srv.stop());

test('A, MX, TXT answers with TTLs; TXT strings joined', async () => {
  const a = await r.query('example.test', 'A');
  assert.equal(a.status, 'ok');
  assert.deepEqual(a.records.map((x) => x.address), ['192.0.2.1']);
  assert.equal(a.records[0]!.ttl, 300);
  const txt = await r.query('example.test', 'TXT');
  assert.deepEqual(txt.records.map((x) => x.text).sort(), ['part one part two', 'v=spf1 -all']);
  const mx = await r.query('EXAMPLE.test.', 'MX');
  // name compression may reuse the question's spelling, so compare case-insensitively (RFC 4343)
  assert.deepEqual(mx.records.map((x) => [x.priority, x.exchange.toLowerCase()]), [[10, 'mx.example.test']]);
});

test('NXDOMAIN, NODATA, empty non-terminal, SERVFAIL, REFUSED and timeout are distinct', async () => {
  assert.equal((await r.query('missing.example.test', 'A')).status, 'nxdomain');
  assert.equal((await r.query('mx.example.test', 'TXT')).status, 'nodata');
  assert.equal((await r.query('empty.example.test', 'A')).status, 'nodata');
  assert.equal((await r.query('fail.example.test', 'A')).status, 'servfail');
  assert.equal((await r.query('no.example.test', 'A')).status, 'refused');
  const t = await r.query('slow.example.test', 'A');
  assert.equal(t.status, 'timeout');
  assert.match(t.detail ?? '', /within 1000 ms/);
});

test('garbage replies are an error, not a crash', async () => {
  const g = await r.query('junk.example.test', 'A');
  assert.equal(g.status, 'error');
  assert.match(g.detail ?? '', /malformed/);
});

test('CNAME chains are followed', async () => {
  const a = await r.query('alias.example.test', 'A');
  assert.equal(a.status, 'ok');
  assert.deepEqual(a.cnames, ['example.test']);
  assert.equal(a.records[0]!.address, '192.0.2.1');
});

test('truncated UDP answers are retried over TCP', async () => {
  const before = srv.log.length;
  const a = await r.query('big.example.test', 'TXT');
  assert.equal(a.status, 'ok');
  assert.equal(a.records.length, 40);
  const mine = srv.log.slice(before);
  // UDP may be retransmitted before the truncated reply arrives; what matters is the switch to TCP
  assert.equal(mine[0]!.transport, 'udp');
  assert.equal(mine[mine.length - 1]!.transport, 'tcp');
  assert.equal(mine.filter((q) => q.transport === 'tcp').length, 1);
});

test('servers that reject EDNS are asked again without it', async () => {
  const a = await r.query('old.example.test', 'A');
  assert.equal(a.status, 'ok');
  assert.equal(a.records[0]!.address, '192.0.2.9');
});

test('AD flag is reported', async () => {
  assert.equal((await r.query('signed.example.test', 'A')).ad, true);
  assert.equal((await r.query('example.test', 'A')).ad, false);
});

test('names with any octets can be queried (RFC 7208 macro output)', async () => {
  const a = await r.query('foo:bar/baz.example.test', 'TXT');
  assert.equal(a.status, 'ok');
  assert.equal(a.records[0]!.text, 'odd name');
});

test('over-long names are an error answer, not an exception', async () => {
  const a = await r.query(`${'a'.repeat(64)}.example.test`, 'A');
  assert.equal(a.status, 'error');
  assert.match(a.detail!, /63 octets/);
});

test('falls through to the next server when one does not answer', async () => {
  const dead = await startDnsServer({ '*.test': { behaviour: 'timeout' } });
  try {
    const r2 = new SocketResolver({ servers: [{ host: '127.0.0.1', port: dead.port }, { host: '127.0.0.1', port: srv.port }], timeoutMs: 200 });
    const a = await r2.query('example.test', 'A');
    assert.equal(a.status, 'ok');
    assert.equal(a.server, `127.0.0.1:${srv.port}`);
  } finally {
    await dead.stop();
  }
});

test('the caching resolver asks each name/type once per run', async () => {
  const c = new CachingResolver(r);
  const n0 = srv.count('mx.example.test', 'A');
  await Promise.all([c.query('mx.example.test', 'A'), c.query('MX.example.test.', 'A'), c.query('mx.example.test', 'A')]);
  assert.equal(srv.count('mx.example.test', 'A') - n0, 1);
  assert.equal(c.hits, 2);
});

/** A UDP port on 127.0.0.1 with (very likely) nothing listening: bound, then closed again. */
async function closedPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

const REFUSAL = /^UDP to 127\.0\.0\.1:\d+: connection refused \(is a DNS server listening there\?\)$/;

test('a port with no DNS server fails fast with a plain message, not a timeout', async () => {
  const port = await closedPort();
  const r2 = new SocketResolver({ servers: [{ host: '127.0.0.1', port }], timeoutMs: 5000 });
  const a = await r2.query('example.test', 'A');
  // 'error' (from the ICMP port-unreachable), where a lost datagram would have been 'timeout'
  assert.equal(a.status, 'error');
  assert.match(a.detail ?? '', /connection refused/);
});

test('IPv6 transport: a server on [::1] answers over UDP, and over TCP when the answer is truncated', async () => {
  const v6 = await startDnsServer({ 'example.test': { A: ['192.0.2.1'] }, 'big.example.test': { TXT: big } }, { ipv6: true });
  const r6 = new SocketResolver({ servers: [{ host: '::1', port: v6.port }], timeoutMs: 1000 });
  try {
    const a = await r6.query('example.test', 'A');
    assert.equal(a.status, 'ok');
    assert.equal(a.server, `[::1]:${v6.port}`);
    const txt = await r6.query('big.example.test', 'TXT');
    assert.equal(txt.status, 'ok');
    assert.equal(txt.records.length, 40);
    assert.deepEqual(
      v6.log.filter((e) => e.name === 'big.example.test').map((e) => e.transport),
      ['udp', 'tcp'],
    );
  } finally {
    r6.close();
    await v6.stop();
  }
  // nothing listens there any more: refused at once, said plainly, with the bracketed address
  const gone = new SocketResolver({ servers: [{ host: '::1', port: v6.port }], timeoutMs: 1000 });
  const refused = await gone.query('example.test', 'A');
  assert.equal(refused.status, 'error');
  assert.match(refused.detail!, /UDP to \[::1\]:\d+: connection refused \(is a DNS server listening there\?\)/);
  gone.close();
});

test('a lost UDP datagram is sent again within the timeout, with the same ID, and the answer is used', async () => {
  const lossy = await startDnsServer({ 'lossy.example.test': { A: ['192.0.2.77'], behaviour: 'drop-first' } });
  // resends every timeout/4: a 1 s timeout resends after 250 ms, long before the query gives up
  const rl = new SocketResolver({ servers: [{ host: '127.0.0.1', port: lossy.port }], timeoutMs: 1000 });
  try {
    const a = await rl.query('lossy.example.test', 'A');
    assert.equal(a.status, 'ok', a.detail);
    assert.deepEqual(a.records.map((x) => x.address), ['192.0.2.77']);
    assert.equal(lossy.log.filter((e) => e.name === 'lossy.example.test' && e.transport === 'udp').length, 2);
    assert.equal(rl.sent, 2);
  } finally {
    rl.close();
    await lossy.stop();
  }
});

test('an aborted query ends at once as a timeout marked "aborted", and frees its slot', async () => {
  const ac = new AbortController();
  const pending = r.query('slow.example.test', 'A', { signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  const a = await pending;
  assert.equal(a.status, 'timeout');
  assert.equal(a.detail, 'aborted');
  // the resolver is still usable, and an already-aborted signal never sends anything
  const before = r.sent;
  assert.equal((await r.query('example.test', 'A', { signal: ac.signal })).detail, 'aborted');
  assert.equal(r.sent, before);
  assert.equal((await r.query('example.test', 'A')).status, 'ok');
});

// The three tests below use a 30 s query timeout and a 10 s test timeout: a query that waited for its
// timeout instead of failing on the refusal makes the test time out (no timing is asserted).

test('a closed port: every query in flight fails with the refusal, and later ones without being sent', { timeout: 10_000 }, async () => {
  const port = await closedPort();
  // a long hold, so that the later queries are certain to fall within it
  const rc = new SocketResolver({ servers: [{ host: '127.0.0.1', port }], timeoutMs: 30_000, unreachableHoldMs: 60_000 });
  try {
    // 512 at once: 64 per pooled socket, where the kernel's one pending error per socket used to be
    // consumed by the next send and never reported
    const answers = await Promise.all(Array.from({ length: 512 }, (_, i) => rc.query(`n${i}.example.test`, 'A')));
    for (const a of answers) {
      assert.equal(a.status, 'error', a.detail);
      assert.match(a.detail ?? '', REFUSAL);
    }
    const sent = rc.sent;
    const later = await Promise.all(Array.from({ length: 100 }, (_, i) => rc.query(`later${i}.example.test`, 'TXT')));
    for (const a of later) {
      assert.equal(a.status, 'error', a.detail);
      assert.match(a.detail ?? '', REFUSAL);
    }
    assert.equal(rc.sent, sent, 'a server held as refusing is not asked again within the hold');
  } finally {
    rc.close();
  }
});

test('two servers, the first closed: every query is answered by the second', { timeout: 10_000 }, async () => {
  const port = await closedPort();
  const r2 = new SocketResolver({ servers: [{ host: '127.0.0.1', port }, { host: '127.0.0.1', port: srv.port }], timeoutMs: 30_000 });
  try {
    // 256 at once: the fixture server's receive buffer drops some of a larger burst (resent after 1 s)
    const first = await Promise.all(Array.from({ length: 256 }, (_, i) => r2.query(`n${i}.wild.example.test`, 'A')));
    const later = await Promise.all(Array.from({ length: 100 }, (_, i) => r2.query(`later${i}.wild.example.test`, 'A')));
    for (const a of [...first, ...later]) {
      assert.equal(a.status, 'ok', a.detail);
      assert.equal(a.server, `127.0.0.1:${srv.port}`);
      assert.deepEqual(a.records.map((x) => x.address), ['192.0.2.4']);
    }
  } finally {
    r2.close();
  }
});

test('a server that refused is asked again once the hold is over, and used when it has come up', { timeout: 10_000 }, async () => {
  const port = await closedPort();
  const rc = new SocketResolver({ servers: [{ host: '127.0.0.1', port }], timeoutMs: 30_000, unreachableHoldMs: 50 });
  let late: DnsFixtureServer | undefined;
  try {
    const refused = await rc.query('example.test', 'A');
    assert.match(refused.detail ?? '', REFUSAL);
    late = await startDnsServer({ 'example.test': { A: ['192.0.2.1'] } }, { port });
    // within the hold the refusal is remembered; after it the server is probed again and answers
    let a = await rc.query('example.test', 'A');
    for (let i = 0; i < 100 && a.status !== 'ok'; i++) {
      assert.match(a.detail ?? '', REFUSAL);
      await new Promise((res) => setTimeout(res, 20));
      a = await rc.query('example.test', 'A');
    }
    assert.equal(a.status, 'ok', a.detail);
    assert.equal(a.server, `127.0.0.1:${port}`);
    assert.deepEqual(a.records.map((x) => x.address), ['192.0.2.1']);
  } finally {
    rc.close();
    await late?.stop();
  }
});
