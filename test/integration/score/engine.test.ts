import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FakeRspamd, closedPort } from './fake-rspamd.js';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { UndiciHttpClient } from '../../../src/core/http/undici-http-client.js';
import { SocketResolver } from '../../../src/core/dns/socket-resolver.js';
import { FakeClock } from '../../../src/core/clock.js';
import { DEFAULT_ALLOWED_EXTENSIONS } from '../../../src/core/score/attachment-extensions.js';
import { chooseEngine, mapLimit, scoreMessages, type ScoreInput, type ScoreOptions } from '../../../src/core/score/engine.js';
import { RspamdError } from '../../../src/core/score/rspamd-error.js';
import { createLinkChecker } from '../../../src/core/score/link-check.js';
import { confirmedHostname } from '../../../src/core/score/reverse-dns.js';

const FIXTURES = 'test/fixtures/messages';
const fixture = (name: string): ScoreInput => ({ file: `${FIXTURES}/${name}`, raw: readFileSync(`${FIXTURES}/${name}`) });

function options(over: Partial<ScoreOptions> = {}): ScoreOptions {
  return {
    engine: 'auto',
    rspamd: { url: 'http://127.0.0.1:1', explicit: false },
    envelope: {},
    allSymbols: false,
    lint: { bulk: false, allowedExtensions: [...DEFAULT_ALLOWED_EXTENSIONS] },
    concurrency: 4,
    checkLinks: false,
    ...over,
  };
}

let dns: DnsFixtureServer;
let resolver: SocketResolver;
before(async () => {
  dns = await startDnsServer({
    '10.2.0.192.in-addr.arpa': { PTR: ['mail.example.com'] },
    'mail.example.com': { A: ['192.0.2.10'] },
    '11.2.0.192.in-addr.arpa': { PTR: ['liar.example.com'] },
    'liar.example.com': { A: ['192.0.2.99'] },
    '12.2.0.192.in-addr.arpa': { behaviour: 'servfail' },
    'spam-domain.com.dbl.test': { A: ['127.0.1.2'] },
    'slow-domain.net.dbl.test': { behaviour: 'timeout' },
  });
  resolver = new SocketResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 200 });
});
after(() => dns.stop());

test('many messages are scored concurrently over one pool, results in input order', async () => {
  const files = ['good.eml', 'html-only.eml', 'attachments.eml', 'missing-headers.eml', 'bulk-mailto-only.eml', '8bit-undeclared.eml', 'malformed-mime.eml'];
  const inputs = [...files, ...files].map(fixture);
  // the fake holds every reply until 3 requests are in flight: this only finishes if we really overlap
  const f = await new FakeRspamd({ gate: 3, gateTotal: inputs.length }).start();
  const http = new UndiciHttpClient({ connections: 3 });
  try {
    const run = await scoreMessages(inputs, options({ concurrency: 3, rspamd: { url: f.url, explicit: true } }), { http, timeoutMs: 2000 });
    assert.equal(run.engine, 'rspamd');
    assert.deepEqual(run.results.map((r) => r.file), inputs.map((i) => i.file));
    // each result is the reply to its own message (the fake echoes the body size)
    for (const r of run.results) {
      assert.equal(r.engine, 'rspamd');
      assert.deepEqual(r.symbols.find((s) => s.name === 'SIZE_BYTES')!.options, [String(r.bytes)]);
    }
    assert.equal(f.maxInFlight, 3);
    assert.ok(f.connections <= 3, `${f.connections} connections`);
    // the lint runs beside Rspamd, and what to fix first mixes both
    const att = run.results.find((r) => r.file.endsWith('attachments.eml'))!;
    assert.ok(att.findings.some((x) => x.code === 'LINT_ATTACHMENT_BLOCKED' && x.severity === 'error'));
    assert.deepEqual(att.fixFirst.map((x) => x.name).slice(0, 2), ['LINT_ATTACHMENT_BLOCKED', 'MISSING_MID']);
  } finally {
    await http.close();
    await f.stop();
  }
});

test('auto falls back to the built-in lint with a notice; explicit URL or --engine rspamd fails instead', async () => {
  const port = await closedPort();
  const http = new UndiciHttpClient();
  const url = `http://127.0.0.1:${port}`;
  try {
    const auto = await chooseEngine(options({ rspamd: { url, explicit: false } }), { http, timeoutMs: 500 });
    assert.equal(auto.engine, 'builtin');
    assert.match(auto.notice!, new RegExp(`no Rspamd at ${url} \\(connection refused\\); using the built-in lint`));
    await assert.rejects(chooseEngine(options({ rspamd: { url, explicit: true } }), { http, timeoutMs: 500 }), (e: RspamdError) => e.code === 'RSPAMD_UNREACHABLE');
    await assert.rejects(chooseEngine(options({ engine: 'rspamd', rspamd: { url, explicit: false } }), { http, timeoutMs: 500 }), RspamdError);
    // builtin never touches the network
    const builtin = await scoreMessages([fixture('missing-headers.eml')], options({ engine: 'builtin', rspamd: { url, explicit: true } }), { http, timeoutMs: 500 });
    assert.equal(builtin.results[0]!.engine, 'builtin');
    assert.equal(builtin.results[0]!.score, 7.5);
    assert.equal(builtin.results[0]!.action, 'add header');
  } finally {
    await http.close();
  }
});

test('an Rspamd failure mid-run fails the run (exit 3 at the CLI), not a silent partial result', async () => {
  const f = await new FakeRspamd().start();
  const http = new UndiciHttpClient();
  try {
    let n = 0;
    f.opts.reply = (req) => {
      if (++n === 2) return { error: 'Unknown statistics error' };
      return { score: 1, required_score: 15, action: 'no action', symbols: {}, size: req.body.length };
    };
    await assert.rejects(
      scoreMessages([fixture('good.eml'), fixture('good.eml'), fixture('good.eml')], options({ concurrency: 1, rspamd: { url: f.url, explicit: true } }), { http, timeoutMs: 1000 }),
      (e: RspamdError) => e.code === 'RSPAMD_BAD_REPLY' && /Unknown statistics error/.test(e.message),
    );
  } finally {
    await http.close();
    await f.stop();
  }
});

test('the client host name is forward-confirmed reverse DNS; without a confirmed name no Hostname is sent', async () => {
  assert.equal(await confirmedHostname(resolver, '192.0.2.10'), 'mail.example.com');
  assert.equal(await confirmedHostname(resolver, '192.0.2.11'), undefined);
  assert.equal(await confirmedHostname(resolver, '192.0.2.13'), undefined);
  assert.equal(await confirmedHostname(resolver, '192.0.2.12'), undefined);
  const f = await new FakeRspamd().start();
  const http = new UndiciHttpClient();
  // what the fake Rspamd received as envelope headers, and what the result says was sent
  const sent = (i: number) => f.requests.filter((q) => q.path === '/checkv2')[i]!.headers.filter(([k]) => ['IP', 'Helo', 'Hostname', 'From', 'Rcpt', 'User'].includes(k));
  try {
    const cases: [ip: string, status: string, hostname: string | undefined][] = [
      ['192.0.2.10', 'confirmed', 'mail.example.com'], // PTR mail.example.com, whose A is 192.0.2.10
      ['192.0.2.13', 'no-ptr', undefined], // no PTR at all
      ['192.0.2.11', 'not-confirmed', undefined], // PTR liar.example.com, whose A is another address
      ['192.0.2.12', 'failed', undefined], // SERVFAIL on the PTR
    ];
    for (const [i, [ip, status, hostname]] of cases.entries()) {
      const run = await scoreMessages(
        [fixture('html-only.eml')],
        options({ rspamd: { url: f.url, explicit: true }, envelope: { ip, helo: 'mail.example.com', from: 'team@example.com', rcpt: ['bob@example.net'] } }),
        { http, timeoutMs: 1000, resolver },
      );
      const env = run.results[0]!.envelope;
      assert.equal(env.reverseDns?.status, status, ip);
      assert.equal(env.hostname, hostname, ip);
      const expected: [string, string][] = [['IP', ip], ['Helo', 'mail.example.com'], ...(hostname ? [['Hostname', hostname] as [string, string]] : []), ['From', 'team@example.com'], ['Rcpt', 'bob@example.net']];
      assert.deepEqual(sent(i), expected, ip);
      // never a Hostname of "unknown", or any Hostname, unless confirmed
      assert.equal(sent(i).some(([k]) => k === 'Hostname'), hostname !== undefined, ip);
      // the result shows exactly the headers Rspamd got
      assert.deepEqual(env.headers, expected.map(([name, value]) => ({ name, value })), ip);
    }
    // --hostname unknown (what an MTA says of an unverified client) is never sent either, and not looked up
    const before = dns.log.length;
    const run = await scoreMessages([fixture('html-only.eml')], options({ rspamd: { url: f.url, explicit: true }, envelope: { ip: '192.0.2.10', hostname: 'unknown' } }), { http, timeoutMs: 1000, resolver });
    assert.equal(run.results[0]!.envelope.reverseDns, undefined);
    assert.equal(dns.log.length, before);
    assert.deepEqual(sent(cases.length).find(([k]) => k === 'Hostname'), undefined);
    // a host name from the Received hop the receiving MTA wrote (it verified that one) is sent as recorded
    const hop = await scoreMessages([fixture('good.eml')], options({ rspamd: { url: f.url, explicit: true } }), { http, timeoutMs: 1000, resolver });
    assert.deepEqual(sent(cases.length + 1).find(([k]) => k === 'Hostname'), ['Hostname', 'mail.example.com']);
    assert.equal(hop.results[0]!.envelope.reverseDns, undefined);
    // the built-in engine sends nothing, so claims no headers
    const builtin = await scoreMessages([fixture('good.eml')], options({ engine: 'builtin', envelope: { ip: '203.0.113.5' } }), { http, timeoutMs: 1000, resolver });
    assert.equal(builtin.results[0]!.envelope.headers, undefined);
  } finally {
    await http.close();
    await f.stop();
  }
});

test('--check-links: linked registrable domains against a domain list; listings and failed lookups', async () => {
  const checker = createLinkChecker({ resolver, clock: new FakeClock(), timeoutMs: 200 }, { selection: { zones: ['dbl.test:domain'] } });
  const findings = await checker(['www.spam-domain.com', 'click.spam-domain.com', 'cdn.clean-domain.org', 'slow-domain.net', '192.0.2.1']);
  assert.deepEqual(findings.map((f) => [f.code, (f.evidence as { domain: string }).domain]), [
    ['LINT_LINK_BLOCKLISTED', 'spam-domain.com'],
    ['LINT_LINK_CHECK_UNREACHABLE_CHECK', 'slow-domain.net'],
  ]);
  // asked once per registrable domain, never for IPs
  assert.equal(dns.count('spam-domain.com.dbl.test', 'A'), 1);
  assert.equal(dns.log.filter((q) => q.name.startsWith('192.')).length, 0);
  assert.throws(() => createLinkChecker({ resolver, clock: new FakeClock(), timeoutMs: 200 }, { selection: { zones: ['ip-only.test'] } }), /not.*domain blocklist|none of/);
});

test('mapLimit keeps order, bounds concurrency and stops at the first error', async () => {
  let inFlight = 0;
  let max = 0;
  const out = await mapLimit([5, 4, 3, 2, 1], 2, async (x) => {
    inFlight++;
    max = Math.max(max, inFlight);
    await Promise.resolve();
    inFlight--;
    return x * 10;
  });
  assert.deepEqual(out, [50, 40, 30, 20, 10]);
  assert.equal(max, 2);
  const started: number[] = [];
  await assert.rejects(
    mapLimit([1, 2, 3, 4], 1, async (x) => {
      started.push(x);
      if (x === 2) throw new Error('boom');
      return x;
    }),
    /boom/,
  );
  assert.deepEqual(started, [1, 2]);
});
