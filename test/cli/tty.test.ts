/**
 * Terminal behaviour, under a real pseudo-terminal (util-linux `script`): colour and a spinner on a
 * sized terminal, and no hang on a terminal that reports no size (ora would loop forever there).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { BIN } from '../helpers/cli.js';

const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
let srv: DnsFixtureServer;
before(async () => {
  srv = await startDnsServer({
    'good.test': { TXT: ['v=spf1 -all'] },
    '_dmarc.good.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@good.test'] },
    '5.0.51.198.zen.spamhaus.org': { A: ['127.0.0.2'], TXT: ['Listed by SBL'] },
  });
});
after(() => srv.stop());

function underTty(shellCmd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', shellCmd, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('a terminal without a size: no spinner, no hang, coloured output', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  const r = await underTty(`stty cols 0 rows 0; ${process.execPath} ${BIN} check-domain good.test -s s1 --dns ${srv.address}`);
  assert.equal(r.code, 1, r.out.slice(0, 500));
  assert.match(r.out, /good\.test/);
  assert.match(r.out, /\x1b\[/, 'colour on a TTY');
});

test('a sized terminal: a spinner on stderr, then the report', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  const r = await underTty(`stty cols 100 rows 40; ${process.execPath} ${BIN} check-domain good.test -s s1 --dns ${srv.address}`);
  assert.equal(r.code, 1);
  assert.match(r.out, /checking good\.test/);
  assert.match(r.out, /SPF_MISSING|DKIM_KEY_MISSING/);
});

test('--no-color on a terminal: no escape codes in the report', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  const r = await underTty(`stty cols 0 rows 0; ${process.execPath} ${BIN} check-domain good.test -s s1 --no-color --dns ${srv.address}`);
  assert.doesNotMatch(r.out, /\x1b\[3\dm/);
});

test('blocklist scan on a sized terminal: the ink live view counts answers on stderr, then the report', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  const r = await underTty(`stty cols 100 rows 40; ${process.execPath} ${BIN} blocklist scan 198.51.0.0/28 --zone zen.spamhaus.org --dns ${srv.address}`);
  assert.equal(r.code, 1, r.out.slice(0, 800));
  assert.match(r.out, /Scanning 16 targets against 1 list/);
  assert.match(r.out, /16\/16 answered/);
  // eslint-disable-next-line no-control-regex
  const plain = r.out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  assert.match(plain, /198\.51\.0\.5 {2}listed on 1 of 1 list/);
});

test('warmup simulate --chart: the ink chart on a terminal (coloured provider bars), the text chart in a pipe', { skip: hasScript ? false : 'util-linux script is not installed' }, async () => {
  const args = 'warmup simulate --target 8000 --start 120 --growth 2 --mix gmail=60,microsoft=40 --no-suggest --chart';
  const tty = await underTty(`stty cols 100 rows 40; ${process.execPath} ${BIN} ${args}`);
  assert.equal(tty.code, 1, tty.out.slice(0, 500));
  assert.match(tty.out, /accepted.* per day by provider/);
  assert.match(tty.out, /\x1b\[31m█ gmail {2}\x1b\[34m█ microsoft/, 'a legend in the providers’ colours');
  assert.match(tty.out, /\x1b\[31m█+\x1b\[34m█+/, 'stacked provider bars');
  const piped = spawnSync(process.execPath, [BIN, ...args.split(' ')], { encoding: 'utf8' });
  assert.equal(piped.status, 1);
  assert.match(piped.stdout, /planned ░ vs accepted █ per day/);
  assert.doesNotMatch(piped.stdout, /\x1b\[/, 'no colour in a pipe');
});
