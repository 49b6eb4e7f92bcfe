/**
 * bench/blocklist — `blocklist scan` beside the peers, measured in the same run, loopback only.
 *
 *   npm run build && node --import tsx bench/blocklist.ts          (needs root for set-up a's peer)
 *   BENCH_SKIP_RBLCHECK=1 node --import tsx bench/blocklist.ts      (only set-up b and our half of a)
 *   BENCH_ONLY_B=1 node --import tsx bench/blocklist.ts             (only set-up b)
 *
 * (a) 1,024 IPs × 2 zones against test/helpers/dns-server.ts adding 20 ms to every answer (real
 *     blocklist servers are tens of milliseconds away). Ours: the built CLI, wall time from spawn to
 *     exit. Peer: Debian's rblcheck doing the same 2,048 lookups through the system resolver.
 * (b) 8,192 lookups (4,096 IPs × 2 zones) against rbldnsd with no added delay. Ours: queries/s of the
 *     scan itself, timed inside the process — once as a cold CLI run (from the JSON summary's
 *     durationMs), and warm in this process (median of 5 after 2 warm-up scans). Peer: dnsperf
 *     replaying the same 8,192 queries (the rate rbldnsd can serve), interleaved with our warm runs.
 *
 * How rblcheck gets to the loopback server (set-up a). rblcheck cannot be told a server: it asks the
 * system resolver (glibc res_query), which reads /etc/resolv.conf and always uses port 53. So:
 *  1. The fixture server listens on 127.0.0.1 on a random port (it always binds port 0). A small UDP
 *     relay listens on 127.0.53.1:53 and forwards each datagram to it. Linux routes all of 127.0.0.0/8
 *     to the loopback interface, so 127.0.53.1 needs no set-up, and it avoids 127.0.0.1:53 and
 *     127.0.0.53:53, where a local resolver (systemd-resolved, dnsmasq) may already listen. Port 53 is
 *     privileged: this needs root (or CAP_NET_BIND_SERVICE).
 *  2. rblcheck runs under `unshare -m` (a private mount namespace, also root) where a temporary
 *     resolv.conf ("nameserver 127.0.53.1") is bind-mounted over /etc/resolv.conf. The machine's own
 *     /etc/resolv.conf is never written, and the bind mount disappears with the namespace.
 *  3. Our CLI is pointed at the same relay (--dns 127.0.53.1:53), so both tools pay the same extra hop.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDnsServer, type ZoneEntry } from '../test/helpers/dns-server.js';
import { serviceEnv } from '../test/helpers/services.js';
import { SocketResolver } from '../src/core/dns/socket-resolver.js';
import { LimitingResolver } from '../src/core/dns/limiting-resolver.js';
import { systemClock } from '../src/core/clock.js';
import { scanBlocklists } from '../src/core/blocklist/scan.js';
import { selectLists } from '../src/core/blocklist/selection.js';
import { collectTargets, reversedName } from '../src/core/blocklist/target.js';

const ZONES = ['zen.spamhaus.org', 'bl.spamcop.net'];
const CONCURRENCY = 64;
const RELAY_HOSTS = ['127.0.53.1', '127.0.53.2', '127.0.54.1'];

const work = mkdtempSync(join(tmpdir(), 'bench-blocklist-'));
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - t0 }));
    child.stdin.end(input ?? '');
  });
}

/**
 * UDP relay host:53 → 127.0.0.1:upstreamPort through one upstream socket. Each forwarded query gets a
 * relay-chosen ID (so concurrent clients cannot collide), and the reply gets the client's ID back.
 */
async function startRelay(upstreamPort: number): Promise<{ host: string; close: () => void }> {
  let lastError: unknown;
  for (const host of RELAY_HOSTS) {
    const front = createSocket('udp4');
    try {
      await new Promise<void>((res, rej) => {
        front.once('error', rej);
        front.bind(53, host, () => res());
      });
    } catch (e) {
      lastError = e;
      front.close();
      continue;
    }
    const up = createSocket('udp4');
    await new Promise<void>((res) => up.bind(0, '127.0.0.1', () => res()));
    const waiting = new Map<number, { id: number; port: number; address: string }>();
    let nextId = 0;
    front.on('message', (msg, rinfo) => {
      if (msg.length < 12 || waiting.size >= 0xffff) return;
      do nextId = (nextId + 1) & 0xffff;
      while (waiting.has(nextId));
      waiting.set(nextId, { id: msg.readUInt16BE(0), port: rinfo.port, address: rinfo.address });
      const out = Buffer.from(msg);
      out.writeUInt16BE(nextId, 0);
      up.send(out, upstreamPort, '127.0.0.1');
    });
    up.on('message', (reply) => {
      if (reply.length < 12) return;
      const client = waiting.get(reply.readUInt16BE(0));
      if (!client) return;
      waiting.delete(reply.readUInt16BE(0));
      reply.writeUInt16BE(client.id, 0);
      front.send(reply, client.port, client.address);
    });
    return {
      host,
      close: () => {
        up.close();
        front.close();
      },
    };
  }
  throw lastError;
}

// ---------------------------------------------------------------- set-up (a)
async function setupA(): Promise<void> {
  console.log('\n(a) 1,024 IPs × 2 zones, every answer delayed 20 ms (dns-server.ts fixture)');
  // Every 32nd address is listed on both zones, so both tools must find 64 listings.
  const { targets } = collectTargets(['198.18.0.0/22'], 1024);
  const listed = new Set(targets.filter((_, i) => i % 32 === 0).map((t) => reversedName(t)));
  const server = await startDnsServer(
    {},
    {
      delayMs: 20,
      fallback: (name): ZoneEntry | undefined => {
        for (const z of ZONES) {
          if (name.endsWith(`.${z}`) && listed.has(name.slice(0, -z.length - 1))) return { A: ['127.0.0.2'], TXT: ['bench listing'] };
        }
        return undefined;
      },
    },
  );
  const file = join(work, 'a-targets.txt');
  writeFileSync(file, `${targets.map((t) => t.value).join('\n')}\n`);
  let relay: { host: string; close: () => void } | undefined;
  try {
    try {
      relay = await startRelay(server.port);
    } catch (e) {
      console.log(`  cannot listen on port 53 of ${RELAY_HOSTS.join('/')} (${(e as Error).message}): run as root for the rblcheck comparison`);
    }
    const dnsArg = relay ? `${relay.host}:53` : server.address;
    const ours = await run(process.execPath, [
      'bin/mailpace-cli.js',
      'blocklist',
      'scan',
      '--file',
      file,
      '--max-targets',
      '1024',
      ...ZONES.flatMap((z) => ['--zone', z]),
      '--dns',
      dnsArg,
      '--concurrency',
      String(CONCURRENCY),
      '--json',
    ]);
    if (ours.code !== 1) throw new Error(`mailpace-cli exited ${ours.code}: ${ours.stderr}`);
    const doc = JSON.parse(ours.stdout);
    const s = doc.summary;
    console.log(
      `  mailpace-cli blocklist scan : ${fmt(ours.ms / 1000, 2)} s wall (${fmt(s.queries)} lookups, ${fmt(s.dnsQueries)} DNS queries, ${s.listed} listed, ${s.errors + s.timeouts} errors/timeouts, --concurrency ${CONCURRENCY})`,
    );
    // The same scan in this process, without the CLI's start-up: how much of the wall time is Node.
    const [relayHost, relayPort] = dnsArg.split(':');
    const base = new SocketResolver({ servers: [{ host: relayHost!, port: Number(relayPort) }], timeoutMs: 5000 });
    const deps = { resolver: new LimitingResolver(base, CONCURRENCY), clock: systemClock, timeoutMs: 5000 };
    const t0 = performance.now();
    const inProcess = await scanBlocklists(deps, targets, selectLists({ zones: ZONES }), { concurrency: CONCURRENCY });
    console.log(`    (the scan alone, in-process: ${fmt((performance.now() - t0) / 1000, 2)} s, ${inProcess.summary.listed} listed)`);

    if (process.env.BENCH_SKIP_RBLCHECK) {
      console.log('  rblcheck                     : skipped (BENCH_SKIP_RBLCHECK)');
      return;
    }
    if (!relay || !has('rblcheck') || !has('unshare') || process.getuid?.() !== 0) {
      console.log('  rblcheck                     : skipped (needs rblcheck, unshare and root: see the comment at the top)');
      return;
    }
    const resolv = join(work, 'resolv.conf');
    writeFileSync(resolv, `nameserver ${relay.host}\noptions timeout:2 attempts:1\n`);
    const peer = await run(
      'unshare',
      ['-m', 'sh', '-c', `mount --bind "$0" /etc/resolv.conf && exec rblcheck -c ${ZONES.map((z) => `-s ${z}`).join(' ')} -`, resolv],
      `${targets.map((t) => t.value).join('\n')}\n`,
    );
    const lines = peer.stdout.split('\n').filter((l) => l.trim() !== '');
    const peerListed = lines.filter((l) => / listed by /.test(l) && !/ not listed by /.test(l)).length;
    console.log(`  rblcheck (serial, libc)      : ${fmt(peer.ms / 1000, 2)} s wall (${fmt(lines.length)} answers, ${peerListed} listed)`);
    if (peerListed !== s.listed) console.log(`  WARNING: the tools disagree on listings (${s.listed} vs ${peerListed}); rblcheck stderr: ${peer.stderr.slice(0, 300)}`);
    const ratio = peer.ms / ours.ms;
    console.log(`  → mailpace-cli is ${fmt(ratio, 1)}× faster than rblcheck (target ≥ 20×: ${ratio >= 20 ? 'met' : 'NOT met'})`);
  } finally {
    relay?.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------- set-up (b)
async function ensureRbldnsd(): Promise<{ host: string; port: number; stop?: () => void }> {
  const env = serviceEnv('rbldnsd');
  if (env?.RBLDNSD_PORT) return { host: env.RBLDNSD_HOST ?? '127.0.0.1', port: Number(env.RBLDNSD_PORT) };
  const dir = join(work, 'services');
  const r = spawnSync('bash', ['scripts/services/rbldnsd.sh', 'start'], { env: { ...process.env, MAILPACE_SERVICES_DIR: dir }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`could not start rbldnsd: ${r.stderr}`);
  const started = serviceEnvFrom(join(dir, 'rbldnsd.env'));
  return {
    host: started.RBLDNSD_HOST!,
    port: Number(started.RBLDNSD_PORT),
    stop: () => spawnSync('bash', ['scripts/services/rbldnsd.sh', 'stop'], { env: { ...process.env, MAILPACE_SERVICES_DIR: dir } }),
  };
}

function serviceEnvFrom(path: string): Record<string, string> {
  const text = readFileSync(path, 'utf8');
  return Object.fromEntries(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

async function setupB(): Promise<void> {
  console.log('\n(b) 8,192 lookups (4,096 IPs × 2 zones) against rbldnsd, no added delay');
  if (!has('rbldnsd')) {
    console.log('  skipped: rbldnsd is not installed');
    return;
  }
  const rbl = await ensureRbldnsd();
  try {
    // 198.18.0.0/20 (RFC 2544 benchmarking space): not in the test zones, so every answer is NXDOMAIN
    // and every lookup is exactly one DNS query, the same list dnsperf replays.
    const { targets } = collectTargets(['198.18.0.0/20'], 4096);
    const lists = selectLists({ zones: ZONES });
    const queryFile = join(work, 'b-queries.txt');
    writeFileSync(queryFile, `${targets.flatMap((t) => lists.map((l) => `${reversedName(t)}.${l.queryZone} A`)).join('\n')}\n`);

    if (!has('dnsperf')) console.log('  dnsperf: not installed, our figures only');
    const dnsperf = async (): Promise<number | undefined> => {
      if (!has('dnsperf')) return undefined;
      const r = await run('dnsperf', ['-s', rbl.host, '-p', String(rbl.port), '-d', queryFile, '-n', '1']);
      const qps = /Queries per second:\s+([\d.]+)/.exec(r.stdout);
      const lost = /Queries lost:\s+(\d+)/.exec(r.stdout);
      if (!qps) throw new Error(`dnsperf output not understood: ${r.stdout}${r.stderr}`);
      if (lost && Number(lost[1]) > 0) console.log(`  (dnsperf lost ${lost[1]} queries)`);
      return Number(qps[1]);
    };

    // 1. The CLI as a user runs it, cold (a fresh process: V8 has compiled nothing yet). Its rate is
    //    taken from the JSON summary (durationMs: the scan itself, without Node's start-up).
    const ipFile = join(work, 'b-targets.txt');
    writeFileSync(ipFile, `${targets.map((t) => t.value).join('\n')}\n`);
    const cli: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await run(process.execPath, [
        'bin/mailpace-cli.js', 'blocklist', 'scan', '--file', ipFile, '--max-targets', '4096',
        ...ZONES.flatMap((z) => ['--zone', z]), '--dns', `${rbl.host}:${rbl.port}`, '--concurrency', String(CONCURRENCY), '--json',
      ]);
      const s = JSON.parse(r.stdout).summary;
      if (s.dnsQueries !== 8192 || s.clean !== 8192) throw new Error(`unexpected CLI scan result (exit ${r.code}): ${r.stdout.slice(0, 300)}${r.stderr}`);
      cli.push(s.dnsQueries / (s.durationMs / 1000));
    }

    // 2. In this process, warm: two scans to let V8 compile the hot path, then five measured ones,
    //    each with a fresh resolver (new sockets), each followed by a dnsperf run so that any drift
    //    of the machine's speed reaches both tools alike.
    const scanOnce = async (): Promise<number> => {
      const base = new SocketResolver({ servers: [{ host: rbl.host, port: rbl.port }], timeoutMs: 5000 });
      const deps = { resolver: new LimitingResolver(base, CONCURRENCY), clock: systemClock, timeoutMs: 5000 };
      const t0 = performance.now();
      const report = await scanBlocklists(deps, targets, lists, { concurrency: CONCURRENCY });
      const sec = (performance.now() - t0) / 1000;
      base.close();
      const s = report.summary;
      if (s.dnsQueries !== 8192 || s.clean !== 8192) throw new Error(`unexpected scan result: ${JSON.stringify(s)}`);
      return s.dnsQueries / sec;
    };
    const warmUp = [await scanOnce(), await scanOnce()];
    const ours: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < 5; i++) {
      ours.push(await scanOnce());
      const p = await dnsperf();
      if (p !== undefined) peer.push(p);
    }
    const list = (xs: number[]) => xs.map((q) => fmt(q)).join(', ');
    console.log(`  mailpace-cli, CLI cold        : ${fmt(median(cli))} queries/s (median of 3 runs: ${list(cli)}; --concurrency ${CONCURRENCY})`);
    console.log(`  mailpace-cli, in-process warm : ${fmt(median(ours))} queries/s (median of 5: ${list(ours)}; after 2 warm-up scans: ${list(warmUp)})`);
    if (peer.length === 0) return;
    console.log(`  dnsperf (same 8,192 queries)  : ${fmt(median(peer))} queries/s (median of 5: ${list(peer)}; default 100 outstanding)`);
    const share = (median(ours) / median(peer)) * 100;
    const coldShare = (median(cli) / median(peer)) * 100;
    console.log(`  → warm, mailpace-cli reaches ${fmt(share, 1)}% of dnsperf's rate (target ≥ 30%: ${share >= 30 ? 'met' : 'NOT met'})`);
    console.log(`  → a cold CLI run reaches ${fmt(coldShare, 1)}% (the first ~10,000 queries run before V8 has optimised the hot path)`);
  } finally {
    rbl.stop?.();
  }
}

try {
  console.log(`bench/blocklist — node ${process.version}, ${new Date().toISOString()}`);
  if (!process.env.BENCH_ONLY_B) await setupA();
  await setupB();
} finally {
  rmSync(work, { recursive: true, force: true });
}
