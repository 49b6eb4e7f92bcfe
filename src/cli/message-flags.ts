/**
 * The message flags `send` and `placement` share: compose (--subject, --text, --text-file,
 * --html-file, --attach) or read (--message), the attachment allow-list, and DKIM signing
 * (--dkim-key, --dkim-selector, --dkim-domain), and the relay (--relay, --port, --user and its password).
 * One place, so both accept and refuse the same input.
 */
import { basename } from 'node:path';
import type { CliContext } from './context.js';
import type { Deps } from '../core/deps.js';
import { UsageError } from '../core/errors.js';
import type { PreparedMessage } from '../core/delivery/message.js';
import type { Finding } from '../core/types.js';
import { readInputFile, readSecret, wholeNumber } from './flags.js';
import { parseRelayUrl } from '../core/delivery/route.js';
import type { DeliveryOptions } from '../core/delivery/engine.js';

export interface DkimUse {
  domain: string;
  selector: string;
  algorithm: string;
}

export interface OutgoingMessage {
  prepared: PreparedMessage;
  /** The bytes to queue: signed when DKIM flags were given. */
  raw: Buffer;
  dkim: DkimUse | null;
  findings: Finding[];
}

/** Usage checks that need no file or network: before anything else runs (exit 2). */
export function checkMessageFlags(opts: Record<string, any>): { composing: boolean } {
  const composing = opts.subject !== undefined || opts.text !== undefined || opts.textFile !== undefined || opts.htmlFile !== undefined || (opts.attach?.length ?? 0) > 0;
  if (opts.message !== undefined && composing) throw new UsageError('--message sends an existing message: leave out --subject, --text, --text-file, --html-file and --attach');
  if (opts.text !== undefined && opts.textFile !== undefined) throw new UsageError('give --text or --text-file, not both');
  if ((opts.dkimKey === undefined) !== (opts.dkimSelector === undefined)) throw new UsageError('DKIM signing needs both --dkim-key <pem> and --dkim-selector <name>');
  if (opts.dkimDomain !== undefined && opts.dkimKey === undefined) throw new UsageError('--dkim-domain needs --dkim-key and --dkim-selector');
  return { composing };
}

export interface PrepareOptions {
  from: string;
  to: readonly string[];
  /** Extra header fields, added before signing. */
  headers?: Readonly<Record<string, string>>;
  /** A line appended to a composed message's text (and HTML) body. */
  bodyLine?: string;
  /** Reuse this Message-ID (copies of one message to several seeds). */
  messageId?: string;
  /** Check that the DKIM public key is published and matches (a DNS lookup); once per run is enough. */
  checkDkimKey: boolean;
  /** The --message bytes, read once by the caller when the message is used more than once. */
  messageBytes?: Buffer;
}

/** --message bytes: the file, or stdin for "-". */
export async function readMessageFlag(ctx: CliContext, opts: Record<string, any>): Promise<Buffer | undefined> {
  if (opts.message === undefined) return undefined;
  return opts.message === '-' ? ctx.readStdinBytes('the message', 'give a file with --message') : readInputFile(String(opts.message), '--message');
}

function appendHtml(html: string, line: string): string {
  const p = `<p>${line.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))}</p>`;
  const at = html.search(/<\/body>/i);
  return at >= 0 ? `${html.slice(0, at)}${p}\n${html.slice(at)}` : `${html}\n${p}\n`;
}

/** Composes or reads the message, applies the attachment policy, adds headers, DKIM-signs. */
export async function prepareOutgoing(ctx: CliContext, deps: Deps, opts: Record<string, any>, o: PrepareOptions): Promise<OutgoingMessage> {
  const msg = await import('../core/delivery/message.js');
  const clockDeps = { clock: deps.clock };
  const policy = { allowAttachment: (opts.allowAttachment as string[] | undefined) ?? [] };
  let prepared: PreparedMessage;
  if (opts.message !== undefined) {
    let bytes = o.messageBytes ?? (await readMessageFlag(ctx, opts))!;
    // Header fields go first (RFC 5322 §3.6: order is free; trace fields are prepended the same way).
    if (o.headers) bytes = Buffer.concat([Buffer.from(Object.entries(o.headers).map(([k, v]) => `${k}: ${v}\r\n`).join(''), 'utf8'), bytes]);
    prepared = await msg.readMessage(clockDeps, bytes, { ...policy, name: opts.message === '-' ? 'stdin' : String(opts.message) });
  } else {
    let text = opts.textFile !== undefined ? readInputFile(String(opts.textFile), '--text-file').toString('utf8') : opts.text !== undefined ? String(opts.text) : undefined;
    let html = opts.htmlFile !== undefined ? readInputFile(String(opts.htmlFile), '--html-file').toString('utf8') : undefined;
    if (text === undefined && html === undefined) text = `Test message sent by mailpace-cli to check delivery.\n`;
    if (o.bodyLine !== undefined) {
      if (text !== undefined) text = `${text.replace(/\s*$/, '')}\n\n${o.bodyLine}\n`;
      if (html !== undefined) html = appendHtml(html, o.bodyLine);
    }
    const attachments = ((opts.attach as string[] | undefined) ?? []).map((p) => ({ filename: basename(p), content: readInputFile(p, '--attach') }));
    prepared = await msg.composeMessage(
      clockDeps,
      { from: o.from, to: o.to, subject: opts.subject ?? 'mailpace-cli test message', ...(text !== undefined ? { text } : {}), ...(html !== undefined ? { html } : {}), attachments, ...(o.headers ? { headers: o.headers } : {}), ...(o.messageId ? { messageId: o.messageId } : {}) },
      policy,
    );
  }

  const findings: Finding[] = [];
  let raw = prepared.raw;
  let dkim: DkimUse | null = null;
  if (opts.dkimKey !== undefined) {
    const d = await import('../core/delivery/dkim-sign.js');
    const key = await d.readDkimPrivateKey(String(opts.dkimKey));
    const signed = await d.signDkim(clockDeps, raw, { key, selector: String(opts.dkimSelector), fromDomain: prepared.from.domain, ...(opts.dkimDomain !== undefined ? { domain: String(opts.dkimDomain) } : {}) });
    raw = signed.raw;
    dkim = { domain: signed.domain, selector: String(opts.dkimSelector).toLowerCase(), algorithm: signed.algorithm };
    if (o.checkDkimKey) findings.push(...(await d.checkDkimKeyPublished(deps, { domain: signed.domain, selector: dkim.selector, privateKey: key })));
  }
  return { prepared, raw, dkim, findings };
}

/**
 * --relay smtp[s]://host[:port] with --port and --user, and the relay password: env
 * MAILPACE_SMTP_PASSWORD or the file flag (`send`: --password-file; `placement`, whose
 * --password-file is the seeds' IMAP password: --relay-password-file).
 */
export function parseRelayFlags(ctx: CliContext, opts: Record<string, any>, passwordFlag: { name: string; value: unknown }): { relay: DeliveryOptions['relay']; password: string | undefined } {
  let relay: DeliveryOptions['relay'];
  if (opts.relay !== undefined) {
    const r = parseRelayUrl(String(opts.relay));
    if ('error' in r) throw new UsageError(r.error);
    relay = { ...r, ...(opts.port !== undefined ? { port: wholeNumber(String(opts.port), '--port', 1, 65535) } : {}), ...(opts.user !== undefined ? { user: String(opts.user) } : {}) };
  } else if (opts.user !== undefined) {
    throw new UsageError('--user authenticates to a relay: give --relay smtp://host[:port] too');
  }
  const password = readSecret({ ...(passwordFlag.value !== undefined ? { file: String(passwordFlag.value) } : {}), env: ctx.io.env, envName: 'MAILPACE_SMTP_PASSWORD', flag: passwordFlag.name });
  if (relay?.user && password === undefined) throw new UsageError(`--user needs a password: set MAILPACE_SMTP_PASSWORD or give ${passwordFlag.name}`);
  return { relay, password };
}
