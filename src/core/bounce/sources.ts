/**
 * Where messages come from: single files, directories (recursive; Maildir's cur/ and new/ are
 * just subdirectories, its tmp/ holds deliveries in progress and is skipped), mbox files (From_
 * separator lines, mboxrd ">From " unescaping) and stdin. Everything streams: directories are
 * listed one directory at a time, mbox files read in chunks, and one file is read at a time, so memory stays
 * flat however many messages there are. Results come out in input order.
 */
import { closeSync, createReadStream, openSync, readdirSync, readSync, statSync } from 'node:fs';
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

/**
 * Splits mbox text into messages (without their From_ lines) as chunks arrive: `push` returns the
 * messages a chunk completed, `end` the last one.
 */
class MboxSplitter {
  private carry = '';
  private lines: string[] = [];
  private n = 0;
  private started = false;
  private prevBlank = true;

  constructor(private readonly name: string) {}

  private flush(): MessageSource | undefined {
    if (!this.started) return undefined;
    const lines = this.lines;
    // the blank line before the next From_ belongs to the separator (RFC 4155)
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    this.n++;
    const raw = Buffer.from(lines.join('\n') + '\n', 'latin1');
    this.lines = [];
    return { file: `${this.name}#${this.n}`, raw };
  }

  push(chunk: Buffer | string): MessageSource[] {
    const out: MessageSource[] = [];
    const text = this.carry + (typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
    const parts = text.split('\n');
    this.carry = parts.pop()!;
    for (let line of parts) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (MBOX_FROM.test(line) && this.prevBlank) {
        const m = this.flush();
        if (m) out.push(m);
        this.started = true;
        this.prevBlank = false;
        continue;
      }
      // text before the first From_ line: not an mbox after all; keep it as one message
      this.started = true;
      this.lines.push(unescapeLine(line));
      this.prevBlank = line === '';
    }
    return out;
  }

  end(): MessageSource[] {
    if (this.carry !== '') this.lines.push(unescapeLine(this.carry.replace(/\r$/, '')));
    const last = this.flush();
    return last && last.raw.length > 1 ? [last] : [];
  }
}

/** Splits mbox lines (without their From_ lines) into messages, as they arrive. */
export async function* splitMbox(chunks: AsyncIterable<Buffer | string> | Iterable<Buffer | string>, name: string): AsyncGenerator<MessageSource> {
  const splitter = new MboxSplitter(name);
  for await (const chunk of chunks) yield* splitter.push(chunk);
  yield* splitter.end();
}

/** The messages of an mbox held in memory whole. */
function splitMboxWhole(raw: Buffer, name: string): MessageSource[] {
  const splitter = new MboxSplitter(name);
  return [...splitter.push(raw), ...splitter.end()];
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
      const raw = Buffer.allocUnsafe(n);
      buf.copy(raw, 0, 0, n);
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

export type FileSource = MessageSource & { error?: string };

/**
 * The messages of one file, read whole (see readMessageFile); undefined for an mbox too large for
 * one read, which is then streamed with splitMbox. A file that cannot be read is a source with `error`.
 */
function fileSources(path: string): FileSource[] | undefined {
  let r: { raw?: Buffer; mbox?: boolean };
  try {
    r = readMessageFile(path);
  } catch (e) {
    return [{ file: path, raw: new Uint8Array(0), error: `could not be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }];
  }
  if (!r.mbox) return [{ file: path, raw: r.raw! }];
  return r.raw ? splitMboxWhole(r.raw, path) : undefined;
}

/** An mbox file too large for one read, split as it is read. */
function streamMbox(path: string): AsyncGenerator<MessageSource> {
  return splitMbox(createReadStream(path, { highWaterMark: 256 * 1024 }), path);
}

/** The files of one input: a directory walked (synchronously: one generator, not a promise per file), or the file itself. */
function pathsOf(input: string): Iterable<string> {
  return statSync(input).isDirectory() ? walk(input) : [input];
}

/**
 * Every message of every input, in order, one at a time: a file is read (synchronously, see
 * readMessageFile) when the previous message has been handled; an mbox is split as it is read.
 */
export async function* messageSources(inputs: readonly string[], opts: { readStdin: () => Promise<Buffer> }): AsyncGenerator<FileSource> {
  for (const input of inputs) {
    if (input === '-') {
      const raw = await opts.readStdin();
      if (looksLikeMbox(raw)) yield* splitMbox([raw], '-');
      else yield { file: '-', raw };
      continue;
    }
    for (const path of pathsOf(input)) yield* fileSources(path) ?? streamMbox(path);
  }
}
