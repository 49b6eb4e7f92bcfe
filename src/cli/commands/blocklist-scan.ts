/** blocklist scan: flags and targets → scanBlocklists → table / JSON / NDJSON / CSV. */
import { readFile } from 'node:fs/promises';
import type { CliContext } from '../context.js';
import { UsageError } from '../../core/errors.js';
import { normalizeDomain } from '../../core/domain/name.js';
import { selectLists } from '../../core/blocklist/selection.js';
import { collectTargets, targetsFromText, type Target } from '../../core/blocklist/target.js';
import { domainSendingIps } from '../../core/blocklist/domain-ips.js';
import { planScan, scanBlocklists, scanExitCode } from '../../core/blocklist/scan.js';
import type { BlocklistResult } from '../../core/blocklist/query.js';
import { blocklistJson, csvHeader, csvRow, ndjsonResult, ndjsonSummary, renderBlocklistHuman } from '../../render/blocklist.js';
import { toJson, toNdjsonLine } from '../../render/json.js';
import { startSpinner } from '../../render/progress.js';
import { CachingResolver } from '../../core/dns/caching-resolver.js';
import { blocklistCases } from '../../core/ci/cases.js';
import { outputFormat, writeReport } from '../report-format.js';

const FORMATS = ['human', 'json', 'ndjson', 'csv', 'junit', 'github'] as const;
type Format = (typeof FORMATS)[number];

/** Scans bigger than this get the ink live view on a terminal; smaller ones a spinner. */
const LIVE_VIEW_MIN_QUERIES = 8;

function parseCount(value: unknown, flag: string, dflt: number, max: number): number {
  if (value === undefined) return dflt;
  const s = String(value).trim();
  if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > max) throw new UsageError(`${flag} "${value}" must be a whole number from 1 to ${max.toLocaleString('en-US')}`);
  return Number(s);
}

async function gatherInputs(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<string[]> {
  const inputs: string[] = [];
  let stdinWanted = args.includes('-') || opts.file === '-';
  for (const a of args) if (a !== '-') inputs.push(a);
  if (opts.file !== undefined && opts.file !== '-') {
    let text: string;
    try {
      text = await readFile(String(opts.file), 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --file ${opts.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    inputs.push(...targetsFromText(text));
  }
  // Targets piped in with no other source: `cat ips.txt | mailpace-cli blocklist scan`.
  if (!stdinWanted && args.length === 0 && opts.file === undefined && opts.domainIps === undefined && ctx.stdinPiped) stdinWanted = true;
  if (stdinWanted) inputs.push(...targetsFromText(await ctx.readStdin('targets', 'give them as arguments or with --file')));
  return inputs;
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const format: Format = outputFormat(ctx, opts.format, FORMATS);
  const concurrency = parseCount(opts.concurrency, '--concurrency', 64, 4096);
  const maxTargets = parseCount(opts.maxTargets, '--max-targets', 256, 16_777_216);
  const lists = selectLists({ zones: opts.zone, spamhausKey: opts.spamhausKey });

  const collected = collectTargets(await gatherInputs(ctx, args, opts), maxTargets);
  const targets: Target[] = [...collected.targets];
  const notices = [...collected.notices];
  const deps = ctx.deps({ maxInFlight: concurrency, cache: false });

  if (opts.domainIps !== undefined) {
    const domain = normalizeDomain(String(opts.domainIps));
    const found = await domainSendingIps(new CachingResolver(deps.resolver), domain);
    const seen = new Set(targets.map((t) => `${t.kind} ${t.value}`));
    const added = found.addresses.filter((a) => !seen.has(`${a.target.kind} ${a.target.value}`));
    if (targets.length + added.length > maxTargets) {
      throw new UsageError(`${domain} adds ${added.length} addresses: ${targets.length + added.length} targets is more than --max-targets ${maxTargets}`, {
        hint: `pass --max-targets ${targets.length + added.length}`,
      });
    }
    targets.push(...added.map((a) => a.target));
    notices.push(`--domain-ips ${domain}: ${found.addresses.map((a) => `${a.target.value} (${a.via})`).join(', ')}`, ...found.notes);
  }
  if (targets.length === 0) {
    throw new UsageError('no targets: give IP addresses, CIDR ranges or domain names as arguments, with --file, on stdin, or --domain-ips <domain>');
  }
  const plan = planScan(targets, lists);
  if (plan.pairs.length === 0) {
    const kinds = [...new Set(targets.map((t) => (t.kind === 'domain' ? 'domain names' : 'IP addresses')))].join(' and ');
    throw new UsageError(`none of the selected lists takes ${kinds} (IP lists check IPs, domain lists check domains; IPv6 needs a list that answers IPv6)`, {
      hint: 'pick lists with --zone, e.g. --zone zen.spamhaus.org for IPs or --zone dbl.spamhaus.org for domains; a custom domain list is --zone name:domain',
    });
  }

  let onResult: ((r: BlocklistResult, done: number, total: number) => void) | undefined;
  let stopProgress: () => Promise<void> = async () => undefined;
  if (format === 'ndjson') {
    onResult = (r) => ctx.io.stdout.write(toNdjsonLine(ndjsonResult(r)));
  } else if (format === 'human' && ctx.interactive) {
    const title = `Scanning ${targets.length.toLocaleString('en-US')} target${targets.length === 1 ? '' : 's'} against ${lists.length} list${lists.length === 1 ? '' : 's'} (${concurrency} at a time)`;
    // ink lays out to the terminal width; a TTY that reports none (some CI ptys) gets the spinner.
    if (plan.pairs.length > LIVE_VIEW_MIN_QUERIES && ((ctx.io.stderr as NodeJS.WriteStream).columns ?? 0) >= 40) {
      const { startBlocklistLive } = await import('../../render/blocklist-live.js');
      const live = startBlocklistLive(ctx.io.stderr as NodeJS.WriteStream, title, plan.pairs.length);
      onResult = (r, done) => live.onResult(r, done);
      stopProgress = () => live.stop();
    } else {
      const spinner = await startSpinner(ctx, title);
      onResult = (_r, done, total) => spinner.update(`${title}: ${done}/${total}`);
      stopProgress = async () => spinner.stop();
    }
  }

  let report;
  try {
    report = await scanBlocklists(deps, targets, lists, { concurrency, onResult, plan });
  } finally {
    await stopProgress();
  }
  report = { ...report, notices: [...notices, ...report.notices] };

  const exitCode = scanExitCode(report.summary);
  switch (format) {
    case 'junit':
    case 'github':
      // "--fail-on": a listing is an error, the only thing blocklist scan fails on
      writeReport(ctx, format, {
        command: 'blocklist scan',
        suites: [{ name: 'blocklist scan', cases: blocklistCases(targets, report.results), notices: report.notices.map((message) => ({ level: 'warning', message })) }],
        failOn: 'error',
        exitCode,
      });
      break;
    case 'json':
      ctx.out(toJson(blocklistJson(report)));
      break;
    case 'human':
      ctx.out(renderBlocklistHuman(ctx.color, report));
      break;
    case 'csv':
      ctx.io.stdout.write(csvHeader() + report.results.map(csvRow).join(''));
      for (const n of report.notices) ctx.notice(`note: ${n}`);
      break;
    case 'ndjson':
      ctx.io.stdout.write(toNdjsonLine(ndjsonSummary(report)));
      for (const n of report.notices) ctx.notice(`note: ${n}`);
      break;
  }
  return exitCode;
}
