/**
 * RFC 3464 delivery status notifications, and RFC 6533 message/global-delivery-status (UTF-8
 * addresses and text; the same fields). The report is a per-message block then one block per
 * recipient (§2.2, §2.3), each a set of header-like fields separated by blank lines.
 */
import { parseHeaderBlock, type RawHeader } from '../score/mime-structure.js';

export interface DsnRecipient {
  finalRecipient: string;
  originalRecipient: string;
  action: string;
  status: string;
  diagnosticType: string;
  diagnostic: string;
  remoteMta: string;
  lastAttemptDate: string;
  /** Sendmail's X-Actual-Recipient: where the message went in the end (an alias, "|program"). */
  actualRecipient: string;
  /** PowerMTA's X-PowerMTA-BounceCategory ("bad-mailbox", "quota-issues" …), lower case. */
  bounceCategory: string;
}

export interface DsnReport {
  reportingMta: string;
  arrivalDate: string;
  recipients: DsnRecipient[];
}

/** "rfc822; user@example.com" → "user@example.com" (RFC 3464 §2.3.1 address-type; RFC 6533 utf-8 type with xtext). */
export function addressValue(value: string): string {
  let v = value.trim();
  const semi = v.indexOf(';');
  if (semi >= 0 && /^[\w-]+$/.test(v.slice(0, semi).trim())) v = v.slice(semi + 1).trim();
  // RFC 6533 §3: "utf-8" addresses may use \x{HEX} escapes; RFC 3461 xtext uses +HH.
  v = v.replace(/\\x\{([0-9A-Fa-f]{1,6})\}/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)));
  v = v.replace(/^<|>$/g, '').trim();
  // RFC 5321 §4.1.2: a local part may be a quoted string ("neko....nyaan...."@example.org); keep it whole.
  const quoted = /"(?:[^"\\\r\n]|\\.)+"@[^\s<>"';,()]+/.exec(v);
  if (quoted) return quoted[0].replace(/\.$/, '');
  v = v.replace(/^"|"$/g, '').trim();
  const m = /[^\s<>"';,()]+@[^\s<>"';,()]+/.exec(v);
  return (m ? m[0] : v).replace(/\.$/, '');
}

function field(headers: readonly RawHeader[], name: string): string {
  for (const h of headers) if (h.name === name) return h.value.replace(/\s+/g, ' ').trim();
  return '';
}

function afterType(value: string): string {
  const semi = value.indexOf(';');
  return (semi >= 0 && /^[\w-]+$/.test(value.slice(0, semi).trim()) ? value.slice(semi + 1) : value).trim();
}

/**
 * RFC 3464 §2.1 puts a blank line before each recipient's fields; some MTAs (AOL) write the
 * per-message fields and every recipient's in one block. A second Final-Recipient (with the
 * Original-Recipient just before it) starts the next recipient.
 */
function perRecipient(block: RawHeader[]): RawHeader[][] {
  if (block.filter((h) => h.name === 'final-recipient').length < 2) return [block];
  const out: RawHeader[][] = [];
  let current: RawHeader[] = [];
  let seenFinal = false;
  for (let i = 0; i < block.length; i++) {
    const h = block[i]!;
    const startsNext = seenFinal && (h.name === 'final-recipient' || (h.name === 'original-recipient' && block[i + 1]?.name === 'final-recipient'));
    if (startsNext) {
      out.push(current);
      current = [];
      seenFinal = false;
    }
    if (h.name === 'final-recipient') seenFinal = true;
    current.push(h);
  }
  out.push(current);
  return out;
}

export function parseDeliveryStatus(text: string): DsnReport {
  const blocks: RawHeader[][] = [];
  let pos = 0;
  const t = text.replace(/\r\n/g, '\n');
  while (pos < t.length) {
    while (pos < t.length && (t[pos] === '\n' || t[pos] === ' ' || t[pos] === '\t')) pos++;
    if (pos >= t.length) break;
    const { headers, bodyStart } = parseHeaderBlock(t, pos);
    if (headers.length > 0) blocks.push(...perRecipient(headers));
    if (bodyStart <= pos) break;
    pos = bodyStart;
  }
  const report: DsnReport = { reportingMta: '', arrivalDate: '', recipients: [] };
  for (const b of blocks) {
    const final = field(b, 'final-recipient') || field(b, 'x-actual-recipient');
    const original = field(b, 'original-recipient');
    if (!final && !original) {
      report.reportingMta ||= afterType(field(b, 'reporting-mta'));
      report.arrivalDate ||= field(b, 'arrival-date');
      continue;
    }
    const diag = field(b, 'diagnostic-code');
    const semi = diag.indexOf(';');
    const typed = semi >= 0 && /^[\w-]+$/.test(diag.slice(0, semi).trim());
    report.recipients.push({
      finalRecipient: addressValue(final || original),
      originalRecipient: original ? addressValue(original) : '',
      action: field(b, 'action').toLowerCase().replace(/\s.*$/, ''),
      status: (/\d\.\d{1,3}\.\d{1,3}/.exec(field(b, 'status'))?.[0]) ?? '',
      diagnosticType: typed ? diag.slice(0, semi).trim().toLowerCase() : '',
      diagnostic: typed ? diag.slice(semi + 1).trim() : diag,
      remoteMta: afterType(field(b, 'remote-mta')),
      lastAttemptDate: field(b, 'last-attempt-date'),
      actualRecipient: afterType(field(b, 'x-actual-recipient')),
      bounceCategory: field(b, 'x-powermta-bouncecategory').trim().toLowerCase(),
    });
  }
  return report;
}
