/** probe: parse flags → runProbe → render (card per host, or one JSON document). */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { CliContext } from '../context.js';
import { normalizeDomain } from '../../core/domain/name.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { exitCodeFor, parseFailOn } from '../../core/policy.js';
import { httpsPolicyFetcher } from '../../core/probe/mta-sts.js';
import { runProbe, type ProbeOptions } from '../../core/probe/probe.js';
import type { TranscriptEntry } from '../../core/smtp/transcript.js';
import { startSpinner } from '../../render/progress.js';
import { probeDocument, renderProbe } from '../../render/probe.js';
import { toJson } from '../../render/json.js';
import { ipFamily } from '../../core/net/ip-address.js';

function wholeNumber(value: string, flag: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} "${value}" is not a number (use a whole number from ${min} to ${max})`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} ${value} is out of range (${min}–${max})`);
  return n;
}

/** An IP literal (optionally in brackets), else a host name. */
function parseHost(value: string, flag: string): string {
  const bare = value.trim().replace(/^\[|\]$/g, '');
  if (ipFamily(bare)) return bare;
  try {
    return normalizeDomain(bare);
  } catch (e) {
    throw new UsageError(`${flag} ${(e as Error).message.replace(/^"[^"]*" is not a domain name/, `"${value}" is neither an IP address nor a host name`)}`);
  }
}

/** An envelope address we can put between < and > (RFC 5321 §4.1.2), without line breaks. */
function parseAddress(value: string, flag: string, opts: { allowNull?: boolean; allowPostmaster?: boolean } = {}): string {
  const v = value.trim().replace(/^<(.*)>$/, '$1');
  if (v === '' && opts.allowNull) return '';
  if (opts.allowPostmaster && v.toLowerCase() === 'postmaster') return 'Postmaster';
  // eslint-disable-next-line no-control-regex
  if (!/^[^\s<>()\x00-\x1f@]+@[^\s<>()\x00-\x1f@]+$/.test(v)) throw new UsageError(`${flag} "${value}" is not an address like user@example.com`);
  const domain = v.slice(v.lastIndexOf('@') + 1);
  if (!/^\[[^\]]+\]$/.test(domain)) parseHost(domain, flag);
  return v;
}

function parseHelo(value: string): string {
  const v = value.trim();
  // an address literal (RFC 5321 §4.1.3) or a domain name
  if (/^\[(?:IPv6:)?[0-9a-fA-F:.]+\]$/.test(v)) return v;
  try {
    return normalizeDomain(v);
  } catch (e) {
    throw new UsageError(`--helo ${(e as Error).message}`);
  }
}

function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --ca-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file ${path} contains no PEM certificate`);
  return text;
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const failOn = parseFailOn(opts.failOn);
  const port = wholeNumber(String(opts.port ?? '25'), '--port', 1, 65535);
  const maxHosts = wholeNumber(String(opts.maxHosts ?? '5'), '--max-hosts', 1, 50);
  const greylistWaitMs = parseDuration(String(opts.greylistWait ?? '0'), '--greylist-wait');
  const positional = args[0];
  let host: string | undefined = opts.host !== undefined ? parseHost(String(opts.host), '--host') : undefined;
  let domain: string | undefined;
  if (positional !== undefined) {
    const bare = positional.trim().replace(/^\[|\]$/g, '');
    // `probe 192.0.2.25` means that host: an address has no MX
    if (ipFamily(bare) && host === undefined) host = bare;
    else domain = normalizeDomain(positional);
  }
  if (!domain && !host) throw new UsageError('give a recipient domain (probe example.org) or a host (probe --host mx.example.org)');
  const heloName = opts.helo !== undefined ? parseHelo(String(opts.helo)) : hostname();
  const mailFrom = opts.mailFrom !== undefined ? parseAddress(String(opts.mailFrom), '--mail-from', { allowNull: true }) : `probe@${heloName.replace(/^\[|\]$/g, '')}`;
  const rcpt = opts.rcpt !== undefined ? parseAddress(String(opts.rcpt), '--rcpt', { allowPostmaster: true }) : undefined;
  const caPem = opts.caFile !== undefined ? [readCaFile(String(opts.caFile))] : undefined;

  const base = ctx.deps();
  const deps = { ...base, fetchPolicy: httpsPolicyFetcher({ resolver: base.resolver, timeoutMs: ctx.timeoutMs, ca: caPem }) };
  const transcripts = new Map<string, TranscriptEntry[]>();
  const spinner = await startSpinner(ctx, `probing ${host ?? domain}`);
  const probeOpts: ProbeOptions = {
    port,
    heloName,
    mailFrom,
    rcpt,
    greylistWaitMs,
    maxHosts,
    caPem,
    onProgress: (t) => spinner.update(t),
  };
  if (ctx.opts.verbose) {
    probeOpts.onTranscript = (label, e) => {
      const list = transcripts.get(label) ?? [];
      list.push(e);
      transcripts.set(label, list);
    };
  }
  let report;
  try {
    report = await runProbe(deps, { domain, host }, probeOpts);
  } finally {
    spinner.stop();
  }
  // --verbose: each session's conversation (AUTH never appears; the probe does not authenticate anyway)
  for (const [label, entries] of transcripts) {
    ctx.debug(`--- ${label}`);
    for (const e of entries) ctx.debug(`${String(Math.round(e.atMs)).padStart(6)} ms ${{ client: 'C:', server: 'S:', event: ' *' }[e.dir]} ${e.text.replace(/\n/g, '\n             ')}`);
  }
  if (ctx.json) ctx.out(toJson(probeDocument(report)));
  else ctx.out(renderProbe(ctx.color, report));
  return exitCodeFor(report.findings, failOn, { incomplete: report.incomplete });
}
