/**
 * Non-standard bounce formats as data: how to recognise the MTA or provider that wrote a bounce
 * (its From, Subject, a header or a line of its text, as Sisimai::Lhost::* modules do), and the
 * line that separates its error text from the returned copy of the message. The extraction itself
 * is shared (text-bounce.ts): every format puts the recipient on a line of its own or names it in
 * a sentence, followed by the remote server's reply.
 *
 * Sources: the sample messages in test/fixtures/bounces/eml/ (Sisimai's set-of-emails) and the
 * Sisimai::Lhost modules that read them (https://github.com/sisimai/p5-sisimai, lib/Sisimai/Lhost/).
 */
import type { BounceReason } from '../delivery/classification.js';

export interface VendorFormat {
  /** The decoder name reported as `format` (Sisimai's module name where there is one). */
  readonly name: string;
  readonly from?: RegExp;
  readonly subject?: RegExp;
  /** A header that only this MTA writes: [lower-case name, value pattern]. */
  readonly header?: readonly [string, RegExp];
  /** A line of the bounce text. */
  readonly body?: RegExp;
  /**
   * The reason every notice of this format means, whatever its wording (Google Groups writes a
   * letter in the poster's language: the group refused the sender, Sisimai::Lhost::GoogleGroups).
   */
  readonly reason?: BounceReason;
  /**
   * The format's own rules are enough to call the message a bounce, whatever its From and Subject
   * (a mailing-list manager's notice comes from the list's admin address with a subject of its own).
   */
  readonly identifies?: true;
  /** Where the format names the recipient: capture group 1 of this pattern on the error text. */
  readonly recipient?: RegExp;
  /** Where the format writes the error, once for every recipient: capture group 1 on the error text. */
  readonly diagnostic?: RegExp;
  /**
   * The format's fixed error messages and what each means (its MTA writes them in its own words,
   * not as SMTP replies): matched on the Subject and on the recipient's error text.
   */
  readonly reasons?: readonly (readonly [BounceReason, RegExp])[];
}

/** An e-mail address as bounces write it (no quoted local parts). */
export const ADDR = String.raw`[^\s<>"'()\[\],;:]+@[A-Za-z0-9._-]+\.[A-Za-z0-9-]+`;

/** First match wins: specific providers before the MTAs they run on. */
export const VENDOR_FORMATS: readonly VendorFormat[] = [
  { name: 'GoogleGroups', body: /Google Groups/, subject: /^Address not found$|Delivery Status Notification/, reason: 'rejected' },
  { name: 'AmazonSES', header: ['x-ses-outgoing', /./], from: /amazonses\.com/i },
  { name: 'AmazonSES', body: /Amazon SES|amazonses\.com/ },
  // Amazon SES receiving: a receipt rule's Bounce action answers with one of the console's message
  // templates (Rule sets / Actions / Bounce: "Mailbox does not exist", "Mailbox full", "Message too
  // large", "Message content rejected"), whatever the mailbox: the domain owner's rule refused it, so
  // "Mailbox does not exist" is the rule's filter, not a lookup (Sisimai::Lhost::ReceivingSES reads
  // the templates the same way).
  { name: 'ReceivingSES', header: ['x-ses-outgoing', /./], reasons: [['filtered', /Mailbox does not exist/], ['mesgtoobig', /Message too large/], ['mailboxfull', /Mailbox full/], ['contenterror', /Message content rejected/]] },
  { name: 'AmazonWorkMail', header: ['x-mailer', /Amazon WorkMail/i] },
  { name: 'Gmail', from: /mailer-daemon@(?:googlemail|gmail)\.com|Mail Delivery Subsystem/i, body: /Google tried to deliver your message|Delivery to the following recipient/ },
  { name: 'GSuite', body: /Google tried to deliver|Your message wasn't delivered|Message not delivered/ },
  { name: 'Yahoo', from: /yahoo/i, body: /Sorry, we were unable to deliver your message to the following address/ },
  { name: 'Aol', from: /aol\.com/i },
  { name: 'Office365', header: ['x-ms-exchange-crosstenant-originalarrivaltime', /./] },
  { name: 'Outlook', from: /(?:hotmail|outlook|live)\.com/i },
  { name: 'Exchange2007', subject: /^(?:Undeliverable|Non remis|Unzustellbar|Onbestelbaar|No se puede entregar)[: ]/, header: ['content-language', /./] },
  { name: 'Exchange2003', header: ['x-mimeole', /Microsoft Exchange/i] },
  { name: 'Exchange2003', header: ['x-mailer', /Internet Mail Service/i] },
  { name: 'Exchange2003', body: /Your message\s*$|did not reach the following recipient\(s\)/m },
  { name: 'SendGrid', from: /sendgrid/i },
  { name: 'Mailgun', header: ['x-mailgun-sid', /./] },
  { name: 'Postmark', from: /postmarkapp\.com/i },
  // Zoho Mail reports a destination it kept failing to reach as "Host not reachable", in its delay
  // notice ("will be retried for N more day(s)") and in the final one: the retries ran out
  // (Sisimai::Lhost::Zoho, MessagesOf expired).
  ...[{ header: ['x-zohomail', /./] as const }, { from: /zoho/i }].map((rule): VendorFormat => ({ name: 'Zoho', ...rule, reasons: [['expired', /Host not reachable/]] })),
  { name: 'MailRu', from: /mail\.ru/i },
  { name: 'Yandex', from: /yandex/i },
  { name: 'GMX', from: /gmx\.|web\.de/i },
  { name: 'EinsUndEins', from: /1und1|1and1/i },
  // Verizon Wireless's MMS gateway (MMSC): "Message could not be delivered to mobile. Error: No valid
  // recipients for this MM", the recipient only in the returned "Original Message:" (Sisimai::Lhost::Verizon).
  { name: 'Verizon', from: /verizon|vzwpix\.com|post_master@vtext\.com/i, reasons: [['userunknown', /No valid recipients for this MM/i]] },
  { name: 'Facebook', from: /facebook/i },
  { name: 'EZweb', from: /ezweb\.ne\.jp/i },
  { name: 'KDDI', from: /kddi|au\.com/i },
  { name: 'Biglobe', from: /biglobe/i },
  { name: 'Notes', body: /Lotus Notes|Notes/, subject: /^Undeliverable message/ },
  { name: 'Domino', subject: /^DELIVERY (?:FAILURE|REPORT):/ },
  { name: 'Courier', body: /Courier mail server|courier-mta/i },
  { name: 'OpenSMTPD', body: /OpenSMTPD|Hi! This is the MAILER-DAEMON/ },
  { name: 'DragonFly', body: /DragonFly Mail Agent/ },
  // Apache James (AbstractNotify.java): "Error message below:", then "Message details:" with the
  // envelope ("RCPT TO: addr"); its Message-ID is JavaMail's. Sisimai::Lhost::ApacheJames.
  ...[
    { header: ['message-id', /\.JavaMail\./] as const, body: /^Error message below:/m },
    { header: ['received', /JAMES SMTP Server/] as const, body: /^Error message below:/m },
    { subject: /^\[BOUNCE\]$/ },
  ].map((rule): VendorFormat => ({
    name: 'ApacheJames',
    ...rule,
    identifies: true,
    recipient: new RegExp(String.raw`^\s*RCPT TO:\s*<?(${ADDR})>?`, 'm'),
    diagnostic: /^Error message below:[ \t]*\n([\s\S]*?)(?:\n[ \t]*\n|$)/m,
  })),
  { name: 'MessagingServer', body: /Sun Java System Messaging Server|Oracle Communications Messaging Server/ },
  // Trend Micro InterScan MSS: "Unable to deliver message to <addr> (and other recipients in the same
  // domain)" is its wording for an address the next hop refused (Sisimai::Lhost::InterScanMSS).
  ...[{ from: /InterScan/i }, { body: /Message from InterScan Messaging Security Suite/ }].map((rule): VendorFormat => ({
    name: 'InterScanMSS',
    ...rule,
    recipient: new RegExp(String.raw`Unable to deliver message to <(${ADDR})>`),
    reasons: [['userunknown', /Unable to deliver message to/]],
  })),
  // McAfee Email Gateway (X-NAI-Header): its own notice words for an unknown user (Sisimai::Lhost::McAfee).
  { name: 'McAfee', header: ['x-nai-header', /Modified by McAfee/i], reasons: [['userunknown', /User \(.+@.+\) unknown\.|550 Unknown user \S+@|No such user/]] },
  // Symantec Email Security.cloud (MessageLabs): "542 addr Rejected" is its unknown-user reply (Sisimai::Lhost::MessageLabs).
  { name: 'MessageLabs', from: /messagelabs\.com/i, reasons: [['securityerror', /Please turn on SMTP Authentication in your mail client/], ['userunknown', /\b542 |\bRejected$|No such user/]] },
  { name: 'MailFoundry', subject: /^Message delivery has failed/ },
  { name: 'MailMarshalSMTP', subject: /^Undeliverable Mail:/ },
  { name: 'mFILTER', from: /mfilter/i },
  // Ipswitch IMail Server (X-Mailer: <SMTP32 vN>): "Unknown user: addr", "undeliverable to addr" and the
  // remote reply after "Body of message generated response:"; its own messages mean the reasons below
  // (Sisimai::Lhost::IMailServer).
  {
    name: 'IMailServer',
    header: ['x-mailer', /^<SMTP32 v|IMail/i],
    recipient: new RegExp(String.raw`^\s*(?:undeliverable to|[A-Za-z]+ [A-Za-z ]{2,60}:)\s*<?(${ADDR})>?\s*$`, 'm'),
    diagnostic: /Body of message generated response:[ \t]*\n([\s\S]*?)(?:\n[ \t]*\n|$)/,
    reasons: [['hostunknown', /^Unknown host/], ['userunknown', /^(?:Unknown user|Invalid final delivery userid)/], ['mailboxfull', /^User mailbox exceeds allowed size/], ['virusdetected', /Requested action not taken: virus detected/]],
  },
  { name: 'Activehunter', from: /Activehunter/i },
  // fml, the mailing-list manager: the list refuses a post in a notice whose Subject says why ("… are
  // not member", "Loop Alert: …"); the address is the one in angle brackets (Sisimai::Lhost::FML).
  {
    name: 'FML',
    header: ['x-mlserver', /fml/i],
    identifies: true,
    recipient: new RegExp(String.raw`<(${ADDR})>`),
    reasons: [
      ['rejected', /are not member|NOT MEMBER article from|reject mail |Spam mail from a spammer is rejected/i],
      ['systemerror', /fml system error message|Loop Alert: |Loop Back Warning: |WARNING: UNIX FROM Loop/i],
      ['securityerror', /Security Alert/i],
    ],
  },
  { name: 'V5sendmail', body: /^\s+-----\s+Transcript of session follows\s+-----/m, subject: /^Returned mail: / },
  { name: 'qmail', body: /This is the qmail-send program|qmail/ },
  { name: 'Exim', header: ['x-failed-recipients', /./] },
  { name: 'Exim', body: /This message was created automatically by mail delivery software/ },
  { name: 'Postfix', body: /This is the mail system at host|The Postfix program/ },
  { name: 'Sendmail', subject: /^Returned mail: / },
  { name: 'Sendmail', body: /-----\s+Transcript of session follows\s+-----/ },
];

/**
 * Lines that end the error text: the returned copy (or headers) of the original message follows.
 * Each is the wording of at least one MTA in the corpus (qmail, Exim, Sendmail, Gmail, DragonFly …).
 * Matched as one pattern (case-insensitive, at line starts): the first line any of them matches.
 */
export const ORIGINAL_MESSAGE_MARKERS: readonly RegExp[] = [
  /^[ \t]*-+[ \t]*(?:Below this line is a copy of the message|This is a copy of the message|The body of the message is|Original message|Original Message Follows|Undelivered message headers follow|Returned message|Unsent message (?:below|follows)|The header of the original message is following|Original message headers|Original message follows|This is a copy of (?:the )?headers)/im,
  /^[ \t]*Message headers follow/im,
  /^Original Message:[ \t]*$/im,
  /^[ \t]*The original message headers/im,
  /^[ \t]*-+ ?(?:Headers of the original|original message|message header)/im,
  /^Content-Type: (?:message\/rfc822|text\/rfc822-headers)/im,
];

/** Sender names of bounces: the null sender's usual display names (mailer-daemon, postmaster …). */
export const BOUNCE_FROM = /mailer[-_ ]?daemon|postmaster|mail ?delivery|delivery ?(?:status|subsystem|notification)|\bmail ?administrator|system ?administrator|\bmdaemon|\bsmtp ?gateway|\bmail ?system|\bnobody@|\bbounce|noreply@.*(?:google|yahoo)|\bmta@|\bdaemon\b|Mail Delivery Subsystem/i;

/** Subjects of bounces in several languages (Sisimai's Lhost modules' subject rules). */
export const BOUNCE_SUBJECT = /undeliver|undelivered|delivery (?:status )?(?:notification|failure|report|has failed)|delivery failed|failure notice|returned mail|mail delivery (?:failed|failure|system)|could not (?:be )?deliver|non remis|unzustellbar|onbestelbaar|no se puede entregar|nondeliverable|non-deliverable|message not delivered|delivery problem|mail system error|address not found|message (?:delivery )?(?:has )?failed|bounce|rejected|warning: could not send|failed mail|permanent error|error sending|returned to sender|メール配信|配送|不達|エラー/i;

/**
 * PowerMTA's bounce categories (its per-recipient DSN field X-PowerMTA-BounceCategory): the MTA's own
 * verdict on the reply, used as the reason when it names one. Source: PowerMTA User's Guide, "Bounce
 * categories" (bounce-category-patterns); Sisimai::Lhost::PowerMTA maps them the same way.
 */
export const POWERMTA_CATEGORIES: Readonly<Record<string, BounceReason>> = {
  'bad-mailbox': 'userunknown',
  'bad-domain': 'hostunknown',
  'inactive-mailbox': 'suspend',
  'quota-issues': 'mailboxfull',
  'message-expired': 'expired',
  'no-answer-from-host': 'networkerror',
  'bad-connection': 'networkerror',
  'routing-errors': 'systemerror',
  'policy-related': 'policyviolation',
  'spam-related': 'spamdetected',
  'virus-related': 'virusdetected',
  'content-related': 'contenterror',
  'relaying-issues': 'norelaying',
  'protocol-errors': 'syntaxerror',
  'invalid-sender': 'rejected',
  'bad-configuration': 'mailererror',
};

/**
 * Gmail's bounce notices end the quoted reply with the state its SMTP client was in, "(state 14)": the
 * command the reply answered, and with it the reason when the reply's own status says no more (an
 * X.0.0 or none). Source: Sisimai::Lhost::Gmail's state table (p5-sisimai lib/Sisimai/Lhost/Gmail.pm).
 */
export const GMAIL_STATES: Readonly<Record<string, BounceReason>> = {
  '6': 'systemerror', // 500 Remote server does not support TLS
  '8': 'systemerror', // 535 SMTP AUTH failed with the remote server
  '9': 'systemerror', // 454 TLS missing certificate
  '12': 'norelaying', // 500 Remote server does not support SMTP Authenticated Relay
  '13': 'blocked', // 550 5.7.1 … Access denied, at EHLO
  '14': 'userunknown', // 550 5.1.1 … User Unknown, at RCPT
  '15': 'filtered', // after DATA
  '17': 'filtered',
  '18': 'filtered', // 554 5.7.0 Header error, 550 Unknown user … after DATA
};
