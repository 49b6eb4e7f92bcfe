/**
 * action.yml without a GitHub runner: it parses as YAML, is a composite action with the documented
 * inputs (each one in README's table), and its `run:` steps work when run the way the runner runs them
 * (bash -e -o pipefail, inputs through `${{ inputs.* }}`, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files)
 * against the built CLI and a fixture DNS server on loopback. `npm install` is replaced by a stand-in
 * that records its arguments: the test must not reach the registry.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { BIN } from '../helpers/cli.js';
import { ciZone } from '../helpers/ci-fixture.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../helpers/keys.js';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
}

const action = parse(readFileSync('action.yml', 'utf8')) as {
  name: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
};

let dns: DnsFixtureServer;
let dir: string;

before(async () => {
  dns = await startDnsServer(ciZone(rsaPublicKeyB64(2048)));
  dir = mkdtempSync(join(tmpdir(), 'mailpace-action-'));
  mkdirSync(join(dir, 'bin'));
  mkdirSync(join(dir, 'emails'));
  copyFileSync('test/fixtures/messages/good.eml', join(dir, 'emails', 'welcome.eml'));
  // stand-ins on PATH: the CLI under test, and an npm that only records what it was asked to install
  writeFileSync(join(dir, 'bin', 'mailpace-cli'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  writeFileSync(join(dir, 'bin', 'npm'), `#!/bin/sh\necho "$@" >> "${join(dir, 'npm-args')}"\n`);
  chmodSync(join(dir, 'bin', 'mailpace-cli'), 0o755);
  chmodSync(join(dir, 'bin', 'npm'), 0o755);
});
after(async () => {
  await dns.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('action.yml is a composite action with inputs config, fail-on and version', () => {
  assert.equal(action.runs.using, 'composite');
  assert.deepEqual(Object.keys(action.inputs).sort(), ['config', 'fail-on', 'version']);
  assert.equal(action.inputs.config!.default, 'mailpace.config.json');
  assert.equal(action.inputs['fail-on']!.default, 'error');
  assert.equal(action.inputs.version!.default, 'latest');
  for (const [name, input] of Object.entries(action.inputs)) assert.ok(input.description.length > 10, name);
  // every run step names its shell, as composite actions require
  for (const s of action.runs.steps.filter((x) => x.run)) assert.equal(s.shell, 'bash', s.name);
  assert.ok(action.runs.steps.some((s) => s.run?.includes('mailpace-cli ci ')));
});

test('README documents every input and output of the action', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('### GitHub Action'));
  assert.ok(section.length > 0 && readme.includes('### GitHub Action'), 'README has a "GitHub Action" section');
  for (const name of [...Object.keys(action.inputs), ...Object.keys(action.outputs ?? {})]) {
    assert.match(section, new RegExp(`^\\| \`${name}\` \\|`, 'm'), `README table row for ${name}`);
  }
  assert.match(section, /uses: \S+\/mailpace-cli@v1/);
});

/** One step's script, as the runner runs `shell: bash` (asynchronously: the fixture DNS server answers from this process). */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd: dir, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the action's run steps in order as the runner would; returns the last step's result. */
async function runSteps(inputs: Record<string, string>, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let last: { code: number | null; stdout: string; stderr: string } = { code: 0, stdout: '', stderr: '' };
  for (const step of action.runs.steps) {
    if (!step.run) continue;
    const expand = (v: string) =>
      v.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_m, name: string) => {
        assert.ok(name in action.inputs, `step "${step.name}" uses an undeclared input ${name}`);
        return inputs[name] ?? action.inputs[name]!.default ?? '';
      });
    assert.doesNotMatch(step.run, /\$\{\{/, `step "${step.name}" pastes an expression into its script`);
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(String(v))]));
    last = await bash(step.run, { ...process.env, NO_COLOR: '1', PATH: `${join(dir, 'bin')}:${process.env.PATH}`, ...env, ...stepEnv });
    if (last.code !== 0) break;
  }
  return last;
}

function ghFiles() {
  const files = { GITHUB_OUTPUT: join(dir, 'gh-output'), GITHUB_STEP_SUMMARY: join(dir, 'gh-summary.md'), RUNNER_TEMP: join(dir, 'runner-temp') };
  mkdirSync(files.RUNNER_TEMP, { recursive: true });
  writeFileSync(files.GITHUB_OUTPUT, '');
  writeFileSync(files.GITHUB_STEP_SUMMARY, '');
  return files;
}

test("the run steps install the requested version and run ci: annotations, summary, JUnit file, exit 1 on a failure", async () => {
  writeFileSync(
    join(dir, 'deliverability.json'),
    JSON.stringify({ domains: ['good.ci.test', 'bad.ci.test'], selectors: ['s1'], zones: ['dbl.ci.test:domain'], templates: ['emails/*.eml'], dns: [dns.address] }),
  );
  const gh = ghFiles();
  const r = await runSteps({ config: 'deliverability.json', version: '0.1.0' }, gh);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(readFileSync(join(dir, 'npm-args'), 'utf8').trim(), 'install --global --no-audit --no-fund mailpace-cli@0.1.0');
  assert.match(r.stdout, /^::error title=DMARC_MISSING · domains › bad\.ci\.test::/m);
  assert.match(r.stdout, /^mailpace-cli ci: 4 passed, 1 failed, 0 could not be checked, 0 skipped \(exit 1\)$/m);
  const junit = join(gh.RUNNER_TEMP, 'mailpace-ci.xml');
  assert.equal(readFileSync(gh.GITHUB_OUTPUT, 'utf8'), `junit-file=${junit}\n`);
  assert.match(readFileSync(junit, 'utf8'), /<testsuite name="domains" tests="2" failures="1"/);
  assert.match(readFileSync(gh.GITHUB_STEP_SUMMARY, 'utf8'), /^## mailpace-cli ci: failed \(exit 1\)/);
});

test('fail-on passes through; a clean config exits 0', async () => {
  writeFileSync(join(dir, 'clean.json'), JSON.stringify({ domains: ['good.ci.test'], selectors: ['s1'], zones: ['dbl.ci.test:domain'], dns: [dns.address] }));
  const clean = await runSteps({ config: 'clean.json' }, ghFiles());
  assert.equal(clean.code, 0, clean.stderr + clean.stdout);
  const strict = await runSteps({ config: 'clean.json', 'fail-on': 'info' }, ghFiles());
  // good.ci.test has informational findings (no MTA-STS, no BIMI …): they fail at --fail-on info
  assert.equal(strict.code, 1, strict.stderr);
  const bad = await runSteps({ config: 'clean.json', 'fail-on': 'fatal' }, ghFiles());
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fail-on/);
});
