/**
 * check-domain's MX check: records by priority and each exchange's addresses (RFC 5321 §5.1),
 * null MX (RFC 7505), CNAME exchanges (RFC 2181 §10.3) and address literals.
 */
import { ipFamily } from '../net/ip-address.js';
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import type { DnsAnswer } from '../dns/types.js';
import { DnsError } from '../errors.js';
import type { Finding } from '../types.js';
import { dnsFailureFinding, findingFor } from './check-runner.js';

export interface MxHost {
  exchange: string;
  priority: number;
  addresses: string[];
  /** The CNAME chain, when the exchange is an alias. */
  cname?: string[];
}

export interface MxResult {
  nullMx: boolean;
  hosts: MxHost[];
  /** With no MX: the domain's own addresses, which senders use instead (RFC 5321 §5.1). */
  implicit?: string[];
}

const CHECK = 'mx';

const finding = findingFor(CHECK);

async function addressesOf(deps: Deps, host: string): Promise<{ addresses: string[]; cnames: string[] }> {
  const [a, aaaa] = await Promise.all([deps.resolver.query(host, 'A'), deps.resolver.query(host, 'AAAA')]);
  if (isFailure(a)) throw answerError(a);
  if (isFailure(aaaa)) throw answerError(aaaa);
  return { addresses: [...a.records.map((r) => r.address), ...aaaa.records.map((r) => r.address)], cnames: a.cnames.length ? a.cnames : aaaa.cnames };
}

/** `mxAnswer`: the domain's MX answer when the caller has asked already (check-domain asks it first). */
export async function checkMx(deps: Deps, domain: string, mxAnswer?: Promise<DnsAnswer<'MX'>>): Promise<{ result: MxResult; findings: Finding[] }> {
  const result: MxResult = { nullMx: false, hosts: [] };
  const findings: Finding[] = [];
  try {
    const mx = await (mxAnswer ?? deps.resolver.query(domain, 'MX'));
    if (isFailure(mx)) throw answerError(mx);
    const records = [...mx.records].sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange));
    if (records.length === 0) {
      const implicit = await addressesOf(deps, domain);
      result.implicit = implicit.addresses;
      findings.push(
        implicit.addresses.length > 0
          ? finding('MX_MISSING', 'warning', `${domain} has no MX record; senders fall back to its A/AAAA (${implicit.addresses.join(', ')}), which is rarely a mail server.`, `Publish MX records for ${domain}, or a null MX ("0 .", RFC 7505) if it receives no mail.`)
          : finding('MX_MISSING', 'warning', `${domain} has no MX and no A/AAAA record: mail to it, including bounces and DMARC reports, cannot be delivered.`, `Publish MX records for ${domain}, or a null MX ("0 .") if it should receive no mail.`),
      );
      return { result, findings };
    }
    // RFC 7505 §3: a single MX with an empty exchange (".") means "no mail accepted".
    const isNull = (e: string) => e === '' || e === '.';
    if (records.some((r) => isNull(r.exchange))) {
      result.nullMx = true;
      result.hosts = records.map((r) => ({ exchange: r.exchange || '.', priority: r.priority, addresses: [] }));
      findings.push(finding('MX_NULL', 'info', `${domain} publishes a null MX: it accepts no mail, so it cannot receive bounces or replies.`, records.length > 1 ? 'A null MX must be the only MX record (RFC 7505 §3); remove the others.' : undefined));
      return { result, findings };
    }
    const hosts = await Promise.all(
      records.map(async (r): Promise<MxHost> => {
        const exchange = r.exchange.toLowerCase().replace(/\.$/, '');
        const host: MxHost = { exchange, priority: r.priority, addresses: [] };
        if (ipFamily(exchange) || /^\[.*\]$/.test(exchange)) {
          findings.push(finding('MX_TARGET_IP', 'error', `MX ${r.priority} of ${domain} is an address literal (${exchange}); MX must name a host, so senders treat it as unresolvable.`, `Create an A record such as mx.${domain} → ${exchange} and point the MX at that name.`, { exchange }));
          return host;
        }
        const res = await addressesOf(deps, exchange);
        host.addresses = res.addresses;
        if (res.cnames.length > 0) {
          host.cname = res.cnames;
          findings.push(finding('MX_TARGET_CNAME', 'warning', `MX host ${exchange} of ${domain} is a CNAME (→ ${res.cnames.join(' → ')}); RFC 2181 §10.3 forbids it and some senders refuse it.`, `Point the MX directly at ${res.cnames[res.cnames.length - 1]}.`, { cname: res.cnames }));
        }
        if (res.addresses.length === 0) {
          findings.push(finding('MX_TARGET_UNRESOLVABLE', 'error', `MX host ${exchange} (priority ${r.priority}) of ${domain} has no A or AAAA record: senders cannot deliver to it.`, `Add an address record for ${exchange} or point the MX at a host that has one.`, { exchange }));
        }
        return host;
      }),
    );
    result.hosts = hosts;
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    findings.push(dnsFailureFinding(CHECK, e));
  }
  return { result, findings };
}
