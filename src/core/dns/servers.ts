/** Parsing of --dns values and the system's nameserver list. Never falls back to public resolvers. */
import { getServers } from 'node:dns';
import { ipFamily } from '../net/ip-address.js';
import { UsageError } from '../errors.js';
import type { NameServer } from './types.js';

/** "127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353". */
export function parseNameServer(spec: string): NameServer {
  const s = spec.trim();
  let host = s;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (ipFamily(s) !== 6) {
    const m = /^([^:]+):(\d+)$/.exec(s);
    if (m) {
      host = m[1]!;
      port = Number(m[2]);
    }
  }
  if (ipFamily(host) === 0) {
    throw new UsageError(`--dns "${spec}" is not an IP address (expected ip or ip:port, e.g. 127.0.0.1:53 or [::1]:53)`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--dns "${spec}": port must be 1-65535`);
  }
  return { host, port };
}

/** The system resolver configuration as Node reads it (/etc/resolv.conf on Linux). */
export function systemNameServers(): NameServer[] {
  return getServers().map(parseNameServer);
}
