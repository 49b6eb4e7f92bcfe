import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageSources } from '../../../src/core/bounce/sources.js';

async function all(inputs: string[]): Promise<{ file: string; size: number; error?: string }[]> {
  const out: { file: string; size: number; error?: string }[] = [];
  for await (const s of messageSources(inputs, { readStdin: async () => Buffer.alloc(0) })) out.push({ file: s.file, size: s.raw.length, ...(s.error ? { error: s.error } : {}) });
  return out;
}

test('messageSources: files smaller and larger than one read come out whole; an mbox larger than one read is split', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-sources-'));
  try {
    const small = 'From: a@example.com\nSubject: small\n\nhello\n';
    const big = `From: a@example.com\nSubject: big\n\n${'x'.repeat(70).concat('\n').repeat(3000)}END\n`;
    const exact = `Subject: exact\n\n${'y'.repeat(64 * 1024 - 'Subject: exact\n\n'.length)}`;
    writeFileSync(join(dir, 'a-small.eml'), small);
    writeFileSync(join(dir, 'b-big.eml'), big);
    writeFileSync(join(dir, 'c-exact.eml'), exact);
    writeFileSync(join(dir, 'd-empty.eml'), '');
    const msg = (i: number) => `From: a@example.com\nSubject: ${i}\n\n${'z'.repeat(60).concat('\n').repeat(200)}>From the quoted line\n`;
    writeFileSync(join(dir, 'e.mbox'), [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `From sender@example.com Thu Jan  1 00:00:00 2026\n${msg(i)}\n`).join(''));
    const got = await all([dir]);
    assert.deepEqual(
      got.map((g) => [g.file.slice(dir.length + 1), g.size]),
      [
        ['a-small.eml', small.length],
        ['b-big.eml', big.length],
        ['c-exact.eml', 64 * 1024],
        ['d-empty.eml', 0],
        ...[1, 2, 3, 4, 5, 6, 7, 8].map((i) => [`e.mbox#${i}`, msg(i).length - 1]),
      ],
    );
    assert.ok(got.every((g) => g.error === undefined));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
