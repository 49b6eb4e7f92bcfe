import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/cli.js';
import { FINDING_CODES } from '../../src/core/finding-codes.js';

test('codes --json lists every finding code with severity and description', async () => {
  const r = await runCli(['codes', '--json']);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.command, 'codes');
  assert.equal(doc.codes.length, Object.keys(FINDING_CODES).length);
  for (const c of ['DOMAIN_NOT_FOUND', 'SPF_TOO_MANY_LOOKUPS', 'DMARC_MISSING', 'MTA_STS_MX_MISMATCH', 'PTR_MISSING', 'BULK_REQUIREMENT_FAILED']) {
    assert.ok(doc.codes.some((x: any) => x.code === c), c);
  }
});

test('codes domain_ lists DOMAIN_NOT_FOUND with its severity and source', async () => {
  const r = await runCli(['codes', 'domain_']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^DOMAIN_NOT_FOUND {2}error {4}The domain does not exist in DNS.*RFC 8020/m);
});

test('codes <prefix> filters', async () => {
  const r = await runCli(['codes', 'dmarc_']);
  assert.equal(r.code, 0);
  const lines = r.stdout.trim().split('\n');
  assert.ok(lines.length >= 8);
  assert.ok(lines.every((l) => l.startsWith('DMARC_')));
});

test('a reader that closes early (| head) ends the CLI quietly', async () => {
  const { spawn } = await import('node:child_process');
  const { BIN } = await import('../helpers/cli.js');
  const child = spawn(process.execPath, [BIN, 'codes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise((res) => child.on('close', res));
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
  assert.equal(code, 0);
});
