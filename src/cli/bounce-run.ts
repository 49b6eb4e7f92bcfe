/**
 * What `bounce parse` and `bounce fetch` share: parse each message, apply it to the store with
 * --apply, count it, and stream it out as human text, one JSON document, ndjson or csv — one message
 * at a time, so memory stays flat whatever the number of messages.
 */
import { once } from 'node:events';
import type { CliContext } from './context.js';
import { UsageError } from '../core/errors.js';
import { applyMessage, messageKey, type Applied } from '../core/bounce/apply.js';
import { messageOf } from '../core/bounce/parse.js';
import type { MessageSource } from '../core/bounce/sources.js';
import type { BounceMessage } from '../core/bounce/types.js';
import type { Store } from '../core/store/store.js';
import type { Finding } from '../core/types.js';
import { count, CSV_HEADER, csvRows, emptySummary, humanMessage, humanSummary, messageJson, type BounceSummary } from '../render/bounce.js';
import { csvRow } from '../render/csv.js';
import { jsonDocument, toNdjsonLine } from '../render/json.js';

export const FORMATS = ['human', 'json', 'ndjson', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string | undefined, json: boolean): Format {
  if (value === undefined) return json ? 'json' : 'human';
  const f = value.trim().toLowerCase();
  if (!(FORMATS as readonly string[]).includes(f)) throw new UsageError(`--format "${value}" is not one of ${FORMATS.join(', ')}`);
  if (json && f !== 'json') throw new UsageError(`--json and --format ${f} contradict each other (use one)`);
  return f as Format;
}

export interface BounceRunOptions {
  command: 'bounce parse' | 'bounce fetch';
  format: Format;
  apply: boolean;
  /** Fields of the JSON document before "messages" (e.g. fetch's mailbox). */
  head?: Record<string, unknown>;
}

export class BounceRun {
  readonly summary: BounceSummary;
  private store?: Store;
  private first = true;

  constructor(
    private readonly ctx: CliContext,
    private readonly o: BounceRunOptions,
  ) {
    this.summary = emptySummary(o.apply);
  }

  /** Output not yet written: on a pipe or file, messages go out in 64 KB writes, not one each. */
  private pending = '';

  private async write(s: string): Promise<void> {
    if (this.ctx.io.stdout.isTTY) return this.writeOut(s);
    this.pending += s;
    if (this.pending.length >= 64 * 1024) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pending === '') return;
    const s = this.pending;
    this.pending = '';
    await this.writeOut(s);
  }

  private async writeOut(s: string): Promise<void> {
    const out = this.ctx.io.stdout;
    if (!out.write(s)) await once(out, 'drain');
  }

  /** Opens the store (with --apply) and writes what comes before the first message. */
  async start(): Promise<void> {
    if (this.o.apply) this.store = await this.ctx.store();
    if (this.o.format === 'json') await this.write(`${JSON.stringify(jsonDocument(this.o.command, this.o.head ?? {}), null, 2).slice(0, -2)},\n  "messages": [`);
    if (this.o.format === 'csv') await this.write(csvRow(CSV_HEADER));
  }

  /** Parses, applies, counts and prints one message; `extra` fields go into its JSON (e.g. uid). */
  async handle(src: MessageSource & { error?: string }, extra: Record<string, unknown> = {}): Promise<BounceMessage> {
    const m = messageOf(src);
    let applied: Applied[] | undefined;
    if (this.store) applied = await applyMessage(this.store, m, messageKey(m, src.raw), Date.now());
    await this.emit(m, applied, extra);
    return m;
  }

  private async emit(m: BounceMessage, applied: Applied[] | undefined, extra: Record<string, unknown>): Promise<void> {
    count(this.summary, m, applied);
    const f = this.o.format;
    if (f === 'json') {
      const body = JSON.stringify({ ...messageJson(m, applied), ...extra }, null, 2).replace(/\n/g, '\n    ');
      await this.write(`${this.first ? '\n' : ',\n'}    ${body}`);
    } else if (f === 'ndjson') await this.write(toNdjsonLine({ ...messageJson(m, applied), ...extra }));
    else if (f === 'csv') await this.write(csvRows(m, applied));
    else await this.write(`${humanMessage(m, this.ctx.color, applied)}\n`);
    this.first = false;
  }

  /**
   * Closes the document: the summary (with `more` counters) and, in human form, `tail` lines. A run
   * that stopped half-way passes the findings that say why: the JSON document is still complete,
   * with what was read before the failure.
   */
  async finish(more: Record<string, number> = {}, tail: string[] = [], findings: readonly Finding[] = []): Promise<void> {
    const f = this.o.format;
    const summary = { ...this.summary, ...more };
    const line = [humanSummary(this.summary), ...tail].join(', ');
    const found = findings.length > 0 ? `,\n  "findings": ${JSON.stringify(findings, null, 2).replace(/\n/g, '\n  ')}` : '';
    if (f === 'json') await this.write(`${this.first ? '' : '\n  '}],\n  "summary": ${JSON.stringify(summary, null, 2).replace(/\n/g, '\n  ')}${found}\n}\n`);
    else if (f === 'human') await this.write(`${this.ctx.color.bold(line)}\n`);
    await this.flush();
    if (f === 'ndjson' || f === 'csv') this.ctx.notice(line);
  }

  async close(): Promise<void> {
    // what was read before a failure still goes out
    await this.flush();
    await this.store?.close();
    this.store = undefined;
  }
}
