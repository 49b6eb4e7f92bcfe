/**
 * HttpClient on undici: one Agent, which keeps a pool of keep-alive connections per origin, so a run
 * that sends many requests to one service (a batch of messages to Rspamd) reuses a bounded set of
 * sockets instead of opening one per request. undici's failures are mapped onto HttpError codes.
 */
import { Agent, errors as undiciErrors } from 'undici';
import type { HttpClient, HttpRequest, HttpResponse } from './http-client.js';
import { HttpError, type HttpErrorCode } from './http-error.js';

export interface UndiciHttpClientOptions {
  /** Connections per origin (the pool size). Requests beyond it queue. Default 16. */
  connections?: number;
  /** Idle keep-alive sockets are closed after this long (ms). Default 4000. */
  keepAliveTimeoutMs?: number;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;

/** Socket-level errno values that mean "nobody answered at that address". */
const UNREACHABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function errnoOf(err: any): string | undefined {
  if (!err) return undefined;
  if (typeof err.code === 'string' && !err.code.startsWith('UND_ERR')) return err.code;
  // happy-eyeballs connects (autoSelectFamily) fail with an AggregateError of per-address errors
  if (Array.isArray(err.errors) && err.errors.length > 0) return errnoOf(err.errors[0]);
  return err.cause ? errnoOf(err.cause) : undefined;
}

export class UndiciHttpClient implements HttpClient {
  private readonly agent: Agent;

  constructor(opts: UndiciHttpClientOptions = {}) {
    this.agent = new Agent({
      connections: opts.connections ?? 16,
      keepAliveTimeout: opts.keepAliveTimeoutMs ?? 4000,
      // One request per connection at a time: Rspamd, like most servers, answers in order but a
      // slow message would hold up every request pipelined behind it.
      pipelining: 1,
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new HttpError('HTTP_BAD_URL', `"${req.url}" is not a URL`, { url: req.url }, { temporary: false });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new HttpError('HTTP_BAD_URL', `"${req.url}" is not an http: or https: URL`, { url: req.url }, { temporary: false });
    }
    const flat: string[] = [];
    for (const [k, v] of req.headers ?? []) flat.push(k, v);
    const limit = req.maxBodyBytes ?? DEFAULT_MAX_BODY;

    // One deadline for the whole exchange; undici's own timers bound each phase as well.
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), req.timeoutMs);
    try {
      const res = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers: flat,
        body: req.body === undefined ? null : typeof req.body === 'string' ? req.body : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength),
        signal: ac.signal,
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > limit) {
          res.body.destroy();
          throw new HttpError('HTTP_TOO_LARGE', `${req.url} sent more than ${limit} bytes`, { url: req.url, status: res.statusCode });
        }
        chunks.push(chunk as Buffer);
      }
      return { status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks, size) };
    } catch (err) {
      throw this.mapError(err, req, ac.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  private mapError(err: unknown, req: HttpRequest, deadlinePassed: boolean): HttpError {
    if (err instanceof HttpError) return err;
    const e = err as any;
    const at = `${req.method} ${req.url}`;
    const fail = (code: HttpErrorCode, why: string) => new HttpError(code, `${at}: ${why}`, { url: req.url }, { cause: err });
    if (deadlinePassed || e?.name === 'AbortError') return fail('HTTP_TIMEOUT', `no complete reply within ${req.timeoutMs} ms`);
    if (e instanceof undiciErrors.ConnectTimeoutError) return fail('HTTP_TIMEOUT', `could not connect within ${req.timeoutMs} ms`);
    if (e instanceof undiciErrors.HeadersTimeoutError || e instanceof undiciErrors.BodyTimeoutError) {
      return fail('HTTP_TIMEOUT', `no reply within ${req.timeoutMs} ms`);
    }
    const errno = errnoOf(e);
    if (errno && UNREACHABLE_ERRNO.has(errno)) {
      const why = errno === 'ECONNREFUSED' ? 'connection refused' : errno === 'ECONNRESET' ? 'connection reset' : errno;
      return fail('HTTP_UNREACHABLE', why);
    }
    // The peer closed the connection before a complete reply, or sent bytes that are not HTTP.
    if (e instanceof undiciErrors.SocketError) return fail('HTTP_PROTOCOL', `connection closed before a complete reply (${e.message})`);
    if (typeof e?.code === 'string' && (e.code.startsWith('HPE_') || e.name === 'HTTPParserError')) {
      return fail('HTTP_PROTOCOL', `the reply is not valid HTTP (${e.message})`);
    }
    if (e instanceof undiciErrors.ResponseContentLengthMismatchError) return fail('HTTP_PROTOCOL', 'the reply body is shorter or longer than its Content-Length');
    if (e instanceof undiciErrors.InvalidArgumentError) {
      return new HttpError('HTTP_BAD_URL', `${at}: ${e.message}`, { url: req.url }, { cause: err, temporary: false });
    }
    return fail('HTTP_PROTOCOL', e?.message ?? String(err));
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
