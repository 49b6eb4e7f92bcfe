import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectLists } from '../../../src/core/blocklist/selection.js';
import { UsageError } from '../../../src/core/errors.js';

test('defaults: the default-on catalogue lists, no DQS-only list without a key', () => {
  const d = selectLists();
  const zones = d.map((l) => l.zone);
  assert.ok(zones.includes('zen.spamhaus.org'));
  assert.ok(zones.includes('dbl.spamhaus.org'));
  assert.ok(zones.includes('multi.uribl.com'));
  assert.ok(!zones.includes('dnsbl-2.uceprotect.net'));
  assert.ok(!zones.some((z) => z.includes('dq.spamhaus.net')));
  assert.ok(d.every((l) => l.zone === l.queryZone));
});

test('--zone replaces the defaults: catalogue ids and zones, custom IP lists, name:domain custom domain lists', () => {
  const s = selectLists({ zones: ['spamhaus-zen', 'Multi.URIBL.com', 'bl.example.test', 'rhs.example.test:domain', 'zen.spamhaus.org'] });
  assert.deepEqual(
    s.map((l) => [l.id, l.zone, l.kind]),
    [
      ['spamhaus-zen', 'zen.spamhaus.org', 'ip'],
      ['uribl', 'multi.uribl.com', 'domain'],
      ['custom:bl.example.test', 'bl.example.test', 'ip'],
      ['custom:rhs.example.test', 'rhs.example.test', 'domain'],
    ],
  );
  assert.equal(s[2]!.def, undefined);
  assert.equal(s[2]!.ipv6, true);
});

test('--spamhaus-key moves Spamhaus to DQS zones (key only in the queried name) and adds ZRD', () => {
  const s = selectLists({ spamhausKey: 'AbC123def456ghi789jkl012mn' });
  const zen = s.find((l) => l.id === 'spamhaus-zen')!;
  assert.equal(zen.zone, 'zen.dq.spamhaus.net');
  assert.equal(zen.queryZone, 'abc123def456ghi789jkl012mn.zen.dq.spamhaus.net');
  assert.equal(s.find((l) => l.id === 'spamhaus-dbl')!.zone, 'dbl.dq.spamhaus.net');
  assert.ok(s.some((l) => l.id === 'spamhaus-zrd'));
  // non-Spamhaus lists are untouched
  assert.equal(s.find((l) => l.id === 'barracuda')!.queryZone, 'b.barracudacentral.org');
});

test('bad zones and keys are usage errors', () => {
  assert.throws(() => selectLists({ zones: ['not a zone'] }), UsageError);
  assert.throws(() => selectLists({ zones: ['nodot'] }), /--zone "nodot"/);
  assert.throws(() => selectLists({ zones: ['a..b'] }), UsageError);
  assert.throws(() => selectLists({ spamhausKey: 'has.dot' }), /--spamhaus-key/);
  assert.throws(() => selectLists({ spamhausKey: '' }), /--spamhaus-key/);
  assert.throws(() => selectLists({ zones: ['spamhaus-zrd'] }), /only served through Spamhaus DQS/);
  assert.throws(() => selectLists({ zones: ['zen.dq.spamhaus.net'] }), /DQS zone: it needs --spamhaus-key/);
  // with a key, the DQS zone name selects the catalogue entry
  assert.equal(selectLists({ zones: ['zen.dq.spamhaus.net'], spamhausKey: 'k1' })[0]!.queryZone, 'k1.zen.dq.spamhaus.net');
});
