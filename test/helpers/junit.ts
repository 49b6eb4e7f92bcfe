/** JUnit XML validated by a real schema validator: xmllint (Debian libxml2-utils) against test/fixtures/junit/junit-10.xsd. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasXmllint = spawnSync('xmllint', ['--version']).error === undefined;

/** Fails the test when `xml` is not valid JUnit; without xmllint a skip outside CI, a failure in CI. */
export function assertValidJunit(xml: string): void {
  if (!hasXmllint) {
    if (process.env.CI) throw new Error('xmllint is not installed (Debian: apt-get install libxml2-utils)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'junit-'));
  try {
    const file = join(dir, 'report.xml');
    writeFileSync(file, xml);
    const r = spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit/junit-10.xsd', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** [classname, testcase, failure type] of each failing testcase. */
export const failingCases = (xml: string) => [...xml.matchAll(/<testcase name="([^"]+)" classname="([^"]+)">\n\s+<failure type="(\w+)"/g)].map((m) => [m[2], m[1], m[3]]);
