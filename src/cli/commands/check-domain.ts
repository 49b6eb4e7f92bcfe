/** check-domain: gather domains (args, --file, stdin, config) → checkDomains → render in the chosen format. */
import { readFileSync } from 'node:fs';
import { createPolicyFetcher } from '../../core/domain/policy-fetch.js';
import type { CliContext } from '../context.js';
import { loadConfig, parseDomainList } from '../config.js';
import { checkDomains, type DomainReport } from '../../core/domain/check-domain.js';
import { normalizeDomain } from '../../core/domain/name.js';
import { UsageError } from '../../core/errors.js';
import { exitCodeFor, parseFailOn } from '../../core/policy.js';
import { summarize } from '../../core/types.js';
import { jsonDocument, toJson, toNdjsonLine } from '../../render/json.js';
import { CSV_HEADER, csvLine, renderCheckDomain } from '../../render/check-domain.js';
import { startSpinner } from '../../render/progress.js';
import { writeReport, type ReportFormat } from '../report-format.js';
import { parseIp, parseSelector } from '../flags.js';

type Format = 'human' | 'json' | 'ndjson' | 'csv' | ReportFormat;

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new UsageError(`${flag} "${value}" must be a whole number from 1 to 1000`);
  return n;
}

function readList(ctx: CliContext, path: string): Promise<string> | string {
  if (path === '-') return ctx.readStdin('domain names', 'give them as arguments or with --file <path>');
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const loaded = loadConfig(opts.config);
  const cfg = loaded?.config ?? {};
  const failOn = parseFailOn(opts.failOn ?? cfg.failOn);
  const format: Format = ctx.json ? 'json' : (opts.format ?? 'human');
  const concurrency = positiveInt(opts.concurrency ?? '8', '--concurrency');

  let raw: string[] = [...args];
  if (opts.file !== undefined) raw.push(...parseDomainList(await readList(ctx, opts.file)));
  if (raw.length === 0 && cfg.domains) raw = [...cfg.domains];
  if (raw.length === 0 && opts.file === undefined && ctx.stdinPiped) raw = parseDomainList(await ctx.readStdin('domain names', 'give them as arguments or with --file <path>'));
  if (raw.length === 0) {
    throw new UsageError('no domain given: pass domains as arguments, with --file, on stdin, or in mailpace.config.json (see --help)');
  }
  const domains = [...new Set(raw.map(normalizeDomain))];
  const selectors: string[] = (opts.selector ?? cfg.selectors ?? []).map((s: string) => parseSelector(s, '--selector'));
  const ips: string[] = (opts.ip ?? cfg.ips ?? []).map((ip: string) => parseIp(ip, '--ip'));

  const profile = opts.profile ?? cfg.profile;
  let ca: string | undefined;
  if (opts.caFile !== undefined) {
    try {
      ca = readFileSync(opts.caFile, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --ca-file ${opts.caFile}: ${(e as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file ${opts.caFile} holds no PEM certificate`);
  }
  let port: number | undefined;
  if (opts.mtaStsPort !== undefined) {
    port = Number(opts.mtaStsPort);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--mta-sts-port "${opts.mtaStsPort}" must be a port number (1-65535)`);
  }

  // Config may also name resolvers; --dns wins.
  if (!ctx.opts.dns?.length && cfg.dns?.length) ctx.opts.dns = cfg.dns;
  const deps = ctx.deps({ maxInFlight: Math.max(64, concurrency * 8) });

  const spinner = await startSpinner(ctx, domains.length === 1 ? `checking ${domains[0]}` : `checking ${domains.length} domains`);
  let done = 0;
  if (format === 'csv') ctx.out(CSV_HEADER);
  const onDomain = (r: DomainReport) => {
    done++;
    if (domains.length > 1) spinner.update(`checked ${done}/${domains.length} domains`);
    // ndjson streams each domain as soon as it is finished
    if (format === 'ndjson') ctx.io.stdout.write(toNdjsonLine(jsonDocument('check-domain', { type: 'domain', ...r })));
  };
  // One HTTPS client for the run (MTA-STS policies, BIMI assets), resolving through our resolver.
  const fetcher = createPolicyFetcher({ resolver: deps.resolver, ca, port });
  let report;
  try {
    report = await checkDomains(deps, domains, { selectors, ips, concurrency, profile, fetcher, fetchBimi: !!opts.fetchBimi }, onDomain);
  } finally {
    spinner.stop();
    await fetcher.close();
  }
  const exitCode = exitCodeFor(report.domains.flatMap((d) => d.findings), failOn);
  switch (format) {
    case 'junit':
    case 'github':
      writeReport(ctx, format, {
        command: 'check-domain',
        suites: [{ name: 'check-domain', notices: [], cases: report.domains.map((d) => ({ name: d.domain, findings: d.findings })) }],
        failOn,
        exitCode,
      });
      break;
    case 'json':
      ctx.out(toJson(jsonDocument('check-domain', report)));
      break;
    case 'ndjson':
      ctx.io.stdout.write(toNdjsonLine(jsonDocument('check-domain', { type: 'summary', domains: report.domains.length, ...summarize(report.domains.flatMap((d) => d.findings)) })));
      break;
    case 'csv':
      for (const d of report.domains) ctx.io.stdout.write(csvLine(d));
      break;
    default:
      ctx.out(renderCheckDomain(ctx.color, report));
  }
  return exitCode;
}
