import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeDomain } from '../../../src/core/domain/name.js';
import { UsageError } from '../../../src/core/errors.js';

const good: [string, string][] = [
  ['Example.COM', 'example.com'],
  ['example.com.', 'example.com'],
  ['  mail.example.com ', 'mail.example.com'],
  ['bücher.example', 'xn--bcher-kva.example'],
  ['ПРИМЕР.рф', 'xn--e1afmkfd.xn--p1ai'],
  ['_dmarc.example.com', '_dmarc.example.com'],
  ['a-b.example', 'a-b.example'],
];
for (const [input, out] of good) test(`normalises ${JSON.stringify(input)}`, () => assert.equal(normalizeDomain(input), out));

const bad: [string, RegExp][] = [
  ['', /empty/],
  ['.', /empty/],
  ['bad..name', /empty label/],
  ['.example.com', /empty label/],
  [`${'a'.repeat(64)}.example`, /longer than 63/],
  [`${Array.from({ length: 50 }, () => 'abcd').join('.')}.example`, /longer than 253/],
  ['localhost', /no dot/],
  ['exa mple.com', /characters/],
  ['-bad.example', /characters/],
  ['192.0.2.1', /numeric/],
  ['foo@example.com', /characters/],
];
for (const [input, why] of bad) {
  test(`refuses ${JSON.stringify(input)} with a usage error`, () => {
    assert.throws(() => normalizeDomain(input), (e: unknown) => e instanceof UsageError && why.test(e.message));
  });
}
