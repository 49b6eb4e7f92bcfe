/** Finding codes of `ci` itself; each check it runs keeps its own vocabulary. */
export const CI_FINDING_CODES = {
  CI_UNREACHABLE_CHECK: {
    severity: 'error',
    description: 'A whole area of the gate (domains, IPs, templates or recipients) could not run: a service it needs failed; the verdict is partial.',
  },
} as const;
