import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';

let srv: DnsFixtureServer;
let dir: string;
const KEY = 'abcdefghijklmnopqrstuvwxyz';

before(async () => {
  srv = await startDnsServer({
    '2.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2', '127.0.0.4', '127.0.0.10'], TXT: ['Listed by SBL, see https://check.spamhaus.org/sbl/query/SBLTEST'] },
    '254.2.0.192.zen.spamhaus.org': { A: ['127.255.255.254'] },
    // a /22 of PBL space, as the real PBL lists ranges
    '*.112.0.203.zen.spamhaus.org': { A: ['127.0.0.10'] },
    '*.113.0.203.zen.spamhaus.org': { A: ['127.0.0.10'] },
    '*.114.0.203.zen.spamhaus.org': { A: ['127.0.0.10'] },
    '*.115.0.203.zen.spamhaus.org': { A: ['127.0.0.10'] },
    'dbltest.com.dbl.spamhaus.org': { A: ['127.0.1.2'], TXT: ['Listed by DBL'] },
    'dbltest.com.rhs.example.test': { A: ['127.0.0.2'] },
    [`2.0.0.127.${KEY}.zen.dq.spamhaus.net`]: { A: ['127.0.0.2'] },
    'sender.example': { TXT: ['v=spf1 ip4:127.0.0.2 ip4:192.0.2.20 -all'] },
  });
  dir = mkdtempSync(join(tmpdir(), 'mailpace-blocklist-'));
});
after(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

const dns = () => ['--dns', srv.address];

test('a listed target: exit 1 and one JSON document with results and summary', async () => {
  const r = await runCli(['blocklist', 'scan', '127.0.0.2', '127.0.0.1', '--zone', 'zen.spamhaus.org', ...dns(), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'blocklist scan');
  assert.equal(doc.results.length, 2);
  assert.deepEqual(
    { target: doc.results[0].target, zone: doc.results[0].zone, list: doc.results[0].list, status: doc.results[0].status, codes: doc.results[0].codes },
    { target: '127.0.0.2', zone: 'zen.spamhaus.org', list: 'Spamhaus ZEN', status: 'listed', codes: ['127.0.0.2', '127.0.0.4', '127.0.0.10'] },
  );
  assert.match(doc.results[0].txt, /SBLTEST/);
  assert.equal(doc.results[0].removalUrl, 'https://check.spamhaus.org/');
  assert.equal(doc.results[1].status, 'clean');
  assert.deepEqual(
    [doc.summary.targets, doc.summary.queries, doc.summary.listed, doc.summary.clean, doc.summary.errors, doc.summary.timeouts],
    [2, 2, 1, 1, 0, 0],
  );
  assert.equal(r.stderr, '');
});

test('clean everywhere: exit 0, human table', async () => {
  const r = await runCli(['blocklist', 'scan', '127.0.0.1', '--zone', 'zen.spamhaus.org', '--zone', 'bl.spamcop.net', ...dns()]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /127\.0\.0\.1 {2}clean on all 2 lists/);
  assert.match(r.stdout, /1 target × 2 lists: 2 lookups/);
});

test('only refusals: exit 3, never "listed", and the note says what to do', async () => {
  const r = await runCli(['blocklist', 'scan', '192.0.2.254', '--zone', 'zen.spamhaus.org', ...dns()]);
  assert.equal(r.code, 3);
  assert.doesNotMatch(r.stdout, /✗ listed/);
  assert.match(r.stdout, /! error\s+Spamhaus ZEN\s+127\.255\.255\.254/);
  assert.match(r.stdout, /note: Spamhaus refused to answer our resolver.*--spamhaus-key/);
});

test('bad targets: exit 2, one line on stderr, nothing on stdout', async () => {
  for (const bad of ['999.1.1.1', '10.0.0.0/33', 'not_a..domain', 'http://example.com']) {
    const r = await runCli(['blocklist', 'scan', bad, ...dns(), '--json']);
    assert.equal(r.code, 2, bad);
    assert.equal(r.stdout, '', bad);
    assert.match(r.stderr, /^mailpace-cli: ".*" is not an IP address, CIDR range or domain name/, bad);
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});

test('a range over --max-targets is refused (exit 2); raised, the /22 is scanned', async () => {
  const refused = await runCli(['blocklist', 'scan', '203.0.112.0/22', '--zone', 'zen.spamhaus.org', ...dns()]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /203\.0\.112\.0\/22 expands to 1,024 addresses: 1,024 targets is more than --max-targets 256/);
  assert.match(refused.stderr, /hint: .*--max-targets 1024/);
  const r = await runCli(['blocklist', 'scan', '203.0.112.0/22', '--max-targets', '1024', '--zone', 'zen.spamhaus.org', ...dns(), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.summary.targets, 1024);
  assert.equal(doc.summary.listed, 1024);
  assert.equal(doc.results[1023].target, '203.0.115.255');
  assert.match(doc.results[0].meanings[0], /^PBL/);
});

test('--format csv and --format ndjson', async () => {
  const csv = await runCli(['blocklist', 'scan', '127.0.0.2', '--zone', 'zen.spamhaus.org', ...dns(), '--format', 'csv']);
  assert.equal(csv.code, 1);
  const lines = csv.stdout.split('\r\n');
  assert.equal(lines[0], 'target,zone,list,status,codes,meanings,txt,removalUrl,detail');
  assert.match(lines[1]!, /^127\.0\.0\.2,zen\.spamhaus\.org,Spamhaus ZEN,listed,127\.0\.0\.2 127\.0\.0\.4 127\.0\.0\.10,"SBL/);
  const nd = await runCli(['blocklist', 'scan', '127.0.0.2', '127.0.0.1', '--zone', 'zen.spamhaus.org', ...dns(), '--format', 'ndjson']);
  assert.equal(nd.code, 1);
  const rows = nd.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 3);
  assert.ok(rows.every((x) => x.schemaVersion === 1 && x.command === 'blocklist scan'));
  assert.deepEqual(rows.slice(0, 2).map((x) => `${x.type} ${x.target} ${x.status}`).sort(), ['result 127.0.0.1 clean', 'result 127.0.0.2 listed']);
  assert.deepEqual([rows[2].type, rows[2].queries, rows[2].listed], ['summary', 2, 1]);
});

test('targets from --file, from "-" (stdin) and piped with no arguments', async () => {
  const file = join(dir, 'targets.txt');
  writeFileSync(file, '# our sending IPs\n127.0.0.2\n127.0.0.1  # spare\n');
  for (const [args, input] of [
    [['--file', file], undefined],
    [['-'], '127.0.0.2\n127.0.0.1\n'],
    [[], '127.0.0.2 127.0.0.1'],
  ] as [string[], string | undefined][]) {
    const r = await runCli(['blocklist', 'scan', ...args, '--zone', 'zen.spamhaus.org', ...dns(), '--json'], { input });
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.deepEqual(JSON.parse(r.stdout).results.map((x: { target: string }) => x.target), ['127.0.0.2', '127.0.0.1']);
  }
  const missing = await runCli(['blocklist', 'scan', '--file', join(dir, 'nope.txt'), ...dns()]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /cannot read --file .*nope\.txt: ENOENT/);
  const none = await runCli(['blocklist', 'scan', ...dns()], { input: '# nothing here\n' });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no targets/);
});

test('domains go to domain lists; a custom domain list with name:domain; IP-only lists for a domain is exit 2', async () => {
  const r = await runCli(['blocklist', 'scan', 'dbltest.com', '--zone', 'dbl.spamhaus.org', '--zone', 'rhs.example.test:domain', ...dns(), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.results.map((x: { zone: string; status: string }) => `${x.zone} ${x.status}`), ['dbl.spamhaus.org listed', 'rhs.example.test listed']);
  const wrong = await runCli(['blocklist', 'scan', 'dbltest.com', '--zone', 'zen.spamhaus.org', ...dns()]);
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /none of the selected lists takes domain names/);
});

test('--spamhaus-key asks the DQS zone and never prints the key', async () => {
  const r = await runCli(['blocklist', 'scan', '127.0.0.2', '--zone', 'zen.spamhaus.org', '--spamhaus-key', KEY, ...dns(), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.results[0].zone, 'zen.dq.spamhaus.net');
  assert.ok(!r.stdout.includes(KEY));
});

test('--domain-ips adds the addresses the domain SPF authorises', async () => {
  const r = await runCli(['blocklist', 'scan', '--domain-ips', 'sender.example', '--zone', 'zen.spamhaus.org', ...dns(), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.results.map((x: { target: string; status: string }) => `${x.target} ${x.status}`), ['127.0.0.2 listed', '192.0.2.20 clean']);
  assert.match(doc.notices[0], /--domain-ips sender\.example: 127\.0\.0\.2 \(SPF ip4 in sender\.example\)/);
});

test('bad flags are exit 2', async () => {
  for (const args of [
    ['--concurrency', '0'],
    ['--concurrency', 'lots'],
    ['--max-targets', '-1'],
    ['--format', 'xml'],
    ['--json', '--format', 'csv'],
    ['--zone', 'not a zone'],
    ['--spamhaus-key', 'bad.key'],
  ]) {
    const r = await runCli(['blocklist', 'scan', '127.0.0.2', ...args, ...dns()]);
    assert.equal(r.code, 2, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
  }
});

test('help lists the flags and examples', async () => {
  const r = await runCli(['blocklist', 'scan', '--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--zone', '--spamhaus-key', '--domain-ips', '--max-targets', '--file', '--concurrency', '--format']) assert.ok(r.stdout.includes(flag), flag);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /mailpace-cli blocklist scan 203\.0\.112\.0\/22 --max-targets 1024/);
});

test('stdin that stays open and silent gets a notice saying what is awaited; the scan runs once it ends', { timeout: 20_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../helpers/cli.js');
  const child = spawn(process.execPath, [BIN, 'blocklist', 'scan', '--zone', 'zen.spamhaus.org', ...dns(), '--json'], {
    env: { ...process.env, NO_COLOR: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  const noticed = new Promise<void>((resolve) =>
    child.stderr.on('data', (d) => {
      stderr += d;
      if (/waiting for targets on standard input/.test(stderr)) resolve();
    }),
  );
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  // nothing is written until the notice is out (it comes after a quiet spell, not a fixed test delay)
  await noticed;
  assert.match(stderr, /Ctrl-D, or give them as arguments or with --file/);
  child.stdin.end('127.0.0.2\n');
  assert.equal(await exited, 1, stderr);
  assert.equal(JSON.parse(stdout).results[0].status, 'listed');
});

test('--dns [::1]:port: the scan runs over IPv6', async () => {
  const v6 = await startDnsServer({ '2.0.0.127.zen.spamhaus.org': { A: ['127.0.0.2'] } }, { ipv6: true });
  try {
    assert.match(v6.address, /^\[::1\]:\d+$/);
    const r = await runCli(['blocklist', 'scan', '127.0.0.2', '--zone', 'zen.spamhaus.org', '--dns', v6.address, '--json']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(JSON.parse(r.stdout).results[0].status, 'listed');
    assert.equal(v6.log.length, 2, 'the A query and the TXT reason, both to [::1]');
  } finally {
    await v6.stop();
  }
});

/** A UDP port on 127.0.0.1 with (very likely) nothing listening: bound, then closed again. */
async function closedPort(): Promise<number> {
  const { createSocket } = await import('node:dgram');
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

// --timeout 30s: a lookup that waited for its timeout instead of failing on the refusal would make
// the test exceed its own 10 s limit (no timing is asserted).
test('a DNS server that is down: a /22 against two zones is all refusal errors (not timeouts), exit 3', { timeout: 10_000 }, async () => {
  const port = await closedPort();
  const r = await runCli([
    'blocklist', 'scan', '198.18.0.0/22', '--max-targets', '1024', '--zone', 'zen.spamhaus.org', '--zone', 'bl.spamcop.net',
    '--dns', `127.0.0.1:${port}`, '--timeout', '30s', '--json',
  ]);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.results.length, 2048);
  const refusal = new RegExp(`^UDP to 127\\.0\\.0\\.1:${port}: connection refused \\(is a DNS server listening there\\?\\)$`);
  for (const x of doc.results) {
    assert.equal(x.status, 'error', `${x.target} ${x.zone}: ${x.detail}`);
    assert.match(x.detail, refusal);
  }
  assert.deepEqual([doc.summary.errors, doc.summary.timeouts, doc.summary.listed, doc.summary.clean], [2048, 0, 0, 0]);
  assert.ok(!doc.notices.some((n: string) => /timed out/.test(n)), doc.notices.join('\n'));
});

test('blocklist lists: the catalogue as JSON, the default set, one list in full, and an unknown name (exit 2)', async () => {
  const { BLOCKLISTS } = await import('../../src/core/blocklist/catalogue.js');
  const all = await runCli(['blocklist', 'lists', '--json']);
  assert.equal(all.code, 0, all.stderr);
  const doc = JSON.parse(all.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'blocklist lists');
  assert.deepEqual(doc.lists.map((l: { id: string }) => l.id), BLOCKLISTS.map((b) => b.id));
  const zen = doc.lists.find((l: { id: string }) => l.id === 'spamhaus-zen');
  assert.deepEqual(
    { zone: zen.zone, kind: zen.kind, ipv6: zen.ipv6, defaultOn: zen.defaultOn, dqsZone: zen.dqsZone },
    { zone: 'zen.spamhaus.org', kind: 'ip', ipv6: true, defaultOn: true, dqsZone: 'zen.dq.spamhaus.net' },
  );
  assert.deepEqual(zen.codes.find((c: { code: string }) => c.code === '127.255.255.254'), { code: '127.255.255.254', kind: 'error', meaning: zen.codes.find((c: { code: string }) => c.code === '127.255.255.254').meaning, refusal: true });
  const surbl = doc.lists.find((l: { id: string }) => l.id === 'surbl');
  assert.ok(surbl.codes.some((c: { code: string; kind: string }) => c.code === 'bit 8' && c.kind === 'listed'));

  // --default is exactly what a scan without --zone asks
  const defaults = JSON.parse((await runCli(['blocklist', 'lists', '--default', '--json'])).stdout).lists.map((l: { zone: string }) => l.zone);
  const scan = await runCli(['blocklist', 'scan', '127.0.0.1', 'example.com', ...dns(), '--json']);
  const asked = [...new Set(JSON.parse(scan.stdout).results.map((r: { zone: string }) => r.zone))];
  assert.deepEqual([...asked].sort(), [...defaults].sort());

  const one = await runCli(['blocklist', 'lists', 'zen.spamhaus.org']);
  assert.equal(one.code, 0, one.stderr);
  assert.match(one.stdout, /127\.0\.0\.10 +listed +PBL/);
  assert.match(one.stdout, /removal: https:\/\/check\.spamhaus\.org\//);
  assert.doesNotMatch(one.stdout, /barracuda/);

  const bad = await runCli(['blocklist', 'lists', 'nope.example']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /not in the catalogue: nope\.example/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /, 'no stack trace');
});
