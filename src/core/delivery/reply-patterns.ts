/**
 * What receivers say, as data: the pattern tables classify() (classify.ts) walks to turn an SMTP
 * reply, a DSN's Status/Diagnostic-Code or a log line's text into a Sisimai reason.
 *
 * Every row names where its wording comes from: a provider's published error list, an RFC, an
 * MTA's documented reply, or the Sisimai module whose vocabulary it follows (Sisimai::Reason::*,
 * Sisimai::Rhost::*, BSD-2-Clause; the patterns here are written anew, the phrases are facts about
 * what servers send). Texts are matched lower-cased.
 *
 * Order is priority. classify() tries ROWS from the top and takes the first row that matches, so:
 *  1. provider rows (one provider's exact wording, often tied to an enhanced code): these decide
 *     where the enhanced code alone would mislead (Gmail's 5.2.1 is "disabled" or "receiving mail
 *     at a rate…"; Microsoft answers an unknown user with 5.1.10, 5.4.1 or 5.5.0);
 *  2. generic phrase rows, in Sisimai's order of precedence (Sisimai::Reason::get: mailbox full and
 *     size first, then suspend, moved, relaying, blocklists and sender rejections before "user
 *     unknown", so "550 5.1.1 … blocked using zen.spamhaus.org" is `blocked`, as Sisimai's
 *     UserUnknown prematch decides);
 * then, when no row matched, ENHANCED_REASONS (the status code alone), then reply-code and stage
 * fallbacks in classify.ts.
 *
 * Each row's cheap checks (class, stage, enhanced code) run before its RegExp.
 */
import type { BounceReason, SmtpStage } from './classification.js';

export interface ReplyPattern {
  readonly id: string;
  readonly reason: BounceReason;
  /** Tested against the lower-cased text. */
  readonly text?: RegExp;
  /**
   * Enhanced status codes the row is limited to: "5.7.26" (exact), "x.7.26" (either class),
   * "5.7.606-649" (a range of details), "x.6" (a whole subject).
   */
  readonly enhanced?: readonly string[];
  /** Reply classes the row is limited to (4 = transient, 5 = permanent). */
  readonly classes?: readonly (4 | 5)[];
  /** Only at these stages (an unknown stage always passes). */
  readonly stages?: readonly SmtpStage[];
  /** Never at these stages (known stages only). */
  readonly notStages?: readonly SmtpStage[];
  /** The receiver asks to slow down for the whole destination (back off the host, not the recipient). */
  readonly rateLimited?: boolean;
  /** About the recipient even though the reason alone is not (a null MX, a domain without mail host). */
  readonly recipient?: boolean;
  /**
   * A generic catch-all: at the MAIL FROM stage it yields to `rejected` (a refusal of MAIL FROM is
   * about the sender), as Sisimai::Reason::Rejected decides for the MAIL command.
   */
  readonly weak?: boolean;
  readonly source: string;
}

const GMAIL = 'Gmail SMTP errors and codes (support.google.com/a/answer/3726730); Sisimai::Rhost::Google';
const MICROSOFT = 'Microsoft 365: Email non-delivery reports and SMTP errors in Exchange Online (learn.microsoft.com); Sisimai::Rhost::Microsoft';
const OUTLOOK_COM = 'Outlook.com postmaster troubleshooting (sendersupport.olc.protection.outlook.com, mail.live.com/mail/troubleshooting.aspx#errors): SC-/DY-/OU-/RP- codes and S31xx block-list codes';
const YAHOO = 'Yahoo Sender Hub SMTP error codes (senders.yahooinc.com/smtp-error-codes); Sisimai::Rhost::YahooInc';
const APPLE = 'Apple iCloud Mail postmaster information (support.apple.com/en-us/102322, HT204137); Sisimai::Rhost::Apple';

/** Provider rows: exact wording of one receiver, first. */
export const PROVIDER_PATTERNS = [
  // ---- Gmail ---------------------------------------------------------------------------------
  { id: 'gmail-receiving-rate', reason: 'speeding', text: /receiving mail (?:at a rate that prevents additional messages|too quickly)/, source: `${GMAIL}: 450 4.2.1 / 550 5.2.1 "The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered" — a 5.2.1 that is not a disabled mailbox; per recipient, not the destination` },
  { id: 'gmail-relay-limit', reason: 'speeding', rateLimited: true, text: /(?:peak|daily) smtp relay (?:sending )?limit exceeded|daily (?:user )?sending (?:quota|limit) exceeded/, source: `${GMAIL}: 450 4.2.1 "Peak SMTP relay limit exceeded for customer", 550 5.4.5 "Daily sending quota exceeded" / "Daily SMTP relay limit exceeded for user"` },
  { id: 'gmail-disabled', reason: 'suspend', text: /account that you tried to reach is (?:disabled|inactive)/, source: `${GMAIL}: 550 5.2.1 "The email account that you tried to reach is disabled" (DisabledUser)` },
  { id: 'gmail-no-such-user', reason: 'userunknown', text: /email account that you tried to reach does not exist|\?p=nosuchuser|answer(?:\.py\?answer=|\/)6596\b/, source: `${GMAIL}: 550 5.1.1 "The email account that you tried to reach does not exist" (NoSuchUser, answer 6596)` },
  { id: 'gmail-over-quota', reason: 'mailboxfull', text: /account that you tried to reach is over quota|inbox is out of storage space|email quota exceeded/, source: `${GMAIL}: 452 4.2.2 / 552 5.2.2 "The email account that you tried to reach is over quota", "The recipient's inbox is out of storage space" (OverQuotaTemp/Perm)` },
  { id: 'gmail-bad-domain', reason: 'hostunknown', text: /we weren't able to find the recipient domain/, source: `${GMAIL}: 553 5.1.2 "We weren't able to find the recipient domain"` },
  { id: 'gmail-unusual-rate', reason: 'blocked', rateLimited: true, text: /unusual rate of (?:unsolicited )?mail/, source: `${GMAIL}: 421 4.7.28 / 550 5.7.28 "Gmail has detected an unusual rate of mail originating from your IP address" (UnsolicitedRateLimitError)` },
  { id: 'gmail-low-reputation', reason: 'badreputation', rateLimited: true, text: /very low reputation of the sending (?:ip|domain)/, source: `${GMAIL}: 421 4.7.0 / 550 5.7.1 "…suspicious due to the very low reputation of the sending IP address/domain"` },
  { id: 'gmail-ptr', reason: 'requireptr', text: /(?:does not|doesn't) have a ptr record|does not match the ip address of the hostname specified in the pointer|ipv6 sending guidelines regarding ptr/, source: `${GMAIL}: 421 4.7.0 / 4.7.23 / 550 5.7.25 "The IP address sending this message does not have a PTR record setup…"` },
  { id: 'gmail-auth-ratelimit', reason: 'authfailure', rateLimited: true, classes: [4], text: /rate limited because (?:it is unauthenticated|spf authentication|dkim authentication|the from: header)|aligned with either the authenticated spf or dkim|spf record of the sending domain has one or more suspicious/, source: `${GMAIL}: 421 4.7.26 / 4.7.27 / 4.7.30 / 4.7.32 "Your email has been rate limited because … authentication didn't pass"` },
  { id: 'gmail-auth', reason: 'authfailure', text: /not accepted due to domain's dmarc policy|fails? to pass (?:spf|authentication) checks|has an spf record with a hard fail policy|(?:senders|sender is unauthenticated).{0,40}authenticate (?:with|their)|does not have authentication information|unauthenticated email is not accepted|spf record of the sending domain/, source: `${GMAIL}: 550 5.7.26 "Unauthenticated email from … is not accepted due to domain's DMARC policy", "This message does not have authentication information or fails to pass authentication checks (SPF or DKIM)", 5.7.1 "Unauthenticated email is not accepted from this domain"; Sisimai::Reason::AuthFailure` },
  { id: 'gmail-not-rfc5322', reason: 'notcompliantrfc', text: /not rfc 5322 compliant|p=rfcmessagenoncompliant|missing a valid (?:address in the from: header|message-id)|multiple addresses in from: header|encoded-word syntax is not permitted|unicode character in a disallowed header/, source: `${GMAIL}: 550 5.7.1 "This message is not RFC 5322 compliant", "Messages missing a valid Message-ID header are not accepted" (RfcMessageNonCompliant); Sisimai::Reason::NotCompliantRFC` },
  { id: 'gmail-likely-unsolicited', reason: 'spamdetected', text: /likely unsolicited mail|nature of the content or the links within/, source: `${GMAIL}: 550 5.7.1 "Our system has detected that this message is likely unsolicited mail" (UnsolicitedMessageError)` },
  { id: 'gmail-policy', reason: 'policyviolation', text: /illegal attachment on your message|content presents a potential(?:ly)? security issue|sending to \(or from\) has a policy that prohibited|exceeded its quota for sending messages with the same message-id/, source: `${GMAIL}: 552 5.7.0 "Our system detected an illegal attachment", "…its content presents a potential security issue", 550 5.7.1 "The user or domain that you are sending to (or from) has a policy that prohibited the mail"` },
  { id: 'gmail-relay-denied', reason: 'norelaying', text: /mail relay denied|invalid credentials for relay|not authorized to send email directly to our servers/, source: `${GMAIL}: 550 5.7.0 "Mail relay denied", 550 5.7.1 "Invalid credentials for relay", "The IP you're using to send mail is not authorized to send email directly to our servers"` },
  { id: 'gmail-sending-denied', reason: 'rejected', text: /mail sending denied/, source: `${GMAIL}: 550 5.7.0 "Mail Sending denied" (sender account disabled or not registered)` },
  { id: 'gmail-tls-required', reason: 'securityerror', text: /must issue a starttls command first|tls required for rcpt domain|senders to use tls\/ssl/, source: `${GMAIL}: 530 5.7.0 "Must issue a STARTTLS command first", 421 4.7.0 "TLS required for RCPT domain", 421 4.7.29` },
  { id: 'gmail-login', reason: 'securityerror', text: /username and password not accepted|application-specific password required|please log in (?:with|through) your web browser|too many login attempts|no identity changes permitted/, source: `${GMAIL}: 535 5.7.8 "Username and Password not accepted", 534 5.7.9 "Application-specific password required"` },
  { id: 'gmail-whitelist', reason: 'blocked', text: /ip not in whitelist for rcpt domain|try again later, closing connection/, source: `${GMAIL}: 421 4.7.0 "IP not in whitelist for RCPT domain, closing connection", "Try again later, closing connection"` },
  { id: 'gmail-helo', reason: 'blocked', text: /helo\/ehlo argument is invalid|empty helo\/ehlo argument not allowed/, source: `${GMAIL}: 501 5.5.4 "HELO/EHLO argument is invalid"` },
  { id: 'gmail-protocol', reason: 'syntaxerror', text: /smtp protocol violation|too many unrecognized commands|unrecognized authentication type|too many unauthenticated commands/, source: `${GMAIL}: 451/454 4.5.0 and 525 5.7.10 "SMTP protocol violation", 502 5.5.1 "Too many unrecognized commands, goodbye"` },
  { id: 'gmail-hops', reason: 'networkerror', text: /message exceeded \d+ hops/, source: `${GMAIL}: 554 5.4.6 "Message exceeded 50 hops, this may indicate a mail loop"` },
  { id: 'gmail-system', reason: 'systemerror', text: /temporary system problem|mail server (?:has )?temporarily rejected (?:this )?message|multiple destination domains per transaction|domain policy size per transaction exceeded/, source: `${GMAIL}: 421 4.3.0 "Temporary System Problem. Try again later", 451 4.3.0 "Mail server temporarily rejected message"` },
  { id: 'gmail-busy', reason: 'systemerror', rateLimited: true, text: /421[ -]4\.4\.5 server busy|^server busy, try again later/, source: `${GMAIL}: 421 4.4.5 "Server busy, try again later"` },
  { id: 'gmail-recipients', reason: 'toomanyconn', text: /your message has too many recipients|too many recipients for this sender/, source: `${GMAIL}: 452 4.5.3 "Your message has too many recipients"` },
  { id: 'gmail-size', reason: 'mesgtoobig', text: /exceeded google's message size limits|exceeds google's (?:message size limit|limit of)|google's message header size limit/, source: `${GMAIL}: 552 5.3.4 "Your message exceeded Google's message size limits"` },
  { id: 'gmail-connect-failed', reason: 'expired', text: /recipient server did not accept our requests to connect/, source: 'Gmail delivery status notification "The recipient server did not accept our requests to connect" (answer 7720), a notice sent when Gmail gives up or keeps retrying' },

  // ---- au (KDDI): msmx.au.com, lsean.ezweb.ne.jp ----------------------------------------------
  { id: 'kddi-filtered', reason: 'filtered', text: /550:? : user unknown/, source: 'au (KDDI) answers "550 : User unknown" (no address; "550: : User unknown" as Yahoo quotes it) when the recipient\'s filter refuses the sender, and "550 <address>: User unknown" for an unknown user; Sisimai::Rhost::KDDI (p5-sisimai lib/Sisimai/Rhost/KDDI.pm)' },

  // ---- Microsoft (Exchange Online, Exchange Server, Outlook.com) ------------------------------
  { id: 'microsoft-recipient-not-found', reason: 'userunknown', text: /resolver\.adr\.(?:ex)?recip(?:ient)?notfound|recipient not found by smtp address lookup/, source: `${MICROSOFT}: 550 5.1.1 "RESOLVER.ADR.ExRecipNotFound; not found", 550 5.1.10 "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"` },
  { id: 'microsoft-dbeb', reason: 'userunknown', enhanced: ['5.4.1'], text: /recipient address rejected: access denied/, source: `${MICROSOFT}: 550 5.4.1 "Recipient address rejected: Access denied" (Directory-Based Edge Blocking: the recipient does not exist)` },
  { id: 'microsoft-mailbox-unavailable', reason: 'userunknown', enhanced: ['5.5.0'], text: /requested action not taken: mailbox unavailable/, source: `${MICROSOFT}: 550 5.5.0 "Requested action not taken: mailbox unavailable" (Outlook.com: unknown recipient, like 5.1.10)` },
  { id: 'microsoft-banned-ip', reason: 'blocked', enhanced: ['5.7.606-649'], source: `${MICROSOFT}: 550 5.7.606-649 "Access denied, banned sending IP [x]" (delist at sender.office.com)` },
  { id: 'microsoft-banned-ip-text', reason: 'blocked', text: /access denied, banned sending ip/, source: `${MICROSOFT}: "Access denied, banned sending IP"` },
  { id: 'microsoft-customer-block', reason: 'blocked', text: /using customer block list|access denied, rejected by recipient|access denied, bad helo/, source: `${MICROSOFT}: 5.7.513 "Client host blocked by … using Customer Block list (AS16012607)", 5.7.507, 5.7.506` },
  { id: 'microsoft-ip-reputation', reason: 'badreputation', rateLimited: true, text: /rate limited due to ip reputation/, source: `${MICROSOFT}: 451 4.7.650 "The mail server [x] has been temporarily rate limited due to IP reputation"` },
  { id: 'microsoft-try-later', reason: 'blocked', rateLimited: true, enhanced: ['4.7.500-899'], text: /access denied, please try again later|server busy\. please try again later/, source: `${MICROSOFT}: 451 4.7.500-899 "Access denied, please try again later" (ASxxx: suspicious activity, temporarily restricted), 4.7.500 "Server busy. Please try again later from [x]"` },
  { id: 'microsoft-dmarc', reason: 'authfailure', text: /does not pass dmarc verification|must pass either spf or dkim validation|sender policy framework violation/, source: `${MICROSOFT}: 5.7.509 "Access denied, sending domain … does not pass DMARC verification", 5.7.23 "…because of Sender Policy Framework violation", 4.7.26` },
  { id: 'microsoft-rate', reason: 'speeding', rateLimited: true, text: /has exceeded permitted limits within|tenant has exceeded threshold|traffic not accepted from this ip|submission quota exceeded|reached your daily limit for message recipients/, source: `${MICROSOFT}: 5.7.508 "has exceeded permitted limits within $range range", 5.7.700-749 "Access denied, tenant has exceeded threshold", 5.2.2 "Submission quota exceeded", 5.1.90` },
  { id: 'microsoft-recipient-rate', reason: 'speeding', text: /per hour message receive limit|recipient thread limit exceeded|recipient has exceeded their limit for/, source: `${MICROSOFT}: 5.2.121 / 5.2.122 "Recipient's per hour message receive limit … exceeded", 4.3.2 "STOREDRV.Deliver; recipient thread limit exceeded" (per recipient)` },
  { id: 'microsoft-banned-recipient', reason: 'suspend', text: /access denied, banned recipient/, source: `${MICROSOFT}: 5.7.505 "Access denied, banned recipient"` },
  { id: 'microsoft-bad-sender', reason: 'rejected', text: /access denied, (?:bad outbound sender|spam abuse detected|banned sender)|sender not in allowed-senders list|sender (?:was )?not authenticated (?:by organization|for (?:group|mailbox|public folder))|client blocked from sending from unregistered domains|must be rfc 5322 section 3\.6\.2 compliant|client does not have permissions? to send as this sender/, source: `${MICROSOFT}: 5.1.8 "Access denied, bad outbound sender", 5.7.501-503, 5.7.124, 5.7.12, 5.7.133-136, 5.7.512, 5.7.750` },
  { id: 'microsoft-not-authenticated', reason: 'securityerror', text: /client was not authenticated to send anonymous mail|resolver\.rst\.authrequired/, source: `${MICROSOFT}: 5.7.57 "Client was not authenticated to send anonymous mail during MAIL FROM", 5.7.1 "RESOLVER.RST.AuthRequired; authentication required"` },
  { id: 'microsoft-not-authorized', reason: 'filtered', text: /resolver\.rst\.notauthorized/, source: `${MICROSOFT}: 5.7.1 "RESOLVER.RST.NotAuthorized; not authorized" (the recipient accepts only some senders); Sisimai::Reason::Filtered` },
  { id: 'microsoft-service', reason: 'systemerror', enhanced: ['4.3.2'], text: /service not (?:available|active)/, source: `${MICROSOFT}: 421 4.3.2 "Service not available" (Exchange components inactive or overloaded)` },
  { id: 'microsoft-relay', reason: 'norelaying', text: /tenantattribution; relay access denied|unable to relay/, source: `${MICROSOFT}: 5.7.64 "TenantAttribution; Relay Access Denied", 5.7.1 "Unable to relay"` },
  { id: 'microsoft-mailbox-full', reason: 'mailboxfull', text: /quotaexceededexception|mailbox full/, source: `${MICROSOFT}: 554 5.2.2 "mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException"` },
  { id: 'microsoft-loop', reason: 'networkerror', enhanced: ['x.4.6', 'x.4.14'], text: /hop count exceeded|routing loop/, source: `${MICROSOFT}: 554 5.4.6 / 5.4.14 "Hop count exceeded - possible mail loop"` },
  { id: 'microsoft-expired', reason: 'expired', enhanced: ['5.4.300', 'x.4.316', 'x.4.7'], text: /message expired|queue expired/, source: `${MICROSOFT}: 5.4.300 "Message expired", 5.4.316 "Message expired, connection refused", 4.4.7 "Queue expired; message expired"` },
  { id: 'microsoft-dns', reason: 'hostunknown', enhanced: ['5.4.310', '5.4.4'], text: /dns domain .{1,255} does not exist|nonexistentdomain|nonexistent domain/, source: `${MICROSOFT}: 5.4.310 "DNS domain … does not exist", 5.4.4 "SMTPSEND.DNS.NonExistentDomain; nonexistent domain"` },
  { id: 'microsoft-dns-failure', reason: 'networkerror', enhanced: ['x.4.312', 'x.4.318'], source: `${MICROSOFT}: 4.4.312 / 5.4.312 (DNS query failed), 4.4.318 / 5.4.318 (connection closed abruptly, SuspiciousRemoteServerError)` },
  { id: 'outlook-block-list', reason: 'blocked', text: /part of their network is on our block list|\((?:s3150|s3140|s3113|s3114|s3115)\)|unfortunately, messages from \[?[0-9a-f.:]+\]? weren't sent/, source: `${OUTLOOK_COM}: 550 5.7.1 "Unfortunately, messages from [x] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)"; SC-001, DY-001, OU-002` },
  { id: 'outlook-rate', reason: 'speeding', rateLimited: true, text: /\brp-00[1-3]\b|unfortunately, some messages from \[?[0-9a-f.:]+\]? weren't sent|limits for how many messages can be sent per hour/, source: `${OUTLOOK_COM}: 421 RP-001/RP-002/RP-003 "Unfortunately, some messages from x weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day"` },
  { id: 'outlook-domain-unreachable', reason: 'hostunknown', text: /because the domain is not reachable/, source: 'Outlook.com 554 "The mail could not be delivered to the recipient because the domain is not reachable"; Sisimai::Rhost::Outlook' },

  // ---- Yahoo / AOL -----------------------------------------------------------------------------
  { id: 'yahoo-tss-deferred', reason: 'badreputation', rateLimited: true, text: /\[ts[s]?0[1-4]\]|temporarily deferred due to (?:unexpected volume or )?user complaints/, source: `${YAHOO}: 421 4.7.0 "[TSS04] Messages from x temporarily deferred due to unexpected volume or user complaints"; Sisimai::Reason::BadReputation` },
  { id: 'yahoo-tss-permanent', reason: 'blocked', text: /\[tss(?:09|11)\]|will be permanently deferred/, source: `${YAHOO}: 553 5.7.2 "[TSS09] All messages from x will be permanently deferred; Retrying will NOT succeed"` },
  { id: 'yahoo-spamhaus', reason: 'blocked', text: /\[bl2[0-3]\]|because the ip is in spamhaus's list|not accepted from ip addresses on spamhaus/, source: `${YAHOO}: 553 5.7.1 "[BL21] Connections will not be accepted from x, because the ip is in Spamhaus's list", "[BL23] … on Spamhaus XBL"` },
  { id: 'yahoo-auth', reason: 'authfailure', text: /yahoo requires all senders to authenticate/, source: `${YAHOO}: 550 5.7.9 "This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM"` },
  { id: 'yahoo-policy', reason: 'policyviolation', text: /\[ph0\d\]|not accepted for policy reasons/, source: `${YAHOO}: 554 "Message not allowed - [PH01] Email not accepted for policy reasons", 554 5.7.9 "Message not accepted for policy reasons"` },
  { id: 'yahoo-no-account', reason: 'userunknown', text: /dd this user doesn't have a |this user doesn't have a \S+ account/, source: `${YAHOO}: 554 "delivery error: dd This user doesn't have a yahoo.com account"` },
  { id: 'yahoo-disabled', reason: 'suspend', text: /dd \S+ is no longer valid|this mailbox is disabled \(554\.30\)/, source: `${YAHOO}: 554 "delivery error: dd … is no longer valid", AOL 554 30 "This mailbox is disabled (554.30)"` },
  { id: 'yahoo-from-domain', reason: 'rejected', text: /unresolvable rfc\.?5321 (?:from )?domain/, source: `${YAHOO}: 451 "Message temporarily deferred due to unresolvable RFC.5321 from domain"` },
  { id: 'yahoo-per-connection', reason: 'toomanyconn', text: /max message per connection reached/, source: `${YAHOO}: 421 "Max message per connection reached, closing transmission channel"` },
  { id: 'yahoo-user-rate', reason: 'speeding', text: /user is receiving mail too quickly/, source: `${YAHOO}: 450 "User is receiving mail too quickly" (per recipient)` },

  // ---- Apple iCloud ----------------------------------------------------------------------------
  { id: 'apple-inactive', reason: 'userunknown', text: /inactive email address|unknown or illegal alias/, source: `${APPLE}: 550 5.1.1 "inactive email address", "unknown or illegal alias"` },
  { id: 'apple-hasmoved', reason: 'hasmoved', text: /recipient no longer on server/, source: `${APPLE}: 550 5.1.6 "recipient no longer on server"` },
  { id: 'apple-rate', reason: 'speeding', text: /deferred due to excessive volume/, source: `${APPLE}: 421 4.7.1 "Messages to x deferred due to excessive volume. Try again later" (per recipient)` },
  { id: 'apple-policy', reason: 'policyviolation', text: /\[(?:cs|hm)\d\d\] message rejected due to local policy/, source: `${APPLE}: 554 5.7.1 "[CS01] Message rejected due to local policy"` },
  { id: 'apple-auth', reason: 'authfailure', text: /\[hme1\]|failing both spf and dkim/, source: `${APPLE}: 554 5.7.1 "[HME1] This message was blocked for failing both SPF and DKIM authentication checks"` },

  // ---- Mimecast --------------------------------------------------------------------------------
  { id: 'mimecast-auth', reason: 'authfailure', text: /(?:spf|dkim|dmarc) sender invalid - envelope rejected/, source: 'Mimecast SMTP error codes (community.mimecast.com, "Mimecast SMTP Error Codes"): 550 "SPF Sender Invalid - envelope rejected"; Sisimai::Rhost::Mimecast' },
  { id: 'mimecast-reputation', reason: 'badreputation', text: /local ct ip reputation/, source: 'Mimecast SMTP error codes: 550 "Local CT IP Reputation - (reject)"' },
  { id: 'mimecast-blocked', reason: 'blocked', text: /ip temporarily blacklisted|sender address blocked/, source: 'Mimecast SMTP error codes: 451 "IP temporarily blacklisted", 421 "Sender address blocked"' },
  { id: 'mimecast-policy', reason: 'policyviolation', text: /anti-spoofing policy|content examination policy|host network not allowed/, source: 'Mimecast SMTP error codes: 550 "Rejected by header-based Anti-Spoofing policy", "Message bounced due to Content Examination policy", 554 "Host network not allowed" (geographical restriction)' },
  { id: 'mimecast-envelope-blocked', reason: 'rejected', text: /envelope blocked|block policy for (?:header from|envelope from)|manually blocked senders/, source: 'Mimecast SMTP error codes: 550 "Administrative prohibition envelope blocked", "Envelope blocked – User Entry", "Rejected by header-based Blocked Senders - Block policy for Header From"' },
  { id: 'mimecast-security-policies', reason: 'virusdetected', text: /email rejected due to security policies/, source: 'Mimecast SMTP error codes: 554 "Email rejected due to security policies" (a virus signature or a spam score over the maximum)' },
  { id: 'mimecast-tls', reason: 'securityerror', text: /this route requires (?:encryption|tls|high-strength)/, source: 'Mimecast SMTP error codes: 553 "This route requires encryption (TLS)"' },
  { id: 'mimecast-too-many', reason: 'toomanyconn', rateLimited: true, text: /account service is temporarily unavailable|exceeding outbound thread limit/, source: 'Mimecast SMTP error codes: 451 "Account service is temporarily unavailable" (too many concurrent connections)' },
  { id: 'mimecast-invalid-recipient', reason: 'userunknown', text: /invalid recipient - https?:\/\/community\.mimecast/, source: 'Mimecast SMTP error codes: 550 "Invalid Recipient"' },

  // ---- Cox, Spectrum, GoDaddy, Orange/La Poste, Tencent, Comcast, GMX/web.de, SES ---------------
  { id: 'cox-blocklist', reason: 'blocked', text: /aup#(?:cxbl|cdrbl|ipbl\d+)\b/, source: 'Cox email error codes (cox.com/residential/support/email-error-codes.html): AUP#CXBL, CDRBL, IPBL0001 …; Sisimai::Rhost::Cox' },
  { id: 'cox-rdns', reason: 'requireptr', text: /aup#cxdns\b|rejected - no rdns/, source: 'Cox email error codes: AUP#CXDNS, "rejected - no rDNS"' },
  { id: 'cox-auth', reason: 'authfailure', text: /aup#cxsndr\b/, source: 'Cox email error codes: AUP#CXSNDR (SPF/DKIM failure)' },
  { id: 'cox-connections', reason: 'toomanyconn', rateLimited: true, text: /aup#(?:cxcnct|cxmxrt)\b|too many sessions from/, source: 'Cox email error codes: AUP#CXCNCT, CXMXRT' },
  { id: 'spectrum-connections', reason: 'toomanyconn', rateLimited: true, text: /aup#[a-z-]*13[0-4]\d\b/, source: 'Spectrum email error codes (spectrum.net/support/internet/understanding-email-error-codes): AUP#1300-1340 connection limits; Sisimai::Rhost::Spectrum' },
  { id: 'spectrum-rate', reason: 'speeding', rateLimited: true, text: /aup#[a-z-]*1(?:3[5-9]\d|4\d\d|5[48]0)\b/, source: 'Spectrum email error codes: AUP#1350-1490, 1540, 1580 (message and recipient rates)' },
  { id: 'spectrum-blocked', reason: 'blocked', text: /aup#[a-z-]*1(?:000|2[0-5]\d)\b/, source: 'Spectrum email error codes: AUP#1000 (IP blocked), 1200-1250 (Cloudmark CSI, Spamhaus)' },
  { id: 'spectrum-rdns', reason: 'requireptr', text: /aup#[a-z-]*11[0-5]\d\b/, source: 'Spectrum email error codes: AUP#1100-1150 (reverse DNS)' },
  { id: 'godaddy-rate', reason: 'speeding', rateLimited: true, text: /has sent to too many recipients this hour|\bib607\b/, source: 'GoDaddy bounce codes (IB607: sent to too many recipients this hour); Sisimai::Rhost::GoDaddy' },
  { id: 'godaddy-from-domain', reason: 'rejected', text: /from: domain is invalid/, source: 'GoDaddy bounce codes: IB506 "From: Domain is invalid. Please provide a valid From:"' },
  { id: 'orange-blocked', reason: 'blocked', text: /\b(?:ofr|lpn)\d*_?(?:102|103|401|510|999)\b/, source: 'Orange / La Poste error codes OFR_/LPN_ 102, 103, 401, 510, 999 (postmaster.orange.fr); Sisimai::Rhost::FrancePTT' },
  { id: 'orange-recipient', reason: 'userunknown', text: /\b(?:ofr|lpn)\d*_?41[68]\b|adresse d au moins un destinataire invalide/, source: 'Orange / La Poste error codes 416, 418 "Adresse d au moins un destinataire invalide. Invalid recipient"' },
  { id: 'orange-suspend', reason: 'suspend', text: /\b(?:ofr|lpn)\d*_?42[06]\b|compte du destinataire est bloque|boite du destinataire archivee/, source: 'Orange / La Poste error codes 420 "Boite du destinataire archivee", 426 "Le compte du destinataire est bloque"' },
  { id: 'orange-full', reason: 'mailboxfull', text: /\b(?:ofr|lpn)\d*_?417\b|boite du destinataire pleine/, source: 'Orange / La Poste error code 417 "Boite du destinataire pleine. Recipient overquota"' },
  { id: 'orange-system', reason: 'systemerror', text: /\b(?:ofr|lpn)\d*_?505\b/, source: 'Orange / La Poste error code 505 "Service refuse. Veuillez essayer plus tard"' },
  { id: 'orange-spam', reason: 'spamdetected', text: /\b(?:ofr|lpn)\d*_?506\b|mail rejete\. mail rejected/, source: 'Orange / La Poste error code 506 "Mail rejete. Mail rejected"' },
  { id: 'orange-connections', reason: 'toomanyconn', rateLimited: true, text: /\b(?:ofr|lpn)\d*_?104\b|trop de connexions/, source: 'Orange / La Poste error code 104 "Too many connections, slow down"' },
  { id: 'orange-sender', reason: 'rejected', text: /\b(?:ofr|lpn)\d*_?(?:403|405|415|421)\b|emetteur invalide/, source: 'Orange / La Poste error codes 403, 405, 415 "Emetteur invalide. Invalid Sender", 421 "Mail from not owned by user"' },
  { id: 'orange-policy', reason: 'policyviolation', text: /\blpn\d*_?630\b/, source: 'La Poste error code LPN000_630 (client host rejected by policy); Sisimai rhost-franceptt test data' },
  { id: 'tencent-rate', reason: 'toomanyconn', rateLimited: true, text: /(?:ip|domain|sender|connection) frequency limited/, source: 'Tencent QQ Mail error help (service.mail.qq.com/detail/122/172-175): "Connection frequency limited"; Sisimai::Rhost::Tencent' },
  { id: 'tencent-suspend', reason: 'suspend', text: /is a deactivated mailbox/, source: 'Tencent QQ Mail error help: "is a deactivated mailbox"' },
  { id: 'tencent-auth', reason: 'authfailure', text: /(?:spf|dmarc) check failed/, source: 'Tencent QQ Mail error help (detail/122/72): "SPF check failed", "DMARC check failed"' },
  { id: 'tencent-content', reason: 'spamdetected', text: /mail content denied|spam is embedded in the email/, source: 'Tencent QQ Mail error help (detail/122/171): "Mail content denied"' },
  { id: 'comcast-blocklist', reason: 'blocked', text: /comcast.{0,80}\bbl0000\d\d\b|\bbl0000\d\d\b.{0,80}comcast/, source: 'Comcast postmaster SMTP error codes (postmaster.comcast.net/smtp-error-codes.php): BL000000-BL000020 IP block listed' },
  { id: 'gmx-rdns', reason: 'requireptr', text: /bad dns ptr resource record|nemesis esmtp service not available/, source: 'GMX/web.de/mail.com error messages (postmaster.gmx.com/en/error-messages): "Bad DNS PTR resource record"; Sisimai lhost-postfix-60 test data' },
  { id: 'ses-identity', reason: 'norelaying', text: /email address is not verified\. the following identities failed the check/, source: 'Amazon SES: 554 "Message rejected: Email address is not verified. The following identities failed the check in region …" (SES will not relay for an unverified identity; Sisimai v5.1 verdict in its lhost-postfix-77 test)' },
  { id: 'ses-throttle', reason: 'speeding', rateLimited: true, text: /throttling failure: (?:maximum sending rate|daily message quota) exceeded/, source: 'Amazon SES sending quota errors: "Throttling failure: Maximum sending rate exceeded", "Daily message quota exceeded"' },
  { id: 'sendgrid-ip-limit', reason: 'toomanyconn', rateLimited: true, text: /all available ips are at maximum connection limit/, source: 'SendGrid bounce text "All available IPs are at maximum connection limit"; Sisimai::Reason::TooManyConn' },
  { id: 'facebook-preferences', reason: 'filtered', text: /refused due to recipient preferences/, source: 'Facebook RCP-P2 "Refused due to recipient preferences" (postmaster.facebook.com/response_codes); Sisimai::Reason::Filtered' },
  { id: 'facebook-no-recipient', reason: 'userunknown', text: /recipient address does not exist/, source: 'Facebook RCP-P1 "Recipient address does not exist"' },
  { id: 'google-groups', reason: 'rejected', text: /group you tried to contact \([^)]*\) may not exist|not have permission to post messages to the group|'send mail as' feature/, source: 'Google Groups non-delivery notice "the group you tried to contact may not exist, or you may not have permission to post messages to the group"; Sisimai::Lhost::GoogleGroups' },
] as const satisfies readonly ReplyPattern[];

/** Generic phrase rows, in Sisimai's order of precedence. */
export const TEXT_PATTERNS = [
  // Greylisting says nothing yet about the message: retry after the delay (greylisted flag).
  // Sisimai v5 has no greylisting reason: after DATA its SpamDetected pattern takes "greylisted …
  // please try again in" (go-sisimai reason/why-spamdetected.go, DATA only); before DATA the
  // 'greylisting' row only marks the reply, and the status code names the reason as Sisimai's
  // status table does (4.7.1 "delivery not authorized" → blocked), else onhold (classify.ts).
  { id: 'greylisted-after-data', reason: 'spamdetected', classes: [4], stages: ['data'], text: /greylisted.*? please try again in/, source: 'Sisimai v5 Reason::SpamDetected pair ["greylisted", " please try again in"], for the DATA command only' },
  { id: 'greylisting', reason: 'onhold', classes: [4], text: /gr[ae]y-?list/, source: 'RFC 6647 greylisting: postgrey "Greylisted, see http://postgrey.schweikert.ch/…", milter-greylist "Greylisting in action", sqlgrey; see ../probe/greylisting.ts. A marker: the reason comes from the status code (classify.ts)' },
  // Mailbox full before anything else: "mailbox is full: retry timeout exceeded" is a full mailbox.
  { id: 'mailboxfull', reason: 'mailboxfull', text: /mailbox (?:is )?full|full mailbox|mailbox (?:has )?(?:exceeded|is over|over) (?:its |the )?(?:quota|disk|storage|size|local limit)|mail(?:box|folder|dir)? (?:is )?over ?quota|(?:user|account|recipient|box) (?:is )?(?:temporarily )?over (?:the )?(?:disk )?quota|over ?quota\b|(?:mail|disk|disc|mailbox) quota (?:exceeded|usage exceeded)|(?<!sending |submission |message |daily |relay )quota (?:exceeded|violation)|exceeds? (?:its |their )?(?:mailbox |storage )?quota|exceeded (?:the )?storage allocation|exceeded (?:its|their) (?:disk space|quota)|insufficient (?:disk |storage )?space (?:in|for) (?:the )?(?:mailbox|user)|(?:does not|doesn't) have enough space|not enough (?:storage )?space in|mail ?folder is full|user'?s? mailbox is full|recipient reached disk quota|would exceed (?:the )?(?:maximum allowed storage|allowed quota)|space has been used up|too many messages (?:on the server|in (?:the|this) mailbox)|mailbox size limit exceeded|number of messages in recipient's mailbox exceeded|too much mail data|(?:userdisk|domaindisk) quota/, source: 'RFC 3463 X.2.2 "Mailbox full"; Postfix/Dovecot "Quota exceeded (mailbox for user is full)", Exim "mailbox is full", Sendmail "Mailbox full"; Sisimai::Reason::MailboxFull' },
  { id: 'status-mailboxfull', reason: 'mailboxfull', enhanced: ['x.2.2'], source: 'RFC 3463 X.2.2 "Mailbox full" (Sisimai::Reason::MailboxFull->true: the status alone decides)' },
  // Size: 5.2.3 is the mailbox's limit (exceedlimit), otherwise the system's (mesgtoobig).
  { id: 'exceedlimit', reason: 'exceedlimit', enhanced: ['x.2.3'], source: 'RFC 3463 X.2.3 "Message length exceeds administrative limit"; Sisimai::Reason::ExceedLimit' },
  { id: 'exceedlimit-text', reason: 'exceedlimit', text: /message header size exceeds limit|message too large for this recipient/, source: 'Sisimai::Reason::ExceedLimit; Exchange 5.2.3 "RESOLVER.RST.RecipSizeLimit; message too large for this recipient"' },
  { id: 'mesgtoobig', reason: 'mesgtoobig', text: /message (?:file )?(?:is )?too (?:big|large)|message (?:size|length) exceeds|exceeded maximum (?:inbound )?message size|max(?:imum)? (?:email |message )?size (?:exceeded|limit)|size exceeds (?:the )?(?:fixed |maximum )|line limit exceeded|message size limit|too large for (?:this|the) (?:system|server)|taille limite du message/, source: 'RFC 3463 X.3.4 "Message too big for system"; Postfix 552 5.3.4 "Message size exceeds fixed limit", Exchange "Message size exceeds fixed maximum message size"; Sisimai::Reason::MesgTooBig' },
  { id: 'status-mesgtoobig', reason: 'mesgtoobig', enhanced: ['x.3.4', 'x.7.16'], source: 'RFC 3463 X.3.4 "Message too big for system", RFC 6710 X.7.16' },
  // The recipient's mailbox exists but is disabled: suppressed, like an unknown user.
  { id: 'suspend', reason: 'suspend', text: /(?:mailbox|account|user|address) (?:is |has been )?(?:currently )?(?:disabled|suspended|deactivated|frozen)|(?:recipient|destination)(?:'s)? (?:account|mailbox) (?:is |has been )?(?:disabled|suspended|blocked|locked|deactivated|closed|inactive)|this account has been disabled or discontinued|user suspended|recipient suspend|temporar(?:il)?y (?:locked|inactive)|invalid\/inactive user|mailbox unavailable or access denied|user account disabled|disabled recipient|account is locked|due to extended inactivity/, notStages: ['mail', 'auth'], source: 'RFC 3463 X.2.1 "Mailbox disabled, not accepting messages", X.7.13 "User account disabled"; Sisimai::Reason::Suspend' },
  { id: 'status-suspend', reason: 'suspend', enhanced: ['x.7.13'], source: 'RFC 3463 X.7.13 "User account disabled"' },
  { id: 'hasmoved', reason: 'hasmoved', text: / has been replaced by |no longer on (?:this )?server|user not local; please try|(?:mailbox|user|recipient|address) has moved/, source: 'RFC 3463 X.1.6 "Destination mailbox has moved, No forwarding address"; RFC 5321 §3.4 551 "User not local; please try <forward-path>"; Sisimai::Reason::HasMoved' },
  { id: 'status-hasmoved', reason: 'hasmoved', enhanced: ['x.1.6', 'x.7.17', 'x.7.18'], source: 'RFC 3463 X.1.6, RFC 6710 X.7.17 "Mailbox owner has changed", X.7.18 "Domain owner has changed"' },
  { id: 'norelaying', reason: 'norelaying', text: /relay(?:ing)? (?:access )?(?:denied|not permitted|not allowed|prohibited|refused)|unable to relay|not (?:permitted|allowed) to relay|relaying mail to \S+ is not allowed|not an open relay|we do not relay|we don't handle mail for|not configured to relay|insecure mail relay|isn't in my list of allowed rcpthosts|\bnot a gateway\b|not local host|\bno relaying\b|open relay not allowed|relaying disallowed|requires authentication when attempting to send to a non-local/, notStages: ['greeting', 'ehlo'], source: 'Postfix 554 5.7.1 "Relay access denied", Sendmail 550 5.7.1 "Relaying denied", qmail "sorry, that domain isn\'t in my list of allowed rcpthosts"; Sisimai::Reason::NoRelaying' },
  // Content verdicts that name a URL list come before the IP lists below.
  { id: 'uribl', reason: 'spamdetected', text: /blacklisted url in message|\buribl\b|\bsurbl\b|spamhaus dbl|domain present in the spamhaus/, source: 'URIBL / SURBL / Spamhaus DBL content rejections ("Blacklisted URL in message", IMail, Apple "rejected due to having a domain present in the Spamhaus DBL"); Sisimai::Reason::SpamDetected' },
  { id: 'rejected-blacklisted', reason: 'rejected', text: /you are sending to\/from an address that has been blacklisted|sender (?:address )?(?:has been |is )?blacklisted|sender is in my black list|access denied \(sender blacklisted\)/, source: 'Exim/cPanel "Sorry, you are sending to/from an address that has been blacklisted", "sender address has been blacklisted"; Sisimai::Reason::Rejected (the sender address, not the IP)' },
  // A named IP blocklist: before "user unknown" (Sisimai's UserUnknown prematch with Blocked).
  { id: 'dnsbl', reason: 'blocked', text: /blocked using |(?<!not )(?:listed|found) (?:at|in|on|by) (?:the )?[a-z0-9-]+(?:\.[a-z0-9-]+)+|(?:is|are) (?:listed )?in (?:a|an|the) (?:[^ ]+ )?(?:black ?list|block ?list|rbl|dnsbl)|spamhaus|spamcop|barracudacentral|\bsorbs\b|uceprotect|abuseat\.org|\bcbl\b|dnsbl|\brbl\b|black ?listed|block ?listed|on our block ?list|rejected based on (?:black|block)list|proofpoint\.com\/dnsbl|ipcheck\.proofpoint\.com|blocked - see/, source: 'Postfix reject_rbl_client "Client host [x] blocked using zen.spamhaus.org", Sendmail FEATURE(dnsbl) "Rejected: x listed at …", Exim "… is in a black list at …"; Spamhaus, SpamCop, Barracuda, SORBS, CBL; Sisimai::Reason::Blocked' },
  // The sender's address or domain: before "user unknown" (Postfix says "Sender address rejected: User unknown in local recipient table").
  { id: 'requireptr', reason: 'requireptr', text: /(?:no|missing|bad|invalid) (?:dns )?ptr (?:record|resource record)|ptr record (?:setup|required)|reverse dns (?:failed|required|entry|lookup for host \S+ failed)|(?:fix|no) reverse dns|(?:cannot|can't|could not|unable to) (?:find|resolve) your (?:reverse )?(?:hostname|host name)|ip name lookup failed|invalid rdns|forbidden by invalid rdns|rdns (?:check|lookup) fail|sender ip reverse lookup rejected|unverifyable sending ips|mismatches client ip|unresolvable relay host name|generic dns ptr|(?:all mail servers|ips) (?:must have|with missing) (?:a )?ptr|servers\/devices with no reverse dns|forward dns entry does not point to the sending ip/, source: 'RFC 7372 X.7.25 "Reverse DNS validation failed"; Postfix reject_unknown_client_hostname "Client host rejected: cannot find your hostname"; Sisimai::Reason::RequirePTR' },
  { id: 'status-requireptr', reason: 'requireptr', enhanced: ['x.7.25'], source: 'RFC 7372 X.7.25 "Reverse DNS validation failed"' },
  { id: 'authfailure', reason: 'authfailure', text: /\bspf\b.{0,40}(?:fail|violation|did not pass|not pass|softfail|hardfail)|sender policy framework|bad spf records?|inspect your spf settings|spf\.pobox\.com|not allowed to send (?:mail )?from \S+ per (?:it'?s|its) spf|is not allowed to send mail.{0,40}_401|dkim.{0,40}(?:fail|did not pass|not pass|invalid signature)|dmarc (?:policy|check|verification|fail|reject)|'s dmarc policy|authentication checks? failed|multiple authentication checks|arc validation fail/, source: 'RFC 7372 X.7.20-X.7.26 (DKIM, SPF, multiple authentication checks); RFC 7489 DMARC rejections; Sisimai::Reason::AuthFailure' },
  { id: 'status-authfailure', reason: 'authfailure', enhanced: ['x.7.20', 'x.7.21', 'x.7.22', 'x.7.23', 'x.7.24', 'x.7.26', 'x.7.29'], source: 'RFC 7372 X.7.20-X.7.24, X.7.26 (DKIM/SPF), RFC 8617 X.7.29 (ARC)' },
  { id: 'rejected', reason: 'rejected', text: /sender (?:address |domain |email address )?(?:rejected|denied|refused|not allowed|invalid|blacklisted)|domain of sender address|sender (?:address )?verif(?:y|ication) failed|unroutable sender|sender domain (?:must exist|is empty|does not exist|not found)|(?:mail from|address) not owned by user|\binvalid sender\b|bogus mail from|null sender is not allowed|empty envelope senders? not allowed|you are sending to\/from an address that has been blacklisted|sender is (?:in my black list|spammer)|sender not pre-approved|administrative prohibition|\bbatv\b|returned mail not accepted here|fully qualified email address required|is not a registered gateway user|access denied \(sender blacklisted\)|this server does not accept mail from|no third-party dsns|unsigned dsn for|does not exist e2110|not a member of this (?:mailing )?list|not allowed to post to this (?:mailing )?list|isn't on the recipient's list of senders to accept mail from|sender was rejected|rfc 1035 violation/, source: 'RFC 3463 X.1.7 / X.1.8 (bad sender address); Postfix "Sender address rejected: Domain not found", Sendmail "Domain of sender address … does not exist", Exim "Sender verify failed"; Sisimai::Reason::Rejected' },
  { id: 'status-rejected', reason: 'rejected', enhanced: ['x.1.7', 'x.1.8'], source: 'RFC 3463 X.1.7 / X.1.8 (bad sender address)' },
  // Null MX and hosts without mail service: about the recipient's domain.
  { id: 'null-mx', reason: 'notaccept', recipient: true, text: /null mx|does not accept mail|(?:doesn't|does not) receive e-?mail|no mx (?:record )?found for domain|couldn't find a mail exchanger|no route for current request/, source: 'RFC 7505 (null MX, 5.1.10 / 556), RFC 7504 556 "Domain does not accept mail"; Sendmail "Host does not accept mail", qmail "Sorry, I couldn\'t find a mail exchanger or IP address. (#5.4.4)"; Sisimai::Reason::NotAccept' },
  { id: 'not-accepting', reason: 'notaccept', text: /system not accepting network messages|smtp protocol returned a permanent error/, source: 'RFC 3463 X.3.2 "System not accepting network messages"; Sisimai::Reason::NotAccept' },
  // Wordings that say the recipient does not exist whatever command they answer (so never turned
  // into `filtered` by classify.ts): the reply names the address it refuses, or it is a provider's
  // fixed unknown-user notice.
  { id: 'recipient-named-unknown', reason: 'userunknown', text: />: ?user unknown/, notStages: ['data', 'message'], source: 'the reply quotes the refused address before the verdict, "550 <user@example.jp>: User unknown" (au answers "550 : User unknown", no address, when the recipient\'s filter refuses); Sisimai::Rhost::KDDI (">: user unknown")' },
  { id: 'gmail-address-not-found', reason: 'userunknown', text: /because the address couldn't be found/, source: `${GMAIL} notice "Your message wasn't delivered to … because the address couldn't be found, or is unable to receive mail" (NoSuchUser); Sisimai::Lhost::Gmail` },
  { id: 'notes-not-listed', reason: 'userunknown', text: /not listed in (?:the )?public name & address book|ディレクトリのリストにありません|domino ディレクトリには見つかりません/, source: 'Lotus Notes / Domino NDRs "User not listed in public Name & Address Book" (Japanese: "ディレクトリのリストにありません", "… は Domino ディレクトリには見つかりません"); Sisimai::Lhost::Notes, Sisimai::Lhost::Domino' },
  { id: 'exchange-recipient-not-recognized', reason: 'userunknown', text: /the recipient name is not recognized|\(000c05a6\) unknown recipient/, source: 'Exchange 2000/2003 NDR "The recipient name is not recognized" (MSEXCH:IMS 000C05A6 Unknown Recipient); Sisimai::Lhost::Exchange2003' },
  // The recipient does not exist. At DATA (or with 5.2.0) classify.ts turns this into `filtered`.
  { id: 'userunknown', reason: 'userunknown', text: /user unknown|addressee unknown|unknown (?:local[- ]?part|user|recipient|mailbox|e-?mail address|address|alias)|no such (?:user|mailbox|recipient|address|person|account|local user)|(?:user|mailbox|recipient|address|account|addressee)(?: \S+)? (?:does not|doesn't|did not) exist|(?:user|recipient|mailbox|address|account) (?:\S+ )?(?:not found|not known|unknown|not exist|not valid|not listed)|invalid (?:recipient|mailbox|e-?mail address|user|address)|not a (?:valid|known) (?:recipient|user|mailbox|local address)|is not (?:a|an) (?:valid|known|active) (?:user|mailbox|address|recipient)|mailbox (?:is )?(?:unavailable|not available|invalid|inactive|not present|not found|does not exist)|no mailbox (?:here|by that name|found|available)|no account by that name|recipient address rejected: (?:user|unknown|invalid|undeliverable|access denied|no such)|address (?:unknown|not present in directory|couldn't be found|does not exist|not found)|bad (?:destination (?:mailbox )?)?address|bad[-_ ]recipient|not listed in (?:the )?(?:public name|domino directory|address book)|(?:adresse|destinataire) (?:destinataire )?(?:invalide|inconnu)|utilisateur inconnu|(?:benutzer|empf(?:ä|ae)nger) (?:unbekannt|existiert nicht)|nessun utente|no existe (?:ese usuario|dicha persona)|usuario desconocido|recipient (?:is )?not (?:local|ok)|badrcptto|not in my validrcptto|vdeliver: invalid or unknown virtual user|missing home directory|this address no longer accepts mail|there is no one at this address|rcpt <?\S+>? does not exist|not our customer|recipient rejected|archived recipient|domino ディレクトリには見つかりません|ディレクトリのリストにありません/, source: 'RFC 3463 X.1.1 "Bad destination mailbox address"; Postfix "Recipient address rejected: User unknown in local recipient table", Sendmail "User unknown", qmail "sorry, no mailbox here by that name", Exim "Unrouteable address", Exchange "RESOLVER.ADR.RecipNotFound", Lotus Domino (Japanese) "… は Domino ディレクトリには見つかりません"; Sisimai::Reason::UserUnknown' },
  { id: 'status-userunknown', reason: 'userunknown', enhanced: ['x.1.0', 'x.1.1', 'x.1.3', 'x.1.10'], source: 'RFC 3463 X.1.1 "Bad destination mailbox address", X.1.3; X.1.10 (Microsoft 365 RecipientNotFound; RFC 7505 null MX) — after the blocklist, relay, mailbox-full and sender rows, as Sisimai::Reason::UserUnknown prematches them' },
  { id: 'filtered', reason: 'filtered', text: /only accepting mail from specific email addresses|message rejected due to user rules|this account is protected by|you have been blocked by the recipient|\buser reject|has restricted sms e-mail|refuse to receive mail|is not accepting any mail|bounced address/, source: 'Sisimai::Reason::Filtered (AOL "recipient is only accepting mail from specific email addresses", SendGrid "bounced address", Willcom, AT&T)' },
  // A temporary DNS failure is the network's, not a verdict on the domain (checked before hostunknown).
  { id: 'dns-temporary', reason: 'networkerror', text: /host not found, try again|name service error .{0,80}malformed|malformed or unexpected name server reply|host name lookup failure|temporary dns|dns (?:lookup )?(?:timeout|timed out|servfail)/, source: 'Postfix "Host or domain name not found. Name service error … try again", Sendmail "host name lookup failure"; Sisimai::Reason::NetworkError' },
  { id: 'dns-error-deferred', reason: 'networkerror', classes: [4], text: /dns error: .{0,120}(?:nxdomain|domain name not found)/, source: 'Gmail delay notice "DNS Error: … DNS type \'mx\' lookup of … responded with code NXDOMAIN" (retried: transient); Sisimai lhost-gsuite tests' },
  { id: 'hostunknown', reason: 'hostunknown', text: /host (?:or domain name )?not found|host unknown|unknown host|(?:domain|host) (?:\S+ )?(?:does not|doesn't) exist|no such domain|domain (?:name )?not found|unrout(?:e)?able (?:address|mail domain)|name or service not known|domain is not reachable|(?:recipient )?domain must exist|mail domain mentioned in email address is unknown|couldn't find any host named|unknown domain|invalid domain\b|nxdomain|nonexistent domain|dns lookup failure: host \S+ not found|553 [a-z0-9-]+(?:\.[a-z0-9-]+)+ does not exist/, notStages: ['mail', 'ehlo', 'greeting'], source: 'RFC 3463 X.1.2 "Bad destination system address", X.4.4 "Unable to route"; Postfix "Host or domain name not found", Exim "Unrouteable address", qmail "Sorry, I couldn\'t find any host named"; Sisimai::Reason::HostUnknown' },
  { id: 'status-hostunknown', reason: 'hostunknown', enhanced: ['x.1.2', '5.4.4'], source: 'RFC 3463 X.1.2 "Bad destination system address", 5.4.4 "Unable to route"' },
  // Virus before spam: "Virus Detected; Content Rejected" is a virus.
  // A reply that names its verdict in so many words ("Recipient address rejected: Spam detected",
  // "… Virus detected", Postfix access(5) REJECT texts) says what it is at any stage; the wider rows
  // below only count after DATA, where content can have been read (Sisimai::Reason::SpamDetected).
  { id: 'virus-detected-named', reason: 'virusdetected', text: /\bvirus detected\b/, source: 'Postfix access(5) "REJECT Virus detected" at RCPT; Sisimai::Reason::VirusDetected' },
  { id: 'spam-detected-named', reason: 'spamdetected', text: /\bspam detected\b/, source: 'Postfix access(5) "REJECT Spam detected" at RCPT; Sisimai::Reason::SpamDetected' },
  { id: 'virusdetected', reason: 'virusdetected', text: /virus (?:detected|found|infected)|\bvirus:|infected with (?:a )?virus|contains? (?:a )?virus|\bmalware\b|potentially executable attachment|used by recent viruses|prohibited virus|virusdetected/, notStages: ['connect', 'greeting', 'ehlo', 'mail', 'rcpt'], source: 'Amavis "554 5.7.0 Reject, id=… - VIRUS: …", ClamAV milter "Virus detected"; Sisimai::Reason::VirusDetected' },
  { id: 'spamdetected', reason: 'spamdetected', text: /\bspam\b|unsolicited|\bbulk (?:e-?)?mail|junk mail|probable spam|scored as spam|classified as spam|detected as spam|spam score|spam-like|mass mailer|spambouncer|rejecting (?:banned|mail) content|high probability of spam|reject bulk\.advertising|anti-?spam|message filtered|spamdetected/, notStages: ['connect', 'greeting', 'ehlo', 'mail', 'rcpt'], source: 'SpamAssassin / Amavis / Rspamd rejections ("Message rejected as spam", "554 5.7.0 Reject, id=… - SPAM"), Exim "The mail server detected your message as spam"; Sisimai::Reason::SpamDetected' },
  // A 5.6.x status with wording no row above claimed is about the content.
  { id: 'enhanced-content', reason: 'contenterror', enhanced: ['x.6'], source: 'RFC 3463 X.6.x "Message content or media status"; Sisimai::Reason::anotherone (X.6 → contenterror)' },
  { id: 'content-filter', reason: 'spamdetected', text: /content (?:filter )?reject|message content rejected|content filter|rejected because of unacceptable content/, notStages: ['connect', 'greeting', 'ehlo', 'mail', 'rcpt'], source: 'content-filter rejections ("Message content rejected, UBE"); Sisimai::Reason::SpamDetected' },
  { id: 'policyviolation', reason: 'policyviolation', text: /polic(?:y|ies) (?:violation|reasons?|restriction)|violat(?:es|ion of) (?:our |local |the )?polic|denied by policy|local policy|organizational settings|organization(?:al)? policy|rejected by (?:a )?(?:mail flow|transport) rule|protocol violation|header error|(?:prohibited|forbidden|illegal|blocked) attachment|attachment (?:extension |type )?(?:is )?(?:forbidden|not allowed|prohibited)|not accepting mail with |we do not accept messages containing|closed mailing list|members-only list|message given low priority|email rejected due to security policies|x-dg-ref header is too long|\bbanned\b:|policyviolation/, source: 'Sisimai::Reason::PolicyViolation ("Email not accepted for policy reasons", "Local Policy Violation", "Denied by policy"); Exchange mail flow rules (5.7.900-999)' },
  { id: 'toomanyconn-recipients', reason: 'toomanyconn', text: /too many recipients/, source: 'RFC 3463 X.5.3 "Too many recipients"; Postfix 452 4.5.3 "Error: too many recipients" (split the message; not a rate limit)' },
  { id: 'toomanyconn', reason: 'toomanyconn', rateLimited: true, text: /too many (?:concurrent |simultaneous |open )?(?:smtp )?(?:connections|sessions)|connection rate limit|(?:connection|connections) limit (?:exceeded|reached)|maximum (?:number of )?(?:concurrent )?connections|exceeds per-domain connection limit|too many errors from your ip|message threshold exceeded|requested action aborted: try again later/, source: 'Postfix anvil "421 4.7.0 Error: too many connections from x", Sendmail "421 4.3.2 Connection rate limit exceeded", "Too many open connections", Exchange "4.3.2 The maximum number of concurrent server connections has exceeded a limit"; Sisimai::Reason::TooManyConn' },
  { id: 'status-toomanyconn', reason: 'toomanyconn', enhanced: ['x.5.3'], source: 'RFC 3463 X.5.3 "Too many recipients"' },
  { id: 'speeding', reason: 'speeding', rateLimited: true, text: /rate limit(?:ed|ing)?\b|try again slower|sending (?:too fast|too many messages)|too (?:much|many) (?:mail|messages|e-?mails) (?:from|in)|(?:daily|hourly) (?:sending |message |user |outbound )?(?:quota|limit) (?:exceeded|reached)|exceeded the max emails per hour|has exceeded the max emails per hour|throttl|slow down|excessive volume|mail flood|too many messages|exceeded (?:the )?(?:message|sending) rate/, source: 'Postfix anvil "450 4.7.1 Error: too much mail from x", Postfix policy "Please try again slower", RFC 5248 X.7.28 "Mail flood detected"; Sisimai::Reason::Speeding' },
  { id: 'badreputation', reason: 'badreputation', text: /(?:poor|low|bad) (?:e-?mail |ip |sender |sending )?reputation|none\/bad reputation|reputation (?:problem|score is too low)|ip\/domain reputation problems/, source: 'Sisimai::Reason::BadReputation ("a poor email reputation score", t-online.de "none/bad reputation")' },
  // Refusals of the client host that name why.
  { id: 'blocked', reason: 'blocked', text: /refused to talk to me|helo command rejected|(?:invalid|bad) (?:helo|ehlo)|go away|you are not allowed to connect|(?:dynamic|dial-?up)(?:\/zombied)? ips?\b|hosts with dynamic ip|blocked for abuse|please use the smtp server of your isp|may not be mail exchanger|invalid ip for sending mail|esmtp not accepting (?:connections|messages)|service not available, closing transmission channel|you are sending spam|extreme bad ip profile|spams from your ip|suspected (?:spam ip|bounce attacks)|your (?:network|server) is (?:temporar\w+ )?(?:black|block)listed|confirm this mail server|server requires confirmation|access from ip address \S+ blocked|rejecting open proxy|\(\S+@\S+:blocked\)|not (?:currently )?accepting (?:mail|connections|messages) from (?:your )?(?:ip|host|server)/, source: 'Postfix "Helo command rejected: need fully-qualified hostname", "refused to talk to me", Sendmail "Rejecting open proxy", free.fr "Too many spams from your IP", mail.ru "We do not accept mail from dynamic IPs"; Sisimai::Reason::Blocked' },
  // Generic refusals of the client host (weak: at MAIL FROM they are about the sender).
  { id: 'blocked-generic', reason: 'blocked', text: /client host (?:\S+ )?(?:rejected|blocked|refused)|(?:ip|ip address|host|client|server|network|your ip) (?:\S+ )?(?:is |has been |was |are )?(?:blocked|banned|not allowed)|access denied|was blocked by|after initial connection|service refused|connection denied/, weak: true, source: 'Postfix "Client host rejected: Access denied", Exim "SMTP error from remote mail server after initial connection"; Sisimai::Reason::Blocked' },
  { id: 'securityerror', reason: 'securityerror', text: /authentication (?:required|failed|failure|credentials invalid|is required|turned on)|unauthenticated senders not allowed|must (?:issue a )?starttls|starttls (?:is )?required|(?:tls|encryption) (?:is )?required|requires? (?:encryption|tls)|tls required but not supported|certificate (?:verif|expired|invalid|not trusted)|not authorized to (?:send|perform)|you don't authenticate|codes? d'? ?authentification invalide|authentification requise|account not subscribed to ses|executable files are not allowed in compressed files/, source: 'RFC 3463 X.7.x security status; RFC 4954 X.7.8 "Authentication credentials invalid"; RFC 3207 "530 5.7.0 Must issue a STARTTLS command first"; Sisimai::Reason::SecurityError' },
  { id: 'contenterror', reason: 'contenterror', text: /8-?bit data in (?:the )?message header|invalid (?:mime|characters|message content)|mime complexity|improperly-formatted|unnecessary base64|headers? (?:are )?too (?:large|long|many)|header size exceeds|too many received|bare (?:lf|line ?feed)|message header size, or recipient list|\bmedia error\b|duplicate header|message (?:is )?malformed|mail message is malformed/, source: 'RFC 3463 X.6.x; Sendmail "improper use of 8-bit data in message header", Exchange 5.6.11 "invalid characters" (bare line feeds); Sisimai::Reason::ContentError' },
  { id: 'systemfull', reason: 'systemfull', text: /mail system full|insufficient (?:system )?(?:storage|disk space|system resources)|(?:disk|queue) (?:is )?full|out of disk|no space left on device/, source: 'RFC 3463 X.3.1 "Mail system full"; Postfix 452 4.3.1 "Insufficient system storage", Sendmail 452 4.4.5 "Insufficient disk space; try again later"; Sisimai::Reason::SystemFull' },
  { id: 'systemerror', reason: 'systemerror', text: /temporary (?:local |server )?(?:problem|error)|local error in processing|internal (?:server |system )?error|(?:local |mail system |server |system )config(?:uration)? error|misconfigured|loops back to myself|aliasing\/forwarding loop|it would create a mail loop|loop was found in the mail exchanger|queue file write error|service currently unavailable|server busy|insufficient permission|\bldap\b|transaction failed|operation now in progress|interrupted system call|could not load drd|timeout waiting for input|duplicated message-id|can't create user output file|it encountered an error while being processed|pfa agent busy|unable to process (?:connection|command|an email) at this time/, source: 'RFC 3463 X.3.0 / X.3.5 / X.4.3; Exim "Temporary local problem - please try later", Postfix "451 4.3.0 Error: queue file write error", Sendmail "Local configuration error"; Sisimai::Reason::SystemError' },
  { id: 'mailererror', reason: 'mailererror', text: /pipe to \||\/procmail|\bprocmail:|\/maildrop|command (?:failed|died with status|output)|mailer error|x-unix;|operating system error/, source: 'Sendmail/Exim local delivery agent failures ("pipe to |…", "X-Unix; 255"); Sisimai::Reason::MailerError' },
  { id: 'expired-timeout', reason: 'expired', text: /(?:connection|operation|connect) timed out|timed out (?:while|during|after)|timeout - closing connection|no answer from host|failed to connect\. winsock error code: 10060/, source: 'Sisimai::Reason::Expired ("connection timed out"): a timeout reported in a DSN or log is the last error of a delivery that kept failing; RFC 3463 X.4.1 "No answer from host", X.4.7 "Delivery time expired"' },
  { id: 'status-expired', reason: 'expired', enhanced: ['x.4.7'], source: 'RFC 3463 X.4.7 "Delivery time expired": the status names the verdict; the text is the last error seen (Sisimai::SMTP::Status)' },
  { id: 'networkerror', reason: 'networkerror', text: /host (?:is )?unreachable|no route to host|network (?:is )?unreachable|connection (?:refused|timed out|reset|dropped|closed)|lost connection|(?:could not|couldn't|unable to|failed to|wasn't able to) (?:connect|establish an smtp connection)|host not reachable|hop count exceeded|too many hops|mail(?:ing)? loop|routing loop|message looping|forwarding loop|unable to resolve route|unrouteable mail domain|dns records for the destination computer could not be found|tls handshake|remote protocol error/, source: 'RFC 3463 X.4.x network and routing status; Postfix "connect to x: Connection refused", "lost connection with x while …"; Sisimai::Reason::NetworkError' },
  { id: 'expired', reason: 'expired', text: /retry timeout exceeded|giving up|(?:has|have) been delayed|delivery (?:has been )?delayed|will be retried|message (?:has )?expired|envelope expired|(?:in the )?queue (?:too long|expired)|delivery time expired|failing for a long time|could not be delivered (?:within|for more than)|not delivered within|unable to deliver (?:this )?message after|after multiple retries|retry time not reached|not reachable within the allowed queue period|could not deliver for the last|message timed out|delivery attempts will continue|cannot send message for \d+ days?|still undelivered after|was not delivered within/, notStages: ['greeting', 'ehlo', 'mail', 'rcpt', 'data'], source: 'RFC 3463 X.4.7 "Delivery time expired"; Exim "retry timeout exceeded", Postfix "delivery temporarily suspended … message has been in the queue too long", qmail "I\'m not going to try again; this message has been in the queue too long"; Sisimai::Reason::Expired' },
  { id: 'syntaxerror', reason: 'syntaxerror', text: /syntax error|command (?:not recognized|unrecognized|not implemented)|unrecognized command|command parameter not implemented|bad sequence of commands|invalid command|line too long|malformed address/, source: 'RFC 5321 §4.2.2 500-504; RFC 3463 X.5.2 "Syntax error"; Sisimai::Reason::SyntaxError' },
  { id: 'no-valid-recipients', reason: 'userunknown', text: /no valid recipients/, source: 'Postfix "554 5.5.1 Error: no valid recipients" (every RCPT was refused), Verizon "Error: No valid recipients for this MM": last, since it often trails the reply that says why' },
  { id: 'onhold-text', reason: 'onhold', text: /\bon hold\b/, source: 'A receiver that holds the message without a verdict; Sisimai::Reason::OnHold' },
] as const satisfies readonly ReplyPattern[];

/** Every row, in the order classify() tries them. */
export const REPLY_PATTERNS: readonly ReplyPattern[] = [...PROVIDER_PATTERNS, ...TEXT_PATTERNS];

/**
 * The enhanced status code alone → reason, when no row matched the text. Keys are "subject.detail"
 * (either class) unless a class-specific "class.subject.detail" key exists. Meanings are RFC 3463 /
 * RFC 5248 (see ../smtp/enhanced-codes.ts); the mapping to reasons follows Sisimai::SMTP::Status,
 * except where noted.
 */
export const ENHANCED_REASONS: Readonly<Record<string, BounceReason>> = {
  '1.0': 'userunknown',
  '1.1': 'userunknown',
  '1.2': 'hostunknown',
  '1.3': 'userunknown',
  '1.4': 'filtered',
  '1.6': 'hasmoved',
  '1.7': 'rejected',
  '1.8': 'rejected',
  '1.9': 'systemerror',
  // RFC 7505 registers X.1.10 as "recipient address has a null MX", but Microsoft 365 answers every
  // unknown recipient with 5.1.10 (RESOLVER.ADR.RecipientNotFound): either way it is the recipient's.
  '1.10': 'userunknown',
  '2.0': 'filtered',
  // RFC 3463: "mailbox disabled, not accepting messages" (Sisimai names 5.2.1 filtered; Gmail and
  // Yahoo use it for disabled accounts, so the RFC meaning is kept).
  '2.1': 'suspend',
  '2.2': 'mailboxfull',
  '2.3': 'exceedlimit',
  '2.4': 'filtered',
  '3.0': 'systemerror',
  '3.1': 'systemfull',
  '3.2': 'notaccept',
  '3.3': 'systemerror',
  '3.4': 'mesgtoobig',
  '3.5': 'systemerror',
  '4.0': 'networkerror',
  '4.1': 'expired',
  '4.2': 'networkerror',
  '4.3': 'systemerror',
  '4.4': 'hostunknown',
  '4.5': 'systemfull',
  '4.6': 'networkerror',
  '4.7': 'expired',
  '4.8': 'networkerror',
  '5.2': 'syntaxerror',
  '5.3': 'toomanyconn',
  '5.4': 'syntaxerror',
  '5.5': 'systemerror',
  '5.6': 'syntaxerror',
  '7.0': 'securityerror',
  // Sisimai: 4.7.1 is blocked (a temporary refusal of the client), 5.7.1 securityerror.
  '4.7.1': 'blocked',
  '4.7.2': 'blocked',
  '7.1': 'securityerror',
  '7.2': 'securityerror',
  '7.3': 'securityerror',
  '7.4': 'securityerror',
  '7.5': 'securityerror',
  '7.6': 'securityerror',
  '7.7': 'securityerror',
  '7.8': 'securityerror',
  '7.9': 'securityerror',
  '7.10': 'securityerror',
  '7.11': 'securityerror',
  '7.12': 'securityerror',
  '7.13': 'suspend',
  '7.14': 'securityerror',
  '7.15': 'securityerror',
  '7.16': 'mesgtoobig',
  '7.17': 'hasmoved',
  '7.18': 'hasmoved',
  '7.19': 'securityerror',
  '7.20': 'authfailure',
  '7.21': 'authfailure',
  '7.22': 'authfailure',
  '7.23': 'authfailure',
  '7.24': 'authfailure',
  '7.25': 'requireptr',
  '7.26': 'authfailure',
  // RFC 7505 §4.2: X.7.27 is the *sender's* null MX (Sisimai names it notaccept).
  '7.27': 'rejected',
  '7.28': 'speeding',
  '7.29': 'authfailure',
  '7.30': 'securityerror',
};

/** Codes whose bare enhanced code is a rate limit (back off the destination). */
export const RATE_LIMIT_ENHANCED: ReadonlySet<string> = new Set(['7.28']);

/**
 * Where in the transaction a DSN or log text says the reply came, when the caller did not say.
 * Postfix "(in reply to RCPT TO command)", Exim "SMTP error from remote mail server after RCPT TO:",
 * qmail "does not like recipient" / "sender was rejected" / "my name was rejected", Yahoo "[RCPT_TO]".
 */
export const STAGE_HINTS: readonly { readonly stage: SmtpStage; readonly text: RegExp; readonly source: string }[] = [
  { stage: 'rcpt', text: /in reply to rcpt to|after rcpt to|does not like recipient|\[rcpt_to\]|rcpt to response|did not like our rcpt to|\bsmtp:rcpt host\b/, source: 'Postfix smtp(8) "(in reply to RCPT TO command)", Exim "after RCPT TO:", qmail-remote "does not like recipient", DragonFly "did not like our RCPT TO", "Technical details: SMTP:RCPT host …" (Sisimai::Lhost::X3)' },
  { stage: 'mail', text: /in reply to mail from|after mail from|sender was rejected|\[mail_from\]|did not like our mail from/, source: 'Postfix "(in reply to MAIL FROM command)", Exim "after MAIL FROM:", qmail-remote "Connected to x but sender was rejected"' },
  { stage: 'data', text: /in reply to (?:end of )?data|after (?:end of )?data|end of data command|failed after i sent the message|did not like our (?:final )?data|for text command/, source: 'Postfix "(in reply to end of DATA command)", Exim "after end of data", qmail-remote "failed after I sent the message"' },
  { stage: 'ehlo', text: /in reply to (?:ehlo|helo|lhlo) command|after (?:ehlo|helo)\b|my name was rejected|did not like our (?:ehlo|helo)/, source: 'Postfix "(in reply to EHLO command)", Exim "after EHLO", qmail-remote "Connected to x but my name was rejected"' },
  { stage: 'greeting', text: /refused to talk to me|after initial connection|initial (?:server )?greeting|greeting failed/, source: 'Postfix "host x refused to talk to me", Exim "SMTP error from remote mail server after initial connection", qmail-remote "Connected to x but greeting failed"' },
  { stage: 'starttls', text: /in reply to starttls|after starttls/, source: 'Postfix "(in reply to STARTTLS command)"' },
  { stage: 'auth', text: /in reply to auth|after auth\b/, source: 'Postfix "(in reply to AUTH command)"' },
];

/**
 * Blocklists a reply can name. The zone (or list) is the first capture group, or `name` when the
 * list is known by a fixed name. Order: a DNS zone spelled out, then lists named by word or URL,
 * then providers' own list codes.
 */
export interface BlocklistPattern {
  readonly id: string;
  readonly text: RegExp;
  /** The list's name when the reply names it by a fixed word; else the first capture group is the name. */
  readonly name?: string;
  /** Put before the captured name ("Spamhaus " + "XBL"). */
  readonly prefix?: string;
  /** Codes are shown upper-case as their owners write them ("S3150", "TSS04"). */
  readonly upper?: boolean;
  readonly source: string;
}

export const BLOCKLIST_PATTERNS: readonly BlocklistPattern[] = [
  { id: 'zone-blocked-using', text: /blocked using ([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+)/, source: 'Postfix reject_rbl_client: "Client host [x] blocked using zen.spamhaus.org"' },
  { id: 'zone-listed-at', text: /(?<!not )(?:listed|found) (?:at|in|on|by) (?:the )?([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,})(?![a-z0-9.-]*@)/, source: 'Sendmail FEATURE(dnsbl): "Rejected: x listed at zen.spamhaus.org", SpamCop "listed in bl.spamcop.net"' },
  { id: 'zone-black-list-at', text: /in (?:a|an|the) (?:\S+ )?(?:black|block) ?list at ([a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+)/, source: 'Exim dnslists: "rejected because x is in a black list at zen.spamhaus.org"' },
  { id: 'spamhaus-zone', text: /spamhaus['’]?s? ?(zen|sbl-xbl|sbl|xbl|pbl|dbl|css|drop)\b/, prefix: 'Spamhaus ', upper: true, source: 'Spamhaus lists named in replies ("on Spamhaus XBL", "listing in Spamhaus SBL")' },
  { id: 'spamhaus', text: /spamhaus/, name: 'Spamhaus', source: 'Spamhaus (spamhaus.org): "Connections will not be accepted … because the ip is in Spamhaus\'s list", "https://www.spamhaus.org/query/ip/…"' },
  { id: 'spamcop', text: /spamcop/, name: 'SpamCop', source: 'SpamCop blocking list (www.spamcop.net/bl.shtml)' },
  { id: 'barracuda', text: /barracudacentral|barracuda reputation/, name: 'Barracuda', source: 'Barracuda Reputation Block List (barracudacentral.org)' },
  { id: 'sorbs', text: /\bsorbs\b/, name: 'SORBS', source: 'SORBS DNSbl' },
  { id: 'uceprotect', text: /uceprotect/, name: 'UCEPROTECT', source: 'UCEPROTECT Network' },
  { id: 'cbl', text: /abuseat\.org|\bcbl\b/, name: 'CBL', source: 'Composite Blocking List (abuseat.org, now part of Spamhaus XBL)' },
  { id: 'proofpoint', text: /proofpoint\.com\/dnsbl|ipcheck\.proofpoint\.com/, name: 'Proofpoint', source: 'Proofpoint dnsbl lookup (support.proofpoint.com/dnsbl-lookup.cgi), used by iCloud' },
  { id: 'cloudmark', text: /cloudmark/, name: 'Cloudmark CSI', source: 'Cloudmark Sender Intelligence (named in Cox and Spectrum codes)' },
  { id: 'uribl', text: /\buribl\b/, name: 'URIBL', source: 'URIBL (uribl.com): "Blacklisted URL in message … See http://lookup.uribl.com"' },
  { id: 'surbl', text: /\bsurbl\b/, name: 'SURBL', source: 'SURBL (surbl.org)' },
  { id: 'outlook-s-code', text: /\((s3\d{3})\)/, upper: true, source: 'Outlook.com block-list codes (S3150, S3140 …) in "… part of their network is on our block list (S3150)"' },
  { id: 'outlook-legacy-code', text: /\b((?:sc|dy|ou)-00\d)\b/, upper: true, source: 'Outlook.com legacy block codes SC-001…SC-004, DY-001, DY-002, OU-001, OU-002' },
  { id: 'microsoft-banned-ip', text: /(5\.7\.6[0-4]\d) access denied, banned sending ip/, prefix: 'Microsoft ', source: 'Microsoft 365 5.7.606-649 "Access denied, banned sending IP" (Microsoft\'s own list; delist at sender.office.com)' },
  { id: 'microsoft-banned-ip-bare', text: /access denied, banned sending ip/, name: 'Microsoft banned senders list', source: 'Microsoft 365 "Access denied, banned sending IP"' },
  { id: 'yahoo-code', text: /\[((?:tss|ts|bl)\d\d)\]/, upper: true, source: 'Yahoo Sender Hub codes [TSS04], [TSS09], [TSS11], [BL21], [BL23]' },
  { id: 'cox-code', text: /aup#(cxbl|cdrbl|ipbl\d+)\b/, upper: true, source: 'Cox AUP#CXBL / CDRBL / IPBLnnnn' },
  { id: 'comcast-code', text: /\b(bl0000\d\d)\b/, upper: true, source: 'Comcast BL000000-BL000020' },
];
