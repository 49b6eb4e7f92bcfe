/**
 * blocklist scan against a real DNSBL server: Debian's rbldnsd, started by scripts/services/rbldnsd.sh
 * with zones named like the real lists (test/fixtures/rbldnsd). Runs the built CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';

const skip = serviceSkip('rbldnsd');
const env = serviceEnv('rbldnsd');

const scan = (args: string[], input = '') => runCli(['blocklist', 'scan', '--dns', env!.RBLDNSD_ADDRESS!, ...args], { input });

async function json(args: string[]) {
  const r = await scan([...args, '--json']);
  assert.equal(r.stderr, '', r.stderr);
  return { code: r.code, doc: JSON.parse(r.stdout) };
}

const statusOf = (doc: any, target: string, zone: string) => doc.results.find((x: any) => x.target === target && x.zone === zone)?.status;

test('the RFC 5782 test entry 127.0.0.2 is listed on every default IP list; 127.0.0.1 on none', { skip }, async () => {
  const { code, doc } = await json(['127.0.0.2', '127.0.0.1']);
  assert.equal(code, 1);
  const ipLists = ['zen.spamhaus.org', 'b.barracudacentral.org', 'bl.spamcop.net', 'dnsbl-1.uceprotect.net', 'psbl.surriel.com', 'bl.mailspike.net'];
  for (const z of ipLists) {
    assert.equal(statusOf(doc, '127.0.0.2', z), 'listed', z);
    assert.equal(statusOf(doc, '127.0.0.1', z), 'clean', z);
  }
  const zen = doc.results.find((x: any) => x.target === '127.0.0.2' && x.zone === 'zen.spamhaus.org');
  assert.deepEqual(zen.codes, ['127.0.0.2', '127.0.0.4', '127.0.0.10']);
  assert.match(zen.txt, /Listed by SBL.*\(127\.0\.0\.2\)/);
  assert.equal(doc.summary.listedTargets, 1);
});

test('203.0.113.5: SBL and PBL on ZEN, Barracuda, with reasons; human table lists it first', { skip }, async () => {
  const r = await scan(['203.0.113.5']);
  assert.equal(r.code, 1);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^203\.0\.113\.5 {2}listed on 2 of 6 lists/);
  assert.match(lines[1]!, /✗ listed\s+Spamhaus ZEN\s+127\.0\.0\.2,127\.0\.0\.10\s+SBL: .*; PBL: /);
  assert.match(r.stdout, /reason: Listed by SBL, see https:\/\/check\.spamhaus\.org\/sbl\/query\/SBLTEST \(203\.0\.113\.5\)/);
  assert.match(r.stdout, /✗ listed\s+Barracuda BRBL/);
  assert.match(r.stdout, /✓ clean\s+SpamCop SCBL, UCEPROTECT Level 1, PSBL, Mailspike BL/);
});

test('a /22 range (1,024 addresses) against ZEN: every address in the PBL', { skip }, async () => {
  const { code, doc } = await json(['203.0.112.0/22', '--max-targets', '1024', '--zone', 'zen.spamhaus.org', '--concurrency', '32']);
  assert.equal(code, 1);
  assert.equal(doc.summary.queries, 1024);
  assert.equal(doc.summary.listed, 1024);
  assert.equal(doc.summary.errors + doc.summary.timeouts, 0);
  assert.ok(doc.results.every((x: any) => x.codes.includes('127.0.0.10')));
});

test('IPv6: nibble-reversed queries, the ::ffff:7f00:2 test entry and a listed /48', { skip }, async () => {
  const { code, doc } = await json(['2001:db8:1::5', '2001:db8:2:0:1::1', '2001:db8:3::1', '--zone', 'zen.spamhaus.org']);
  assert.equal(code, 1);
  assert.deepEqual(doc.results.map((x: any) => x.status), ['listed', 'listed', 'clean']);
  assert.deepEqual(doc.results[1].codes, ['127.0.0.10']);
});

test('domains: DBL test point, abused-legit code, URIBL and SURBL bitmasks', { skip }, async () => {
  const { code, doc } = await json(['dbltest.com', 'abused.example.test', 'test.uribl.com', 'test.surbl.org', 'example.org']);
  assert.equal(code, 1);
  assert.equal(statusOf(doc, 'dbltest.com', 'dbl.spamhaus.org'), 'listed');
  const abused = doc.results.find((x: any) => x.target === 'abused.example.test' && x.zone === 'dbl.spamhaus.org');
  assert.match(abused.meanings[0], /abused-legit/);
  const uribl = doc.results.find((x: any) => x.target === 'test.uribl.com' && x.zone === 'multi.uribl.com');
  assert.deepEqual(uribl.meanings.map((m: string) => m.split(':')[0]), ['black', 'grey', 'red']);
  const surbl = doc.results.find((x: any) => x.target === 'test.surbl.org' && x.zone === 'multi.surbl.org');
  assert.deepEqual(surbl.meanings.map((m: string) => m.split(':')[0]), ['PH', 'MW']);
  assert.ok(doc.results.filter((x: any) => x.target === 'example.org').every((x: any) => x.status === 'clean'));
  // domains are never asked of IP lists
  assert.ok(!doc.results.some((x: any) => x.zone === 'zen.spamhaus.org'));
});

test('error codes are errors, never listings: Spamhaus refusals exit 3 with the DQS advice', { skip }, async () => {
  const { code, doc } = await json(['192.0.2.254', '192.0.2.255', '--zone', 'zen.spamhaus.org']);
  assert.equal(code, 3);
  assert.deepEqual(doc.results.map((x: any) => x.status), ['error', 'error']);
  assert.equal(doc.notices.length, 1);
  assert.match(doc.notices[0], /Spamhaus refused.*--spamhaus-key/);
  const typo = await json(['192.0.2.252', '--zone', 'zen.spamhaus.org']);
  assert.equal(typo.code, 3);
  assert.match(typo.doc.results[0].meanings[0], /typing error/);
  const dbl = await json(['ipquery.example.test', 'refused.example.test', '--zone', 'dbl.spamhaus.org']);
  assert.deepEqual(dbl.doc.results.map((x: any) => x.status), ['error', 'error']);
  const uribl = await json(['refused.example.test', '--zone', 'multi.uribl.com']);
  assert.equal(uribl.doc.results[0].status, 'error');
  assert.match(uribl.doc.notices[0], /^URIBL refused/);
});

test('an answer outside 127.0.0.0/8 and a zone the server does not serve (REFUSED) are errors', { skip }, async () => {
  const { code, doc } = await json(['192.0.2.99', '127.0.0.2', '--zone', 'zen.spamhaus.org', '--zone', 'not-served.example.test']);
  assert.equal(code, 1);
  assert.equal(statusOf(doc, '192.0.2.99', 'zen.spamhaus.org'), 'error');
  assert.equal(statusOf(doc, '127.0.0.2', 'not-served.example.test'), 'error');
  const notes = doc.notices.join('\n');
  assert.match(notes, /outside 127\.0\.0\.0\/8/);
  assert.match(notes, /answered REFUSED for not-served\.example\.test/);
});

test('a custom list: any 127/8 answer is a listing with its TXT', { skip }, async () => {
  const { code, doc } = await json(['203.0.113.77', '203.0.113.78', '--zone', 'bl.example.test']);
  assert.equal(code, 1);
  assert.equal(doc.results[0].status, 'listed');
  assert.deepEqual(doc.results[0].codes, ['127.0.0.5']);
  assert.equal(doc.results[0].txt, 'custom code 5');
  assert.equal(doc.results[1].status, 'clean');
});
