import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandDomainSpec, expandMacros, MacroError, transform, truncateDomain, urlEscape, type MacroContext } from '../../../src/core/spf/macro.js';
import { parseIp } from '../../../src/core/net/ip-address.js';

function ctx(over: Partial<MacroContext> = {}): MacroContext {
  return {
    sender: 'strong-bad@email.example.com',
    localPart: 'strong-bad',
    senderDomain: 'email.example.com',
    domain: 'email.example.com',
    ip: parseIp('192.0.2.3')!,
    helo: 'mx.example.org',
    receiver: 'receiver.example.net',
    timestamp: 1700000000,
    validatedName: async () => 'mx.example.com',
    ...over,
  };
}

// RFC 7208 §7.4, the examples for sender strong-bad@email.example.com and IP 192.0.2.3.
const RFC_EXAMPLES: [string, string][] = [
  ['%{s}', 'strong-bad@email.example.com'],
  ['%{o}', 'email.example.com'],
  ['%{d}', 'email.example.com'],
  ['%{d4}', 'email.example.com'],
  ['%{d3}', 'email.example.com'],
  ['%{d2}', 'example.com'],
  ['%{d1}', 'com'],
  ['%{dr}', 'com.example.email'],
  ['%{d2r}', 'example.email'],
  ['%{l}', 'strong-bad'],
  ['%{l-}', 'strong.bad'],
  ['%{lr}', 'strong-bad'],
  ['%{lr-}', 'bad.strong'],
  ['%{l1r-}', 'strong'],
  ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
  ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
  ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
  ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
  ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
];

for (const [spec, want] of RFC_EXAMPLES) {
  test(`RFC 7208 §7.4: ${spec}`, async () => {
    assert.equal(await expandMacros(spec, ctx()), want);
  });
}

test('RFC 7208 §7.4: the IPv6 example', async () => {
  const got = await expandMacros('%{ir}.%{v}._spf.%{d2}', ctx({ ip: parseIp('2001:db8::cb01')! }));
  assert.equal(got, '1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com');
});

test('escapes %% %_ %- and upper-case letters URL-escape (RFC 7208 §7.3)', async () => {
  assert.equal(await expandMacros('a%%b%_c%-d', ctx()), 'a%b c%20d');
  assert.equal(await expandMacros('%{L}', ctx({ localPart: '~jack&jill=up-a_b3.c' })), '~jack%26jill%3Dup-a_b3.c');
  assert.equal(urlEscape("it's (ok)!*"), 'it%27s%20%28ok%29%21%2A');
  assert.equal(urlEscape('é'), '%C3%A9');
});

test('transformers: digits beyond the part count keep everything; several delimiters split alike', () => {
  assert.equal(transform('a.b.c', 128, false, ''), 'a.b.c');
  assert.equal(transform('foo-bar+zip+quux', 2, true, '+-'), 'bar.foo');
  assert.equal(transform('a..b', undefined, true, ''), 'b..a');
  assert.equal(transform('x', undefined, false, ''), 'x');
});

test('exp-only letters c, r, t and %{p}', async () => {
  const c = ctx({ ip: parseIp('2001:DB8::1')! });
  assert.equal(await expandMacros('%{c} %{r} %{t} %{p}', c, { exp: true }), '2001:db8::1 receiver.example.net 1700000000 mx.example.com');
  await assert.rejects(expandMacros('%{c}', c), MacroError);
  await assert.rejects(expandMacros('%{t}.example.com', c), MacroError);
});

test('malformed macros throw MacroError', async () => {
  for (const bad of ['%{x}', '%{d0}', '%(ir)', '%', '%{d', '%{}']) {
    await assert.rejects(expandMacros(bad, ctx()), MacroError, bad);
  }
});

test('%{p} is only resolved when used', async () => {
  let asked = 0;
  const c = ctx({ validatedName: async () => (asked++, 'x.example') });
  await expandMacros('%{d}', c);
  assert.equal(asked, 0);
  assert.equal(await expandMacros('%{p}', c), 'x.example');
  assert.equal(asked, 1);
});

test('expanded names over 253 octets lose labels from the left; a trailing dot is dropped (RFC 7208 §7.3)', async () => {
  const o = 'somewhat.long.exp.example.com';
  const got = await expandDomainSpec('foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com', ctx({ senderDomain: o }));
  assert.equal(got, `${Array(8).fill(o).join('.')}.example.com`);
  assert.ok(got.length <= 253);
  assert.equal(truncateDomain('example.com.'), 'example.com');
  assert.equal(truncateDomain('x'.repeat(300)), '');
});
