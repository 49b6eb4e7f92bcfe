/** `auth spf` output: the verdict first, then why (mechanism, explanation, lookups), then every term evaluated. */
import type { ChalkInstance } from 'chalk';
import type { SpfEvaluation, SpfResult, SpfTraceStep } from '../core/spf/evaluate.js';

/** The JSON body of `auth spf` (jsonDocument adds schemaVersion and command). */
export function authSpfJson(ev: SpfEvaluation) {
  return {
    result: ev.result,
    ...(ev.explanation !== undefined ? { explanation: ev.explanation } : {}),
    ...(ev.mechanism !== undefined ? { mechanism: ev.mechanism } : {}),
    ...(ev.mechanismDomain !== undefined ? { mechanismDomain: ev.mechanismDomain } : {}),
    reason: ev.reason,
    identity: ev.identity,
    sender: ev.sender,
    domain: ev.domain,
    ip: ev.ip,
    ...(ev.helo !== undefined ? { helo: ev.helo } : {}),
    ...(ev.record !== undefined ? { record: ev.record } : {}),
    lookups: ev.lookups,
    trace: ev.trace,
  };
}

function headline(ev: SpfEvaluation): string {
  const who = ev.ip;
  const d = ev.domain;
  const lines: Record<SpfResult, string> = {
    pass: `${who} is authorised to send for ${d}`,
    fail: `${who} is not authorised to send for ${d}`,
    softfail: `${who} is probably not authorised to send for ${d}`,
    neutral: `${d} makes no statement about ${who}`,
    none: `no SPF policy applies to ${d}`,
    permerror: `the SPF policy of ${d} cannot be evaluated: it needs fixing by its owner`,
    temperror: `SPF could not be checked for ${d}: a DNS problem, try again later`,
  };
  return lines[ev.result];
}

function paint(c: ChalkInstance, result: SpfResult, text: string): string {
  switch (result) {
    case 'pass':
      return c.green.bold(text);
    case 'fail':
    case 'permerror':
      return c.red.bold(text);
    case 'softfail':
    case 'temperror':
      return c.yellow.bold(text);
    default:
      return c.bold(text);
  }
}

function traceLine(c: ChalkInstance, s: SpfTraceStep): string {
  const pad = '  '.repeat(s.depth + 2);
  const detail = s.detail ? c.dim(`  ${s.detail}`) : '';
  switch (s.outcome) {
    case 'record':
      return `${pad}${c.cyan(s.domain)}: ${s.detail ?? ''}`;
    case 'none':
      return `${pad}${c.cyan(s.domain)}: ${c.dim(`no SPF record (${s.detail ?? 'none'})`)}`;
    case 'match':
      return `${pad}${c.green('✓')} ${s.term}${detail}`;
    case 'no-match':
      return `${pad}${c.dim('·')} ${s.term}${detail}`;
    case 'redirect':
      return `${pad}→ ${s.term}`;
    default:
      return `${pad}${c.red('✗')} ${s.term === 'record' ? `${s.domain}:` : s.term} ${c.red(s.outcome)}${detail}`;
  }
}

export function renderAuthSpf(c: ChalkInstance, ev: SpfEvaluation): string {
  const out: string[] = [];
  out.push(`${paint(c, ev.result, ev.result.toUpperCase())}  ${headline(ev)}`);
  const identity =
    ev.identity === 'helo'
      ? `HELO ${ev.helo ?? ev.domain} (null MAIL FROM, checked as ${ev.sender})`
      : `MAIL FROM ${ev.sender}${ev.helo ? `, HELO ${ev.helo}` : ''}`;
  out.push(`  ${c.dim('identity')}     ${identity}`);
  out.push(`  ${c.dim('why')}          ${ev.reason}`);
  if (ev.mechanism) out.push(`  ${c.dim('mechanism')}    ${ev.mechanism}${ev.mechanismDomain ? c.dim(` (in ${ev.mechanismDomain})`) : ''}`);
  if (ev.explanation !== undefined) out.push(`  ${c.dim('explanation')}  ${ev.explanation}`);
  out.push(
    `  ${c.dim('lookups')}      ${ev.lookups.count} of ${ev.lookups.limit} DNS lookups, ${ev.lookups.void} of ${ev.lookups.voidLimit} void lookups`,
  );
  if (ev.trace.length > 0) {
    out.push(`  ${c.dim('evaluated')}`);
    for (const s of ev.trace) out.push(traceLine(c, s));
  }
  return `${out.join('\n')}\n`;
}
