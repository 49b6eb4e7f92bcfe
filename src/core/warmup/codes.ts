/**
 * What `warmup simulate` flags on a day: a closed vocabulary, each with its meaning and source.
 * A day with any flag is not green (exit 1).
 */
export const WARMUP_FLAGS = {
  WARMUP_DEFERRALS_HIGH: { severity: 'warning', description: "More than 5% of the day's offered messages were deferred (throttled or greylisted)." },
  WARMUP_DELAY_HIGH: { severity: 'warning', description: 'The 95th percentile time to acceptance passed 1 hour.' },
  WARMUP_STAGE_HELD: {
    severity: 'warning',
    description: 'No more than 90% of the stage was delivered by the end of the day, so the ramp repeats it (SparkPost: https://support.sparkpost.com/docs/deliverability/ip-warm-up-overview).',
  },
  WARMUP_BOUNCES_REVIEW: { severity: 'warning', description: 'Bounce rate at or above 5%: Amazon SES puts an account under review at this level (https://docs.aws.amazon.com/ses/latest/dg/faqs-enforcement.html).' },
  WARMUP_BOUNCES_PAUSE: { severity: 'error', description: 'Bounce rate at or above 10%: Amazon SES may pause sending at this level; the ramp pauses for a day.' },
  WARMUP_COMPLAINTS_HIGH: { severity: 'error', description: 'Complaint rate above 0.3%: past Gmail\'s limit for bulk senders (https://support.google.com/a/answer/81126); the ramp pauses for a day.' },
  WARMUP_BLOCKED: { severity: 'error', description: 'A provider refused mail with a 5.7.x block (after a day over its complaint level).' },
  WARMUP_NOT_FINISHED: { severity: 'error', description: 'The ramp did not reach its last stage within twice the planned number of days.' },
} as const;

export type WarmupFlagCode = keyof typeof WARMUP_FLAGS;

export interface WarmupFlag {
  code: WarmupFlagCode;
  severity: 'error' | 'warning';
  message: string;
  provider?: string;
}
