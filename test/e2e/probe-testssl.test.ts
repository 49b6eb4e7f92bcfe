/**
 * Cross-check of the TLS version matrix against testssl.sh (Debian package, `testssl`): for the
 * same loopback server, the versions we report accepted must be exactly those testssl reports
 * offered. Servers: the fake MX in each TLS set-up, and Postfix when scripts/services.sh runs it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import { SocketResolver } from '../../src/core/dns/socket-resolver.js';
import { runProbe } from '../../src/core/probe/probe.js';
import { startDnsServer, type DnsFixtureServer } from '../helpers/dns-server.js';
import { serviceEnv } from '../helpers/services.js';
import { makeTestPki, startFakeMx, TLS_SETUPS, type TestPki, type TlsVersionName } from '../helpers/smtp-server.js';

const TESTSSL = ['testssl', 'testssl.sh'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);
function testsslSkip(): false | string {
  if (TESTSSL) return false;
  const reason = 'testssl.sh is not installed (apt-get install testssl.sh)';
  if (process.env.CI) throw new Error(`e2e: ${reason}`);
  return reason;
}
const skip = testsslSkip();

let pki: TestPki;
let dns: DnsFixtureServer;
let dir: string;
let opensslConf: string;
before(async () => {
  pki = await makeTestPki();
  dns = await startDnsServer({});
  dir = mkdtempSync(join(tmpdir(), 'mailpace-testssl-'));
  // testssl drives the system openssl (Debian's 3.0), which at its default security level will not
  // complete a TLS 1.0/1.1 handshake ("legacy sigalg disallowed"); against a legacy-only server
  // testssl then stops with "Your OpenSSL cannot connect". Level 0 for its openssl, as for our probe.
  opensslConf = join(dir, 'openssl.cnf');
  writeFileSync(
    opensslConf,
    ['openssl_conf = openssl_init', '[openssl_init]', 'ssl_conf = ssl_sect', '[ssl_sect]', 'system_default = system_default_sect', '[system_default_sect]', 'CipherString = DEFAULT@SECLEVEL=0', 'MinProtocol = TLSv1', ''].join('\n'),
  );
});
after(async () => {
  await dns.stop();
  await pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** testssl's protocol ids (JSON "id") → Node's protocol names. */
const TESTSSL_IDS: Record<string, TlsVersionName> = { TLS1: 'TLSv1', TLS1_1: 'TLSv1.1', TLS1_2: 'TLSv1.2', TLS1_3: 'TLSv1.3' };

/** Runs `testssl --starttls smtp -p` and returns which versions it found offered. */
async function testsslVersions(port: number, name: string): Promise<Record<string, boolean>> {
  const file = join(dir, `${name}.json`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(TESTSSL!, ['--quiet', '--nodns', 'none', '--warnings', 'batch', '--color', '0', '--starttls', 'smtp', '-p', '--jsonfile', file, `127.0.0.1:${port}`], {
      stdio: 'ignore',
      env: { ...process.env, OPENSSL_CONF: opensslConf },
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  assert.ok(code !== null, 'testssl was killed');
  const entries = JSON.parse(readFileSync(file, 'utf8')) as { id: string; finding: string }[];
  const out: Record<string, boolean> = {};
  for (const e of entries) {
    const v = TESTSSL_IDS[e.id];
    if (v) out[v] = /^offered/.test(e.finding);
  }
  const cannot = entries.find((e) => e.id === 'optimal_proto' && /cannot connect/i.test(e.finding));
  if (Object.keys(out).length === 0 && cannot) {
    // testssl runs the system's openssl; Debian's OpenSSL 3.0.22 refuses the SHA-1 key-exchange
    // signatures that TLS 1.0/1.1 need ("legacy sigalg disallowed"), so testssl cannot reach a
    // server that offers nothing newer. Node's bundled OpenSSL still can.
    return { unavailable: true, why: cannot.finding } as unknown as Record<string, boolean>;
  }
  assert.equal(Object.keys(out).length, 4, `testssl reported ${JSON.stringify(entries.map((e) => e.id))}`);
  return out;
}

/** What the fake MX was configured to offer: the ground truth both tools are held to. */
function configured(range: { minVersion: TlsVersionName; maxVersion: TlsVersionName }): Record<string, boolean> {
  const order: TlsVersionName[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const lo = order.indexOf(range.minVersion);
  const hi = order.indexOf(range.maxVersion);
  return Object.fromEntries(order.map((v, i) => [v, i >= lo && i <= hi]));
}

async function ourVersions(port: number): Promise<Record<string, boolean | null>> {
  const deps = { resolver: new SocketResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 1000 }), clock: systemClock, timeoutMs: 5000 };
  const r = await runProbe(deps, { host: '127.0.0.1' }, { port, heloName: 'probe.example.net', mailFrom: 'probe@example.net', greylistWaitMs: 0, maxHosts: 1 });
  return r.hosts[0]!.tls!.versions;
}

for (const [setup, range] of Object.entries({ ...TLS_SETUPS, 'tls1.0-1.1': { minVersion: 'TLSv1', maxVersion: 'TLSv1.1' } as const })) {
  test(`TLS versions agree with testssl.sh: fake MX ${setup}`, { skip, timeout: 300_000 }, async (t) => {
    const mx = await startFakeMx({ tls: { ...pki.good, ...range } });
    try {
      const [ours, theirs] = await Promise.all([ourVersions(mx.port), testsslVersions(mx.port, setup)]);
      assert.deepEqual(ours, configured(range), 'the probe finds exactly what the server offers');
      if ((theirs as { unavailable?: boolean }).unavailable) {
        t.diagnostic(`testssl.sh could not connect with this machine's openssl (${(theirs as { why?: string }).why}); compared with the server's configuration only`);
        return;
      }
      assert.deepEqual(ours, theirs);
    } finally {
      await mx.stop();
    }
  });
}

const postfix = serviceEnv('postfix');
test('TLS versions agree with testssl.sh: Debian Postfix', { skip: skip || (postfix ? false : 'postfix is not running: scripts/services.sh start'), timeout: 300_000 }, async () => {
  const port = Number(postfix!.POSTFIX_PORT);
  const [ours, theirs] = await Promise.all([ourVersions(port), testsslVersions(port, 'postfix')]);
  assert.deepEqual(ours, theirs);
});
