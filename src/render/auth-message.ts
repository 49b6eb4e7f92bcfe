/** Human rendering of `auth message`: a line per mechanism with ✓/✗/!, the why underneath, then findings. */
import type { ChalkInstance } from 'chalk';
import type { MessageAuthReport } from '../core/auth/report.js';
import { sortFindings } from '../core/types.js';
import { plural, renderFinding } from './findings.js';

function mark(c: ChalkInstance, result: string): string {
  if (result === 'pass') return c.green('✓');
  if (result === 'fail' || result === 'permerror' || result === 'policy') return c.red('✗');
  if (result === 'none' || result === 'skipped') return c.dim('-');
  return c.yellow('!'); // softfail, neutral, temperror
}

function colourResult(c: ChalkInstance, result: string): string {
  const padded = result.padEnd(10);
  if (result === 'pass') return c.green(padded);
  if (result === 'fail' || result === 'permerror' || result === 'policy') return c.red(padded);
  if (result === 'none' || result === 'skipped') return c.dim(padded);
  return c.yellow(padded);
}

const INDENT = '             ';

function line(c: ChalkInstance, name: string, result: string, detail: string): string {
  return `  ${mark(c, result)} ${c.bold(name.padEnd(6))} ${colourResult(c, result)} ${detail}`.trimEnd();
}

function why(c: ChalkInstance, text: string): string {
  return `${INDENT}${c.dim(text)}`;
}

export function renderAuthMessage(c: ChalkInstance, r: MessageAuthReport, source: string): string {
  const out: string[] = [];
  out.push(c.bold(source));
  const from = r.message.from.length ? r.message.from.join(', ') : '(no From address)';
  out.push(`  From: ${from}${r.message.subject ? `   Subject: ${r.message.subject}` : ''}`);
  out.push('');

  // SPF
  const spf = r.spf;
  if (!spf.evaluated) {
    out.push(line(c, 'SPF', 'skipped', ''));
  } else {
    const ident = spf.identity === 'helo' ? 'HELO' : 'MAIL FROM';
    out.push(line(c, 'SPF', spf.result, `${spf.domain ?? '?'} (${ident}) for ${spf.ip}`));
  }
  out.push(why(c, spf.explanation));

  // DKIM
  if (r.dkim.length === 0) {
    out.push(line(c, 'DKIM', 'none', 'no signature'));
  }
  for (const s of r.dkim) {
    const bits = s.keyBits ? ` ${s.keyBits}-bit` : '';
    const al = s.result === 'pass' ? (s.aligned ? c.green(' · aligned') : c.yellow(' · not aligned')) : '';
    out.push(line(c, 'DKIM', s.result, `d=${s.domain} s=${s.selector}${s.algorithm ? ` ${s.algorithm}` : ''}${bits}${al}`));
    out.push(why(c, s.info));
  }

  // ARC
  const arc = r.arc;
  out.push(line(c, 'ARC', arc.result, arc.chainLength ? `${plural(arc.chainLength, 'set')}${arc.sealer ? `, newest sealed by ${arc.sealer}` : ''}` : ''));
  out.push(why(c, arc.explanation));

  // DMARC
  const d = r.dmarc;
  const policy = d.policy ? ` ${d.inherited ? 'sp' : 'p'}=${d.policy}${d.pct !== null && d.pct < 100 ? ` pct=${d.pct}` : ''}${d.inherited ? ` (from ${d.recordDomain})` : ''}` : '';
  out.push(line(c, 'DMARC', d.result, `${d.fromDomain ?? ''}${policy}`));
  out.push(why(c, `SPF:  ${d.alignment.spf.aligned ? '✓' : '✗'} ${d.alignment.spf.explanation}`));
  out.push(why(c, `DKIM: ${d.alignment.dkim.aligned ? '✓' : '✗'} ${d.alignment.dkim.explanation}`));
  out.push(`${INDENT}${d.explanation}`);
  out.push('');

  const verdictText =
    r.verdict === 'pass'
      ? c.green('pass')
      : r.verdict === 'fail'
        ? c.red('fail')
        : c.yellow('temperror — DNS did not answer; run again');
  out.push(`  Verdict: ${verdictText}`);

  const findings = sortFindings(r.findings);
  if (findings.length) {
    out.push('');
    for (const f of findings) out.push(renderFinding(c, f, '  '));
  }
  return out.join('\n');
}
