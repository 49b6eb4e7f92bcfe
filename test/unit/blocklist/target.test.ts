import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  collectTargets,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  parseTargetInput,
  queryName,
  reversedName,
  targetsFromText,
} from '../../../src/core/blocklist/target.js';
import { UsageError } from '../../../src/core/errors.js';

const v6 = (s: string) => {
  const n = parseIPv6(s);
  assert.notEqual(n, undefined, `${s} should parse`);
  return formatIPv6(n!);
};

test('IPv4 parsing is strict: four decimal octets, no leading zeros, 0-255', () => {
  assert.equal(parseIPv4('203.0.113.5'), 0xcb007105);
  assert.equal(parseIPv4('0.0.0.0'), 0);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', 'a.b.c.d', '', '1..2.3']) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

test('IPv6 text forms (RFC 4291 §2.2) and RFC 5952 canonical output', () => {
  assert.equal(v6('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(v6('::'), '::');
  assert.equal(v6('::1'), '::1');
  assert.equal(v6('1::'), '1::');
  // RFC 5952 §4.2.2: a single zero group is not compressed
  assert.equal(v6('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  // §4.2.3: the longest run is compressed; on a tie, the first
  assert.equal(v6('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1');
  assert.equal(v6('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  // embedded IPv4 tail
  assert.equal(v6('::ffff:192.0.2.1'), '::ffff:c000:201');
  assert.equal(v6('64:ff9b::192.0.2.33'), '64:ff9b::c000:221');
  assert.equal(v6('1:2:3:4:5:6:1.2.3.4'), '1:2:3:4:5:6:102:304');
  for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', ':1', '1:', '1:2:3:4:5:6:7', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:256.1.1.1']) {
    assert.equal(parseIPv6(bad), undefined, bad);
  }
});

test('reversal: octets for IPv4 (RFC 5782 §2.1), 32 nibbles for IPv6 (§2.4), names as they are (§2.3)', () => {
  assert.equal(reversedName({ kind: 'ipv4', value: '192.0.2.99' }), '99.2.0.192');
  // the example of RFC 5782 §2.4
  assert.equal(
    reversedName({ kind: 'ipv6', value: '2001:db8:1:2:3:4:567:89ab' }),
    'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2',
  );
  assert.equal(reversedName({ kind: 'ipv6', value: '::1' }).split('.').length, 32);
  assert.equal(queryName({ kind: 'domain', value: 'dbltest.com' }, 'dbl.spamhaus.org'), 'dbltest.com.dbl.spamhaus.org');
  assert.equal(queryName({ kind: 'ipv4', value: '127.0.0.2' }, 'zen.spamhaus.org'), '2.0.0.127.zen.spamhaus.org');
});

test('targets: IPv4, IPv6, mapped IPv4, brackets, domains (IDN, case, trailing dot)', () => {
  const one = (s: string) => {
    const p = parseTargetInput(s);
    assert.equal(p.kind, 'single');
    return p.kind === 'single' ? p.target : undefined;
  };
  assert.deepEqual(one(' 203.0.113.5 '), { kind: 'ipv4', value: '203.0.113.5' });
  assert.deepEqual(one('2001:DB8::5'), { kind: 'ipv6', value: '2001:db8::5' });
  assert.deepEqual(one('[2001:db8::5]'), { kind: 'ipv6', value: '2001:db8::5' });
  assert.deepEqual(one('::ffff:198.51.100.7'), { kind: 'ipv4', value: '198.51.100.7' });
  assert.deepEqual(one('Example.COM.'), { kind: 'domain', value: 'example.com' });
  assert.deepEqual(one('bücher.example'), { kind: 'domain', value: 'xn--bcher-kva.example' });
});

test('bad targets are usage errors that name the input', () => {
  for (const bad of ['999.1.1.1', '1.2.3', '01.2.3.4', '10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/x', 'a..b.com', 'http://example.com', 'localhost', '', 'fe80::1%eth0', '1:2:3:4:5:6:7:8:9', 'foo/24']) {
    assert.throws(() => parseTargetInput(bad), (e: unknown) => e instanceof UsageError && e.message.includes(`"${bad}"`), bad);
  }
});

test('CIDR ranges expand in order; host bits are masked with a notice', () => {
  const r = collectTargets(['192.0.2.0/30'], 256);
  assert.deepEqual(
    r.targets.map((t) => t.value),
    ['192.0.2.0', '192.0.2.1', '192.0.2.2', '192.0.2.3'],
  );
  assert.deepEqual(r.notices, []);
  const masked = collectTargets(['192.0.2.77/31'], 256);
  assert.deepEqual(masked.targets.map((t) => t.value), ['192.0.2.76', '192.0.2.77']);
  assert.match(masked.notices[0]!, /host bits set; scanning 192\.0\.2\.76\/31/);
  assert.deepEqual(collectTargets(['203.0.113.5/32'], 1).targets, [{ kind: 'ipv4', value: '203.0.113.5' }]);
  const six = collectTargets(['2001:db8::/126'], 256);
  assert.deepEqual(six.targets.map((t) => t.value), ['2001:db8::', '2001:db8::1', '2001:db8::2', '2001:db8::3']);
  assert.ok(six.targets.every((t) => t.kind === 'ipv6'));
  assert.equal(collectTargets(['203.0.112.0/22'], 1024).targets.length, 1024);
});

test('more than --max-targets is refused with the count and the flag to raise it', () => {
  assert.throws(
    () => collectTargets(['203.0.112.0/22'], 256),
    (e: unknown) => e instanceof UsageError && /203\.0\.112\.0\/22 expands to 1,024 addresses/.test(e.message) && /--max-targets 256/.test(e.message) && /--max-targets 1024/.test(e.hint ?? ''),
  );
  // an IPv6 /64 is refused without being expanded
  assert.throws(() => collectTargets(['2001:db8::/64'], 256), /18,446,744,073,709,551,616 addresses/);
  // single targets add up too
  assert.throws(() => collectTargets(['192.0.2.1', '192.0.2.2', '192.0.2.3'], 2), /more than --max-targets 2/);
  // exactly the limit is fine
  assert.equal(collectTargets(['192.0.2.0/31'], 2).targets.length, 2);
});

test('duplicates are dropped, first occurrence kept, and counted', () => {
  const r = collectTargets(['192.0.2.1', '192.0.2.0/31', '::ffff:192.0.2.1', 'example.com', 'EXAMPLE.com'], 256);
  assert.deepEqual(r.targets.map((t) => t.value), ['192.0.2.1', '192.0.2.0', 'example.com']);
  assert.match(r.notices.join(' '), /3 duplicate targets skipped/);
});

test('targets files: one or more per line, comments and blank lines ignored', () => {
  assert.deepEqual(targetsFromText('# sending IPs\n203.0.113.5\n\n198.51.100.0/30  # office\r\nexample.com, 2001:db8::1\n'), [
    '203.0.113.5',
    '198.51.100.0/30',
    'example.com',
    '2001:db8::1',
  ]);
  assert.deepEqual(targetsFromText(''), []);
});
