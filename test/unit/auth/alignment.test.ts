import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAlignment, explainAlignment, normalizeDomain, organizationalDomain } from '../../../src/core/auth/alignment.js';
import { parseDmarcPolicy } from '../../../src/core/auth/dmarc-policy.js';
import { parseTagList } from '../../../src/core/auth/tag-list.js';

test('organisational domain: PSL including multi-label and private suffixes', () => {
  assert.equal(organizationalDomain('mail.example.com'), 'example.com');
  assert.equal(organizationalDomain('a.b.shop.co.uk'), 'shop.co.uk');
  assert.equal(organizationalDomain('alice.github.io'), 'alice.github.io');
  assert.equal(organizationalDomain('Example.COM.'), 'example.com');
  assert.equal(organizationalDomain('localhost'), 'localhost');
});

test('IDNs compare in A-label form', () => {
  assert.equal(normalizeDomain('Bücher.Example.'), 'xn--bcher-kva.example');
  assert.deepEqual(checkAlignment('xn--bcher-kva.example', 'bücher.example', 'strict'), { aligned: true, match: 'exact' });
});

test('relaxed vs strict (RFC 7489 §3.1)', () => {
  assert.deepEqual(checkAlignment('mail.example.com', 'example.com', 'relaxed'), { aligned: true, match: 'organizational' });
  assert.deepEqual(checkAlignment('mail.example.com', 'example.com', 'strict'), { aligned: false, match: 'organizational' });
  assert.deepEqual(checkAlignment('example.com', 'news.example.com', 'relaxed'), { aligned: true, match: 'organizational' });
  assert.deepEqual(checkAlignment('example.com', 'news.example.com', 'strict'), { aligned: false, match: 'organizational' });
  assert.deepEqual(checkAlignment('EXAMPLE.com', 'example.com.', 'strict'), { aligned: true, match: 'exact' });
  assert.deepEqual(checkAlignment('esp.net', 'example.com', 'relaxed'), { aligned: false, match: 'none' });
  // two registrable domains under the same public suffix are different organisations
  assert.deepEqual(checkAlignment('other.co.uk', 'shop.co.uk', 'relaxed'), { aligned: false, match: 'none' });
});

test('explanations name the domains, the mode and the tag', () => {
  assert.match(explainAlignment('Signing domain', 'mail.example.com', 'example.com', 'relaxed', 'adkim'), /share the organisational domain example\.com: aligned \(relaxed alignment, adkim=r\)/);
  assert.match(explainAlignment('Signing domain', 'mail.example.com', 'example.com', 'strict', 'adkim'), /adkim=s requires exactly example\.com: not aligned/);
  assert.match(explainAlignment('MAIL FROM domain', 'esp.net', 'example.com', 'relaxed', 'aspf'), /esp\.net is in another organisational domain \(esp\.net\) than the From domain example\.com: not aligned/);
  assert.match(explainAlignment('Signing domain', 'esp.net', 'news.example.com', 'relaxed', 'adkim'), /than the From domain news\.example\.com \(example\.com\): not aligned/);
});

test('DMARC policy record: defaults, sp, modes, pct, invalid p', () => {
  const d = parseDmarcPolicy('v=DMARC1; p=reject');
  assert.deepEqual([d.p, d.sp, d.adkim, d.aspf, d.pct, d.problem], ['reject', undefined, 'relaxed', 'relaxed', 100, undefined]);
  const s = parseDmarcPolicy('v=DMARC1;P=Quarantine;SP=none;ADKIM=s;aspf=s;pct=25');
  assert.deepEqual([s.p, s.sp, s.adkim, s.aspf, s.pct], ['quarantine', 'none', 'strict', 'strict', 25]);
  const bad = parseDmarcPolicy('v=DMARC1; p=block; pct=abc');
  assert.equal(bad.p, 'none');
  assert.equal(bad.pct, 100);
  assert.match(bad.problem ?? '', /p=block is not a policy/);
  assert.match(parseDmarcPolicy('v=DMARC1; rua=mailto:a@b.c').problem ?? '', /no p= tag/);
});

test('tag lists: whitespace in values removed, first occurrence wins', () => {
  const t = parseTagList(' v=1; a=rsa-sha256; d=example.com;\r\n\tb=abc\r\n def; d=other.example');
  assert.equal(t.get('b'), 'abcdef');
  assert.equal(t.get('d'), 'example.com');
  assert.equal(t.get('a'), 'rsa-sha256');
});
