/**
 * Rspamd's HTTP protocol (rspamd.com/doc/developers/protocol.html): POST the raw message to
 * /checkv2 with the envelope as request headers, read a JSON result. Works against a normal worker
 * (port 11333) or a controller (11334, which wants a Password header). Failures become RspamdError.
 */
import type { HttpClient, HttpResponse } from '../http/http-client.js';
import { jsonBody } from '../http/http-client.js';
import { HttpError } from '../http/http-error.js';
import { envelopeHeaders, type Envelope } from './envelope.js';
import { RspamdError } from './rspamd-error.js';
import { checkv2Problem, normaliseCheckv2, type RspamdCheck } from './rspamd-reply.js';

export const DEFAULT_RSPAMD_URL = 'http://127.0.0.1:11333';

export interface RspamdClientOptions {
  /** Base URL of the worker, e.g. http://127.0.0.1:11333 (a path prefix is kept, for proxies). */
  url: string;
  /** Controller password, sent as the Password header. */
  password?: string;
  timeoutMs: number;
}

export interface CheckOptions {
  /** "Pass: all": run every rule even when the result is already decided, so all symbols show. */
  allSymbols?: boolean;
  /** Sent as the Filename header; Rspamd logs it. */
  filename?: string;
}

export class RspamdClient {
  constructor(
    private readonly http: HttpClient,
    readonly opts: RspamdClientOptions,
  ) {}

  private endpoint(path: string): string {
    const base = this.opts.url.endsWith('/') ? this.opts.url : `${this.opts.url}/`;
    try {
      return new URL(path, base).toString();
    } catch {
      throw new RspamdError('RSPAMD_BAD_URL', `the Rspamd URL "${this.opts.url}" is not a URL`, { url: this.opts.url }, { temporary: false });
    }
  }

  private authHeaders(): [string, string][] {
    return this.opts.password === undefined ? [] : [['Password', this.opts.password]];
  }

  /** Resolves when Rspamd answers /ping; throws RspamdError otherwise. */
  async ping(timeoutMs = this.opts.timeoutMs): Promise<void> {
    const url = this.endpoint('ping');
    const res = await this.send(url, () => this.http.request({ url, method: 'GET', headers: this.authHeaders(), timeoutMs, maxBodyBytes: 64 * 1024 }));
    this.expectOk(res, url);
  }

  async check(message: Uint8Array, envelope: Envelope, opts: CheckOptions = {}): Promise<RspamdCheck> {
    const url = this.endpoint('checkv2');
    const headers: [string, string][] = [...envelopeHeaders(envelope), ...this.authHeaders()];
    if (opts.allSymbols) headers.push(['Pass', 'all']);
    if (opts.filename) headers.push(['Filename', opts.filename.replace(/[\r\n\0]/g, '')]);
    const res = await this.send(url, () =>
      this.http.request({ url, method: 'POST', headers, body: message, timeoutMs: this.opts.timeoutMs }),
    );
    this.expectOk(res, url);
    let body: unknown;
    try {
      body = jsonBody(res, url);
    } catch (err) {
      const e = err as HttpError;
      throw new RspamdError('RSPAMD_BAD_JSON', `Rspamd at ${this.opts.url} sent a reply that is not JSON${e.bodySnippet ? `: ${e.bodySnippet}` : ''}`, { url, status: res.status }, {
        cause: err,
        temporary: false,
        hint: 'is --rspamd pointing at an Rspamd worker (port 11333) and not some other service?',
      });
    }
    const problem = checkv2Problem(body);
    if (problem) {
      throw new RspamdError('RSPAMD_BAD_REPLY', `Rspamd at ${this.opts.url} sent an unexpected /checkv2 reply: ${problem}`, { url, status: res.status }, { temporary: false });
    }
    return normaliseCheckv2(body);
  }

  private async send(url: string, run: () => Promise<HttpResponse>): Promise<HttpResponse> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      const hint = 'start Rspamd, point --rspamd (or MAILPACE_RSPAMD_URL) at it, or use --engine builtin';
      switch (err.code) {
        case 'HTTP_UNREACHABLE':
          throw new RspamdError('RSPAMD_UNREACHABLE', `cannot reach Rspamd at ${this.opts.url}: ${err.message.replace(/^[A-Z]+ \S+: /, '')}`, { url }, { cause: err, hint });
        case 'HTTP_TIMEOUT':
          throw new RspamdError('RSPAMD_TIMEOUT', `Rspamd at ${this.opts.url} did not answer within ${this.opts.timeoutMs} ms`, { url }, {
            cause: err,
            hint: 'raise --timeout, or check the Rspamd worker is not overloaded',
          });
        case 'HTTP_BAD_URL':
          throw new RspamdError('RSPAMD_BAD_URL', `the Rspamd URL "${this.opts.url}" is not an http: URL`, { url }, { cause: err, temporary: false });
        default:
          throw new RspamdError('RSPAMD_BAD_REPLY', `Rspamd at ${this.opts.url}: ${err.message.replace(/^[A-Z]+ \S+: /, '')}`, { url }, { cause: err, hint });
      }
    }
  }

  private expectOk(res: HttpResponse, url: string): void {
    if (res.status >= 200 && res.status < 300) return;
    let detail = '';
    try {
      const b = JSON.parse(res.body.toString('utf8')) as { error?: unknown };
      if (typeof b?.error === 'string') detail = `: ${b.error}`;
    } catch {
      // not JSON: the status says enough
    }
    if (res.status === 401 || res.status === 403) {
      throw new RspamdError('RSPAMD_UNAUTHORIZED', `Rspamd at ${this.opts.url} refused the request (HTTP ${res.status}${detail})`, { url, status: res.status }, {
        temporary: false,
        hint: 'a controller worker needs --rspamd-password (or MAILPACE_RSPAMD_PASSWORD); or use the normal worker, port 11333',
      });
    }
    throw new RspamdError('RSPAMD_HTTP_STATUS', `Rspamd at ${this.opts.url} answered HTTP ${res.status}${detail}`, { url, status: res.status }, {
      temporary: res.status >= 500,
    });
  }
}
