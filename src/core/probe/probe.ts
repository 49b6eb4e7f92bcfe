/**
 * `probe`: connect to a recipient's MX hosts the way a sending MTA does and report banner, EHLO,
 * STARTTLS, the TLS versions accepted, the certificate, greylisting, and MTA-STS/DANE consistency.
 * It never sends DATA: the transaction is MAIL FROM + RCPT TO, then RSET and QUIT.
 *
 * Hosts are probed concurrently; at each host the TLS version matrix, PTR and TLSA lookups and the
 * greylisting transaction run concurrently too. DNS goes through deps.resolver, time through deps.clock.
 */
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { Deps } from '../deps.js';
import { sortFindings, type Finding } from '../types.js';
import { SmtpSession, withoutLabel, type SmtpSessionOptions, type StartTlsMode } from '../smtp/session.js';
import { SmtpSessionError } from '../smtp/smtp-error.js';
import { formatExtension } from '../smtp/ehlo.js';
import { tryParseReply, type SmtpReply } from '../smtp/reply.js';
import { TLS_VERSIONS, type TlsSessionInfo, type TlsVersion } from '../smtp/tls-session.js';
import type { TranscriptEntry } from '../smtp/transcript.js';
import { analyzeCertificate } from './certificate.js';
import { lookupTlsa, matchTlsa, type TlsaLookup, type TlsaVerdict } from './dane.js';
import { matchGreylisting, retryUntilAccepted, type RetryScheduleOptions } from './greylisting.js';
import { dnsFinding, finding, hostFindings, type HostFacts } from './host-findings.js';
import { lookupPtr, resolveAddresses, resolveMailHosts, type MailHost } from './mail-hosts.js';
import { discoverMtaSts, evaluateMtaSts, type MtaStsDiscovery, type PolicyFetcher } from './mta-sts.js';
import type { GreylistingReport, HostReport, ProbeReport, ReplyReport, TlsReport } from './report.js';
import { LEGACY_CIPHERS, probeTlsVersions, type VersionMatrix } from './tls-matrix.js';
import { ipFamily } from '../net/ip-address.js';

export interface ProbeDeps extends Deps {
  /** Fetches the MTA-STS policy over HTTPS; without it the policy is reported as not fetched. */
  fetchPolicy?: PolicyFetcher;
}

export interface ProbeOptions {
  /** SMTP port (25 for MX). */
  port: number;
  /** Our EHLO name. */
  heloName: string;
  /** MAIL FROM address; "" sends the null reverse-path. */
  mailFrom: string;
  /** RCPT TO address; default postmaster@<domain>, or bare "postmaster" (RFC 5321 §4.1.1.3) without a domain. */
  rcpt?: string;
  /** Keep retrying a greylisted recipient for this long (0: detect only). */
  greylistWaitMs: number;
  /** Probe at most this many MX hosts (in preference order). */
  maxHosts: number;
  /** Extra trust anchors (PEM), added to Node's roots. */
  caPem?: string[];
  retrySchedule?: RetryScheduleOptions;
  /** Greeting wait as a multiple of deps.timeoutMs (MTAs with pre-greet checks pause before 220). */
  greetingFactor?: number;
  onProgress?: (text: string) => void;
  onTranscript?: (label: string, entry: TranscriptEntry) => void;
  signal?: AbortSignal;
}

export interface ProbeTarget {
  /** The recipient domain: MX lookup (unless host is given), MTA-STS, the default recipient. */
  domain?: string;
  /** Probe this host (name or IP) instead of the domain's MX hosts. */
  host?: string;
}

export const DEFAULT_GREETING_FACTOR = 3;

function replyReport(r: SmtpReply): ReplyReport {
  return { code: r.code, enhanced: r.enhanced ?? null, text: r.text };
}

/** The greeting as sent: RFC 2034 §3 puts no enhanced code in a greeting, so one that is there stays text. */
function bannerReport(r: SmtpReply): { code: number; text: string } {
  return { code: r.code, text: r.enhanced ? `${r.enhanced} ${r.text}`.trim() : r.text };
}

function isName(host: string): boolean {
  return ipFamily(host.replace(/^\[|\]$/g, '')) === 0;
}

/** The first server entry of a transcript (the greeting), for sessions that failed after it. */
function bannerFrom(entries: readonly TranscriptEntry[]): SmtpReply | undefined {
  const first = entries.find((e) => e.dir === 'server');
  return first ? (tryParseReply(first.text) ?? { code: 0, lines: [first.text], text: first.text }) : undefined;
}

export async function runProbe(deps: ProbeDeps, target: ProbeTarget, opts: ProbeOptions): Promise<ProbeReport> {
  const domain = target.domain ?? null;
  const domainFindings: Finding[] = [];
  const mtaStsP: Promise<MtaStsDiscovery | undefined> = domain ? discoverMtaSts(deps.resolver, domain, deps.fetchPolicy, opts.signal) : Promise.resolve(undefined);

  let hosts: (MailHost | { host: string; priority: null })[] = [];
  if (target.host) {
    hosts = [{ host: target.host.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase(), priority: null }];
  } else if (domain) {
    opts.onProgress?.(`looking up MX for ${domain}`);
    const mx = await resolveMailHosts(deps.resolver, domain);
    if (mx.kind === 'dns-error') domainFindings.push(dnsFinding(mx.error, 'mx'));
    else if (mx.kind === 'null-mx') {
      // Raised to error here: for a sender, a null MX means every message to the domain bounces.
      domainFindings.push(
        finding('MX_NULL', 'mx', `${domain} publishes a null MX (RFC 7505): it accepts no mail, so there is nothing to probe`, {
          severity: 'error',
          fix: 'mail to this domain cannot be delivered; check the address, or ask the domain owner',
          evidence: { domain },
        }),
      );
    } else if (mx.kind === 'none') {
      domainFindings.push(
        finding('PROBE_NO_MAIL_HOSTS', 'mx', mx.reason === 'nxdomain' ? `${domain} does not exist (NXDOMAIN)` : `${domain} has no MX and no A/AAAA record: mail cannot be delivered`, {
          fix: mx.reason === 'nxdomain' ? 'check the spelling of the domain' : 'publish MX records (or an A record for the implicit MX)',
          evidence: { domain },
        }),
      );
    } else hosts = mx.hosts;
  }
  const probed = hosts.slice(0, Math.max(1, opts.maxHosts));
  const skippedHosts = hosts.slice(probed.length).map((h) => h.host);

  const mtaSts = await mtaStsP;
  if (mtaSts?.dnsError) domainFindings.push(dnsFinding(mtaSts.dnsError, 'mta-sts'));
  if (mtaSts?.published && mtaSts.error && mtaSts.errorKind !== 'not-fetched') {
    // the codes check-domain uses for the same failures
    const code = mtaSts.errorKind === 'record' ? 'MTA_STS_RECORD_INVALID' : mtaSts.errorKind === 'invalid' ? 'MTA_STS_POLICY_INVALID' : 'MTA_STS_POLICY_UNREACHABLE';
    domainFindings.push(
      finding(code, 'mta-sts', `${domain}: ${mtaSts.error}`, {
        fix: `serve the policy at https://mta-sts.${domain}/.well-known/mta-sts.txt with a valid certificate, HTTP 200 and text/plain`,
        evidence: { url: mtaSts.policyUrl },
      }),
    );
  }

  // The trust store for the chain check, built once per run: Node's default store plus --ca-file.
  // (Building a context with explicit CAs costs ~70 ms of CPU; the version-matrix sessions do not
  // judge trust and keep Node's cheap default context.)
  const trust = opts.caPem && opts.caPem.length > 0 ? createSecureContext({ ca: [...rootCertificates, ...opts.caPem] }) : undefined;
  const reports = await Promise.all(probed.map((h) => probeHost(deps, h.host, h.priority, domain, mtaSts, opts, trust)));
  const findings = sortFindings([...domainFindings, ...reports.flatMap((r) => r.findings)]);
  const report: ProbeReport = {
    target: target.host ?? domain ?? '',
    domain,
    skippedHosts,
    hosts: reports,
    findings,
    incomplete: reports.length > 0 && reports.every((r) => !r.reachable),
  };
  if (mtaSts && (mtaSts.published || mtaSts.dnsError)) {
    report.mtaSts = { published: mtaSts.published };
    if (mtaSts.id) report.mtaSts.id = mtaSts.id;
    if (mtaSts.policy) Object.assign(report.mtaSts, { mode: mtaSts.policy.mode, mx: mtaSts.policy.mx, maxAge: mtaSts.policy.maxAge });
    if (mtaSts.error) report.mtaSts.error = mtaSts.error;
  }
  return report;
}

interface TransactionResult {
  mail?: SmtpReply;
  rcpt?: SmtpReply;
  /** The reply that decides: RCPT's, or MAIL's when MAIL was refused. */
  deciding?: SmtpReply;
  at: number;
}

/** MAIL FROM, RCPT TO (unless MAIL was refused), RSET. Never DATA. */
async function transaction(session: SmtpSession, mailFrom: string, rcpt: string, now: () => number): Promise<TransactionResult> {
  const mail = await session.mailFrom(mailFrom);
  if (mail.code >= 400) return { mail, deciding: mail, at: now() };
  const r = await session.rcptTo(rcpt);
  const at = now();
  // RSET abandons the transaction (RFC 5321 §4.1.1.5); its reply does not matter
  await session.rset().catch(() => undefined);
  return { mail, rcpt: r, deciding: r, at };
}

async function probeHost(
  deps: ProbeDeps,
  host: string,
  priority: number | null,
  domain: string | null,
  mtaSts: MtaStsDiscovery | undefined,
  opts: ProbeOptions,
  trust: SecureContext | undefined,
): Promise<HostReport> {
  const { clock } = deps;
  const t0 = clock.now();
  const progress = (s: string) => opts.onProgress?.(`${host}: ${s}`);
  const report: Omit<HostReport, 'findings'> = {
    host,
    address: null,
    addresses: [],
    port: opts.port,
    priority,
    ptr: null,
    reachable: false,
    banner: null,
    ehlo: [],
    starttls: false,
    tls: null,
    greylisting: { tested: false, detected: false, firstReply: null, acceptedAfterMs: null },
    timings: { totalMs: 0 },
  };
  const facts: HostFacts = { report, versionsClientRefused: [], now: t0 };
  const done = (): HostReport => {
    const { totalMs: _, ...timings } = report.timings;
    report.timings = { ...timings, totalMs: clock.now() - t0 };
    facts.now = clock.now();
    return { ...report, findings: sortFindings(hostFindings(facts)) };
  };

  // addresses (a host given as an IP literal is its own address)
  progress('resolving');
  const resolved = await resolveAddresses(deps.resolver, host);
  report.timings.resolveMs = clock.now() - t0;
  if ('error' in resolved) {
    facts.failure = { stage: 'resolve', code: resolved.error.code, message: resolved.error.message, dnsError: resolved.error };
    return done();
  }
  if (resolved.addresses.length === 0) {
    facts.failure = { stage: 'resolve', code: 'NO_ADDRESS', message: `${host} has no A or AAAA record` };
    return done();
  }
  // IPv4 first: more networks can reach it, and it is what most senders try first in practice
  report.addresses = [...resolved.addresses.filter((a) => ipFamily(a) === 4), ...resolved.addresses.filter((a) => ipFamily(a) === 6)];

  const name = isName(host) ? host : undefined;
  const tlsaP: Promise<TlsaLookup | undefined> = name ? lookupTlsa(deps.resolver, name, opts.port) : Promise.resolve(undefined);
  // `tag` names the session in --verbose transcripts: main, TLSv1.2, retry 3 …
  const base = (address: string, tag: string): Omit<SmtpSessionOptions, 'startTls'> => ({
    address,
    port: opts.port,
    serverName: name,
    heloName: opts.heloName,
    timeouts: { connectMs: deps.timeoutMs, greetingMs: deps.timeoutMs * (opts.greetingFactor ?? DEFAULT_GREETING_FACTOR), commandMs: deps.timeoutMs },
    clock,
    signal: opts.signal,
    tls: trust ? { secureContext: trust } : {},
    onTranscript: opts.onTranscript ? (e) => opts.onTranscript!(`${host === address ? address : `${host} [${address}]`} ${tag}`, e) : undefined,
  });

  // the main session: try the addresses in order until one answers (RFC 5321 §5.1)
  let session: SmtpSession | undefined;
  let mode: StartTlsMode = 'opportunistic';
  let lastConnectError: SmtpSessionError | undefined;
  const failedAddresses: { address: string; code: string; message: string }[] = [];
  for (let i = 0; i < report.addresses.length; i++) {
    const address = report.addresses[i]!;
    const more = i < report.addresses.length - 1;
    report.address = address;
    progress(`connecting to ${address}`);
    try {
      session = await SmtpSession.open({ ...base(address, 'main'), startTls: 'opportunistic' });
      break;
    } catch (err) {
      if (!(err instanceof SmtpSessionError)) throw err;
      if (err.phase === 'connect') {
        lastConnectError = err;
        if (more) failedAddresses.push({ address, code: err.smtpCode, message: withoutLabel(err.message, base(address, '')) });
        continue;
      }
      if (err.phase === 'greeting' && more) {
        // a refusal or silence at the greeting: senders try the host's next address (RFC 5321 §5.1;
        // Postfix skips 5xx greetings the same way), so the probe does too and says what it met
        failedAddresses.push({ address, code: err.smtpCode, message: withoutLabel(err.message, base(address, '')) });
        continue;
      }
      report.reachable = !(err.smtpCode === 'SMTP_GREETING_TIMEOUT' || (err.phase === 'greeting' && err.smtpCode === 'SMTP_CONNECTION_CLOSED'));
      const banner = bannerFrom(err.transcript);
      if (banner) report.banner = bannerReport(banner);
      if (err.phase === 'greeting') {
        facts.failure = { stage: 'banner', code: err.smtpCode, message: withoutLabel(err.message, base(address, '')) };
        break;
      }
      if (err.smtpCode === 'SMTP_TLS_FAILED') {
        // STARTTLS is offered but broken: note it and carry on in plaintext, as most MTAs would
        facts.startTlsError = withoutLabel(err.message, base(address, ''));
        progress('STARTTLS failed, retrying in plaintext');
        try {
          session = await SmtpSession.open({ ...base(address, 'plaintext'), startTls: 'never' });
          mode = 'never';
        } catch (err2) {
          if (!(err2 instanceof SmtpSessionError)) throw err2;
          facts.failure = { stage: 'session', code: err2.smtpCode, message: withoutLabel(err2.message, base(address, '')) };
        }
        report.starttls = true;
        break;
      }
      facts.failure = { stage: 'session', code: err.smtpCode, message: withoutLabel(err.message, base(address, '')) };
      break;
    }
  }
  if (!session && !facts.failure) {
    facts.failure = {
      stage: 'connect',
      code: lastConnectError?.smtpCode ?? 'SMTP_CONNECT_FAILED',
      message: lastConnectError ? withoutLabel(lastConnectError.message, base(report.address!, '')) : 'no address to connect to',
    };
  }
  if (facts.failure) report.error = { code: facts.failure.code, message: facts.failure.message };
  if (failedAddresses.length > 0) report.failedAddresses = failedAddresses;

  const address = report.address!;
  const ptrP = facts.failure?.stage === 'connect' ? Promise.resolve(undefined) : lookupPtr(deps.resolver, address);
  if (!session) {
    const ptr = await ptrP;
    if (ptr && 'error' in ptr) facts.ptrError = ptr.error;
    else if (ptr) report.ptr = ptr.names[0] ?? null;
    const tlsa = await tlsaP;
    if (tlsa && (tlsa.records.length > 0 || tlsa.dnsError)) facts.dane = { lookup: tlsa };
    return done();
  }

  report.reachable = true;
  report.banner = bannerReport(session.banner);
  report.ehlo = (session.ehloPlain?.extensions ?? []).map(formatExtension);
  if (session.tls) report.ehloTls = (session.ehlo?.extensions ?? []).map(formatExtension);
  report.starttls = report.starttls || session.startTlsOffered;
  if (session.startTlsRefusal) facts.startTlsError = `STARTTLS answered ${session.startTlsRefusal.code} ${session.startTlsRefusal.text}`;
  Object.assign(report.timings, {
    connectMs: session.timings.connectMs,
    bannerMs: session.timings.bannerMs,
    ...(session.timings.ehloMs !== undefined ? { ehloMs: session.timings.ehloMs } : {}),
    ...(session.timings.startTlsMs !== undefined ? { startTlsMs: session.timings.startTlsMs } : {}),
  });
  const mainTls: TlsSessionInfo | undefined = session.tls;

  // concurrently: the TLS version matrix, and the greylisting transaction on the main session
  const matrixP: Promise<VersionMatrix | undefined> = report.starttls
    ? (async () => {
        progress('testing TLS versions');
        const ts = clock.now();
        const m = await probeTlsVersions((v) => ({ ...base(address, v), tls: {} }));
        report.timings.tlsMatrixMs = clock.now() - ts;
        return m;
      })()
    : Promise.resolve(undefined);

  const rcpt = opts.rcpt ?? (domain ? `postmaster@${domain}` : 'postmaster');
  const greyP = (async () => {
    const g: GreylistingReport = report.greylisting;
    const ts = clock.now();
    let first: TransactionResult;
    try {
      first = await transaction(session, opts.mailFrom, rcpt, () => clock.now());
    } catch (err) {
      const e = err as SmtpSessionError;
      facts.failure = { stage: 'session', code: e.smtpCode ?? 'SMTP_SESSION_FAILED', message: withoutLabel(e.message, base(address, '')) };
      report.error = { code: facts.failure.code, message: facts.failure.message };
      return;
    } finally {
      await session.quit();
    }
    g.tested = true;
    facts.mailReply = first.mail;
    facts.rcptReply = first.rcpt;
    if (first.deciding) g.firstReply = replyReport(first.deciding);
    const pattern = first.deciding ? matchGreylisting(first.deciding) : undefined;
    if (pattern) {
      g.detected = true;
      g.pattern = pattern.id;
    }
    if (pattern && opts.greylistWaitMs > 0) {
      g.waitMs = opts.greylistWaitMs;
      progress(`greylisted; retrying for up to ${Math.round(opts.greylistWaitMs / 1000)} s`);
      let retry = 0;
      const outcome = await retryUntilAccepted(
        async () => {
          const s = await SmtpSession.open({ ...base(address, `retry ${++retry}`), startTls: mode });
          try {
            const t = await transaction(s, opts.mailFrom, rcpt, () => clock.now());
            return t.deciding!;
          } finally {
            await s.quit();
          }
        },
        { clock, waitMs: opts.greylistWaitMs, firstRefusalAt: first.at, schedule: opts.retrySchedule, signal: opts.signal },
      );
      g.retries = outcome.attempts;
      if (outcome.lastRefusedAfterMs !== undefined) g.lastRefusedAfterMs = outcome.lastRefusedAfterMs;
      if (outcome.accepted) g.acceptedAfterMs = outcome.acceptedAfterMs!;
      else facts.greylistNotCleared = !outcome.permanentFailure;
      if (outcome.permanentFailure && outcome.lastReply) facts.rcptReply = outcome.lastReply;
    }
    report.timings.greylistingMs = clock.now() - ts;
  })();

  const [matrix, , ptr, tlsa] = await Promise.all([matrixP, greyP, ptrP, tlsaP]);
  if (ptr && 'error' in ptr) facts.ptrError = ptr.error;
  else if (ptr) report.ptr = ptr.names[0] ?? null;

  // TLS: versions from the matrix; the certificate from the main session (or any matrix session)
  if (report.starttls) {
    const versions = Object.fromEntries(TLS_VERSIONS.map((v) => [v, matrix?.[v]?.accepted ?? null])) as Record<TlsVersion, boolean | null>;
    // the main session's own handshake is evidence too (a refused matrix attempt may be a rate limit)
    const negotiated = mainTls?.protocol as TlsVersion | undefined;
    if (negotiated && (TLS_VERSIONS as readonly string[]).includes(negotiated)) versions[negotiated] = true;
    const versionErrors: Partial<Record<TlsVersion, string>> = {};
    for (const v of TLS_VERSIONS) {
      const a = matrix?.[v];
      if (a?.error && versions[v] !== true) versionErrors[v] = a.error;
      if (a?.clientRefused) facts.versionsClientRefused.push(v);
    }
    // Without a main TLS session (a legacy-only server) the certificate comes from a matrix session;
    // those do not carry --ca-file, so with one given, one more session judges the chain with it.
    let tlsInfo = mainTls ?? TLS_VERSIONS.map((v) => matrix?.[v]?.session).filter((s) => s !== undefined).pop();
    if (!mainTls && tlsInfo && opts.caPem && opts.caPem.length > 0) {
      const legacyTrust = createSecureContext({ ca: [...rootCertificates, ...opts.caPem], minVersion: 'TLSv1', ciphers: LEGACY_CIPHERS });
      const s = await SmtpSession.open({ ...base(address, 'certificate'), startTls: 'require', tls: { secureContext: legacyTrust } }).catch(() => undefined);
      if (s?.tls) tlsInfo = s.tls;
      await s?.quit();
    }
    const certificate = tlsInfo
      ? (analyzeCertificate(tlsInfo.chain, { name: name ?? address, authorized: tlsInfo.authorized, authorizationError: tlsInfo.authorizationError, now: clock.now() }) ?? null)
      : null;
    const tls: TlsReport = {
      negotiated: mainTls ? { protocol: mainTls.protocol ?? 'unknown', cipher: mainTls.cipher ?? 'unknown' } : null,
      versions,
      certificate,
    };
    if (Object.keys(versionErrors).length > 0) tls.versionErrors = versionErrors;
    report.tls = tls;
  }

  // MTA-STS: does this host satisfy the domain's policy?
  if (mtaSts?.policy) {
    const cert = report.tls?.certificate ?? null;
    const v = evaluateMtaSts(mtaSts.policy, {
      host,
      tls: !!report.tls && (report.tls.negotiated !== null || Object.values(report.tls.versions).some((x) => x === true)),
      trusted: cert ? cert.trusted : null,
      nameMatches: cert ? cert.nameMatches : null,
      expired: !!cert && (cert.daysLeft < 0 || Date.parse(cert.validFrom) > clock.now()),
    });
    report.mtaSts = { mode: v.mode, mxListed: v.mxListed, failures: v.failures };
  }

  // DANE: do the TLSA records match what the server presented?
  if (tlsa && (tlsa.records.length > 0 || tlsa.dnsError)) {
    const chain = mainTls?.chain ?? TLS_VERSIONS.map((v) => matrix?.[v]?.session?.chain).find((c) => c && c.length > 0);
    const verdict: TlsaVerdict | undefined = tlsa.records.length > 0 ? matchTlsa(tlsa.records, chain ?? []) : undefined;
    facts.dane = { lookup: tlsa, verdict };
    if (verdict) {
      report.dane = {
        tlsaName: tlsa.name,
        records: tlsa.records.length,
        authenticated: tlsa.authenticated,
        usable: verdict.usable,
        matched: chain && chain.length > 0 ? verdict.matched : null,
      };
    }
  }
  return done();
}
