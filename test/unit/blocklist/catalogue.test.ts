import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BLOCKLISTS, PROVIDERS, findBlocklist, type BlocklistDef } from '../../../src/core/blocklist/catalogue.js';
import { parseIPv4 } from '../../../src/core/blocklist/target.js';

const all = BLOCKLISTS as readonly BlocklistDef[];

test('the catalogue has the lists the issue asks for, and not SORBS', () => {
  for (const zone of [
    'zen.spamhaus.org',
    'dbl.spamhaus.org',
    'b.barracudacentral.org',
    'bl.spamcop.net',
    'dnsbl-1.uceprotect.net',
    'dnsbl-2.uceprotect.net',
    'dnsbl-3.uceprotect.net',
    'psbl.surriel.com',
    'bl.mailspike.net',
    'multi.surbl.org',
    'multi.uribl.com',
  ]) {
    assert.ok(findBlocklist(zone), zone);
  }
  assert.ok(!all.some((b) => /sorbs/i.test(b.zone) || /sorbs/i.test(b.name)));
  assert.equal(findBlocklist('dnsbl-2.uceprotect.net')!.defaultOn, false);
  assert.equal(findBlocklist('dnsbl-3.uceprotect.net')!.defaultOn, false);
  assert.equal(findBlocklist('dnsbl-1.uceprotect.net')!.defaultOn, true);
});

test('every entry is complete: ids and zones unique, a source, removal URL, usage terms and a known provider', () => {
  assert.equal(new Set(all.map((b) => b.id)).size, all.length);
  assert.equal(new Set(all.map((b) => b.zone)).size, all.length);
  for (const b of all) {
    assert.match(b.source, /^https?:\/\//, b.id);
    assert.match(b.removalUrl, /^https?:\/\//, b.id);
    assert.ok(b.usage.length > 0, b.id);
    assert.ok(b.provider in PROVIDERS, b.id);
    assert.ok(Object.keys(b.codes).length > 0 || b.bits, b.id);
  }
});

test('every return code is an IPv4 address in 127.0.0.0/8 with a meaning', () => {
  for (const b of all) {
    for (const [code, m] of Object.entries(b.codes)) {
      const n = parseIPv4(code);
      assert.ok(n !== undefined && n >>> 24 === 127, `${b.id} ${code}`);
      assert.ok(m.meaning.length > 5, `${b.id} ${code}`);
    }
  }
});

test('error codes of the issue are errors: Spamhaus 127.255.255.252/254/255, DBL 127.0.1.255, URIBL 127.0.0.1', () => {
  const zen = findBlocklist('zen.spamhaus.org')!;
  for (const c of ['127.255.255.252', '127.255.255.254', '127.255.255.255']) assert.equal(zen.codes[c]!.kind, 'error', c);
  assert.equal(findBlocklist('dbl.spamhaus.org')!.codes['127.0.1.255']!.kind, 'error');
  assert.equal(findBlocklist('multi.uribl.com')!.codes['127.0.0.1']!.kind, 'error');
  assert.equal(findBlocklist('multi.surbl.org')!.codes['127.0.0.1']!.kind, 'error');
});

test('lookup by id or zone, case and trailing dot ignored', () => {
  assert.equal(findBlocklist('SPAMHAUS-ZEN')!.zone, 'zen.spamhaus.org');
  assert.equal(findBlocklist('Zen.Spamhaus.org.')!.id, 'spamhaus-zen');
  assert.equal(findBlocklist('bl.example.test'), undefined);
});
