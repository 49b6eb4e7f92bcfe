/** Human and JSON rendering of `score` results. */
import type { ChalkInstance } from 'chalk';
import type { ScoreResult } from '../core/score/engine.js';
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
