/**
 * Warm-up curves as data: the daily (or hourly) steps each provider publishes, with the page they
 * come from. A curve gives the day-by-day daily volume of a plan before the target clamps it;
 * past its published table, a curve continues at its own published growth factor.
 */

export const CURVE_NAMES = ['sendgrid', 'sparkpost', 'mailtrap', 'ses', 'geometric'] as const;
export type CurveName = (typeof CURVE_NAMES)[number];

export interface CurveInfo {
  description: string;
  /** Where the numbers come from. */
  source: string;
  /** The table is per hour (daily volume = hourly × sending hours). */
  hourly?: boolean;
  /** Published steps (day 1 first); empty for computed curves. */
  steps: readonly number[];
  /** The factor used past the end of the table. */
  continueFactor?: number;
}

/**
 * SendGrid's automated IP warm-up hourly send limits, warm-up day 0..41 (×1.4 a day; day 12 is
 * 1,000 in the published table, not 20×1.4^12).
 * Source: https://www.twilio.com/docs/sendgrid/ui/sending-email/warming-up-an-ip-address
 * ("Automated IP warmup hourly send schedule").
 */
const SENDGRID_HOURLY = [
  20, 28, 39, 55, 77, 108, 151, 211, 295, 413, 579, 810, 1000, 1587, 2222, 3111, 4356, 6098, 8583, 11953, 16734, 23427, 32798, 45917, 64284, 89998, 125997, 176395, 246953,
  345735, 484029, 677640, 948696, 1328175, 1859444, 2603222, 3644511, 5102316, 7143242, 10000539, 14000754, 19601056,
] as const;

/**
 * SparkPost's IP warm-up stages (daily volume per IP), 30 stages from 200 to 10 million; a stage is
 * repeated until more than 90% of it was delivered.
 * Source: https://support.sparkpost.com/docs/deliverability/ip-warm-up-overview
 */
const SPARKPOST_DAILY = [
  200, 500, 1000, 2000, 5000, 10000, 20000, 40000, 70000, 100000, 150000, 250000, 400000, 600000, 1000000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000, 4500000,
  5000000, 5500000, 6000000, 6500000, 7000000, 8000000, 9000000, 10000000,
] as const;

/**
 * Mailtrap's dedicated-IP warm-up: 21 days, about 30% more each day (daily volume; its hourly
 * maximum is about a fifth of the day).
 * Source: https://help.mailtrap.io/article/98-ip-warmup
 */
const MAILTRAP_DAILY = [300, 390, 510, 660, 860, 1100, 1400, 1900, 2400, 3200, 4100, 5400, 7000, 9100, 11800, 15400, 20000, 26000, 33700, 43900, 57000] as const;

export const CURVES: Readonly<Record<CurveName, CurveInfo>> = {
  sendgrid: {
    description: "SendGrid's automated warm-up: hourly limits from 20/h, ×1.4 a day for 41 days",
    source: 'https://www.twilio.com/docs/sendgrid/ui/sending-email/warming-up-an-ip-address',
    hourly: true,
    steps: SENDGRID_HOURLY,
    continueFactor: 1.4,
  },
  sparkpost: {
    description: "SparkPost's 30 daily stages, 200 → 10,000,000; advance only when > 90% of a stage was delivered",
    source: 'https://support.sparkpost.com/docs/deliverability/ip-warm-up-overview',
    steps: SPARKPOST_DAILY,
    continueFactor: 10000000 / 9000000,
  },
  mailtrap: {
    description: "Mailtrap's 21-day warm-up, 300/day growing about ×1.3 a day",
    source: 'https://help.mailtrap.io/article/98-ip-warmup',
    steps: MAILTRAP_DAILY,
    continueFactor: 1.3,
  },
  ses: {
    description: "Amazon SES standard dedicated-IP warm-up: a time-based ramp to the target over 45 days",
    source: 'https://docs.aws.amazon.com/ses/latest/dg/dedicated-ip-warming.html',
    steps: [],
  },
  geometric: {
    description: 'geometric growth from --start by --growth a day (default ×1.3) until --target',
    source: 'geometric: start × growth^(day−1), clamped to the target',
    steps: [],
  },
};

/** SES warms a standard dedicated IP over 45 days (its documentation). */
export const SES_DAYS = 45;
export const DEFAULT_GROWTH = 1.3;
export const DEFAULT_START = 50;
/** Safety bound on plan length (a growth of 1.01 to a large target would run for years). */
export const MAX_PLAN_DAYS = 1000;
