/**
 * better-sqlite3 without a usable native binding (its install script skipped by npm ≥ 11, a build
 * that failed, a binary for another Node.js or platform): one line saying what to run, exit 3, no
 * stack trace. In process through better-sqlite3's `nativeBinding` option, then the built CLI from
 * a copy of the installed package whose binding really is missing.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailpaceError, UsageError } from '../../../src/core/errors.js';
import { bindingContext, bindingHint, classifyBindingError, nativeBindingError, SqliteStore } from '../../../src/core/store/sqlite-store.js';
import { CliContext } from '../../../src/cli/context.js';

const dir = mkdtempSync(join(tmpdir(), 'mailpace-binding-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function openError(nativeBinding: string): MailpaceError {
  try {
    new SqliteStore(join(dir, 'store.sqlite'), { nativeBinding });
  } catch (e) {
    assert.ok(e instanceof MailpaceError, `not a MailpaceError: ${(e as Error)?.stack}`);
    return e;
  }
  assert.fail('the store opened without a native binding');
}

function assertOneLine(e: MailpaceError) {
  assert.equal(e.code, 'STORE_NATIVE_BINDING');
  assert.ok(!(e instanceof UsageError), 'exit 3 (could not complete), not 2 (bad input)');
  assert.equal(e.temporary, false);
  assert.ok(!e.message.includes('\n'), `message is one line: ${e.message}`);
  assert.ok(e.hint && !e.hint.includes('\n'), `hint is one line: ${e.hint}`);
}

test('a binding that is not there: STORE_NATIVE_BINDING, one line, and a hint that says what to run', () => {
  const e = openError(join(dir, 'nowhere', 'better_sqlite3.node'));
  assertOneLine(e);
  assert.equal(e.message, "cannot open the store: better-sqlite3's native binding is missing (its install script was skipped or failed)");
  assert.match(e.hint!, /`npm (rebuild better-sqlite3|install-scripts approve better-sqlite3 && npm rebuild better-sqlite3)` in \//);
  assert.equal((e.cause as NodeJS.ErrnoException).code, 'MODULE_NOT_FOUND', 'the original error is kept as the cause (--verbose shows it)');
});

test('a binding that will not load (not a shared object, wrong platform): ERR_DLOPEN_FAILED turned into one line', () => {
  const bogus = join(dir, 'better_sqlite3.node');
  writeFileSync(bogus, 'this is not a shared object\n'.repeat(100));
  const e = openError(bogus);
  assertOneLine(e);
  assert.match(e.message, /^cannot open the store: better-sqlite3's native binding does not load on this machine \(.*better_sqlite3\.node/);
  assert.equal((e.cause as NodeJS.ErrnoException).code, 'ERR_DLOPEN_FAILED');
});

test('the three shapes of the error as Node and `bindings` throw them', () => {
  const bindings = new Error(
    'Could not locate the bindings file. Tried:\n → /x/node_modules/better-sqlite3/build/better_sqlite3.node\n → /x/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
  );
  assert.deepEqual(classifyBindingError(bindings), { kind: 'missing', detail: 'Could not locate the bindings file. Tried:' });

  const abi = Object.assign(
    new Error(
      "The module '/x/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 115. This version of Node.js requires\nNODE_MODULE_VERSION 127. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).",
    ),
    { code: 'ERR_DLOPEN_FAILED' },
  );
  const c = classifyBindingError(abi);
  assert.equal(c?.kind, 'abi');
  assert.match(c!.detail, /^built for NODE_MODULE_VERSION 115, Node\.js v\d+\.\d+\.\d+ needs 127$/);
  const e = nativeBindingError(abi, { installRoot: '/home/me/mailpace-cli', approved: true, missingTools: [] })!;
  assert.match(e.message, /was built for another Node\.js version \(built for NODE_MODULE_VERSION 115/);
  assert.ok(!e.message.includes('\n'));

  const glibc = Object.assign(new Error("/lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found (required by /x/better_sqlite3.node)"), { code: 'ERR_DLOPEN_FAILED' });
  assert.equal(classifyBindingError(glibc)?.kind, 'load');

  assert.equal(classifyBindingError(new Error('SQLITE_CANTOPEN: unable to open database file')), undefined, 'other errors are not binding errors');
  assert.equal(nativeBindingError(Object.assign(new Error("Cannot find module 'left-pad'"), { code: 'MODULE_NOT_FOUND' })), undefined);
});

test('the hint fits the installation: a checkout or project, one not yet approved, a global install, npx; missing build tools named', () => {
  const project = bindingHint({ installRoot: '/home/me/mailpace-cli', approved: true, missingTools: [] });
  assert.equal(project, 'run `npm rebuild better-sqlite3` in /home/me/mailpace-cli');
  const unapproved = bindingHint({ installRoot: '/home/me/app', approved: false, missingTools: [] });
  assert.equal(unapproved, 'run `npm install-scripts approve better-sqlite3 && npm rebuild better-sqlite3` in /home/me/app (npm 10: `npm rebuild better-sqlite3`)');
  const global = bindingHint({ installRoot: '/usr/lib/node_modules/mailpace-cli', approved: true, missingTools: [] });
  assert.match(global, /^reinstall with its install script allowed: `npm install -g --allow-scripts=better-sqlite3 mailpace-cli`/);
  assert.match(bindingHint({ missingTools: [], approved: false }), /npm install -g --allow-scripts=better-sqlite3 mailpace-cli/);
  assert.match(bindingHint({ installRoot: '/home/me/.npm/_npx/0123abcd', approved: false, missingTools: [] }), /npx --allow-scripts=better-sqlite3 mailpace-cli/);
  const noCompiler = bindingHint({ installRoot: '/home/me/mailpace-cli', approved: true, missingTools: ['make', 'a C++ compiler'] });
  assert.match(noCompiler, /; without a prebuilt binary for this platform it compiles, which needs python3, make and a C\+\+ compiler \(missing here: make, a C\+\+ compiler\)$/);
});

test('build tools are looked up on PATH; the install root and its allowScripts approval are found', () => {
  const none = bindingContext({ PATH: join(dir, 'empty-bin') }, 'linux');
  assert.deepEqual(none.missingTools, ['python3', 'make', 'a C++ compiler']);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const tool of ['python3', 'make', 'g++']) {
    writeFileSync(join(bin, tool), '#!/bin/sh\n');
    chmodSync(join(bin, tool), 0o755);
  }
  assert.deepEqual(bindingContext({ PATH: bin }, 'linux').missingTools, []);
  assert.deepEqual(bindingContext({ PATH: '' }, 'win32').missingTools, [], 'no PATH guessing on Windows');
  const here = bindingContext({ PATH: bin }, 'linux');
  assert.equal(here.installRoot, process.cwd());
});

test('the CLI context opens the store through SqliteStore: an ordinary unwritable path keeps its own error', async () => {
  writeFileSync(join(dir, 'file'), '');
  const ctx = new CliContext({ store: join(dir, 'file', 'sub', 'store.sqlite') }, { stdout: process.stdout, stderr: process.stderr, env: {} });
  await assert.rejects(ctx.store(), (e: MailpaceError) => e.code === 'STORE_OPEN_FAILED' && /--store or MAILPACE_STORE/.test(e.hint ?? ''));
});

// ---- the built CLI, from a copy of the installed package whose better-sqlite3 has no usable binding

const REPO = process.cwd();
/** Stands in for a command that keeps state (no shipped command opens the store yet). */
const STORE_COMMAND = `export async function run(ctx) {
  const store = await ctx.store();
  ctx.out('store opened');
  await store.close?.();
  return 0;
}
`;

/**
 * bin/, dist/ and package.json copied to `at`, every dependency linked from this checkout except
 * better-sqlite3: its JavaScript without a build (install script skipped), with a broken binary,
 * or not there at all. The `codes` command is replaced by STORE_COMMAND.
 */
function installCopy(at: string, sqlite: 'no-build' | 'bad-binary' | 'absent'): string {
  cpSync(join(REPO, 'bin'), join(at, 'bin'), { recursive: true });
  cpSync(join(REPO, 'dist'), join(at, 'dist'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(at, 'package.json'));
  writeFileSync(join(at, 'dist', 'cli', 'commands', 'codes.js'), STORE_COMMAND);
  mkdirSync(join(at, 'node_modules'));
  for (const name of readdirSync(join(REPO, 'node_modules'))) {
    if (name === 'better-sqlite3' || name.startsWith('.')) continue;
    symlinkSync(join(REPO, 'node_modules', name), join(at, 'node_modules', name), 'dir');
  }
  if (sqlite !== 'absent') {
    const b = join(at, 'node_modules', 'better-sqlite3');
    cpSync(join(REPO, 'node_modules', 'better-sqlite3', 'package.json'), join(b, 'package.json'));
    cpSync(join(REPO, 'node_modules', 'better-sqlite3', 'lib'), join(b, 'lib'), { recursive: true });
    if (sqlite === 'bad-binary') {
      mkdirSync(join(b, 'build', 'Release'), { recursive: true });
      writeFileSync(join(b, 'build', 'Release', 'better_sqlite3.node'), 'built for another platform\n'.repeat(100));
    }
  }
  return at;
}

function runCopy(at: string) {
  const r = spawnSync(process.execPath, [join(at, 'bin', 'mailpace-cli.js'), 'codes', '--store', join(at, 'state', 'store.sqlite')], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertNoStack(stderr: string) {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `exactly the message and the hint:\n${stderr}`);
  assert.ok(!/^\s+at /m.test(stderr), `no stack trace:\n${stderr}`);
  assert.ok(!/Tried:|→/.test(stderr), `not the list of paths bindings tried:\n${stderr}`);
  return lines as [string, string];
}

test('CLI: the binding was never built (npm skipped its install script): two lines on stderr, exit 3, no stack trace', () => {
  const at = installCopy(join(dir, 'checkout', 'mailpace-cli'), 'no-build');
  const r = runCopy(at);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, '');
  const [message, hint] = assertNoStack(r.stderr);
  assert.equal(message, "mailpace-cli: cannot open the store: better-sqlite3's native binding is missing (its install script was skipped or failed)");
  assert.ok(hint.startsWith(`  hint: run \`npm rebuild better-sqlite3\` in ${at}`), hint);
});

test('CLI: a global install with the binding missing says to reinstall with --allow-scripts', () => {
  const at = installCopy(join(dir, 'prefix', 'lib', 'node_modules', 'mailpace-cli'), 'no-build');
  const r = runCopy(at);
  assert.equal(r.code, 3, r.stderr);
  const [, hint] = assertNoStack(r.stderr);
  assert.match(hint, /^ {2}hint: reinstall with its install script allowed: `npm install -g --allow-scripts=better-sqlite3 mailpace-cli`/);
});

test('CLI: a binding that does not load, and better-sqlite3 not installed at all: one line each, exit 3', () => {
  const bad = runCopy(installCopy(join(dir, 'bad', 'mailpace-cli'), 'bad-binary'));
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(assertNoStack(bad.stderr)[0], /^mailpace-cli: cannot open the store: better-sqlite3's native binding does not load on this machine \(/);

  const gone = runCopy(installCopy(join(dir, 'gone', 'mailpace-cli'), 'absent'));
  assert.equal(gone.code, 3, gone.stderr);
  const [message, hint] = assertNoStack(gone.stderr);
  assert.equal(message, 'mailpace-cli: cannot open the store: the better-sqlite3 package is not installed');
  assert.match(hint, /npm install/);
});
