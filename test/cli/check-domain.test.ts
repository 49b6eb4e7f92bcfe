import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../helpers/keys.js';
import { runCli } from '../helpers/cli.js';
import { makeTestPki } from '../helpers/smtp-server.js';
import { startHttpsServer } from '../helpers/https-server.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let srv: DnsFixtureServer;
before(async () => {
  const key = rsaPublicKeyB64(2048);
  srv = await startDnsServer({
    'good.test': { TXT: ['v=spf1 mx -all'], MX: [{ priority: 10, exchange: 'mx.good.test' }] },
    'mx.good.test': { A: ['192.0.2.1'] },
    '1.2.0.192.in-addr.arpa': { PTR: ['mx.good.test'] },
    's1._domainkey.good.test': { TXT: [`v=DKIM1; p=${key}`] },
    '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@good.test'] },
    'xn--bcher-kva.test': { TXT: ['v=spf1 mx -all'], MX: [{ priority: 10, exchange: 'mx.good.test' }] },
    's1._domainkey.xn--bcher-kva.test': { TXT: [`v=DKIM1; p=${key}`] },
    '_dmarc.xn--bcher-kva.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@good.test'] },
    'xn--bcher-kva.test._report._dmarc.good.test': { TXT: ['v=DMARC1'] },
    'warn.test': { TXT: ['v=spf1 mx -all'], MX: [{ priority: 10, exchange: 'mx.good.test' }] },
    's1._domainkey.warn.test': { TXT: [`v=DKIM1; p=${key}`] },
    '_dmarc.warn.test': { TXT: ['v=DMARC1; p=none; rua=mailto:d@warn.test'] },
    'bad.test': { MX: [{ priority: 10, exchange: 'mx.good.test' }] },
    'dnsfail.test': { behaviour: 'servfail' },
    '_dmarc.dnsfail.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@dnsfail.test'] },
  });
});
after(() => srv.stop());

const dns = () => ['--dns', srv.address, '--timeout', '3s'];

test('clean domain: exit 0, JSON document with the documented shape', async () => {
  const r = await runCli(['check-domain', 'good.test', '--selector', 's1', '--json', ...dns()]);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'check-domain');
  const d = doc.domains[0];
  assert.equal(d.domain, 'good.test');
  assert.deepEqual(Object.keys(d).sort(), ['bimi', 'dane', 'dkim', 'dmarc', 'dnssec', 'domain', 'findings', 'mtaSts', 'mx', 'sendingIps', 'spf', 'tlsRpt']);
  assert.deepEqual(d.sendingIps, [{ ip: '192.0.2.1', source: 'spf mx', ptr: ['mx.good.test'], forwardConfirmed: true, generic: false }]);
  assert.equal(d.spf.record, 'v=spf1 mx -all');
  assert.equal(d.spf.lookups, 1);
  assert.equal(d.spf.voidLookups, 0);
  assert.equal(d.spf.tree.domain, 'good.test');
  assert.deepEqual(d.dkim.selectors[0], { selector: 's1', found: true, keyType: 'rsa', bits: 2048, testing: false, record: d.dkim.selectors[0].record });
  assert.equal(d.dmarc.policy, 'reject');
  assert.equal(d.dmarc.subdomainPolicy, 'reject');
  assert.equal(d.dmarc.pct, 100);
  assert.deepEqual(d.dmarc.rua, ['mailto:d@good.test']);
  assert.deepEqual(d.dmarc.ruf, []);
  assert.equal(d.dmarc.orgDomain, 'good.test');
  assert.equal(d.dmarc.inherited, false);
  assert.deepEqual(d.mx, { nullMx: false, hosts: [{ exchange: 'mx.good.test', priority: 10, addresses: ['192.0.2.1'] }] });
  // only the informational "not published" findings of the optional mechanisms
  assert.deepEqual(d.findings.map((f: any) => f.code).sort(), ['BIMI_MISSING', 'DNSSEC_UNSIGNED', 'MTA_STS_MISSING', 'TLSRPT_MISSING']);
  assert.deepEqual(doc.summary, { errors: 0, warnings: 0, infos: 4 });
  assert.equal(r.stderr, '');
});

test('error findings: exit 1, every finding has code/severity/check/message', async () => {
  const r = await runCli(['check-domain', 'bad.test', '--json', ...dns()]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  const codes = doc.domains[0].findings.map((f: any) => f.code);
  assert.ok(codes.includes('SPF_MISSING'));
  assert.ok(codes.includes('DMARC_MISSING'));
  assert.ok(codes.includes('DKIM_NONE_FOUND'));
  for (const f of doc.domains[0].findings) {
    assert.ok(['error', 'warning', 'info'].includes(f.severity));
    assert.ok(f.check && f.message);
  }
  assert.ok(doc.summary.errors >= 2);
});

test('--fail-on warning turns warnings into exit 1; default ignores them', async () => {
  const a = await runCli(['check-domain', 'warn.test', '-s', 's1', '--json', ...dns()]);
  assert.equal(a.code, 0, a.stderr);
  const b = await runCli(['check-domain', 'warn.test', '-s', 's1', '--fail-on', 'warning', '--json', ...dns()]);
  assert.equal(b.code, 1);
});

test('several domains in one run, IDN converted to punycode', async () => {
  const r = await runCli(['check-domain', 'good.test', 'Bücher.TEST.', '-s', 's1', '--json', ...dns()]);
  assert.equal(r.code, 0, r.stdout);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.domains.map((d: any) => d.domain), ['good.test', 'xn--bcher-kva.test']);
});

test('a DNS failure affects only its check and exits 3', async () => {
  const r = await runCli(['check-domain', 'dnsfail.test', '-s', 's1', '--json', ...dns()]);
  assert.equal(r.code, 3);
  const d = JSON.parse(r.stdout).domains[0];
  const byCheck = (c: string) => d.findings.filter((f: any) => f.check === c).map((f: any) => f.code);
  assert.deepEqual(byCheck('spf'), ['DNS_SERVFAIL']);
  assert.deepEqual(byCheck('mx'), ['DNS_SERVFAIL']);
  assert.deepEqual(byCheck('dmarc'), []);
  assert.equal(d.dmarc.policy, 'reject');
});

test('a domain that does not exist: one DOMAIN_NOT_FOUND error, exit 1, the JSON shape kept with checks marked skipped', async () => {
  const r = await runCli(['check-domain', 'example.con', '--json', ...dns()]);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  const d = doc.domains[0];
  assert.deepEqual(Object.keys(d).sort(), ['bimi', 'dane', 'dkim', 'dmarc', 'dnssec', 'domain', 'findings', 'mtaSts', 'mx', 'sendingIps', 'spf', 'tlsRpt']);
  for (const c of ['spf', 'dkim', 'dmarc', 'mx', 'mtaSts', 'tlsRpt', 'bimi', 'dnssec', 'dane']) assert.equal(d[c].skipped, true, c);
  assert.deepEqual(d.sendingIps, []);
  assert.deepEqual(d.findings.map((f: any) => [f.code, f.severity, f.check, f.message]), [['DOMAIN_NOT_FOUND', 'error', 'domain', 'example.con does not exist in DNS (NXDOMAIN)']]);
  assert.deepEqual(doc.summary, { errors: 1, warnings: 0, infos: 0 });
  // a fleet: the domain that exists is checked as usual, without the marker
  const fleet = JSON.parse((await runCli(['check-domain', 'good.test', 'example.con', '-s', 's1', '--json', ...dns()])).stdout);
  assert.equal('skipped' in fleet.domains[0].spf, false);
  assert.deepEqual(fleet.summary, { errors: 1, warnings: 0, infos: 4 });

  const human = await runCli(['check-domain', 'example.con', ...dns()]);
  assert.equal(human.code, 1);
  const block = human.stdout.split('\n\n')[0]!.split('\n');
  assert.deepEqual(block.slice(0, 2), ['example.con', '  ✗ DOMAIN_NOT_FOUND example.con does not exist in DNS (NXDOMAIN)']);
  assert.match(block[2]!, /^ {4}fix: Check the spelling/);
  assert.equal(block.length, 3);
  assert.doesNotMatch(human.stdout, /SPF_MISSING|DMARC_MISSING|MX_MISSING|MTA_STS_MISSING/);
  assert.match(human.stdout, /1 domain checked: 1 error, 0 warnings, 0 infos/);

  const csv = await runCli(['check-domain', 'example.con', '--format', 'csv', ...dns()]);
  assert.equal(csv.code, 1);
  assert.equal(csv.stdout.split('\r\n')[1], `example.con,1,0,0,${','.repeat(21)}DOMAIN_NOT_FOUND`);
});

test('a fleet against a DNS server that is down: every check says refused (not timed out), exit 3', { timeout: 10_000 }, async () => {
  // a UDP port with (very likely) nothing listening: bound, then closed again
  const { createSocket } = await import('node:dgram');
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const port = s.address().port;
  await new Promise<void>((res) => s.close(() => res()));
  const domains = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test', 'f.test', 'g.test', 'h.test', 'i.test', 'j.test'];
  // --timeout 30s: a query that waited for its timeout would make the test exceed its 10 s limit
  const r = await runCli(['check-domain', ...domains, '--dns', `127.0.0.1:${port}`, '--timeout', '30s', '--json']);
  assert.equal(r.code, 3, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.deepEqual(doc.domains.map((d: any) => d.domain), domains);
  for (const d of doc.domains) {
    assert.ok(d.findings.length > 0, d.domain);
    for (const f of d.findings) {
      assert.equal(f.code, 'DNS_ERROR', `${d.domain}: ${f.code} ${f.message}`);
      assert.match(f.message, new RegExp(`UDP to 127\\.0\\.0\\.1:${port}: connection refused`));
      assert.doesNotMatch(f.message, /timed out/);
    }
  }
});

test('human output: a block per domain, marks, fixes, no colour off a TTY', async () => {
  const r = await runCli(['check-domain', 'bad.test', ...dns()]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^bad\.test$/m);
  assert.match(r.stdout, /✗ SPF/);
  assert.match(r.stdout, /SPF_MISSING/);
  assert.match(r.stdout, /fix: Publish a TXT record/);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
});

const usage: [string[], RegExp][] = [
  [['check-domain', 'bad..name'], /empty label/],
  [['check-domain', `${'a'.repeat(64)}.com`], /longer than 63/],
  [['check-domain', ''], /empty name/],
  [['check-domain'], /no domain given/],
  [['check-domain', 'example.com', '--fail-on', 'fatal'], /fail-on/],
  [['check-domain', 'example.com', '--timeout', 'soon'], /not a duration/],
  [['check-domain', 'example.com', '--dns', 'resolver.example'], /not an IP address/],
  [['check-domain', 'example.com', '--selector', 'bad selector!'], /not a valid DKIM selector/],
  [['check-domain', 'example.com', '--no-such-flag'], /unknown option/],
  [['check-domain', 'example.com', '--concurrency', '0'], /--concurrency/],
  [['check-domain', 'example.com', '--ip', '300.1.1.1'], /not an IPv4 or IPv6 address/],
  [['check-domain', '--file', '/nonexistent/domains.txt'], /no such file/],
  [['check-domain', 'example.com', '--format', 'xml'], /format/],
  [['check-domain', 'example.com', '--config', '/nonexistent/mailpace.config.json'], /cannot read config/],
  [['no-such-command'], /unknown command/],
];
for (const [args, why] of usage) {
  test(`usage error exits 2 with one line: ${args.join(' ') || '(none)'}`, async () => {
    const r = await runCli([...args, '--dns', srv.address]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, why);
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('--help lists every command with examples and exit codes', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const s of ['check-domain', 'auth', 'Exit codes', 'Examples']) assert.match(r.stdout, new RegExp(s));
  const c = await runCli(['check-domain', '--help']);
  assert.match(c.stdout, /--selector/);
  assert.match(c.stdout, /\$ mailpace-cli check-domain example.com/);
});

test('--help loads none of ink, react, mailauth, better-sqlite3', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-trace-'));
  const trace = join(dir, 'modules.txt');
  try {
    const r = await runCli(['--help'], { env: { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` } });
    assert.equal(r.code, 0, r.stderr);
    const loaded = readFileSync(trace, 'utf8');
    assert.match(loaded, /node_modules\/commander\//, 'tracing works (commander seen)');
    for (const m of ['node_modules/ink/', 'node_modules/react/', 'node_modules/mailauth/', 'node_modules/better-sqlite3/', 'node_modules/ora/', 'node_modules/tldts']) {
      assert.ok(!loaded.includes(m), `${m} was loaded by --help`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempFile(name: string, text: string): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-cli-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('--file: one domain per line, # comments and blank lines ignored, order kept', async () => {
  const f = tempFile('domains.txt', '# fleet\nwarn.test\n\ngood.test  # the good one\n');
  try {
    const r = await runCli(['check-domain', '--file', f.path, '-s', 's1', '--json', ...dns()]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).domains.map((d: any) => d.domain), ['warn.test', 'good.test']);
  } finally {
    f.cleanup();
  }
});

test('domains from stdin when none are given', async () => {
  const r = await runCli(['check-domain', '-s', 's1', '--json', ...dns()], { input: 'good.test\nwarn.test\n' });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).domains.map((d: any) => d.domain), ['good.test', 'warn.test']);
});

test('--format ndjson streams one line per domain and a summary', async () => {
  const r = await runCli(['check-domain', 'good.test', 'bad.test', '-s', 's1', '--format', 'ndjson', ...dns()]);
  assert.equal(r.code, 1);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines.slice(0, 2).map((l) => l.domain).sort(), ['bad.test', 'good.test']);
  for (const l of lines) assert.equal(l.schemaVersion, 1);
  assert.equal(lines[2].type, 'summary');
  assert.equal(lines[2].domains, 2);
  assert.ok(lines[2].errors >= 1);
});

test('--format csv: header plus one row per domain, raw records kept', async () => {
  const r = await runCli(['check-domain', 'good.test', 'bad.test', '-s', 's1', '--format', 'csv', ...dns()]);
  assert.equal(r.code, 1);
  const rows = r.stdout.trim().split('\r\n');
  assert.equal(rows.length, 3);
  assert.match(rows[0]!, /^domain,errors,warnings,infos,spf_record,/);
  assert.match(rows[1]!, /^good\.test,0,0,4,v=spf1 mx -all,1,0,s1,/);
  assert.match(rows[2]!, /^bad\.test,/);
  assert.match(rows[2]!, /SPF_MISSING/);
});

test('mailpace.config.json: no arguments checks the configured domains with its selectors and failOn', async () => {
  const f = tempFile('mailpace.config.json', JSON.stringify({ domains: ['warn.test'], selectors: ['s1'], failOn: 'warning' }));
  try {
    const r = await runCli(['check-domain', '--config', f.path, '--json', ...dns()]);
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.domains.map((d: any) => d.domain), ['warn.test']);
    assert.deepEqual(doc.domains[0].dkim.tried, ['s1']);
    // a flag beats the file
    const r2 = await runCli(['check-domain', '--config', f.path, '--fail-on', 'error', '--json', ...dns()]);
    assert.equal(r2.code, 0);
  } finally {
    f.cleanup();
  }
});

test('a config file with an unknown key or bad JSON is a usage error', async () => {
  for (const text of ['{"domain": ["x.test"]}', '{not json', '{"domains": "x.test"}']) {
    const f = tempFile('c.json', text);
    try {
      const r = await runCli(['check-domain', '--config', f.path, ...dns()]);
      assert.equal(r.code, 2, text);
      assert.match(r.stderr, /config/);
    } finally {
      f.cleanup();
    }
  }
});

test('--ip checks the given sending IPs instead of the SPF ones', async () => {
  const r = await runCli(['check-domain', 'good.test', '-s', 's1', '--ip', '192.0.2.77', '--json', ...dns()]);
  assert.equal(r.code, 1);
  const d = JSON.parse(r.stdout).domains[0];
  assert.deepEqual(d.sendingIps.map((p: any) => [p.ip, p.source]), [['192.0.2.77', '--ip']]);
  assert.ok(d.findings.some((f: any) => f.code === 'PTR_MISSING'));
});

test('--profile bulk: verdict per provider, reasons, and an exit 1 when a requirement fails', async () => {
  const r = await runCli(['check-domain', 'warn.test', 'good.test', '-s', 's1', '--profile', 'bulk', '--ip', '192.0.2.1', '--json', ...dns()]);
  const doc = JSON.parse(r.stdout);
  const [warn, good] = doc.domains;
  assert.deepEqual([good.bulkSender.gmail, good.bulkSender.yahoo, good.bulkSender.microsoft], ['pass', 'pass', 'pass']);
  // warn.test's SPF (mx) authorises 192.0.2.1 and its PTR is confirmed; p=none still meets the minimum
  assert.deepEqual([warn.bulkSender.gmail, warn.bulkSender.yahoo, warn.bulkSender.microsoft], ['pass', 'pass', 'pass']);
  const unsub = good.bulkSender.reasons.find((x: any) => x.requirement === 'unsubscribe');
  assert.equal(unsub.status, 'unverified');
  assert.match(unsub.check, /mailpace-cli score/);
  assert.equal(r.code, 0, r.stderr);
  const bad = await runCli(['check-domain', 'good.test', '-s', 's1', '--profile', 'bulk', '--ip', '192.0.2.200', '--json', ...dns()]);
  assert.equal(bad.code, 1);
  const b = JSON.parse(bad.stdout).domains[0];
  assert.deepEqual([b.bulkSender.gmail, b.bulkSender.yahoo, b.bulkSender.microsoft], ['fail', 'fail', 'fail']);
  const codes = b.findings.map((f: any) => f.code);
  assert.ok(codes.includes('SPF_IP_NOT_AUTHORIZED'));
  assert.ok(codes.includes('BULK_REQUIREMENT_FAILED'));
  assert.equal(b.sendingIps[0].spf, 'fail');
});

test('MTA-STS end to end: policy fetched over HTTPS from a test CA via --ca-file and --mta-sts-port', async () => {
  const pki = await makeTestPki();
  try {
    const cert = await pki.issue('mta-sts.sts.test');
    const https = await startHttpsServer({
      cert,
      routes: { 'mta-sts.sts.test/.well-known/mta-sts.txt': { headers: { 'content-type': 'text/plain' }, body: 'version: STSv1\r\nmode: enforce\r\nmx: mx.other.test\r\nmax_age: 604800\r\n' } },
    });
    const d2 = await startDnsServer({
      'sts.test': { TXT: ['v=spf1 -all'], MX: [{ priority: 10, exchange: 'mx.sts.test' }] },
      'mx.sts.test': { A: ['192.0.2.1'] },
      '_mta-sts.sts.test': { TXT: ['v=STSv1; id=20261127'] },
      'mta-sts.sts.test': { A: ['127.0.0.1'] },
    });
    try {
      const args = ['check-domain', 'sts.test', '-s', 's1', '--json', '--dns', d2.address, '--ca-file', pki.caFile, '--mta-sts-port', String(https.port)];
      const r = await runCli(args);
      const d = JSON.parse(r.stdout).domains[0];
      assert.equal(d.mtaSts.mode, 'enforce');
      assert.deepEqual(d.mtaSts.unmatchedMx, ['mx.sts.test']);
      const codes = d.findings.map((f: any) => f.code);
      assert.ok(codes.includes('MTA_STS_MX_MISMATCH'), codes.join());
      assert.ok(codes.includes('TLSRPT_MISSING'));
      assert.equal(d.findings.find((f: any) => f.code === 'TLSRPT_MISSING').severity, 'warning');
      assert.equal(r.code, 1);
      assert.deepEqual(https.log.map((l) => l.path), ['/.well-known/mta-sts.txt']);
      // without the test CA the certificate is not trusted: unreachable, not a crash
      const untrusted = await runCli(args.filter((a, i) => a !== '--ca-file' && args[i - 1] !== '--ca-file'));
      const u = JSON.parse(untrusted.stdout).domains[0];
      assert.ok(u.findings.some((f: any) => f.code === 'MTA_STS_POLICY_UNREACHABLE'));
    } finally {
      await d2.stop();
      await https.stop();
    }
  } finally {
    await pki.cleanup();
  }
});

test('--ca-file that is missing or not PEM is a usage error', async () => {
  const r = await runCli(['check-domain', 'good.test', '--ca-file', '/nonexistent.pem', ...dns()]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read --ca-file/);
  const f = tempFile('ca.pem', 'not a certificate');
  try {
    const r2 = await runCli(['check-domain', 'good.test', '--ca-file', f.path, ...dns()]);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /no PEM certificate/);
  } finally {
    f.cleanup();
  }
});
