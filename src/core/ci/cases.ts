/**
 * Each engine's result as cases for CI reports (src/core/check-suite.ts): shared by `ci` and by the
 * junit/github formats of blocklist scan, score and probe, so a listing, a score above the maximum or
 * an unreachable MX reads the same whichever command found it.
 */
import type { CheckCase } from '../check-suite.js';
import { listingFindings } from '../blocklist/findings.js';
import type { BlocklistResult } from '../blocklist/query.js';
import type { Target } from '../blocklist/target.js';
import type { ProbeReport } from '../probe/report.js';
import type { ScoreResult } from '../score/engine.js';
import { sortFindings } from '../types.js';

/** One case per target (in target order): its listings and failed lookups, and where it is listed. */
export function blocklistCases(targets: readonly Target[], results: readonly BlocklistResult[]): CheckCase[] {
  const byTarget = new Map<string, CheckCase & { details: { listedOn: string[]; lists: number } }>();
  for (const t of targets) byTarget.set(t.value, { name: t.value, findings: [], details: { listedOn: [], lists: 0 } });
  for (const r of results) {
    const c = byTarget.get(r.target);
    if (!c) continue;
    c.details.lists++;
    if (r.status === 'listed') c.details.listedOn.push(r.zone);
    c.findings.push(...listingFindings([r]));
  }
  return [...byTarget.values()];
}

/** A scored message as a case: its lint findings, plus SCORE_ABOVE_MAX past the threshold. */
export function templateCase(r: ScoreResult, maxScore: number | undefined): CheckCase {
  const findings = [...r.findings];
  if (maxScore !== undefined && r.score > maxScore) {
    findings.push({
      code: 'SCORE_ABOVE_MAX',
      severity: 'error',
      check: 'score',
      message: `${r.file} scores ${r.score} (${r.engine === 'rspamd' ? 'Rspamd' : 'built-in lint'}), above the maximum of ${maxScore}.`,
      fix: r.fixFirst.length > 0 ? `Fix first: ${r.fixFirst.slice(0, 3).map((x) => x.name).join(', ')}.` : 'Look at the symbols that add the most to the score.',
      evidence: { score: r.score, maxScore, engine: r.engine },
    });
  }
  return {
    name: r.file,
    findings: sortFindings(findings),
    details: { score: r.score, requiredScore: r.requiredScore, action: r.action, engine: r.engine },
  };
}

/** A probe report as a case: its findings; incomplete when no host could be reached. */
export function probeCase(name: string, report: ProbeReport): CheckCase {
  return {
    name,
    findings: report.findings,
    ...(report.incomplete ? { incomplete: true } : {}),
    details: {
      hosts: report.hosts.map((h) => ({
        host: h.host,
        address: h.address,
        reachable: h.reachable,
        starttls: h.starttls,
        ...(h.error ? { error: h.error.code } : {}),
      })),
    },
  };
}

