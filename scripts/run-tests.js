#!/usr/bin/env node
// Runs the test layers given as arguments (unit, integration, cli, e2e) with Node's test runner,
// TypeScript through tsx, and the network guard preloaded.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const layers = process.argv.slice(2);
if (layers.length === 0) layers.push('unit', 'integration', 'cli');
const files = [];
const walk = (dir) => {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries.sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.test\.tsx?$/.test(e)) files.push(p);
  }
};
for (const l of layers) walk(join('test', l));
if (files.length === 0) {
  console.error(`no test files under ${layers.map((l) => `test/${l}`).join(', ')}`);
  process.exit(layers.includes('e2e') && layers.length === 1 ? 0 : 1);
}
// e2e files drive real services and testssl.sh (tens of seconds per run): a longer per-file budget.
const timeout = layers.includes('e2e') ? 900_000 : 120_000;
const args = ['--import', 'tsx', '--import', './test/helpers/net-guard.ts', '--test', `--test-timeout=${timeout}`];
if (process.env.TEST_REPORTER) args.push(`--test-reporter=${process.env.TEST_REPORTER}`);
const r = spawnSync(process.execPath, [...args, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
