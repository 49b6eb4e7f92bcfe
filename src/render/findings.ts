/** Human rendering of findings, shared by every command. */
import type { ChalkInstance } from 'chalk';
import type { Finding, Severity } from '../core/types.js';

export function severityMark(c: ChalkInstance, s: Severity): string {
  if (s === 'error') return c.red('✗');
  if (s === 'warning') return c.yellow('!');
  return c.blue('i');
}

export function renderFinding(c: ChalkInstance, f: Finding, indent = '    '): string {
  const lines = [`${indent}${severityMark(c, f.severity)} ${c.bold(f.code)} ${f.message}`];
  if (f.fix) lines.push(`${indent}  ${c.dim('fix:')} ${f.fix}`);
  return lines.join('\n');
}

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}
