/**
 * `mailpace-cli ci` against the real services of scripts/services.sh: the IPs scanned on Debian's
 * rbldnsd (the default lists; the fixture resolver forwards their zones to it, as a recursive resolver
 * would), the templates scored by Rspamd, the recipients probed at Postfix + postgrey. One clean and one
 * failing element per area; every format must report exactly the four failures.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { ciZone } from '../helpers/ci-fixture.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../helpers/keys.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';

const skip = serviceSkip('rbldnsd') || serviceSkip('rspamd') || serviceSkip('postfix');
const rbl = serviceEnv('rbldnsd');
const rspamd = serviceEnv('rspamd');
const postfix = serviceEnv('postfix');

let dns: DnsFixtureServer;
let dir: string;

before(async () => {
  if (skip) return;
  dns = await startDnsServer(
    {
      ...ciZone(rsaPublicKeyB64(2048)),
      // the sending IPs are rbldnsd's RFC 5782 test points: 127.0.0.2 listed everywhere, 127.0.0.1 nowhere
      'good.ci.test': { TXT: ['v=spf1 ip4:127.0.0.0/8 -all'], MX: [{ priority: 10, exchange: 'mx.good.ci.test' }] },
      '1.0.0.127.in-addr.arpa': { PTR: [postfix!.POSTFIX_MX_NAME!] },
      '2.0.0.127.in-addr.arpa': { PTR: ['mail2.good.ci.test'] },
      'mail2.good.ci.test': { A: ['127.0.0.2'] },
      // recipients: Postfix's own domain, and one it does not relay for (554 Relay access denied)
      [postfix!.POSTFIX_MX_NAME!]: { A: ['127.0.0.1'] },
      [postfix!.POSTFIX_DOMAIN!]: { MX: [{ priority: 10, exchange: postfix!.POSTFIX_MX_NAME! }] },
      'elsewhere.ci.test': { MX: [{ priority: 10, exchange: postfix!.POSTFIX_MX_NAME! }] },
    },
    { forward: { zones: rbl!.RBLDNSD_ZONES!.split(','), to: { host: rbl!.RBLDNSD_HOST!, port: Number(rbl!.RBLDNSD_PORT) } } },
  );
  dir = mkdtempSync(join(tmpdir(), 'mailpace-ci-e2e-'));
  mkdirSync(join(dir, 'emails'));
  copyFileSync('test/fixtures/messages/good.eml', join(dir, 'emails', 'welcome.eml'));
  copyFileSync('test/fixtures/messages/html-only.eml', join(dir, 'emails', 'promo.eml'));
  writeFileSync(
    join(dir, 'mailpace.config.json'),
    JSON.stringify({
      domains: ['good.ci.test', 'bad.ci.test'],
      selectors: ['s1'],
      ips: ['127.0.0.1', '127.0.0.2'],
      templates: ['emails/*.eml'],
      maxScore: 5,
      rspamd: rspamd!.RSPAMD_URL,
      recipients: [postfix!.POSTFIX_DOMAIN, 'elsewhere.ci.test'],
    }),
  );
});
after(async () => {
  if (skip) return;
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ci = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCli(
    ['ci', '--config', join(dir, 'mailpace.config.json'), '--dns', dns.address, '--timeout', '3s', '--helo', 'ci.example.net', '--probe-port', postfix!.POSTFIX_PORT!, '--ca-file', postfix!.POSTFIX_CA_FILE!, ...args],
    { env: { MAILPACE_RSPAMD_URL: undefined, GITHUB_STEP_SUMMARY: undefined, ...env }, timeoutMs: 120_000 },
  );

const FAILURES = () => [
  ['domains', 'bad.ci.test'],
  ['ips', '127.0.0.2'],
  ['templates', 'emails/promo.eml'],
  ['recipients', 'elsewhere.ci.test'],
];

test('JSON: rbldnsd listings, Rspamd scores, Postfix refusals — exactly one failure per area', { skip }, async () => {
  const r = await ci(['--json']);
  assert.equal(r.code, 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  const failed = doc.areas.flatMap((a: any) => a.cases.filter((c: any) => c.status !== 'passed').map((c: any) => [a.area, c.name]));
  assert.deepEqual(failed, FAILURES());
  const area = (name: string) => doc.areas.find((a: any) => a.area === name);
  const listed = area('ips').cases.find((c: any) => c.name === '127.0.0.2');
  // listed on every default IP list rbldnsd serves, each a BLOCKLIST_LISTED with the list's reason
  assert.ok(listed.details.listedOn.includes('zen.spamhaus.org'), JSON.stringify(listed.details));
  assert.ok(listed.findings.every((f: any) => f.code === 'BLOCKLIST_LISTED'));
  assert.equal(area('templates').engine, 'rspamd');
  assert.deepEqual(area('templates').notices, []);
  const promo = area('templates').cases.find((c: any) => c.name === 'emails/promo.eml');
  assert.equal(promo.details.engine, 'rspamd');
  assert.ok(promo.details.score > 5);
  assert.deepEqual(promo.findings.filter((f: any) => f.severity === 'error').map((f: any) => f.code), ['SCORE_ABOVE_MAX']);
  const refused = area('recipients').cases.find((c: any) => c.name === 'elsewhere.ci.test');
  assert.deepEqual(refused.findings.filter((f: any) => f.severity === 'error').map((f: any) => f.code), ['RCPT_REJECTED']);
  assert.match(refused.findings.find((f: any) => f.code === 'RCPT_REJECTED').message, /Relay access denied/);
});

test('JUnit (schema-valid) and GitHub formats report the same four failures', { skip }, async () => {
  const junit = await ci(['--format', 'junit']);
  assert.equal(junit.code, 1, junit.stderr);
  const file = join(dir, 'report.xml');
  writeFileSync(file, junit.stdout);
  const lint = spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit/junit-10.xsd', file], { encoding: 'utf8' });
  assert.equal(lint.status, 0, lint.stderr);
  const failing = [...junit.stdout.matchAll(/<testcase name="([^"]+)" classname="mailpace-cli\.ci\.(\w+)">\n\s+<failure /g)].map((m) => [m[2], m[1]]);
  assert.deepEqual(failing, FAILURES());
  assert.doesNotMatch(junit.stdout, /<error |<skipped /);

  const summary = join(dir, 'summary.md');
  writeFileSync(summary, '');
  const gh = await ci(['--format', 'github'], { GITHUB_STEP_SUMMARY: summary });
  assert.equal(gh.code, 1, gh.stderr);
  const annotated = new Set(gh.stdout.split('\n').filter((l) => l.startsWith('::error ')).map((l) => /· (\w+) › ([^:]+)::/.exec(l)!.slice(1).join(' ')));
  assert.deepEqual([...annotated], FAILURES().map((x) => x.join(' ')));
  assert.match(readFileSync(summary, 'utf8'), /\| recipients \| 1 \| 1 \| 0 \| 0 \|/);
});
