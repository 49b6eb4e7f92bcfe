import { test } from 'node:test';
import { isIP } from 'node:net';
import assert from 'node:assert/strict';
import { canonicalIp, dottedIp, formatIp, inPrefix, isV4Mapped, parseIp, reverseName, spfClientAddress, ipFamily } from '../../../src/core/net/ip-address.js';

const ip = (s: string) => {
  const p = parseIp(s);
  assert.ok(p, `${s} should parse`);
  return p;
};

test('IPv4 and IPv6 literals parse; everything else is rejected', () => {
  assert.deepEqual(Array.from(ip('192.0.2.1').bytes), [192, 0, 2, 1]);
  assert.equal(ip('2001:db8::1').family, 6);
  assert.equal(ip('::').family, 6);
  assert.equal(ip('CAFE:BABE::192.168.218.40').family, 6);
  assert.deepEqual(Array.from(ip('::ffff:1.2.3.4').bytes.slice(10)), [0xff, 0xff, 1, 2, 3, 4]);
  for (const bad of ['', 'nope', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4/24', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':1:2::', '1.2.3.4::', 'fe80::1%eth0', '::1.2.3']) {
    assert.equal(parseIp(bad), undefined, bad);
  }
});

test('an IPv4-mapped IPv6 client is evaluated as IPv4 (RFC 7208 §5)', () => {
  const mapped = ip('::FFFF:1.2.3.4');
  assert.ok(isV4Mapped(mapped));
  assert.deepEqual(spfClientAddress(mapped), { family: 4, bytes: Uint8Array.from([1, 2, 3, 4]) });
  assert.ok(isV4Mapped(ip('::ffff:102:304')));
  assert.ok(!isV4Mapped(ip('::1.2.3.4')), 'IPv4-compatible is not IPv4-mapped');
  assert.equal(spfClientAddress(ip('2001:db8::1')).family, 6);
});

test('prefix matching at the edges', () => {
  assert.ok(inPrefix(ip('1.2.3.4'), ip('1.1.1.1'), 0));
  assert.ok(inPrefix(ip('1.2.3.4'), ip('1.2.3.5'), 24));
  assert.ok(!inPrefix(ip('1.2.3.4'), ip('1.2.3.5'), 32));
  assert.ok(inPrefix(ip('1.2.3.4'), ip('1.2.3.5'), 31));
  assert.ok(!inPrefix(ip('1.2.3.4'), ip('1.2.3.6'), 31));
  assert.ok(inPrefix(ip('cafe:babe:8000::'), ip('Cafe:Babe:8000::'), 33));
  assert.ok(!inPrefix(ip('cafe:babe:c000::'), ip('cafe:babe:8000::'), 34));
  assert.ok(inPrefix(ip('cafe:babe:c000::'), ip('cafe:babe:8000::'), 33));
  assert.ok(!inPrefix(ip('1.2.3.4'), ip('::ffff:1.2.3.4'), 0), 'families never match');
});

test('RFC 5952 text for %{c}', () => {
  assert.equal(formatIp(ip('CAFE:BABE::1')), 'cafe:babe::1');
  assert.equal(formatIp(ip('2001:db8:0:0:1:0:0:1')), '2001:db8::1:0:0:1');
  assert.equal(formatIp(ip('2001:0:0:1:0:0:0:1')), '2001:0:0:1::1');
  assert.equal(formatIp(ip('2001:db8:0:1:1:1:1:1')), '2001:db8:0:1:1:1:1:1', 'a single zero word is not compressed');
  assert.equal(formatIp(ip('0:0:0:0:0:0:0:0')), '::');
  assert.equal(formatIp(ip('1::')), '1::');
  assert.equal(formatIp(ip('::1')), '::1');
  assert.equal(formatIp(ip('192.0.2.3')), '192.0.2.3');
});

test('%{i} and reverse names', () => {
  assert.equal(dottedIp(ip('192.0.2.3')), '192.0.2.3');
  assert.equal(dottedIp(ip('2001:db8::cb01')), '2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1');
  assert.equal(reverseName(ip('192.0.2.3')), '3.2.0.192.in-addr.arpa');
  assert.equal(reverseName(ip('2001:db8::1')), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
});

test('reverse names and canonical text from address text, read as node:net isIP() reads it', () => {
  assert.equal(reverseName('192.0.2.3'), '3.2.0.192.in-addr.arpa');
  assert.equal(reverseName('2001:DB8::1'), reverseName(ip('2001:db8::1')));
  assert.equal(reverseName('fe80::1%eth0'), reverseName(ip('fe80::1')), 'a zone index names an interface, not part of the address');
  for (const bad of ['', 'nope', ' 192.0.2.3', '192.0.2.3%eth0', '01.2.3.4']) assert.throws(() => reverseName(bad), /not an IP address/, bad);
  assert.equal(canonicalIp('2001:DB8::0001'), '2001:db8:0:0:0:0:0:1');
  assert.equal(canonicalIp('::ffff:192.0.2.1'), '0:0:0:0:0:ffff:c000:201');
  assert.equal(canonicalIp('fe80::1%eth0'), 'fe80:0:0:0:0:0:0:1');
  assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1');
  assert.equal(canonicalIp('mail.example'), 'mail.example', 'not an address: unchanged');
});

test('ipFamily agrees with node:net isIP() (which it replaces on start-up paths)', () => {
  const inputs = [
    '192.0.2.3', '0.0.0.0', '255.255.255.255', '256.1.1.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', ' 192.0.2.3', '192.0.2.3 ',
    '::', '::1', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '::ffff:192.0.2.1', 'fe80::1%eth0', 'fe80::1%', '1::2::3',
    '2001:db8:0:0:0:0:0:0:1', ':::1', 'g::1', '[::1]', '', 'example.com', '127.0.0.1:53', '192.0.2.3%eth0',
  ];
  for (const s of inputs) assert.equal(ipFamily(s), isIP(s), s);
});
