/**
 * The reply classifier as a data table of real-world replies: what providers and MTAs answer,
 * each with where the wording comes from, and the verdict the delivery engine acts on.
 *
 * Unless a row says otherwise: a 5xx is hard, not retried, not suppressed; a 4xx is retried, not
 * hard, not suppressed; blocklist, rateLimited, greylisted, retryAfterMs and soft are absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blocklistNamed, classify, isRecipientReason, REASON_IS_RECIPIENT, requiredLiterals, retryAfterMs } from '../../../src/core/delivery/classify.js';
import { readFileSync } from 'node:fs';
import { BOUNCE_REASONS, type BounceReason, type Classification, type ClassifyInput, type SmtpStage } from '../../../src/core/delivery/classification.js';
import { BLOCKLIST_PATTERNS, REPLY_PATTERNS, STAGE_HINTS } from '../../../src/core/delivery/reply-patterns.js';

type Want = Partial<Omit<Classification, 'rule'>> & { reason: BounceReason };
interface Case {
  readonly source: string;
  readonly input: ClassifyInput;
  readonly want: Want;
}

function reply(code: number | undefined, enhanced: string | undefined, text: string, want: Want, source: string, stage?: SmtpStage): Case {
  const input: ClassifyInput = { text };
  if (code !== undefined) input.code = code;
  if (enhanced !== undefined) input.enhanced = enhanced;
  if (stage !== undefined) input.stage = stage;
  return { source, input, want };
}

const SUPPRESS = { suppress: true } as const;
const RATE = { rateLimited: true } as const;

const GMAIL = 'Gmail SMTP errors (support.google.com/a/answer/3726730)';
const MS = 'Exchange Online NDRs (learn.microsoft.com)';
const OUTLOOK = 'Outlook.com troubleshooting codes';
const YAHOO = 'Yahoo Sender Hub SMTP error codes';
const APPLE = 'Apple iCloud postmaster (support.apple.com/en-us/102322)';
const POSTFIX = 'Postfix (postfix.org access(5), postconf(5), postscreen(8))';
const EXIM = 'Exim specification (ACLs, verify, dnslists)';
const SENDMAIL = 'Sendmail (cf/README, srvrsmtp.c, FEATURE(dnsbl))';
const EXCHANGE = 'Exchange Server NDR reference (learn.microsoft.com)';
const MIMECAST = 'Mimecast SMTP error codes (community.mimecast.com)';
const SISIMAI = 'Sisimai set-of-emails test data';

const CASES: readonly Case[] = [
  // ---- 2xx --------------------------------------------------------------------------------------
  reply(250, '2.0.0', 'Ok: queued as 4F1A21C2E3', { reason: 'delivered', hard: false, retry: false }, POSTFIX),
  reply(250, '2.0.0', 'OK  1700000000 a1-20020a170902b08100b001c9b2a3c4e5si123456plb.200 - gsmtp', { reason: 'delivered', hard: false, retry: false }, GMAIL),
  reply(250, '2.6.0', '<CAF=abc@mail.example.com> [InternalId=123456789, Hostname=AM0PR01MB1234.eurprd01.prod.exchangelabs.com] Queued mail for delivery', { reason: 'delivered', hard: false, retry: false }, MS),
  reply(undefined, '2.1.5', 'smtp; 250 2.1.5 OK', { reason: 'delivered', hard: false, retry: false }, 'RFC 3464 DSN Action: delivered'),

  // ---- Gmail ------------------------------------------------------------------------------------
  reply(550, '5.1.1', "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser 41be03b00d2f7-5e8ff2f1c4csi1234567a12.123 - gsmtp", { reason: 'userunknown', ...SUPPRESS }, GMAIL),
  reply(550, '5.2.1', 'The email account that you tried to reach is disabled. For more information, go to https://support.google.com/mail/?p=DisabledUser', { reason: 'suspend', ...SUPPRESS }, GMAIL),
  reply(550, '5.2.1', 'The email account that you tried to reach is inactive. For more information, go to https://support.google.com/mail/?p=DisabledUser', { reason: 'suspend', ...SUPPRESS }, GMAIL),
  reply(550, '5.2.1', 'The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. For more information, go to https://support.google.com/mail/?p=ReceivingRatePerm', { reason: 'speeding' }, `${GMAIL}: 5.2.1 is not always "disabled"`),
  reply(450, '4.2.1', 'The user you are trying to contact is receiving mail too quickly. Please resend your message at a later time. If the user is able to receive mail at that time, your message will be delivered.', { reason: 'speeding' }, GMAIL),
  reply(450, '4.2.1', 'Peak SMTP relay limit exceeded for customer. This is a temporary error. For more information on SMTP relay limits, please contact your administrator.', { reason: 'speeding', ...RATE }, GMAIL),
  reply(452, '4.2.2', 'The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp', { reason: 'mailboxfull' }, GMAIL),
  reply(552, '5.2.2', "The recipient's inbox is out of storage space and inactive. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaPerm", { reason: 'mailboxfull', hard: false, soft: true }, GMAIL),
  reply(553, '5.1.2', "We weren't able to find the recipient domain. Please check for any spelling errors, and make sure you didn't enter any spaces, periods, or other punctuation after the recipient's email address.", { reason: 'hostunknown', ...SUPPRESS }, GMAIL),
  reply(421, '4.7.28', 'Gmail has detected an unusual rate of mail originating from your IP address 192.0.2.25. To protect our users from spam, mail has been temporarily rate limited. https://support.google.com/mail/?p=UnsolicitedRateLimitError', { reason: 'blocked', ...RATE }, GMAIL),
  reply(550, '5.7.28', 'There is an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked.', { reason: 'blocked', ...RATE }, GMAIL),
  reply(421, '4.7.0', 'This message is suspicious due to the very low reputation of the sending IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. https://support.google.com/mail/answer/188131', { reason: 'badreputation', ...RATE }, GMAIL),
  reply(550, '5.7.1', 'Our system has detected that this message is likely suspicious due to the very low reputation of the sending domain. To best protect our users from spam, the message has been blocked.', { reason: 'badreputation', ...RATE }, GMAIL),
  reply(550, '5.7.1', 'Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. https://support.google.com/mail/?p=UnsolicitedMessageError', { reason: 'spamdetected' }, GMAIL),
  reply(550, '5.7.26', "Unauthenticated email from example.com is not accepted due to domain's DMARC policy. Please contact the administrator of example.com domain if this was a legitimate mail.", { reason: 'authfailure' }, GMAIL),
  reply(550, '5.7.26', 'This message does not have authentication information or fails to pass authentication checks (SPF or DKIM). To best protect our users from spam, the message has been blocked.', { reason: 'authfailure' }, GMAIL),
  reply(421, '4.7.26', 'This mail has been rate limited because it is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.', { reason: 'authfailure', ...RATE }, GMAIL),
  reply(550, '5.7.25', 'The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP. As a policy, Gmail does not accept messages from IPs with missing PTR records.', { reason: 'requireptr' }, GMAIL),
  reply(550, '5.7.1', 'This message is not RFC 5322 compliant. There are multiple Subject headers. To reduce the amount of spam sent to Gmail, this message has been blocked. Please visit https://support.google.com/mail/?p=RfcMessageNonCompliant', { reason: 'notcompliantrfc' }, GMAIL),
  reply(550, '5.7.1', 'Messages missing a valid Message-ID header are not accepted.', { reason: 'notcompliantrfc' }, GMAIL),
  reply(552, '5.7.0', 'This message was blocked because its content presents a potential security issue. Please visit https://support.google.com/mail/?p=BlockedMessage to review our message content and attachment content guidelines.', { reason: 'policyviolation' }, GMAIL),
  reply(552, '5.3.4', "Your message exceeded Google's message size limits. Please visit https://support.google.com/mail/?p=MaxSizeError to view our size guidelines.", { reason: 'mesgtoobig' }, GMAIL),
  reply(550, '5.7.1', 'The user or domain that you are sending to (or from) has a policy that prohibited the mail that you sent. Please contact your domain administrator for further details.', { reason: 'policyviolation' }, GMAIL),
  reply(550, '5.4.5', 'Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852', { reason: 'speeding', ...RATE }, GMAIL),
  reply(530, '5.7.0', 'Must issue a STARTTLS command first.', { reason: 'securityerror' }, GMAIL, 'mail'),
  reply(535, '5.7.8', 'Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials', { reason: 'securityerror' }, GMAIL, 'auth'),
  reply(421, '4.3.0', 'Temporary System Problem.  Try again later (10).', { reason: 'systemerror' }, GMAIL),
  reply(452, '4.5.3', 'Your message has too many recipients. For more information regarding Google\'s sending limits, go to https://support.google.com/mail/?p=TooManyRecipientsError', { reason: 'toomanyconn' }, GMAIL),
  reply(501, '5.5.4', 'HELO/EHLO argument is invalid. For more information, go to https://support.google.com/mail/?p=helo', { reason: 'blocked' }, GMAIL, 'ehlo'),
  reply(554, '5.6.0', 'Message exceeded 50 hops, this may indicate a mail loop. For more information, go to https://support.google.com/mail/?p=MailLoop', { reason: 'networkerror' }, GMAIL),
  reply(421, '4.7.0', 'IP not in whitelist for RCPT domain, closing connection.', { reason: 'blocked' }, GMAIL),

  // ---- Microsoft 365 / Exchange Online / Outlook.com ------------------------------------------
  reply(550, '5.1.10', 'RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup', { reason: 'userunknown', ...SUPPRESS }, `${MS}: unknown user as 5.1.10`),
  reply(550, '5.5.0', 'Requested action not taken: mailbox unavailable. [BN8NAM11FT066.eop-nam11.prod.protection.outlook.com 2024-05-01T10:00:00.000Z 08DC0000]', { reason: 'userunknown', ...SUPPRESS }, `${MS}: unknown user as 5.5.0 (Outlook.com)`),
  reply(550, '5.4.1', 'Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]', { reason: 'userunknown', ...SUPPRESS }, `${MS}: unknown user as 5.4.1 (Directory-Based Edge Blocking)`),
  reply(550, '5.1.10', '', { reason: 'userunknown', ...SUPPRESS }, `${MS}: a bare 5.1.10`),
  reply(550, '5.1.1', 'RESOLVER.ADR.ExRecipNotFound; not found', { reason: 'userunknown', ...SUPPRESS }, EXCHANGE),
  reply(550, '5.7.606', 'Access denied, banned sending IP [192.0.2.10]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to  http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)', { reason: 'blocked', blocklist: 'Microsoft banned senders list' }, MS),
  reply(550, '5.7.1', "Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [DM6NAM12FT050.eop-nam12.prod.protection.outlook.com]", { reason: 'blocked', blocklist: 'S3150' }, OUTLOOK),
  reply(550, '5.7.1', "Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.", { reason: 'blocked', blocklist: 'S3140' }, OUTLOOK),
  reply(550, undefined, "SC-001 (BAY004-MC1F33) Unfortunately, messages from 192.0.2.10 weren't sent. Please contact your Internet service provider since part of their network is on our block list. You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.", { reason: 'blocked', blocklist: 'SC-001' }, OUTLOOK),
  reply(421, undefined, "RP-001 (BAY004-MC1F6) Unfortunately, some messages from 192.0.2.10 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day. You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors.", { reason: 'speeding', ...RATE }, OUTLOOK),
  reply(451, '4.7.650', 'The mail server [192.0.2.5] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [Name=Protocol Filter Agent][AGT=PFA][MxId=11BB6E2C8A79CC38]', { reason: 'badreputation', ...RATE }, MS),
  reply(451, '4.7.500', 'Server busy. Please try again later from [192.0.2.2]. (AS761) [MW2NAM12FT004.eop-nam12.prod.protection.outlook.com]', { reason: 'blocked', ...RATE }, MS),
  reply(550, '5.7.509', 'Access denied, sending domain [EXAMPLE.COM] does not pass DMARC verification and has a DMARC policy of reject.', { reason: 'authfailure' }, MS),
  reply(550, '5.7.708', 'Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653', { reason: 'speeding', ...RATE }, MS),
  reply(550, '5.7.1', 'RESOLVER.RST.NotAuthorized; not authorized', { reason: 'filtered' }, EXCHANGE),
  reply(550, '5.7.1', 'Unable to relay', { reason: 'norelaying' }, EXCHANGE),
  reply(550, '5.7.57', 'Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful', { reason: 'securityerror' }, MS),
  reply(554, '5.2.2', 'mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception', { reason: 'mailboxfull', hard: false, soft: true }, EXCHANGE),
  reply(550, '5.4.5', 'Daily sending quota exceeded. For more information, go to https://support.google.com/mail/?p=SendingLimits', { reason: 'speeding', ...RATE }, GMAIL),
  reply(550, '5.2.2', 'Submission quota exceeded', { reason: 'speeding', ...RATE }, `${MS}: 5.2.2 is not always a full mailbox`),
  reply(554, '5.4.4', 'SMTPSEND.DNS.NonExistentDomain; nonexistent domain', { reason: 'hostunknown', ...SUPPRESS }, EXCHANGE),
  reply(452, '4.3.1', 'Insufficient system resources', { reason: 'systemfull' }, EXCHANGE),
  reply(421, '4.3.2', 'Service not available', { reason: 'systemerror' }, EXCHANGE),
  reply(550, '5.7.1', 'Client does not have permissions to send as this sender', { reason: 'rejected' }, EXCHANGE, 'data'),
  reply(550, '5.7.124', 'STOREDRV.Submit.Exception:... Sender not in allowed-senders list', { reason: 'rejected' }, MS),
  reply(554, undefined, 'The mail could not be delivered to the recipient because the domain is not reachable. Please check the domain and try again (-1915321397:308:-2147467259)', { reason: 'hostunknown', ...SUPPRESS }, `${SISIMAI} (lhost-outlook-03)`),

  // ---- Yahoo / AOL ------------------------------------------------------------------------------
  reply(421, '4.7.0', '[TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes', { reason: 'badreputation', ...RATE, blocklist: 'TSS04' }, YAHOO),
  reply(553, '5.7.2', '[TSS09] All messages from 192.0.2.25 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes', { reason: 'blocked', blocklist: 'TSS09' }, YAHOO),
  reply(553, '5.7.1', "[BL21] Connections will not be accepted from 192.0.2.25, because the ip is in Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html", { reason: 'blocked', blocklist: 'Spamhaus' }, YAHOO),
  reply(553, '5.7.1', '[BL23] Connections not accepted from IP addresses on Spamhaus XBL; see http://postmaster.yahoo.com/errors/550-bl23.html [550]', { reason: 'blocked', blocklist: 'Spamhaus XBL' }, YAHOO),
  reply(554, undefined, 'Message not allowed - [PH01] Email not accepted for policy reasons.  Please visit https://postmaster.yahooinc.com/error-codes', { reason: 'policyviolation' }, YAHOO),
  reply(554, undefined, "delivery error: dd This user doesn't have a yahoo.com account (nobody@yahoo.com) [0] - mta1061.mail.ne1.yahoo.com", { reason: 'userunknown', ...SUPPRESS }, YAHOO),
  reply(554, undefined, '30 Sorry, your message to nobody@aol.com cannot be delivered. This mailbox is disabled (554.30).', { reason: 'suspend', ...SUPPRESS }, `${YAHOO} (AOL)`),
  reply(552, undefined, '1 Requested mail action aborted, mailbox not found', { reason: 'userunknown', ...SUPPRESS }, YAHOO),
  reply(550, '5.7.9', 'This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.', { reason: 'authfailure' }, YAHOO),
  reply(421, undefined, 'Max message per connection reached, closing transmission channel', { reason: 'toomanyconn' }, YAHOO),
  reply(451, undefined, 'Message temporarily deferred due to unresolvable RFC.5321 from domain', { reason: 'rejected' }, YAHOO),
  reply(450, undefined, 'User is receiving mail too quickly', { reason: 'speeding' }, YAHOO),

  // ---- Apple iCloud -----------------------------------------------------------------------------
  reply(550, '5.1.1', '<nobody@icloud.com>: inactive email address', { reason: 'userunknown', ...SUPPRESS }, APPLE, 'rcpt'),
  reply(552, '5.2.2', '<full@icloud.com>: user is over quota', { reason: 'mailboxfull', hard: false, soft: true }, APPLE, 'rcpt'),
  reply(550, '5.1.6', 'recipient no longer on server: gone@icloud.com', { reason: 'hasmoved', ...SUPPRESS }, APPLE),
  reply(554, '5.7.1', '[CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137', { reason: 'policyviolation' }, APPLE),
  reply(421, '4.7.1', 'Messages to someone@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137', { reason: 'speeding' }, APPLE),
  reply(550, '5.7.0', 'Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.1', { reason: 'blocked', blocklist: 'Proofpoint' }, APPLE),
  reply(554, '5.7.1', "Your message was rejected due to example.com's DMARC policy. See https://support.apple.com/en-us/HT204137 for info", { reason: 'authfailure' }, APPLE),
  reply(550, '5.7.1', 'Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL. For details please see http://www.spamhaus.org/query/bl?ip=192.0.2.1', { reason: 'blocked', blocklist: 'Spamhaus SBL' }, APPLE),

  // ---- Postfix ----------------------------------------------------------------------------------
  reply(550, '5.1.1', '<nobody@example.com>: Recipient address rejected: User unknown in local recipient table', { reason: 'userunknown', ...SUPPRESS }, POSTFIX, 'rcpt'),
  reply(550, '5.1.1', '<nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table', { reason: 'userunknown', ...SUPPRESS }, POSTFIX, 'rcpt'),
  reply(450, '4.1.1', '<nobody@example.com>: Recipient address rejected: User unknown in local recipient table', { reason: 'userunknown' }, `${POSTFIX}: unknown_local_recipient_reject_code = 450 is never suppressed`, 'rcpt'),
  reply(554, '5.7.1', '<someone@example.org>: Relay access denied', { reason: 'norelaying' }, POSTFIX, 'rcpt'),
  reply(554, '5.7.1', 'Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1', { reason: 'blocked', blocklist: 'zen.spamhaus.org' }, POSTFIX, 'rcpt'),
  reply(554, '5.7.1', 'Service unavailable; Client host [192.0.2.1] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.1', { reason: 'blocked', blocklist: 'bl.spamcop.net' }, POSTFIX, 'rcpt'),
  reply(554, '5.7.1', 'Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.1', { reason: 'blocked', blocklist: 'b.barracudacentral.org' }, POSTFIX, 'rcpt'),
  reply(450, '4.7.1', 'Client host rejected: cannot find your hostname, [192.0.2.1]', { reason: 'requireptr' }, POSTFIX, 'rcpt'),
  reply(450, '4.7.25', 'Client host rejected: cannot find your reverse hostname, [192.0.2.1]', { reason: 'requireptr' }, POSTFIX, 'rcpt'),
  reply(504, '5.5.2', '<localhost>: Helo command rejected: need fully-qualified hostname', { reason: 'blocked' }, POSTFIX, 'rcpt'),
  reply(450, '4.1.8', '<bounce@nonexistent.example>: Sender address rejected: Domain not found', { reason: 'rejected' }, POSTFIX, 'rcpt'),
  reply(553, '5.7.1', '<ceo@example.com>: Sender address rejected: not owned by user mallory', { reason: 'rejected' }, POSTFIX, 'rcpt'),
  reply(552, '5.3.4', 'Message size exceeds fixed limit', { reason: 'mesgtoobig' }, POSTFIX, 'data'),
  reply(452, '4.3.1', 'Insufficient system storage', { reason: 'systemfull' }, POSTFIX, 'mail'),
  reply(421, '4.7.0', 'mx.example.com Error: too many connections from 192.0.2.1', { reason: 'toomanyconn', ...RATE }, `${POSTFIX} anvil`, 'greeting'),
  reply(450, '4.7.1', 'Error: too much mail from 192.0.2.1', { reason: 'speeding', ...RATE }, `${POSTFIX} smtpd_client_message_rate_limit`, 'mail'),
  reply(452, '4.5.3', 'Error: too many recipients', { reason: 'toomanyconn' }, POSTFIX, 'rcpt'),
  reply(450, '4.2.0', '<someone@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html', { reason: 'onhold', greylisted: true }, 'postgrey', 'rcpt'),
  reply(450, '4.3.2', 'Service currently unavailable', { reason: 'systemerror', greylisted: true }, `${POSTFIX} postscreen after-220 tests`, 'rcpt'),
  reply(451, '4.3.0', 'Error: queue file write error', { reason: 'systemerror' }, POSTFIX, 'data'),
  reply(550, '5.7.1', '<unknown[192.0.2.1]>: Client host rejected: Access denied', { reason: 'blocked' }, POSTFIX, 'rcpt'),
  reply(undefined, '5.1.1', 'host mx.example.jp[192.0.2.22] said: 550 5.1.1 <nobody@example.jp>... User Unknown (in reply to RCPT TO command)', { reason: 'userunknown', ...SUPPRESS }, `${POSTFIX} bounce(8) DSN text`),
  reply(undefined, '4.4.1', 'connect to mx.example.org[192.0.2.1]:25: Connection timed out', { reason: 'expired', retry: true, hard: false }, `${POSTFIX} log: dsn=4.4.1 (Sisimai names it expired)`),
  reply(undefined, '5.4.4', 'Host or domain name not found. Name service error for name=nxdomain.example type=AAAA: Host not found', { reason: 'hostunknown', ...SUPPRESS }, POSTFIX),
  reply(undefined, '4.4.3', 'Host or domain name not found. Name service error for name=example.com type=MX: Host not found, try again', { reason: 'networkerror' }, POSTFIX),
  reply(undefined, undefined, 'connect to mx.example.com[192.0.2.1]:25: Connection refused', { reason: 'networkerror', hard: false, retry: true }, `${POSTFIX} log text without a code`),

  // ---- Exim -------------------------------------------------------------------------------------
  reply(550, undefined, 'Unrouteable address', { reason: 'hostunknown', ...SUPPRESS }, EXIM, 'rcpt'),
  reply(550, undefined, 'Verification failed for <bounce@sender.example>\nUnrouteable address\nSender verify failed', { reason: 'rejected' }, EXIM, 'rcpt'),
  reply(550, undefined, 'relay not permitted', { reason: 'norelaying' }, EXIM, 'rcpt'),
  reply(550, undefined, 'Administrative prohibition', { reason: 'rejected' }, EXIM, 'rcpt'),
  reply(550, undefined, 'rejected because 192.0.2.1 is in a black list at zen.spamhaus.org\nListed by ZEN', { reason: 'blocked', blocklist: 'zen.spamhaus.org' }, EXIM, 'rcpt'),
  reply(451, undefined, 'Temporary local problem - please try later', { reason: 'systemerror' }, EXIM, 'rcpt'),
  reply(550, undefined, 'The mail server detected your message as spam and has prevented delivery.', { reason: 'spamdetected' }, 'cPanel Exim with SpamAssassin', 'data'),
  reply(550, undefined, 'No Such User Here', { reason: 'userunknown', ...SUPPRESS }, 'cPanel Exim', 'rcpt'),
  reply(undefined, undefined, 'retry timeout exceeded', { reason: 'expired', hard: false }, `${EXIM}: a message that ran out of retries`),
  reply(undefined, '5.0.0', 'SMTP error from remote mail server after RCPT TO:<kijitora@example.jp>: host mx.example.jp [192.0.2.153]: 550 5.1.1 <kijitora@example.jp>... User Unknown', { reason: 'userunknown', ...SUPPRESS }, `${SISIMAI} (lhost-exim-02)`),
  reply(undefined, undefined, 'SMTP error from remote mail server after MAIL FROM:<sironeko-nyaan@neko.example.com>: 550 5.1.7 No such domain neko.example.com.', { reason: 'rejected' }, `${SISIMAI} (lhost-exim-50): at MAIL FROM it is our address`),

  // ---- Sendmail ---------------------------------------------------------------------------------
  reply(550, '5.1.1', '<nobody@example.org>... User unknown', { reason: 'userunknown', ...SUPPRESS }, SENDMAIL, 'rcpt'),
  reply(553, '5.1.8', '<root@host.invalid>... Domain of sender address root@host.invalid does not exist', { reason: 'rejected' }, SENDMAIL, 'mail'),
  reply(550, '5.7.1', '<someone@example.org>... Relaying denied. Proper authentication required.', { reason: 'norelaying' }, SENDMAIL, 'rcpt'),
  reply(552, '5.2.2', '<full@example.org>... Mailbox full', { reason: 'mailboxfull', hard: false, soft: true }, SENDMAIL, 'rcpt'),
  reply(550, '5.7.1', 'Rejected: 192.0.2.1 listed at zen.spamhaus.org', { reason: 'blocked', blocklist: 'zen.spamhaus.org' }, `${SENDMAIL} FEATURE(dnsbl)`, 'rcpt'),
  reply(421, '4.3.2', 'Connection rate limit exceeded.', { reason: 'toomanyconn', ...RATE }, `${SENDMAIL} ratecontrol`, 'greeting'),
  reply(452, '4.4.5', 'Insufficient disk space; try again later', { reason: 'systemfull' }, SENDMAIL, 'mail'),
  reply(554, '5.7.1', 'Rejecting open proxy 192.0.2.1', { reason: 'blocked' }, SENDMAIL, 'greeting'),
  reply(550, '5.7.1', 'Fix reverse DNS for 192.0.2.1', { reason: 'requireptr' }, SENDMAIL, 'mail'),
  reply(551, '5.1.6', 'User not local; please try <someone@new.example.org>', { reason: 'hasmoved', ...SUPPRESS }, 'RFC 5321 §3.4 (551 User not local)', 'rcpt'),
  reply(550, '5.6.9', 'improper use of 8-bit data in message header', { reason: 'contenterror' }, SENDMAIL, 'data'),

  // ---- Mimecast, Proofpoint, Barracuda, Zoho, Fastmail, Comcast, GMX, Orange, QQ ------------------
  reply(550, undefined, 'Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [abc123.us123]', { reason: 'userunknown', ...SUPPRESS }, MIMECAST, 'rcpt'),
  reply(451, undefined, 'Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451', { reason: 'onhold', greylisted: true }, `${MIMECAST}: greylisting`, 'rcpt'),
  reply(554, undefined, 'Email rejected due to security policies - https://community.mimecast.com/docs/DOC-1369#554', { reason: 'virusdetected' }, MIMECAST, 'data'),
  reply(550, undefined, 'Rejected by header based Anti-Spoofing policy: someone@example.com', { reason: 'policyviolation' }, MIMECAST, 'data'),
  reply(550, undefined, 'Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550', { reason: 'rejected' }, MIMECAST, 'rcpt'),
  reply(554, undefined, 'Host network not allowed - https://community.mimecast.com/docs/DOC-1369#554', { reason: 'policyviolation' }, MIMECAST, 'rcpt'),
  reply(554, undefined, 'Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1', { reason: 'blocked', blocklist: 'Proofpoint' }, 'Proofpoint Essentials (ipcheck.proofpoint.com)', 'greeting'),
  reply(554, undefined, 'Service unavailable; Client host [192.0.2.1] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.1', { reason: 'blocked', blocklist: 'Barracuda' }, 'Barracuda Email Security Gateway', 'rcpt'),
  reply(550, undefined, 'permanent failure for one or more recipients (someone@example.com:blocked)', { reason: 'blocked' }, 'Barracuda Email Security Gateway (Sisimai::Reason::Blocked)', 'data'),
  reply(554, '5.7.7', 'Email policy violation detected', { reason: 'policyviolation' }, 'Zoho Mail SMTP error codes', 'data'),
  reply(550, '5.1.1', 'User does not exist - nobody@zoho.com', { reason: 'userunknown', ...SUPPRESS }, 'Zoho Mail SMTP error codes', 'rcpt'),
  reply(553, undefined, 'Relaying disallowed. Invalid Domain - example.org', { reason: 'norelaying' }, 'Zoho Mail SMTP error codes', 'rcpt'),
  reply(550, '5.7.1', 'Email rejected per DMARC policy for example.org', { reason: 'authfailure' }, 'Fastmail (Sisimai::Reason::AuthFailure example)', 'data'),
  reply(554, undefined, 'resimta-po-24v.sys.comcast.net resimta-po-24v.sys.comcast.net 192.0.2.1 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000010', { reason: 'blocked', blocklist: 'BL000010' }, 'Comcast postmaster SMTP error codes', 'greeting'),
  reply(551, '5.1.1', '<nobody@comcast.net> Not our Customer', { reason: 'userunknown', ...SUPPRESS }, 'Comcast postmaster SMTP error codes', 'rcpt'),
  reply(554, undefined, 'Comcast requires that all mail servers must have a PTR record with a valid Reverse DNS entry. Currently your mail server does not have a PTR record.', { reason: 'requireptr' }, 'Comcast postmaster SMTP error codes', 'greeting'),
  reply(550, undefined, 'Requested action not taken: mailbox unavailable', { reason: 'userunknown', ...SUPPRESS }, 'GMX / web.de error messages (postmaster.gmx.net)', 'rcpt'),
  reply(554, undefined, 'gmx.net (mxgmx117) Nemesis ESMTP Service not available\nNo SMTP service\nBad DNS PTR resource record.\nFor explanation visit https://postmaster.gmx.net/en/case?c=hi&i=ip&v=192.0.2.1&r=abc', { reason: 'requireptr' }, 'GMX / web.de error messages', 'greeting'),
  reply(554, undefined, 'Transaction failed\nReject due to policy restrictions.\nFor explanation visit https://postmaster.gmx.net/en/case?c=r0401&i=ip&v=192.0.2.1&r=abc', { reason: 'policyviolation' }, 'GMX / web.de error messages', 'data'),
  reply(552, undefined, 'Requested mail action aborted: exceeded storage allocation', { reason: 'mailboxfull', hard: false, soft: true }, 'RFC 5321 §4.2.2 reply 552 (web.de)', 'rcpt'),
  reply(550, undefined, 'mwinf5c04 ME Adresse IP source bloquee pour incident de spam. Client host blocked for spamming issues. OFR006_102 Ref http://csi.cloudmark.com/reset-request/?ip=192.0.2.1', { reason: 'blocked', blocklist: 'Cloudmark CSI' }, 'Orange postmaster (OFR_102)', 'greeting'),
  reply(421, undefined, 'mwinf5c77 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR_999 [999]', { reason: 'blocked' }, 'Orange postmaster (OFR_999)', 'greeting'),
  reply(550, '5.5.0', 'Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426', { reason: 'suspend', ...SUPPRESS }, 'La Poste (LPN007_426)', 'rcpt'),
  reply(552, '5.1.1', 'Boite du destinataire pleine. Recipient overquota. OFR_417 [417]', { reason: 'mailboxfull', hard: false, soft: true }, `Orange postmaster (OFR_417): the text wins over 5.1.1`, 'rcpt'),
  reply(550, '5.1.1', 'Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]', { reason: 'userunknown', ...SUPPRESS }, 'Orange postmaster (OFR_416)', 'rcpt'),
  reply(550, undefined, 'Mailbox not found. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728', { reason: 'userunknown', ...SUPPRESS }, 'Tencent QQ Mail error help', 'rcpt'),
  reply(550, undefined, 'Connection frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000722', { reason: 'toomanyconn', ...RATE }, 'Tencent QQ Mail error help', 'mail'),
  reply(550, '5.1.0', '<bounce@mailer.example.com> sender rejected. Refer to Error Codes section at https://www.cox.com/residential/support/email-error-codes.html for more information. AUP#CXBL', { reason: 'blocked', blocklist: 'CXBL' }, 'Cox email error codes', 'mail'),
  reply(550, '5.1.0', '<bounce@mailer.example.com> sender rejected. Please see https://www.spectrum.net/support/internet/understanding-email-error-codes for more information. AUP#In-1310', { reason: 'toomanyconn', ...RATE }, 'Spectrum email error codes', 'mail'),
  reply(550, '5.1.1', '<someone@example.com> - 198.51.100.225 has sent to too many recipients this hour. IB607 <http://x.co/rlbounce>', { reason: 'speeding', ...RATE }, `GoDaddy IB607: the text wins over 5.1.1`, 'rcpt'),
  reply(554, undefined, 'Message rejected: Email address is not verified. The following identities failed the check in region US-EAST-1: sender@example.com', { reason: 'norelaying' }, 'Amazon SES', 'data'),
  reply(550, '5.1.1', 'RCP-P1 http://postmaster.facebook.com/response_codes?ip=192.0.2.54#rcp Recipient address does not exist', { reason: 'userunknown', ...SUPPRESS }, 'Facebook response codes'),

  // ---- content filters, greylisting and waits --------------------------------------------------
  reply(554, '5.7.0', 'Reject, id=20025-09 - SPAM', { reason: 'spamdetected' }, 'Amavis', 'data'),
  reply(554, '5.7.0', 'Reject, id=11111-01 - VIRUS: Eicar-Signature', { reason: 'virusdetected' }, 'Amavis', 'data'),
  reply(550, undefined, 'Virus Detected; Content Rejected', { reason: 'virusdetected' }, `${SISIMAI} (lhost-postfix-62)`, 'data'),
  reply(554, '5.6.0', 'This message has been scored as spam with a probability of more than 90%', { reason: 'spamdetected' }, `${SISIMAI} (lhost-postfix-39)`, 'data'),
  reply(500, '5.6.1', 'Message content rejected', { reason: 'contenterror' }, `${SISIMAI} (lhost-receivingses-06)`, 'data'),
  reply(550, '5.7.1', 'Message rejected as spam by Content Filtering.', { reason: 'spamdetected' }, 'Exchange content filter', 'data'),
  // Sisimai v5 names a greylisting reply by its status code: 4.7.1 → blocked; X.Y.0 or none → onhold.
  reply(451, '4.7.1', 'Greylisting in action, please come back in 00:05:00', { reason: 'blocked', greylisted: true, retryAfterMs: 300_000 }, 'milter-greylist', 'rcpt'),
  reply(450, '4.7.1', '<someone@example.com>: Recipient address rejected: Greylisted for 5 minutes', { reason: 'blocked', greylisted: true, retryAfterMs: 300_000 }, 'sqlgrey', 'rcpt'),
  reply(451, undefined, 'Temporary failure, please try again later.', { reason: 'onhold', greylisted: true }, 'OpenBSD spamd(8) greylisting', 'rcpt'),
  reply(451, '4.7.1', 'Try again later', { reason: 'blocked', greylisted: true }, 'Rspamd greylist module', 'rcpt'),
  reply(451, '4.7.0', 'Greylisted, please retry', { reason: 'securityerror', greylisted: true }, 'Sisimai v5 reason/find.go anotherone: another 4.7.x is securityerror', 'rcpt'),
  reply(450, '4.2.0', 'Greylisted, please try again in 300 seconds', { reason: 'spamdetected', greylisted: true, retryAfterMs: 300_000 }, 'Sisimai v5 Reason::SpamDetected ("greylisted" … " please try again in", DATA only)', 'data'),
  reply(450, '4.2.0', 'Greylisted, please try again in 300 seconds', { reason: 'onhold', greylisted: true, retryAfterMs: 300_000 }, 'the same text before DATA: no Sisimai pattern, 4.2.0 names nothing', 'rcpt'),
  reply(450, '4.7.1', 'Client host rejected: Please try again slower', { reason: 'speeding', ...RATE }, 'Sisimai::Reason::Speeding example', 'mail'),

  // ---- stages -----------------------------------------------------------------------------------
  reply(554, '5.7.1', 'mx.example.com ESMTP not accepting messages', { reason: 'blocked' }, 'RFC 5321 §3.1: a 554 greeting refuses the client host', 'greeting'),
  reply(550, '5.1.1', 'User unknown', { reason: 'userunknown', suppress: false }, 'a recipient reason at EHLO is about the host, never suppressed', 'ehlo'),
  reply(550, '5.1.1', '<bounce@sender.example>... User unknown', { reason: 'rejected' }, 'sender verification at MAIL FROM: about our address', 'mail'),
  reply(550, undefined, 'Rejected', { reason: 'blocked' }, 'Sisimai::Reason::anotherone: a refusal at EHLO without a reason', 'ehlo'),
  reply(550, undefined, 'Unknown user someone@docomo.ne.jp', { reason: 'filtered' }, 'Sisimai::Reason::Filtered: "user unknown" after DATA is the recipient\'s filter', 'data'),
  reply(556, '5.1.10', 'Recipient address rejected: example.com has a null MX and accepts no mail (RFC 7505)', { reason: 'notaccept', ...SUPPRESS }, 'RFC 7505 §4.1 (the engine\'s synthetic null-MX reply)', 'connect'),
  reply(550, '5.1.2', 'Host or domain name not found: nxdomain.example does not exist (NXDOMAIN)', { reason: 'hostunknown', ...SUPPRESS }, 'the engine\'s synthetic NXDOMAIN reply', 'connect'),
  reply(550, undefined, 'Host does not accept mail', { reason: 'notaccept', ...SUPPRESS }, `${SISIMAI} (lhost-sendmail-57)`),

  // ---- DSN input: status and Diagnostic-Code text, no reply code --------------------------------
  reply(undefined, '5.1.1', 'smtp; 550 5.1.1 <nobody@example.com>: Recipient address rejected: User unknown in local recipient table', { reason: 'userunknown', ...SUPPRESS }, 'RFC 3464 DSN'),
  reply(undefined, '5.1.1', 'smtp; 550 5.1.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org', { reason: 'blocked', blocklist: 'zen.spamhaus.org' }, 'a named blocklist wins over 5.1.1 (Sisimai::Reason::UserUnknown prematch)'),
  reply(undefined, '5.2.2', 'smtp; 552 5.2.2 Over quota', { reason: 'mailboxfull', hard: false, soft: true }, `${SISIMAI} (lhost-x3-06)`),
  reply(undefined, '4.4.7', 'Delivery to the following recipients has been delayed.', { reason: 'expired' }, `${SISIMAI} (lhost-outlook-06)`),
  reply(undefined, '5.3.4', 'smtp; 552 5.3.4 Message too large', { reason: 'mesgtoobig' }, `${SISIMAI} (lhost-receivingses-05)`),
  reply(undefined, '5.2.3', 'smtp; 552 5.2.3 Message length exceeds limit set by recipient', { reason: 'exceedlimit' }, `${SISIMAI} (lhost-receivingses-08)`),
  reply(undefined, undefined, "Sorry, I couldn't find any host named cx.example.invalid. (#5.1.2)", { reason: 'hostunknown', ...SUPPRESS }, 'qmail-remote'),
  reply(undefined, undefined, 'Sorry, no mailbox here by that name. (#5.1.1)', { reason: 'userunknown', ...SUPPRESS }, 'qmail-local'),
  reply(undefined, undefined, "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) I'm not going to try again; this message has been in the queue too long.", { reason: 'networkerror', hard: false, retry: true }, 'qmail-remote: the 4.4.1 in the text makes it transient'),
  reply(undefined, '5.0.0', 'X-Unix; pipe to |/usr/local/bin/handler kijitora@example.com', { reason: 'mailererror' }, 'Exim pipe transport'),
  reply(undefined, '5.7.23', '', { reason: 'authfailure' }, 'RFC 7372 X.7.23 "SPF validation failed" alone'),
  reply(undefined, '5.7.1', 'smtp; 550 5.7.1 Delivery not authorized', { reason: 'securityerror' }, 'Sisimai::SMTP::Status: a bare 5.7.1 is securityerror'),
  reply(undefined, '4.7.1', 'smtp; 450 4.7.1 Delivery not authorized', { reason: 'blocked' }, 'Sisimai::SMTP::Status: 4.7.1 is blocked'),
  reply(undefined, undefined, '', { reason: 'undefined' }, 'nothing at all'),
];

// The network, before any reply.
const NETWORK_CASES: readonly Case[] = [
  { source: 'connection refused', input: { text: 'connect ECONNREFUSED 192.0.2.1:25', networkError: 'ECONNREFUSED', stage: 'connect' }, want: { reason: 'networkerror', hard: false, suppress: false, retry: true } },
  { source: 'timeout', input: { text: '', networkError: 'ETIMEDOUT', stage: 'greeting' }, want: { reason: 'networkerror', hard: false, suppress: false, retry: true } },
  { source: 'TLS handshake', input: { text: 'TLS handshake failed: certificate has expired', networkError: 'TLS', stage: 'starttls' }, want: { reason: 'networkerror', hard: false, suppress: false, retry: true } },
];

function expected(c: Case): Required<Pick<Classification, 'hard' | 'suppress' | 'retry'>> & Want {
  const code = c.input.code ?? (c.input.enhanced ? Number(c.input.enhanced[0]) * 100 : 500);
  const transient = code >= 400 && code < 500;
  const base = c.want.reason === 'delivered' ? { hard: false, suppress: false, retry: false } : transient ? { hard: false, suppress: false, retry: true } : { hard: true, suppress: false, retry: false };
  return { ...base, ...c.want };
}

test('the table holds at least 120 real-world replies', () => {
  assert.ok(CASES.length >= 120, `${CASES.length} cases`);
});

for (const [i, c] of [...CASES, ...NETWORK_CASES].entries()) {
  const label = `${i + 1}. ${c.input.code ?? ''} ${c.input.enhanced ?? ''} ${c.input.networkError ?? ''} ${c.input.text.slice(0, 60)} [${c.source}]`;
  test(label, () => {
    const got = classify(c.input);
    const want = expected(c);
    const keys = ['reason', 'hard', 'suppress', 'retry', 'blocklist', 'rateLimited', 'greylisted', 'retryAfterMs', 'soft'] as const;
    const gotView = Object.fromEntries(keys.map((k) => [k, got[k]]));
    const wantView = Object.fromEntries(keys.map((k) => [k, want[k]]));
    assert.deepEqual(gotView, wantView, `rule ${got.rule}`);
  });
}

test('blocklistNamed extracts the list a reply names', () => {
  const cases: [string, string | undefined][] = [
    ['Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1', 'zen.spamhaus.org'],
    ['Rejected: 192.0.2.1 listed at bl.spamcop.net', 'bl.spamcop.net'],
    ['rejected because 192.0.2.1 is in a black list at dnsbl.sorbs.net', 'dnsbl.sorbs.net'],
    ["Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list", 'Spamhaus'],
    ['… part of their network is on our block list (S3150).', 'S3150'],
    ['421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred', 'TSS04'],
    ['IP 192.0.2.1 listed in Spamhaus PBL', 'Spamhaus PBL'],
    ['Your sender\'s IP address is listed at cbl.abuseat.org', 'cbl.abuseat.org'],
    ['Blocked - see https://www.spamcop.net/bl.shtml?192.0.2.1', 'SpamCop'],
    ['found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000010', 'BL000010'],
    ['User not listed in public Name & Address Book', undefined],
    ['User not found in ldap.example.com', undefined],
    ['550 5.1.1 User unknown', undefined],
  ];
  for (const [text, want] of cases) assert.equal(blocklistNamed(text), want, text);
});

test('retryAfterMs reads the receiver\'s own wait', () => {
  assert.equal(retryAfterMs('Greylisted, please try again in 180 seconds'), 180_000);
  assert.equal(retryAfterMs('Try again in 5 minutes'), 300_000);
  assert.equal(retryAfterMs('please retry after 2 hours'), 7_200_000);
  assert.equal(retryAfterMs('Greylisting in action, please come back in 00:04:31'), 271_000);
  assert.equal(retryAfterMs('Please try again later'), undefined);
  assert.equal(retryAfterMs('Message will be retried for 2 more day(s)'), undefined);
});

test('REASON_IS_RECIPIENT covers every reason and names only recipient problems', () => {
  for (const r of Object.keys(BOUNCE_REASONS) as BounceReason[]) assert.equal(typeof REASON_IS_RECIPIENT[r], 'boolean', r);
  for (const r of ['userunknown', 'hostunknown', 'hasmoved', 'suspend'] as const) assert.ok(isRecipientReason(r), r);
  for (const r of ['blocked', 'policyviolation', 'authfailure', 'spamdetected', 'contenterror', 'mesgtoobig', 'speeding', 'toomanyconn', 'rejected'] as const) {
    assert.ok(!isRecipientReason(r), r);
  }
});

test('every pattern row has an id, a known reason and a source; ids are unique', () => {
  const ids = new Set<string>();
  for (const p of REPLY_PATTERNS) {
    assert.ok(!ids.has(p.id), `duplicate id ${p.id}`);
    ids.add(p.id);
    assert.ok(p.reason in BOUNCE_REASONS, `${p.id}: ${p.reason}`);
    assert.ok(p.source.length > 10, `${p.id} has no source`);
    assert.ok(p.text !== undefined || p.enhanced !== undefined, `${p.id} matches nothing`);
  }
});

test('classify never suppresses a sender or message problem', () => {
  const never: BounceReason[] = ['blocked', 'policyviolation', 'authfailure', 'securityerror', 'spamdetected', 'contenterror', 'mesgtoobig', 'speeding', 'toomanyconn', 'mailboxfull', 'rejected', 'requireptr', 'badreputation'];
  for (const c of CASES) {
    const got = classify(c.input);
    if (never.includes(got.reason)) assert.equal(got.suppress, false, `${got.reason}: ${c.input.text}`);
  }
});

test('requiredLiterals names the words every match must contain', () => {
  assert.deepEqual(requiredLiterals('user unknown|no such (?:user|mailbox)'), ['user unknown', 'no such ']);
  assert.deepEqual(requiredLiterals('relay(?:ing)? (?:access )?(?:denied|not permitted)'), ['relay']);
  assert.deepEqual(requiredLiterals('(?<!not )(?:listed|found) (?:at|in) [a-z]+'), ['listed', 'found']);
  assert.deepEqual(requiredLiterals('e-?mail address'), ['mail address']);
  assert.equal(requiredLiterals('[0-9]+ k|spam'), null);
  assert.deepEqual(requiredLiterals('\\bspam\\b'), ['spam']);
});

test('the literal prefilter never hides a row that matches (every corpus and table text)', () => {
  const corpus = readFileSync(new URL('../../fixtures/bounces/expected.jsonl', import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => (JSON.parse(l) as { diagnosticcode: string }).diagnosticcode);
  const texts = [...corpus, ...CASES.map((c) => c.input.text)].map((t) => t.toLowerCase());
  const regexps = [...REPLY_PATTERNS.flatMap((p) => (p.text ? [p.text] : [])), ...STAGE_HINTS.map((h) => h.text), ...BLOCKLIST_PATTERNS.map((b) => b.text)];
  for (const re of regexps) {
    const words = requiredLiterals(re.source);
    if (words === null) continue;
    for (const t of texts) {
      if (re.test(t)) assert.ok(words.some((w) => t.includes(w)), `/${re.source}/ matched without any of ${JSON.stringify(words)}: ${t}`);
    }
  }
});
