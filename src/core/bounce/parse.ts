/**
 * One message → what it is (bounce, feedback-loop report, auto-reply, not a bounce, unreadable)
 * and, per recipient, the classification `send` uses (delivery/classify.ts). The decoders only
 * extract fields; the reason always comes from the shared classifier, so a bounce read from a
 * mailbox and a reply seen while sending end up the same.
 *
 * Never throws: a message that cannot be read is `kind: "unreadable"` with the reason.
 */
import { classify, REASON_IS_RECIPIENT } from '../delivery/classify.js';
import { STAGE_HINTS } from '../delivery/reply-patterns.js';
import type { BounceReason, Classification, SmtpStage } from '../delivery/classification.js';
import { notAMessageReason } from '../score/message-check.js';
import { parseSesNotification } from './amazon-ses.js';
import { parseFeedbackReport } from './arf.js';
import { autoReplyMarker } from './auto-reply.js';
import { decodeHeader, embeddedHeaders, headerValue, readBounceInput, type BounceInput, type RawHeader, type TextPart } from './mime.js';
import { addressValue, parseDeliveryStatus } from './rfc3464.js';
import { recipientsFromText, replyCodeOf, splitOriginal, squeeze, stageOf, statusOf, type TextRecipient } from './text-bounce.js';
import type { BounceMessage, BounceResult, OriginalMessage } from './types.js';
import { BOUNCE_FROM, BOUNCE_SUBJECT, GMAIL_STATES, POWERMTA_CATEGORIES, VENDOR_FORMATS, type VendorFormat } from './vendors.js';

/** Sisimai's `hard`: permanent and about the recipient's address (Sisimai::Fact softbounce = 0). */
const HARD_REASONS: ReadonlySet<BounceReason> = new Set(['userunknown', 'hostunknown', 'hasmoved']);

export function isHard(reason: BounceReason, status: string, replyCode: string): boolean {
  if (HARD_REASONS.has(reason)) return true;
  // notaccept is hard only on a permanent reply (a null MX, RFC 7505), soft on 4xx. A bounce that
  // quotes no code at all reports a final failure: Sisimai gives it its own permanent X.0.9NN status.
  if (reason === 'notaccept') return status.startsWith('5') || (status === '' && (replyCode === '' || replyCode.startsWith('5')));
  return false;
}

function addr(v: string | undefined): string {
  if (!v) return '';
  return addressValue(decodeHeader(v));
}

function originalOf(headers: readonly RawHeader[]): OriginalMessage | undefined {
  if (headers.length === 0) return undefined;
  const messageId = (headerValue(headers, 'message-id') ?? '').trim();
  const from = decodeHeader(headerValue(headers, 'from'));
  const subject = decodeHeader(headerValue(headers, 'subject'));
  if (!messageId && !from && !subject) return undefined;
  return { messageId, from, subject };
}

function vendorOf(headers: readonly RawHeader[], from: string, subject: string, body: string): VendorFormat | undefined {
  const head = body.slice(0, 4000);
  for (const v of VENDOR_FORMATS) {
    const fromOk = v.from === undefined || v.from.test(from);
    let headerOk = true;
    if (v.header) {
      const value = headerValue(headers, v.header[0]);
      headerOk = value !== undefined && v.header[1].test(value);
    }
    // the body (the costly test) only when the cheaper rules leave it deciding
    const bodyOk = v.body === undefined || (fromOk && headerOk && v.body.test(head));
    if (!fromOk || !headerOk || !bodyOk) continue;
    // every rule a format has must hold, except that a format with a body rule and no header rule may ignore its subject rule
    if ((v.body !== undefined && v.header === undefined) || v.subject === undefined || v.subject.test(subject)) return v;
  }
  return undefined;
}

/** The reason a format's own message means (vendors.ts `reasons`), from the Subject or the recipient's error text. */
function vendorReason(v: VendorFormat | undefined, subject: string, diagnostic: string): BounceReason | undefined {
  if (!v?.reasons) return undefined;
  for (const [reason, re] of v.reasons) if (re.test(diagnostic) || re.test(subject)) return reason;
  return undefined;
}

/**
 * The recipients a format names where it alone puts them (vendors.ts `recipient`), each with the
 * format's error text (`diagnostic`), else the paragraph that names it.
 */
function vendorRecipients(v: VendorFormat, errorText: string): TextRecipient[] {
  if (!v.recipient) return [];
  const text = errorText.replace(/\r\n/g, '\n');
  const shared = v.diagnostic?.exec(text)?.[1];
  const out: TextRecipient[] = [];
  const re = new RegExp(v.recipient.source, v.recipient.flags.includes('g') ? v.recipient.flags : `${v.recipient.flags}g`);
  for (const m of text.matchAll(re)) {
    const recipient = m[1]!;
    if (out.some((o) => o.recipient.toLowerCase() === recipient.toLowerCase())) continue;
    out.push({ recipient, diagnostic: shared === undefined ? paragraphAt(text, m.index) : squeeze(shared, 2000) });
  }
  return out;
}

/** Exim's X-Failed-Recipients header: the addresses that failed. */
function failedRecipients(h: readonly RawHeader[]): string[] {
  return (headerValue(h, 'x-failed-recipients') ?? '').split(',').map((a) => addressValue(a)).filter((a) => a.includes('@'));
}

/** The paragraph of `t` (LF line ends) around position `at`, whitespace folded. */
function paragraphAt(t: string, at: number): string {
  const start = t.lastIndexOf('\n\n', at);
  const end = t.indexOf('\n\n', at);
  return squeeze(t.slice(start < 0 ? 0 : start, end < 0 ? undefined : end), 2000);
}

/** The paragraph of `text` that contains `needle`, whitespace folded; "" when none does. */
function paragraphNaming(text: string, needle: string): string {
  const t = text.replace(/\r\n/g, '\n');
  const at = t.indexOf(needle);
  return at < 0 ? '' : paragraphAt(t, at);
}

/** `f`'s value, computed on the first call only. */
function once<T>(f: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value;
  };
}

interface Fields {
  recipient: string;
  status: string;
  replyCode: string;
  action: string;
  diagnostic: string;
  remoteMta: string;
  lastAttemptDate?: string;
  /** The stage named elsewhere in the bounce (the human-readable part), when the diagnostic names none. */
  stage?: SmtpStage | (() => SmtpStage | undefined) | undefined;
  /** The format's fixed reason (vendors.ts), when it has one. */
  reason?: BounceReason | undefined;
  /** Delivery went to a local program (a pipe), which failed. */
  program?: boolean;
}

/** Exim's "pipe to |/usr/bin/procmail …" and Postfix's "Command died with status": a local program failed. */
const LOCAL_PROGRAM = /^\s*-*\s*pipe to \||\bcommand died with status\b/im;

function localProgram(text: string): boolean {
  // the anchored pattern is slow over a long text; most texts have neither phrase at all
  return /pipe to \||command died/i.test(text) && LOCAL_PROGRAM.test(text);
}

/**
 * Classifier rows whose wording is an unknown user whatever command it answered (reply-patterns.ts):
 * the refused address quoted before the verdict, provider notices that only ever mean that, and
 * the status-code rows.
 */
const UNKNOWN_USER_ANYWHERE: ReadonlySet<string> = new Set(['recipient-named-unknown', 'gmail-address-not-found', 'exchange-recipient-not-recognized', 'notes-not-listed', 'status-userunknown', 'microsoft-recipient-not-found', 'microsoft-mailbox-unavailable', 'microsoft-dbeb']);

/** The classifier's stage hints: whether the text names the command it answered. */
function namesStage(text: string): boolean {
  const lower = text.toLowerCase();
  return STAGE_HINTS.some((h) => h.text.test(lower));
}

/** X.1.x other than X.1.2 (host) and X.1.4 (ambiguous): the status itself says the mailbox is unknown (RFC 3463 §3.2). */
function explicitUnknownStatus(status: string): boolean {
  const m = /^[45]\.1\.(\d{1,3})$/.exec(status);
  return m !== null && m[1] !== '2' && m[1] !== '4';
}

/** The classifier's verdict on one recipient's fields, with the adjustments a report's structure implies. */
function result(f: Fields, original: OriginalMessage | undefined): BounceResult {
  let status = f.status;
  const replyCode = f.replyCode || replyCodeOf(f.diagnostic);
  const textStatus = statusOf(f.diagnostic);
  // A DSN's generic X.0.0 says less than the reply it quotes.
  // The reply the DSN quotes is more specific than the Status the MTA wrote for it (Sendmail writes
  // 4.4.7 or 5.1.1 over a "4.7.1"/"5.7.1" reply; a generic X.0.0 says nothing): the quoted one wins
  // when it is of the same class, as in Sisimai::Lhost::Sendmail.
  if (textStatus && textStatus[0] !== '2' && (!status || /^[45]\.0\.0$/.test(status) || textStatus[0] === status[0])) status = textStatus;
  if (!status && /^[45]/.test(replyCode) === false && textStatus) status = textStatus;
  const stage = stageOf(f.diagnostic) ?? (typeof f.stage === 'function' ? f.stage() : f.stage);
  let c: Classification;
  if (f.action === 'delivered' || f.action === 'relayed' || f.action === 'expanded') {
    c = { reason: 'delivered', hard: false, suppress: false, retry: false };
  } else {
    // (one object shape for every call: absent fields are undefined, not missing)
    c = classify({ text: f.diagnostic, code: replyCode ? Number(replyCode) : undefined, enhanced: status || undefined, stage: stage || undefined });
    // A user-unknown text is an unknown user when the status says so (X.1.1) or it answered RCPT; a
    // report that names no command and gives another status (5.0.0, 5.2.1, 5.7.1, none) is the
    // recipient's filter refusing the message, as Japanese mobile carriers answer after DATA.
    // Sisimai::Reason::UserUnknown->true needs status userunknown or command RCPT, and
    // Sisimai::Reason::Filtered->true takes a user-unknown text whose command is not one sent before
    // DATA (p5-sisimai lib/Sisimai/Reason/{UserUnknown,Filtered}.pm). The live classifier keeps
    // "userunknown" there: a reply in a session always has its command.
    if (c.reason === 'userunknown' && c.rule !== undefined && !UNKNOWN_USER_ANYWHERE.has(c.rule) && !c.rule.startsWith('enhanced:') && stage === undefined && !explicitUnknownStatus(status) && !namesStage(f.diagnostic)) {
      c = { ...c, reason: 'filtered', suppress: false, rule: 'userunknown@unknown-command' };
    }
    // The mailer a message was handed to locally (Diagnostic-Code: X-Unix, X-Actual-Recipient: |program)
    // failed; without a more specific reply that is `mailererror` (Sisimai::Reason->anotherone reads
    // the diagnostic type X-UNIX / X-POSTFIX the same way).
    if (f.program && (c.rule === 'none' || c.reason === 'undefined' || c.reason === 'onhold')) c = { ...c, reason: 'mailererror', suppress: false, rule: 'local-program' };
    // A DSN that gave up after retrying (Action: delayed, or failed with a 4.x.x status) has expired.
    if (f.action === 'delayed' && (c.reason === 'undefined' || c.reason === 'onhold')) c = { ...c, reason: 'expired' };
    // Gmail's "(state N)": the reason of the state the reply was given in, unless the reply quotes a
    // status without a ".0" part (5.1.1, 5.2.2), which then decides.
    const gmailState = / \(state (\d+)\)\.?\s*$/.exec(f.diagnostic)?.[1];
    if (!f.reason && gmailState && GMAIL_STATES[gmailState] && /Google tried to deliver/.test(f.diagnostic) && (statusOf(f.diagnostic) === '' || statusOf(f.diagnostic).includes('.0'))) {
      f = { ...f, reason: GMAIL_STATES[gmailState] };
    }
    // A format's fixed reason, or the MTA's own category for the recipient: suppressed when it is a
    // permanent verdict about the recipient, as the classifier would have said.
    if (f.reason && f.reason !== c.reason) c = { ...c, reason: f.reason, suppress: REASON_IS_RECIPIENT[f.reason] && isHard(f.reason, status, replyCode) };
  }
  const r: BounceResult = {
    recipient: f.recipient,
    reason: c.reason,
    hard: isHard(c.reason, status, replyCode),
    status,
    replyCode,
    action: f.action,
    diagnostic: f.diagnostic,
    remoteMta: f.remoteMta,
    suppress: c.suppress,
    ...(c.soft ? { soft: true } : {}),
  };
  if (f.lastAttemptDate) r.lastAttemptDate = f.lastAttemptDate;
  if (original) r.original = original;
  return r;
}

function firstText(parts: readonly TextPart[]): string {
  return parts.find((p) => p.contentType === 'text/plain')?.text ?? parts.find((p) => p.contentType.startsWith('text/') && p.contentType !== 'text/rfc822-headers')?.text ?? '';
}

function originalPart(parts: readonly TextPart[]): TextPart | undefined {
  return parts.find((p) => p.contentType === 'message/rfc822' || p.contentType === 'text/rfc822-headers' || p.contentType === 'message/global' || p.contentType === 'message/global-headers');
}

function feedback(file: string, messageId: string, input: BounceInput, fromAddr: string): BounceMessage {
  const report = input.parts.find((p) => p.contentType === 'message/feedback-report');
  const fr = parseFeedbackReport(report?.text ?? '');
  const origPart = originalPart(input.parts);
  const origHeaders = origPart ? embeddedHeaders(origPart.text) : [];
  const original = originalOf(origHeaders);
  let recipients = fr.originalRcptTo;
  if (recipients.length === 0 && fr.removalRecipient) recipients = [fr.removalRecipient];
  if (recipients.length === 0) {
    const to = addr(headerValue(origHeaders, 'to'));
    if (to) recipients = [to];
  }
  const text = squeeze(firstText(input.parts), 500);
  const feedbackId = headerValue(origHeaders, 'feedback-id')?.trim();
  const results = recipients.map((recipient): BounceResult => {
    const r: BounceResult = {
      recipient,
      reason: 'feedback',
      hard: false,
      status: '',
      replyCode: '',
      action: '',
      diagnostic: text,
      remoteMta: '',
      feedbackType: fr.feedbackType || 'other',
      suppress: false,
    };
    if (fr.userAgent) r.userAgent = fr.userAgent;
    if (fr.sourceIp) r.sourceIp = fr.sourceIp;
    if (fr.originalMailFrom) r.originalMailFrom = fr.originalMailFrom;
    if (fr.arrivalDate) r.arrivalDate = fr.arrivalDate;
    if (feedbackId) r.feedbackId = feedbackId;
    if (original) r.original = original;
    return r;
  });
  void fromAddr;
  return { file, messageId, kind: 'feedback', format: 'ARF', results };
}

/**
 * Sendmail writes only the first line of a multi-line reply into Diagnostic-Code ("552-5.7.0 This
 * message was blocked because its content presents a potential"); its session transcript in the
 * human-readable part has every line ("<<< 552-5.7.0 …" up to "<<< 552 5.7.0 …", RFC 5321 §4.2.1).
 * Sisimai reads the reply from the transcript as well (Sisimai::Lhost::Sendmail).
 */
export function wholeReply(diagnostic: string, errorText: string): string {
  const head = diagnostic.trim();
  if (!/^[245]\d\d-/.test(head)) return diagnostic;
  const lines = errorText.split(/\r?\n/).map((l) => l.replace(/^\s*<<<\s?/, '').trim());
  const at = lines.indexOf(head);
  if (at < 0) return diagnostic;
  const code = head.slice(0, 3);
  const parts = [head];
  for (let k = at + 1; k < lines.length; k++) {
    const l = lines[k]!;
    if (!l.startsWith(code) || (l[3] !== '-' && l[3] !== ' ')) break;
    parts.push(l);
    if (l[3] === ' ') break;
  }
  return parts.join(' ');
}

/** A source as read (sources.ts): parsed, or unreadable with the reason it could not be read. */
export function messageOf(src: { file: string; raw: Uint8Array; error?: string }): BounceMessage {
  return src.error ? { file: src.file, messageId: '', kind: 'unreadable', format: '', results: [], error: src.error } : parseBounce(src.raw, src.file);
}

export function parseBounce(raw: Uint8Array, file: string): BounceMessage {
  const why = notAMessageReason(raw);
  if (why) return { file, messageId: '', kind: 'unreadable', format: '', results: [], error: `not an email message: ${why}` };
  try {
    return parseReadable(raw, file);
  } catch (e) {
    return { file, messageId: '', kind: 'unreadable', format: '', results: [], error: `could not be read: ${(e as Error).message}` };
  }
}

function parseReadable(raw: Uint8Array, file: string): BounceMessage {
  const input = readBounceInput(raw);
  const h = input.headers;
  const messageId = (headerValue(h, 'message-id') ?? '').trim();
  const fromRaw = decodeHeader(headerValue(h, 'from'));
  const subject = decodeHeader(headerValue(h, 'subject'));

  // 1. Feedback-loop report (RFC 5965).
  if (input.reportType === 'feedback-report' || input.parts.some((p) => p.contentType === 'message/feedback-report')) {
    return feedback(file, messageId, input, fromRaw);
  }

  const origPart = originalPart(input.parts);

  // 2. DSN (RFC 3464 / RFC 6533).
  // Amazon SES notifications (JSON over SNS).
  const ses = /amazonaws\.com|amazonses\.com/i.test(fromRaw) || /^AWS Notification/i.test(subject) ? parseSesNotification(firstText(input.parts)) : undefined;
  if (ses && ses.recipients.length > 0) {
    const original = ses.original.messageId || ses.original.from || ses.original.subject ? ses.original : undefined;
    if (ses.type === 'complaint') {
      const results = ses.recipients.map((r): BounceResult => ({ recipient: r.recipient, reason: 'feedback', hard: false, status: '', replyCode: '', action: '', diagnostic: '', remoteMta: '', feedbackType: ses.feedbackType || 'abuse', suppress: false, ...(ses.userAgent ? { userAgent: ses.userAgent } : {}), ...(original ? { original } : {}) }));
      return { file, messageId, kind: 'feedback', format: 'AmazonSES', results };
    }
    const results = ses.recipients.map((r) => result({ recipient: r.recipient, status: r.status, replyCode: '', action: r.action, diagnostic: r.diagnostic, remoteMta: ses.reportingMta }, original));
    return { file, messageId, kind: 'bounce', format: 'AmazonSES', results };
  }

  // Hotmail/Outlook.com's complaint without a feedback-report part: the reported message with the
  // recipient in X-HmXmrOriginalRecipient (Sisimai::ARF reads the same header).
  const hm = input.parts.find((p) => p.contentType === 'message/rfc822' && /xmroriginalrecipient/i.test(p.text) && /^X-HmXmrOriginalRecipient:/im.test(p.text));
  if (hm) {
    const origHeaders = embeddedHeaders(hm.text);
    const recipient = addr(headerValue(origHeaders, 'x-hmxmroriginalrecipient'));
    const original = originalOf(origHeaders);
    const results: BounceResult[] = recipient ? [{ recipient, reason: 'feedback', hard: false, status: '', replyCode: '', action: '', diagnostic: subject, remoteMta: '', feedbackType: 'abuse', suppress: false, ...(original ? { original } : {}) }] : [];
    return { file, messageId, kind: 'feedback', format: 'ARF', results };
  }

  let dsnPart = input.parts.find((p) => p.contentType === 'message/delivery-status' || p.contentType === 'message/global-delivery-status');
  let bodyText = firstText(input.parts);
  if (!dsnPart) {
    // DSN fields in a body whose MIME structure is broken or undeclared (no Content-Type, no delimiters).
    const at = bodyText.search(/^(?:Reporting-MTA|Final-Recipient|Original-Recipient)[ \t]*:/im);
    if (at >= 0 && /^Action[ \t]*:/im.test(bodyText.slice(at)) && /^Final-Recipient[ \t]*:/im.test(bodyText.slice(at))) {
      const rest = bodyText.slice(at);
      const end = rest.search(/^--\S/m);
      dsnPart = { contentType: 'message/delivery-status', params: {}, text: end >= 0 ? rest.slice(0, end) : rest };
      bodyText = bodyText.slice(0, at);
    }
  }
  if (dsnPart) {
    const dsn = parseDeliveryStatus(dsnPart.text);
    const [errorText, copied] = splitOriginal(bodyText);
    const original = originalOf(origPart ? embeddedHeaders(origPart.text) : embeddedHeaders(copied));
    const textRecipients = once(() => recipientsFromText(errorText));
    if (dsn.recipients.length > 0) {
      const v = vendorOf(h, fromRaw, subject, bodyText);
      const format = v?.name ?? (dsnPart.contentType === 'message/global-delivery-status' ? 'RFC6533' : 'RFC3464');
      const textStage = once(() => stageOf(errorText));
      // Exim names a local delivery by where it went ("Final-Recipient: rfc822;/mail/spool/…", "save to
      // /path … generated by addr"); the address is in X-Failed-Recipients, one per DSN recipient.
      const failedHeader = failedRecipients(h);
      const programInText = localProgram(errorText);
      const results = dsn.recipients.map((d, i) => {
        let diagnostic = wholeReply(d.diagnostic, errorText);
        if (!diagnostic) {
          const fromText = textRecipients();
          const t = fromText.find((x) => x.recipient.toLowerCase() === d.finalRecipient.toLowerCase() || x.recipient.toLowerCase() === d.originalRecipient.toLowerCase());
          diagnostic = t?.diagnostic ?? (fromText.length === 1 && dsn.recipients.length === 1 ? fromText[0]!.diagnostic : '');
        }
        // Else the paragraph of the human-readable part that names the recipient.
        if (!diagnostic && d.finalRecipient) diagnostic = paragraphNaming(errorText, d.finalRecipient);
        if (!d.finalRecipient.includes('@') && failedHeader.length === dsn.recipients.length) d = { ...d, finalRecipient: failedHeader[i]! };
        const final = d.finalRecipient.toLowerCase();
        const stage = () => {
          const t = textRecipients().find((x) => x.recipient.toLowerCase() === final);
          return (t ? stageOf(t.diagnostic) : undefined) ?? textStage();
        };
        const program = d.diagnosticType === 'x-unix' || d.diagnosticType === 'x-postfix' || d.actualRecipient.startsWith('|') || programInText;
        const reason = v?.reason ?? POWERMTA_CATEGORIES[d.bounceCategory] ?? vendorReason(v, subject, diagnostic);
        return result({ recipient: d.finalRecipient, status: d.status, replyCode: '', action: d.action, diagnostic, remoteMta: d.remoteMta, lastAttemptDate: d.lastAttemptDate, stage, reason, program }, original);
      });
      return { file, messageId, kind: 'bounce', format, results };
    }
  }

  // 3. Non-standard bounce text.
  const failed = failedRecipients(h);
  const vendor = vendorOf(h, fromRaw, subject, bodyText);
  // A null reverse-path (Return-Path: <>) is how DSNs are sent (RFC 5321 §4.5.5); auto-responders
  // use it too (RFC 3834 §3.3), so it counts only for a message without an auto-reply marker.
  const nullSender = /^\s*<\s*>\s*$/.test(headerValue(h, 'return-path') ?? '') && !autoReplyMarker(h, subject);
  const looksLikeBounce = BOUNCE_FROM.test(fromRaw) || BOUNCE_SUBJECT.test(subject) || failed.length > 0 || dsnPart !== undefined || input.reportType === 'delivery-status' || nullSender || vendor?.identifies === true;
  if (looksLikeBounce) {
    const [errorText, copied] = splitOriginal(bodyText);
    const original = originalOf(origPart ? embeddedHeaders(origPart.text) : embeddedHeaders(copied));
    let found = recipientsFromText(errorText);
    const named = vendor ? vendorRecipients(vendor, errorText) : [];
    if (named.length > 0) found = named;
    // Exim's X-Failed-Recipients is the address as routed; its text names the one the sender wrote
    // (kijitora@example.or.jp, routed to kijitora@example.jp): the text wins when it names as many.
    const textNamesOthers = found.length === failed.length && !found.some((f) => failed.some((a) => a.toLowerCase() === f.recipient.toLowerCase()));
    if (failed.length > 0 && !textNamesOthers) {
      const byAddr = new Map(found.map((f) => [f.recipient.toLowerCase(), f]));
      const generic = squeeze(errorText, 2000);
      found = failed.map((a) => byAddr.get(a.toLowerCase()) ?? { recipient: a, diagnostic: generic });
    }
    if (found.length === 0 && original) {
      // No address in the error text (V5 sendmail, some gateways): the returned message's To.
      const origHeaders = origPart ? embeddedHeaders(origPart.text) : embeddedHeaders(copied);
      const to = addr(headerValue(origHeaders, 'to'));
      if (to.includes('@')) found = [{ recipient: to, diagnostic: squeeze(errorText, 2000) }];
    }
    if (found.length > 0) {
      const textStage = once(() => stageOf(errorText));
      const results = found.map((f) => result({ recipient: f.recipient, status: '', replyCode: '', action: 'failed', diagnostic: f.diagnostic, remoteMta: '', stage: textStage, reason: vendor?.reason ?? vendorReason(vendor, subject, f.diagnostic) }, original));
      return { file, messageId, kind: 'bounce', format: vendor?.name ?? 'unknown', results };
    }
  }

  // 4. Auto-reply (RFC 3834 and the markers in auto-reply.ts).
  const marker = autoReplyMarker(h, subject);
  if (marker) {
    const recipient = addr(headerValue(h, 'from'));
    const diagnostic = squeeze(bodyText, 500);
    const results: BounceResult[] = recipient
      ? [{ recipient, reason: 'vacation', hard: false, status: '', replyCode: '', action: '', diagnostic, remoteMta: '', suppress: false }]
      : [];
    return { file, messageId, kind: 'auto-reply', format: 'RFC3834', results };
  }
  if (looksLikeBounce && (failed.length > 0 || dsnPart)) return { file, messageId, kind: 'bounce', format: vendor?.name ?? 'unknown', results: [] };
  return { file, messageId, kind: 'not-bounce', format: '', results: [] };
}
