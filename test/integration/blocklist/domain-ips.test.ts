import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../../helpers/dns-server.js';
import { SocketResolver } from '../../../src/core/dns/socket-resolver.js';
import { domainSendingIps } from '../../../src/core/blocklist/domain-ips.js';
import { MailpaceError, UsageError } from '../../../src/core/errors.js';

let srv: DnsFixtureServer;
let r: SocketResolver;

before(async () => {
  srv = await startDnsServer({
    'sender.example': {
      TXT: ['v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/24 ip6:2001:db8::25 ip4:192.0.2.30/32 a mx:mail.sender.example include:_spf.esp.example a:%{d}.x.example ~all', 'unrelated text'],
      A: ['192.0.2.11'],
      MX: [{ priority: 10, exchange: 'mx.sender.example' }],
    },
    'mail.sender.example': { MX: [{ priority: 5, exchange: 'out.sender.example' }] },
    'out.sender.example': { A: ['192.0.2.12'] },
    'mx.sender.example': { A: ['192.0.2.10', '192.0.2.13'], AAAA: ['2001:db8::26'] },
    'redir.example': { TXT: ['v=spf1 redirect=_spf.redir.example'] },
    '_spf.redir.example': { TXT: ['v=spf1 ip4:203.0.113.9 -all'] },
    'nospf.example': { TXT: ['hello'] },
    'broken.example': { behaviour: 'servfail' },
    'twice.example': { TXT: ['v=spf1 ip4:192.0.2.40 -all', 'v=spf1 ip4:192.0.2.41 -all'] },
    'bad.example': { TXT: ['v=spf1 ip4:300.1.1.1 -all'] },
  });
  r = new SocketResolver({ servers: [{ host: '127.0.0.1', port: srv.port }], timeoutMs: 500 });
});
after(() => srv.stop());

test('SPF single hosts, a, mx, and the MX hosts, each address once with where it came from', async () => {
  const d = await domainSendingIps(r, 'sender.example');
  const got = Object.fromEntries(d.addresses.map((a) => [a.target.value, a.via]));
  assert.deepEqual(Object.keys(got).sort(), ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13', '192.0.2.30', '2001:db8::25', '2001:db8::26'].sort());
  assert.equal(got['192.0.2.10'], 'SPF ip4 in sender.example');
  assert.equal(got['192.0.2.11'], 'SPF a:sender.example');
  assert.equal(got['192.0.2.12'], 'SPF mx:mail.sender.example (out.sender.example)');
  assert.equal(got['192.0.2.13'], 'MX mx.sender.example');
  const notes = d.notes.join('\n');
  assert.match(notes, /range 198\.51\.100\.0\/24: ranges are not expanded/);
  assert.match(notes, /include:_spf\.esp\.example .* not followed/);
  assert.match(notes, /uses a macro/);
});

test('redirect= is followed', async () => {
  const d = await domainSendingIps(r, 'redir.example');
  assert.deepEqual(d.addresses.map((a) => a.target.value), ['203.0.113.9']);
});

test('two SPF records: the first is used and the problem noted', async () => {
  const d = await domainSendingIps(r, 'twice.example');
  assert.deepEqual(d.addresses.map((a) => a.target.value), ['192.0.2.40']);
  assert.match(d.notes.join(' '), /2 SPF records/);
});

test('no addresses at all is bad input (exit 2); DNS failure is could-not-complete (exit 3)', async () => {
  await assert.rejects(domainSendingIps(r, 'nospf.example'), (e: unknown) => e instanceof UsageError && /publishes no sending addresses/.test(e.message));
  await assert.rejects(domainSendingIps(r, 'bad.example'), (e: unknown) => e instanceof UsageError && /does not parse/.test((e as UsageError).hint ?? ''));
  await assert.rejects(domainSendingIps(r, 'broken.example'), (e: unknown) => e instanceof MailpaceError && !(e instanceof UsageError) && /SERVFAIL|servfail|got SERVFAIL/i.test(e.message));
});
