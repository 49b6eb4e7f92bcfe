import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpf, isSpfRecord, macroStringProblem, domainSpecProblem } from '../../../src/core/spf/parse.js';

test('isSpfRecord: v=spf1 then a space or the end, case-insensitive', () => {
  assert.equal(isSpfRecord('v=spf1 -all'), true);
  assert.equal(isSpfRecord('V=SPF1'), true);
  assert.equal(isSpfRecord('v=spf10 -all'), false);
  assert.equal(isSpfRecord('v=spf1.0 -all'), false);
  assert.equal(isSpfRecord(' v=spf1 -all'), false);
});

test('parses every mechanism with qualifiers and CIDR lengths', () => {
  const r = parseSpf('v=spf1 +a -a:mail.example.com/24 ~mx//64 ?mx:example.org/28//100 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip4:192.0.2.1 ptr ptr:example.net exists:%{i}.bl.example include:_spf.example.net -all');
  assert.ok(r.ok, !r.ok ? r.error : '');
  if (!r.ok) return;
  const m = r.record.mechanisms;
  assert.deepEqual(m.map((x) => `${x.qualifier}${x.name}`), ['+a', '-a', '~mx', '?mx', '+ip4', '+ip6', '+ip4', '+ptr', '+ptr', '+exists', '+include', '-all']);
  assert.equal(m[1]!.domainSpec, 'mail.example.com');
  assert.equal(m[1]!.cidr4, 24);
  assert.equal(m[2]!.cidr6, 64);
  assert.equal(m[2]!.cidr4, undefined);
  assert.deepEqual([m[3]!.domainSpec, m[3]!.cidr4, m[3]!.cidr6], ['example.org', 28, 100]);
  assert.deepEqual([m[4]!.network, m[4]!.cidr4], ['192.0.2.0', 24]);
  assert.deepEqual([m[5]!.network, m[5]!.cidr6], ['2001:db8::', 32]);
  assert.equal(m[9]!.domainSpec, '%{i}.bl.example');
});

test('modifiers: redirect, exp, unknown; duplicates are errors', () => {
  const r = parseSpf('v=spf1 mx redirect=_spf.example.com exp=explain.%{d} foo.bar=baz');
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.record.redirect, '_spf.example.com');
    assert.equal(r.record.exp, 'explain.%{d}');
    assert.equal(r.record.terms.filter((t) => t.kind === 'modifier').length, 3);
  }
  assert.equal(parseSpf('v=spf1 redirect=a.example redirect=b.example').ok, false);
  assert.equal(parseSpf('v=spf1 exp=a.example exp=b.example').ok, false);
});

test('names may carry any printable octet (RFC 7208 allows foo:bar/baz.example.com)', () => {
  const r = parseSpf('v=spf1 a:foo:bar/baz.example.com -all');
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.record.mechanisms[0]!.domainSpec, 'foo:bar/baz.example.com');
    assert.equal(r.record.mechanisms[0]!.cidr4, undefined);
  }
});

const invalid: [string, RegExp][] = [
  ['v=spf1 ip4:192.0.2.0/33', /prefix/],
  ['v=spf1 ip4:192.0.2.0/024', /prefix/],
  ['v=spf1 ip4:192.0.2', /IPv4/],
  ['v=spf1 ip4:256.0.0.1', /IPv4/],
  ['v=spf1 ip6:2001:db8::/129', /prefix/],
  ['v=spf1 ip6:2001:db8:::1', /IPv6/],
  ['v=spf1 a/33', /prefix/],
  ['v=spf1 include', /needs/],
  ['v=spf1 include:', /empty/],
  ['v=spf1 include:localhost', /fully qualified/],
  ['v=spf1 a:1.2.3.4', /top-level/],
  ['v=spf1 foo:bar', /unknown mechanism/],
  ['v=spf1 all:foo', /takes no argument/],
  ['v=spf1 exists:%{x}.example.com', /unknown macro letter/],
  ['v=spf1 exists:%{d0}.example.com', /zero labels/],
  ['v=spf1 exists:%{d.example.com', /unterminated/],
  ['v=spf1 exists:%x.example.com', /must be followed/],
  ['v=spf1 \tmx', /not allowed/],
  ['v=spf1 include:exämple.com', /not allowed/],
  ['spf1 -all', /does not start/],
];
for (const [rec, why] of invalid) {
  test(`rejects ${JSON.stringify(rec)}`, () => {
    const r = parseSpf(rec);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, why);
  });
}

test('macro strings: valid forms', () => {
  for (const s of ['%{s}', '%{l1r+-}.x', '%{ir}.%{v}._spf.%{d2}', '%%%_%-', '%{h}']) assert.equal(macroStringProblem(s), undefined, s);
  assert.match(macroStringProblem('%{c}') ?? '', /unknown macro letter/);
  assert.equal(macroStringProblem('%{c} at %{t}', { exp: true }), undefined);
  assert.equal(domainSpecProblem('%{d}'), undefined);
  assert.equal(domainSpecProblem('example.com.'), undefined);
  assert.equal(domainSpecProblem('foo.1-2'), undefined);
});
