/** The config file's template globs: shell meaning, on a real directory tree. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandBraces, globFiles, GlobError } from '../../../src/cli/glob.js';

let root: string;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'mailpace-glob-'));
  for (const f of ['emails/a.eml', 'emails/b.eml', 'emails/c.txt', 'emails/.hidden.eml', 'emails/sub/d.eml', 'emails/sub/deep/e.eml', 'emails/.git/f.eml', 'other/g.eml', 'x[1].eml']) {
    mkdirSync(join(root, f, '..'), { recursive: true });
    writeFileSync(join(root, f), 'From: a@example.com\r\n\r\nhi\r\n');
  }
  // a symlink loop must not hang "**"
  symlinkSync(join(root, 'emails'), join(root, 'emails', 'sub', 'loop'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const g = (p: string) => globFiles(p, root);

test('* and ? stay within a directory; dot files only for a dot pattern', () => {
  assert.deepEqual(g('emails/*.eml'), ['emails/a.eml', 'emails/b.eml']);
  assert.deepEqual(g('emails/?.txt'), ['emails/c.txt']);
  assert.deepEqual(g('emails/.*.eml'), ['emails/.hidden.eml']);
  assert.deepEqual(g('*/*.eml'), ['emails/a.eml', 'emails/b.eml', 'other/g.eml']);
});

test('** is any number of directories (not through dot directories); symlink loops end', () => {
  const all = g('emails/**/*.eml');
  assert.ok(all.includes('emails/a.eml') && all.includes('emails/sub/d.eml') && all.includes('emails/sub/deep/e.eml'));
  assert.ok(!all.some((f) => f.includes('.git') || f.includes('.hidden')));
  assert.deepEqual(g('**/e.eml').filter((f) => !f.includes('loop')), ['emails/sub/deep/e.eml']);
});

test('classes, braces, escapes, literal paths and absolute patterns', () => {
  assert.deepEqual(g('emails/[ab].eml'), ['emails/a.eml', 'emails/b.eml']);
  assert.deepEqual(g('emails/[!a].eml'), ['emails/b.eml']);
  assert.deepEqual(g('emails/*.{eml,txt}'), ['emails/a.eml', 'emails/b.eml', 'emails/c.txt']);
  assert.deepEqual(g('x\\[1\\].eml'), ['x[1].eml']);
  assert.deepEqual(g('emails/a.eml'), ['emails/a.eml']);
  assert.deepEqual(g('emails/missing.eml'), []);
  assert.deepEqual(globFiles(join(root, 'other', '*.eml'), '/nowhere'), [join(root, 'other', 'g.eml')]);
  // directories are never returned
  assert.deepEqual(g('emails/su*'), []);
  assert.deepEqual(expandBraces('a{b,c{d,e}}f'), ['abf', 'acdf', 'acef']);
});

test('malformed patterns are GlobErrors with the reason', () => {
  for (const [p, why] of [
    ['emails/[a.eml', /unclosed "\["/],
    ['emails/{a,b.eml', /unclosed "\{"/],
    ['emails/a}.eml', /"\}" without "\{"/],
    ['emails/[].eml', /unclosed "\["|empty/],
    ['emails/[z-a].eml', /bad character range/],
    ['emails/a\\', /trailing "\\"/],
    ['  ', /empty/],
  ] as const) {
    assert.throws(() => g(p), (e: unknown) => e instanceof GlobError && why.test(e.message), p);
  }
});
