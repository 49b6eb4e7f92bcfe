/**
 * `score` against the real Rspamd started by scripts/services/rspamd.sh: for every fixture message our
 * score, action and symbol set must equal what /checkv2 itself returns for the same envelope.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { runCli } from '../helpers/cli.js';
import { serviceEnv, serviceSkip } from '../helpers/services.js';

const FIX = 'test/fixtures/messages';
const skip = serviceSkip('rspamd');
const env = serviceEnv('rspamd') ?? {};
const files = readdirSync(FIX)
  .filter((f) => f.endsWith('.eml'))
  .sort()
  .map((f) => `${FIX}/${f}`);

const ENVELOPE = { ip: '192.0.2.10', helo: 'mail.example.com', hostname: 'mail.example.com', from: 'team@example.com', rcpt: ['bob@example.net', 'carol@example.net'] };
const envelopeArgs = ['--ip', ENVELOPE.ip, '--helo', ENVELOPE.helo, '--hostname', ENVELOPE.hostname, '--from', ENVELOPE.from, ...ENVELOPE.rcpt.flatMap((r) => ['--rcpt', r])];

/** The envelope and server come from the arguments only, not from the developer's environment. */
const cli = (args: string[]) => runCli(args, { env: { MAILPACE_RSPAMD_URL: undefined, MAILPACE_RSPAMD_PASSWORD: undefined } });

/** /checkv2 asked directly with node:http, independent of our client. */
function checkv2(base: string, body: Buffer, headers: [string, string][]): Promise<any> {
  return new Promise((resolve, reject) => {
    const u = new URL('/checkv2', base);
    const flat: string[] = [];
    for (const [k, v] of headers) flat.push(k, v);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: flat }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rawHeaders: [string, string][] = [
  ['IP', ENVELOPE.ip],
  ['Helo', ENVELOPE.helo],
  ['Hostname', ENVELOPE.hostname],
  ['From', ENVELOPE.from],
  ...ENVELOPE.rcpt.map((r): [string, string] => ['Rcpt', r]),
];

function symbolScores(symbols: Record<string, { score: number }> | { name: string; score: number }[]): Record<string, number> {
  const list = Array.isArray(symbols) ? symbols : Object.entries(symbols).map(([name, s]) => ({ name, score: s.score }));
  return Object.fromEntries(list.map((s) => [s.name, s.score]).sort(([a], [b]) => String(a).localeCompare(String(b))));
}

test('every fixture: our score, action and symbols equal /checkv2 for the same envelope (one concurrent run)', { skip }, async () => {
  const r = await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, '--concurrency', '4', '--fail-on', 'info', ...envelopeArgs, ...files]);
  assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.results.length, files.length);
  for (const ours of doc.results) {
    const direct = await checkv2(env.RSPAMD_URL!, readFileSync(ours.file), rawHeaders);
    assert.equal(ours.engine, 'rspamd');
    // Rspamd sums symbol scores in whatever order its rules finished, so the same message can come back
    // as 0.19 once and 0.189999 the next time: equal to well within the 2 decimals anyone reads
    assert.ok(Math.abs(ours.score - direct.score) < 1e-4, `${ours.file} score: ${ours.score} vs ${direct.score}`);
    assert.equal(ours.requiredScore, direct.required_score, `${ours.file} required score`);
    assert.equal(ours.action, direct.action, `${ours.file} action`);
    assert.deepEqual(symbolScores(ours.symbols), symbolScores(direct.symbols), `${ours.file} symbols`);
    assert.deepEqual(ours.envelope, ENVELOPE);
  }
  // sanity: the envelope reached Rspamd (SPF passes for 192.0.2.10 in the fixture zone)
  assert.ok(doc.results.every((x: any) => x.symbols.some((s: any) => s.name === 'R_SPF_ALLOW')));
});

test('the lint and Rspamd agree on the obvious: an executable attachment, HTML only, missing headers', { skip }, async () => {
  const r = await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, ...envelopeArgs, `${FIX}/attachments.eml`, `${FIX}/html-only.eml`, `${FIX}/missing-headers.eml`]);
  const [att, html, missing] = JSON.parse(r.stdout).results;
  const names = (x: any) => x.symbols.map((s: any) => s.name);
  assert.ok(names(att).includes('MIME_BAD_EXTENSION') || names(att).includes('MIME_DOUBLE_BAD_EXTENSION'), names(att).join(' '));
  assert.ok(names(html).includes('MIME_HTML_ONLY'));
  assert.ok(names(missing).includes('MISSING_MID') && names(missing).includes('MISSING_DATE'));
  // lint findings the symbols cover are not repeated in "what to fix first"
  assert.ok(!missing.fixFirst.some((f: any) => f.name === 'LINT_MISSING_MESSAGE_ID'));
  assert.ok(missing.fixFirst.some((f: any) => f.name === 'MISSING_MID'));
});

test('through the controller worker: with the password the same result; without it exit 3', { skip }, async () => {
  const file = `${FIX}/good.eml`;
  const normal = JSON.parse((await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, ...envelopeArgs, file])).stdout).results[0];
  const viaController = await cli(['score', '--json', '--rspamd', env.RSPAMD_CONTROLLER_URL!, '--rspamd-password', env.RSPAMD_CONTROLLER_PASSWORD!, ...envelopeArgs, file]);
  assert.equal(viaController.code, 0, viaController.stderr);
  const c = JSON.parse(viaController.stdout).results[0];
  // Rspamd sums symbol scores in the order its rules finish: 0.19 one time, 0.189999 the next
  assert.ok(Math.abs(c.score - normal.score) < 1e-4, `${c.score} vs ${normal.score}`);
  assert.deepEqual(Object.keys(symbolScores(c.symbols)), Object.keys(symbolScores(normal.symbols)));
  const denied = await cli(['score', '--rspamd', env.RSPAMD_CONTROLLER_URL!, ...envelopeArgs, file]);
  assert.equal(denied.code, 3);
  assert.match(denied.stderr, /refused the request \(HTTP 401/);
});

test('the client host name is looked up (FCrDNS) through --dns when not given', { skip }, async () => {
  const r = await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--ip', '192.0.2.10', `${FIX}/html-only.eml`]);
  const res = JSON.parse(r.stdout).results[0];
  assert.equal(res.envelope.hostname, 'mail.example.com');
  assert.ok(!res.symbols.some((s: any) => s.name === 'HFILTER_HOSTNAME_UNKNOWN'));
});

test('Rspamd made no request beyond loopback: its DNS went to the fixture, its log names no outside service', { skip }, () => {
  const queries = readFileSync(env.RSPAMD_DNS_LOG!, 'utf8');
  assert.match(queries, /TXT _dmarc\.example\.com/);
  const log = readFileSync(env.RSPAMD_LOG!, 'utf8');
  const outside = log
    .split('\n')
    .filter((l) => /https?:\/\/|fuzzy[0-9]?\.rspamd|maps\.rspamd\.com|cannot connect|upstream .*failed/i.test(l))
    .filter((l) => !/https?:\/\/(127\.0\.0\.1|localhost|\[::1\])/i.test(l));
  assert.deepEqual(outside, []);
  const trace = env.RSPAMD_LOG!.replace(/log\/rspamd\.log$/, 'strace.out');
  if (existsSync(trace)) {
    const connects = readFileSync(trace, 'utf8').split('\n').filter((l) => /connect\(/.test(l));
    assert.deepEqual(connects.filter((l) => !/AF_UNIX|inet_addr\("127\./.test(l)), []);
  }
});
