/**
 * Syslog line headers: the classic BSD form ("Dec  1 19:18:38 host prog[pid]: msg", RFC 3164 §4.1.2,
 * also what Postfix's own maillog_file writes, with a zero-padded day) and the RFC 3339 form
 * ("2026-12-01T19:18:38.123456+01:00 host prog[pid]: msg", rsyslog's RSYSLOG_FileFormat, RFC 5424
 * time stamps).
 *
 * The classic form has no year. pflogsumm takes the current year and steps back one when the
 * line's month is later than this month; a log read a year later gets the wrong year. We take the
 * year from --year, else from the file's modification time (the newest line cannot be later than
 * that), else — standard input — from now, which is what a pipe's "modification time" is.
 */

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

export interface SyslogLine {
  at: number;
  /** "postfix/smtp", "postfix-deliver/cleanup", "rspamd" … */
  program: string;
  /** Text after "prog[pid]: ". */
  message: string;
}

/**
 * Where a line's parts lie: the program is [progStart, progEnd), the message starts at colon + 2.
 * Positions, not slices: the readers cut out only what they need, and reuse one of these per reader.
 */
export interface SyslogHeader {
  at: number;
  progStart: number;
  progEnd: number;
  colon: number;
  /** The last "/" in the program ("postfix/smtp"), or -1. */
  slash: number;
}

/** A clock's year state (see ClassicClock.state). */
export interface ClockState {
  year: number;
  lastMonth: number;
  firstMonth: number;
}

/**
 * Year for classic time stamps. `year`: the year the log starts in (a Dec → Jan step moves on to the
 * next). `refMs`: a time the log cannot be later than (mtime): each line gets that year, or the year
 * before when its month and day lie after the reference's.
 */
export class ClassicClock {
  private year: number;
  private lastMonth = -1;
  private readonly ref: Date | undefined;
  private cacheKey = '';
  private cacheMs = 0;

  constructor(opts: { year?: number; refMs?: number }) {
    this.ref = opts.year === undefined && opts.refMs !== undefined ? new Date(opts.refMs) : undefined;
    this.year = opts.year ?? this.ref?.getFullYear() ?? new Date().getFullYear();
  }

  /** The month of the first classic time stamp read (-1: none yet). */
  private firstMonth = -1;

  /** The year state (with --year): where a later part of the same log, read on its own, starts and ends. */
  get state(): ClockState {
    return { year: this.year, lastMonth: this.lastMonth, firstMonth: this.firstMonth };
  }

  /** Goes on from where a later part of the log, read on its own, left its clock. */
  adopt(s: ClockState): void {
    this.year = s.year;
    this.lastMonth = s.lastMonth;
    this.cacheKey = '';
  }

  private yearFor(month: number, day: number): number {
    if (this.firstMonth === -1) this.firstMonth = month;
    if (this.ref) {
      const rm = this.ref.getMonth();
      // A day's slack: a line written just before midnight in a file touched just after.
      const later = month > rm || (month === rm && day > this.ref.getDate() + 1);
      return later ? this.ref.getFullYear() - 1 : this.ref.getFullYear();
    }
    if (this.lastMonth !== -1 && month < this.lastMonth - 6) this.year++;
    this.lastMonth = month;
    return this.year;
  }

  /** Whether `line` starts with the cached "Mmm dd hh:mm" (compared from the minute back: that is what changes). */
  private sameMinute(line: string): boolean {
    const k = this.cacheKey;
    if (k === '') return false;
    for (let i = 11; i >= 0; i--) if (line.charCodeAt(i) !== k.charCodeAt(i)) return false;
    return true;
  }

  /** ms for "Mmm dd hh:mm:ss" at the start of `line`, or NaN. Cached per minute: lines come in order. */
  parse(line: string): number {
    const sec = (line.charCodeAt(13) - 48) * 10 + (line.charCodeAt(14) - 48);
    if (sec >= 0 && sec < 61 && this.sameMinute(line)) return this.cacheMs + sec * 1000;
    const key = line.slice(0, 12);
    const m = /^([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d)$/.exec(line.slice(0, 15));
    if (!m) return NaN;
    const month = MONTHS[m[1]!];
    if (month === undefined) return NaN;
    const day = Number(m[2]!.trim());
    const ms = new Date(this.yearFor(month, day), month, day, Number(m[3]), Number(m[4])).getTime();
    this.cacheKey = key;
    this.cacheMs = ms;
    return ms + Number(m[5]) * 1000;
  }
}

export const RFC3339 = /^(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?) /;

/**
 * Reads a line's time stamp and finds its program and message into `h`; false when the line has
 * neither time stamp form or no "prog: " part.
 */
export function scanSyslogHeader(line: string, clock: ClassicClock, h: SyslogHeader): boolean {
  let p: number;
  const c0 = line.charCodeAt(0);
  if (c0 >= 65 && c0 <= 90) {
    // "Mmm dd hh:mm:ss host prog[pid]: …" (RFC 3164 §4.1.2)
    if (line.length < 16 || line.charCodeAt(15) !== 32) return false;
    h.at = clock.parse(line);
    if (Number.isNaN(h.at)) return false;
    p = 16;
  } else if (c0 >= 48 && c0 <= 57) {
    const m = RFC3339.exec(line);
    if (!m) return false;
    h.at = Date.parse(m[1]!);
    if (Number.isNaN(h.at)) return false;
    p = m[0].length;
  } else return false;
  const hostEnd = line.indexOf(' ', p);
  if (hostEnd < 0) return false;
  // One pass over the program: it ends at "[pid]" or at ": ", whichever comes first.
  const progStart = hostEnd + 1;
  const n = line.length;
  let slash = -1;
  let i = progStart;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c === 91 /* [ */ || (c === 58 /* : */ && line.charCodeAt(i + 1) === 32)) break;
    if (c === 47 /* / */) slash = i;
  }
  if (i >= n) return false;
  const colon = line.charCodeAt(i) === 58 ? i : line.indexOf(': ', i + 1);
  if (colon < 0) return false;
  h.progStart = progStart;
  h.progEnd = i;
  h.colon = colon;
  h.slash = slash;
  return true;
}

/** Splits a syslog line; undefined when it has neither time stamp form or no "prog: " part. */
export function parseSyslog(line: string, clock: ClassicClock): SyslogLine | undefined {
  const h: SyslogHeader = { at: 0, progStart: 0, progEnd: 0, colon: 0, slash: -1 };
  if (!scanSyslogHeader(line, clock, h)) return undefined;
  return { at: h.at, program: line.slice(h.progStart, h.progEnd), message: line.slice(h.colon + 2) };
}
