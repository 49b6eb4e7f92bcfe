/** probe: parse flags → runProbe → render (card per host, or one JSON document). */
import { hostname } from 'node:os';
import type { CliContext } from '../context.js';
import { normalizeDomain } from '../../core/domain/name.js';
import { parseDuration } from '../../core/duration.js';
import { UsageError } from '../../core/errors.js';
import { exitCodeFor, parseFailOn } from '../../core/policy.js';
import { httpsPolicyFetcher } from '../../core/probe/mta-sts.js';
import { runProbe, type ProbeOptions } from '../../core/probe/probe.js';
import { TRANSCRIPT_MARKS, type TranscriptEntry } from '../../core/smtp/transcript.js';
import { startSpinner } from '../../render/progress.js';
import { probeDocument, renderProbe } from '../../render/probe.js';
import { toJson } from '../../render/json.js';
import { ipFamily } from '../../core/net/ip-address.js';
import { parseAddress, parseHelo, parseHost, readCaFile, wholeNumber } from '../flags.js';
import { probeCase } from '../../core/ci/cases.js';
import { isReportFormat, outputFormat, writeReport } from '../report-format.js';

const FORMATS = ['human', 'json', 'junit', 'github'] as const;

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const failOn = parseFailOn(opts.failOn);
  const format = outputFormat(ctx, opts.format, FORMATS);
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
    for (const e of entries) ctx.debug(`${String(Math.round(e.atMs)).padStart(6)} ms ${TRANSCRIPT_MARKS[e.dir].padStart(2)} ${e.text.replace(/\n/g, '\n             ')}`);
  }
  const exitCode = exitCodeFor(report.findings, failOn, { incomplete: report.incomplete });
  if (isReportFormat(format)) writeReport(ctx, format, { command: 'probe', suites: [{ name: 'probe', cases: [probeCase(report.target, report)], notices: [] }], failOn, exitCode });
  else if (format === 'json') ctx.out(toJson(probeDocument(report)));
  else ctx.out(renderProbe(ctx.color, report));
  return exitCode;
}
