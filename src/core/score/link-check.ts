/**
 * --check-links: the domains a message links to, looked up in the domain blocklists (RHSBL/URIBL,
 * RFC 5782 §2.2) through the same engine as `blocklist scan`. Registrable domains are asked, as
 * URI blocklists list them (a.b.example.com is looked up as example.com).
 */
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { listingFindings, SCAN_WORDS, type ListingWords } from '../blocklist/findings.js';
import { scanBlocklists } from '../blocklist/scan.js';
import { selectLists, type SelectionOptions } from '../blocklist/selection.js';
import type { Target } from '../blocklist/target.js';
import type { LinkChecker } from './engine.js';
import { siteOf } from './lint-rules.js';
import { ipFamily } from '../net/ip-address.js';

/** At most this many distinct domains per message are looked up (a newsletter can link to hundreds). */
export const MAX_LINK_DOMAINS = 50;

export interface LinkCheckOptions {
  /** Blocklist selection as in `blocklist scan --zone`; only domain lists are used. */
  selection?: SelectionOptions;
  concurrency?: number;
}

/** The domain lists a link check asks (throws UsageError for a bad --link-zone). */
export function linkLists(opts: LinkCheckOptions = {}) {
  const lists = selectLists(opts.selection ?? {}).filter((l) => l.kind === 'domain');
  if (lists.length === 0 && opts.selection?.zones?.length) {
    throw new UsageError(`--link-zone: none of ${opts.selection.zones.join(', ')} is a domain blocklist`, {
      hint: 'name a domain list from the catalogue (e.g. dbl.spamhaus.org), or a custom one as zone:domain',
    });
  }
  return lists;
}

const LINK_WORDS: ListingWords = {
  listedCode: 'LINT_LINK_BLOCKLISTED',
  failedCode: 'LINT_LINK_CHECK_UNREACHABLE_CHECK',
  check: 'links',
  subject: (r) => `The linked domain ${r.target}`,
  listedFix: (r) => `Remove links to ${r.target}${r.removalUrl ? `, or request delisting at ${r.removalUrl}` : ''}; one listed link is enough for filters to junk the message.`,
  failedFix: SCAN_WORDS.failedFix,
};

export function createLinkChecker(deps: Deps, opts: LinkCheckOptions = {}): LinkChecker {
  const lists = linkLists(opts);
  return async (hosts) => {
    const domains = [...new Set(hosts.filter((h) => ipFamily(h) === 0).map(siteOf))].slice(0, MAX_LINK_DOMAINS);
    if (domains.length === 0 || lists.length === 0) return [];
    const targets: Target[] = domains.map((value) => ({ kind: 'domain', value }));
    const report = await scanBlocklists(deps, targets, lists, { concurrency: opts.concurrency ?? 16 });
    return listingFindings(report.results, LINK_WORDS);
  };
}
