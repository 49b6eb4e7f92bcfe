/**
 * The reply classifier `send`, `bounce`, `warmup simulate` and `monitor` share: an SMTP reply, a
 * DSN's Status/Diagnostic-Code or a log line's text → {reason, hard, suppress, retry, …}.
 *
 * How a reason is decided (the tables are in reply-patterns.ts, each row with its source):
 *  1. A network failure without a reply is `networkerror` (retry, never a bounce).
 *  2. A 2xx is `delivered`.
 *  3. The first matching row of REPLY_PATTERNS: provider wordings, then generic phrases and the
 *     status codes that decide by themselves, in Sisimai's order of precedence. Text usually wins
 *     over the enhanced code for provider wording (Gmail's 5.2.1 + "receiving mail at a rate" is
 *     `speeding`, not `suspend`); a named blocklist wins over 5.1.1 ("550 5.1.1 … blocked using
 *     zen.spamhaus.org" is `blocked`), as Sisimai::Reason::UserUnknown's prematch decides.
 *  4. Else the enhanced code alone (ENHANCED_REASONS), else the reply code (RFC 5321 500-504 are
 *     syntax errors, RFC 7504 521/556 "does not accept mail"), else the stage (a refusal at the
 *     greeting or EHLO is `blocked`, Sisimai::Reason::anotherone), else `onhold` (text without a
 *     verdict) or `undefined` (no text).
 *  5. Stage adjustments: at MAIL FROM a complaint about an address is about ours (`rejected`);
 *     "user unknown" after DATA is the recipient's filter (`filtered`, Sisimai::Reason::Filtered);
 *     a host that does not exist on a 4xx is a transient DNS failure (`networkerror`).
 *
 * Then the flags: 4xx → retry (greylisted, retryAfterMs, rateLimited as the reply says); 5xx →
 * hard; suppress only what is about the recipient, never at the greeting, EHLO, STARTTLS, AUTH or
 * MAIL stage (a refusal there is about our host or our sender). Mailbox full on a 5xx is soft: not
 * suppressed at once (counted elsewhere: 3 bounces over at least 3 days).
 *
 * Pure and allocation-light: the tables are compiled once; a call lower-cases the text once and
 * tries each row's cheap checks (class, stage, enhanced code) before its RegExp.
 */
import { matchGreylisting } from '../probe/greylisting.js';
import type { BounceReason, Classification, ClassifyInput, SmtpStage } from './classification.js';
import {
  BLOCKLIST_PATTERNS,
  ENHANCED_REASONS,
  RATE_LIMIT_ENHANCED,
  REPLY_PATTERNS,
  STAGE_HINTS,
  type ReplyPattern,
} from './reply-patterns.js';

/**
 * Which reasons are about the recipient (its address, mailbox or domain) rather than our host, our
 * sender or our message. Only these are suppressed on a permanent failure, and `mailboxfull` only
 * after repeated bounces (Classification.soft).
 */
export const REASON_IS_RECIPIENT: Readonly<Record<BounceReason, boolean>> = {
  delivered: false,
  userunknown: true,
  hostunknown: true,
  hasmoved: true,
  suspend: true,
  mailboxfull: true,
  // The message's size or the receiver's own filters: about what we sent, not who receives it.
  exceedlimit: false,
  filtered: false,
  mesgtoobig: false,
  blocked: false,
  spamdetected: false,
  virusdetected: false,
  policyviolation: false,
  contenterror: false,
  notcompliantrfc: false,
  rejected: false,
  securityerror: false,
  authfailure: false,
  requireptr: false,
  // The receiving host refuses all mail (RFC 3463 X.3.2): only a null MX row makes it the recipient's.
  notaccept: false,
  norelaying: false,
  toomanyconn: false,
  speeding: false,
  systemerror: false,
  systemfull: false,
  networkerror: false,
  expired: false,
  syntaxerror: false,
  mailererror: false,
  badreputation: false,
  emailtoolarge: false,
  onhold: false,
  feedback: false,
  vacation: false,
  undefined: false,
};

export function isRecipientReason(reason: BounceReason): boolean {
  return REASON_IS_RECIPIENT[reason] === true;
}

// ---- compiled tables --------------------------------------------------------------------------

const STAGE_BIT: Readonly<Record<SmtpStage, number>> = {
  connect: 1,
  greeting: 2,
  ehlo: 4,
  starttls: 8,
  auth: 16,
  mail: 32,
  rcpt: 64,
  data: 128,
  message: 256,
  unknown: 0,
};
/** A refusal at these stages is about our host or our sender, never the recipient. */
const HOST_STAGES = STAGE_BIT.greeting | STAGE_BIT.ehlo | STAGE_BIT.starttls | STAGE_BIT.auth | STAGE_BIT.mail;
const AFTER_DATA = STAGE_BIT.data | STAGE_BIT.message;

interface EnhancedSpec {
  /** 0 = either class. */
  readonly cls: number;
  readonly subject: number;
  /** -1 with hi -1: the whole subject. */
  readonly lo: number;
  readonly hi: number;
}

interface CompiledRow {
  readonly row: ReplyPattern;
  readonly classMask: number;
  readonly stageMask: number;
  readonly notStageMask: number;
  readonly enhanced: readonly EnhancedSpec[] | undefined;
  readonly text: RegExp | undefined;
}

function compileEnhanced(spec: string): EnhancedSpec {
  const m = /^([x245])\.(\d{1,3})(?:\.(\d{1,3})(?:-(\d{1,3}))?)?$/.exec(spec);
  if (!m) throw new Error(`reply-patterns: bad enhanced code spec ${spec}`);
  const cls = m[1] === 'x' ? 0 : Number(m[1]);
  if (m[3] === undefined) return { cls, subject: Number(m[2]), lo: -1, hi: -1 };
  const lo = Number(m[3]);
  return { cls, subject: Number(m[2]), lo, hi: m[4] === undefined ? lo : Number(m[4]) };
}

function stageMask(stages: readonly SmtpStage[] | undefined): number {
  let mask = 0;
  if (stages) for (const s of stages) mask |= STAGE_BIT[s];
  return mask;
}

function compileRow(row: ReplyPattern): CompiledRow {
  let classMask = 0;
  if (row.classes) for (const c of row.classes) classMask |= 1 << c;
  return {
    row,
    classMask,
    stageMask: stageMask(row.stages),
    notStageMask: stageMask(row.notStages),
    enhanced: row.enhanced?.map(compileEnhanced),
    text: row.text,
  };
}

const ROWS: readonly CompiledRow[] = REPLY_PATTERNS.map(compileRow);

// RFC 3463 §2: class.subject.detail; Sisimai::SMTP::Status->find skips IP addresses and version
// numbers the same way (no digit or dot right before, no digit right after).
const ENHANCED_IN_TEXT = /(?<![\w.])([245])\.([0-7])\.(\d{1,3})(?!\.?\d)/;
// A reply code inside a DSN or log text: "said: 550 …", "returned '550 …", "ERROR_CODE :550,".
// Not inside an IPv6 address or a time: a ':' before it must follow a word, one after it a space.
const CODE_IN_TEXT = /(?:^|[\s'"(;#[]|[a-z_] ?:)([245][0-5]\d)(?=[\s,;-]|: |$)/i;
const ENHANCED_INPUT = /^([245])\.(\d{1,3})\.(\d{1,3})$/;

// "try again in 5 minutes", "Greylisted for 300 seconds", "please retry after 60s".
const RETRY_AFTER = /(?:again|retry|resend|come back|wait|later|greylist(?:ed|ing)?|deferred|delayed)[^.;\n]{0,40}?\b(?:in|after|for)\s+(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h)\b/;
// milter-greylist: "Greylisting in action, please come back in 00:05:00".
const RETRY_AFTER_CLOCK = /(?:come back|again|retry)[^.;\n]{0,20}?\b(?:in|after)\s+(\d{1,2}):(\d\d):(\d\d)\b/;

// ---- helpers ------------------------------------------------------------------------------------

function inferStage(lower: string): SmtpStage {
  for (const h of STAGE_HINTS) if (h.text.test(lower)) return h.stage;
  return 'unknown';
}

function enhancedMatches(specs: readonly EnhancedSpec[], cls: number, subject: number, detail: number): boolean {
  if (cls === 0) return false;
  for (const s of specs) {
    if (s.cls !== 0 && s.cls !== cls) continue;
    if (s.subject !== subject) continue;
    if (s.lo === -1 || (detail >= s.lo && detail <= s.hi)) return true;
  }
  return false;
}

function unitMs(unit: string): number {
  const u = unit.charCodeAt(0);
  if (u === 104 /* h */) return 3_600_000;
  if (u === 109 /* m */) return 60_000;
  return 1000;
}

/** The receiver's own "try again in N seconds/minutes/hours", in ms; undefined when it names no time. */
export function retryAfterMs(text: string): number | undefined {
  const lower = text.toLowerCase();
  const clock = RETRY_AFTER_CLOCK.exec(lower);
  if (clock) return (Number(clock[1]) * 3600 + Number(clock[2]) * 60 + Number(clock[3])) * 1000;
  const m = RETRY_AFTER.exec(lower);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 ? n * unitMs(m[2]!) : undefined;
}

/**
 * The blocklist a reply names: "blocked using zen.spamhaus.org" → "zen.spamhaus.org", "listed at
 * bl.spamcop.net" → "bl.spamcop.net", "… in Spamhaus's list" → "Spamhaus", "(S3150)" → "S3150",
 * "[TSS04]" → "TSS04". Undefined when the text names none.
 */
export function blocklistNamed(text: string): string | undefined {
  return blocklistInLower(text.toLowerCase());
}

function blocklistInLower(lower: string): string | undefined {
  for (const p of BLOCKLIST_PATTERNS) {
    const m = p.text.exec(lower);
    if (!m) continue;
    if (p.name !== undefined) return p.name;
    const got = m[1];
    if (got === undefined) continue;
    return (p.prefix ?? '') + (p.upper ? got.toUpperCase() : got);
  }
  return undefined;
}

// ---- classify -----------------------------------------------------------------------------------

export function classify(input: ClassifyInput): Classification {
  // No reply at all: the network failed (refused, timed out, DNS, TLS handshake). Try again later;
  // it says nothing about the recipient.
  if (input.networkError !== undefined && input.code === undefined) {
    return { reason: 'networkerror', hard: false, suppress: false, retry: true, rule: 'network' };
  }
  const text = input.text ?? '';
  let code = input.code;
  let cls = 0;
  let subject = -1;
  let detail = -1;
  let enhanced = input.enhanced;

  const e = enhanced === undefined ? null : ENHANCED_INPUT.exec(enhanced);
  if (e) {
    cls = Number(e[1]);
    subject = Number(e[2]);
    detail = Number(e[3]);
  }
  if (code === undefined && text !== '') {
    const c = CODE_IN_TEXT.exec(text);
    if (c) code = Number(c[1]);
  }
  const codeClass = code === undefined ? 0 : Math.floor(code / 100);
  if (!e && text !== '') {
    // A DSN's Diagnostic-Code or a log text often carries the enhanced code inside.
    const t = ENHANCED_IN_TEXT.exec(text);
    if (t && (codeClass === 0 || Number(t[1]) === codeClass)) {
      cls = Number(t[1]);
      subject = Number(t[2]);
      detail = Number(t[3]);
      enhanced = `${t[1]}.${t[2]}.${t[3]}`;
    }
  }
  // A DSN's Status class is its verdict (4 delayed, 5 failed); else the reply code's. Success is
  // only ever taken from the caller's code or status, never guessed from digits in a text.
  if (cls === 0) cls = codeClass;
  if (cls === 2 && !(input.code !== undefined || input.enhanced !== undefined)) cls = 0;
  if (cls === 2 && (input.code !== undefined || input.enhanced !== undefined)) return { reason: 'delivered', hard: false, suppress: false, retry: false, rule: 'class:2' };

  const lower = text.toLowerCase();
  const stage: SmtpStage = input.stage !== undefined && input.stage !== 'unknown' ? input.stage : inferStage(lower);
  const stageBit = STAGE_BIT[stage];
  const classBit = cls === 0 ? 0 : 1 << cls;

  let row: ReplyPattern | undefined;
  for (const r of ROWS) {
    if (r.classMask !== 0 && (r.classMask & classBit) === 0) continue;
    if (r.stageMask !== 0 && stageBit !== 0 && (r.stageMask & stageBit) === 0) continue;
    if ((r.notStageMask & stageBit) !== 0) continue;
    if (r.enhanced !== undefined && !enhancedMatches(r.enhanced, cls, subject, detail)) continue;
    if (r.text !== undefined && !r.text.test(lower)) continue;
    row = r.row;
    break;
  }

  let reason: BounceReason;
  let rule: string;
  let rateLimited = row?.rateLimited === true;
  if (row) {
    reason = row.reason;
    rule = row.id;
  } else {
    const byCode = subject >= 0 ? (ENHANCED_REASONS[`${cls}.${subject}.${detail}`] ?? ENHANCED_REASONS[`${subject}.${detail}`]) : undefined;
    if (byCode !== undefined) {
      reason = byCode;
      rule = `enhanced:${enhanced}`;
      rateLimited = RATE_LIMIT_ENHANCED.has(`${subject}.${detail}`);
    } else if (subject === 6) {
      reason = 'contenterror';
      rule = `enhanced:${enhanced}`;
    } else if (subject === 7) {
      // Sisimai::Reason::anotherone: any other X.7.x is a security or policy status.
      reason = 'securityerror';
      rule = `enhanced:${enhanced}`;
    } else if ((stageBit & (STAGE_BIT.connect | STAGE_BIT.greeting | STAGE_BIT.ehlo)) !== 0 && cls !== 0) {
      // A refusal at the greeting or EHLO without a reason given is about our host.
      reason = 'blocked';
      rule = `stage:${stage}`;
    } else if (code !== undefined && code >= 500 && code <= 504) {
      // RFC 5321 §4.2.2: 500-504 say the command or its arguments were not understood.
      reason = 'syntaxerror';
      rule = `code:${code}`;
    } else if (code === 521 || code === 556) {
      // RFC 7504: 521 "host does not accept mail", 556 "domain does not accept mail".
      reason = 'notaccept';
      rule = `code:${code}`;
    } else {
      reason = lower.trim() === '' ? 'undefined' : 'onhold';
      rule = 'none';
    }
  }

  // At MAIL FROM the server judges our sender: an address complaint there, or a generic refusal,
  // is about our address (Sisimai::Reason::Rejected for the MAIL command).
  if (stage === 'mail') {
    const aboutAddress = (REASON_IS_RECIPIENT[reason] && reason !== 'mailboxfull') || reason === 'filtered';
    const generic = row === undefined ? cls === 5 : row.weak === true;
    if (aboutAddress || generic) {
      reason = 'rejected';
      rule = `${rule}@mail`;
    }
  }
  // "User unknown" answered after DATA (or with 5.2.0 / 5.2.4 / 5.1.4 outside RCPT) is the
  // recipient's filter refusing us, as Japanese mobile carriers answer (Sisimai::Reason::Filtered);
  // an explicit X.1.1 stays an unknown user.
  if (reason === 'userunknown' && row?.id === 'userunknown') {
    const explicitUnknown = subject === 1 && detail !== 4;
    const filteredStatus = stage !== 'rcpt' && ((subject === 2 && (detail === 0 || detail === 4)) || (subject === 1 && detail === 4));
    if (!explicitUnknown && ((stageBit & AFTER_DATA) !== 0 || filteredStatus)) {
      reason = 'filtered';
      rule = 'userunknown@data';
    }
  }
  // A transient "host not found" is a DNS failure, not a verdict on the domain.
  if (reason === 'hostunknown' && cls === 4) {
    reason = 'networkerror';
    rule = `${rule}@4xx`;
  }

  // Without a class (a bare log or DSN text), only a network failure is taken as transient.
  const temporary = cls === 4 || (cls === 0 && reason === 'networkerror');
  const out: Classification = { reason, hard: false, suppress: false, retry: temporary, rule };
  if (temporary) {
    if (code !== undefined) {
      const grey = matchGreylisting({ code, ...(enhanced !== undefined ? { enhanced } : {}), text });
      // Greylisting is a guess from wording: it does not override a reason a row named, except
      // the generic ones (a postscreen "Service currently unavailable" is a greylisting pass).
      if (grey && (row === undefined || row.weak === true || row.text === undefined || row.id === 'greylisting' || (row.reason === 'systemerror' && grey.id === 'postscreen-after-220'))) {
        out.greylisted = true;
        if (row === undefined) {
          out.reason = 'onhold';
          out.rule = `greylisting:${grey.id}`;
        }
      }
    }
    const wait = retryAfterMs(text);
    if (wait !== undefined) out.retryAfterMs = wait;
  } else {
    // Mailbox full and an expired queue are not final verdicts on the recipient.
    const soft = reason === 'mailboxfull' || reason === 'expired';
    out.hard = !soft;
    if (reason === 'mailboxfull') out.soft = true;
    out.suppress = !soft && (REASON_IS_RECIPIENT[reason] || row?.recipient === true) && (stageBit & HOST_STAGES) === 0;
  }
  if (rateLimited) out.rateLimited = true;
  const list = blocklistInLower(lower);
  if (list !== undefined) out.blocklist = list;
  return out;
}
