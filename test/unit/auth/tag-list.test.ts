/**
 * The strict RFC 6376 §3.2 tag-list grammar that DKIM-Signature, ARC-Message-Signature and
 * ARC-Seal must satisfy before a verdict trusts them (RFC 8617 §4.1 applies it to ARC).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSignatureTags, checkTagList, libraryB, parseTagList } from '../../../src/core/auth/tag-list.js';

const ok = (v: string) => {
  const r = checkTagList(v);
  assert.ok(r.ok, `${v}: ${r.ok ? '' : r.problem}`);
  return r.tags;
};
const bad = (v: string, problem: RegExp) => {
  const r = checkTagList(v);
  assert.ok(!r.ok, `${v} should be rejected`);
  assert.match(r.problem, problem, v);
};

test('well-formed tag-lists: trailing ";", FWS around tags and "=", unknown tags, "=" inside values', () => {
  assert.deepEqual([...ok('a=1; b=2').entries()], [['a', '1'], ['b', '2']]);
  assert.equal(ok('a=1; b=2;').size, 2);
  assert.equal(ok('a=1; b=2; ').size, 2);
  assert.deepEqual([...ok(' a = 1 ;\tb\t=\t2 ').entries()], [['a', '1'], ['b', '2']]);
  assert.equal(ok('x_1=unknown; Zz9_=ok').get('Zz9_'), 'ok');
  assert.equal(ok('bh=abc/+=; b=ab cd==').get('b'), 'ab cd==', 'white space inside a value is part of it');
  assert.equal(ok('a=').get('a'), '', 'an empty value is allowed');
});

test('a tag name must be ALPHA *(ALPHA / DIGIT / "_")', () => {
  bad('_=x; a=1', /"_" is not a valid tag name/);
  bad('a=1; 1a=x', /"1a" is not a valid tag name/);
  bad('a-b=x', /"a-b" is not a valid tag name/);
  bad('a b=x', /"a b" is not a valid tag name/);
  bad('a=1; =x', /no tag name/);
});

test('duplicate tags invalidate the whole list; names are case-sensitive, so "S" and "s" are two tags', () => {
  bad('s=a; d=x; s=a', /the tag "s" appears more than once/);
  bad('s=a; s=b', /the tag "s" appears more than once/);
  assert.deepEqual([...ok('s=a; S=b').keys()], ['s', 'S']);
});

test('empty tag-specs: between two semicolons, leading, only ";"; a spec without "="', () => {
  bad('a=1;; b=2', /empty tag-spec between two semicolons/);
  bad('a=1; ; b=2', /empty tag-spec between two semicolons/);
  bad('a=1;;', /empty tag-spec between two semicolons/);
  bad('; a=1', /starts with ";"/);
  bad('', /empty/);
  bad(';', /empty/);
  bad('a=1; junk', /"junk" is not a tag=value pair/);
});

test('signature fields: required tags matched case-sensitively', () => {
  const dkim = 'v=1; a=rsa-sha256; d=example.com; s=s1; h=from; bh=x; b=y';
  assert.ok(checkSignatureTags(dkim, 'dkim-signature').ok);
  const upper = checkSignatureTags(dkim.replace(' s=', ' S='), 'dkim-signature');
  assert.ok(!upper.ok);
  assert.equal(upper.kind, 'missing');
  assert.deepEqual(upper.missing, ['s']);
  assert.match(upper.problem, /the required tag "s" is missing; "S=" is a different tag, as tag names are case-sensitive/);

  const seal = 'i=1; a=rsa-sha256; cv=none; d=example.org; s=arc; b=y';
  assert.ok(checkSignatureTags(seal, 'arc-seal').ok, 't= is optional in an ARC-Seal');
  const noCv = checkSignatureTags(seal.replace(' cv=none;', ''), 'arc-seal');
  assert.ok(!noCv.ok && noCv.kind === 'missing' && /"cv" is missing/.test(noCv.problem));
  const ams = checkSignatureTags('i=1; a=rsa-sha256; d=example.org; s=arc; bh=x; b=y', 'arc-message-signature');
  assert.ok(!ams.ok && ams.kind === 'missing' && /"h" is missing/.test(ams.problem));
  const syntax = checkSignatureTags(`${seal};; x=1`, 'arc-seal');
  assert.ok(!syntax.ok && syntax.kind === 'syntax');
});

test('the lax reader and the library view of b= (used to find mailauth\'s row) are unchanged readers, not validators', () => {
  assert.equal(parseTagList('s=a; s=b').get('s'), 'a');
  assert.equal(libraryB('b=first; B=sec ond'), 'second', 'mailauth lower-cases names and keeps the last');
  assert.equal(libraryB('bh=x'), undefined);
});
