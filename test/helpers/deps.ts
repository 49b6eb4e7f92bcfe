/** Deps for tests: the real dns2 resolver pointed at a fixture DNS server, cached and bounded as in production, a fake clock. */
import { FakeClock } from '../../src/core/clock.js';
import type { Deps } from '../../src/core/deps.js';
import { CachingResolver } from '../../src/core/dns/caching-resolver.js';
import { SocketResolver } from '../../src/core/dns/socket-resolver.js';
import { LimitingResolver } from '../../src/core/dns/limiting-resolver.js';
import type { DnsFixtureServer } from './dns-server.js';

export function testDeps(srv: DnsFixtureServer, opts: { timeoutMs?: number } = {}): Deps {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const base = new SocketResolver({ servers: [{ host: '127.0.0.1', port: srv.port }], timeoutMs });
  const resolver = new CachingResolver(new LimitingResolver(base, 64));
  return { resolver, clock: new FakeClock(1_700_000_000_000), timeoutMs };
}
