/**
 * Finding codes of a blocklist scan turned into findings (`ci`, and `blocklist scan --format
 * junit|github`): a listing is an error; a lookup that could not complete leaves the verdict partial
 * (exit 3). Sources: RFC 5782 §2.1 (IP lists), §2.2 (domain lists).
 */
export const BLOCKLIST_FINDING_CODES = {
  BLOCKLIST_LISTED: {
    severity: 'error',
    description: 'The IP address or domain is listed on a DNS blocklist (RFC 5782): receivers that use the list refuse or junk its mail.',
  },
  BLOCKLIST_UNREACHABLE_CHECK: {
    severity: 'error',
    description: 'A blocklist lookup did not complete (timeout, SERVFAIL, or the list refused the resolver); the verdict is partial.',
  },
} as const;
