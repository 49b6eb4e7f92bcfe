/**
 * The CI report formats on hand-made suites: GitHub's escaping rules, JUnit XML that stays valid (and
 * schema-valid, with xmllint) whatever the names and messages hold, and the case verdicts behind both.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckSuite } from '../../../src/core/check-suite.js';
import { caseStatus, exitCodeForCases } from '../../../src/core/policy.js';
import type { Finding } from '../../../src/core/types.js';
import { escapeData, escapeProperty, mdText, renderGithubCommands, renderGithubSummary, workflowCommand } from '../../../src/render/github.js';
import { renderJunit, xmlAttr, xmlText } from '../../../src/render/junit.js';

const XSD = join(process.cwd(), 'test', 'fixtures', 'junit', 'junit-10.xsd');

const f = (code: Finding['code'], severity: Finding['severity'], message: string, fix?: string): Finding => ({ code, severity, check: 'test', message, ...(fix ? { fix } : {}) });

test('GitHub escaping: % first, CR and LF in data; also : and , in properties', () => {
  assert.equal(escapeData('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext: a, b');
  assert.equal(escapeProperty('100% done\r\nnext: a, b'), '100%25 done%0D%0Anext%3A a%2C b');
  // an already-escaped-looking sequence is escaped again, so the runner restores it as typed
  assert.equal(escapeData('%0A'), '%250A');
  assert.equal(workflowCommand('error', 'A: b, c', 'line 1\nline 2 :: x'), '::error title=A%3A b%2C c::line 1%0Aline 2 :: x');
});

test('Markdown summary text cannot open HTML, tables or code', () => {
  assert.equal(mdText('<script>|`x`|_y_\nz'), '&lt;script&gt;\\|\\`x\\`\\|\\_y\\_ z');
});

test('XML escaping: markup, quotes, line breaks in attributes, and characters XML 1.0 forbids', () => {
  assert.equal(xmlText('a < b && c > d'), 'a &lt; b &amp;&amp; c &gt; d');
  assert.equal(xmlAttr('say "hi"\nnow\ttab'), 'say &quot;hi&quot;&#10;now&#9;tab');
  assert.equal(xmlText('nul\u0000 bell\u0007 esc\u001b ok\u00e9 \ud83d\udce7'), 'nul\ufffd bell\ufffd esc\ufffd ok\u00e9 \ud83d\udce7');
  assert.equal(xmlText('lone \ud800 surrogate'), 'lone \ufffd surrogate');
});

const suites: CheckSuite[] = [
  {
    name: 'domains',
    notices: [{ level: 'info', message: 'a note with <markup> & "quotes"' }],
    durationMs: 1234,
    properties: { engine: 'builtin' },
    cases: [
      { name: 'ok.test', findings: [f('MTA_STS_MISSING', 'info', 'no policy')] },
      { name: 'bad "&" <test>\u0001', findings: [f('DMARC_MISSING', 'error', 'no DMARC\nat all', 'publish one: "v=DMARC1"'), f('SPF_MISSING', 'error', 'no SPF')] },
      { name: 'slow.test', findings: [f('DNS_TIMEOUT', 'error', 'MX could not be checked')] },
      { name: 'both.test', findings: [f('SPF_MISSING', 'error', 'no SPF'), f('DNS_SERVFAIL', 'error', 'DMARC could not be checked')] },
      { name: 'skipped.test', findings: [], skipped: 'port 25 blocked, here: "really"' },
      { name: 'warn.test', findings: [f('DMARC_POLICY_NONE', 'warning', 'p=none, 100%, a,b:c')] },
    ],
  },
];

test('case verdicts: failed beats could-not-check; skipped counts for nothing in the exit code', () => {
  const st = suites[0]!.cases.map((c) => caseStatus(c, 'error'));
  assert.deepEqual(st, ['passed', 'failed', 'error', 'failed', 'skipped', 'passed']);
  assert.equal(caseStatus(suites[0]!.cases[5]!, 'warning'), 'failed');
  assert.equal(exitCodeForCases(suites[0]!.cases, 'error'), 3);
  assert.equal(exitCodeForCases([suites[0]!.cases[1]!, suites[0]!.cases[4]!], 'error'), 1);
  assert.equal(exitCodeForCases([suites[0]!.cases[0]!, suites[0]!.cases[4]!], 'error'), 0);
  assert.equal(exitCodeForCases([{ name: 'x', findings: [], incomplete: true }], 'error'), 3);
});

test('JUnit: counts, one <failure> and one <error> per case, <skipped>, and schema-valid with hostile names', (t) => {
  const xml = renderJunit(suites, { name: 'mailpace-cli ci', failOn: 'error', timestamp: new Date('2026-01-02T03:04:05.678Z') });
  assert.match(xml, /<testsuites name="mailpace-cli ci" tests="6" failures="2" errors="2" time="1\.234">/);
  assert.match(xml, /<testsuite name="domains" tests="6" failures="2" errors="2" skipped="1" time="1\.234" timestamp="2026-01-02T03:04:05">/);
  assert.match(xml, /<testcase name="bad &quot;&amp;&quot; &lt;test&gt;\ufffd" classname="mailpace-cli\.ci\.domains">/);
  assert.match(xml, /<failure type="DMARC_MISSING" message="DMARC_MISSING: no DMARC&#10;at all \(and 1 more\)">DMARC_MISSING \[error, test\] no DMARC\nat all\n {2}fix: publish one: "v=DMARC1"\nSPF_MISSING/);
  assert.match(xml, /<error type="DNS_TIMEOUT" message="DNS_TIMEOUT: MX could not be checked">/);
  assert.match(xml, /<skipped message="port 25 blocked, here: &quot;really&quot;"\/>/);
  assert.equal((xml.match(/<failure /g) ?? []).length, 2);
  assert.equal((xml.match(/<error /g) ?? []).length, 2);
  const lint = spawnSync('xmllint', ['--version']);
  if (lint.error) {
    if (process.env.CI) throw new Error('xmllint is not installed (Debian: apt-get install libxml2-utils)');
    t.diagnostic('xmllint not installed: schema validation not run (Debian: apt-get install libxml2-utils)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-junit-'));
  try {
    writeFileSync(join(dir, 'r.xml'), xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', XSD, join(dir, 'r.xml')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GitHub: errors at or above --fail-on and could-not-check, warnings below, info left out; summary table', () => {
  const out = renderGithubCommands(suites, 'error', 'mailpace-cli ci');
  const lines = out.trimEnd().split('\n');
  assert.deepEqual(
    lines.map((l) => l.slice(0, l.indexOf(' '))),
    ['::notice', '::error', '::error', '::error', '::error', '::error', '::warning', '::warning'],
  );
  assert.equal(lines[1], '::error title=DMARC_MISSING · domains › bad "&" <test>\u0001::no DMARC%0Aat all%0Afix: publish one: "v=DMARC1"');
  assert.equal(lines[6], '::warning title=domains › skipped.test%3A skipped::port 25 blocked, here: "really"');
  assert.equal(lines[7], '::warning title=DMARC_POLICY_NONE · domains › warn.test::p=none, 100%25, a,b:c');
  assert.ok(!out.includes('MTA_STS_MISSING'));
  const md = renderGithubSummary(suites, { title: 'mailpace-cli ci', failOn: 'error', exitCode: 3 });
  assert.match(md, /^## mailpace-cli ci: could not complete \(exit 3\)/);
  assert.match(md, /\| domains \| 2 \| 2 \| 1 \| 1 \|/);
  assert.match(md, /- ⚠️ \*\*domains › slow\.test\*\*\n {2}- `DNS_TIMEOUT` MX could not be checked/);
});
