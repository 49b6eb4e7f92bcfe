/**
 * What TLS a recipient domain demands of a sender, from DNS and HTTPS:
 * - MTA-STS (RFC 8461): with a policy in `enforce` mode the MX host must match one of the policy's
 *   mx patterns (§4.1) and present a certificate that chains to a trusted root, names the host and
 *   is in date (§4.2) — else the sender must not deliver there (§5.1: "MUST NOT deliver"). Policies
 *   in `testing` mode are reported, not enforced. Discovery and parsing reuse probe's code.
 * - DANE (RFC 7672): a host with usable TLSA records that the resolver authenticated (AD bit) must
 *   present a chain matching them (§2.2); hosts without TLSA records stay opportunistic (§2.2.1).
 *   DANE takes precedence over MTA-STS (RFC 8461 §2).
 */
import { X509Certificate } from 'node:crypto';
import type { Resolver } from '../dns/types.js';
import { lookupTlsa, matchTlsa } from '../probe/dane.js';
import { discoverMtaSts, mxPatternMatches, type PolicyFetcher } from '../probe/mta-sts.js';
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
}

export async function tlsPolicyFor(deps: TlsPolicyDeps, domain: string, signal?: AbortSignal): Promise<TlsPolicyOutcome> {
  const requirements: TlsRequirement[] = [];
  const findings: TlsPolicyOutcome['findings'] = [];
  const [sts, route] = await Promise.all([discoverMtaSts(deps.resolver, domain, deps.fetcher, signal), routeDomain(deps.resolver, domain, { port: deps.port, random: () => 0 })]);

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
  } else if (sts.published && sts.error && !sts.policy) {
    // RFC 8461 §5: a policy that cannot be fetched is treated as absent (opportunistic), but say so.
    findings.push(finding('MTA_STS_POLICY_FAILED', 'send', `${domain} publishes MTA-STS but the policy could not be used: ${sts.error}; delivering with opportunistic TLS (RFC 8461 §5)`, { severity: 'warning' }));
  }
  return { requirements, findings };
}
