import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../src/core/clock.js';
import { UsageError } from '../../../src/core/errors.js';
import { evaluateSpf, INCLUDE_RESULT_MAP, SPF_RESULTS, type SpfInput } from '../../../src/core/spf/evaluate.js';
import { MemoryResolver, type MemoryEntry } from './memory-resolver.js';

async function spf(zone: Record<string, MemoryEntry>, input: Partial<SpfInput> & { ip: string }) {
  const resolver = new MemoryResolver(zone);
  const ev = await evaluateSpf({ resolver, clock: new FakeClock(1_700_000_000_500), timeoutMs: 1000 }, { mailFrom: 'user@example.com', ...input });
  return { ev, asked: resolver.asked };
}

test('the result vocabulary and the include table of RFC 7208 §5.2', () => {
  assert.deepEqual(Object.keys(SPF_RESULTS).sort(), ['fail', 'neutral', 'none', 'pass', 'permerror', 'softfail', 'temperror']);
  assert.deepEqual(INCLUDE_RESULT_MAP, { pass: 'match', fail: 'no-match', softfail: 'no-match', neutral: 'no-match', temperror: 'temperror', permerror: 'permerror', none: 'permerror' });
});

test('the addresses behind "mx" do not count toward the 10 lookups (RFC 7208 §4.6.4)', async () => {
  const { ev } = await spf(
    {
      'example.com': { TXT: ['v=spf1 mx -all'], MX: [[10, 'a.example.com'], [20, 'b.example.com'], [30, 'c.example.com']] },
      'a.example.com': { A: ['192.0.2.1'] },
      'b.example.com': { A: ['192.0.2.2'] },
      'c.example.com': { A: ['192.0.2.3'] },
    },
    { ip: '192.0.2.3' },
  );
  assert.equal(ev.result, 'pass');
  assert.equal(ev.mechanism, 'mx');
  assert.deepEqual(ev.lookups, { count: 1, void: 0, limit: 10, voidLimit: 2 });
});

test('ip4, ip6, all and exp= do not count; include, a, mx, ptr, exists, redirect do', async () => {
  const { ev } = await spf(
    {
      'example.com': { TXT: ['v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 include:inc.example.com a mx ptr exists:x.example.com redirect=r.example.com exp=e.example.com'] },
      'inc.example.com': { TXT: ['v=spf1 -all'] },
      'r.example.com': { TXT: ['v=spf1 -all'] },
      'x.example.com': { A: ['198.51.100.1'] },
      'e.example.com': { TXT: ['no'] },
    },
    { ip: '203.0.113.1' },
  );
  // "exists" matched (x.example.com has an A record), so redirect never ran: include a mx ptr exists = 5
  assert.equal(ev.result, 'pass');
  assert.equal(ev.mechanism, 'exists:x.example.com');
  assert.equal(ev.lookups.count, 5);
});

test('void lookups: two are fine, the third is a permerror (RFC 7208 §4.6.4)', async () => {
  const zone = { 'example.com': { TXT: ['v=spf1 a:nx1.example.com mx:nx2.example.com exists:nx3.example.com ?all'] } };
  const three = await spf(zone, { ip: '192.0.2.1' });
  assert.equal(three.ev.result, 'permerror');
  assert.equal(three.ev.mechanism, 'exists:nx3.example.com');
  assert.equal(three.ev.lookups.void, 3);
  const two = await spf({ 'example.com': { TXT: ['v=spf1 a:nx1.example.com mx:nx2.example.com ?all'] } }, { ip: '192.0.2.1' });
  assert.equal(two.ev.result, 'neutral');
  assert.equal(two.ev.lookups.void, 2);
});

test('the 11th DNS-querying term is a permerror, counted across includes', async () => {
  const zone: Record<string, MemoryEntry> = { 'example.com': { TXT: ['v=spf1 include:i1.example.com -all'] } };
  for (let i = 1; i <= 11; i++) zone[`i${i}.example.com`] = { TXT: [i < 11 ? `v=spf1 include:i${i + 1}.example.com` : 'v=spf1 +all'] };
  const { ev } = await spf(zone, { ip: '192.0.2.1' });
  assert.equal(ev.result, 'permerror');
  assert.equal(ev.lookups.count, 11);
  assert.equal(ev.mechanism, 'include:i1.example.com');
  assert.match(ev.reason, /more than 10 DNS-querying terms/);
  assert.match(ev.reason, /\(via include:i1\.example\.com > include:i2\.example\.com > include:i3\.example\.com > include:i4\.example\.com > …\)$/);
  // ten is allowed
  zone['i10.example.com'] = { TXT: ['v=spf1 +all'] };
  assert.equal((await spf(zone, { ip: '192.0.2.1' })).ev.result, 'pass');
});

test('include maps each result of the target as §5.2 says', async () => {
  const zone: Record<string, MemoryEntry> = {};
  const cases: [string, string][] = [
    ['+all', 'pass'],
    ['-all', 'fail'],
    ['~all', 'fail'],
    ['?all', 'fail'],
    ['', 'fail'], // no match, no redirect: neutral, which is a no-match
  ];
  for (const [i, [target]] of cases.entries()) {
    zone[`d${i}.example.com`] = { TXT: [`v=spf1 include:t${i}.example.com -all`] };
    zone[`t${i}.example.com`] = { TXT: [`v=spf1 ${target}`.trim()] };
  }
  for (const [i, [target, want]] of cases.entries()) {
    const { ev } = await spf(zone, { ip: '192.0.2.1', mailFrom: `a@d${i}.example.com` });
    assert.equal(ev.result, want, `include of "${target}"`);
  }
});

test('include: the target\'s fail is only a no-match; redirect: the target\'s result is the result', async () => {
  const zone = {
    'example.com': { TXT: ['v=spf1 include:other.example.net ~all'] },
    'redir.example.com': { TXT: ['v=spf1 redirect=other.example.net'] },
    'other.example.net': { TXT: ['v=spf1 -all exp=why.example.net'] },
    'why.example.net': { TXT: ['%{d} says no to %{i}'] },
  };
  const inc = await spf(zone, { ip: '192.0.2.9' });
  assert.equal(inc.ev.result, 'softfail');
  assert.equal(inc.ev.explanation, undefined);
  assert.ok(!inc.asked.includes('TXT why.example.net'), 'the include target\'s exp= is never fetched');
  const red = await spf(zone, { ip: '192.0.2.9', mailFrom: 'a@redir.example.com' });
  assert.equal(red.ev.result, 'fail');
  assert.equal(red.ev.explanation, 'other.example.net says no to 192.0.2.9', '%{d} is the redirect target');
  assert.equal(red.ev.mechanism, '-all');
  assert.equal(red.ev.mechanismDomain, 'other.example.net');
});

test('exp= is only for fail, and is expanded with the exp-only macros', async () => {
  const zone = {
    'example.com': { TXT: ['v=spf1 ~all exp=e.example.com'] },
    'hard.example.com': { TXT: ['v=spf1 -all exp=e.example.com'] },
    'e.example.com': { TXT: ['%{c} rejected by %{r} at %{t} for %{s}'] },
  };
  assert.equal((await spf(zone, { ip: '2001:DB8::1' })).ev.explanation, undefined);
  const { ev } = await spf(zone, { ip: '2001:DB8::1', mailFrom: 'x@hard.example.com', receiver: 'mx.receiver.test' });
  assert.equal(ev.explanation, '2001:db8::1 rejected by mx.receiver.test at 1700000000 for x@hard.example.com');
});

test('a null MAIL FROM checks postmaster@<HELO>; a missing local-part becomes postmaster (RFC 7208 §2.4, §4.3)', async () => {
  const zone = {
    'mail.example.org': { TXT: ['v=spf1 -all exp=e.example.org'] },
    'example.org': { TXT: ['v=spf1 -all exp=e.example.org'] },
    'e.example.org': { TXT: ['%{s} %{l} %{o} %{h}'] },
  };
  const helo = await spf(zone, { ip: '192.0.2.1', mailFrom: '', helo: 'mail.example.org' });
  assert.equal(helo.ev.identity, 'helo');
  assert.equal(helo.ev.sender, 'postmaster@mail.example.org');
  assert.equal(helo.ev.explanation, 'postmaster@mail.example.org postmaster mail.example.org mail.example.org');
  const angle = await spf(zone, { ip: '192.0.2.1', mailFrom: '<>', helo: 'mail.example.org' });
  assert.equal(angle.ev.identity, 'helo');
  const noLocal = await spf(zone, { ip: '192.0.2.1', mailFrom: '@example.org', helo: 'mail.example.org' });
  assert.equal(noLocal.ev.identity, 'mailfrom');
  assert.equal(noLocal.ev.explanation, 'postmaster@example.org postmaster example.org mail.example.org');
});

test('bad input is a UsageError, not a result', async () => {
  await assert.rejects(spf({}, { ip: '300.1.1.1' }), UsageError);
  await assert.rejects(spf({}, { ip: '' }), UsageError);
  await assert.rejects(spf({}, { ip: '192.0.2.1', mailFrom: '' }), /--helo/);
});

test('none: no record, NXDOMAIN, or an identity that is not a domain name (RFC 7208 §4.3, §4.5)', async () => {
  const zone = { 'example.com': { TXT: ['google-site-verification=abc', 'v=spf10 -all'] } };
  assert.equal((await spf(zone, { ip: '192.0.2.1' })).ev.result, 'none');
  assert.equal((await spf(zone, { ip: '192.0.2.1', mailFrom: 'a@nx.example.com' })).ev.result, 'none');
  const single = await spf(zone, { ip: '192.0.2.1', mailFrom: '', helo: 'localhost' });
  assert.equal(single.ev.result, 'none');
  assert.deepEqual(single.asked, [], 'nothing is asked for a name that cannot be an SPF domain');
});

test('two SPF records, or one with a syntax error, are a permerror', async () => {
  const two = await spf({ 'example.com': { TXT: ['v=spf1 -all', 'V=SPF1 +all'] } }, { ip: '192.0.2.1' });
  assert.equal(two.ev.result, 'permerror');
  assert.match(two.ev.reason, /2 SPF records/);
  const bad = await spf({ 'example.com': { TXT: ['v=spf1 ip4:192.0.2.1 -all foo'] } }, { ip: '192.0.2.1' });
  assert.equal(bad.ev.result, 'permerror', 'errors anywhere count, even after a matching term (RFC 7208 §4.6)');
});

test('DNS failures: temperror for the record, an include, an a/mx/exists target; never for ptr (RFC 7208 §4.4, §5.5)', async () => {
  const zone: Record<string, MemoryEntry> = {
    'broken.example.com': { status: 'servfail' },
    'inc.example.com': { TXT: ['v=spf1 include:broken.example.com -all'] },
    'mx.example.com': { TXT: ['v=spf1 mx -all'], MX: [[10, 'slow.example.com']] },
    'slow.example.com': { status: 'timeout' },
    'ex.example.com': { TXT: ['v=spf1 exists:broken.example.com -all'] },
    'ptr.example.com': { TXT: ['v=spf1 ptr -all'] },
    '1.2.0.192.in-addr.arpa': { status: 'servfail' },
  };
  for (const d of ['broken', 'inc', 'mx', 'ex']) {
    const { ev } = await spf(zone, { ip: '192.0.2.1', mailFrom: `a@${d}.example.com` });
    assert.equal(ev.result, 'temperror', d);
  }
  assert.equal((await spf(zone, { ip: '192.0.2.1', mailFrom: 'a@ptr.example.com' })).ev.result, 'fail');
});

test('mx: more than 10 MX names is a permerror; a null MX names no host and is not looked up', async () => {
  const many: [number, string][] = Array.from({ length: 11 }, (_, i) => [i, `mx${i}.example.com`]);
  const { ev } = await spf({ 'example.com': { TXT: ['v=spf1 mx -all'], MX: many } }, { ip: '192.0.2.1' });
  assert.equal(ev.result, 'permerror');
  const nul = await spf({ 'example.com': { TXT: ['v=spf1 mx ?all'], MX: [[0, '']] } }, { ip: '192.0.2.1' });
  assert.equal(nul.ev.result, 'neutral');
  assert.deepEqual(nul.asked, ['TXT example.com', 'MX example.com']);
});

test('ptr: validated names only, first 10 PTR names only, PTR lookups are not void lookups', async () => {
  const names = Array.from({ length: 11 }, (_, i) => `h${i}.example.com`);
  const zone: Record<string, MemoryEntry> = {
    'example.com': { TXT: ['v=spf1 ptr a:nx1.example.com a:nx2.example.com -all'] },
    '1.2.0.192.in-addr.arpa': { PTR: names },
    'h10.example.com': { A: ['192.0.2.1'] },
    'h3.example.com': { A: ['192.0.2.99'] },
  };
  const { ev, asked } = await spf(zone, { ip: '192.0.2.1' });
  assert.equal(ev.result, 'fail', 'the 11th name is ignored and h3 does not validate');
  assert.ok(!asked.includes('A h10.example.com'));
  assert.equal(ev.lookups.void, 2);
  zone['h3.example.com'] = { A: ['192.0.2.1'] };
  assert.equal((await spf(zone, { ip: '192.0.2.1' })).ev.result, 'pass');
});

test('an IPv4-mapped client uses ip4 and A records; ip6 and AAAA never match it (RFC 7208 §5)', async () => {
  const zone = {
    'example.com': { TXT: ['v=spf1 ip6:::ffff:192.0.2.0/120 a:h.example.com -all'] },
    'h.example.com': { A: ['192.0.2.1'], AAAA: ['::ffff:192.0.2.1'] },
  };
  const { ev, asked } = await spf(zone, { ip: '::ffff:192.0.2.1' });
  assert.equal(ev.ip, '192.0.2.1');
  assert.equal(ev.result, 'pass');
  assert.equal(ev.mechanism, 'a:h.example.com');
  assert.ok(asked.includes('A h.example.com') && !asked.includes('AAAA h.example.com'));
});

test('exists asks for A even for an IPv6 client (RFC 7208 §5.7)', async () => {
  const { ev, asked } = await spf({ 'example.com': { TXT: ['v=spf1 exists:%{ir}.list.example.com -all'] }, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.list.example.com': { A: ['127.0.0.2'] } }, { ip: '2001:db8::1' });
  assert.equal(ev.result, 'pass');
  assert.ok(asked.some((q) => q.startsWith('A 1.0.0.0')));
});

test('a mechanism target that is not a valid DNS name does not match and is not queried', async () => {
  const { ev, asked } = await spf({ 'example.com': { TXT: ['v=spf1 a:%{l}.example.com -all'] } }, { ip: '192.0.2.1', mailFrom: `${'x'.repeat(70)}@example.com` });
  assert.equal(ev.result, 'fail');
  assert.deepEqual(asked, ['TXT example.com']);
});

test('%{p}: the domain itself, else a subdomain, else any validated name, else "unknown"', async () => {
  const zone: Record<string, MemoryEntry> = {
    'example.com': { TXT: ['v=spf1 -all exp=e.example.com'] },
    'e.example.com': { TXT: ['from %{p}'] },
    '1.2.0.192.in-addr.arpa': { PTR: ['other.example.net', 'mail.example.com', 'fake.example.com'] },
    'other.example.net': { A: ['192.0.2.1'] },
    'mail.example.com': { A: ['192.0.2.1'] },
  };
  assert.equal((await spf(zone, { ip: '192.0.2.1' })).ev.explanation, 'from mail.example.com');
  zone['mail.example.com'] = { A: ['192.0.2.2'] };
  assert.equal((await spf(zone, { ip: '192.0.2.1' })).ev.explanation, 'from other.example.net');
  assert.equal((await spf(zone, { ip: '192.0.2.7' })).ev.explanation, 'from unknown');
});

test('IDN sender domains are looked up as A-labels', async () => {
  const { ev, asked } = await spf({ 'xn--bcher-kva.example': { TXT: ['v=spf1 +all'] } }, { ip: '192.0.2.1', mailFrom: 'a@bücher.example' });
  assert.equal(ev.result, 'pass');
  assert.equal(ev.domain, 'xn--bcher-kva.example');
  assert.deepEqual(asked, ['TXT xn--bcher-kva.example']);
});

test('the trace lists each term in evaluation order, an include\'s terms after it', async () => {
  const { ev } = await spf(
    { 'example.com': { TXT: ['v=spf1 include:i.example.com -all'] }, 'i.example.com': { TXT: ['v=spf1 ip4:198.51.100.0/24 ?all'] } },
    { ip: '192.0.2.1' },
  );
  assert.deepEqual(
    ev.trace.map((s) => [s.depth, s.term, s.outcome]),
    [
      [0, 'record', 'record'],
      [0, 'include:i.example.com', 'no-match'],
      [1, 'record', 'record'],
      [1, 'ip4:198.51.100.0/24', 'no-match'],
      [1, '?all', 'match'],
      [0, '-all', 'match'],
    ],
  );
  assert.equal(ev.record, 'v=spf1 include:i.example.com -all');
});
