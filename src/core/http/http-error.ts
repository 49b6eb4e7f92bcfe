/**
 * Why an HTTP exchange failed, as a closed vocabulary. Callers (the Rspamd client, …) branch on the
 * code: "unreachable" and "timeout" mean the service is not there or too slow, "status" that it
 * answered but refused, "bad body" that it answered with something we cannot read.
 */
import { NetworkError, type MailpaceErrorOptions } from '../errors.js';

export const HTTP_ERROR_CODES = {
  HTTP_UNREACHABLE: 'No connection could be made (refused, reset before a reply, no route, name not found).',
  HTTP_TIMEOUT: 'Connecting, or waiting for the reply headers or body, took longer than the timeout.',
  HTTP_STATUS: 'The server replied with a status outside 2xx.',
  HTTP_BAD_JSON: 'The reply body was expected to be JSON and is not.',
  HTTP_PROTOCOL: 'The reply is not valid HTTP/1.1 (RFC 9112), or the connection closed mid-reply.',
  HTTP_TOO_LARGE: 'The reply body is larger than the caller allows.',
  HTTP_BAD_URL: 'The URL is not an absolute http: or https: URL.',
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERROR_CODES;

export interface HttpErrorDetails {
  url: string;
  /** The reply status, for HTTP_STATUS (and when known for HTTP_BAD_JSON). */
  status?: number;
  /** The first bytes of the reply body, for diagnostics. */
  bodySnippet?: string;
}

export class HttpError extends NetworkError {
  declare readonly code: HttpErrorCode;
  readonly url: string;
  readonly status?: number;
  readonly bodySnippet?: string;
  constructor(code: HttpErrorCode, message: string, details: HttpErrorDetails, opts: MailpaceErrorOptions = {}) {
    // A 4xx is our request's fault and will not get better by retrying (RFC 9110 §15.5); 5xx and
    // transport failures might.
    const temporary = opts.temporary ?? !(code === 'HTTP_STATUS' && details.status !== undefined && details.status < 500);
    super(code, message, { ...opts, temporary });
    this.url = details.url;
    this.status = details.status;
    this.bodySnippet = details.bodySnippet;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}

/** The first n characters of a body, printable, for an error message. */
export function snippet(body: Uint8Array | string, n = 120): string {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n)}…` : flat;
}
