/**
 * bench/check-domain-fleet: 1,000 generated domains against the fixture DNS server with
 * --concurrency 50: wall time and peak memory (RSS) of the CLI, and the JSON output compared with a
 * --concurrency 1 run (must be identical). Targets: ≤ 20 s, ≤ 250 MB.
 * Run: node --import tsx bench/check-domain-fleet.ts   (after npm run build; loopback only)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type ZoneEntry } from '../test/helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../test/helpers/keys.js';
import { table } from './util.js';

const N = Number(process.env.DOMAINS ?? 1000);
const key = rsaPublicKeyB64(2048);

// Every generated domain answers from a pattern: a mix of good and broken set-ups so every check runs.
function entry(name: string): ZoneEntry | undefined {
  const m = /^(?:(.+)\.)?d(\d+)\.fleet\.test$/.exec(name);
  if (!m) return undefined;
  const [, sub, nStr] = m;
  const n = Number(nStr);
  if (!sub) {
    const spf = n % 7 === 0 ? [] : [`v=spf1 include:_spf.provider.test ${n % 5 === 0 ? 'ptr ' : ''}ip4:192.0.2.${n % 250} ~all`];
    return { TXT: spf, MX: n % 11 === 0 ? [] : [{ priority: 10, exchange: `mx.d${n}.fleet.test` }] };
  }
  if (sub === 'mx') return { A: [`198.51.100.${n % 250}`] };
  if (sub === 's1._domainkey') return n % 3 === 0 ? undefined : { TXT: [`v=DKIM1; p=${key}`] };
  if (sub === '_dmarc') return n % 4 === 0 ? undefined : { TXT: [`v=DMARC1; p=${n % 2 ? 'none' : 'reject'}; rua=mailto:d@d${n}.fleet.test`] };
  return undefined;
}

const srv = await startDnsServer(
  { '_spf.provider.test': { TXT: ['v=spf1 ip4:203.0.113.0/24 -all'] }, 'fleet.test': { A: ['192.0.2.1'] } },
  { fallback: entry, cache: true },
);
const dir = mkdtempSync(join(tmpdir(), 'mailpace-fleet-'));
const list = join(dir, 'domains.txt');
writeFileSync(list, Array.from({ length: N }, (_, i) => `d${i}.fleet.test`).join('\n'));

/** Runs the CLI, sampling its RSS from /proc every 20 ms for the peak. */
function runFleet(concurrency: number): Promise<{ ms: number; peakMb: number; stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, ['bin/mailpace-cli.js', 'check-domain', '--file', list, '-s', 's1', '--json', '--concurrency', String(concurrency), '--dns', srv.address, '--timeout', '5s'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let peak = 0;
    child.stdout.on('data', (d) => (stdout += d));
    const { readFileSync } = require_fs;
    const timer = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        /* exited */
      }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ ms: performance.now() - t, peakMb: peak, stdout, code });
    });
  });
}
const require_fs = await import('node:fs');

try {
  const fast = await runFleet(50);
  const slow = await runFleet(1);
  const identical = fast.stdout === slow.stdout;
  const doc = JSON.parse(fast.stdout);
  console.log(`check-domain fleet: ${N} domains, fixture DNS on loopback, exit codes ${fast.code}/${slow.code}`);
  console.log(
    table([
      ['measure', 'ours', 'target'],
      ['wall time, --concurrency 50', `${(fast.ms / 1000).toFixed(2)} s`, '≤ 20 s'],
      ['peak RSS (VmHWM), --concurrency 50', `${fast.peakMb.toFixed(0)} MB`, '≤ 250 MB'],
      ['wall time, --concurrency 1', `${(slow.ms / 1000).toFixed(2)} s`, '—'],
      ['JSON identical at concurrency 50 and 1', identical ? 'yes' : 'NO', 'yes'],
      ['domains in report / DNS queries served', `${doc.domains.length} / ${srv.log.length}`, '—'],
    ]),
  );
  if (!identical) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
  await srv.stop();
}
