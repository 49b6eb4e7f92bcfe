/**
 * Finding codes of `monitor`. Thresholds and their sources are in detect.ts.
 */
export const MONITOR_FINDING_CODES = {
  VOLUME_SPIKE: {
    severity: 'warning',
    description: 'An hour carried far more mail (overall or from one sender domain) than the baseline for that hour: a compromised account, a runaway job or a campaign nobody announced.',
  },
  DEFERRAL_RATE_HIGH: {
    severity: 'warning',
    description: "The share of delivery attempts a provider (or group) deferred with 4xx rose well above its baseline: throttling or reputation trouble at that receiver.",
  },
  BOUNCE_RATE_HIGH: {
    severity: 'warning',
    description: 'Bounces rose above the baseline, or above the fixed threshold providers act on (Amazon SES puts accounts under review at 5%, probation at 10%).',
  },
  BLOCKLIST_REPLY: {
    severity: 'error',
    description: 'A receiver refused or deferred mail naming a blocklist (Spamhaus, SpamCop, Barracuda, Microsoft S3150, Yahoo TSS …) and the sending IP it lists.',
  },
  DELAY_HIGH: {
    severity: 'warning',
    description: 'Time to delivery (p95) at a provider rose well above its baseline, or past an hour.',
  },
  NEW_REPLY_CLUSTER: {
    severity: 'warning',
    description: 'A deferral or bounce text not seen in the baseline appeared in volume: a receiver started answering something new.',
  },
  COMPLAINT_RATE_HIGH: {
    severity: 'warning',
    description: "Spam complaints (feedback loop reports) passed Gmail's bulk-sender limits: keep below 0.1%, never reach 0.3%.",
  },
  PLACEMENT_INBOX_RATE_DROP: {
    severity: 'warning',
    description: "A provider's inbox rate in the stored placement runs fell well below the runs before (at least 20 points, beyond the Wilson 95% intervals of both): its seeds see the mail in spam, elsewhere or not at all.",
  },
  PLACEMENT_TIME_TO_INBOX_GROWTH: {
    severity: 'warning',
    description: "A provider's median time to inbox in the stored placement runs grew to at least twice the runs before (past their p95, by 30 s or more): the receiver holds the mail longer before filing it.",
  },
  MONITOR_UNPARSEABLE_LINES: {
    severity: 'info',
    description: 'Some input lines could not be read as log records of the chosen format; they were counted and skipped.',
  },
  MONITOR_NO_EVENTS: {
    severity: 'warning',
    description: 'The input had no delivery events in the window: wrong file or --source (warning), or a quiet window in a log that has mail at other times (info).',
  },
} as const;
