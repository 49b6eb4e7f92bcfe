/**
 * Reads log files line by line without holding them in memory: plain text, gzip (what logrotate
 * writes with `compress`) and zstd (KumoMTA's log files), recognised by their magic numbers
 * rather than their names, and standard input. Lines are handed over a chunk at a time
 * (synchronously), so a million-line file costs one callback per 1 MiB, not one promise per line.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { Transform, type Readable } from 'node:stream';
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

/** Buffer's own decoders, called without toString's argument checks. */
interface Slicing {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
}
const slicing = (b: Buffer) => b as unknown as Slicing;

/**
 * Complete lines of the input, each ended by "\n" (the input's last line may lack it). `text` holds
 * the same bytes one character each (Latin-1), so a position in `text` is an offset in `bytes`: a
 * reader finds a line's ASCII marks in `text` without a string per line, and decodes only the
 * values it keeps, from the bytes — UTF-8, unless the chunk is all ASCII (then both decodings are
 * the same). A "\n" byte never occurs inside a UTF-8 sequence, so cutting lines at it is safe, and
 * values cut at ASCII marks decode as they would inside their line.
 */
export class LineChunk {
  readonly text: string;
  readonly ascii: boolean;

  constructor(readonly bytes: Buffer) {
    this.text = slicing(bytes).latin1Slice(0, bytes.length);
    this.ascii = isAscii(bytes);
  }

  /**
   * Bytes [start, end) as a string of its own. A substring of 13 characters or more is a view into
   * its parent in V8 (SlicedString::kMinLength, deps/v8/src/objects/string.h), and a kept sender or
   * reply would keep the whole chunk alive with it; a shorter one is a copy, and cheaper to make here.
   */
  cut(start: number, end: number): string {
    if (end <= start) return '';
    if (!this.ascii) return slicing(this.bytes).utf8Slice(start, end);
    return end - start < 13 ? this.text.slice(start, end) : slicing(this.bytes).latin1Slice(start, end);
  }

  /** Where the line that starts at `start` ends (its "\n", or the end of the chunk). */
  lineEnd(start: number): number {
    const nl = this.text.indexOf('\n', start);
    return nl < 0 ? this.text.length : nl;
  }

  /** The line [start, nl) without a "\r" before its "\n" ends at. */
  static contentEnd(text: string, start: number, nl: number): number {
    return nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  }

  /** The chunk's lines (the first `max`), decoded, without "\r\n" or "\n". */
  lines(max = Infinity): string[] {
    const out: string[] = [];
    const t = this.text;
    for (let p = 0; p < t.length && out.length < max; ) {
      const nl = this.lineEnd(p);
      out.push(this.cut(p, LineChunk.contentEnd(t, p, nl)));
      p = nl + 1;
    }
    return out;
  }
}

/**
 * Finds a mark (", status=", ": ") inside one line of a chunk. indexOf runs on into the next lines
 * when this one lacks the mark; where that search stopped is kept, so the lines in between are not
 * searched again: a chunk of lines without the mark costs one pass, not one per line.
 */
export class Mark {
  private owner: LineChunk | undefined;
  private from = 0;
  private at = 0;

  constructor(readonly mark: string) {}

  /** Where the mark starts inside text[from, end), or -1. `chunk`: the chunk `text` is of (undefined: `text` is one line). */
  in(text: string, chunk: LineChunk | undefined, from: number, end: number): number {
    let i: number;
    if (chunk !== undefined && chunk === this.owner && from >= this.from && from <= this.at) i = this.at;
    else {
      i = text.indexOf(this.mark, from);
      if (i < 0) i = text.length;
      if (chunk !== undefined) {
        this.owner = chunk;
        this.from = from;
        this.at = i;
      }
    }
    return i + this.mark.length <= end ? i : -1;
  }
}

/**
 * Splits bytes into chunks of complete lines: the line begun in an earlier chunk is completed and
 * handed over on its own, then every complete line of this chunk at once.
 */
export class LineSplitter {
  /** The unfinished last line of the previous chunk. */
  private rest: Buffer | undefined;

  /** The complete lines of `chunk` (with what was left over before it). */
  pushChunks(chunk: Buffer): LineChunk[] {
    const out: LineChunk[] = [];
    let p = 0;
    if (this.rest) {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        this.rest = Buffer.concat([this.rest, chunk]);
        return out;
      }
      out.push(new LineChunk(Buffer.concat([this.rest, chunk.subarray(0, nl + 1)])));
      this.rest = undefined;
      p = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= p) {
      out.push(new LineChunk(chunk.subarray(p, last + 1)));
      p = last + 1;
    }
    // Copied: the stream may reuse the chunk's memory.
    if (p < chunk.length) this.rest = Buffer.from(chunk.subarray(p));
    return out;
  }

  /** The last line when the input does not end with "\n". */
  endChunk(): LineChunk | undefined {
    const r = this.rest;
    this.rest = undefined;
    return r && r.length > 0 ? new LineChunk(r) : undefined;
  }

  /** The complete lines of `chunk`, decoded. */
  push(chunk: Buffer): string[] {
    return this.pushChunks(chunk).flatMap((c) => c.lines());
  }

  /** The last line, decoded, when the input does not end with "\n". */
  end(): string | undefined {
    return this.endChunk()?.lines()[0];
  }
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * An uncompressed regular file, read with readSync in this thread: a read from the page cache
 * costs less than handing each chunk to libuv's thread pool and waiting for the main thread to be
 * scheduled again, which on a busy machine is most of the waiting. The event loop still gets a turn
 * every 16 chunks (a progress spinner keeps turning). Undefined, having read nothing, for anything
 * else (a pipe, a device, a compressed file), which the stream reads.
 */
async function readRegularFile(path: string, start: number, split: LineSplitter, onLines: (chunks: LineChunk[]) => void): Promise<number | undefined> {
  const fd = openSync(path, 'r');
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    // One buffer throughout: its lines are read before the next read, and LineSplitter copies an unfinished last line.
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let pos = start;
    for (let n = 1; ; n++) {
      const got = readSync(fd, buf, 0, CHUNK_BYTES, pos);
      if (got === 0) break;
      const b = buf.subarray(0, got);
      if (pos === start && compressionOf(b) !== 'none') return undefined;
      pos += got;
      const chunks = split.pushChunks(b);
      if (chunks.length > 0) onLines(chunks);
      if (n % 16 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const last = split.endChunk();
    if (last !== undefined) onLines([last]);
    return pos - start;
  } finally {
    closeSync(fd);
  }
}

/**
 * Calls `onLines` with the complete lines of each piece of input read (as one or two chunks).
 * Resolves when the input ends; rejects with UnreadableInputError when it cannot be opened or
 * decompressed.
 */
export async function readLines(
  path: string,
  onLines: (chunks: LineChunk[]) => void,
  opts: { stdin?: NodeJS.ReadableStream; start?: number } = {},
): Promise<{ bytes: number }> {
  const split = new LineSplitter();
  let bytes = 0;
  let stream: AsyncIterable<Buffer> | undefined;
  try {
    if (path !== '-') {
      const plain = await readRegularFile(path, opts.start ?? 0, split, onLines);
      if (plain !== undefined) return { bytes: plain };
    }
    let raw: Readable | NodeJS.ReadableStream;
    if (path === '-') raw = opts.stdin ?? process.stdin;
    else raw = createReadStream(path, { highWaterMark: CHUNK_BYTES, ...(opts.start !== undefined ? { start: opts.start } : {}) });
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
      const decomp = kind === 'gzip' ? createGunzip() : await zstdStream();
      const input = R.from(source);
      input.on('error', (e) => decomp.destroy(e));
      stream = input.pipe(decomp) as unknown as AsyncIterable<Buffer>;
    }
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += b.length;
      const chunks = split.pushChunks(b);
      if (chunks.length > 0) onLines(chunks);
    }
    const last = split.endChunk();
    if (last !== undefined) onLines([last]);
    return { bytes };
  } catch (e) {
    if (e instanceof MailpaceError) throw e;
    const msg = (e as Error).message ?? '';
    if (/zstd|invalid|unexpected EOF|magic|window/i.test(msg) && !(e as NodeJS.ErrnoException).code) throw new UnreadableInputError(path, `the zstd data is corrupt or truncated (${msg})`, e);
    throw new UnreadableInputError(path, why(e), e);
  }
}
