/**
 * Reads log files line by line without holding them in memory: plain text, gzip (what logrotate
 * writes with `compress`) and zstd (KumoMTA's log files), recognised by their magic numbers
 * rather than their names, and standard input. Lines are handed over a chunk at a time
 * (synchronously), so a million-line file costs one callback per 256 KiB, not one promise per line.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isAscii } from 'node:buffer';
// zlib and stream are loaded when a compressed file or standard input is read (a plain file needs neither).
import type { Transform, Readable } from 'node:stream';
import { MailpaceError } from '../errors.js';

export interface InputFile {
  /** A path, or "-" for standard input. */
  path: string;
}

/** gzip: RFC 1952 §2.3.1 (1f 8b); zstd frame: RFC 8878 §3.1.1 (28 b5 2f fd). */
export function compressionOf(head: Buffer): 'gzip' | 'zstd' | 'none' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  return 'none';
}

export class UnreadableInputError extends MailpaceError {
  constructor(file: string, why: string, cause?: unknown) {
    super('MONITOR_UNREADABLE_INPUT', `cannot read ${file === '-' ? 'standard input' : file}: ${why}`, { cause });
  }
}

function why(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES') return 'permission denied';
  if (err.code === 'EISDIR') return 'it is a directory';
  if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) return 'the gzip stream is truncated';
  if (err.code === 'Z_DATA_ERROR') return `the gzip data is corrupt (${err.message})`;
  return err.message;
}

/** Fails early, with the usual one-line reasons, before any reading starts. */
export function checkReadable(path: string): { mtimeMs: number } {
  if (path === '-') return { mtimeMs: Date.now() };
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    return { mtimeMs: st.mtimeMs };
  } catch (e) {
    throw new UnreadableInputError(path, why(e), e);
  }
}

/** A streaming zstd decoder (fzstd, pure JavaScript: Node 20's zlib has no zstd), loaded only when a .zst file is read. */
async function zstdStream(): Promise<Transform> {
  const { Decompress } = await import('fzstd');
  const { Transform } = await import('node:stream');
  let push: ((chunk: Uint8Array) => void) | undefined;
  const dec = new Decompress((chunk) => push?.(chunk));
  const t = new Transform({
    transform(chunk: Buffer, _enc, done) {
      try {
        dec.push(chunk);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
    flush(done) {
      try {
        dec.push(new Uint8Array(0), true);
        done();
      } catch (e) {
        done(e as Error);
      }
    },
  });
  push = (c) => t.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return t;
}

/**
 * Splits bytes into lines: "\n" ends a line, a "\r" before it is dropped. Each line is decoded on
 * its own (UTF-8), so it is a flat string of its own: readers index into it character by
 * character, and a value they keep (a sender, a queue id) holds on to its line, not to a whole
 * chunk of the file. A "\n" byte never occurs inside a UTF-8 sequence, so cutting at it is safe.
 */
export class LineSplitter {
  /** The unfinished last line of the previous chunk. */
  private rest: Buffer | undefined;

  /** The complete lines of `chunk` (with what was left over before it). */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    // A chunk of plain ASCII (most logs) is decoded byte for byte, without UTF-8 validation.
    const decode = isAscii(chunk) ? latin1Line : lineOf;
    let p = 0;
    let nl = chunk.indexOf(10);
    if (nl < 0) {
      this.rest = this.rest ? Buffer.concat([this.rest, chunk]) : Buffer.from(chunk);
      return lines;
    }
    if (this.rest) {
      lines.push(lineOf(Buffer.concat([this.rest, chunk.subarray(0, nl)]), 0, this.rest.length + nl));
      this.rest = undefined;
      p = nl + 1;
      nl = chunk.indexOf(10, p);
    }
    while (nl >= 0) {
      lines.push(decode(chunk, p, nl));
      p = nl + 1;
      nl = chunk.indexOf(10, p);
    }
    // Copied: the stream may reuse the chunk's memory.
    if (p < chunk.length) this.rest = Buffer.from(chunk.subarray(p));
    return lines;
  }

  /** The last line when the input does not end with "\n". */
  end(): string | undefined {
    const r = this.rest;
    this.rest = undefined;
    return r && r.length > 0 ? lineOf(r, 0, r.length) : undefined;
  }
}

/** Buffer's own decoders, called without toString's argument checks (once per line). */
interface Slicing {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}

function lineOf(b: Buffer, start: number, end: number): string {
  return (b as unknown as Slicing).utf8Slice(start, end > start && b[end - 1] === 13 ? end - 1 : end);
}

/** For ASCII bytes Latin-1 and UTF-8 give the same string. */
function latin1Line(b: Buffer, start: number, end: number): string {
  return (b as unknown as Slicing).latin1Slice(start, end > start && b[end - 1] === 13 ? end - 1 : end);
}

/**
 * Bytes per read. A chunk's lines are alive while it is counted, and whatever is alive when the young
 * generation is collected gets copied: smaller chunks keep that small (256 KiB measured a little
 * faster than 1 MiB on the bench log).
 */
export const CHUNK_BYTES = 256 * 1024;

/**
 * An uncompressed regular file, read with readSync in this thread: a read from the page cache
 * costs less than handing each chunk to libuv's thread pool and waiting for the main thread to be
 * scheduled again, which on a busy machine is most of the waiting. The event loop still gets a turn
 * every 16 chunks (a progress spinner keeps turning). Undefined, having read nothing, for anything
 * else (a pipe, a device, a compressed file), which the stream reads.
 */
async function readRegularFile(path: string, start: number, end: number, split: LineSplitter, onLines: (lines: string[]) => void): Promise<number | undefined> {
  const fd = openSync(path, 'r');
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    // One buffer throughout: LineSplitter decodes its lines and copies an unfinished last line before the next read.
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let pos = start;
    for (let n = 1; ; n++) {
      const want = Math.min(CHUNK_BYTES, end - pos);
      const got = want > 0 ? readSync(fd, buf, 0, want, pos) : 0;
      if (got === 0) break;
      const b = buf.subarray(0, got);
      if (pos === start && compressionOf(b) !== 'none') return undefined;
      pos += got;
      const lines = split.push(b);
      if (lines.length > 0) onLines(lines);
      if (n % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const last = split.end();
    if (last !== undefined) onLines([last]);
    return pos - start;
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `onLines` with each chunk's complete lines (without "\n" or "\r"). Resolves when the input
 * ends; rejects with UnreadableInputError when it cannot be opened or decompressed. `start` and
 * `end` (exclusive) are byte positions in a file as stored.
 */
export async function readLines(
  path: string,
  onLines: (lines: string[]) => void,
  opts: { stdin?: NodeJS.ReadableStream; start?: number; end?: number } = {},
): Promise<{ bytes: number }> {
  const split = new LineSplitter();
  let bytes = 0;
  let stream: AsyncIterable<Buffer> | undefined;
  try {
    if (path !== '-') {
      const plain = await readRegularFile(path, opts.start ?? 0, opts.end ?? Infinity, split, onLines);
      if (plain !== undefined) return { bytes: plain };
    }
    let raw: Readable | NodeJS.ReadableStream;
    if (path === '-') raw = opts.stdin ?? process.stdin;
    else raw = createReadStream(path, { highWaterMark: CHUNK_BYTES, ...(opts.start !== undefined ? { start: opts.start } : {}), ...(opts.end !== undefined ? { end: opts.end - 1 } : {}) });
    const iterator = (raw as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) return { bytes: 0 };
    const head = first.value as Buffer;
    const kind = compressionOf(head);
    const source = (async function* () {
      yield head;
      for (;;) {
        const r = await iterator.next();
        if (r.done) return;
        yield r.value as Buffer;
      }
    })();
    if (kind === 'none') stream = source;
    else {
      const { Readable: R } = await import('node:stream');
      const decomp = kind === 'gzip' ? (await import('node:zlib')).createGunzip() : await zstdStream();
      const input = R.from(source);
      input.on('error', (e) => decomp.destroy(e));
      stream = input.pipe(decomp) as unknown as AsyncIterable<Buffer>;
    }
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += b.length;
      const lines = split.push(b);
      if (lines.length > 0) onLines(lines);
    }
    const last = split.end();
    if (last !== undefined) onLines([last]);
    return { bytes };
  } catch (e) {
    if (e instanceof MailpaceError) throw e;
    const msg = (e as Error).message ?? '';
    if (/zstd|invalid|unexpected EOF|magic|window/i.test(msg) && !(e as NodeJS.ErrnoException).code) throw new UnreadableInputError(path, `the zstd data is corrupt or truncated (${msg})`, e);
    throw new UnreadableInputError(path, why(e), e);
  }
}
