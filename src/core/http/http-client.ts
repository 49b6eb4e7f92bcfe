/**
 * The small HTTP interface core code depends on. The real implementation is undici behind a
 * connection pool (undici-http-client.ts); tests can hand in anything that keeps this contract.
 */
import { HttpError, snippet } from './http-error.js';

export type HttpMethod = 'GET' | 'POST';

export interface HttpRequest {
  /** Absolute http:/https: URL. */
  url: string;
  method: HttpMethod;
  /**
   * Header lines in order. A name may repeat (Rspamd's `Rcpt` does, one line per recipient), so this is
   * a list of pairs rather than a record.
   */
  headers?: readonly (readonly [string, string])[];
  body?: Uint8Array | string;
  /** Deadline for the whole exchange (connect, send, headers, body), in ms. */
  timeoutMs: number;
  /** Refuse reply bodies larger than this (default 16 MiB). */
  maxBodyBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export interface HttpClient {
  /** Resolves for every reply, whatever its status; rejects with HttpError when there is no reply. */
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Closes pooled connections (waits for requests in flight). */
  close(): Promise<void>;
}

/** Throws HTTP_STATUS unless the reply is 2xx. */
export function expectOk(res: HttpResponse, url: string): HttpResponse {
  if (res.status >= 200 && res.status < 300) return res;
  const body = snippet(res.body);
  throw new HttpError('HTTP_STATUS', `${url} answered HTTP ${res.status}${body ? `: ${body}` : ''}`, {
    url,
    status: res.status,
    bodySnippet: body,
  });
}

/** Parses a reply body as JSON, or throws HTTP_BAD_JSON naming the URL. */
export function jsonBody(res: HttpResponse, url: string): unknown {
  const text = res.body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(
      'HTTP_BAD_JSON',
      `${url} answered HTTP ${res.status} with a body that is not JSON (${text.length === 0 ? 'empty' : `${res.body.length} bytes`})`,
      { url, status: res.status, bodySnippet: snippet(text) },
      { cause: err, temporary: false },
    );
  }
}

/** For runs that must not make HTTP requests (the built-in score engine): every request is refused. */
export const NO_HTTP: HttpClient = {
  request: () => Promise.reject(new Error('the built-in engine makes no HTTP request')),
  close: async () => undefined,
};
