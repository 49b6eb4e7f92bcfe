/**
 * The SMTP conversation as it happened, for --verbose and for evidence in findings.
 * Authentication data never lands here: AUTH arguments and the client's answers to 334
 * challenges (RFC 4954 §4) are replaced before they are stored.
 */

export type TranscriptDirection = 'client' | 'server' | 'event';

export interface TranscriptEntry {
  /** Milliseconds since the session started (clock time). */
  atMs: number;
  dir: TranscriptDirection;
  /** One command line, one (possibly multi-line) reply, or an event description. */
  text: string;
}

export const REDACTED = '<redacted>';

/** How each side of a conversation is marked in a transcript: "C: EHLO x", "S: 250 …", "* connected". */
export const TRANSCRIPT_MARKS = { client: 'C:', server: 'S:', event: '*' } as const;

/**
 * A session that stays open for thousands of transactions (a pooled `send` connection) keeps its
 * first entries (greeting, EHLO, STARTTLS) and the latest ones; what lies between is counted.
 */
const KEEP_HEAD = 24;
const KEEP_MAX = 600;
const DROP_AT_ONCE = 100;

export class Transcript {
  readonly entries: TranscriptEntry[] = [];
  /** Entries dropped from the middle of a long session. */
  omitted = 0;
  /** True while the server's last reply was a 334 challenge: the next client line is a credential. */
  private inAuthExchange = false;

  constructor(
    private readonly now: () => number,
    private readonly startedAt: number = now(),
    private readonly onEntry?: (e: TranscriptEntry) => void,
  ) {}

  client(line: string): void {
    this.push('client', this.redactClient(line));
  }

  server(reply: string): void {
    // RFC 4954 §4: a 334 continues the AUTH exchange; anything else ends it.
    this.inAuthExchange = /^334[ -]?/.test(reply);
    this.push('server', reply);
  }

  event(text: string): void {
    this.push('event', text);
  }

  /** "C: EHLO x" / "S: 250 …" lines, the shape of a classic SMTP transcript. */
  format(): string {
    const mark = TRANSCRIPT_MARKS;
    const lines = this.entries.map((e) => `${mark[e.dir]} ${e.text.split('\n').join(`\n${' '.repeat(mark[e.dir].length + 1)}`)}`);
    if (this.omitted > 0) lines.splice(KEEP_HEAD, 0, `${mark.event} (${this.omitted} entries omitted)`);
    return lines.join('\n');
  }

  private redactClient(line: string): string {
    if (this.inAuthExchange) {
      // the answer to a challenge is a credential, or "*" to cancel (RFC 4954 §4)
      this.inAuthExchange = false;
      return line.trim() === '*' ? line : REDACTED;
    }
    // AUTH <mechanism> [initial-response]: the initial response carries the secret
    const m = /^(AUTH[ \t]+\S+)([ \t]+.*)?$/is.exec(line);
    if (m) return m[2] !== undefined ? `${m[1]} ${REDACTED}` : m[1]!;
    // nodemailer's own masking for custom mechanisms
    if (line.includes('/* secret */')) return REDACTED;
    return line;
  }

  private push(dir: TranscriptDirection, text: string): void {
    const e = { atMs: this.now() - this.startedAt, dir, text };
    this.entries.push(e);
    if (this.entries.length > KEEP_MAX + DROP_AT_ONCE) {
      this.entries.splice(KEEP_HEAD, DROP_AT_ONCE);
      this.omitted += DROP_AT_ONCE;
    }
    this.onEntry?.(e);
  }
}
