/** Human and JSON rendering of `score` results. */
import type { ChalkInstance } from 'chalk';
import type { ScoreResult } from '../core/score/engine.js';
import { UNKNOWN_HOSTNAME } from '../core/score/envelope.js';
import { renderFinding, plural } from './findings.js';

export interface ScoreRenderOptions {
  /** --max-score, to mark the messages above it. */
  maxScore?: number;
  /** Show zero-score symbols and their options too (--verbose). */
  all?: boolean;
}

function fmt(n: number): string {
  const r = Math.round(n * 100) / 100;
  return (r > 0 ? '+' : r < 0 ? '' : ' ') + r.toFixed(2);
}

function actionColour(c: ChalkInstance, action: string): string {
  if (action === 'no action') return c.green(action);
  if (action === 'reject') return c.red(action);
  return c.yellow(action);
}

export function renderScoreResult(c: ChalkInstance, r: ScoreResult, opts: ScoreRenderOptions = {}): string {
  const lines: string[] = [];
  const over = opts.maxScore !== undefined && r.score > opts.maxScore;
  const scoreText = `${Math.round(r.score * 100) / 100} / ${r.requiredScore}`;
  lines.push(
    `${c.bold(r.file)}  ${c.dim(r.engine)}  ${over ? c.red.bold(scoreText) : c.bold(scoreText)}  ${actionColour(c, r.action)}` +
      (over ? c.red(`  above --max-score ${opts.maxScore}`) : ''),
  );
  const shown = opts.all ? r.symbols : r.symbols.filter((s) => s.score !== 0);
  const hidden = r.symbols.length - shown.length;
  if (shown.length > 0) {
    lines.push(`  ${c.dim(r.engine === 'rspamd' ? 'symbols, by impact:' : 'lint score, by impact:')}`);
    const w = Math.max(...shown.map((s) => s.name.length));
    for (const s of shown) {
      const colour = s.score > 0 ? c.red : s.score < 0 ? c.green : c.dim;
      const options = s.options.length > 0 && (opts.all || r.engine === 'rspamd') ? c.dim(` [${s.options.slice(0, 4).join(', ')}${s.options.length > 4 ? ', …' : ''}]`) : '';
      const desc = r.engine === 'rspamd' ? (s.description ?? '') : '';
      lines.push(`    ${colour(fmt(s.score).padStart(6))}  ${s.name.padEnd(w)}  ${desc}${options}`.trimEnd());
    }
  }
  if (hidden > 0) lines.push(`    ${c.dim(`… and ${plural(hidden, 'symbol')} at 0 (--verbose or --json shows them)`)}`);
  if (r.findings.length > 0) {
    lines.push(`  ${c.dim('lint:')}`);
    for (const f of r.findings) lines.push(renderFinding(c, f, '    '));
  } else {
    lines.push(`  ${c.dim('lint:')} ${c.green('no findings')}`);
  }
  if (r.fixFirst.length > 0) {
    lines.push(`  ${c.dim('what to fix first:')}`);
    r.fixFirst.forEach((f, i) => {
      const pts = f.points > 0 ? c.dim(` (${fmt(f.points).trim()})`) : '';
      lines.push(`    ${i + 1}. ${c.bold(f.name)}${pts} ${f.advice}`);
    });
  }
  return lines.join('\n');
}

export function renderScore(c: ChalkInstance, results: readonly ScoreResult[], opts: ScoreRenderOptions = {}): string {
  const blocks = results.map((r) => renderScoreResult(c, r, opts));
  if (results.length > 1) {
    const over = opts.maxScore === undefined ? 0 : results.filter((r) => r.score > opts.maxScore!).length;
    const summary = `${plural(results.length, 'message')} scored` + (opts.maxScore !== undefined ? `, ${over} above --max-score ${opts.maxScore}` : '');
    blocks.push(over > 0 ? c.red(summary) : c.dim(summary));
  }
  return `${blocks.join('\n\n')}\n`;
}

/** Why no Hostname header went to Rspamd, or how the one sent was found; undefined when there is nothing to say. */
function hostnameNote(r: ScoreResult): string | undefined {
  const env = r.envelope;
  const rdns = env.reverseDns;
  const milter = "a receiver's MTA would call the client unknown, and Rspamd's milter sends no Hostname for that";
  if (rdns) {
    switch (rdns.status) {
      case 'confirmed':
        return `reverse DNS: ${env.ip} → ${rdns.hostname} → ${env.ip} (forward-confirmed)`;
      case 'no-ptr':
        return `no Hostname: ${env.ip} has no PTR record; ${milter}`;
      case 'not-confirmed':
        return `no Hostname: the PTR name${rdns.ptr.length > 1 ? 's' : ''} ${rdns.ptr.join(', ')} of ${env.ip} ${rdns.ptr.length > 1 ? 'do' : 'does'} not resolve back to it; ${milter}`;
      case 'failed':
        return `no Hostname: the reverse DNS of ${env.ip} did not resolve (SERVFAIL or timeout); ${milter}`;
    }
  }
  if (env.hostname === UNKNOWN_HOSTNAME) return `no Hostname: "${UNKNOWN_HOSTNAME}" is never sent (Rspamd's milter skips it)`;
  if (env.ip && !env.hostname) return 'no Hostname: no host name given and no DNS to look one up';
  return undefined;
}

/** --verbose, on stderr: the envelope headers sent to Rspamd for one message (nothing for the built-in engine). */
export function renderSentEnvelope(r: ScoreResult): string | undefined {
  if (r.engine !== 'rspamd' || !r.envelope.headers) return undefined;
  const lines = [`${r.file}: envelope sent to Rspamd /checkv2:`];
  if (r.envelope.headers.length === 0) lines.push('  (no envelope headers)');
  for (const h of r.envelope.headers) lines.push(`  ${h.name}: ${h.value}`);
  const note = hostnameNote(r);
  if (note) lines.push(`  ${note}`);
  return lines.join('\n');
}

/** The JSON shape of one result: the issue's contract fields first, then extras. */
export function scoreResultJson(r: ScoreResult): Record<string, unknown> {
  return {
    file: r.file,
    engine: r.engine,
    score: r.score,
    requiredScore: r.requiredScore,
    action: r.action,
    symbols: r.symbols.map((s) => ({ name: s.name, score: s.score, description: s.description ?? null, options: s.options })),
    findings: r.findings,
    fixFirst: r.fixFirst,
    envelope: r.envelope,
    messageId: r.messageId ?? null,
    bytes: r.bytes,
  };
}
