/**
 * Blocklist results as findings: one error per listing, one "could not check" per failed lookup,
 * clean rows nothing. Shared by `ci`, the junit/github formats of `blocklist scan`, and `score
 * --check-links` (which words them about links).
 */
import type { Finding, FindingCode } from '../types.js';
import type { BlocklistResult } from './query.js';

export interface ListingWords {
  listedCode: FindingCode;
  failedCode: FindingCode;
  check: string;
  /** How the target is named in a message ("203.0.113.5", "The linked domain example.com"). */
  subject(r: BlocklistResult): string;
  listedFix(r: BlocklistResult): string;
  failedFix: string;
}

export const SCAN_WORDS: ListingWords = {
  listedCode: 'BLOCKLIST_LISTED',
  failedCode: 'BLOCKLIST_UNREACHABLE_CHECK',
  check: 'blocklist',
  subject: (r) => r.target,
  listedFix: (r) =>
    `Find and stop the cause${r.txt ? ` (the list says: ${r.txt})` : ''}, then request removal${r.removalUrl ? ` at ${r.removalUrl}` : ' from the list operator'}.`,
  failedFix: 'Use a resolver the blocklist accepts (--dns; public resolvers are refused by most lists), then run again.',
};

export function listingFindings(results: readonly BlocklistResult[], words: ListingWords = SCAN_WORDS): Finding[] {
  const findings: Finding[] = [];
  for (const r of results) {
    if (r.status === 'listed') {
      findings.push({
        code: words.listedCode,
        severity: 'error',
        check: words.check,
        message: `${words.subject(r)} is listed on ${r.list} (${r.zone})${r.meanings.length > 0 ? `: ${r.meanings.join('; ')}` : ''}.`,
        fix: words.listedFix(r),
        evidence: { [r.targetKind === 'domain' ? 'domain' : 'ip']: r.target, list: r.list, zone: r.zone, codes: r.codes, txt: r.txt },
      });
    } else if (r.status === 'error' || r.status === 'timeout') {
      findings.push({
        code: words.failedCode,
        severity: 'error',
        check: words.check,
        message: `Could not look ${r.target} up on ${r.list} (${r.zone}): ${r.detail ?? r.status}.`,
        fix: words.failedFix,
        evidence: { [r.targetKind === 'domain' ? 'domain' : 'ip']: r.target, list: r.list, zone: r.zone, status: r.status },
      });
    }
  }
  return findings;
}
