/**
 * The virus scan before sending: a clamd client speaking INSTREAM over TCP or a unix socket.
 *
 * Protocol (clamd(8), "COMMANDS"; ClamAV docs, "ClamD Protocol"):
 *   - "zINSTREAM\0": the z prefix makes the command and clamd's reply NUL-delimited.
 *   - then the data as chunks, each "<length><data>" with <length> a 4-byte unsigned integer in network
 *     byte order, ended by a zero-length chunk;
 *   - then one reply: "stream: OK\0", "stream: <signature> FOUND\0" or "... ERROR\0". Past clamd.conf's
 *     StreamMaxLength clamd replies "INSTREAM size limit exceeded. ERROR" and closes the connection
 *     (clamd.conf(5) StreamMaxLength), possibly while we are still sending.
 * Signatures from a database that is not ClamAV's own come back with ".UNOFFICIAL" appended
 * (e.g. "Mailpace.Test.EICAR.UNOFFICIAL"); the name is passed through as clamd sent it.
 */
import net from 'node:net';
import { NetworkError, UsageError, type MailpaceErrorOptions } from '../errors.js';
import { ipFamily } from '../net/ip-address.js';

export type ClamdTarget = { host: string; port: number } | { socketPath: string };

export type ClamdVerdict = { clean: true } | { clean: false; signature: string };

export interface ClamdScanOptions {
  /** For the whole scan: connect, send, and clamd's verdict. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Bytes per INSTREAM chunk (default 64 KiB). */
  chunkSize?: number;
}

/** Why a scan produced no verdict. Every one means "could not complete" (exit 3). */
export const CLAMD_ERROR_CODES = {
  CLAMD_UNREACHABLE: { temporary: true, description: 'Nothing accepted a connection at the clamd address or socket path.' },
  CLAMD_TIMEOUT: { temporary: true, description: 'clamd did not accept, read or answer within the timeout.' },
  CLAMD_CLOSED: { temporary: true, description: 'clamd closed the connection without a reply.' },
  CLAMD_SIZE_LIMIT: { temporary: false, description: "The message is larger than clamd's StreamMaxLength (clamd.conf); clamd refused to scan it." },
  CLAMD_SCAN_ERROR: { temporary: true, description: 'clamd answered ERROR: it could not scan the stream (memory, temporary files, limits).' },
  CLAMD_BAD_REPLY: { temporary: false, description: 'The reply is not a clamd INSTREAM reply: the address is probably not clamd.' },
  CLAMD_ABORTED: { temporary: true, description: 'The scan was cancelled.' },
} as const;

export type ClamdErrorCode = keyof typeof CLAMD_ERROR_CODES;

export class ClamdError extends NetworkError {
  declare readonly code: ClamdErrorCode;
  /** "127.0.0.1:3310", "[::1]:3310" or the socket path. */
  readonly target: string;
  /** clamd's reply text (without the NUL), when there was one. */
  readonly reply?: string;
  constructor(code: ClamdErrorCode, message: string, details: { target: string; reply?: string }, opts: MailpaceErrorOptions = {}) {
    super(code, message, { temporary: CLAMD_ERROR_CODES[code].temporary, ...opts });
    this.target = details.target;
    this.reply = details.reply;
  }
}

const DEFAULT_CHUNK = 64 * 1024;
/** A verdict line is a signature name and a word; anything this long without a NUL is not clamd. */
const MAX_REPLY_BYTES = 4096;
const COMMAND = Buffer.from('zINSTREAM\0', 'latin1');
const END_OF_STREAM = Buffer.alloc(4);
const HINT_UNREACHABLE = 'start clamd (Debian: clamav-daemon) or point --clamd at its TCPSocket (host:port) or LocalSocket (path)';

const FLAG_FORMS = 'expected host:port (127.0.0.1:3310, [::1]:3310, clamav.internal:3310) or a socket path starting with / or ./';

/** RFC 1123 §2.1 host name: LDH labels of 1–63 characters, 253 in all. */
function isHostName(s: string): boolean {
  if (s.length === 0 || s.length > 253) return false;
  return s.split('.').every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(l));
}

/** The value of `--clamd <host:port|/path.sock>`. */
export function parseClamdTarget(value: string): ClamdTarget {
  const s = value.trim();
  if (s === '') throw new UsageError(`--clamd is empty: ${FLAG_FORMS}`);
  if (s.startsWith('/') || s.startsWith('./') || s.startsWith('../')) {
    if (s.includes('\0')) throw new UsageError('--clamd: a socket path cannot contain a NUL byte');
    return { socketPath: s };
  }
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]*)\]:(\d+)$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2]!;
    if (ipFamily(host) !== 6) throw new UsageError(`--clamd "${value}": "${host}" in brackets is not an IPv6 address`);
  } else {
    if (ipFamily(s) === 6 || (s.match(/:/g)?.length ?? 0) > 1) {
      throw new UsageError(`--clamd "${value}": put an IPv6 address in brackets with a port, e.g. [::1]:3310`);
    }
    const m = /^([^:]+):(\d+)$/.exec(s);
    if (!m) throw new UsageError(`--clamd "${value}": ${FLAG_FORMS}`);
    host = m[1]!;
    portText = m[2]!;
    // A dotted quad that ipFamily refuses (999.1.1.1, 010.0.0.1) is a typo, not a host name.
    if (ipFamily(host) === 0 && (/^[\d.]+$/.test(host) || !isHostName(host))) {
      throw new UsageError(`--clamd "${value}": "${host}" is not an IP address or host name`);
    }
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--clamd "${value}": port must be 1-65535`);
  return { host, port };
}

export function formatClamdTarget(target: ClamdTarget): string {
  if ('socketPath' in target) return target.socketPath;
  return ipFamily(target.host) === 6 ? `[${target.host}]:${target.port}` : `${target.host}:${target.port}`;
}

/** Printable, one line, short: for quoting a reply that is not what clamd sends. */
function excerpt(text: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\x00-\x1f\x7f-\xff]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
  return clean.length > 80 ? `${clean.slice(0, 80)}…` : clean;
}

export type ClamdReply =
  | { kind: 'ok' }
  | { kind: 'found'; signature: string }
  | { kind: 'size-limit'; text: string }
  | { kind: 'error'; text: string }
  | { kind: 'garbage'; text: string };

/** One INSTREAM reply, without its NUL terminator. Pure. */
export function parseClamdReply(raw: string): ClamdReply {
  // clamd ends replies with NUL (z prefix) or newline (n prefix); tolerate both, and a trailing CR.
  const text = raw.replace(/[\0\r\n]+$/, '');
  if (text === 'stream: OK') return { kind: 'ok' };
  const found = /^stream: (\S.*) FOUND$/.exec(text);
  // a signature name is printable text (with ExtendedDetectionInfo it carries "(md5:size)")
  if (found && /^[\x20-\x7e]+$/.test(found[1]!)) return { kind: 'found', signature: found[1]! };
  if (/^INSTREAM size limit exceeded\.? ERROR$/.test(text)) return { kind: 'size-limit', text };
  if (/^[\x20-\x7e]+ ERROR$/.test(text)) return { kind: 'error', text };
  return { kind: 'garbage', text };
}

/**
 * Streams the message to clamd and returns its verdict. Throws ClamdError when there is none:
 * clamd unreachable, too slow, gone before answering, over its size limit, failing, or not clamd.
 */
export async function scanWithClamd(target: ClamdTarget, message: Buffer | Uint8Array, opts: ClamdScanOptions): Promise<ClamdVerdict> {
  const data = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const startedAt = performance.now();
  const first = await scanOnce(target, data, opts, opts.timeoutMs);
  if ('verdict' in first) return first.verdict;
  // The connection went while we were still sending and nothing was read. Past StreamMaxLength clamd
  // replies and closes; if that close lands between the event loop's poll and our next write, the write
  // fails and Node destroys the socket before reading the reply (see writeNext). One more attempt, in
  // what is left of the timeout, turns that race into the real answer; a clamd that keeps dropping the
  // connection gets reported.
  const left = opts.timeoutMs - (performance.now() - startedAt);
  if (!first.lostWhileSending || left <= 0) throw first.error;
  const second = await scanOnce(target, data, opts, left);
  if ('verdict' in second) return second.verdict;
  throw second.error;
}

type Attempt = { verdict: ClamdVerdict } | { error: ClamdError; lostWhileSending: boolean };

/** One connection, one INSTREAM. Never rejects. */
function scanOnce(target: ClamdTarget, data: Buffer, opts: ClamdScanOptions, budgetMs: number): Promise<Attempt> {
  const where = formatClamdTarget(target);
  const label = `clamd at ${where}`;
  const chunkSize = Math.max(1, Math.floor(opts.chunkSize ?? DEFAULT_CHUNK));
  const fail = (code: ClamdErrorCode, text: string, extra: { reply?: string; cause?: unknown; hint?: string } = {}) =>
    new ClamdError(code, `${label}: ${text}`, { target: where, reply: extra.reply }, { cause: extra.cause, hint: extra.hint });

  return new Promise<Attempt>((resolve) => {
    const { signal } = opts;
    if (signal?.aborted) return resolve({ error: fail('CLAMD_ABORTED', 'cancelled'), lostWhileSending: false });

    let settled = false;
    let connected = false;
    let offset = 0; // message bytes handed to the socket
    let commandQueued = false;
    let endQueued = false;
    let endWritten = false; // the end marker is in the kernel
    const received: Buffer[] = [];
    let receivedBytes = 0;

    let socket: net.Socket;
    try {
      socket = 'socketPath' in target ? net.connect({ path: target.socketPath }) : net.connect({ host: target.host, port: target.port });
    } catch (e) {
      // node:net throws at once on a port outside 0-65535 (a library caller's target, not a parsed flag)
      return resolve({ error: fail('CLAMD_UNREACHABLE', `cannot connect (${(e as Error).message})`, { cause: e }), lostWhileSending: false });
    }

    const settle = (outcome: ClamdVerdict | ClamdError, lostWhileSending = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // an INSTREAM connection carries one scan; clamd closes it after the reply anyway
      socket.destroy();
      resolve(outcome instanceof ClamdError ? { error: outcome, lostWhileSending } : { verdict: outcome });
    };

    /** The connection ended with nothing read. */
    const lost = (how: string, cause?: unknown) => {
      const sending = !endWritten;
      const text = sending
        ? `${how} while the message was being sent (${offset} of ${data.length} bytes handed over)`
        : `${how} without a reply after the whole message (${data.length} bytes)`;
      // clamd(8): past StreamMaxLength clamd closes the connection; clamd's log says which it was
      settle(fail('CLAMD_CLOSED', text, { cause, hint: sending ? "clamd closes the connection when a message is over its StreamMaxLength; see clamd's log" : "see clamd's log" }), sending);
    };

    const replyText = () => Buffer.concat(received, receivedBytes).toString('latin1');

    /** Turns what clamd sent into the verdict or the error. */
    const conclude = (raw: string) => {
      const reply = parseClamdReply(raw);
      switch (reply.kind) {
        case 'ok':
          // OK before the zero-length chunk cannot cover the whole message: not a verdict on it
          if (!endQueued) return settle(fail('CLAMD_BAD_REPLY', `answered OK after ${offset} of ${data.length} bytes, before the end of the stream`, { reply: raw }));
          return settle({ clean: true });
        case 'found':
          // a detection in part of the message is a detection in the message
          return settle({ clean: false, signature: reply.signature });
        case 'size-limit':
          return settle(
            fail('CLAMD_SIZE_LIMIT', `the message (${data.length} bytes) is larger than clamd accepts (INSTREAM size limit exceeded)`, {
              reply: reply.text,
              hint: "raise StreamMaxLength in clamd.conf (and keep it at or above the MTA's message size limit)",
            }),
          );
        case 'error':
          return settle(fail('CLAMD_SCAN_ERROR', `scan failed: ${excerpt(reply.text)}`, { reply: reply.text }));
        case 'garbage':
          return settle(
            fail('CLAMD_BAD_REPLY', reply.text === '' ? 'empty reply' : `not a clamd reply: "${excerpt(reply.text)}"`, {
              reply: reply.text,
              hint: 'check that --clamd points at clamd (its TCPSocket or LocalSocket)',
            }),
          );
      }
    };

    /**
     * Writes one frame (the command and/or one chunk, and the end marker after the last chunk), and the
     * next one only when this one is in the kernel and the event loop has polled the socket since.
     *
     * Why not write until 'drain': past StreamMaxLength clamd replies and closes while we are still
     * sending. A write after that fails (EPIPE/ECONNRESET) and Node destroys the socket at once, before the
     * reply already waiting in the kernel is read, so "size limit exceeded" would be lost. libuv reads a
     * readable socket before writing to it in each poll (uv__stream_io), so a poll between any two of our
     * writes reads a reply that came in before it. Two setImmediate hops make sure of that poll whichever
     * loop phase the write callback ran in (cost: two loop turns per 64 KiB). A close that lands between
     * a poll and the next write can still lose the reply; scanWithClamd's one retry covers that.
     * The write callback is also the backpressure: nothing more is queued until the kernel took the frame.
     */
    function writeNext() {
      if (settled) return;
      const parts: Buffer[] = [];
      if (!commandQueued) {
        commandQueued = true;
        parts.push(COMMAND);
      }
      if (offset < data.length) {
        const n = Math.min(chunkSize, data.length - offset);
        const header = Buffer.allocUnsafe(4);
        header.writeUInt32BE(n, 0);
        // the data is a view, not a copy
        parts.push(header, data.subarray(offset, offset + n));
        offset += n;
      }
      if (offset >= data.length && !endQueued) {
        endQueued = true;
        // No socket.end() after it: the reply comes back on this connection, and clamd closes it.
        parts.push(END_OF_STREAM);
      }
      if (parts.length === 0) return;
      // one writev for the frame
      socket.cork();
      for (let i = 0; i < parts.length - 1; i++) socket.write(parts[i]!);
      socket.write(parts[parts.length - 1]!, (err) => {
        if (err) return;
        if (endQueued) endWritten = true;
        else setImmediate(() => setImmediate(writeNext));
      });
      socket.uncork();
    }

    const onAbort = () => settle(fail('CLAMD_ABORTED', 'cancelled'));
    // timers are real: a socket read is a network event, not a schedule (the Clock is for schedules)
    const timer = setTimeout(() => {
      const what = !connected
        ? `no connection within ${opts.timeoutMs} ms`
        : !endWritten
          ? `did not take the whole message (${data.length} bytes) within ${opts.timeoutMs} ms`
          : `no verdict within ${opts.timeoutMs} ms`;
      settle(fail('CLAMD_TIMEOUT', what, { hint: 'raise --timeout, or check that clamd is not overloaded (MaxThreads, MaxQueue)' }));
    }, budgetMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    socket.on('connect', () => {
      connected = true;
      writeNext();
    });
    socket.on('data', (d: Buffer) => {
      if (settled) return;
      const nul = d.indexOf(0);
      if (nul >= 0) {
        received.push(d.subarray(0, nul));
        receivedBytes += nul;
        return conclude(replyText());
      }
      received.push(d);
      receivedBytes += d.length;
      // After a z-prefixed command clamd ends its reply with NUL; a line ending first means a
      // line-based server (SMTP, HTTP…) is listening there: judge its first line now, not at the timeout.
      if (d.includes(0x0a) || receivedBytes > MAX_REPLY_BYTES) conclude(replyText().split('\n')[0]!);
    });
    // clamd closed its side: whatever came before is the whole reply (a newline-ended one, or a cut-off one)
    socket.on('end', () => {
      if (settled) return;
      if (receivedBytes > 0) return conclude(replyText());
      lost('closed the connection');
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      if (!connected) return settle(connectError(e));
      // Closing while we still send (the size limit does that) makes our next write fail with EPIPE or
      // ECONNRESET; a reply that came first is the answer.
      if (receivedBytes > 0) return conclude(replyText());
      lost(`lost the connection (${e.code ?? e.message})`, e);
    });
    socket.on('close', () => {
      if (settled) return;
      if (receivedBytes > 0) return conclude(replyText());
      lost('closed the connection');
    });

    function connectError(e: NodeJS.ErrnoException): ClamdError {
      const why =
        e.code === 'ECONNREFUSED'
          ? 'connection refused'
          : e.code === 'ENOENT'
            ? 'no such socket file'
            : e.code === 'EACCES'
              ? 'permission denied on the socket'
              : e.code === 'ENOTSOCK'
                ? 'not a socket'
                : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
                  ? 'cannot resolve the host name'
                  : `cannot connect (${e.code ?? e.message})`;
      return fail('CLAMD_UNREACHABLE', why, { cause: e, hint: HINT_UNREACHABLE });
    }
  });
}
