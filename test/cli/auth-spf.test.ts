/** `mailpace-cli auth spf`, run as the built binary against the fixture DNS server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { runCli } from '../helpers/cli.js';

let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer({
    'example.test': { TXT: ['v=spf1 ip4:192.0.2.0/24 include:_spf.provider.test -all exp=why.example.test'] },
    '_spf.provider.test': { TXT: ['v=spf1 ip6:2001:db8:5::/48 ~all'] },
    'why.example.test': { TXT: ['%{i} may not send for %{d}'] },
    'mail.example.test': { TXT: ['v=spf1 a -all'], A: ['198.51.100.25'] },
    'broken.test': { TXT: ['v=spf1 ip4:192.0.2.1 -all', 'v=spf1 -all'] },
    'slow.test': { behaviour: 'timeout' },
  });
});
after(() => srv.stop());

const spf = (...args: string[]) => runCli(['--dns', srv.address, '--timeout', '2s', 'auth', 'spf', ...args]);

test('pass: JSON with result, mechanism and lookups; exit 0', async () => {
  const r = await spf('--ip', '2001:db8:5::1', '--mail-from', 'bounce@example.test', '--json');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'auth spf');
  assert.equal(doc.result, 'pass');
  assert.equal(doc.mechanism, 'include:_spf.provider.test');
  assert.deepEqual({ count: doc.lookups.count, void: doc.lookups.void }, { count: 1, void: 0 });
  assert.equal(doc.explanation, undefined);
  assert.equal(doc.identity, 'mailfrom');
  assert.ok(Array.isArray(doc.trace) && doc.trace.length > 0);
});

test('fail is a result, not an error: exit 0, with the exp= explanation', async () => {
  const r = await spf('--ip', '203.0.113.9', '--mail-from', 'bounce@example.test', '--json');
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.result, 'fail');
  assert.equal(doc.mechanism, '-all');
  assert.equal(doc.explanation, '203.0.113.9 may not send for example.test');
});

test('permerror is a result about the domain: exit 0', async () => {
  const r = await spf('--ip', '192.0.2.1', '--mail-from', 'a@broken.test', '--json');
  assert.equal(r.code, 0);
  assert.equal(JSON.parse(r.stdout).result, 'permerror');
});

test('temperror means the check could not complete: exit 3, still one JSON document', async () => {
  const r = await runCli(['--dns', srv.address, '--timeout', '300ms', 'auth', 'spf', '--ip', '192.0.2.1', '--mail-from', 'a@slow.test', '--json']);
  assert.equal(r.code, 3);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.result, 'temperror');
  assert.match(doc.reason, /timed out/);
});

test('a null MAIL FROM checks the HELO name', async () => {
  const r = await spf('--ip', '198.51.100.25', '--mail-from', '', '--helo', 'mail.example.test', '--json');
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.identity, 'helo');
  assert.equal(doc.sender, 'postmaster@mail.example.test');
  assert.equal(doc.result, 'pass');
});

test('human output: the verdict first, then why and the lookups used', async () => {
  const r = await spf('--ip', '203.0.113.9', '--mail-from', 'bounce@example.test');
  assert.equal(r.code, 0);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^FAIL {2}203\.0\.113\.9 is not authorised to send for example\.test$/);
  assert.match(r.stdout, /why +"-all" in the SPF record of example\.test matched/);
  assert.match(r.stdout, /explanation +203\.0\.113\.9 may not send for example\.test/);
  assert.match(r.stdout, /lookups +1 of 10 DNS lookups, 0 of 2 void lookups/);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour off a TTY');
});

test('bad input: exit 2, one line on stderr, nothing on stdout', async () => {
  for (const args of [
    ['--ip', '999.1.1.1', '--mail-from', 'a@example.test'],
    ['--ip', 'example.test', '--mail-from', 'a@example.test', '--json'],
    ['--ip', '192.0.2.1'],
    ['--mail-from', 'a@example.test'],
  ]) {
    const r = await spf(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
    assert.ok(r.stderr.trim().length > 0);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
