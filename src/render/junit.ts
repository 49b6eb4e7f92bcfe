/**
 * JUnit XML, as Jenkins, GitLab and the common GitHub test-report actions read it: the Ant/Surefire
 * shape described by the Jenkins xUnit plugin's junit-10.xsd (a copy, with its source, is in
 * test/fixtures/junit). One <testsuite> per suite, one <testcase> per case; findings at or above
 * --fail-on become the case's <failure>, checks that could not complete its <error>, cases that
 * were not run <skipped>; findings below the threshold and notices go to <system-out>.
 */
import type { CheckCase, CheckSuite } from '../core/check-suite.js';
import { caseStatus, failingFindings, isIncompleteFinding } from '../core/policy.js';
import type { Finding, Severity } from '../core/types.js';

// XML 1.0 §2.2: these code points cannot appear in a document at all, not even as references.
// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlText(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values: quotes escaped, and line breaks and tabs as references so parsers keep them (XML 1.0 §3.3.3). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** Seconds with millisecond precision: the SUREFIRE_TIME pattern (no exponent, no thousands separator). */
const seconds = (ms: number | undefined) => ((ms ?? 0) / 1000).toFixed(3);

function findingText(f: Finding): string {
  return `${f.code} [${f.severity}, ${f.check}] ${f.message}${f.fix ? `\n  fix: ${f.fix}` : ''}`;
}

function summaryMessage(list: readonly Finding[]): string {
  const first = list[0]!;
  return list.length === 1 ? `${first.code}: ${first.message}` : `${first.code}: ${first.message} (and ${list.length - 1} more)`;
}

function testcase(classname: string, c: CheckCase, failOn: Severity): string {
  const open = `    <testcase name="${xmlAttr(c.name)}" classname="${xmlAttr(classname)}"`;
  const children: string[] = [];
  if (c.skipped !== undefined) {
    children.push(`      <skipped message="${xmlAttr(c.skipped)}"/>`);
  } else {
    const failing = failingFindings(c.findings, failOn);
    const incomplete = c.findings.filter(isIncompleteFinding);
    // one <failure> (and at most one <error>) per case: every reader shows the first, and some only that
    if (failing.length > 0) {
      children.push(`      <failure type="${xmlAttr(failing[0]!.code)}" message="${xmlAttr(summaryMessage(failing))}">${xmlText(failing.map(findingText).join('\n'))}</failure>`);
    }
    if (incomplete.length > 0) {
      children.push(`      <error type="${xmlAttr(incomplete[0]!.code)}" message="${xmlAttr(summaryMessage(incomplete))}">${xmlText(incomplete.map(findingText).join('\n'))}</error>`);
    } else if (c.incomplete && failing.length === 0) {
      children.push(`      <error type="INCOMPLETE" message="${xmlAttr(`${c.name} could not be checked completely`)}"/>`);
    }
    const rest = c.findings.filter((f) => !failing.includes(f) && !incomplete.includes(f));
    const details = c.details && Object.keys(c.details).length > 0 ? [`details: ${JSON.stringify(c.details)}`] : [];
    const out = [...rest.map(findingText), ...details];
    if (out.length > 0) children.push(`      <system-out>${xmlText(out.join('\n'))}</system-out>`);
  }
  return children.length === 0 ? `${open}/>` : `${open}>\n${children.join('\n')}\n    </testcase>`;
}

export interface JunitOptions {
  /** The <testsuites> name and the classname prefix, e.g. "mailpace-cli ci". */
  name: string;
  failOn: Severity;
  timestamp: Date;
  /** Wall time of the whole run (suites run concurrently, so their times do not add up). */
  durationMs?: number;
}

export function renderJunit(suites: readonly CheckSuite[], opts: JunitOptions): string {
  const dotted = (x: string) => x.trim().replace(/\s+/g, '.');
  // "mailpace-cli.ci.domains" for ci's areas; "mailpace-cli.check-domain" when the suite is the command
  const classname = (suite: string) => (opts.name.endsWith(` ${suite}`) ? dotted(opts.name) : `${dotted(opts.name)}.${dotted(suite)}`);
  const stamp = opts.timestamp.toISOString().replace(/\.\d+Z$/, '');
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let totalMs = 0;
  const body = suites.map((s) => {
    const statuses = s.cases.map((c) => caseStatus(c, opts.failOn));
    const f = statuses.filter((x) => x === 'failed').length;
    // a case that failed and also could not be checked in part carries both elements
    const e = s.cases.filter((c) => c.skipped === undefined && (c.incomplete || c.findings.some(isIncompleteFinding))).length;
    const sk = statuses.filter((x) => x === 'skipped').length;
    tests += s.cases.length;
    failures += f;
    errors += e;
    totalMs += s.durationMs ?? 0;
    const lines = [
      `  <testsuite name="${xmlAttr(s.name)}" tests="${s.cases.length}" failures="${f}" errors="${e}" skipped="${sk}" time="${seconds(s.durationMs)}" timestamp="${stamp}">`,
    ];
    const props = Object.entries(s.properties ?? {});
    if (props.length > 0) {
      lines.push('    <properties>', ...props.map(([k, v]) => `      <property name="${xmlAttr(k)}" value="${xmlAttr(v)}"/>`), '    </properties>');
    }
    lines.push(...s.cases.map((c) => testcase(classname(s.name), c, opts.failOn)));
    if (s.notices.length > 0) lines.push(`    <system-out>${xmlText(s.notices.map((n) => `${n.level}: ${n.message}`).join('\n'))}</system-out>`);
    lines.push('  </testsuite>');
    return lines.join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttr(opts.name)}" tests="${tests}" failures="${failures}" errors="${errors}" time="${seconds(opts.durationMs ?? totalMs)}">`,
    ...body,
    '</testsuites>',
    '',
  ].join('\n');
}
