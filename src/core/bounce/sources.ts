/**
 * Where messages come from: single files, directories (recursive; Maildir's cur/ and new/ are
 * just subdirectories, its tmp/ holds deliveries in progress and is skipped), mbox files (From_
 * separator lines, mboxrd ">From " unescaping) and stdin. Everything streams: directories are
 * listed one directory at a time, mbox files read in chunks, and one file is read at a time, so memory stays
 * flat however many messages there are. Results come out in input order.
 */
import { closeSync, createReadStream, openSync, readdirSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export interface MessageSource {
  /** File path; "path#N" for the N-th message (1-based) of an mbox; "-" / "-#N" for stdin. */
  file: string;
  raw: Uint8Array;
}

const MBOX_FROM = /^From \S+/;

/** An mbox starts with a From_ line (RFC 4155). */
export function looksLikeMbox(head: Uint8Array): boolean {
  const s = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, 1024)).toString('latin1');
  return MBOX_FROM.test(s);
}

/** Undoes mboxrd quoting: ">From " → "From ", ">>From " → ">From " (RFC 4155 §"mboxrd"). */
function unescapeLine(line: string): string {
  return /^>+From /.test(line) ? line.slice(1) : line;
}

/** Splits mbox lines (without their From_ lines) into messages, as they arrive. */
export async function* splitMbox(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, name: string): AsyncGenerator<MessageSource> {
  let carry = '';
  let lines: string[] = [];
  let n = 0;
  let started = false;
  let prevBlank = true;
  const flush = (): MessageSource | undefined => {
    if (!started) return undefined;
    // the blank line before the next From_ belongs to the separator (RFC 4155)
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    n++;
    const raw = Buffer.from(lines.join('\n') + '\n', 'latin1');
    lines = [];
    return { file: `${name}#${n}`, raw };
  };
  for await (const chunk of chunks) {
    const text = carry + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    const parts = text.split('\n');
    carry = parts.pop()!;
    for (let line of parts) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (MBOX_FROM.test(line) && prevBlank) {
        const m = flush();
        if (m) yield m;
        started = true;
        prevBlank = false;
        continue;
      }
      if (!started) {
        // text before the first From_ line: not an mbox after all; keep it as one message
        started = true;
      }
      lines.push(unescapeLine(line));
      prevBlank = line === '';
    }
  }
  if (carry !== '') lines.push(unescapeLine(carry.replace(/\r$/, '')));
  const last = flush();
  if (last && last.raw.length > 1) yield last;
}

/** Files a mail server keeps next to messages in a Maildir (Dovecot, Courier indexes): not messages. */
const MAILDIR_METADATA = /^(?:dovecot[.-]|courierimap|maildirfolder$|subscriptions$|\.DS_Store$)/;

function* walk(dir: string): Generator<string> {
  // one listing per directory (its names are sorted anyway, so all of them are held at once)
  const entries = readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() }));
  const isMaildir = entries.some((e) => e.dir && e.name === 'cur') && entries.some((e) => e.dir && e.name === 'new');
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.dir) {
      if (isMaildir && e.name === 'tmp') continue;
      yield* walk(p);
    } else if (!MAILDIR_METADATA.test(e.name)) yield p;
  }
}

/** Checks every input before any is read, so a typo is a usage error (exit 2) and not a half run. */
export async function checkInputs(inputs: readonly string[]): Promise<void> {
  if (inputs.length === 0) throw new UsageError('bounce parse needs a file, a directory, an mbox or - for stdin');
  let stdin = 0;
  for (const i of inputs) {
    if (i === '-') {
      if (++stdin > 1) throw new UsageError('- (stdin) can be given only once');
      continue;
    }
    try {
      const s = await stat(i);
      if (!s.isFile() && !s.isDirectory()) throw new UsageError(`${i}: not a file or directory`);
    } catch (e) {
      if (e instanceof UsageError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new UsageError(`${i}: ${code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
    }
  }
}

/** Most messages are smaller than this: one read() gets all of them. */
const FIRST_READ = 64 * 1024;

/** The first read's buffer, reused: a message is copied out of it at its own size. */
let firstRead: Buffer | undefined;

/**
 * A whole message file, or `mbox: true` when it starts like an mbox: then `raw` is the whole file
 * when the first read got all of it (a message saved with its From_ line), else the file is
 * streamed, however large. One open and usually one read (a short read is the end of the file, so
 * no fstat), done synchronously: for a directory of many small local files the promise round
 * trips through the thread pool cost more than the reads.
 */
function readMessageFile(path: string): { raw?: Buffer; mbox?: boolean } {
  const fd = openSync(path, 'r');
  try {
    const buf = (firstRead ??= Buffer.allocUnsafeSlow(FIRST_READ));
    const n = readSync(fd, buf, 0, FIRST_READ, 0);
    if (n < FIRST_READ) {
      const raw = Buffer.from(buf.subarray(0, n));
      return looksLikeMbox(raw) ? { mbox: true, raw } : { raw };
    }
    if (looksLikeMbox(buf)) return { mbox: true };
    // larger than the first read: read on to the end
    const chunks = [Buffer.from(buf)];
    let pos = FIRST_READ;
    for (;;) {
      const more = Buffer.allocUnsafe(FIRST_READ * 4);
      const m = readSync(fd, more, 0, more.length, pos);
      if (m === 0) break;
      chunks.push(more.subarray(0, m));
      pos += m;
    }
    return { raw: Buffer.concat(chunks) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Every message of every input, in order, one at a time: a file is read (synchronously, see
 * readMessageFile) when the previous message has been handled; an mbox is split as it is read. A
 * file that cannot be read becomes a source with `error`.
 */
export async function* messageSources(inputs: readonly string[], opts: { readStdin: () => Promise<Buffer> }): AsyncGenerator<MessageSource & { error?: string }> {
  for (const input of inputs) {
    if (input === '-') {
      const raw = await opts.readStdin();
      if (looksLikeMbox(raw)) yield* splitMbox([raw], '-');
      else yield { file: '-', raw };
      continue;
    }
    // a directory is walked synchronously as well: one generator, not a promise per file
    for (const path of (await stat(input)).isDirectory() ? walk(input) : [input]) {
      let r: { raw?: Buffer; mbox?: boolean };
      try {
        r = readMessageFile(path);
      } catch (e) {
        yield { file: path, raw: new Uint8Array(0), error: `could not be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
        continue;
      }
      if (r.mbox) yield* splitMbox(r.raw ? [r.raw] : createReadStream(path, { highWaterMark: 256 * 1024 }), path);
      else yield { file: path, raw: r.raw! };
    }
  }
}
