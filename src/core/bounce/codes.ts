/** Finding codes of `bounce fetch` (see finding-codes.ts for the joined vocabulary). */
import type { FindingCodeInfo } from '../finding-codes.js';

export const BOUNCE_FINDING_CODES = {
  BOUNCE_FETCH_INCOMPLETE: {
    severity: 'error',
    description: 'bounce fetch stopped before it had read every message (the IMAP connection failed mid-run, or the store refused a write); the report holds the messages read before, and the rest stay unseen for the next run',
  },
} as const satisfies Record<string, FindingCodeInfo>;
