/**
 * bench/probe: our full probe of one loopback MX (banner, EHLO, STARTTLS, the four-version TLS
 * matrix, certificate, MAIL/RCPT) beside `testssl.sh -p -S --starttls smtp` (protocols + server
 * defaults/certificate) on the same host, both timed in this run.
 *
 *   node --import tsx bench/probe.ts [--runs 5]
 *
 * Hosts: an in-process smtp-server fake MX accepting TLS 1.0–1.3, and Debian's Postfix when
 * scripts/services.sh has started it ($MAILPACE_SERVICES_DIR/postfix.env). Loopback only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemClock } from '../src/core/clock.js';
import { SocketResolver } from '../src/core/dns/socket-resolver.js';
import { runProbe } from '../src/core/probe/probe.js';
import { startDnsServer } from '../test/helpers/dns-server.js';
import { serviceEnv } from '../test/helpers/services.js';
import { makeTestPki, startFakeMx } from '../test/helpers/smtp-server.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
const TESTSSL = ['testssl', 'testssl.sh'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const pki = await makeTestPki();
  const dns = await startDnsServer({ '1.0.0.127.in-addr.arpa': { PTR: ['mx.example.test'] } });
  const mx = await startFakeMx({ tls: { ...pki.good, minVersion: 'TLSv1', maxVersion: 'TLSv1.3' } });
  const dir = mkdtempSync(join(tmpdir(), 'mailpace-bench-'));
  // testssl's openssl (Debian 3.0) needs security level 0 for TLS 1.0/1.1, like our probe does
  const conf = join(dir, 'openssl.cnf');
  writeFileSync(conf, 'openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = d\n[d]\nCipherString = DEFAULT@SECLEVEL=0\nMinProtocol = TLSv1\n');

  const targets: { name: string; port: number; ca?: string }[] = [{ name: 'smtp-server fake MX (TLS 1.0–1.3)', port: mx.port, ca: pki.caPem }];
  const postfix = serviceEnv('postfix');
  if (postfix?.POSTFIX_PORT) targets.push({ name: 'Debian Postfix + postgrey', port: Number(postfix.POSTFIX_PORT) });

  console.log(`node ${process.version}; ${RUNS} probe runs per host (median), 1 testssl run per host${TESTSSL ? '' : ' — testssl not installed, skipped'}`);
  console.log(`${'host'.padEnd(36)} ${'mailpace probe'.padStart(15)} ${'testssl -p -S'.padStart(14)} ${'speed-up'.padStart(9)}  versions (ours)`);
  try {
    for (const t of targets) {
      const deps = { resolver: new SocketResolver({ servers: [{ host: '127.0.0.1', port: dns.port }], timeoutMs: 1000 }), clock: systemClock, timeoutMs: 5000 };
      const once = () =>
        runProbe(deps, { host: '127.0.0.1' }, { port: t.port, heloName: 'bench.example.net', mailFrom: 'bench@example.net', rcpt: `bench-${Date.now()}@mailpace.test`, greylistWaitMs: 0, maxHosts: 1, caPem: t.ca ? [t.ca] : undefined });
      await once(); // warm-up: module loading, TLS contexts
      const times: number[] = [];
      let versions = '';
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const r = await once();
        times.push(performance.now() - t0);
        const v = r.hosts[0]?.tls?.versions;
        versions = v ? Object.entries(v).map(([k, ok]) => `${k.replace('TLSv', '')}${ok ? '✓' : '✗'}`).join(' ') : 'no TLS';
      }
      const ours = median(times);
      let theirs = NaN;
      if (TESTSSL) {
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) => {
          const child = spawn(TESTSSL, ['--quiet', '--nodns', 'none', '--warnings', 'batch', '--color', '0', '-p', '-S', '--starttls', 'smtp', `127.0.0.1:${t.port}`], {
            stdio: 'ignore',
            env: { ...process.env, OPENSSL_CONF: conf },
          });
          child.on('error', reject);
          child.on('close', () => resolve());
        });
        theirs = performance.now() - t0;
      }
      const fmt = (ms: number) => (Number.isNaN(ms) ? 'n/a' : `${(ms / 1000).toFixed(3)} s`);
      console.log(`${t.name.padEnd(36)} ${fmt(ours).padStart(15)} ${fmt(theirs).padStart(14)} ${(Number.isNaN(theirs) ? 'n/a' : `${(theirs / ours).toFixed(0)}×`).padStart(9)}  ${versions}`);
      console.log(`${''.padEnd(36)} ${`(min ${(Math.min(...times) / 1000).toFixed(3)} s, max ${(Math.max(...times) / 1000).toFixed(3)} s)`}`);
    }
  } finally {
    await mx.stop();
    await dns.stop();
    await pki.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
