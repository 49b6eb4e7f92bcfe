/**
 * bench/check-domain: (1) time to check one realistic domain against a DNS server that adds 50 ms to
 * every answer, beside the lower bound (longest chain of dependent queries × 50 ms); target ≤ 1.5×.
 * (2) `mailpace-cli --help` median beside `node -e 0` measured in the same run; target ≤ 1.5×.
 * Run: node --import tsx bench/check-domain.ts   (after npm run build; loopback only)
 */
import { startDnsServer } from '../test/helpers/dns-server.js';
import { rsaPublicKeyB64 } from '../test/helpers/keys.js';
import { testDeps } from '../test/helpers/deps.js';
import { checkDomains } from '../src/core/domain/check-domain.js';
import { median, table, timeCommand, timeCommandAsync, fmt } from './util.js';

const DELAY = 50;
const RUNS = Number(process.env.RUNS ?? 7);

const key = rsaPublicKeyB64(2048);
const zone = {
  // SPF: 4 nested includes (root → i1 → i2 → i3 → i4), plus mx and a in the root record
  'bench.test': { TXT: ['v=spf1 include:i1.spf.test mx a -all'], MX: [{ priority: 10, exchange: 'mx1.bench.test' }, { priority: 20, exchange: 'mx2.bench.test' }], A: ['192.0.2.80'] },
  'i1.spf.test': { TXT: ['v=spf1 include:i2.spf.test -all'] },
  'i2.spf.test': { TXT: ['v=spf1 include:i3.spf.test -all'] },
  'i3.spf.test': { TXT: ['v=spf1 include:i4.spf.test -all'] },
  'i4.spf.test': { TXT: ['v=spf1 ip4:198.51.100.0/24 -all'] },
  'mx1.bench.test': { A: ['192.0.2.1'], AAAA: ['2001:db8::1'] },
  'mx2.bench.test': { A: ['192.0.2.2'] },
  // reverse DNS for the sending hosts the SPF record names (a → 192.0.2.80, mx → the MX addresses)
  '80.2.0.192.in-addr.arpa': { PTR: ['mail.bench.test'] },
  '1.2.0.192.in-addr.arpa': { PTR: ['mx1.bench.test'] },
  '2.2.0.192.in-addr.arpa': { PTR: ['mx2.bench.test'] },
  '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { PTR: ['mx1.bench.test'] },
  'mail.bench.test': { A: ['192.0.2.80'] },
  's1._domainkey.bench.test': { TXT: [`v=DKIM1; p=${key}`] },
  's2._domainkey.bench.test': { TXT: [`v=DKIM1; p=${key}`] },
  'google._domainkey.bench.test': { TXT: [`v=DKIM1; p=${key}`] },
  '_dmarc.bench.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:d@reports.test'] },
  'bench.test._report._dmarc.reports.test': { TXT: ['v=DMARC1'] },
};
// Longest dependent chain: TXT bench.test → i1 → i2 → i3 → i4 (5 round trips); equally long: TXT →
// MX (of the record's "mx") → A/AAAA → PTR → forward A (5). DMARC is 2 (record, then the rua
// authorisation), MX → TLSA → TLS-RPT is 3, DKIM is 1.
const CHAIN = 5;
const bound = CHAIN * DELAY;

const srv = await startDnsServer(zone, { delayMs: DELAY, cache: true });
const coreTimes: number[] = [];
const cliTimes: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    const deps = testDeps(srv, { timeoutMs: 2000 }); // fresh per run: no warm cache
    const t = performance.now();
    const { domains: [r] } = await checkDomains(deps, ['bench.test'], { selectors: ['s1', 's2', 'google'] });
    coreTimes.push(performance.now() - t);
    const unexpected = r!.findings.filter((f) => f.severity !== 'info');
    if (unexpected.length) throw new Error(`unexpected findings: ${unexpected.map((f) => f.code).join(', ')}`);
    const c = await timeCommandAsync(process.execPath, ['bin/mailpace-cli.js', 'check-domain', 'bench.test', '-s', 's1', '-s', 's2', '-s', 'google', '--json', '--dns', srv.address]);
    if (c.status !== 0) throw new Error(`CLI exited ${c.status}`);
    cliTimes.push(c.ms);
  }
} finally {
  await srv.stop();
}

const helpTimes: number[] = [];
const nodeTimes: number[] = [];
for (let i = 0; i < 15; i++) {
  nodeTimes.push(timeCommand(process.execPath, ['-e', '0']).ms);
  helpTimes.push(timeCommand(process.execPath, ['bin/mailpace-cli.js', '--help']).ms);
}
const core = median(coreTimes);
const cli = median(cliTimes);
const help = median(helpTimes);
const node0 = median(nodeTimes);
console.log(`check-domain, one domain (SPF 4 nested includes, 3 selectors, DMARC, 2 MX), ${DELAY} ms per DNS answer, median of ${RUNS}:`);
console.log(
  table([
    ['measure', 'ours', 'reference', 'ratio', 'target'],
    ['check (in process)', fmt(core), `${fmt(bound)} (bound: ${CHAIN} × ${DELAY} ms)`, (core / bound).toFixed(2), '≤ 1.50'],
    ['check (CLI, incl. start-up)', fmt(cli), fmt(bound), (cli / bound).toFixed(2), '—'],
    ['mailpace-cli --help', fmt(help), `${fmt(node0)} (node -e 0)`, (help / node0).toFixed(2), '≤ 1.50'],
  ]),
);
