/**
 * check-domain's SPF check: fetch the record, walk every include/redirect (concurrently), count
 * DNS-querying terms and void lookups as RFC 7208 §4.6.4 does, and report the whole tree even past
 * the limits so the user sees the real count.
 */
import type { Deps } from '../deps.js';
import { isFailure, answerError } from '../dns/lookup.js';
import type { Finding } from '../types.js';
import { DNS_MECHANISMS, hasMacro, isSpfRecord, parseSpf, type Mechanism, type Qualifier, type SpfRecord } from '../spf/parse.js';
import { dnsFailureFinding, findingFor } from './check-runner.js';
import { DnsError } from '../errors.js';

/** RFC 7208 §4.6.4 limits. */
export const SPF_LOOKUP_LIMIT = 10;
export const SPF_VOID_LIMIT = 2;
export const SPF_MX_HOST_LIMIT = 10;
/** Safety bound on the tree (a hostile record can fan out exponentially). */
export const SPF_MAX_NODES = 500;

export interface SpfNode {
  domain: string;
  /** How this node was reached. */
  via: 'root' | 'include' | 'redirect';
  qualifier?: Qualifier;
  record: string | null;
  /** DNS-querying terms in this record itself (include, a, mx, ptr, exists, redirect). */
  lookups: number;
  /** Void lookups caused by this record's own terms. */
  voidLookups: number;
  children: SpfNode[];
  /** missing | loop | syntax error | DNS failure | not followed (macro) | limit. */
  error?: string;
}

export interface SpfResult {
  record: string | null;
  /** DNS-querying terms in the whole tree (RFC 7208 §4.6.4); more than 10 is a permerror. */
  lookups: number;
  voidLookups: number;
  tree: SpfNode | null;
  /** Hosts and addresses named directly by the domain's own record (for sending-IP checks). */
  directSources: SpfSource[];
}

export interface SpfSource {
  term: string;
  kind: 'ip4' | 'ip6' | 'a' | 'mx';
  /** Single addresses (ip4/ip6 host, or the A/AAAA of a/mx hosts). */
  addresses: string[];
  /** Networks too large to be single hosts, summarised (e.g. "192.0.2.0/24"). */
  range?: string;
}

interface WalkState {
  deps: Deps;
  nodes: number;
  findings: Finding[];
  /** Domains evaluated, to report loops once per pair. */
  loopsReported: Set<string>;
  mxHosts: Map<string, string[]>;
}

const CHECK = 'spf';

const finding = findingFor(CHECK);

/** Fetches the v=spf1 TXT records at a name. Throws DnsError when DNS fails. */
async function fetchSpf(deps: Deps, domain: string): Promise<{ records: string[]; size?: number; status: string }> {
  const a = await deps.resolver.query(domain, 'TXT');
  if (isFailure(a)) throw answerError(a);
  return { records: a.records.map((r) => r.text).filter(isSpfRecord), size: a.size, status: a.status };
}

/** Whether a name has any address (void if not); DNS failures propagate. */
async function hasAddress(deps: Deps, name: string): Promise<{ void: boolean; addresses: string[] }> {
  const [a, aaaa] = await Promise.all([deps.resolver.query(name, 'A'), deps.resolver.query(name, 'AAAA')]);
  if (isFailure(a)) throw answerError(a);
  if (isFailure(aaaa)) throw answerError(aaaa);
  const addresses = [...a.records.map((r) => r.address), ...aaaa.records.map((r) => r.address)];
  return { void: addresses.length === 0, addresses };
}

/** Terms that count against the 10-lookup limit. */
function countLookups(rec: SpfRecord): number {
  return rec.mechanisms.filter((m) => DNS_MECHANISMS.has(m.name)).length + (rec.redirect !== undefined ? 1 : 0);
}

/** Static evaluation uses the checked domain for %{d} and postmaster@domain as the sender. */
function staticTarget(spec: string | undefined, current: string): string | undefined {
  if (spec === undefined) return current;
  if (hasMacro(spec)) return undefined;
  return spec.replace(/%%/g, '%').replace(/%_/g, ' ').replace(/%-/g, '%20').replace(/\.$/, '').toLowerCase();
}

async function walk(
  st: WalkState,
  domain: string,
  via: SpfNode['via'],
  ancestors: readonly string[],
  qualifier?: Qualifier,
): Promise<SpfNode> {
  const node: SpfNode = { domain, via, record: null, lookups: 0, voidLookups: 0, children: [] };
  if (qualifier) node.qualifier = qualifier;
  st.nodes++;
  if (st.nodes > SPF_MAX_NODES) {
    node.error = `not followed: the tree has more than ${SPF_MAX_NODES} records`;
    return node;
  }
  const parent = ancestors[ancestors.length - 1]!;
  if (ancestors.includes(domain)) {
    node.error = 'loop';
    const key = `${parent}>${domain}`;
    if (!st.loopsReported.has(key)) {
      st.loopsReported.add(key);
      st.findings.push(
        finding('SPF_INCLUDE_LOOP', 'error', `${via} of ${domain} from ${parent} loops back to a record already being evaluated (${[...ancestors, domain].join(' → ')}).`, `Remove the ${via} that points back to ${domain}.`, { chain: [...ancestors, domain] }),
      );
    }
    return node;
  }
  let fetched;
  try {
    fetched = await fetchSpf(st.deps, domain);
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    node.error = `DNS: ${e.message}`;
    st.findings.push(dnsFailureFinding(CHECK, e));
    return node;
  }
  if (fetched.records.length === 0) {
    node.error = 'missing';
    // RFC 7208 §5.2 / §6.1: an include or redirect target without a record is a permerror.
    st.findings.push(
      finding('SPF_INCLUDE_MISSING', 'error', `${via} target ${domain} (from ${parent}) has no SPF record${fetched.status === 'nxdomain' ? ' (the name does not exist)' : ''}: receivers return permerror.`, `Fix or remove "${via === 'include' ? 'include:' : 'redirect='}${domain}"; check the provider's current SPF include name.`, { domain, via }),
    );
    node.voidLookups = fetched.status === 'nxdomain' || fetched.status === 'nodata' ? 1 : 0;
    return node;
  }
  if (fetched.records.length > 1) {
    node.error = 'multiple records';
    node.record = fetched.records[0]!;
    st.findings.push(
      finding('SPF_MULTIPLE_RECORDS', 'error', `${domain} publishes ${fetched.records.length} SPF records (reached by ${via} from ${parent}): permerror.`, `Merge them into one TXT record at ${domain}.`, { records: fetched.records }),
    );
    return node;
  }
  node.record = fetched.records[0]!;
  const parsed = parseSpf(node.record);
  if (!parsed.ok) {
    node.error = `syntax: ${parsed.error}`;
    st.findings.push(
      finding('SPF_SYNTAX_ERROR', 'error', `SPF record of ${domain} (reached by ${via} from ${parent}) does not parse: ${parsed.error}.`, 'Fix the record syntax (RFC 7208 §12); receivers return permerror for the whole evaluation.', { record: node.record }),
    );
    return node;
  }
  await expand(st, node, parsed.record, [...ancestors, domain], false);
  return node;
}

/** Resolves a node's own terms and follows include/redirect, all concurrently. */
async function expand(st: WalkState, node: SpfNode, rec: SpfRecord, chain: string[], isRoot: boolean, sources?: SpfSource[], onSources?: (s: SpfSource[]) => void): Promise<void> {
  const domain = node.domain;
  node.lookups = countLookups(rec);
  const hasAll = rec.mechanisms.some((m) => m.name === 'all');
  const tasks: Promise<void>[] = [];
  /** The root's own a/mx/ip4/ip6 terms: sending-IP checks can start as soon as these are known. */
  const ownTerms: Promise<void>[] = [];
  const children: (SpfNode | undefined)[] = [];

  rec.mechanisms.forEach((m, i) => {
    switch (m.name) {
      case 'include': {
        const target = staticTarget(m.domainSpec, domain);
        if (target === undefined) {
          children[i] = { domain: m.domainSpec!, via: 'include', qualifier: m.qualifier, record: null, lookups: 0, voidLookups: 0, children: [], error: 'not followed: depends on the sender (macro)' };
          return;
        }
        tasks.push(walk(st, target, 'include', chain, m.qualifier).then((n) => void (children[i] = n)));
        return;
      }
      case 'a':
      case 'mx':
      case 'exists': {
        const target = staticTarget(m.domainSpec, domain);
        if (target === undefined) return;
        const t = resolveTerm(st, node, m, target, isRoot ? sources : undefined);
        tasks.push(t);
        ownTerms.push(t);
        return;
      }
      case 'ip4':
      case 'ip6':
        if (isRoot && sources) sources.push(ipSource(m));
        return;
      default:
        return;
    }
  });
  if (rec.redirect !== undefined && !hasAll) {
    const target = staticTarget(rec.redirect, domain);
    if (target !== undefined) {
      tasks.push(walk(st, target, 'redirect', chain).then((n) => void (children[rec.mechanisms.length] = n)));
    }
  }
  if (onSources && sources) void Promise.all(ownTerms).then(() => onSources(sources));
  await Promise.all(tasks);
  node.children = children.filter((c): c is SpfNode => c !== undefined);
}

function ipSource(m: Mechanism): SpfSource {
  const kind = m.name as 'ip4' | 'ip6';
  const full = kind === 'ip4' ? 32 : 128;
  const len = kind === 'ip4' ? m.cidr4 : m.cidr6;
  if (len === undefined || len === full) return { term: m.raw, kind, addresses: [m.network!] };
  return { term: m.raw, kind, addresses: [], range: `${m.network}/${len}` };
}

async function resolveTerm(st: WalkState, node: SpfNode, m: Mechanism, target: string, sources?: SpfSource[]): Promise<void> {
  try {
    if (m.name === 'exists') {
      const a = await st.deps.resolver.query(target, 'A');
      if (isFailure(a)) throw answerError(a);
      if (a.records.length === 0) node.voidLookups++;
      return;
    }
    if (m.name === 'a') {
      const r = await hasAddress(st.deps, target);
      if (r.void) node.voidLookups++;
      sources?.push({ term: m.raw, kind: 'a', addresses: r.addresses });
      return;
    }
    // mx: the MX query counts as the lookup; the hosts' address queries do not, but more than
    // 10 MX names is a permerror and each empty answer is a void lookup (RFC 7208 §4.6.4).
    const mx = await st.deps.resolver.query(target, 'MX');
    if (isFailure(mx)) throw answerError(mx);
    const hosts = mx.records.map((r) => r.exchange.toLowerCase()).filter((h) => h !== '' && h !== '.');
    if (hosts.length === 0) {
      node.voidLookups++;
      sources?.push({ term: m.raw, kind: 'mx', addresses: [] });
      return;
    }
    if (hosts.length > SPF_MX_HOST_LIMIT) {
      st.findings.push(
        finding('SPF_MX_TOO_MANY_HOSTS', 'error', `"${m.raw}" in ${node.domain} names ${hosts.length} MX hosts; more than ${SPF_MX_HOST_LIMIT} is a permerror.`, 'Replace the mx mechanism with ip4:/ip6: ranges of the sending hosts.', { hosts }),
      );
    }
    const resolved = await Promise.all(hosts.slice(0, SPF_MX_HOST_LIMIT).map((h) => hasAddress(st.deps, h)));
    for (const r of resolved) if (r.void) node.voidLookups++;
    st.mxHosts.set(target, hosts);
    sources?.push({ term: m.raw, kind: 'mx', addresses: resolved.flatMap((r) => r.addresses) });
  } catch (e) {
    if (!(e instanceof DnsError)) throw e;
    st.findings.push(dnsFailureFinding(CHECK, e));
  }
}

function totals(node: SpfNode): { lookups: number; voidLookups: number } {
  let lookups = node.lookups;
  let voidLookups = node.voidLookups;
  for (const c of node.children) {
    const t = totals(c);
    lookups += t.lookups;
    voidLookups += t.voidLookups;
  }
  return { lookups, voidLookups };
}

/** Findings about the domain's own record that do not depend on the walk. */
function recordFindings(domain: string, rec: SpfRecord): Finding[] {
  const out: Finding[] = [];
  const allIdx = rec.mechanisms.findIndex((m) => m.name === 'all');
  const all = allIdx >= 0 ? rec.mechanisms[allIdx] : undefined;
  if (all?.qualifier === '+') {
    out.push(finding('SPF_PLUS_ALL', 'error', `${domain}'s SPF ends in "${all.raw}": every host on the Internet passes SPF for ${domain}.`, 'Replace it with "-all" (or "~all" while you confirm every sender is listed).', { term: all.raw }));
  } else if (all?.qualifier === '?') {
    out.push(finding('SPF_NEUTRAL_ALL', 'warning', `${domain}'s SPF ends in "?all": unlisted senders are neutral, which protects nothing.`, 'Use "~all" or "-all" once every legitimate sender is listed.', { term: all.raw }));
  }
  if (!all && rec.redirect === undefined) {
    out.push(finding('SPF_NO_ALL', 'warning', `${domain}'s SPF has no "all" and no "redirect": mail from unlisted hosts gets neutral.`, 'End the record with "-all" (or "~all").'));
  }
  if (all && allIdx < rec.mechanisms.length - 1) {
    const after = rec.mechanisms.slice(allIdx + 1).map((m) => m.raw);
    out.push(finding('SPF_ALL_NOT_LAST', 'warning', `${domain}'s SPF has terms after "${all.raw}" that are never evaluated: ${after.join(' ')}.`, `Move "${all.raw}" to the end of the record.`, { ignored: after }));
  }
  if (all && rec.redirect !== undefined) {
    out.push(finding('SPF_REDIRECT_IGNORED', 'info', `${domain}'s SPF has both "all" and "redirect=${rec.redirect}"; the redirect is ignored.`, 'Remove one of them.'));
  }
  return out;
}

function collectPtr(node: SpfNode, into: string[]): void {
  if (node.record) {
    const p = parseSpf(node.record);
    if (p.ok && p.record.mechanisms.some((m) => m.name === 'ptr')) into.push(node.domain);
  }
  for (const c of node.children) collectPtr(c, into);
}

export interface CheckSpfOptions {
  /**
   * Called once the hosts named directly by the domain's own record are resolved, before the
   * include tree is finished (sending-IP checks start from it). Always called, at the latest on return.
   */
  onDirectSources?: (sources: SpfSource[]) => void;
}

export async function checkSpf(deps: Deps, domain: string, opts: CheckSpfOptions = {}): Promise<{ result: SpfResult; findings: Finding[] }> {
  let announced = false;
  const announce = (sources: SpfSource[]) => {
    if (announced) return;
    announced = true;
    opts.onDirectSources?.(sources);
  };
  try {
    return await checkSpfRecord(deps, domain, announce);
  } finally {
    announce([]);
  }
}

async function checkSpfRecord(deps: Deps, domain: string, announce: (s: SpfSource[]) => void): Promise<{ result: SpfResult; findings: Finding[] }> {
  const result: SpfResult = { record: null, lookups: 0, voidLookups: 0, tree: null, directSources: [] };
  const findings: Finding[] = [];
  let fetched;
  try {
    fetched = await fetchSpf(deps, domain);
  } catch (e) {
    if (e instanceof DnsError) return { result, findings: [dnsFailureFinding(CHECK, e)] };
    throw e;
  }
  if (fetched.records.length === 0) {
    findings.push(finding('SPF_MISSING', 'error', `${domain} publishes no SPF record: receivers cannot tell which hosts may send as ${domain}.`, `Publish a TXT record at ${domain} such as "v=spf1 include:<your provider> -all" listing every service that sends your mail.`));
    return { result, findings };
  }
  if (fetched.records.length > 1) {
    result.record = fetched.records[0]!;
    findings.push(finding('SPF_MULTIPLE_RECORDS', 'error', `${domain} publishes ${fetched.records.length} SPF records: every SPF check returns permerror.`, 'Merge them into a single TXT record starting "v=spf1".', { records: fetched.records }));
    return { result, findings };
  }
  const text = fetched.records[0]!;
  result.record = text;
  if ((fetched.size ?? 0) > 512) {
    findings.push(finding('SPF_RECORD_TOO_LONG', 'warning', `The TXT answer holding ${domain}'s SPF is ${fetched.size} octets; over 512, some receivers fail to fetch it over UDP (RFC 7208 §3.4).`, 'Shorten the record or move parts into include: records; remove stale TXT records at the same name.', { size: fetched.size }));
  }
  const parsed = parseSpf(text);
  if (!parsed.ok) {
    findings.push(finding('SPF_SYNTAX_ERROR', 'error', `${domain}'s SPF record does not parse: ${parsed.error}.`, 'Fix the record syntax (RFC 7208 §12); receivers return permerror.', { record: text, term: parsed.term }));
    result.tree = { domain, via: 'root', record: text, lookups: 0, voidLookups: 0, children: [], error: `syntax: ${parsed.error}` };
    return { result, findings };
  }
  findings.push(...recordFindings(domain, parsed.record));
  const st: WalkState = { deps, nodes: 1, findings: [], loopsReported: new Set(), mxHosts: new Map() };
  const root: SpfNode = { domain, via: 'root', record: text, lookups: 0, voidLookups: 0, children: [] };
  await expand(st, root, parsed.record, [domain], true, result.directSources, announce);
  announce(result.directSources);
  findings.push(...st.findings);
  result.tree = root;
  const t = totals(root);
  result.lookups = t.lookups;
  result.voidLookups = t.voidLookups;
  if (t.lookups > SPF_LOOKUP_LIMIT) {
    findings.push(finding('SPF_TOO_MANY_LOOKUPS', 'error', `${domain}'s SPF needs ${t.lookups} DNS lookups; receivers stop at ${SPF_LOOKUP_LIMIT} and return permerror (RFC 7208 §4.6.4).`, 'Flatten includes you control into ip4:/ip6: ranges, drop services you no longer use, or move senders to subdomains with their own SPF.', { lookups: t.lookups }));
  }
  if (t.voidLookups > SPF_VOID_LIMIT) {
    findings.push(finding('SPF_TOO_MANY_VOID_LOOKUPS', 'warning', `${domain}'s SPF makes ${t.voidLookups} lookups that return nothing; receivers may return permerror after ${SPF_VOID_LIMIT} (RFC 7208 §4.6.4).`, 'Remove a:, mx:, include: and exists: terms that point at names without records.', { voidLookups: t.voidLookups }));
  }
  const ptrIn: string[] = [];
  collectPtr(root, ptrIn);
  if (ptrIn.length > 0) {
    findings.push(finding('SPF_PTR_MECHANISM', 'warning', `The "ptr" mechanism is used (${ptrIn.join(', ')}); it is slow and unreliable, and many receivers skip it (RFC 7208 §5.5).`, 'Replace ptr with ip4:/ip6: ranges or a: names of the sending hosts.', { records: ptrIn }));
  }
  return { result, findings };
}
