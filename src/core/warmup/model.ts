/**
 * Modelled receivers for `warmup simulate`: per mailbox provider, how much a cold sending IP may
 * deliver per hour, how fast that grows with clean accepted volume, and what the provider answers
 * when it is over (its real throttle reply, which the shared classifier reads exactly as it would
 * read it live). The volumes are assumptions — no provider publishes its limits — and `--model`
 * overrides any of them; the reply texts are the providers' own, with their sources.
 */
import { UsageError } from '../errors.js';
import { PROVIDER_NAMES, type ProviderName } from './providers.js';

export interface ReplyTemplate {
  code: number;
  enhanced: string;
  /** "{ip}" and "{recipient}" are filled in. */
  text: string;
}

export interface ProviderModel {
  /** Messages per hour a cold IP gets accepted. */
  coldHourly: number;
  /** Capacity tomorrow ≤ this × the busiest accepted hour today (clean traffic). */
  dailyGrowth: number;
  /** Share of first attempts that are greylisted (retried after the greylisting delay). */
  greylistRate: number;
  /** A day's complaint rate above this makes the provider block the next day (0: never). */
  complaintBlockRate: number;
  throttleReply: ReplyTemplate;
  greylistReply: ReplyTemplate;
  bounceReply: ReplyTemplate;
  blockReply: ReplyTemplate;
  source: string;
}

export interface ReceiverModel {
  /** Share of recipients that do not exist (hard bounce); a property of the list. */
  bounceRate: number;
  /** Share of accepted messages reported as spam. */
  complaintRate: number;
  /** Rates are judged (flags, blocks) only on days with at least this many messages at a provider. */
  rateMinVolume: number;
  /** Capacity shrinks by weight × (rate − above) for bounces and complaints past these levels. */
  penalty: { bounceAbove: number; bounceWeight: number; complaintAbove: number; complaintWeight: number };
  providers: Partial<Record<ProviderName, ProviderModel>> & { other: ProviderModel };
}

const GREYLIST: ReplyTemplate = { code: 450, enhanced: '4.2.0', text: '<{recipient}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{domain}.html' };

export const DEFAULT_MODEL: ReceiverModel = {
  bounceRate: 0.005,
  complaintRate: 0.0005,
  rateMinVolume: 2000,
  penalty: { bounceAbove: 0.02, bounceWeight: 5, complaintAbove: 0.001, complaintWeight: 100 },
  providers: {
    gmail: {
      coldHourly: 150,
      dailyGrowth: 1.5,
      greylistRate: 0,
      // Gmail's sender guidelines: keep the spam rate below 0.3% (https://support.google.com/a/answer/81126)
      complaintBlockRate: 0.003,
      throttleReply: {
        code: 421,
        enhanced: '4.7.28',
        text: '[{ip}] Gmail has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. For more information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError',
      },
      greylistReply: GREYLIST,
      bounceReply: { code: 550, enhanced: '5.1.1', text: "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser" },
      blockReply: {
        code: 550,
        enhanced: '5.7.1',
        text: 'Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. For more information, go to https://support.google.com/mail/?p=UnsolicitedMessageError',
      },
      source: 'replies: https://support.google.com/a/answer/3726730 (Gmail SMTP errors 4.7.28, 5.1.1, 5.7.1); volumes: assumed',
    },
    microsoft: {
      coldHourly: 100,
      dailyGrowth: 1.4,
      greylistRate: 0,
      complaintBlockRate: 0.003,
      throttleReply: { code: 451, enhanced: '4.7.650', text: 'The mail server [{ip}] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775)' },
      greylistReply: GREYLIST,
      bounceReply: { code: 550, enhanced: '5.5.0', text: 'Requested action not taken: mailbox unavailable (S2017062302).' },
      blockReply: { code: 550, enhanced: '5.7.1', text: "Unfortunately, messages from [{ip}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)." },
      source: 'replies: https://learn.microsoft.com/en-us/exchange/troubleshoot/email-delivery/ndr/fix-error-code-451-4-7-500-699-in-exchange-online and https://postmaster.live.com; volumes: assumed',
    },
    yahoo: {
      coldHourly: 150,
      dailyGrowth: 1.5,
      greylistRate: 0,
      complaintBlockRate: 0.003,
      throttleReply: { code: 421, enhanced: '4.7.0', text: '[TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes' },
      greylistReply: GREYLIST,
      bounceReply: { code: 554, enhanced: '5.1.1', text: "delivery error: dd This user doesn't have a yahoo.com account ({recipient}) [0] - mta1001.mail.gq1.yahoo.com" },
      blockReply: { code: 554, enhanced: '5.7.9', text: 'Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes' },
      source: 'replies: https://senders.yahooinc.com/smtp-error-codes/ (TSS04, 5.7.9); volumes: assumed',
    },
    apple: {
      coldHourly: 200,
      dailyGrowth: 1.6,
      greylistRate: 0,
      complaintBlockRate: 0.003,
      throttleReply: { code: 450, enhanced: '4.7.1', text: 'Message delayed: too many messages from your IP, try again later' },
      greylistReply: GREYLIST,
      bounceReply: { code: 550, enhanced: '5.1.1', text: '<{recipient}>: user does not exist' },
      blockReply: { code: 554, enhanced: '5.7.1', text: '[CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/102322' },
      source: 'replies: https://support.apple.com/en-us/102322 (iCloud Mail postmaster; the throttle wording is modelled); volumes: assumed',
    },
    other: {
      coldHourly: 500,
      dailyGrowth: 2,
      greylistRate: 0.05,
      complaintBlockRate: 0,
      throttleReply: { code: 421, enhanced: '4.7.0', text: 'Too many messages from this IP, try again later' },
      greylistReply: GREYLIST,
      bounceReply: { code: 550, enhanced: '5.1.1', text: '<{recipient}>: Recipient address rejected: User unknown in virtual mailbox table' },
      blockReply: { code: 554, enhanced: '5.7.1', text: 'Service unavailable; Client host [{ip}] blocked using a local policy' },
      source: 'replies: Postfix (postconf(5) unknown_virtual_mailbox_reject_code) and postgrey (postgrey(8)); volumes: assumed',
    },
  },
};

/** The model of provider `p`; providers without their own model behave like "other". */
export function providerModel(model: ReceiverModel, p: ProviderName): ProviderModel {
  return model.providers[p] ?? model.providers.other;
}

function num(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new UsageError(`--model: ${where} must be a number from ${min} to ${max}`);
  return v;
}

function reply(v: unknown, where: string, base: ReplyTemplate): ReplyTemplate {
  if (v === undefined) return base;
  const o = v as Partial<ReplyTemplate>;
  if (typeof o !== 'object' || o === null || typeof o.text !== 'string') throw new UsageError(`--model: ${where} must be {code, enhanced, text}`);
  return { code: num(o.code, `${where}.code`, 200, 599), enhanced: typeof o.enhanced === 'string' ? o.enhanced : '', text: o.text };
}

/**
 * A model file over the defaults: every field is optional; a provider not in the defaults starts
 * from "other". Unknown providers or malformed values are one-line usage errors.
 */
export function parseModel(json: unknown, base: ReceiverModel = DEFAULT_MODEL): ReceiverModel {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError('--model must be a JSON object');
  const j = json as Record<string, any>;
  const out: ReceiverModel = structuredClone(base);
  if (j.bounceRate !== undefined) out.bounceRate = num(j.bounceRate, 'bounceRate', 0, 1);
  if (j.complaintRate !== undefined) out.complaintRate = num(j.complaintRate, 'complaintRate', 0, 1);
  if (j.rateMinVolume !== undefined) out.rateMinVolume = num(j.rateMinVolume, 'rateMinVolume', 0, 1e9);
  if (j.penalty !== undefined) {
    for (const k of ['bounceAbove', 'bounceWeight', 'complaintAbove', 'complaintWeight'] as const) if (j.penalty[k] !== undefined) out.penalty[k] = num(j.penalty[k], `penalty.${k}`, 0, 1e6);
  }
  if (j.providers !== undefined) {
    if (typeof j.providers !== 'object' || j.providers === null) throw new UsageError('--model: providers must be an object');
    for (const [name, v] of Object.entries<any>(j.providers)) {
      if (!(PROVIDER_NAMES as readonly string[]).includes(name)) throw new UsageError(`--model: unknown provider "${name}" (known: ${PROVIDER_NAMES.join(', ')})`);
      const p = name as ProviderName;
      const b = structuredClone(out.providers[p] ?? out.providers.other);
      const w = `providers.${p}`;
      if (typeof v !== 'object' || v === null) throw new UsageError(`--model: ${w} must be an object`);
      if (v.coldHourly !== undefined) b.coldHourly = num(v.coldHourly, `${w}.coldHourly`, 1, 1e9);
      if (v.dailyGrowth !== undefined) b.dailyGrowth = num(v.dailyGrowth, `${w}.dailyGrowth`, 1, 100);
      if (v.greylistRate !== undefined) b.greylistRate = num(v.greylistRate, `${w}.greylistRate`, 0, 1);
      if (v.complaintBlockRate !== undefined) b.complaintBlockRate = num(v.complaintBlockRate, `${w}.complaintBlockRate`, 0, 1);
      b.throttleReply = reply(v.throttleReply, `${w}.throttleReply`, b.throttleReply);
      b.greylistReply = reply(v.greylistReply, `${w}.greylistReply`, b.greylistReply);
      b.bounceReply = reply(v.bounceReply, `${w}.bounceReply`, b.bounceReply);
      b.blockReply = reply(v.blockReply, `${w}.blockReply`, b.blockReply);
      if (typeof v.source === 'string') b.source = v.source;
      (out.providers as Record<string, ProviderModel>)[p] = b;
    }
  }
  return out;
}
