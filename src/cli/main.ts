/**
 * The command-line front: global flags, command definitions with help and examples, and the
 * single place that maps outcomes to process.exitCode. Command implementations are imported
 * lazily, so `--help` loads none of them (nor ink, react, mailauth or SQLite).
 */
import { Command, CommanderError, Option } from 'commander';
import { CliContext, type GlobalOptions } from './context.js';
import { MailpaceError, UsageError } from '../core/errors.js';
import { EXIT } from '../core/policy.js';

const VERSION = '0.1.0';

/** What every command module exports. */
export interface CommandModule {
  run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number>;
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function examples(lines: [string, string][]): string {
  const w = Math.max(...lines.map(([cmd]) => cmd.length));
  return `\nExamples:\n${lines.map(([cmd, what]) => `  $ ${cmd.padEnd(w)}  # ${what}`).join('\n')}\n`;
}

type Loader = () => Promise<CommandModule>;

/** Wires a command to its lazily imported implementation; its result becomes the exit code. */
function action(load: Loader, state: { code: number }) {
  return async (...params: unknown[]) => {
    const cmd = params[params.length - 1] as Command;
    const args = (params.slice(0, -2) as (string | string[] | undefined)[]).flatMap((a) => (a === undefined ? [] : a));
    const global = cmd.optsWithGlobals() as GlobalOptions;
    const ctx = new CliContext(global);
    const mod = await load();
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
    .option('--store <path>', 'state database (default $XDG_STATE_HOME/mailpace-cli/store.sqlite, env MAILPACE_STORE)')
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
    .description("check a domain's SPF, DKIM, DMARC and MX set-up; prints each problem with its fix")
    .argument('[domains...]', 'domain names (IDNs are accepted)')
    .option('-s, --selector <name>', 'DKIM selector to check (repeatable; default: try common selectors)', collect)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at least this severe').choices(['error', 'warning', 'info']).default('error'))
    .addHelpText(
      'after',
      examples([
        ['mailpace-cli check-domain example.com', 'check one domain'],
        ['mailpace-cli check-domain example.com example.org', 'several domains, checked concurrently'],
        ['mailpace-cli check-domain example.com -s s1 -s s2 --json', 'named DKIM selectors, JSON for CI'],
        ['mailpace-cli check-domain example.com --fail-on warning', 'fail the build on warnings too'],
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
      examples([
        ['mailpace-cli auth spf --ip 203.0.113.5 --mail-from bounce@example.com', 'is 203.0.113.5 allowed to send for example.com?'],
        ['mailpace-cli auth spf --ip 2001:db8::5 --helo mail.example.com --mail-from ""', 'check the HELO identity (null sender)'],
        ['mailpace-cli auth spf --ip 203.0.113.5 --mail-from a@example.com --json', 'result, mechanism, lookups as JSON'],
      ]),
    )
//     .action(action(() => import('./commands/auth-spf.js'), state));
  auth
    .command('message')
    .description('authenticate a received message: SPF, DKIM, DMARC and ARC, with alignment explained')
    .argument('<file>', 'the message (.eml), or - for stdin')
    .option('--ip <address>', 'the IP the message came from (for SPF)')
    .option('--helo <name>', 'the HELO name the client used')
    .option('--mail-from <address>', 'the envelope sender (default: Return-Path)')
    .option('--mta <name>', 'this receiver\'s host name, used in Authentication-Results', 'mailpace-cli')
    .addHelpText(
      'after',
      examples([
        ['mailpace-cli auth message received.eml --ip 203.0.113.5 --mail-from a@example.com', 'full verdict'],
        ['cat msg.eml | mailpace-cli auth message - --json', 'DKIM/DMARC from stdin, as JSON'],
      ]),
    )
//     .action(action(() => import('./commands/auth-message.js'), state));

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
