/**
 * The bulk-sender verdict: the published requirements for senders of 5,000+ messages a day, checked
 * against what DNS can show. Sources:
 * - Gmail: "Email sender guidelines", support.google.com/a/answer/81126 (requirements from February 2024).
 * - Yahoo: "Sender Best Practices", senders.yahooinc.com/best-practices (February 2024).
 * - Microsoft: "Strengthening Email Ecosystem: Outlook's New Requirements for High-Volume Senders",
 *   techcommunity.microsoft.com (Outlook.com, Hotmail, Live; enforced from May 2025).
 * Requirements that only a real message or mailbox-provider data can show are listed as unverified,
 * with the command (or place) that checks them.
 */
import type { Finding } from '../types.js';
import type { DomainReport } from './check-domain.js';
import { SPF_LOOKUP_LIMIT } from './spf.js';

export const PROVIDERS = ['gmail', 'yahoo', 'microsoft'] as const;
export type Provider = (typeof PROVIDERS)[number];
export type Verdict = 'pass' | 'fail';

/** Which provider demands what (data: a requirement, the providers that require it). */
export const BULK_REQUIREMENTS = {
  spf: { providers: ['gmail', 'yahoo', 'microsoft'], text: 'SPF published and passing for the sending domain' },
  dkim: { providers: ['gmail', 'yahoo', 'microsoft'], text: 'DKIM signing with a published key (1024 bits or more)' },
  dmarc: { providers: ['gmail', 'yahoo', 'microsoft'], text: 'DMARC record with at least p=none' },
  alignment: { providers: ['gmail', 'yahoo', 'microsoft'], text: 'From domain aligned with SPF or DKIM (DMARC can pass)' },
  ptr: { providers: ['gmail', 'yahoo'], text: 'Sending IPs have forward-confirmed reverse DNS (PTR)' },
  tls: { providers: ['gmail'], text: 'TLS for transmitting mail' },
  unsubscribe: { providers: ['gmail', 'yahoo', 'microsoft'], text: 'One-click unsubscribe (RFC 8058 List-Unsubscribe-Post) on marketing mail' },
  spamRate: { providers: ['gmail', 'yahoo'], text: 'Spam complaint rate below 0.3% (aim for under 0.1%)' },
  format: { providers: ['gmail'], text: 'Messages formatted per RFC 5322' },
} as const satisfies Record<string, { providers: readonly Provider[]; text: string }>;
export type Requirement = keyof typeof BULK_REQUIREMENTS;

export interface BulkReason {
  requirement: Requirement;
  providers: Provider[];
  status: 'pass' | 'fail' | 'unverified';
  detail: string;
  /** How to verify an unverified requirement. */
  check?: string;
}

export interface BulkSenderVerdict {
  gmail: Verdict;
  yahoo: Verdict;
  microsoft: Verdict;
  reasons: BulkReason[];
}

const has = (r: DomainReport, prefix: string, severity?: Finding['severity']) => r.findings.some((f) => f.code.startsWith(prefix) && (!severity || f.severity === severity));

export function bulkSenderVerdict(r: DomainReport): BulkSenderVerdict {
  const reasons: BulkReason[] = [];
  const add = (requirement: Requirement, status: BulkReason['status'], detail: string, check?: string) => {
    const reason: BulkReason = { requirement, providers: [...BULK_REQUIREMENTS[requirement].providers], status, detail };
    if (check) reason.check = check;
    reasons.push(reason);
  };

  if (has(r, 'DOMAIN_NOT_FOUND')) {
    // nothing was checked: a domain that does not exist can publish none of the records
    const detail = `${r.domain} does not exist in DNS (NXDOMAIN)`;
    for (const requirement of ['spf', 'dkim', 'dmarc', 'alignment'] as const) add(requirement, 'fail', detail);
  } else {
    // SPF: a record that receivers can evaluate, and (with --ip) passing for the sending IPs.
    const spfBroken = !r.spf.record || has(r, 'SPF_MISSING') || has(r, 'SPF_MULTIPLE') || has(r, 'SPF_SYNTAX') || r.spf.lookups > SPF_LOOKUP_LIMIT || has(r, 'SPF_INCLUDE_MISSING') || has(r, 'SPF_INCLUDE_LOOP');
    const ipFails = r.sendingIps.filter((p) => p.spf !== undefined && p.spf !== 'pass');
    if (spfBroken) add('spf', 'fail', r.spf.record ? 'the SPF record would give permerror (see the SPF findings)' : 'no SPF record');
    else if (ipFails.length > 0) add('spf', 'fail', `SPF does not pass for ${ipFails.map((p) => `${p.ip} (${p.spf})`).join(', ')}`);
    else add('spf', 'pass', r.sendingIps.some((p) => p.spf === 'pass') ? 'SPF passes for the given sending IPs' : 'SPF record valid (give --ip to evaluate it for your sending IPs)');

    const usable = r.dkim.selectors.filter((s) => s.found && s.bits !== null && s.bits >= 1024);
    if (usable.length > 0) add('dkim', 'pass', `key${usable.length > 1 ? 's' : ''} found: ${usable.map((s) => `${s.selector} (${s.keyType} ${s.bits})`).join(', ')}`);
    else if (r.dkim.source === 'common') add('dkim', 'fail', `no DKIM key found under ${r.dkim.tried.length} common selectors; pass your selector with --selector`);
    else add('dkim', 'fail', 'no usable DKIM key under the given selectors');

    const dmarcOk = r.dmarc.record !== null && r.dmarc.policy !== null && !has(r, 'DMARC_MULTIPLE');
    if (dmarcOk) add('dmarc', 'pass', `p=${r.dmarc.policy}${r.dmarc.inherited ? ` (from ${r.dmarc.orgDomain})` : ''}`);
    else add('dmarc', 'fail', r.dmarc.record ? 'the DMARC record is not usable (see the DMARC findings)' : 'no DMARC record');

    // Alignment is possible when SPF or DKIM is published for the From domain itself (relaxed mode also
    // accepts the organisational domain, which check-domain covers by checking that domain).
    const spfAligned = !spfBroken;
    const dkimAligned = usable.length > 0;
    if (dmarcOk && (spfAligned || dkimAligned)) add('alignment', 'pass', `possible through ${[spfAligned && 'SPF', dkimAligned && 'DKIM'].filter(Boolean).join(' and ')} at ${r.domain}`);
    else add('alignment', 'fail', !dmarcOk ? 'no usable DMARC record to align with' : `neither SPF nor DKIM is usable at ${r.domain}`);
  }

  if (r.sendingIps.length === 0) add('ptr', 'unverified', 'no sending IPs known', 'mailpace-cli check-domain <domain> --ip <sending ip>');
  else {
    const bad = r.sendingIps.filter((p) => !p.forwardConfirmed);
    if (bad.length > 0) add('ptr', 'fail', `no forward-confirmed PTR for ${bad.map((p) => p.ip).join(', ')}`);
    else add('ptr', 'pass', `${r.sendingIps.length} sending IP(s) forward-confirmed`);
  }

  const stsActive = r.mtaSts?.active ?? false;
  const dane = r.dane?.present ?? false;
  // TLS on the sending side cannot be seen in DNS; MTA-STS or DANE shows the domain's own mail uses it.
  if (stsActive || dane) add('tls', 'pass', `the domain's MX publishes ${[stsActive && 'MTA-STS', dane && 'DANE'].filter(Boolean).join(' and ')}`);
  else add('tls', 'unverified', 'no MTA-STS or DANE published; TLS of your outbound mail is not visible in DNS', 'mailpace-cli probe <recipient domain> (and your ESP\'s TLS settings)');

  add('unsubscribe', 'unverified', 'a property of each message', 'mailpace-cli score <message.eml> --bulk');
  add('spamRate', 'unverified', 'measured by the mailbox providers', 'Google Postmaster Tools, Yahoo Sender Hub, Microsoft SNDS');
  add('format', 'unverified', 'a property of each message', 'mailpace-cli score <message.eml>');

  const verdict = (p: Provider): Verdict => (reasons.some((x) => x.status === 'fail' && x.providers.includes(p)) ? 'fail' : 'pass');
  return { gmail: verdict('gmail'), yahoo: verdict('yahoo'), microsoft: verdict('microsoft'), reasons };
}

/** One finding per failed requirement (error), so --profile bulk fails CI when a provider would. */
export function bulkSenderFindings(domain: string, v: BulkSenderVerdict): Finding[] {
  return v.reasons
    .filter((x) => x.status === 'fail')
    .map((x) => ({
      code: 'BULK_REQUIREMENT_FAILED' as const,
      severity: 'error' as const,
      check: 'bulk',
      message: `${domain} fails the bulk-sender requirement "${BULK_REQUIREMENTS[x.requirement].text}" of ${x.providers.join(', ')}: ${x.detail}.`,
      fix: 'Fix the findings of that check above; the providers reject or junk bulk mail that misses it.',
      evidence: { requirement: x.requirement, providers: x.providers },
    }));
}
