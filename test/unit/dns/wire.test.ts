import { test } from 'node:test';
import assert from 'node:assert/strict';
import dns2 from 'dns2';
import { decodeMessage, encodeQuery, nameProblem } from '../../../src/core/dns/wire.js';

const P = (dns2 as any).Packet;

/** A reply built with dns2's encoder (the reference codec). */
function reply(answers: any[], opts: { rcode?: number; tc?: number; ad?: number; name?: string; type?: number } = {}): Buffer {
  const p = new P();
  p.header = { id: 4242, qr: 1, rd: 1, ra: 1, tc: opts.tc ?? 0, ad: opts.ad ?? 0, rcode: opts.rcode ?? 0 };
  p.questions = [{ name: opts.name ?? 'example.test', type: opts.type ?? 1, class: 1 }];
  p.answers = answers.map((a) => ({ class: 1, ttl: 300, ...a }));
  return p.toBuffer();
}

test('queries decode with dns2 exactly as sent: id, RD, AD, question, OPT', () => {
  const q = encodeQuery('Mail.Example.test', 'MX', { id: 0xbeef, edns: true });
  const p = P.parse(q);
  assert.equal(p.header.id, 0xbeef);
  assert.equal(p.header.rd, 1);
  assert.equal(p.header.ad, 1);
  assert.equal(p.header.qr, 0);
  assert.deepEqual([p.questions[0].name, p.questions[0].type, p.questions[0].class], ['Mail.Example.test', 15, 1]);
  assert.equal(p.additionals[0].type, 41);
  assert.equal(p.additionals[0].class, 1232);
  const plain = P.parse(encodeQuery('example.test', 'A', { id: 1, edns: false }));
  assert.equal(plain.additionals.length, 0);
});

test('names with any octet: ":" "/" and UTF-8 are encoded octet for octet', () => {
  const q = encodeQuery('foo:bar/baz.ex\u00e4mple.test', 'TXT', { id: 7, edns: false });
  assert.ok(q.includes(Buffer.from('foo:bar/baz', 'latin1')));
  assert.ok(q.includes(Buffer.from('ex\u00e4mple', 'utf8')));
  assert.equal(nameProblem(`${'a'.repeat(63)}.test`), undefined);
  assert.match(nameProblem(`${'a'.repeat(64)}.test`)!, /63/);
  assert.match(nameProblem(Array.from({ length: 60 }, () => 'abcd').join('.'))!, /255/);
});

test('every generated name encodes as dns2 reads it, and the RFC 1035 limits hold at their edges', () => {
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
  for (let i = 0; i < 500; i++) {
    const labels = Array.from({ length: 1 + rnd(8) }, () => Array.from({ length: 1 + rnd(20) }, () => alphabet[rnd(alphabet.length)]).join(''));
    const name = labels.join('.');
    const q = encodeQuery(name, 'A', { id: i, edns: i % 2 === 0 });
    const p = P.parse(q);
    assert.equal(p.questions[0].name, name);
    assert.equal(p.header.id, i);
    assert.equal(q.length, 12 + name.length + 2 + 4 + (i % 2 === 0 ? 11 : 0));
  }
  // 253 characters (255 octets on the wire with the first length octet and the root) is the most
  const longest = [63, 63, 63, 61].map((n) => 'a'.repeat(n)).join('.');
  assert.equal(longest.length, 253);
  assert.equal(nameProblem(longest), undefined);
  assert.equal(P.parse(encodeQuery(longest, 'A', { id: 1, edns: false })).questions[0].name, longest);
  assert.match(nameProblem(`${longest}a`)!, /255/);
  assert.equal(nameProblem('example.test.'), undefined, 'a trailing dot is the root, not an empty label');
  for (const bad of ['a..b', '.a', 'a.b..']) assert.match(nameProblem(bad)!, /empty label/, bad);
  assert.throws(() => encodeQuery('a..b', 'A', { id: 1, edns: false }), /empty label/);
  assert.equal(encodeQuery('', 'NS', { id: 1, edns: false }).length, 12 + 1 + 4, 'the root is one zero octet');
});

test('replies decode the same as dns2 decodes them (A, AAAA, MX, TXT, CNAME, PTR, NS, SOA, compression)', () => {
  const cases: [any[], number][] = [
    [[{ name: 'example.test', type: 1, address: '192.0.2.1' }, { name: 'example.test', type: 1, address: '192.0.2.2' }], 1],
    [[{ name: 'example.test', type: 28, address: '2001:db8::1' }, { name: 'example.test', type: 28, address: '2001:db8:0:1:0:0:0:1' }], 28],
    [[{ name: 'example.test', type: 15, priority: 10, exchange: 'mx.example.test' }], 15],
    [[{ name: 'example.test', type: 16, data: ['v=spf1 ', 'include:x.test -all'] }], 16],
    [[{ name: 'example.test', type: 5, domain: 'other.example.test' }, { name: 'other.example.test', type: 1, address: '192.0.2.9' }], 1],
    [[{ name: 'example.test', type: 12, domain: 'host.example.test' }], 12],
    [[{ name: 'example.test', type: 2, ns: 'ns1.example.test' }], 2],
    [[{ name: 'example.test', type: 6, primary: 'ns1.example.test', admin: 'hostmaster.example.test', serial: 2024, refresh: 1, retry: 2, expiration: 3, minimum: 60 }], 6],
  ];
  for (const [answers, type] of cases) {
    const buf = reply(answers, { type });
    const ours = decodeMessage(buf);
    const ref = P.parse(buf);
    assert.equal(ours.answers.length, ref.answers.length);
    ref.answers.forEach((a: any, i: number) => {
      const o: any = ours.answers[i];
      assert.equal(o.name, a.name);
      assert.equal(o.ttl, a.ttl);
      if (a.address) assert.equal(o.address, a.address);
      if (a.exchange) assert.deepEqual([o.exchange, o.priority], [a.exchange, a.priority]);
      if (a.data !== undefined && typeof a.data === 'string') assert.equal(o.text, a.data);
      if (a.domain) assert.equal(o.target, a.domain);
      if (a.ns) assert.equal(o.target, a.ns);
      if (a.primary) assert.deepEqual([o.primary, o.admin, o.serial, o.minimum], [a.primary, a.admin, a.serial, a.minimum]);
    });
  }
});

test('header flags: TC, AD, rcode', () => {
  const m = decodeMessage(reply([], { tc: 1, ad: 1, rcode: 3 }));
  assert.deepEqual([m.id, m.qr, m.tc, m.ad, m.rcode], [4242, true, true, true, 3]);
  assert.deepEqual(m.question, { name: 'example.test', type: 1 });
});

test('TLSA, DS and DNSKEY rdata', () => {
  const tlsa = reply([{ name: '_25._tcp.mx.test', type: 52, data: Buffer.from('030101abcdef', 'hex') }], { name: '_25._tcp.mx.test', type: 52 });
  assert.deepEqual(decodeMessage(tlsa).answers[0], { type: 'TLSA', name: '_25._tcp.mx.test', ttl: 300, usage: 3, selector: 1, matchingType: 1, data: 'abcdef' });
  const ds = reply([{ name: 'x.test', type: 43, data: Buffer.from('30390d02aabb', 'hex') }], { name: 'x.test', type: 43 });
  assert.deepEqual(decodeMessage(ds).answers[0], { type: 'DS', name: 'x.test', ttl: 300, keyTag: 12345, algorithm: 13, digestType: 2, digest: 'aabb' });
});

test('malformed messages throw instead of returning partial data', () => {
  const good = reply([{ name: 'example.test', type: 1, address: '192.0.2.1' }]);
  for (const cut of [5, 14, good.length - 2]) assert.throws(() => decodeMessage(good.subarray(0, cut)), /malformed/);
  const loop = Buffer.from(good);
  // point the answer's name at itself
  const at = good.indexOf(Buffer.from([0xc0, 0x0c]));
  loop[at + 1] = at;
  assert.throws(() => decodeMessage(loop), /malformed/);
  const overrun = Buffer.from(good);
  overrun.writeUInt16BE(40, overrun.length - 6); // A record claiming 40 octets
  assert.throws(() => decodeMessage(overrun), /malformed/);
  const badLen = Buffer.from(good);
  badLen.writeUInt16BE(3, 6); // three answers announced, one present
  assert.throws(() => decodeMessage(badLen), /malformed/);
});
