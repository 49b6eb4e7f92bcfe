/**
 * Sending-IP checks: a PTR record exists, its name resolves back to the IP (forward-confirmed reverse
 * DNS, FCrDNS), and it does not look like a generic/dynamic host name. Gmail, Yahoo and Microsoft
 * require valid forward and reverse DNS for sending IPs.
 */
import type { Deps } from '../deps.js';
import { answerError, isFailure } from '../dns/lookup.js';
import { canonicalIp, reverseName } from '../net/ip-address.js';
import { DnsError } from '../errors.js';
import type { Finding } from '../types.js';
import { dnsFailureFinding, findingFor } from './check-runner.js';

export interface PtrResult {
  ip: string;
  /** Where the IP came from: "--ip" or the SPF term that names it. */
  source: string;
  ptr: string[];
  forwardConfirmed: boolean;
  generic: boolean;
}

/**
 * Host-name shapes that mark a dynamically assigned or mass-generated reverse name. Sources: common
 * ISP naming conventions as listed in the Spamhaus PBL FAQ and the generic-rDNS heuristics of the
 * SpamAssassin RDNS_DYNAMIC rule; keep as data.
 */
export const GENERIC_PTR_PATTERNS = [
  { id: 'dynamic-word', pattern: /(^|[.-])(dynamic|dyn|dhcp|pool|dial-?up|dsl|adsl|cable|ppp|pppoe|client|customer|cust|broadband|home|user|static-ip|unassigned|nat)([.-]|\d|$)/i },
  { id: 'cloud-default', pattern: /(^ec2-.*\.compute(-1)?\.amazonaws\.com$|\.bc\.googleusercontent\.com$|^static\.\d+\.\d+\.\d+\.\d+\.clients\.your-server\.de$)/i },
] as const;

/** True when the PTR name embeds the IP's octets (e.g. 203-0-113-5.example.net or 5.113.0.203.x). */
export function embedsAddress(name: string, ip: string): boolean {
  if (!ip.includes('.')) {
    const compact = canonicalIp(ip).replace(/:/g, '');
    return name.toLowerCase().replace(/[^0-9a-f]/g, '').includes(compact.slice(-8));
  }
  const o = ip.split('.');
  const seps = ['-', '.', '_', ''];
  for (const sep of seps) {
    if (name.includes(o.join(sep)) || name.includes([...o].reverse().join(sep))) return true;
  }
  return false;
}

export function isGenericPtr(name: string, ip: string): boolean {
  return embedsAddress(name, ip) || GENERIC_PTR_PATTERNS.some((p) => p.pattern.test(name));
}

const CHECK = 'ptr';

const finding = findingFor(CHECK);

export async function checkPtr(deps: Deps, ip: string, source: string): Promise<{ result: PtrResult; findings: Finding[] }> {
  const result: PtrResult = { ip, source, ptr: [], forwardConfirmed: false, generic: false };
  const findings: Finding[] = [];
  try {
    const a = await deps.resolver.query(reverseName(ip), 'PTR');
    if (isFailure(a)) throw answerError(a);
    result.ptr = a.records.map((r) => r.target.toLowerCase().replace(/\.$/, ''));
    if (result.ptr.length === 0) {
      findings.push(finding('PTR_MISSING', 'error', `Sending IP ${ip} (${source}) has no PTR record; Gmail, Yahoo and Microsoft reject or junk mail from IPs without reverse DNS.`, `Ask whoever owns ${ip} (your host or ISP) to set its PTR to your mail host name, e.g. mail.<your domain>, which must resolve back to ${ip}.`, { ip }));
      return { result, findings };
    }
    const want = canonicalIp(ip);
    const type = ip.includes(':') ? 'AAAA' : 'A';
    const forward = await Promise.all(
      result.ptr.map(async (name) => {
        const f = await deps.resolver.query(name, type);
        if (isFailure(f)) throw answerError(f);
        return f.records.some((r) => 'address' in r && canonicalIp(r.address) === want);
      }),
    );
    result.forwardConfirmed = forward.some(Boolean);
    if (!result.forwardConfirmed) {
      findings.push(finding('PTR_NOT_FORWARD_CONFIRMED', 'error', `PTR of ${ip} is ${result.ptr.join(', ')}, but that name does not resolve back to ${ip} (no forward-confirmed reverse DNS).`, `Add ${type} ${ip} to ${result.ptr[0]}, or change the PTR to a name that has it.`, { ip, ptr: result.ptr }));
    }
    result.generic = result.ptr.every((n) => isGenericPtr(n, ip));
    if (result.generic) {
      findings.push(finding('PTR_GENERIC', 'warning', `PTR of ${ip} (${result.ptr.join(', ')}) looks generic or dynamic; receivers treat such senders as home connections or unconfigured servers.`, `Set the PTR to a specific mail host name in your domain (e.g. mail.<your domain>).`, { ip, ptr: result.ptr }));
    }
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    findings.push(dnsFailureFinding(CHECK, e));
  }
  return { result, findings };
}
