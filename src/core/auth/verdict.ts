/**
 * Checks report, policy decides: the one verdict a CI job acts on, and its exit code.
 *
 * - pass (exit 0): DMARC passes; or the From domain has no DMARC record but SPF or DKIM still
 *   passes aligned with From (the message would pass as soon as a record is published).
 * - temperror (exit 3): otherwise, when a DNS failure made any mechanism temperror — retrying
 *   may change the verdict, so it is "could not complete", not a failure.
 * - fail (exit 1): DMARC fails, the From header is unusable (permerror), or there is no DMARC
 *   record and nothing passes aligned with From.
 */
import { EXIT, type ExitCode } from '../policy.js';
import type { ArcVerdict, DkimSignatureVerdict, DmarcVerdict, MessageVerdict, SpfVerdict } from './report.js';

export function messageVerdict(v: { spf: SpfVerdict; dkim: DkimSignatureVerdict[]; dmarc: DmarcVerdict; arc: ArcVerdict }): MessageVerdict {
  const { dmarc } = v;
  if (dmarc.result === 'pass') return 'pass';
  if (dmarc.result === 'none' && (dmarc.alignment.spf.aligned || dmarc.alignment.dkim.aligned)) return 'pass';
  const temp =
    dmarc.result === 'temperror' ||
    v.spf.result === 'temperror' ||
    v.arc.result === 'temperror' ||
    v.dkim.some((s) => s.result === 'temperror');
  return temp ? 'temperror' : 'fail';
}

export function exitCodeForVerdict(verdict: MessageVerdict): ExitCode {
  if (verdict === 'pass') return EXIT.OK;
  if (verdict === 'temperror') return EXIT.INCOMPLETE;
  return EXIT.FINDINGS;
}
