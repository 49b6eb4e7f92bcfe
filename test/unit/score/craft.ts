/** Builds test messages from parts, CRLF line endings, so each test says only what matters to it. */
import { parseMessage, type ParsedMessage } from '../../../src/core/score/message.js';
import { lintMessage, type LintOptions } from '../../../src/core/score/lint.js';
import { DEFAULT_ALLOWED_EXTENSIONS } from '../../../src/core/score/attachment-extensions.js';
import type { Finding } from '../../../src/core/types.js';

export const BASE_HEADERS: Record<string, string> = {
  From: 'Team <team@example.com>',
  To: 'bob@example.net',
  Subject: 'Hello',
  Date: 'Thu, 27 Nov 2025 10:00:00 +0000',
  'Message-ID': '<m1@example.com>',
  'MIME-Version': '1.0',
};

/** headers: null removes a base header. */
export function eml(headers: Record<string, string | null>, body: string, contentType = 'text/plain; charset=utf-8'): string {
  const all: Record<string, string | null> = { ...BASE_HEADERS, 'Content-Type': contentType, ...headers };
  const lines = Object.entries(all)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([k, v]) => `${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}`;
}

export function alternative(text: string | null, html: string | null, extraParts: string[] = []): { body: string; contentType: string } {
  const parts: string[] = [];
  if (text !== null) parts.push(`Content-Type: text/plain; charset=utf-8\r\n\r\n${text}`);
  if (html !== null) parts.push(`Content-Type: text/html; charset=utf-8\r\n\r\n${html}`);
  parts.push(...extraParts);
  return { body: `${parts.map((p) => `--b\r\n${p}\r\n`).join('')}--b--\r\n`, contentType: 'multipart/alternative; boundary="b"' };
}

export function attachment(filename: string, content = 'aGVsbG8=', type = 'application/octet-stream'): string {
  return `Content-Type: ${type}; name="${filename}"\r\nContent-Disposition: attachment; filename="${filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${content}`;
}

export function mixed(text: string, attachments: string[]): { body: string; contentType: string } {
  const parts = [`Content-Type: text/plain; charset=utf-8\r\n\r\n${text}`, ...attachments];
  return { body: `${parts.map((p) => `--m\r\n${p}\r\n`).join('')}--m--\r\n`, contentType: 'multipart/mixed; boundary="m"' };
}

export async function parsed(raw: string | Uint8Array): Promise<ParsedMessage> {
  return parseMessage(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
}

export const DEFAULT_LINT: LintOptions = { bulk: false, allowedExtensions: [...DEFAULT_ALLOWED_EXTENSIONS] };

export async function lint(raw: string | Uint8Array, opts: Partial<LintOptions> = {}): Promise<Finding[]> {
  return lintMessage(await parsed(raw), { ...DEFAULT_LINT, ...opts }).findings;
}

export function codes(findings: readonly Finding[]): string[] {
  return [...new Set(findings.map((f) => f.code))].sort();
}
