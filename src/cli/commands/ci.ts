/** ci: the config file → one plan (domains, IPs, templates, recipients) → runCi → the chosen format. */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { CliContext } from '../context.js';
import { loadConfig, type ProjectConfig } from '../config.js';
import { globFiles, GlobError } from '../glob.js';
import { parseHelo, parseIp, parseSelector, readCaFile, readInputFile, wholeNumber } from '../flags.js';
import { isReportFormat, junitFor, outputFormat, writeReport } from '../report-format.js';
import { selectLists } from '../../core/blocklist/selection.js';
import { collectTargets } from '../../core/blocklist/target.js';
import { CI_AREAS, runCi, type CiArea, type CiPlan } from '../../core/ci/run-ci.js';
import { createPolicyFetcher } from '../../core/domain/policy-fetch.js';
import { normalizeDomain } from '../../core/domain/name.js';
import { UsageError } from '../../core/errors.js';
import { NO_HTTP, type HttpClient } from '../../core/http/http-client.js';
import { exitCodeForCases, parseFailOn } from '../../core/policy.js';
import { httpsPolicyFetcher } from '../../core/probe/mta-sts.js';
import { DEFAULT_ALLOWED_EXTENSIONS } from '../../core/score/attachment-extensions.js';
import type { ScoreInput } from '../../core/score/engine.js';
import { assertMessage } from '../../core/score/message.js';
import { ciJson, renderCiHuman } from '../../render/ci.js';
import { toJson } from '../../render/json.js';
import { startSpinner } from '../../render/progress.js';

const FORMATS = ['human', 'json', 'junit', 'github'] as const;

/** A scan of more addresses than this belongs in `blocklist scan`, not a pre-deploy gate. */
const MAX_BLOCKLIST_TARGETS = 1024;

export function parseOnly(value: string | undefined): Set<CiArea> {
  if (value === undefined) return new Set(CI_AREAS);
  const names = value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--only is empty: name areas from ${CI_AREAS.join(', ')}`);
  for (const n of names) if (!(CI_AREAS as readonly string[]).includes(n)) throw new UsageError(`--only "${n}" is not an area: use ${CI_AREAS.join(', ')} (comma-separated)`);
  return new Set(names as CiArea[]);
}

/** Config values are checked with the config file named in the message, as flags are with the flag. */
function inConfig<T>(path: string, key: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`config ${path}: ${key}: ${e.message.replace(/^--zone /, '')}`, e.hint ? { hint: e.hint } : undefined);
    throw e;
  }
}

function templateInputs(path: string, patterns: readonly string[]): ScoreInput[] {
  const base = dirname(path);
  const inputs: ScoreInput[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    let files: string[];
    try {
      files = globFiles(pattern, base);
    } catch (e) {
      if (e instanceof GlobError) throw new UsageError(`config ${path}: templates "${pattern}" is not a valid glob: ${e.message}`);
      throw e;
    }
    if (files.length === 0) throw new UsageError(`config ${path}: templates "${pattern}" matches no file (relative to ${base})`);
    for (const file of files) {
      if (seen.has(file)) continue;
      seen.add(file);
      const raw = readInputFile(isAbsolute(file) ? file : join(base, file), 'template');
      assertMessage(raw, file);
      inputs.push({ file, raw });
    }
  }
  return inputs;
}

interface Built {
  plan: CiPlan;
  rspamdUrl?: string;
}

function buildPlan(ctx: CliContext, path: string, cfg: ProjectConfig, only: Set<CiArea>, opts: Record<string, any>): Built {
  const plan: CiPlan = {};
  const domains = inConfig(path, 'domains', () => [...new Set((cfg.domains ?? []).map(normalizeDomain))]);
  const selectors = (cfg.selectors ?? []).map((s) => parseSelector(s, `config ${path}: selectors:`));
  const ips = (cfg.ips ?? []).map((ip) => parseIp(ip, `config ${path}: ips:`));
  if (only.has('domains') && domains.length > 0) plan.domains = { domains, selectors, ips, ...(cfg.profile ? { profile: cfg.profile } : {}) };

  const lists = inConfig(path, 'zones', () => selectLists({ zones: cfg.zones }));
  // IPs are asked of the IP lists, domains of the domain lists: sending IPs with no IP list is a
  // config mistake; domains with no domain list are only checked by check-domain
  if (ips.length > 0 && !lists.some((l) => l.kind === 'ip')) {
    throw new UsageError(`config ${path}: zones: none of ${cfg.zones!.join(', ')} is an IP blocklist, so the "ips" cannot be scanned`, {
      hint: 'add an IP list such as zen.spamhaus.org, or leave "zones" out for the default lists',
    });
  }
  const scanned = [...ips, ...(lists.some((l) => l.kind === 'domain') ? domains : [])];
  if (only.has('ips') && scanned.length > 0) {
    plan.ips = { targets: collectTargets(scanned, MAX_BLOCKLIST_TARGETS).targets, lists };
  }

  // Templates are read (and checked to be messages) whether or not they are scored this run: a bad
  // glob or a missing file is a config error every time, not only when --only includes them.
  const templates = cfg.templates && cfg.templates.length > 0 ? templateInputs(path, cfg.templates) : [];
  const env = ctx.io.env;
  const rspamdUrl = cfg.rspamd ?? (env.MAILPACE_RSPAMD_URL || undefined);
  if (only.has('templates') && templates.length > 0) {
    plan.templates = {
      inputs: templates,
      options: {
        engine: rspamdUrl ? 'auto' : 'builtin',
        // never "explicit": an Rspamd that cannot be reached falls back to the lint, and the report says so
        rspamd: { url: rspamdUrl ?? 'http://127.0.0.1:11333', explicit: false, ...(env.MAILPACE_RSPAMD_PASSWORD ? { password: env.MAILPACE_RSPAMD_PASSWORD } : {}) },
        envelope: { rcpt: [] },
        allSymbols: false,
        lint: { bulk: cfg.profile === 'bulk', allowedExtensions: [...DEFAULT_ALLOWED_EXTENSIONS] },
        concurrency: 8,
        checkLinks: false,
      },
      ...(cfg.maxScore !== undefined ? { maxScore: cfg.maxScore } : {}),
      ...(rspamdUrl ? { rspamdFrom: cfg.rspamd ? 'config "rspamd"' : 'MAILPACE_RSPAMD_URL' } : {}),
    };
  }

  const recipients = inConfig(path, 'recipients', () => [...new Set((cfg.recipients ?? []).map(normalizeDomain))]);
  if (only.has('recipients') && recipients.length > 0) {
    const heloName = opts.helo !== undefined ? parseHelo(String(opts.helo)) : hostname();
    plan.recipients = {
      domains: recipients,
      probe: {
        port: wholeNumber(String(opts.probePort ?? '25'), '--probe-port', 1, 65535),
        heloName,
        mailFrom: `probe@${heloName.replace(/^\[|\]$/g, '')}`,
        greylistWaitMs: 0,
        maxHosts: 2,
        ...(opts.caFile !== undefined ? { caPem: [readCaFile(String(opts.caFile))] } : {}),
      },
      ...(opts.skipNetworkProbes ? { skip: '--skip-network-probes: the recipient MX hosts were not probed' } : {}),
    };
  }

  const chosen = CI_AREAS.filter((a) => plan[a] !== undefined);
  if (chosen.length === 0) {
    throw new UsageError(
      opts.only !== undefined
        ? `config ${path} configures nothing for --only ${[...only].join(',')}`
        : `config ${path} configures nothing to check: add domains, ips, templates or recipients`,
    );
  }
  return { plan, ...(rspamdUrl ? { rspamdUrl } : {}) };
}

function checkJunitFile(path: string): string {
  const full = resolve(path);
  const dir = dirname(full);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`--junit-file ${path}: the directory ${dir} does not exist`);
  if (existsSync(full) && statSync(full).isDirectory()) throw new UsageError(`--junit-file ${path} is a directory`);
  return full;
}

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  const format = outputFormat(ctx, opts.format, FORMATS);
  const only = parseOnly(opts.only);
  const loaded = loadConfig(opts.config);
  if (!loaded) throw new UsageError('no mailpace.config.json here: ci runs the checks a config file lists (--config <file>; see --help)');
  const { path, config: cfg } = loaded;
  const failOn = parseFailOn(opts.failOn ?? cfg.failOn);
  const junitFile = opts.junitFile !== undefined ? checkJunitFile(String(opts.junitFile)) : undefined;
  const { plan, rspamdUrl } = buildPlan(ctx, path, cfg, only, opts);

  if (!ctx.opts.dns?.length && cfg.dns?.length) ctx.opts.dns = cfg.dns;
  const deps = ctx.deps();
  const caPem = plan.recipients?.probe.caPem;
  const domainFetcher = createPolicyFetcher({ resolver: deps.resolver, ...(caPem ? { ca: caPem.join('\n') } : {}) });
  const http: HttpClient = plan.templates && rspamdUrl ? await ctx.httpClient({ connections: 8 }) : NO_HTTP;
  const spinner = await startSpinner(ctx, `checking ${CI_AREAS.filter((a) => plan[a]).join(', ')}`);
  let report;
  try {
    report = await runCi(
      { ...deps, domainFetcher, probeFetcher: httpsPolicyFetcher({ resolver: deps.resolver, timeoutMs: ctx.timeoutMs, ca: caPem }), http },
      plan,
    );
  } finally {
    spinner.stop();
    await Promise.all([domainFetcher.close(), http.close().catch(() => undefined)]);
  }

  const cases = report.areas.flatMap((a) => a.cases);
  const exitCode = exitCodeForCases(cases, failOn);
  const shownConfig = relative(process.cwd(), path) || path;
  const reportRun = { command: 'ci', suites: report.areas, failOn, exitCode, durationMs: report.durationMs };
  if (junitFile) writeFileSync(junitFile, junitFor(reportRun));
  if (isReportFormat(format)) writeReport(ctx, format, reportRun);
  else if (format === 'json') ctx.out(toJson(ciJson(report, { config: shownConfig, failOn, exitCode })));
  else ctx.out(renderCiHuman(ctx.color, report, { config: shownConfig, failOn, exitCode }));
  return exitCode;
}
