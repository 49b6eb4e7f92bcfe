/**
 * What TLS a recipient domain demands of a sender, from DNS and HTTPS:
 * - MTA-STS (RFC 8461): with a policy in `enforce` mode the MX host must match one of the policy's
 *   mx patterns (§4.1) and present a certificate that chains to a trusted root, names the host and
 *   is in date (§4.2) — else the sender must not deliver there (§5.1: "MUST NOT deliver"). Policies
 *   in `testing` mode are reported, not enforced. Discovery and parsing reuse probe's code. A
 *   fetched policy is kept in the store for its max_age (§3.3): it is fetched again only when the
 *   TXT record's id changes (§3.1), and while it lasts it is applied even when DNS or the policy
 *   host fails (§3.3: with no live policy but a valid cached one, the sender MUST apply the cached
 *   policy) — which is what stops an attacker who blocks the fetch from downgrading delivery.
 * - DANE (RFC 7672): a host with usable TLSA records that the resolver authenticated (AD bit) must
 *   present a chain matching them (§2.2); hosts without TLSA records stay opportunistic (§2.2.1).
 *   DANE takes precedence over MTA-STS (RFC 8461 §2).
 */
import { X509Certificate } from 'node:crypto';
import type { Resolver } from '../dns/types.js';
import { lookupTlsa, matchTlsa } from '../probe/dane.js';
import { discoverMtaSts, mxPatternMatches, type MtaStsDiscovery, type MtaStsPolicy, type PolicyFetcher } from '../probe/mta-sts.js';
import type { Clock } from '../clock.js';
import type { CachedMtaStsPolicy, Store } from '../store/store.js';
import { finding } from '../probe/host-findings.js';
import type { TlsaRecord } from '../dns/types.js';
import type { TlsPolicyOutcome } from './engine.js';
import { routeDomain } from './route.js';
import type { TlsRequirement } from './transport.js';

function certificateNames(der: Buffer | undefined, host: string): boolean {
  if (!der) return false;
  try {
    return new X509Certificate(der).checkHost(host) !== undefined;
  } catch {
    return false;
  }
}

export interface TlsPolicyDeps {
  resolver: Resolver;
  fetcher?: PolicyFetcher;
  port: number;
  /** Where fetched MTA-STS policies are kept between runs; without it every run fetches. */
  policyCache?: { store: Pick<Store, 'getMtaStsPolicy' | 'putMtaStsPolicy'>; clock: Clock };
}

/** The MTA-STS policy that applies to `domain` now, and where it came from. */
interface CurrentMtaSts {
  discovery: MtaStsDiscovery;
  policy?: MtaStsPolicy;
  /** fetched: from the policy host now; cached: the stored one (same id, or the fetch failed). */
  source?: 'fetched' | 'cached';
  /** The cached policy's id and expiry when it was used. */
  cached?: CachedMtaStsPolicy;
}

function fromCache(c: CachedMtaStsPolicy): MtaStsPolicy {
  return { version: 'STSv1', mode: c.mode, mx: [...c.mx], maxAge: c.maxAge };
}

/**
 * RFC 8461 §5.1's flow with a cache: an unexpired cached policy whose id the TXT record still
 * names is used without a fetch; a new id (or no usable cached policy) fetches, and a fetched
 * policy replaces the cached one for max_age seconds (§3.3); when no live policy can be had (no
 * record, DNS failure, fetch or parse failure), an unexpired cached policy is still applied (§3.3).
 */
async function currentMtaSts(deps: TlsPolicyDeps, domain: string, signal?: AbortSignal): Promise<CurrentMtaSts> {
  const cache = deps.policyCache;
  const key = domain.toLowerCase();
  const stored = cache ? await cache.store.getMtaStsPolicy(key) : undefined;
  const live = stored && cache && stored.expiresAt > cache.clock.now() ? stored : undefined;
  const discovery = await discoverMtaSts(deps.resolver, domain, deps.fetcher, signal, live ? { knownId: live.id } : {});
  if (discovery.unchanged && live) return { discovery, policy: fromCache(live), source: 'cached', cached: live };
  if (discovery.policy) {
    if (cache && discovery.id !== undefined) {
      const fetchedAt = cache.clock.now();
      const p = discovery.policy;
      await cache.store.putMtaStsPolicy({ domain: key, id: discovery.id, mode: p.mode, mx: p.mx, maxAge: p.maxAge, fetchedAt, expiresAt: fetchedAt + p.maxAge * 1000 });
    }
    return { discovery, policy: discovery.policy, source: 'fetched' };
  }
  if (live) return { discovery, policy: fromCache(live), source: 'cached', cached: live };
  return { discovery };
}

export async function tlsPolicyFor(deps: TlsPolicyDeps, domain: string, signal?: AbortSignal): Promise<TlsPolicyOutcome> {
  const requirements: TlsRequirement[] = [];
  const findings: TlsPolicyOutcome['findings'] = [];
  const [sts, route] = await Promise.all([currentMtaSts(deps, domain, signal), routeDomain(deps.resolver, domain, { port: deps.port, random: () => 0 })]);

  // DANE: TLSA per MX host, only when authenticated.
  const dane = new Map<string, TlsaRecord[]>();
  if (route.kind === 'hosts') {
    const lookups = await Promise.all(route.hosts.map(async (h) => ({ host: h.host, t: await lookupTlsa(deps.resolver, h.host, h.port) })));
    for (const { host, t } of lookups) {
      const usable = t.records.filter((r) => r.usage === 2 || r.usage === 3);
      if (t.authenticated && usable.length > 0) dane.set(host, usable);
    }
  }
  if (dane.size > 0) {
    requirements.push({
      failure: 'DANE_FAILED',
      appliesTo: (host) => dane.has(host),
      checkSession: (host, _port, tls) => {
        const v = matchTlsa(dane.get(host)!, tls.chain);
        return v.matched ? undefined : `the certificate chain of ${host} matches none of its ${v.usable} TLSA record(s)`;
      },
    });
  }

  if (sts.policy && sts.policy.mode === 'enforce') {
    const policy = sts.policy;
    requirements.push({
      failure: 'MTA_STS_POLICY_FAILED',
      // DANE wins for hosts that have it (RFC 8461 §2)
      appliesTo: (host) => !dane.has(host),
      checkHost: (host) => (policy.mx.some((p) => mxPatternMatches(p, host)) ? undefined : `${host} is not among the MTA-STS policy's mx hosts (${policy.mx.join(', ')})`),
      checkSession: (host, _port, tls) => {
        if (!tls.authorized) return `the certificate of ${host} does not verify: ${tls.authorizationError ?? 'untrusted chain'}`;
        if (!certificateNames(tls.chain[0], host)) return `the certificate of ${host} does not name it`;
        return undefined;
      },
    });
  } else if (sts.discovery.published && sts.discovery.error && !sts.policy) {
    // RFC 8461 §5: a policy that cannot be fetched is treated as absent (opportunistic), but say so.
    findings.push(finding('MTA_STS_POLICY_FAILED', 'send', `${domain} publishes MTA-STS but the policy could not be used: ${sts.discovery.error}; delivering with opportunistic TLS (RFC 8461 §5)`, { severity: 'warning' }));
  }
  if (sts.source === 'cached' && sts.cached && !sts.discovery.unchanged) {
    // the fetch (or DNS) failed and the stored policy stands in: worth knowing, not an error
    const why = sts.discovery.error ?? (sts.discovery.dnsError ? `DNS: ${sts.discovery.dnsError.message}` : sts.discovery.published ? 'the record changed' : 'no MTA-STS record found');
    findings.push(
      finding('MTA_STS_POLICY_CACHED', 'send', `${domain}: no live MTA-STS policy (${why}); applying the cached policy (id ${sts.cached.id}, mode ${sts.cached.mode}) until it expires at ${new Date(sts.cached.expiresAt).toISOString()} (RFC 8461 §3.3)`, {
        severity: 'info',
      }),
    );
  }
  return { requirements, findings };
}
