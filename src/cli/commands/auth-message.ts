/** auth message: read the message → check it is one → authenticateMessage → render. */
import { readFile } from 'node:fs/promises';
import type { CliContext } from '../context.js';
import { authenticateMessage } from '../../core/auth/message-auth.js';
import { inspectMessage } from '../../core/auth/message-input.js';
import { exitCodeForVerdict } from '../../core/auth/verdict.js';
import { UsageError } from '../../core/errors.js';
import { sortFindings } from '../../core/types.js';
import { renderAuthMessage } from '../../render/auth-message.js';
import { jsonDocument, toJson } from '../../render/json.js';
import { startSpinner } from '../../render/progress.js';
import { ipFamily } from '../../core/net/ip-address.js';
import { isReportFormat, outputFormat, writeReport } from '../report-format.js';

const FORMATS = ['human', 'json', 'junit', 'github'] as const;

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory, not a message file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENAMETOOLONG: 'file name too long',
};

async function readMessage(ctx: CliContext, file: string): Promise<Buffer> {
  if (file === '-') {
    if (!ctx.stdinPiped) throw new UsageError('stdin is a terminal: pipe a message into "auth message -" or give a file name');
    return ctx.readStdinBytes('a message', 'give a file name instead of -');
  }
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`cannot read ${file}: ${READ_ERRORS[code] ?? (err as Error).message}`);
  }
}

/** "<a@b>" or "a@b" or "" (null sender); anything else is not an envelope sender. */
function parseMailFrom(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().replace(/^<(.*)>$/, '$1').trim();
  if (s === '') return '';
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1 || /\s/.test(s)) {
    throw new UsageError(`--mail-from "${v}" is not an address (local@domain), and not "" for the null sender`);
  }
  return s;
}

export async function run(ctx: CliContext, args: string[], opts: Record<string, any>): Promise<number> {
  const format = outputFormat(ctx, opts.format, FORMATS);
  const file = args[0];
  if (!file) throw new UsageError('no message given: mailpace-cli auth message <file.eml|-> (see --help)');
  const label = file === '-' ? 'stdin' : file;

  const ip: string | undefined = opts.ip === undefined ? undefined : String(opts.ip).trim().replace(/^\[(.*)\]$/, '$1');
  if (ip !== undefined && !ipFamily(ip)) throw new UsageError(`--ip "${opts.ip}" is not an IPv4 or IPv6 address`);
  const helo: string | undefined = opts.helo === undefined ? undefined : String(opts.helo).trim();
  if (helo !== undefined && (helo === '' || /[\s;]/.test(helo))) throw new UsageError(`--helo "${opts.helo}" is not a host name`);
  const mailFrom = parseMailFrom(opts.mailFrom);
  const mta = String(opts.mta ?? 'mailpace-cli').trim() || 'mailpace-cli';

  const buf = await readMessage(ctx, file);
  const inspected = inspectMessage(buf);
  if (!inspected.ok) throw new UsageError(`${label}: ${inspected.problem}`);

  const deps = ctx.deps();
  const spinner = await startSpinner(ctx, `authenticating ${label}`);
  let report;
  try {
    report = await authenticateMessage(deps, inspected.message, { ip, helo, mailFrom, mta });
  } finally {
    spinner.stop();
  }
  report = { ...report, findings: sortFindings(report.findings) };
  const exitCode = exitCodeForVerdict(report.verdict);
  if (isReportFormat(format)) {
    // The verdict decides the exit code. A failing verdict fails the case on its warnings too (no
    // DMARC record and nothing aligned is only warnings, and still a fail); otherwise errors fail it.
    const failOn = report.verdict === 'fail' ? 'warning' : 'error';
    writeReport(ctx, format, { command: 'auth message', suites: [{ name: 'auth message', cases: [{ name: label, findings: report.findings }], notices: [] }], failOn, exitCode });
  } else if (format === 'json') {
    const { message, verdict, spf, dkim, dmarc, arc, findings } = report;
    ctx.out(toJson(jsonDocument('auth message', { source: label, message, verdict, spf, dkim, dmarc, arc, findings })));
  } else {
    ctx.out(renderAuthMessage(ctx.color, report, label));
  }
  return exitCode;
}
