/**
 * Amazon SES notifications delivered by SNS over email: a JSON body with notificationType
 * Bounce / Complaint / Delivery (https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html).
 */

export interface SesRecipient {
  recipient: string;
  status: string;
  action: string;
  diagnostic: string;
}

export interface SesNotification {
  type: 'bounce' | 'complaint' | 'delivery';
  recipients: SesRecipient[];
  /** Permanent / Transient / Undetermined (bounces). */
  bounceType: string;
  feedbackType: string;
  userAgent: string;
  reportingMta: string;
  original: { messageId: string; from: string; subject: string };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The JSON document of a notification e-mail: the SES notification itself or SNS's envelope around it. */
function sesDocument(text: string): any {
  let start = text.indexOf('{"notificationType"');
  if (start < 0) {
    start = text.search(/\{\s*"Type"\s*:\s*"Notification"/);
    if (start < 0) return undefined;
  }
  // SNS wraps long lines with "!\n" in some mailers; the JSON itself ends at its last brace.
  let json = text.slice(start);
  json = json.slice(0, json.lastIndexOf('}') + 1).replace(/!\r?\n /g, '').replace(/\r?\n/g, '');
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/** The notification in `text`, or undefined when it holds none. */
export function parseSesNotification(text: string): SesNotification | undefined {
  let doc = sesDocument(text);
  // An SNS subscription delivers the SES notification as the string "Message" of its own envelope
  // ({"Type": "Notification", "MessageId", "TopicArn", "Message": "{\"notificationType\": …}"}):
  // https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
  if (doc?.Type === 'Notification' && typeof doc.Message === 'string') {
    try {
      doc = JSON.parse(doc.Message);
    } catch {
      return undefined;
    }
  }
  if (!doc) return undefined;
  const t = str(doc?.notificationType).toLowerCase();
  if (t !== 'bounce' && t !== 'complaint' && t !== 'delivery') return undefined;
  const mail = doc.mail ?? {};
  const common = mail.commonHeaders ?? {};
  const original = { messageId: str(common.messageId) || (mail.messageId ? `<${str(mail.messageId)}>` : ''), from: Array.isArray(common.from) ? common.from.join(', ') : '', subject: str(common.subject) };
  const n: SesNotification = { type: t, recipients: [], bounceType: '', feedbackType: '', userAgent: '', reportingMta: '', original };
  if (t === 'bounce') {
    const b = doc.bounce ?? {};
    n.bounceType = str(b.bounceType);
    n.reportingMta = str(b.reportingMTA).replace(/^\w+;\s*/, '');
    for (const r of Array.isArray(b.bouncedRecipients) ? b.bouncedRecipients : []) {
      n.recipients.push({ recipient: str(r.emailAddress), status: str(r.status), action: str(r.action), diagnostic: str(r.diagnosticCode).replace(/^smtp;\s*/i, '') });
    }
  } else if (t === 'complaint') {
    const c = doc.complaint ?? {};
    n.feedbackType = str(c.complaintFeedbackType);
    n.userAgent = str(c.userAgent);
    for (const r of Array.isArray(c.complainedRecipients) ? c.complainedRecipients : []) n.recipients.push({ recipient: str(r.emailAddress), status: '', action: '', diagnostic: '' });
  } else {
    const d = doc.delivery ?? {};
    const resp = str(d.smtpResponse);
    for (const r of Array.isArray(d.recipients) ? d.recipients : []) n.recipients.push({ recipient: str(r), status: /\b2\.\d\.\d+\b/.exec(resp)?.[0] ?? '', action: 'delivered', diagnostic: resp });
  }
  return n;
}
