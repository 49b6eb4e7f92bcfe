/**
 * `mailpace-cli ci` as a CI job runs it: the built binary with a config that has one clean and one
 * failing element per area, against a fixture DNS server (domains, a custom IP blocklist and domain
 * list), the built-in lint, and a fake MX on loopback for the recipients. Every format must report
 * exactly the four failures; the JUnit XML must validate against the Jenkins JUnit schema.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../helpers/keys.js';
import { runCli } from '../helpers/cli.js';
import { ciZone } from '../helpers/ci-fixture.js';
import { FakeRspamd } from '../integration/score/fake-rspamd.js';
import { makeTestPki, startFakeMx, startRawServer, type FakeMx, type TestPki } from '../helpers/smtp-server.js';

const XSD = join(process.cwd(), 'test', 'fixtures', 'junit', 'junit-10.xsd');

let dns: DnsFixtureServer;
let pki: TestPki;
let mx: FakeMx;
let closedPort: number;
let dir: string;

/** The template whose name needs escaping everywhere: "%" and "," (GitHub properties), "&" (XML). */
const BAD_TEMPLATE = '50%-off, promo&co.eml';

before(async () => {
  pki = await makeTestPki();
  dns = await startDnsServer(ciZone(rsaPublicKeyB64(2048)));
  mx = await startFakeMx({
    tls: { ...pki.good, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' },
    rcptReplies: { 'postmaster@rcpt-refused.ci.test': { code: 550, message: '5.1.1 <postmaster@rcpt-refused.ci.test>: Recipient address rejected' } },
  });
  const closed = await startRawServer('close');
  closedPort = closed.port;
  await closed.stop();
  dir = mkdtempSync(join(tmpdir(), 'mailpace-ci-'));
  mkdirSync(join(dir, 'emails'));
  copyFileSync('test/fixtures/messages/good.eml', join(dir, 'emails', 'welcome.eml'));
  // scores 5.2 with the built-in lint (warnings only): above maxScore 5
  copyFileSync('test/fixtures/messages/html-only.eml', join(dir, 'emails', BAD_TEMPLATE));
  writeConfig('mailpace.config.json', {});
});
after(async () => {
  await mx.stop();
  await dns.stop();
  await pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function writeConfig(name: string, overrides: Record<string, unknown>): string {
  const config = {
    domains: ['good.ci.test', 'bad.ci.test'],
    selectors: ['s1'],
    ips: ['192.0.2.10', '192.0.2.20'],
    zones: ['bl.ci.test', 'dbl.ci.test:domain'],
    templates: ['emails/*.eml'],
    maxScore: 5,
    recipients: ['rcpt-ok.ci.test', 'rcpt-refused.ci.test'],
    failOn: 'error',
    ...overrides,
  };
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

const ci = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(
    ['ci', '--config', join(dir, 'mailpace.config.json'), '--dns', dns.address, '--timeout', '2s', '--helo', 'ci.example.net', '--probe-port', String(mx.port), '--ca-file', pki.caFile, ...args],
    { env: { MAILPACE_RSPAMD_URL: undefined, GITHUB_STEP_SUMMARY: undefined, ...env }, timeoutMs: 60_000 },
  );

/** The failing (area, case, code) triples the config is built to produce, one per area. */
const EXPECTED_FAILURES = [
  ['domains', 'bad.ci.test'],
  ['ips', '192.0.2.20', 'BLOCKLIST_LISTED'],
  ['templates', `emails/${BAD_TEMPLATE}`, 'SCORE_ABOVE_MAX'],
  ['recipients', 'rcpt-refused.ci.test', 'RCPT_REJECTED'],
] as const;

test('--json: exactly one failing case per area, exit 1, the documented shape', async () => {
  const r = await ci(['--json']);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'ci');
  assert.equal(doc.failOn, 'error');
  assert.equal(doc.exitCode, 1);
  assert.deepEqual(doc.areas.map((a: any) => a.area), ['domains', 'ips', 'templates', 'recipients']);
  const failed = doc.areas.flatMap((a: any) => a.cases.filter((c: any) => c.status === 'failed').map((c: any) => [a.area, c.name]));
  assert.deepEqual(failed, EXPECTED_FAILURES.map(([a, n]) => [a, n]));
  assert.ok(doc.areas.every((a: any) => a.status === 'failed'));
  const byName = (area: string, name: string) => doc.areas.find((a: any) => a.area === area).cases.find((c: any) => c.name === name);
  for (const [area, name, code] of EXPECTED_FAILURES) {
    if (!code) continue;
    const errors = byName(area, name).findings.filter((f: any) => f.severity === 'error').map((f: any) => f.code);
    assert.deepEqual(errors, [code], `${area} ${name}`);
  }
  // the other case of each area passes
  assert.equal(byName('domains', 'good.ci.test').status, 'passed', JSON.stringify(byName('domains', 'good.ci.test').findings));
  assert.equal(byName('ips', '192.0.2.10').status, 'passed');
  // domains are scanned on the domain list only
  assert.deepEqual(byName('ips', 'good.ci.test').details, { listedOn: [], lists: 1 });
  assert.equal(byName('templates', 'emails/welcome.eml').status, 'passed');
  assert.equal(byName('recipients', 'rcpt-ok.ci.test').status, 'passed');
  // no Rspamd configured: the built-in lint, and the report says so
  const templates = doc.areas.find((a: any) => a.area === 'templates');
  assert.equal(templates.engine, 'builtin');
  assert.match(templates.notices[0].message, /No Rspamd is configured.*built-in lint/);
  assert.deepEqual(byName('templates', `emails/${BAD_TEMPLATE}`).details, { score: 5.2, requiredScore: 15, action: 'greylist', engine: 'builtin' });
  assert.deepEqual(Object.keys(doc.summary).sort(), ['cases', 'error', 'failed', 'findings', 'passed', 'skipped']);
  assert.equal(doc.summary.failed, 4);
  // the fake MX never got DATA
  assert.ok(!mx.commands.includes('DATA'));
});

test('human: each area with its failing case and fix, exit 1', async () => {
  const r = await ci([]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^domains {2}1 passed, 1 failed/m);
  assert.match(r.stdout, /✗ bad\.ci\.test/);
  assert.match(r.stdout, /✗ 192\.0\.2\.20 {2}listed on bl\.ci\.test/);
  assert.match(r.stdout, /✗ BLOCKLIST_LISTED 192\.0\.2\.20 is listed on bl\.ci\.test/);
  assert.match(r.stdout, /templates \(built-in lint\) {2}1 passed, 1 failed/);
  assert.match(r.stdout, /SCORE_ABOVE_MAX .* scores 5\.2 \(built-in lint\), above the maximum of 5/);
  assert.match(r.stdout, /✗ RCPT_REJECTED/);
  assert.match(r.stdout, /i No Rspamd is configured/);
  assert.match(r.stdout, /✗ failed {2}\d+ of \d+ passed, 4 failed/);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no colour when stdout is not a TTY');
});

function xmllint(file: string): { status: number | null; out: string } | undefined {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const xmllintSkip = (() => {
  if (spawnSync('xmllint', ['--version']).error === undefined) return false;
  const reason = 'xmllint is not installed (Debian: apt-get install libxml2-utils)';
  if (process.env.CI) throw new Error(reason);
  return reason;
})();

test('junit: valid against junit-10.xsd (xmllint), one suite per area, the four failures', { skip: xmllintSkip }, async () => {
  const r = await ci(['--format', 'junit']);
  assert.equal(r.code, 1, r.stderr);
  const file = join(dir, 'report.xml');
  writeFileSync(file, r.stdout);
  const lint = xmllint(file)!;
  assert.equal(lint.status, 0, lint.out);
  assert.match(lint.out, /validates/);
  const suites = [...r.stdout.matchAll(/<testsuite name="([^"]+)" tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/g)].map((m) => m.slice(1));
  assert.deepEqual(suites, [
    ['domains', '2', '1', '0', '0'],
    ['ips', '4', '1', '0', '0'],
    ['templates', '2', '1', '0', '0'],
    ['recipients', '2', '1', '0', '0'],
  ]);
  const failing = [...r.stdout.matchAll(/<testcase name="([^"]+)" classname="mailpace-cli\.ci\.(\w+)">\n\s+<failure type="(\w+)"/g)].map((m) => [m[2], m[1]]);
  assert.deepEqual(failing, EXPECTED_FAILURES.map(([a, n]) => [a, n.replace(/&/g, '&amp;')]));
  assert.match(r.stdout, /<failure type="BLOCKLIST_LISTED" message="BLOCKLIST_LISTED: 192\.0\.2\.20 is listed on bl\.ci\.test[^"]*">[^<]*fix: Find and stop the cause \(the list says: 192\.0\.2\.20 sent spam to our traps\)/);
  assert.match(r.stdout, /<property name="engine" value="builtin"\/>/);
  assert.match(r.stdout, /No Rspamd is configured/);
});

test('--junit-file writes the same XML beside another format', { skip: xmllintSkip }, async () => {
  const file = join(dir, 'side.xml');
  const r = await ci(['--json', '--junit-file', file]);
  assert.equal(r.code, 1, r.stderr);
  JSON.parse(r.stdout);
  assert.equal(xmllint(file)!.status, 0);
  assert.equal((readFileSync(file, 'utf8').match(/<failure /g) ?? []).length, 4);
});

test('github: an ::error per failing finding, escaped per the runner rules, and a job summary', async () => {
  const summary = join(dir, 'step-summary.md');
  writeFileSync(summary, '');
  const r = await ci(['--format', 'github'], { GITHUB_STEP_SUMMARY: summary });
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  const errors = lines.filter((l) => l.startsWith('::error '));
  // every ::error is one line with escaped properties
  for (const l of errors) assert.match(l, /^::error title=[^:,\r\n]+::[^\r\n]+$/, l);
  const titles = errors.map((l) => /^::error title=([^:]+)::/.exec(l)![1]!);
  assert.ok(titles.some((t) => t.startsWith('BLOCKLIST_LISTED · ips › 192.0.2.20')));
  assert.ok(titles.some((t) => t.startsWith('RCPT_REJECTED · recipients › rcpt-refused.ci.test')));
  assert.ok(titles.some((t) => t.startsWith('DMARC_MISSING · domains › bad.ci.test') || t.includes('· domains › bad.ci.test')));
  // "%" → %25 and "," → %2C in the title; "%" → %25 and LF → %0A (before "fix:") in the message
  const above = errors.find((l) => l.includes('SCORE_ABOVE_MAX'))!;
  assert.ok(above.startsWith('::error title=SCORE_ABOVE_MAX · templates › emails/50%25-off%2C promo&co.eml::'), above);
  assert.match(above, /::emails\/50%25-off, promo&co\.eml scores 5\.2 \(built-in lint\), above the maximum of 5\.%0Afix: /);
  // every failing case annotated, nothing from the passing ones
  const cases = new Set(errors.map((l) => /› ([^:]+)::/.exec(l)![1]));
  assert.deepEqual([...cases].sort(), ['192.0.2.20', 'bad.ci.test', 'emails/50%25-off%2C promo&co.eml', 'rcpt-refused.ci.test']);
  assert.match(lines.find((l) => l.startsWith('::notice'))!, /^::notice title=mailpace-cli ci%3A templates::No Rspamd is configured/);
  assert.match(lines.at(-1)!, /^mailpace-cli ci: \d+ passed, 4 failed, 0 could not be checked, 0 skipped \(exit 1\)$/);
  const md = readFileSync(summary, 'utf8');
  assert.match(md, /^## mailpace-cli ci: failed \(exit 1\)/);
  assert.match(md, /\| domains \| 1 \| 1 \| 0 \| 0 \|/);
  assert.match(md, /\| ips \| 3 \| 1 \| 0 \| 0 \|/);
  assert.match(md, /❌ \*\*templates › emails\/50%-off, promo&co\.eml\*\*\n {2}- `SCORE_ABOVE_MAX`/);
  assert.match(md, /❌ \*\*recipients › rcpt-refused\.ci\.test\*\*/);
});

test('a blocked port 25 is a warning and skipped probes, not a failure', async () => {
  const r = await runCli(
    ['ci', '--config', join(dir, 'mailpace.config.json'), '--only', 'recipients', '--dns', dns.address, '--timeout', '2s', '--helo', 'ci.example.net', '--probe-port', String(closedPort), '--json'],
    { timeoutMs: 60_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  const area = doc.areas[0];
  assert.equal(area.area, 'recipients');
  assert.equal(area.status, 'skipped');
  assert.deepEqual(area.cases.map((c: any) => c.status), ['skipped', 'skipped']);
  assert.match(area.cases[0].skipped, new RegExp(`outbound port ${closedPort} looks blocked`));
  assert.equal(area.notices[0].level, 'warning');
  assert.match(area.notices[0].message, /looks blocked here, as on most hosted CI runners/);
  // still a warning at --fail-on warning: the finding is about this runner, not the recipients
  const strict = await runCli(
    ['ci', '--config', join(dir, 'mailpace.config.json'), '--only', 'recipients', '--fail-on', 'warning', '--dns', dns.address, '--timeout', '2s', '--helo', 'ci.example.net', '--probe-port', String(closedPort), '--format', 'junit'],
    { timeoutMs: 60_000 },
  );
  assert.equal(strict.code, 0, strict.stderr);
  assert.equal((strict.stdout.match(/<skipped message="outbound port \d+ looks blocked/g) ?? []).length, 2);
});

test('--skip-network-probes: recipients skipped without a connection', async () => {
  const before = mx.connections;
  const r = await ci(['--only', 'recipients', '--skip-network-probes', '--format', 'github']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(mx.connections, before);
  assert.match(r.stdout, /^::warning title=recipients › rcpt-ok\.ci\.test%3A skipped::--skip-network-probes/m);
});

test('--only and the config failOn: domains alone; warnings fail with failOn warning', async () => {
  const r = await ci(['--only', 'domains', '--json']);
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.stdout).areas.map((a: any) => a.area), ['domains']);
  writeConfig('warn.config.json', { domains: ['good.ci.test'], templates: undefined, recipients: undefined, ips: undefined, zones: undefined, failOn: 'warning' });
  const w = await runCli(['ci', '--config', join(dir, 'warn.config.json'), '--dns', dns.address, '--timeout', '2s', '--only', 'templates', '--json']);
  assert.equal(w.code, 2);
  assert.match(w.stderr, /configures nothing for --only templates/);
});

test('an Rspamd that is configured but not reachable: the built-in lint, with a warning in the report', async () => {
  const path = writeConfig('rspamd.config.json', { rspamd: `http://127.0.0.1:${closedPort}`, domains: undefined, ips: undefined, recipients: undefined });
  const r = await runCli(['ci', '--config', path, '--json', '--timeout', '2s'], { timeoutMs: 30_000 });
  assert.equal(r.code, 1, r.stderr);
  const area = JSON.parse(r.stdout).areas[0];
  assert.equal(area.engine, 'builtin');
  assert.equal(area.notices[0].level, 'warning');
  assert.match(area.notices[0].message, new RegExp(`Rspamd at http://127\\.0\\.0\\.1:${closedPort} \\(config "rspamd"\\) could not be reached .*built-in lint instead`));
});

test('an area whose service fails mid-run is "could not be checked" (exit 3); the other areas still report', async () => {
  const rspamd = await new FakeRspamd({ mode: 'badjson' }).start();
  try {
    const path = writeConfig('broken-rspamd.config.json', { rspamd: rspamd.url, ips: undefined, zones: undefined, recipients: undefined });
    const r = await runCli(['ci', '--config', path, '--dns', dns.address, '--timeout', '2s', '--json'], { timeoutMs: 30_000 });
    assert.equal(r.code, 3, r.stderr);
    const doc = JSON.parse(r.stdout);
    const templates = doc.areas.find((a: any) => a.area === 'templates');
    assert.equal(templates.status, 'error');
    assert.deepEqual(templates.cases.map((c: any) => [c.status, c.findings.map((f: any) => f.code)]), [
      ['error', ['CI_UNREACHABLE_CHECK']],
      ['error', ['CI_UNREACHABLE_CHECK']],
    ]);
    assert.match(templates.cases[0].findings[0].message, /^The templates could not be checked: /);
    // check-domain ran regardless, with its own verdicts
    assert.deepEqual(doc.areas.find((a: any) => a.area === 'domains').cases.map((c: any) => c.status), ['passed', 'failed']);
  } finally {
    await rspamd.stop();
  }
});

const badConfigs: [string, string, RegExp][] = [
  ['unknown key', '{"domains":["a.test"],"recipents":["b.test"]}', /config .*bad\.json: unknown key "recipents" \(known: .*recipients/],
  ['bad JSON', '{"domains":["a.test"],}', /config .*bad\.json is not valid JSON/],
  ['wrong type', '{"templates":["emails/*.eml"],"maxScore":"5"}', /"maxScore" must be a number/],
  ['bad glob', '{"templates":["emails/[a-.eml"]}', /templates "emails\/\[a-\.eml" is not a valid glob: unclosed "\["/],
  ['unclosed brace', '{"templates":["emails/{a,b.eml"]}', /is not a valid glob: unclosed "\{"/],
  ['glob matching nothing', '{"templates":["mail/*.eml"]}', /templates "mail\/\*\.eml" matches no file/],
  ['bad zone', '{"ips":["192.0.2.1"],"zones":["not a zone"]}', /config .*bad\.json: zones: "not a zone"/],
  ['sending IPs and no IP list', '{"ips":["192.0.2.1"],"zones":["dbl.ci.test:domain"]}', /config .*bad\.json: zones: none of dbl\.ci\.test:domain is an IP blocklist, so the "ips" cannot be scanned/],
  ['bad recipient', '{"recipients":["exa mple.test"]}', /config .*bad\.json: recipients: "exa mple\.test" is not a domain name/],
  ['bad rspamd URL', '{"templates":["emails/*.eml"],"rspamd":"localhost:11333"}', /rspamd "localhost:11333" must be an http:\/\/ or https:\/\/ URL/],
  ['nothing to check', '{"failOn":"error"}', /configures nothing to check/],
];

for (const [what, text, message] of badConfigs) {
  test(`bad config (${what}): one line naming the problem, exit 2`, async () => {
    writeFileSync(join(dir, 'bad.json'), text);
    const r = await runCli(['ci', '--config', join(dir, 'bad.json'), '--dns', dns.address]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr.split('\n')[0]!, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });
}

test('bad usage: missing config, bad --only, bad --format, bad --junit-file: exit 2', async () => {
  const cases: [string[], RegExp][] = [
    [['ci', '--config', join(dir, 'nope.json')], /cannot read config .*nope\.json: ENOENT/],
    [['ci', '--only', 'dns'], /--only "dns" is not an area: use domains, ips, templates, recipients/],
    [['ci', '--format', 'xml'], /--format/],
    [['ci', '--junit-file', join(dir, 'missing-dir', 'x.xml')], /--junit-file .*: the directory .*missing-dir does not exist/],
  ];
  for (const [args, message] of cases) {
    const r = await runCli([...args.slice(0, 1), '--config', join(dir, 'mailpace.config.json'), ...args.slice(1)]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  const none = await runCli(['ci'], {});
  assert.equal(none.code, 2);
  assert.match(none.stderr, /no mailpace\.config\.json here/);
});

test('ci --help documents the config, formats and exit codes, and loads none of ink, react, mailauth, SQLite or undici', async () => {
  const trace = join(dir, 'modules.txt');
  const env = { TRACE_FILE: trace, NODE_OPTIONS: `--import ${join(process.cwd(), 'test/helpers/trace-imports.mjs')}` };
  const h = await runCli(['ci', '--help'], { env });
  assert.equal(h.code, 0, h.stderr);
  assert.match(h.stdout, /--format <format>[^]*junit[^]*github/);
  assert.match(h.stdout, /"recipients": \["gmail\.com", "outlook\.com"\]/);
  assert.match(h.stdout, /Exit codes: 0 clean; 1 a finding at or above --fail-on[^]*2 bad config or flags; 3 could not complete/);
  assert.doesNotMatch(h.stdout, /--probe-port/, 'the test-only flag stays out of the help');
  const loaded = readFileSync(trace, 'utf8');
  assert.match(loaded, /node_modules\/commander\//, 'tracing works');
  for (const heavy of ['node_modules/ink/', 'node_modules/react/', 'node_modules/mailauth/', 'node_modules/better-sqlite3/', 'node_modules/undici/']) {
    assert.ok(!loaded.includes(heavy), `${heavy} loaded by ci --help`);
  }
  // a run with the built-in lint and no Rspamd needs no SQLite, ink or react either
  rmSync(trace, { force: true });
  const r = await ci(['--only', 'templates', '--json'], env);
  assert.equal(r.code, 1, r.stderr);
  const run = readFileSync(trace, 'utf8');
  for (const heavy of ['node_modules/ink/', 'node_modules/react/', 'node_modules/better-sqlite3/']) assert.ok(!run.includes(heavy), `${heavy} loaded by ci`);
});
