/**
 * bounce fetch: read new messages from an IMAP mailbox, classify them as `bounce parse` does, and
 * with --apply / --move-to act on the handled ones (bounces, complaints, auto-replies).
 */
import type { CliContext } from '../context.js';
import { BounceRun, parseFormat } from '../bounce-run.js';
import { parseSince, readCaFile, readSecret } from '../flags.js';
import { MailpaceError, UsageError } from '../../core/errors.js';
import type { Finding } from '../../core/types.js';
import { fetchMailbox, type FetchPlan, type FetchTotals } from '../../core/bounce/mailbox-fetch.js';
import { IMAP_TLS_MODES, ImapMailbox, type ImapTlsMode } from '../../core/imap/imap-mailbox.js';
import { imapUrl, parseImapUrl } from '../../core/imap/imap-url.js';

export async function run(ctx: CliContext, _args: string[], opts: Record<string, any>): Promise<number> {
  const format = parseFormat(opts.format === undefined ? undefined : String(opts.format), ctx.json);
  if (opts.imap === undefined) throw new UsageError('bounce fetch needs --imap imaps://user@host[:port]/INBOX');
  const target = parseImapUrl(String(opts.imap));
  if ('error' in target) throw new UsageError(target.error);
  const tls = String(opts.tls ?? 'required') as ImapTlsMode;
  if (!(IMAP_TLS_MODES as readonly string[]).includes(tls)) throw new UsageError(`--tls "${opts.tls}" is not one of ${IMAP_TLS_MODES.join(', ')}`);
  if (target.secure && opts.tls !== undefined && tls !== 'required') throw new UsageError(`--tls ${tls} contradicts imaps:// (implicit TLS); use imap:// for STARTTLS or plaintext`);
  const since = opts.since !== undefined ? parseSince(String(opts.since), '--since', Date.now()) : undefined;
  const moveTo = opts.moveTo !== undefined ? String(opts.moveTo).trim() : undefined;
  if (moveTo === '') throw new UsageError('--move-to needs a folder name, e.g. Processed');
  if (moveTo !== undefined && moveTo.toLowerCase() === target.mailbox.toLowerCase()) throw new UsageError(`--move-to "${moveTo}" is the mailbox being read`);
  const caPem = opts.caFile !== undefined ? readCaFile(String(opts.caFile)) : undefined;
  const password = readSecret({ file: opts.passwordFile, env: ctx.io.env, envName: 'MAILPACE_IMAP_PASSWORD', flag: '--password-file' });
  if (password === undefined) throw new UsageError('bounce fetch needs the IMAP password: set MAILPACE_IMAP_PASSWORD or give --password-file');

  const apply = opts.apply === true;
  // Without --apply or --move-to the run only reads: EXAMINE, BODY.PEEK, no flags changed.
  const plan: FetchPlan = { search: { unseenOnly: opts.all !== true, ...(since ? { since } : {}) }, markSeen: apply || moveTo !== undefined, ...(moveTo !== undefined ? { moveTo } : {}) };
  const mailbox = await ImapMailbox.open({ target, password, tls, ...(caPem ? { caPem } : {}), timeoutMs: ctx.timeoutMs, readOnly: !plan.markSeen });
  const out = new BounceRun(ctx, { command: 'bounce fetch', format, apply, head: { mailbox: imapUrl(target) } });
  try {
    await out.start();
    const totals: FetchTotals = { found: 0, fetched: 0, markedSeen: 0, moved: 0 };
    const tail = () => [`${totals.markedSeen} marked seen`, ...(moveTo !== undefined ? [`${totals.moved} moved to ${moveTo}`] : [])];
    try {
      await fetchMailbox(
        mailbox,
        plan,
        (uid) => imapUrl(target, uid),
        async (src) => {
          const m = await out.handle(src, { uid: src.uid });
          return m.kind === 'bounce' || m.kind === 'feedback' || m.kind === 'auto-reply';
        },
        totals,
      );
    } catch (err) {
      // The output already holds the messages read so far: close it as a whole document that says
      // why it stops there, then let the error give the exit code (3) and its one line on stderr.
      const e = err instanceof MailpaceError ? err : undefined;
      const finding: Finding = {
        code: 'BOUNCE_FETCH_INCOMPLETE',
        severity: 'error',
        check: 'imap',
        message: `stopped after ${totals.fetched} of ${totals.found} messages: ${e?.message ?? (err as Error)?.message ?? String(err)}`,
        evidence: { cause: e?.code ?? 'UNEXPECTED', fetched: totals.fetched, found: totals.found },
      };
      await out.finish({ markedSeen: totals.markedSeen, moved: totals.moved }, [...tail(), 'incomplete'], [finding]);
      throw err;
    }
    await out.finish({ markedSeen: totals.markedSeen, moved: totals.moved }, tail());
  } finally {
    await Promise.all([out.close(), mailbox.close()]);
  }
  return 0;
}
