import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAnswer } from '../../../src/core/blocklist/decode.js';
import { selectLists, type SelectedList } from '../../../src/core/blocklist/selection.js';

const list = (zone: string): SelectedList => selectLists({ zones: [zone] })[0]!;
const zen = list('zen.spamhaus.org');
const dbl = list('dbl.spamhaus.org');
const uribl = list('multi.uribl.com');
const surbl = list('multi.surbl.org');

test('Spamhaus ZEN: several codes in one answer, each decoded (the 127.0.0.2 test entry answers SBL+XBL+PBL)', () => {
  const d = decodeAnswer(zen, ['127.0.0.10', '127.0.0.2', '127.0.0.4']);
  assert.equal(d.status, 'listed');
  assert.deepEqual(d.codes, ['127.0.0.2', '127.0.0.4', '127.0.0.10']);
  assert.match(d.meanings[0]!, /^SBL:/);
  assert.match(d.meanings[1]!, /^XBL:/);
  assert.match(d.meanings[2]!, /^PBL:.*ISP/);
  assert.match(decodeAnswer(zen, ['127.0.0.3']).meanings[0]!, /CSS/);
  assert.match(decodeAnswer(zen, ['127.0.0.9']).meanings[0]!, /DROP/);
  assert.match(decodeAnswer(zen, ['127.0.0.11']).meanings[0]!, /PBL.*Spamhaus maintained/);
});

test('Spamhaus error codes are errors, never listings; refusals are marked as such', () => {
  const pub = decodeAnswer(zen, ['127.255.255.254']);
  assert.equal(pub.status, 'error');
  assert.equal(pub.cause, 'refusal');
  assert.match(pub.meanings[0]!, /public\/open resolver/);
  assert.equal(decodeAnswer(zen, ['127.255.255.255']).cause, 'refusal');
  const typo = decodeAnswer(zen, ['127.255.255.252']);
  assert.equal(typo.status, 'error');
  assert.equal(typo.cause, 'error-code');
  assert.match(typo.meanings[0]!, /typing error/);
  // any other code of the reserved 127.255.255.0/24 is an error too (DQS key problems use it)
  const other = decodeAnswer(zen, ['127.255.255.250']);
  assert.equal(other.status, 'error');
  assert.match(other.meanings[0]!, /reserves for query errors/);
  // an error beside a listing code still makes the whole answer an error
  assert.equal(decodeAnswer(zen, ['127.0.0.2', '127.255.255.254']).status, 'error');
});

test('Spamhaus DBL: spam, abused-legit 127.0.1.1xx, and the 127.0.1.255 "IP query" error', () => {
  assert.match(decodeAnswer(dbl, ['127.0.1.2']).meanings[0]!, /spam/);
  const abused = decodeAnswer(dbl, ['127.0.1.102']);
  assert.equal(abused.status, 'listed');
  assert.match(abused.meanings[0]!, /abused-legit/);
  for (const c of ['127.0.1.103', '127.0.1.104', '127.0.1.105', '127.0.1.106']) assert.match(decodeAnswer(dbl, [c]).meanings[0]!, /abused/);
  const ipq = decodeAnswer(dbl, ['127.0.1.255']);
  assert.equal(ipq.status, 'error');
  assert.equal(ipq.cause, 'error-code');
});

test('URIBL multi is a bitmask; 127.0.0.1 is "query refused", not a listing', () => {
  const t = decodeAnswer(uribl, ['127.0.0.14']);
  assert.equal(t.status, 'listed');
  assert.deepEqual(
    t.meanings.map((m) => m.split(':')[0]),
    ['black', 'grey', 'red'],
  );
  const r = decodeAnswer(uribl, ['127.0.0.1']);
  assert.equal(r.status, 'error');
  assert.equal(r.cause, 'refusal');
});

test('SURBL multi bitmask: PH+MW, undocumented bits named, 127.0.0.1 blocked', () => {
  const t = decodeAnswer(surbl, ['127.0.0.24']);
  assert.equal(t.status, 'listed');
  assert.deepEqual(t.meanings.map((m) => m.split(':')[0]), ['PH', 'MW']);
  assert.match(decodeAnswer(surbl, ['127.0.0.66']).meanings.join(' | '), /bit 2 set \(not documented by SURBL multi\) \| ABUSE/);
  assert.equal(decodeAnswer(surbl, ['127.0.0.1']).status, 'error');
});

test('reputation levels that are not listings make a clean result with the code kept', () => {
  const rep = list('rep.mailspike.net');
  const good = decodeAnswer(rep, ['127.0.0.18']);
  assert.equal(good.status, 'clean');
  assert.deepEqual(good.codes, ['127.0.0.18']);
  assert.match(good.meanings[0]!, /H3/);
  assert.equal(decodeAnswer(rep, ['127.0.0.10']).status, 'listed');
});

test('DroneBL: the testing and sample classes are not listings; abuse classes are', () => {
  const drone = list('dnsbl.dronebl.org');
  assert.equal(decodeAnswer(drone, ['127.0.0.2']).status, 'clean');
  assert.match(decodeAnswer(drone, ['127.0.0.2']).meanings[0]!, /sample/);
  assert.equal(decodeAnswer(drone, ['127.0.0.1']).status, 'clean');
  const proxy = decodeAnswer(drone, ['127.0.0.8', '127.0.0.2']);
  assert.equal(proxy.status, 'listed');
  assert.equal(proxy.meanings.length, 2);
  assert.match(decodeAnswer(drone, ['127.0.0.19']).meanings[0]!, /VPN/);
});

test('an answer outside 127.0.0.0/8 is a hijacking resolver: error, never listed', () => {
  for (const l of [zen, dbl, uribl, list('bl.example.test')]) {
    const d = decodeAnswer(l, ['10.10.10.10']);
    assert.equal(d.status, 'error', l.zone);
    assert.equal(d.cause, 'hijack');
    assert.match(d.meanings[0]!, /outside 127\.0\.0\.0\/8/);
  }
  // a mix of a listing code and a rewritten answer is still an error
  assert.equal(decodeAnswer(zen, ['127.0.0.2', '93.184.216.34']).status, 'error');
  // an A record that is not even an IPv4 address
  assert.equal(decodeAnswer(zen, ['garbage']).status, 'error');
});

test('undocumented codes of a catalogue list, and any 127/8 answer of a custom list, are listings', () => {
  const u = decodeAnswer(list('bl.spamcop.net'), ['127.0.0.3']);
  assert.equal(u.status, 'listed');
  assert.match(u.meanings[0]!, /not documented by SpamCop/);
  const c = decodeAnswer(list('bl.example.test'), ['127.0.0.5']);
  assert.equal(c.status, 'listed');
  assert.match(c.meanings[0]!, /custom list/);
});

test('an empty answer is an error, not clean and not listed', () => {
  assert.equal(decodeAnswer(zen, []).status, 'error');
});
