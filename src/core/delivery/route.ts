/**
 * Where to deliver a recipient domain's mail, the way an MTA routes it (RFC 5321 §5.1):
 * MX hosts in preference order, hosts of equal preference in random order ("the sender-SMTP MUST
 * randomize them to spread the load", §5.1), every address of a host (A and AAAA) before the next
 * host; no MX → the domain's own A/AAAA (implicit MX); a null MX (RFC 7505) → nowhere: bounce at
 * once with 5.1.10. Or everything through one relay (submission).
 */
import type { Resolver } from '../dns/types.js';
import type { DnsError } from '../errors.js';
import { resolveMailHosts, resolveAddresses } from '../probe/mail-hosts.js';

export interface RouteHost {
  host: string;
  priority: number;
  port: number;
  implicit?: boolean;
}

export interface RelayAuth {
  user: string;
  pass: string;
}

export type Route =
  | { kind: 'hosts'; domain: string; hosts: RouteHost[]; relay?: { secure: boolean; auth?: RelayAuth } }
  | { kind: 'null-mx'; domain: string }
  | { kind: 'no-host'; domain: string; reason: 'nxdomain' | 'no-address' }
  | { kind: 'dns-error'; domain: string; error: DnsError };

/** Shuffles runs of equal priority in place (Fisher–Yates within each run). */
export function shuffleEqualPriorities<T extends { priority: number }>(hosts: T[], random: () => number): T[] {
  let start = 0;
  while (start < hosts.length) {
    let end = start + 1;
    while (end < hosts.length && hosts[end]!.priority === hosts[start]!.priority) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [hosts[i], hosts[j]] = [hosts[j]!, hosts[i]!];
    }
    start = end;
  }
  return hosts;
}

export async function routeDomain(resolver: Resolver, domain: string, opts: { port: number; random: () => number }): Promise<Route> {
  const r = await resolveMailHosts(resolver, domain);
  switch (r.kind) {
    case 'null-mx':
      return { kind: 'null-mx', domain };
    case 'none':
      return { kind: 'no-host', domain, reason: r.reason };
    case 'dns-error':
      return { kind: 'dns-error', domain, error: r.error };
    case 'hosts':
      return { kind: 'hosts', domain, hosts: shuffleEqualPriorities(r.hosts.map((h) => ({ ...h, port: opts.port })), opts.random) };
  }
}

/** The addresses of one route host, A then AAAA (an IP literal is its own address). */
export { resolveAddresses };

export interface RelayTarget {
  host: string;
  port: number;
  /** smtps:// (implicit TLS, RFC 8314 §3.3) rather than STARTTLS. */
  secure: boolean;
}

/**
 * `--relay smtp://host[:port]` or `smtps://host[:port]`. Without a port: 587 for smtp (submission,
 * RFC 6409) and 465 for smtps (RFC 8314 §7.3). Credentials never come from the URL: a URL is
 * argv, and argv is visible to every user of the machine.
 */
export function parseRelayUrl(value: string): RelayTarget | { error: string } {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return { error: `--relay "${value}" is not a URL (use smtp://host[:port] or smtps://host[:port])` };
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') return { error: `--relay "${value}": the scheme must be smtp:// or smtps://` };
  if (u.username || u.password) return { error: '--relay must not carry credentials: give --user, and the password in MAILPACE_SMTP_PASSWORD or --password-file' };
  if (!u.hostname) return { error: `--relay "${value}" has no host` };
  if ((u.pathname && u.pathname !== '/') || u.search || u.hash) return { error: `--relay "${value}": only smtp[s]://host[:port] is accepted` };
  const secure = u.protocol === 'smtps:';
  const port = u.port ? Number(u.port) : secure ? 465 : 587;
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port, secure };
}
