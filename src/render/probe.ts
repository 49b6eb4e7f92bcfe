/** Human and JSON rendering of `probe`: a compact card per MX host, findings with fixes under it. */
import type { ChalkInstance } from 'chalk';
import { formatDuration } from '../core/duration.js';
import type { HostReport, ProbeReport } from '../core/probe/report.js';
import { TLS_VERSIONS } from '../core/smtp/tls-session.js';
import { summarize, type Finding } from '../core/types.js';
import { plural, renderFinding } from './findings.js';
import { jsonDocument } from './json.js';

/** The JSON document (schemaVersion, command, then the report). */
export function probeDocument(report: ProbeReport) {
  return jsonDocument('probe', { ...report, summary: summarize(report.findings) });
}

function ok(c: ChalkInstance, yes: boolean | null, label: string): string {
  if (yes === null) return c.dim(`${label} ?`);
  return yes ? `${label} ${c.green('✓')}` : `${label} ${c.red('✗')}`;
}

function clip(s: string, n = 100): string {
  const one = s.replace(/\s*\n\s*/g, ' ');
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

function row(c: ChalkInstance, label: string, value: string): string {
  return `  ${c.dim(label.padEnd(9))} ${value}`;
}

export function renderHost(c: ChalkInstance, h: HostReport): string {
  const head = [c.bold(h.host)];
  if (h.priority !== null) head.push(c.dim(`pref ${h.priority}`));
  if (h.address) head.push(h.address === h.host ? '' : h.address);
  if (h.port !== 25) head.push(c.dim(`port ${h.port}`));
  if (h.address) head.push(h.ptr ? c.dim(`ptr ${h.ptr}`) : c.yellow('no PTR'));
  const lines = [head.filter((x) => x !== '').join('  ')];

  if (h.banner) {
    const colour = h.banner.code === 220 ? (s: string) => s : c.red;
    const t = h.timings.bannerMs !== undefined ? c.dim(` · ${formatDuration(h.timings.bannerMs)}`) : '';
    lines.push(row(c, 'banner', `${colour(clip(`${h.banner.code} ${h.banner.text}`))}${t}`));
  } else if (h.error) {
    lines.push(row(c, 'error', c.red(clip(h.error.message, 140))));
  }
  if (h.ehlo.length > 0) lines.push(row(c, 'ehlo', h.ehlo.join(c.dim(' · '))));
  if (h.reachable && h.banner?.code === 220) {
    if (!h.starttls) lines.push(row(c, 'tls', c.yellow('no STARTTLS: plaintext only')));
    else if (h.tls) {
      const n = h.tls.negotiated;
      lines.push(row(c, 'tls', n ? `${n.protocol} ${c.dim(n.cipher)}${h.timings.startTlsMs !== undefined ? c.dim(` · ${formatDuration(h.timings.startTlsMs)}`) : ''}` : c.red('STARTTLS offered, handshake failed')));
      const v = h.tls.versions;
      lines.push(
        row(
          c,
          'versions',
          TLS_VERSIONS.map((ver) => {
            const label = ver === 'TLSv1' ? '1.0' : ver.slice(4);
            const legacy = ver === 'TLSv1' || ver === 'TLSv1.1';
            if (v[ver] === null) return c.dim(`${label} ?`);
            if (v[ver]) return `${label} ${legacy ? c.yellow('✓') : c.green('✓')}`;
            return `${label} ${legacy ? c.green('✗') : c.red('✗')}`;
          }).join('  '),
        ),
      );
      const cert = h.tls.certificate;
      if (cert) {
        const days = cert.daysLeft < 0 ? c.red(`expired ${-cert.daysLeft} d ago`) : cert.daysLeft < 14 ? c.yellow(`${cert.daysLeft} d left`) : `${cert.daysLeft} d left`;
        lines.push(row(c, 'cert', `${clip(cert.subject, 60)} ${c.dim('by')} ${clip(cert.issuer, 50)}`));
        lines.push(row(c, '', `${days} · ${ok(c, cert.trusted, 'trusted')} · ${ok(c, cert.nameMatches, 'name')}${cert.selfSigned ? ` · ${c.yellow('self-signed')}` : ''}`));
      }
    }
  }
  const g = h.greylisting;
  if (g.tested) {
    let text: string;
    if (g.detected) {
      text = c.yellow(`greylisted: ${clip(`${g.firstReply?.code} ${g.firstReply?.enhanced ?? ''} ${g.firstReply?.text ?? ''}`.replace(/\s+/g, ' '), 80)}`);
      if (g.acceptedAfterMs !== null) text += ` · accepted after ${formatDuration(g.acceptedAfterMs)}`;
      else if (g.waitMs) text += c.red(` · still refused after ${formatDuration(g.waitMs)}`);
    } else if (g.firstReply && g.firstReply.code < 300) text = `not greylisted ${c.dim(`(${g.firstReply.code} to the probe recipient)`)}`;
    else text = g.firstReply ? c.red(clip(`${g.firstReply.code} ${g.firstReply.enhanced ?? ''} ${g.firstReply.text}`.replace(/\s+/g, ' '), 90)) : c.dim('no reply');
    lines.push(row(c, 'rcpt', text));
  }
  if (h.mtaSts) {
    const ok = h.mtaSts.mxListed && h.mtaSts.failures.length === 0;
    lines.push(row(c, 'mta-sts', `${h.mtaSts.mode}: ${ok ? c.green('host complies') : c.red([h.mtaSts.mxListed ? '' : 'not in mx list', ...h.mtaSts.failures].filter((x) => x).join('; '))}`));
  }
  if (h.dane) {
    const m = h.dane.matched === null ? c.dim('not compared (no certificate)') : h.dane.matched ? c.green('matches') : c.red('does not match');
    lines.push(row(c, 'dane', `${plural(h.dane.records, 'TLSA record')} ${m}${h.dane.authenticated ? '' : c.dim(' (not DNSSEC-authenticated)')}`));
  }
  for (const f of h.findings) lines.push(renderFinding(c, f, '    '));
  return lines.join('\n');
}

export function renderProbe(c: ChalkInstance, report: ProbeReport): string {
  const blocks: string[] = [];
  const domainFindings: Finding[] = report.findings.filter((f) => !report.hosts.some((h) => h.findings.includes(f)));
  const head: string[] = [];
  if (report.domain && report.target === report.domain) {
    head.push(`${c.bold(report.domain)}: ${plural(report.hosts.length, 'MX host')} probed${report.skippedHosts.length ? c.dim(` (${report.skippedHosts.length} more skipped: --max-hosts)`) : ''}`);
  }
  if (report.mtaSts?.published) {
    head.push(`  ${c.dim('mta-sts'.padEnd(9))} ${report.mtaSts.mode ? `mode ${report.mtaSts.mode}, mx ${report.mtaSts.mx?.join(', ')}` : c.red(report.mtaSts.error ?? 'policy unavailable')}`);
  }
  for (const f of domainFindings) head.push(renderFinding(c, f, '    '));
  if (head.length) blocks.push(head.join('\n'));
  for (const h of report.hosts) blocks.push(renderHost(c, h));
  const s = summarize(report.findings);
  const colour = s.errors > 0 ? c.red : s.warnings > 0 ? c.yellow : c.green;
  const reached = report.hosts.filter((h) => h.reachable).length;
  blocks.push(colour(`${reached}/${plural(report.hosts.length, 'host')} reached: ${plural(s.errors, 'error')}, ${plural(s.warnings, 'warning')}, ${plural(s.infos, 'info', 'infos')}`));
  return `${blocks.join('\n\n')}\n`;
}
