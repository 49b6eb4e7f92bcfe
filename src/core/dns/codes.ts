/** Findings for a check that could not run because DNS did not answer. */
export const DNS_FINDING_CODES = {
  DNS_TIMEOUT: { severity: 'error', description: 'A DNS query for this check timed out; the check could not run.' },
  DNS_SERVFAIL: { severity: 'error', description: 'The DNS server answered SERVFAIL; the check could not run.' },
  DNS_REFUSED: { severity: 'error', description: 'The DNS server refused the query; the check could not run.' },
  DNS_ERROR: { severity: 'error', description: 'The DNS answer was malformed or the server unreachable; the check could not run.' },
} as const;
