/**
 * The command-line front: global flags, command definitions with help and examples, and the
 * single place that maps outcomes to process.exitCode. Command implementations are imported
 * lazily, so `--help` loads none of them (nor ink, react, mailauth or SQLite).
 */
import { Command, CommanderError, Option } from 'commander';
import type { CliContext, GlobalOptions } from './context.js';
import { MailpaceError, UsageError } from '../core/errors.js';
import { EXIT } from '../core/policy.js';

const VERSION = '0.1.0';

/** What every command module exports. */
export interface CommandModule {
  run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number>;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--format` for a command with one report: human, json, or a CI system's (`testcase`: what a JUnit testcase is). */
const reportFormat = (testcase?: string): Option =>
  new Option('--format <format>', `human, json (= --json), junit (JUnit XML${testcase ? `: ${testcase}` : ''}) or github (annotations + job summary)`).choices(['human', 'json', 'junit', 'github']);

function examples(lines: [string, string][]): string {
  const w = Math.max(...lines.map(([cmd]) => cmd.length));
  return `\nExamples:\n${lines.map(([cmd, what]) => `  $ ${cmd.padEnd(w)}  # ${what}`).join('\n')}\n`;
}

type Loader = () => Promise<CommandModule>;

/**
 * Wires a command to its lazily imported implementation; its result becomes the exit code.
 * `resolves: false`: the command never builds ctx.deps() (no DNS stack loaded for it).
 */
function action(load: Loader, state: { code: number }, { resolves = true }: { resolves?: boolean } = {}) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const args = (params.slice(0, -2) as (string | string[] | undefined)[]).flatMap((a) => (a === undefined ? [] : a));
    const global = cmd.optsWithGlobals() as GlobalOptions;
    // Loaded here, not at start-up: the context, the DNS stack and chalk, none of which --help needs.
    const [{ CliContext: Context, loadDnsStack, loadColour }, mod] = await Promise.all([import('./context.js'), load()]);
    // chalk only where colour can show: a terminal on stdout or stderr
    await Promise.all([resolves ? loadDnsStack() : undefined, process.stdout.isTTY || process.stderr.isTTY ? loadColour() : undefined]);
    const ctx = new Context(global);
    state.code = await mod.run(ctx, args, cmd.opts());
  };
}

export function buildProgram(state: { code: number }): Command {
  const program = new Command();
  program
    .name('mailpace-cli')
    .description('Will my mail be delivered, and if not, why? Domain authentication, MX TLS, content scoring and blocklists.')
    .version(VERSION, '-V, --version')
    .option('--json', 'print one JSON document on stdout and nothing else')
    .option('--dns <ip[:port]>', 'DNS server to use (repeatable; default: the system resolvers)', collect)
    .option('--timeout <duration>', 'per-query / per-step network timeout, e.g. 2s or 500ms', '5s')
    .option('-q, --quiet', 'no progress or notices on stderr')
    .option('-v, --verbose', 'diagnostics on stderr, stack traces on errors')
    .option('--no-color', 'no colour (also NO_COLOR=1); colour is only used on a TTY anyway')
    .option('--store <path|url>', 'state: an SQLite file (default $XDG_STATE_HOME/mailpace-cli/store.sqlite), postgres://user@host[:port]/db to share it, :memory: (env MAILPACE_STORE)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });
  program.addHelpText(
    'after',
    `
Exit codes:
  0  all good
  1  a finding at or above --fail-on (default: error), or a blocklist listing
  2  bad usage or bad input
  3  could not complete (DNS timeout, server unreachable, service down)
${examples([
  ['mailpace-cli check-domain example.com', 'SPF, DKIM, DMARC, MX with fixes'],
  ['mailpace-cli check-domain example.com --json', 'the same as one JSON document (for CI)'],
  ['mailpace-cli auth spf --ip 203.0.113.5 --mail-from a@example.com', 'is this IP allowed to send?'],
])}`,
  );

  program
    .command('check-domain')
    .description("check a domain's SPF, DKIM, DMARC, MX and sending-IP reverse DNS; prints each problem with its fix")
    .argument('[domains...]', 'domain names (IDNs are accepted); none: --file, stdin, or the config file')
    .option('-s, --selector <name>', 'DKIM selector to check (repeatable; default: try common selectors)', collect)
    .option('--ip <address>', 'sending IP to check: PTR, forward-confirmed, not generic (repeatable; default: the single hosts named by the SPF record)', collect)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe (default: error)').choices(['error', 'warning', 'info']))
    .option('-f, --file <path>', 'read domains from a file, one per line, # comments (- for stdin)')
    .option('--concurrency <n>', 'domains checked at once', '8')
    .addOption(new Option('--format <format>', 'output format (--json is the same as --format json); junit: JUnit XML, github: annotations + job summary').choices(['human', 'json', 'ndjson', 'csv', 'junit', 'github']))
    .option('--config <file>', 'project config (default: ./mailpace.config.json when present)')
    .addOption(new Option('--profile <profile>', 'add a verdict against the Gmail/Yahoo/Microsoft bulk-sender requirements').choices(['bulk']))
    .option('--ca-file <pem>', 'extra trusted CA for MTA-STS/BIMI HTTPS (private PKI, tests)')
    .option('--fetch-bimi', 'download the BIMI logo (and certificate) and check SVG Tiny PS basics')
    .addOption(new Option('--mta-sts-port <n>', 'for tests only: fetch MTA-STS policies from this port instead of 443').hideHelp(false))
    .addHelpText(
      'after',
      examples([
        ['mailpace-cli check-domain example.com', 'check one domain'],
        ['mailpace-cli check-domain example.com example.org', 'several domains, checked concurrently'],
        ['mailpace-cli check-domain example.com -s s1 -s s2 --json', 'named DKIM selectors, JSON for CI'],
        ['mailpace-cli check-domain example.com --fail-on warning', 'fail the build on warnings too'],
        ['mailpace-cli check-domain example.com --ip 203.0.113.5', 'also check a sending IP: reverse DNS and SPF'],
        ['mailpace-cli check-domain example.com --profile bulk', 'Gmail/Yahoo/Microsoft bulk-sender verdict'],
        ['mailpace-cli check-domain -f domains.txt --format csv > report.csv', 'a fleet of domains, one CSV row each'],
        ['cat domains.txt | mailpace-cli check-domain --format ndjson', 'stream one JSON line per domain'],
        ['mailpace-cli check-domain', 'check the domains listed in mailpace.config.json'],
        ['mailpace-cli check-domain example.com --dns 127.0.0.1:5353', 'ask a specific resolver'],
      ]),
    )
    .action(action(() => import('./commands/check-domain.js'), state));

  const auth = program.command('auth').description('authentication verdicts: SPF for an IP, or SPF/DKIM/DMARC/ARC of a received message');
  auth
    .command('spf')
    .description('evaluate SPF (RFC 7208) for a sending IP, MAIL FROM and HELO')
    .requiredOption('--ip <address>', 'the connecting client IP (IPv4 or IPv6)')
    .option('--mail-from <address>', 'the envelope sender (empty: postmaster@<helo>)')
    .option('--helo <name>', 'the HELO/EHLO name')
    .addHelpText(
      'after',
      `
Results: pass, fail, softfail, neutral, none, permerror, temperror (RFC 7208 §2.6).

Exit codes:
  0  a result was computed, whatever it is (fail or permerror is an answer about the domain)
  2  bad input: --ip is not an IP address, or neither --mail-from nor --helo is given
  3  temperror: DNS did not answer (timeout, SERVFAIL); try again later
${examples([
  ['mailpace-cli auth spf --ip 203.0.113.5 --mail-from bounce@example.com', 'is 203.0.113.5 allowed to send for example.com?'],
  ['mailpace-cli auth spf --ip 2001:db8::5 --helo mail.example.com --mail-from ""', 'check the HELO identity (null sender)'],
  ['mailpace-cli auth spf --ip 203.0.113.5 --mail-from a@example.com --json', 'result, mechanism, lookups as JSON'],
])}`,
    )
    .action(action(() => import('./commands/auth-spf.js'), state));
  auth
    .command('message')
    .description('authenticate a received message: SPF, DKIM, DMARC and ARC, with alignment explained')
    .argument('<file>', 'the message (.eml), or - for stdin')
    .option('--ip <address>', 'the IP the message came from (for SPF)')
    .option('--helo <name>', 'the HELO name the client used')
    .option('--mail-from <address>', 'the envelope sender (default: Return-Path)')
    .option('--mta <name>', 'this receiver\'s host name, used in Authentication-Results', 'mailpace-cli')
    .addOption(reportFormat())
    .addHelpText(
      'after',
      `
Without --ip, SPF is not evaluated (DKIM, ARC and DMARC still are). Without --mail-from, the
envelope sender is taken from the message's Return-Path header.

Exit codes:
  0  DMARC passes, or the From domain has no DMARC record but SPF or DKIM passes aligned with From
  1  DMARC fails, the From header is unusable, or no record and nothing passes aligned with From
  2  bad input: unreadable, empty or binary file, missing or truncated header section, bad flags
  3  a DNS failure made a verdict temperror and nothing passed (run again)
${examples([
  ['mailpace-cli auth message received.eml --ip 203.0.113.5 --mail-from a@example.com', 'full verdict'],
  ['mailpace-cli auth message received.eml --ip 203.0.113.5 --helo mx.example.com --mail-from ""', 'null sender: SPF checks the HELO name'],
  ['cat msg.eml | mailpace-cli auth message - --json', 'DKIM/DMARC from stdin, as JSON'],
])}`,
    )
    .action(action(() => import('./commands/auth-message.js'), state));

  const blocklist = program.command('blocklist').description('DNS blocklists (DNSBL/RHSBL): which lists an IP, a range or a domain is on, and why');
  blocklist
    .command('scan')
    .description('query DNS blocklists for IPs, CIDR ranges or domains; decode return codes; tell "listed" from "the list refused us"')
    .argument('[targets...]', 'IPv4/IPv6 addresses, CIDR ranges (expanded), domain names; - reads stdin (so does giving none, when stdin is not a terminal)')
    .option('-z, --zone <zone>', 'list to ask (repeatable; replaces the defaults): a catalogue id or zone, any other zone is a custom IP list, name:domain a custom domain list', collect)
    .option('--spamhaus-key <key>', 'Spamhaus Data Query Service key: ask the DQS zones (also adds ZRD)')
    .option('--domain-ips <domain>', "also scan the IPs the domain's SPF authorises (ip4/ip6 hosts, a, mx) and its MX hosts")
    .option('--max-targets <n>', 'refuse to scan more targets than this (a /22 is 1,024)', '256')
    .option('-f, --file <path>', 'read targets from a file (one or more per line, # comments; - for stdin)')
    .option('-c, --concurrency <n>', 'DNS queries in flight at once', '64')
    .addOption(new Option('--format <format>', 'output format (--json is --format json); junit: JUnit XML, github: annotations + job summary').choices(['human', 'json', 'ndjson', 'csv', 'junit', 'github']))
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      `
Exit codes: 0 not listed anywhere; 1 a target is listed; 2 bad targets or flags; 3 nothing could be concluded
(every query errored or timed out, e.g. the lists refused your resolver).
${examples([
  ['mailpace-cli blocklist scan 203.0.113.5', 'every default list, with meanings and removal links'],
  ['mailpace-cli blocklist scan 203.0.112.0/22 --max-targets 1024', 'a whole /22 of sending IPs'],
  ['mailpace-cli blocklist scan example.com --zone dbl.spamhaus.org', 'a domain against the Spamhaus DBL'],
  ['mailpace-cli blocklist scan --domain-ips example.com', "the IPs example.com's SPF and MX publish"],
  ['mailpace-cli blocklist scan -f ips.txt --format csv > report.csv', 'targets from a file, CSV out'],
  ['mailpace-cli blocklist scan 2001:db8::5 --spamhaus-key KEY --json', 'Spamhaus DQS, JSON for CI'],
  ['mailpace-cli blocklist scan 203.0.113.5 --zone bl.example.net --dns 127.0.0.1', 'a custom list via your own resolver'],
])}`,
    )
    .action(action(() => import('./commands/blocklist-scan.js'), state));
  blocklist
    .command('lists')
    .description('the lists blocklist scan knows: ids and zones for --zone, which are asked by default, and what each return code means')
    .argument('[lists...]', 'ids or zones to show in full (return codes, usage terms, removal page); none: a line per list')
    .option('--default', 'only the lists asked when neither --zone nor --spamhaus-key is given')
    .addHelpText(
      'after',
      `
Exit codes: 0 printed; 2 an id or zone that is not in the catalogue.
${examples([
  ['mailpace-cli blocklist lists', 'every list: id, zone, what it takes, on by default or not'],
  ['mailpace-cli blocklist lists spamhaus-zen', "ZEN's return codes, usage terms and removal page"],
  ['mailpace-cli blocklist lists --default --json', 'the default set, as JSON'],
])}`,
    )
    .action(action(() => import('./commands/blocklist-lists.js'), state));

  program
    .command('score')
    .description('score messages through Rspamd (/checkv2), with a built-in content lint that also works without it')
    .argument('[files...]', 'messages (.eml, RFC 5322), or - for stdin')
    .option('--rspamd <url>', `Rspamd worker URL (env MAILPACE_RSPAMD_URL; default http://127.0.0.1:11333)`)
    .option('--rspamd-password <password>', 'password for an Rspamd controller worker (env MAILPACE_RSPAMD_PASSWORD)')
    .addOption(new Option('--engine <engine>', 'auto: Rspamd when reachable, else the built-in lint').choices(['auto', 'rspamd', 'builtin']).default('auto'))
    .option('--ip <address>', 'envelope: the connecting client IP (default: from the newest outside Received header)')
    .option('--helo <name>', 'envelope: the HELO/EHLO name (default: from that Received header)')
    .option('--hostname <name>', "envelope: the client's host name (default: from that Received header, else the IP's forward-confirmed reverse DNS, via --dns)")
    .option('--from <address>', 'envelope: MAIL FROM (default: Return-Path, else the From address)')
    .option('--rcpt <address>', 'envelope: RCPT TO, repeatable (default: the To, Cc and Bcc addresses)', collect)
    .option('--user <name>', 'envelope: the SMTP AUTH user, for scoring as authenticated submission')
    .option('--max-score <n>', 'exit 1 when a message scores above this')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a lint finding is at least this severe').choices(['error', 'warning', 'info']).default('error'))
    .option('-c, --concurrency <n>', 'messages scored at once (and HTTP connections to Rspamd)', '8')
    .option('--bulk', 'apply bulk-sender rules: List-Unsubscribe and RFC 8058 one-click unsubscribe')
    .option('--allow-attachment <ext>', 'add extensions to the attachment allow-list (repeatable, comma-separated)', collect)
    .option('--attachment-allow-list <exts>', 'replace the attachment allow-list (default: pdf,png,jpg,jpeg,gif,webp,txt,csv,ics,docx,xlsx,pptx,odt,ods,odp,zip)')
    .option('--all-symbols', 'ask Rspamd to run every rule ("Pass: all") even once the verdict is settled')
    .option('--check-links', 'look linked domains up in the domain blocklists of `blocklist scan` (uses --dns)')
    .option('--link-zone <zone>', 'with --check-links: domain list to ask (repeatable; a catalogue id or zone, or zone:domain)', collect)
    .addOption(reportFormat())
    .addHelpText(
      'after',
      `
The built-in lint always runs; its findings come with every result. Without Rspamd, the built-in
engine also gives a score, from the findings, on Rspamd's default scale (actions at 4, 6 and 15).
An explicit --rspamd, MAILPACE_RSPAMD_URL or --engine rspamd that cannot be reached is an error (exit 3).

Exit codes: 0 fine; 1 a message above --max-score, or a lint finding at/above --fail-on;
2 bad flags, or a file that cannot be read or is not a message; 3 Rspamd (or a blocklist) could not be reached.
${examples([
  ['mailpace-cli score welcome.eml', 'Rspamd if one runs on 127.0.0.1:11333, else the built-in lint'],
  ['mailpace-cli score templates/*.eml --max-score 4 --json', 'CI: fail when a template drifts towards spam'],
  ['mailpace-cli score newsletter.eml --bulk --ip 203.0.113.5 --helo mail.example.com', 'bulk rules, scored as sent from your MTA'],
  ['mailpace-cli score msg.eml --rspamd http://rspamd.internal:11334 --rspamd-password secret', 'through a controller worker'],
  ['cat msg.eml | mailpace-cli score - --engine builtin', 'built-in lint only, no network'],
  ['mailpace-cli score invoice.eml --allow-attachment xml', 'allow .xml attachments besides the defaults'],
  ['mailpace-cli score promo.eml --check-links --dns 127.0.0.1', 'linked domains against domain blocklists'],
])}`,
    )
    .action(action(() => import('./commands/score.js'), state));

  program
    .command('probe')
    .description("connect to a recipient's MX like a sending MTA: banner, EHLO, STARTTLS, TLS versions, certificate, greylisting (never sends a message)")
    .argument('[domain]', 'recipient domain: its MX hosts are probed (an IP address means that host)')
    .option('--host <name|ip>', "probe this host directly instead of the domain's MX hosts")
    .option('--port <n>', 'SMTP port', '25')
    .option('--helo <name>', "EHLO name (default: this machine's host name)")
    .option('--mail-from <address>', 'probe sender for MAIL FROM (default probe@<helo name>; "" for the null sender)')
    .option('--rcpt <address>', 'probe recipient for RCPT TO (default postmaster@<domain>)')
    .option('--greylist-wait <duration>', 'when greylisted, retry on a back-off schedule this long and report the delay, e.g. 10m', '0')
    .option('--max-hosts <n>', 'probe at most this many MX hosts, in preference order', '5')
    .option('--ca-file <pem>', 'extra trusted CA certificates (PEM) for the chain check, besides the system roots')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(['error', 'warning', 'info']).default('error'))
    .addOption(reportFormat())
    .addHelpText(
      'after',
      `
probe connects to port 25 of each MX (concurrently), reads the banner and EHLO, tries STARTTLS,
then one STARTTLS handshake per TLS version (1.0, 1.1, 1.2, 1.3), checks the certificate, and
runs MAIL FROM + RCPT TO to see greylisting, then RSET and QUIT: it never sends DATA.
Many networks (cloud, home) block outbound port 25: run it from your sending host.
--timeout bounds each network step; the greeting may take 3× --timeout (MTAs that pause
before greeting, like Postfix postscreen). The chain check trusts Node's root store
(NODE_OPTIONS=--use-openssl-ca for the system store, NODE_EXTRA_CA_CERTS) plus --ca-file.

Exit codes: 0 fine; 1 a finding at/above --fail-on; 2 bad arguments; 3 no host could be reached
(or DNS failed).
${examples([
  ['mailpace-cli probe example.org', 'every MX of example.org: TLS, certificate, greylisting'],
  ['mailpace-cli probe example.org --json', 'the same as one JSON document'],
  ['mailpace-cli probe example.org --greylist-wait 10m', 'if greylisted, measure how long until accepted'],
  ['mailpace-cli probe --host mx1.example.org', 'one host, by name'],
  ['mailpace-cli probe --host 127.0.0.1 --port 2525 --ca-file ca.pem', 'a test server with a private CA'],
  ['mailpace-cli probe example.org --rcpt you@example.org --mail-from me@mydomain.example', 'a real recipient and sender'],
  ['mailpace-cli probe example.org --dns 127.0.0.1:5353 --timeout 2s -v', 'own resolver, short timeouts, SMTP transcript on stderr'],
])}`,
    )
    .action(action(() => import('./commands/probe.js'), state));

  program
    .command('send')
    .description('deliver a test message like a well-behaved MTA: MX routing, MTA-STS/DANE, DKIM, 4xx back-off, 5xx → suppression')
    .option('--from <address>', 'envelope sender and From: header')
    .option('--to <address>', 'recipient (repeatable; comma lists accepted)', collect)
    .option('--to-file <path|->', 'recipients, one per line (# comments; - for stdin)')
    .option('--subject <text>', 'subject of a composed message')
    .option('--text <text>', 'plain-text body')
    .option('--text-file <path>', 'plain-text body from a file')
    .option('--html-file <path>', 'HTML body from a file')
    .option('--attach <file>', 'attach a file (repeatable; checked against the attachment allow-list)', collect)
    .option('--message <file.eml|->', 'send this RFC 5322 message instead of composing one')
    .option('--relay <url>', 'deliver everything through smtp://host[:port] (STARTTLS, default 587) or smtps://host[:port] (default 465)')
    .option('--user <name>', 'relay login (password: env MAILPACE_SMTP_PASSWORD or --password-file)')
    .option('--password-file <path>', 'relay password from the first line of this file')
    .option('--helo <name>', "EHLO name (default: this machine's host name)")
    .option('--port <n>', 'destination port (default 25; a relay URL without a port: 587/465)')
    .addOption(new Option('--tls <mode>', 'opportunistic: STARTTLS when offered; required: never send in plaintext').choices(['opportunistic', 'required']).default('opportunistic'))
    .option('--separate', 'one message per recipient instead of one per domain batch')
    .option('--max-rcpt <n>', 'recipients per transaction', '100')
    .option('--concurrency <n>', 'transactions at once (never more than 3 connections to one host)', '10')
    .option('--dkim-key <pem>', 'DKIM-sign with this private key (RSA or Ed25519, PEM)')
    .option('--dkim-selector <name>', 'DKIM selector (s=)')
    .option('--dkim-domain <domain>', 'DKIM signing domain (d=; default: the From: domain)')
    .option('--clamd <host:port|/path.sock>', 'scan the message with clamd (INSTREAM) first; a virus stops the send')
    .option('--allow-attachment <ext>', 'also allow attachments with this extension (repeatable)', collect)
    .option('--force', 'send to suppressed recipients too')
    .option('--retry', 'stay in the foreground and retry deferred recipients until delivered, bounced or expired')
    .option('--backoff <first,max>', 'retry gaps: doubling from first up to max', '5m,1h')
    .option('--greylist-delay <duration>', 'never retry a greylisted recipient sooner than this', '5m')
    .option('--max-age <duration>', 'give up (expired) on recipients still deferred after this (default 2h; 5d with --warmup)')
    .option('--ca-file <pem>', 'extra trusted CA (private PKI, tests) for STARTTLS and MTA-STS')
    .addOption(reportFormat('a testcase per recipient'))
    .option('--warmup <plan.json>', "keep to a warm-up plan's daily and hourly caps per provider (from `warmup plan --out`); over-cap recipients stay queued")
    .option('--dry-run', 'print the plan (routes, batches, retry policy) and send nothing')
    .addHelpText(
      'after',
      `
Replies: 2xx delivered; 4xx deferred and retried on the back-off schedule (greylisting waits at least
--greylist-delay; "try again in N minutes" is honoured; rate limits hold back the whole destination);
5xx bounced — and suppressed when the reply is about the recipient (unknown user, no such domain,
disabled mailbox), never for policy, blocklist, content or rate-limit refusals. Every attempt is in
the store's delivery log (mailpace-cli log); deferred recipients stay queued for "queue run".

Exit codes: 0 all delivered; 1 any bounced or suppressed, or a virus; 2 bad usage or input (nothing
sent); 3 any deferred or expired, or nothing reachable.
${examples([
  ['mailpace-cli send --from me@example.com --to you@example.org --retry', 'send a test message, retry until it lands'],
  ['mailpace-cli send --from me@example.com --to-file seeds.txt --separate --json', 'one message per recipient, JSON report'],
  ['mailpace-cli send --from me@example.com --to a@example.org --message invoice.eml --dkim-key k.pem --dkim-selector s1', 'an existing message, DKIM-signed'],
  ['MAILPACE_SMTP_PASSWORD=… mailpace-cli send --relay smtp://smtp.example.com --user me --from me@example.com --to you@example.org', 'through a submission relay'],
  ['mailpace-cli send --from me@example.com --to you@example.org --tls required --clamd 127.0.0.1:3310', 'TLS or nothing; virus-scan first'],
  ['mailpace-cli send --from me@example.com --to-file list.txt --separate --warmup plan.json', 'keep to a warm-up plan; cron `queue run` sends the rest'],
  ['mailpace-cli send --from ci@example.com --to-file seeds.txt --retry --format junit > send.xml', 'in CI: a JUnit testcase per recipient'],
  ['mailpace-cli send --from me@example.com --to you@example.org --dry-run', 'show the plan only'],
])}`,
    )
    .action(action(() => import('./commands/send.js'), state));

  const queue = program.command('queue').description('the delivery queue: deferred messages waiting for their next attempt');
  queue
    .command('list')
    .description('queued messages and each recipient\'s state, next attempt and last reply')
    .addHelpText('after', examples([['mailpace-cli queue list', 'what is waiting'], ['mailpace-cli queue list --json', 'as JSON']]))
    .action(action(async () => ({ run: (ctx, args, opts) => import('./commands/queue.js').then((m) => m.run(ctx, ['list', ...args], opts)) }), state));
  queue
    .command('run')
    .description('deliver what is due now (cron-friendly); --retry stays until every message is settled')
    .option('--retry', 'wait for and retry deferred recipients until delivered, bounced or expired')
    .option('--helo <name>', "EHLO name (default: this machine's host name)")
    .option('--concurrency <n>', 'transactions at once, per worker', '10')
    .addOption(reportFormat('a testcase per recipient'))
    .option('--workers <n>', 'workers in this process, each claiming its own messages (any number of processes may run too)', '1')
    .option('--lease <duration>', 'how long a claim lasts: a crashed worker\'s messages are taken over after this', '10m')
    .option('--password-file <path>', 'relay password (else env MAILPACE_SMTP_PASSWORD)')
    .option('--ca-file <pem>', 'extra trusted CA (private PKI, tests)')
    .addHelpText(
      'after',
      `
Workers claim --concurrency messages at a time with a lease; on a shared PostgreSQL store
(--store postgres://…) any number of queue run processes on any number of machines share the
queue. Delivery is at-least-once across crashes (same Message-ID) and exactly once without them.

Exit codes: 0 everything attempted was delivered; 1 something bounced; 3 something is still deferred.
${examples([
  ['mailpace-cli queue run', 'one pass over what is due'],
  ['*/5 * * * * mailpace-cli queue run --quiet', 'from cron, every five minutes'],
  ['mailpace-cli queue run --retry', 'stay until the queue is settled'],
  ['mailpace-cli queue run --retry --workers 4 --store postgres://mailer@db.internal/mailpace', 'four workers on the shared queue'],
])}`,
    )
    .action(action(async () => ({ run: (ctx, args, opts) => import('./commands/queue.js').then((m) => m.run(ctx, ['run', ...args], opts)) }), state));
  queue
    .command('delete')
    .description('remove queued messages (they will not be sent)')
    .argument('[ids...]', 'queue ids (see queue list)')
    .option('--all', 'empty the whole queue')
    .addHelpText('after', examples([['mailpace-cli queue delete lx3k9a1b2c3d4e5', 'one message'], ['mailpace-cli queue delete --all', 'everything']]))
    .action(action(async () => ({ run: (ctx, args, opts) => import('./commands/queue.js').then((m) => m.run(ctx, ['delete', ...args], opts)) }), state));

  const suppression = program.command('suppression').description('the suppression list: addresses never sent to again (hard bounces, complaints, manual)');
  const sup = (name: string) => async () => ({ run: (ctx: CliContext, args: string[], opts: Record<string, any>) => import('./commands/suppression.js').then((m) => m.run(ctx, [name, ...args], opts)) });
  suppression
    .command('list')
    .description('every suppressed address with its reason and when')
    .addOption(new Option('--reason <reason>', 'only this reason').choices(['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'manual']))
    .addHelpText('after', examples([['mailpace-cli suppression list --reason hard-bounce', 'hard bounces only'], ['mailpace-cli suppression list --json', 'as JSON']]))
    .action(action(sup('list'), state));
  suppression
    .command('add')
    .description('suppress addresses')
    .argument('<addresses...>', 'addresses')
    .addOption(new Option('--reason <reason>', 'why').choices(['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'manual']).default('manual'))
    .option('--detail <text>', 'a note kept with the entry')
    .addHelpText('after', examples([['mailpace-cli suppression add bob@example.com --reason complaint', 'suppress one address']]))
    .action(action(sup('add'), state));
  suppression
    .command('remove')
    .description('take addresses off the suppression list')
    .argument('<addresses...>', 'addresses')
    .addHelpText('after', examples([['mailpace-cli suppression remove bob@example.com', 'send to bob again']]))
    .action(action(sup('remove'), state));
  suppression
    .command('import')
    .description('add addresses from a CSV file: address[,reason[,detail]] per line')
    .argument('<csv>', 'file, or - for stdin')
    .addOption(new Option('--reason <reason>', 'reason for lines without one').choices(['hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'manual']).default('manual'))
    .addHelpText('after', examples([['mailpace-cli suppression import bounces.csv --reason hard-bounce', 'import an ESP export']]))
    .action(action(sup('import'), state));
  suppression
    .command('export')
    .description('the whole list as CSV or JSON')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .addHelpText('after', examples([['mailpace-cli suppression export > suppressed.csv', 'CSV for a spreadsheet or another tool']]))
    .action(action(sup('export'), state));

  const store = program.command('store').description('the state store (SQLite file or shared PostgreSQL): schema migrations, what it holds, copying it');
  const st = (name: string) => async () => ({ run: (ctx: CliContext, args: string[], opts: Record<string, any>) => import('./commands/store.js').then((m) => m.run(ctx, [name, ...args], opts)) });
  store
    .command('migrate')
    .description('bring the store\'s schema up to date (every command does this on open; run it once before a fleet of workers starts)')
    .addHelpText(
      'after',
      `
Migrations are numbered; on PostgreSQL they are recorded in the mailpace_schema table and applied under
an advisory lock, so processes starting at once migrate once. A store whose schema is newer than this
mailpace-cli is refused (exit 3): upgrade mailpace-cli.

Exit codes: 0 up to date; 2 bad --store (URL, password, database name); 3 unreachable, or schema newer.
${examples([
  ['mailpace-cli store migrate --store postgres://mailer@db.internal/mailpace', 'create or upgrade the shared schema'],
  ['mailpace-cli store migrate --json', 'the local SQLite file, as JSON'],
])}`,
    )
    .action(action(st('migrate'), state));
  store
    .command('status')
    .description('schema version (database vs this mailpace-cli) and row counts: suppressions, queue, claims, delivery log; changes nothing')
    .addHelpText(
      'after',
      `
Exit codes: 0 up to date; 1 migrations pending or the schema is newer than this mailpace-cli;
2 bad --store; 3 unreachable.
${examples([
  ['mailpace-cli store status', 'the local SQLite file'],
  ['PGPASSWORD=… mailpace-cli store status --store postgres://mailer@db.internal/mailpace --json', 'the shared database, as JSON'],
])}`,
    )
    .action(action(st('status'), state));
  store
    .command('copy')
    .description('copy the suppression list, queue and delivery log from one store into another (a laptop\'s list to the team\'s database)')
    .option('--from <path|url>', 'source: an SQLite file, sqlite://path or postgres://…')
    .option('--to <path|url>', 'target: postgres://… or an SQLite file (migrated first)')
    .addHelpText(
      'after',
      `
Suppressions are upserted (the source's entry wins), queued messages already in the target are left as
they are (and listed), delivery-log rows are appended oldest first. Passwords: in the URL, PGPASSWORD or
~/.pgpass; never printed.

Exit codes: 0 copied; 2 bad --from/--to (missing file, bad URL, same store, wrong password); 3 unreachable.
${examples([
  ['mailpace-cli store copy --from sqlite://$HOME/.local/state/mailpace-cli/store.sqlite --to postgres://mailer@db.internal/mailpace', 'move your list to the team'],
  ['mailpace-cli store copy --from postgres://mailer@db.internal/mailpace --to backup.sqlite --json', 'a local snapshot'],
])}`,
    )
    .action(action(st('copy'), state));

  program
    .command('log')
    .description('the delivery log, newest first: every attempt with MX, TLS, reply and classification')
    .option('--recipient <address>', 'only this recipient')
    .option('--since <duration>', 'only the last e.g. 1h, 2d')
    .option('--limit <n>', 'at most this many entries', '100')
    .addHelpText('after', examples([['mailpace-cli log --recipient you@example.org', "one recipient's history"], ['mailpace-cli log --since 1d --json', 'the last day as JSON']]))
    .action(action(() => import('./commands/log.js'), state));

  program
    .command('monitor')
    .description('delivery health from Postfix/Exim/KumoMTA logs or the delivery log: rates, replies, blocklists, delays, and anomalies against a baseline')
    .argument('[logs...]', 'log files (plain, .gz, .zst; rotations in any order), or - for stdin (the default when none is given)')
    .addOption(new Option('--source <format>', 'log format (auto: from the first lines; store: the delivery log of --store)').choices(['postfix', 'exim', 'kumomta', 'store', 'auto']).default('auto'))
    .option('--since <when>', 'window start: a duration back from now (1h, 2d) or a date/time (2026-12-01T14:00)')
    .option('--until <when>', 'window end (exclusive), same forms as --since')
    .option('--year <yyyy>', "year of classic syslog time stamps (default: from the file's modification time)")
    .addOption(new Option('--by <group>', 'group the report by').choices(['sender-domain', 'provider', 'destination', 'relay']).default('provider'))
    .option('--baseline <duration>', 'history before each hour that its baseline may use', '7d')
    .option('--follow', 'keep reading the logs as they grow (and rotate): a live dashboard on a terminal, one line per alert otherwise')
    .addOption(new Option('--format <format>', 'output format (--json is --format json)').choices(['human', 'json', 'ndjson']))
    .option('--prometheus-textfile <path>', 'also write node_exporter textfile metrics (mailpace_delivered_total{provider=…} …), atomically')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe (default: error)').choices(['error', 'warning', 'info']))
    .addHelpText(
      'after',
      `
Every hour of the window (default: the whole input) is compared with a baseline from the hours
before it (--baseline, up to 7 days): the median and MAD of the same hour in earlier weeks when
there are three, else a moving average of the preceding hours; nothing is flagged with less than a
day of history except the fixed limits (bounces >= 5%, complaints >= 0.1%, p95 delay > 1 h) and
blocklist replies. Counting follows pflogsumm (see README).

Several files are one run, read oldest first whatever the order given: by logrotate's names
(mail.log.2.gz before mail.log.1 before mail.log; dateext mail.log-20261130 by its date), else by
modification time. A message whose history spans rotations (from= in mail.log.1, status= in
mail.log) keeps its sender and destinations.

Exit codes: 0 nothing at or above --fail-on; 1 an anomaly at or above it; 2 bad usage;
3 an input could not be read (missing, unreadable, truncated .gz/.zst).
${examples([
  ['mailpace-cli monitor /var/log/mail.log', 'the whole log: totals, providers, anomalies'],
  ['mailpace-cli monitor /var/log/mail.log* --by sender-domain', 'with rotations (.1, .2.gz …), per sender domain'],
  ['mailpace-cli monitor /var/log/mail.log --since 1h --fail-on warning', 'cron: exit 1 on any anomaly in the last hour'],
  ['mailpace-cli monitor /var/log/exim4/mainlog --source exim --json', 'an Exim main log, as JSON'],
  ['mailpace-cli monitor /var/log/kumomta/*.zst --by destination', 'KumoMTA log segments (zstd)'],
  ['mailpace-cli monitor --source store --since 1d', 'our own delivery log (mailpace-cli send)'],
  ['mailpace-cli monitor /var/log/mail.log --follow', 'live dashboard, alerts as they fire'],
  ['mailpace-cli monitor /var/log/mail.log --prometheus-textfile /var/lib/node_exporter/mail.prom', 'metrics for Prometheus'],
  ['zcat old.log.gz | mailpace-cli monitor - --year 2025', 'stdin, with the year of its time stamps'],
])}`,
    )
    .action(action(() => import('./commands/monitor.js'), state, { resolves: false }));

  const bounce = program.command('bounce').description('read bounce reports (DSNs), feedback-loop complaints (ARF) and auto-replies, and act on them');
  bounce
    .command('parse')
    .description('classify bounces, complaints and auto-replies from files, directories, Maildirs, mbox files or stdin (Sisimai reason names)')
    .argument('[inputs...]', '.eml files, directories (recursive; Maildir cur/ and new/), mbox files, or - for stdin')
    .option('--format <format>', 'human, json, ndjson (one message per line) or csv (one row per message and recipient)')
    .option('--apply', 'suppress hard bounces (hard-bounce) and complaints (complaint); log soft bounces (mailbox full 3× over 3 days → suppressed); never twice for the same Message-ID and recipient')
    .addHelpText(
      'after',
      `${examples([
        ['mailpace-cli bounce parse bounce.eml', 'what bounced, and why'],
        ['mailpace-cli bounce parse ~/Maildir/.Bounces --format csv > bounces.csv', 'a whole Maildir as CSV'],
        ['mailpace-cli bounce parse bounces.mbox --format ndjson', 'an mbox, one JSON line per message'],
        ['mailpace-cli bounce parse - --json < bounce.eml', 'one message from stdin, as JSON'],
        ['mailpace-cli bounce parse ~/Maildir/.Bounces --apply', 'suppress hard bounces and complaints'],
      ])}
A message that cannot be read is reported as kind "unreadable" and the run goes on.
Exit codes: 0 parsed (whatever the messages were), 2 bad usage (no input, a path that does not exist, bad --format).
`,
    )
    .action(action(() => import('./commands/bounce-parse.js'), state));
  bounce
    .command('fetch')
    .description('read new messages from an IMAP mailbox and classify them like bounce parse; --apply suppresses, --move-to files handled messages away')
    .option('--imap <url>', 'the mailbox: imaps://user@host[:port]/INBOX (implicit TLS, port 993) or imap://… (STARTTLS, port 143); an @ in the user is %40')
    .option('--password-file <path>', 'IMAP password from the first line of this file (else env MAILPACE_IMAP_PASSWORD)')
    .option('--ca-file <pem>', 'extra trusted CA (private PKI, tests)')
    .addOption(new Option('--tls <mode>', 'imap:// only — required: STARTTLS or nothing; opportunistic: when offered; none: plaintext (trusted networks only)').choices(['required', 'opportunistic', 'none']))
    .option('--since <when>', 'only messages received since then: a duration (7d, 12h) or a date (2026-11-30); IMAP compares whole days')
    .option('--all', 'read seen messages too (default: only messages without \\Seen)')
    .option('--move-to <folder>', 'move handled messages (bounces, complaints, auto-replies) to this folder, created when missing')
    .option('--apply', 'act on them as bounce parse --apply does, and flag handled messages \\Seen')
    .option('--format <format>', 'human, json, ndjson (one message per line) or csv (one row per message and recipient)')
    .addHelpText(
      'after',
      `
Messages are read with BODY.PEEK: without --apply or --move-to the mailbox is opened read-only and
nothing in it changes. With them, each chunk of messages is parsed and applied first, then the
handled ones are flagged \\Seen and moved; other mail (a person's reply) is left unseen in place.
The password is never taken from the command line.

Exit codes: 0 fetched (whatever the messages were); 2 bad usage or a missing mailbox; 3 the server
could not be reached, refused the login, failed TLS, did not speak IMAP, or failed mid-run (the output
still ends whole: with --json one document with what was read and a BOUNCE_FETCH_INCOMPLETE finding).
${examples([
  ['MAILPACE_IMAP_PASSWORD=… mailpace-cli bounce fetch --imap imaps://bounces@mail.example.com/INBOX', 'what is in the bounce mailbox'],
  ['mailpace-cli bounce fetch --imap imaps://bounces@mail.example.com/INBOX --password-file pw --apply --move-to Processed', 'suppress, then file away'],
  ['mailpace-cli bounce fetch --imap imaps://bounces%40example.com@imap.example.com/INBOX --since 7d --json', 'the last week, as JSON'],
])}`,
    )
    .action(action(() => import('./commands/bounce-fetch.js'), state));

  program
    .command('placement')
    .description('send to seed mailboxes and watch them over IMAP: inbox or spam, time to inbox, the receiver\'s verdicts')
    .option('--seeds <seeds.json>', 'the seed mailboxes: [{"address", "provider", "imap": "imaps://user@host[:port]", "folders": {"inbox", "spam"}, "passwordEnv"}]')
    .option('--password-file <path>', 'IMAP password (first line) for the seeds without "passwordEnv"')
    .option('--from <address>', 'envelope sender and From: header')
    .option('--subject <text>', 'subject of a composed message')
    .option('--text <text>', 'plain-text body')
    .option('--text-file <path>', 'plain-text body from a file')
    .option('--html-file <path>', 'HTML body from a file')
    .option('--attach <file>', 'attach a file (repeatable; checked against the attachment allow-list)', collect)
    .option('--allow-attachment <ext>', 'also allow attachments with this extension (repeatable)', collect)
    .option('--message <file.eml|->', 'send this RFC 5322 message instead of composing one (the token goes in a header only)')
    .option('--relay <url>', 'deliver through smtp://host[:port] (STARTTLS, default 587) or smtps://host[:port] (default 465)')
    .option('--user <name>', 'relay login (password: env MAILPACE_SMTP_PASSWORD or --relay-password-file)')
    .option('--relay-password-file <path>', 'relay password from the first line of this file')
    .option('--helo <name>', "EHLO name (default: this machine's host name)")
    .option('--port <n>', 'destination port (default 25; a relay URL without a port: 587/465)')
    .addOption(new Option('--tls <mode>', 'SMTP: opportunistic (STARTTLS when offered) or required').choices(['opportunistic', 'required']).default('opportunistic'))
    .option('--dkim-key <pem>', 'DKIM-sign with this private key (RSA or Ed25519, PEM)')
    .option('--dkim-selector <name>', 'DKIM selector (s=)')
    .option('--dkim-domain <domain>', 'DKIM signing domain (d=; default: the From: domain)')
    .option('--ca-file <pem>', 'extra trusted CA (private PKI, tests) for SMTP STARTTLS and the seeds\' IMAP')
    .option('--poll <duration>', 'look in every folder at least this often (IDLE on the inbox in between when offered)', '5s')
    .option('--keep', 'leave the test copies in the seed mailboxes (default: delete them)')
    .option('--backoff <first,max>', 'gaps between retries of a deferred copy, doubling from first up to max (within --timeout)', '5m,1h')
    .option('--every <duration>', 'repeat on this schedule in the foreground until Ctrl-C (each run is kept in the store for `monitor --source store`)')
    .option('--runs <n>', 'with --every: stop after this many runs')
    .option('--format <format>', 'human, json or csv (one row per seed)')
    .addHelpText(
      'after',
      `
Each seed gets its own copy (same Message-ID, a unique token in the X-Mailpace-Placement header and in a
composed body), sent through the delivery engine. Then every seed's folders are searched for its token
until found or until --timeout (here: how long a run may take, sending and watching, default 10m): between
looks it waits in IMAP IDLE on the inbox and, through a second login, on the spam folder when the server
offers it, for at most --poll; without IDLE it polls every --poll. A copy in the inbox
folder is "inbox", in the spam folder (folders.spam, else the \\Junk special-use folder) "spam", elsewhere
"other:<folder>"; not found is "missing"; refused by the receiver is "bounced"; a mailbox that could not be
read is "unknown". The copies are deleted afterwards unless --keep. Passwords never go in seeds.json.
Up to 4 copies are sent at once; a deferred copy is retried on the delivery engine's policy until --timeout.
Every run is kept in the store; \`monitor --source store\` reports inbox rate and time to inbox per provider
over the runs and flags a drop. --every repeats the test (progress on stderr; with --json one document
per run and line). Ctrl-C or SIGTERM stops, deletes the copies that arrived, and exits 130 or 143.

Exit codes: 0 every copy in the inbox; 1 any spam, other folder, missing or bounced; 2 bad usage or a bad
seed file; 3 a seed's IMAP could not be reached or logged in to, or nothing could be sent (with --every:
the worst run); 130/143 stopped by Ctrl-C/SIGTERM.
${examples([
  ['SEED1_PASSWORD=… mailpace-cli placement --seeds seeds.json --from me@example.com --subject "March news"', 'where does it land?'],
  ['mailpace-cli placement --seeds seeds.json --from me@example.com --message news.eml --dkim-key k.pem --dkim-selector s1 --json', 'an existing message, signed, as JSON'],
  ['mailpace-cli placement --seeds seeds.json --password-file pw --from me@example.com --timeout 2m --poll 2s', 'watch for 2 minutes'],
  ['mailpace-cli placement --seeds seeds.json --password-file pw --from me@example.com --every 1h --quiet', 'every hour, kept for trends'],
  ['mailpace-cli monitor --source store --since 1d', 'placement trends per provider from the kept runs'],
])}`,
    )
    .action(
      action(async () => ({
        // The global --timeout is the watch time here; only an explicit one counts (the 5s default is per step).
        run: (ctx: CliContext, args: string[], opts: Record<string, any>) =>
          import('./commands/placement.js').then((m) => m.run(ctx, args, { ...opts, ...(program.getOptionValueSource('timeout') === 'cli' ? { watchTimeout: program.opts().timeout } : {}) })),
      }), state),
    );

  const warmup = program.command('warmup').description('plan an IP/domain warm-up from published curves, and simulate it through the delivery engine against modelled receivers');
  const planFlags = (c: Command): Command =>
    c
      .option('--target <n>[/day]', 'daily volume to reach, e.g. 50000, 50k/day')
      .addOption(new Option('--curve <curve>', 'warm-up curve (default: geometric)').choices(['sendgrid', 'sparkpost', 'mailtrap', 'ses', 'geometric']))
      .option('--start <n>', 'first day volume (geometric, ses; default 50)')
      .option('--days <n>', 'days to reach the target (ses: default 45; geometric: computes the growth)')
      .option('--growth <x>', 'daily growth factor of the geometric curve (default 1.3)')
      .option('--mix <shares>', 'recipient share per provider, e.g. gmail=40,microsoft=25,yahoo=15,other=20')
      .option('--list <file|->', "compute the mix from a recipient list: each domain's MX host names its provider")
      .option('--hours <from-to>', 'sending hours, end exclusive, e.g. 8-20 (default 0-24)')
      .addOption(new Option('--format <format>', 'output format (--json is the same as --format json)').choices(['human', 'json', 'csv']));
  planFlags(warmup.command('plan').description('a day-by-day warm-up schedule (sending days) per provider, each with an hourly cap'))
    .option('--out <plan.json>', 'also write the plan as JSON, for warmup simulate')
    .addHelpText(
      'after',
      `
Curves (data with sources): sendgrid (hourly table, ×1.4/day), sparkpost (30 stages 200 → 10M),
mailtrap (21 days, ×1.3), ses (45 days to the target), geometric (--start × --growth a day).
Per-provider volumes always add up to the day's total; hourly caps × sending hours ≥ the volume.

Exit codes: 0 a plan was made; 2 bad usage or input; 3 --list could not resolve any domain.
${examples([
  ['mailpace-cli warmup plan --target 50000/day', 'geometric ×1.3 from 50/day, example mix'],
  ['mailpace-cli warmup plan --target 1m --curve sparkpost --hours 8-20', "SparkPost's stages, sent 08:00–20:00"],
  ['mailpace-cli warmup plan --target 20k --mix gmail=60,microsoft=30,other=10 --format csv', 'own mix, as CSV'],
  ['mailpace-cli warmup plan --target 20k --list recipients.txt --out plan.json', "mix from the list's MX hosts, saved"],
])}`,
    )
    .action(action(() => import('./commands/warmup-plan.js'), state));
  planFlags(warmup.command('simulate').description('run a plan through the delivery engine (queue, classifier, retry policy, throttle) against modelled receivers, day by day'))
    .argument('[plan.json]', 'a plan from warmup plan --out (or give the plan flags)')
    .option('--volume <n>[/day]', 'simulate a flat daily volume for --days days (default 30) instead of a ramp')
    .option('--model <model.json>', 'receiver model overrides (capacities, growth, replies; see README)')
    .option('--bounce-rate <r>', 'share of recipients that do not exist, e.g. 0.02 or 2% (default 0.5%)')
    .option('--complaint-rate <r>', 'share of accepted messages reported as spam (default 0.05%)')
    .option('--seed <n>', 'PRNG seed: the same seed gives the same result', '1')
    .option('--chart', 'add a chart: accepted per provider vs planned, deferral rate and backlog per day (colour on a terminal, text otherwise)')
    .option('--no-suggest', 'do not search for the largest growth that stays green')
    .addHelpText(
      'after',
      `
Each day sends its stage, spread over the sending hours; a stage advances only when more than 90%
of it was delivered that day (SparkPost's rule); bounces ≥ 10% or complaints > 0.3% pause the
ramp for a day. Days are flagged when deferrals pass 5% or p95 time to acceptance passes 1 h.

Exit codes: 0 every day green; 1 a day was flagged; 2 bad usage or input.
${examples([
  ['mailpace-cli warmup simulate plan.json', 'simulate a saved plan'],
  ['mailpace-cli warmup simulate --target 20k --growth 2 --chart', 'a steep plan: where does it get throttled?'],
  ['mailpace-cli warmup simulate plan.json --bounce-rate 3% --seed 7 --json', 'a dirtier list, as JSON'],
  ['mailpace-cli warmup simulate plan.json --model model.json', 'own receiver model'],
  ['mailpace-cli warmup simulate --volume 1m/day --days 100 --json', 'no warm-up at all: what 1M a day from a cold IP gets'],
])}`,
    )
    .action(action(() => import('./commands/warmup-simulate.js'), state));

  program
    .command('ci')
    .description('pre-deploy gate: every check the config file lists (domains, sending IPs, templates, recipients) at once, one exit code, JUnit or GitHub output')
    .option('--config <file>', 'project config (default: ./mailpace.config.json)')
    .addOption(reportFormat())
    .option('--junit-file <path>', 'also write the JUnit XML report to this file, whatever --format is')
    .option('--only <areas>', 'run only these areas: domains,ips,templates,recipients (comma-separated)')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe (default: the config\'s failOn, else error)').choices(['error', 'warning', 'info']))
    .option('--skip-network-probes', 'do not probe the recipient MX hosts (runners that cannot reach port 25)')
    .option('--helo <name>', "EHLO name for the recipient probes (default: this machine's host name)")
    .option('--ca-file <pem>', 'extra trusted CA for MTA-STS policies and MX certificates (private PKI, tests)')
    .addOption(new Option('--probe-port <n>', 'probe recipient MX hosts on this port instead of 25 (tests)').hideHelp())
    .addHelpText(
      'after',
      `
The config file (JSON; unknown keys are an error):
  { "domains": ["example.com"], "selectors": ["s1"], "ips": ["203.0.113.5"], "zones": ["zen.spamhaus.org"],
    "templates": ["emails/*.eml"], "maxScore": 5, "rspamd": "http://127.0.0.1:11333",
    "recipients": ["gmail.com", "outlook.com"], "profile": "bulk", "failOn": "error" }
domains → check-domain (bulk-sender verdict with "profile": "bulk"); ips and domains → blocklist scan
(zones: the lists; default: the catalogue's defaults); templates → score (globs relative to the config
file; the built-in lint when no Rspamd is configured or reachable, and the report says which);
recipients → probe of their MX hosts. The areas run concurrently on one resolver.
Outbound port 25 is blocked on most hosted runners: when no recipient MX accepts a connection, the
probes are reported as skipped with a warning, not failed; --skip-network-probes skips them outright.

Exit codes: 0 clean; 1 a finding at or above --fail-on (a listing, a template above maxScore …);
2 bad config or flags; 3 could not complete (DNS, a blocklist, Rspamd or every MX unreachable).
${examples([
  ['mailpace-cli ci', 'every check mailpace.config.json lists'],
  ['mailpace-cli ci --format junit > mailpace.xml', 'JUnit XML for Jenkins or GitLab'],
  ['mailpace-cli ci --format github --skip-network-probes', 'annotations and a job summary on GitHub Actions'],
  ['mailpace-cli ci --only domains,ips --fail-on warning', 'DNS and blocklists only, strict'],
  ['mailpace-cli ci --json --junit-file report.xml', 'JSON on stdout, JUnit in a file'],
])}`,
    )
    .action(action(() => import('./commands/ci.js'), state));

  program
    .command('codes')
    .description('list every finding code with its default severity and meaning')
    .argument('[prefix]', 'only codes starting with this, e.g. SPF_ or DMARC')
    .addHelpText(
      'after',
      examples([
        ['mailpace-cli codes', 'the whole vocabulary'],
        ['mailpace-cli codes DMARC --json', 'DMARC codes as JSON'],
      ]),
    )
    .action(action(() => import('./commands/codes.js'), state));

  return program;
}

/** One line on stderr, the right exit code, a stack only with --verbose. */
function reportError(err: unknown, verbose: boolean): number {
  const write = (s: string) => process.stderr.write(`${s}\n`);
  if (err instanceof MailpaceError) {
    write(`mailpace-cli: ${err.message}`);
    if (err.hint) write(`  hint: ${err.hint}`);
    if (verbose && err.stack) write(err.stack);
    return err instanceof UsageError ? EXIT.USAGE : EXIT.INCOMPLETE;
  }
  const e = err as Error;
  write(`mailpace-cli: unexpected error: ${e?.message ?? String(err)}`);
  if (verbose && e?.stack) write(e.stack);
  else write('  hint: run again with --verbose for details');
  return EXIT.INCOMPLETE;
}

export async function main(argv: string[]): Promise<void> {
  // `mailpace-cli … | head`: a reader that goes away is not an error worth a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const state = { code: 0 };
  const program = buildProgram(state);
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    await program.parseAsync(argv);
    process.exitCode = state.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; every other commander error is bad usage (exit 2)
      process.exitCode = err.exitCode === 0 ? 0 : EXIT.USAGE;
      return;
    }
    process.exitCode = reportError(err, verbose);
  }
}
