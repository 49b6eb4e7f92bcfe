/**
 * `score` against the real Rspamd started by scripts/services/rspamd.sh: for every fixture message our
 * score, action and symbol set must equal what /checkv2 itself returns for the same envelope, sent with
 * the headers Rspamd's own milter would send (a Hostname only when reverse DNS is forward-confirmed).
 * The CLI's --dns is the fixture nameserver Rspamd uses, so both see the same zones.
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
    assert.deepEqual(ours.envelope, { ...ENVELOPE, headers: rawHeaders.map(([name, value]) => ({ name, value })) });
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

test('the client host name is looked up (FCrDNS) through --dns when not given; no PTR: no Hostname', { skip }, async () => {
  const r = await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--ip', '192.0.2.10', `${FIX}/html-only.eml`]);
  const res = JSON.parse(r.stdout).results[0];
  assert.equal(res.envelope.hostname, 'mail.example.com');
  assert.deepEqual(res.envelope.reverseDns, { status: 'confirmed', hostname: 'mail.example.com', ptr: ['mail.example.com'] });
  assert.ok(!res.symbols.some((s: any) => s.name === 'HFILTER_HOSTNAME_UNKNOWN'));
  // 203.0.113.5 has no PTR in the fixture zones: no Hostname goes to Rspamd, which then scores what a
  // receiver behind an MTA would: RDNS_NONE and HFILTER_HOSTNAME_UNKNOWN
  const none = JSON.parse((await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--ip', '203.0.113.5', `${FIX}/html-only.eml`])).stdout).results[0];
  assert.equal(none.envelope.hostname, undefined);
  assert.deepEqual(none.envelope.reverseDns, { status: 'no-ptr' });
  assert.ok(!none.envelope.headers.some((h: any) => h.name === 'Hostname'));
  for (const name of ['RDNS_NONE', 'HFILTER_HOSTNAME_UNKNOWN']) assert.ok(none.symbols.some((s: any) => s.name === name), name);
});

/**
 * The headers Rspamd's milter would send for this envelope (rspamd/rspamd src/libserver/milter.c,
 * rspamd_milter_to_http): written out here independently of src/, so a regression there shows.
 */
function milterHeaders(e: { ip?: string; helo?: string; hostname?: string; from?: string; rcpt: string[] }): [string, string][] {
  return [
    ...(e.ip ? [['IP', e.ip] as [string, string]] : []),
    ...(e.helo ? [['Helo', e.helo] as [string, string]] : []),
    // only a verified client name; an MTA's "unknown" is skipped
    ...(e.hostname && e.hostname !== 'unknown' ? [['Hostname', e.hostname] as [string, string]] : []),
    ...(e.from !== undefined ? [['From', e.from === '' ? '<>' : e.from] as [string, string]] : []),
    ...e.rcpt.map((r): [string, string] => ['Rcpt', r]),
  ];
}

const NO_PTR_IP = '203.0.113.5'; // TEST-NET-3: no PTR in the fixture zones of scripts/services/rspamd.sh
const CONFIRMED_IP = '192.0.2.10'; // PTR mail.example.com, whose A is 192.0.2.10 in those zones
const FULL = ['--helo', 'mail.example.com', '--from', 'team@example.com', '--rcpt', 'bob@example.net', '--rcpt', 'carol@example.net'];
const ENVELOPES: { name: string; args: string[]; hostname: string | undefined }[] = [
  { name: 'no PTR, the rest from the message', args: ['--ip', NO_PTR_IP], hostname: undefined },
  { name: 'no PTR, --helo --from --rcpt', args: ['--ip', NO_PTR_IP, ...FULL], hostname: undefined },
  { name: 'confirmed PTR, the rest from the message', args: ['--ip', CONFIRMED_IP], hostname: 'mail.example.com' },
  { name: 'confirmed PTR, --helo --from --rcpt', args: ['--ip', CONFIRMED_IP, ...FULL], hostname: 'mail.example.com' },
];
const SCORED = ['good.eml', 'html-only.eml', 'attachments.eml', 'missing-headers.eml', 'demo-invoice.eml', '8bit-undeclared.eml'].map((f) => `${FIX}/${f}`);

for (const envelope of ENVELOPES) {
  test(`score equals a direct /checkv2 with the same envelope: ${envelope.name}`, { skip }, async () => {
    const r = await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--fail-on', 'info', ...envelope.args, ...SCORED]);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    const results = JSON.parse(r.stdout).results;
    assert.equal(results.length, SCORED.length);
    for (const ours of results) {
      assert.equal(ours.engine, 'rspamd');
      const e = ours.envelope;
      // the IP and host name are the flag and the fixture DNS; MAIL FROM and RCPT TO (when not given) are
      // the CLI's reading of the message, which other tests check
      assert.equal(e.ip, envelope.args[1]);
      assert.equal(e.hostname, envelope.hostname, `${ours.file} hostname`);
      const expected = milterHeaders(e);
      assert.equal(expected.some(([k]) => k === 'Hostname'), envelope.hostname !== undefined);
      assert.deepEqual(e.headers, expected.map(([name, value]) => ({ name, value })), `${ours.file} headers`);

      const direct = await checkv2(env.RSPAMD_URL!, readFileSync(ours.file), expected);
      // Rspamd adds symbol scores in the order its rules finish: 0.19 one time, 0.189999 the next
      assert.ok(Math.abs(ours.score - direct.score) < 1e-4, `${ours.file} score: ${ours.score} vs ${direct.score}`);
      assert.equal(ours.requiredScore, direct.required_score, `${ours.file} required score`);
      assert.equal(ours.action, direct.action, `${ours.file} action`);
      // the same symbols, each with the same weight. DATE_IN_PAST is the one time-dependent symbol these
      // fixtures raise: its option (hours since Date:) can tick between the two requests, its name and
      // weight cannot, and only names and weights are compared
      const ourSymbols = symbolScores(ours.symbols);
      const directSymbols = symbolScores(direct.symbols);
      assert.deepEqual(Object.keys(ourSymbols), Object.keys(directSymbols), `${ours.file} symbols`);
      for (const [name, score] of Object.entries(directSymbols)) assert.ok(Math.abs(ourSymbols[name]! - score) < 1e-4, `${ours.file} ${name}: ${ourSymbols[name]} vs ${score}`);

      // no PTR: the receiver's verdict carries RDNS_NONE and HFILTER_HOSTNAME_UNKNOWN, as through a milter
      const names = Object.keys(ourSymbols);
      assert.equal(names.includes('RDNS_NONE'), envelope.hostname === undefined, `${ours.file} RDNS_NONE`);
      assert.equal(names.includes('HFILTER_HOSTNAME_UNKNOWN'), envelope.hostname === undefined, `${ours.file} HFILTER_HOSTNAME_UNKNOWN`);
    }
  });
}

test('no PTR: what a Postfix-fronted milter sends ("[ip]") scores as ours does; "Hostname: unknown" (the old request) scores lower', { skip }, async () => {
  // Postfix gives its milter "[ip]" for a client it calls unknown (milter8_conn_event), and Rspamd's milter
  // passes that on as Hostname; Rspamd scores it exactly as no Hostname, the request we now send.
  const r = await cli(['score', '--json', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--ip', NO_PTR_IP, ...FULL, `${FIX}/good.eml`, `${FIX}/html-only.eml`]);
  for (const ours of JSON.parse(r.stdout).results) {
    const sent: [string, string][] = ours.envelope.headers.map((h: any) => [h.name, h.value]);
    const at = sent.findIndex(([k]) => k === 'Helo') + 1;
    const withName = (name: string): [string, string][] => [...sent.slice(0, at), ['Hostname', name], ...sent.slice(at)];
    const viaPostfix = await checkv2(env.RSPAMD_URL!, readFileSync(ours.file), withName(`[${NO_PTR_IP}]`));
    assert.ok(Math.abs(ours.score - viaPostfix.score) < 1e-4, `${ours.file}: ${ours.score} vs ${viaPostfix.score}`);
    assert.equal(ours.action, viaPostfix.action);
    assert.deepEqual(Object.keys(symbolScores(ours.symbols)), Object.keys(symbolScores(viaPostfix.symbols)));
    const unknown = await checkv2(env.RSPAMD_URL!, readFileSync(ours.file), withName('unknown'));
    assert.ok(unknown.score < ours.score - 1, `${ours.file}: "unknown" ${unknown.score} vs none ${ours.score}`);
    assert.ok(!('HFILTER_HOSTNAME_UNKNOWN' in unknown.symbols) && !('RDNS_NONE' in unknown.symbols));
  }
});

test('--verbose prints the envelope sent, and why there is no Hostname, on stderr', { skip }, async () => {
  const r = await cli(['score', '--verbose', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--ip', NO_PTR_IP, ...FULL, `${FIX}/good.eml`]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.match(r.stderr, /good\.eml: envelope sent to Rspamd \/checkv2:\n  IP: 203\.0\.113\.5\n  Helo: mail\.example\.com\n  From: team@example\.com\n  Rcpt: bob@example\.net\n  Rcpt: carol@example\.net\n  no Hostname: 203\.0\.113\.5 has no PTR record/);
  assert.doesNotMatch(r.stderr, /^  Hostname: /m);
  assert.doesNotMatch(r.stdout, /envelope sent/);
  const confirmed = await cli(['score', '--verbose', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--ip', CONFIRMED_IP, `${FIX}/good.eml`]);
  assert.match(confirmed.stderr, /  IP: 192\.0\.2\.10\n  Hostname: mail\.example\.com\n/);
  assert.match(confirmed.stderr, /reverse DNS: 192\.0\.2\.10 → mail\.example\.com → 192\.0\.2\.10 \(forward-confirmed\)/);
  // without --verbose, nothing of it
  const quiet = await cli(['score', '--rspamd', env.RSPAMD_URL!, '--dns', env.RSPAMD_DNS!, '--ip', NO_PTR_IP, `${FIX}/good.eml`]);
  assert.doesNotMatch(quiet.stderr, /envelope sent/);
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
