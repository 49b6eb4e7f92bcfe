/** Human rendering of check-domain: one block per domain, a line per check, findings with fixes. */
import type { ChalkInstance } from 'chalk';
import type { CheckDomainReport, DomainReport } from '../core/domain/check-domain.js';
import type { SpfNode } from '../core/domain/spf.js';
import { BULK_REQUIREMENTS, type BulkSenderVerdict } from '../core/domain/bulk-sender.js';
import { SPF_LOOKUP_LIMIT } from '../core/domain/spf.js';
import type { Finding } from '../core/types.js';
import { plural, renderFinding } from './findings.js';
import { csvRow } from './csv.js';

const CHECKS = ['spf', 'dkim', 'dmarc', 'mx', 'mta-sts', 'tls-rpt', 'dane', 'dnssec', 'bimi', 'ptr'] as const;
const LABELS: Record<(typeof CHECKS)[number], string> = { spf: 'SPF', dkim: 'DKIM', dmarc: 'DMARC', mx: 'MX', 'mta-sts': 'MTA-STS', 'tls-rpt': 'TLS-RPT', dane: 'DANE', dnssec: 'DNSSEC', bimi: 'BIMI', ptr: 'rDNS' };

function mark(c: ChalkInstance, findings: Finding[]): string {
  if (findings.some((f) => f.severity === 'error')) return c.red('✗');
  if (findings.some((f) => f.severity === 'warning')) return c.yellow('!');
  return c.green('✓');
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function spfTree(c: ChalkInstance, node: SpfNode, depth: number, lines: string[]): void {
  for (const child of node.children) {
    const label = child.via === 'redirect' ? `redirect=${child.domain}` : `${child.qualifier && child.qualifier !== '+' ? child.qualifier : ''}include:${child.domain}`;
    const info = child.error ? c.red(` (${child.error})`) : c.dim(` (${plural(child.lookups, 'lookup')})`);
    lines.push(`${'  '.repeat(depth + 4)}${label}${info}`);
    if (depth < 6) spfTree(c, child, depth + 1, lines);
  }
}

function summaryLine(c: ChalkInstance, r: DomainReport, check: (typeof CHECKS)[number]): string {
  switch (check) {
    case 'spf':
      if (!r.spf.record) return c.dim('no record');
      return `${truncate(r.spf.record, 90)} ${c.dim(`(${r.spf.lookups}/${SPF_LOOKUP_LIMIT} lookups, ${r.spf.voidLookups} void)`)}`;
    case 'dkim': {
      const found = r.dkim.selectors.filter((s) => s.found);
      const desc = found.map((s) => `${s.selector} (${s.keyType ?? '?'}${s.bits ? ` ${s.bits}` : ''}${s.testing ? ', testing' : ''})`).join(', ');
      const tried = r.dkim.source === 'common' ? c.dim(` — tried ${r.dkim.tried.length} common selectors`) : '';
      return `${found.length > 0 ? desc : c.dim('no key found')}${tried}`;
    }
    case 'dmarc': {
      if (!r.dmarc.record) return c.dim('no record');
      const parts = [`p=${r.dmarc.policy ?? '?'}`];
      if (r.dmarc.subdomainPolicy && r.dmarc.subdomainPolicy !== r.dmarc.policy) parts.push(`sp=${r.dmarc.subdomainPolicy}`);
      if (r.dmarc.pct !== null && r.dmarc.pct !== 100) parts.push(`pct=${r.dmarc.pct}`);
      if (r.dmarc.rua.length) parts.push(`rua=${r.dmarc.rua.join(',')}`);
      if (r.dmarc.inherited) parts.push(c.dim(`(from ${r.dmarc.orgDomain})`));
      return parts.join(' ');
    }
    case 'mta-sts':
      if (!r.mtaSts.record) return c.dim('not published');
      return `${r.mtaSts.mode ? `mode=${r.mtaSts.mode}` : c.red('no usable policy')}${r.mtaSts.policy?.maxAge !== undefined && r.mtaSts.policy?.maxAge !== null ? ` max_age=${r.mtaSts.policy.maxAge}` : ''}${r.mtaSts.policy?.mx?.length ? ` mx=${r.mtaSts.policy.mx.join(',')}` : ''}`;
    case 'tls-rpt':
      return r.tlsRpt.record ? (r.tlsRpt.rua.length ? `rua=${r.tlsRpt.rua.join(',')}` : truncate(r.tlsRpt.record, 80)) : c.dim('not published');
    case 'dane':
      if (!r.dane.present) return c.dim('no TLSA records for the MX hosts');
      return r.dane.hosts.filter((h) => h.tlsa.length).map((h) => `${h.host} (${h.tlsa.map((t) => `${t.usageName} ${t.selectorName} ${t.matchingTypeName}`).join('; ')})`).join(', ');
    case 'dnssec':
      return r.dnssec.status === 'validated' ? `validated${r.dnssec.zone ? ` (${r.dnssec.zone})` : ''}` : r.dnssec.status === 'signed' ? `signed${r.dnssec.zone ? ` (${r.dnssec.zone})` : ''}, not validated by this resolver` : c.dim(r.dnssec.status);
    case 'bimi':
      if (!r.bimi.record) return c.dim('not published');
      if (r.bimi.declined) return 'declined (empty l=)';
      return `${r.bimi.logoUrl ?? ''}${r.bimi.authorityUrl ? ' + certificate' : ''}${r.bimi.inherited ? c.dim(' (from the organisational domain)') : ''}`;
    case 'ptr':
      if (r.sendingIps.length === 0) return c.dim('no single sending hosts named (give --ip)');
      return r.sendingIps.map((p) => `${p.ip} → ${p.ptr[0] ?? c.red('no PTR')}${p.ptr.length && !p.forwardConfirmed ? c.red(' (not confirmed)') : ''}${p.spf ? ` spf=${p.spf}` : ''}`).join(', ');
    case 'mx':
      if (r.mx.nullMx) return 'null MX (accepts no mail)';
      if (r.mx.hosts.length === 0) return c.dim('no MX');
      return r.mx.hosts.map((h) => `${h.priority} ${h.exchange}${h.addresses.length ? c.dim(` (${h.addresses.join(', ')})`) : ''}`).join(', ');
  }
}

function renderBulk(c: ChalkInstance, b: BulkSenderVerdict): string[] {
  const v = (x: 'pass' | 'fail') => (x === 'pass' ? c.green('pass') : c.red('fail'));
  const lines = [`  ${c.bold('Bulk senders')}  Gmail ${v(b.gmail)}  Yahoo ${v(b.yahoo)}  Microsoft ${v(b.microsoft)}`];
  for (const x of b.reasons) {
    const m = x.status === 'pass' ? c.green('✓') : x.status === 'fail' ? c.red('✗') : c.dim('?');
    lines.push(`    ${m} ${BULK_REQUIREMENTS[x.requirement].text} ${c.dim(`[${x.providers.join(', ')}]`)}: ${x.detail}${x.check ? c.dim(` — check with: ${x.check}`) : ''}`);
  }
  return lines;
}

export function renderDomain(c: ChalkInstance, r: DomainReport): string {
  // A domain that does not exist: its one finding, not a line per check that was skipped.
  const notFound = r.findings.find((f) => f.code === 'DOMAIN_NOT_FOUND');
  if (notFound) return [c.bold(r.domain), renderFinding(c, notFound, '  ')].join('\n');
  const lines = [c.bold(r.domain)];
  for (const check of CHECKS) {
    const fs = r.findings.filter((f) => f.check === check);
    lines.push(`  ${mark(c, fs)} ${LABELS[check].padEnd(8)}${summaryLine(c, r, check)}`);
    if (check === 'spf' && r.spf.tree) spfTree(c, r.spf.tree, 0, lines);
    for (const f of fs) lines.push(renderFinding(c, f, '      '));
  }
  const other = r.findings.filter((f) => !(CHECKS as readonly string[]).includes(f.check) && f.check !== 'bulk');
  for (const f of other) lines.push(renderFinding(c, f, '      '));
  if (r.bulkSender) lines.push(...renderBulk(c, r.bulkSender));
  return lines.join('\n');
}

export function renderCheckDomain(c: ChalkInstance, report: CheckDomainReport): string {
  const blocks = report.domains.map((d) => renderDomain(c, d));
  const s = report.summary;
  const total = `${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'info', 'infos')}`;
  const colour = s.errors > 0 ? c.red : s.warnings > 0 ? c.yellow : c.green;
  blocks.push(colour(`${plural(report.domains.length, 'domain')} checked: ${total}`));
  return `${blocks.join('\n\n')}\n`;
}

/** CSV: one row per domain, stable columns; raw records are included even when invalid. */
export const CSV_COLUMNS = [
  'domain', 'errors', 'warnings', 'infos',
  'spf_record', 'spf_lookups', 'spf_void_lookups',
  'dkim_selectors_found', 'dmarc_record', 'dmarc_policy', 'dmarc_subdomain_policy', 'dmarc_pct', 'dmarc_inherited',
  'mx_hosts', 'null_mx', 'mta_sts_record', 'mta_sts_mode', 'tls_rpt_record', 'bimi_record', 'dnssec', 'dane',
  'sending_ips', 'bulk_gmail', 'bulk_yahoo', 'bulk_microsoft', 'finding_codes',
] as const;

export const CSV_HEADER = csvRow([...CSV_COLUMNS]);

export function csvLine(r: DomainReport): string {
  const count = (s: string) => r.findings.filter((f) => f.severity === s).length;
  // A domain that does not exist: its counts and DOMAIN_NOT_FOUND; the columns of the skipped checks stay empty.
  if (r.findings.some((f) => f.code === 'DOMAIN_NOT_FOUND')) {
    const known: Partial<Record<(typeof CSV_COLUMNS)[number], unknown>> = {
      domain: r.domain, errors: count('error'), warnings: count('warning'), infos: count('info'),
      bulk_gmail: r.bulkSender?.gmail, bulk_yahoo: r.bulkSender?.yahoo, bulk_microsoft: r.bulkSender?.microsoft,
      finding_codes: [...new Set(r.findings.map((f) => f.code))].join(' '),
    };
    return csvRow(CSV_COLUMNS.map((col) => known[col]));
  }
  return csvRow([
    r.domain, count('error'), count('warning'), count('info'),
    r.spf.record, r.spf.lookups, r.spf.voidLookups,
    r.dkim.selectors.filter((s) => s.found).map((s) => s.selector).join(' '),
    r.dmarc.record, r.dmarc.policy, r.dmarc.subdomainPolicy, r.dmarc.pct, r.dmarc.inherited,
    r.mx.hosts.map((h) => `${h.priority}:${h.exchange}`).join(' '), r.mx.nullMx,
    r.mtaSts.record, r.mtaSts.mode, r.tlsRpt.record, r.bimi.record, r.dnssec.status, r.dane.present,
    r.sendingIps.map((p) => `${p.ip}${p.ptr.length ? `=${p.ptr[0]}` : ''}`).join(' '),
    r.bulkSender?.gmail, r.bulkSender?.yahoo, r.bulkSender?.microsoft,
    [...new Set(r.findings.map((f) => f.code))].join(' '),
  ]);
}
