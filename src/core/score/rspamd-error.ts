/**
 * Why talking to Rspamd failed. Every one of these means "could not complete" (exit 3): the message
 * was not scored, and the user has to start Rspamd, fix the URL or password, or use --engine builtin.
 */
import { NetworkError, type MailpaceErrorOptions } from '../errors.js';

export const RSPAMD_ERROR_CODES = {
  RSPAMD_UNREACHABLE: 'Nothing accepted a connection at the Rspamd URL.',
  RSPAMD_TIMEOUT: 'Rspamd did not answer within the timeout.',
  RSPAMD_UNAUTHORIZED: 'Rspamd (a controller worker) refused the password, or needs one.',
  RSPAMD_HTTP_STATUS: 'Rspamd answered with an HTTP error status.',
  RSPAMD_BAD_JSON: 'Rspamd\'s reply is not JSON.',
  RSPAMD_BAD_REPLY: 'Rspamd\'s reply is JSON but not a /checkv2 result (missing score, action or symbols).',
  RSPAMD_BAD_URL: 'The Rspamd URL is not an http: or https: URL.',
} as const;

export type RspamdErrorCode = keyof typeof RSPAMD_ERROR_CODES;

export class RspamdError extends NetworkError {
  declare readonly code: RspamdErrorCode;
  readonly url: string;
  readonly status?: number;
  constructor(code: RspamdErrorCode, message: string, details: { url: string; status?: number }, opts: MailpaceErrorOptions = {}) {
    super(code, message, opts);
    this.url = details.url;
    this.status = details.status;
  }
}
