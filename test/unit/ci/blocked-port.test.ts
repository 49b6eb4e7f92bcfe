/** When `ci` calls outbound port 25 blocked: every host of every recipient failed at the TCP connection. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { looksLikeBlockedPort } from '../../../src/core/ci/run-ci.js';
import type { HostReport, ProbeReport } from '../../../src/core/probe/report.js';

const host = (reachable: boolean, code?: string) => ({ host: 'mx.example.test', reachable, ...(code ? { error: { code, message: code } } : {}) }) as HostReport;
const report = (...hosts: HostReport[]) => ({ hosts, findings: [], incomplete: hosts.every((h) => !h.reachable) }) as unknown as ProbeReport;

test('every connection refused or timed out, across recipients: blocked', () => {
  assert.equal(looksLikeBlockedPort([report(host(false, 'SMTP_CONNECT_TIMEOUT'), host(false, 'SMTP_CONNECT_REFUSED')), report(host(false, 'SMTP_CONNECT_FAILED'))]), true);
});

test('one host answering, a greeting failure, a DNS failure or no host at all: not a blocked port', () => {
  assert.equal(looksLikeBlockedPort([report(host(false, 'SMTP_CONNECT_TIMEOUT')), report(host(true))]), false);
  assert.equal(looksLikeBlockedPort([report(host(false, 'SMTP_GREETING_TIMEOUT'))]), false);
  assert.equal(looksLikeBlockedPort([report(host(false, 'DNS_TIMEOUT'))]), false);
  assert.equal(looksLikeBlockedPort([report()]), false);
  assert.equal(looksLikeBlockedPort([]), false);
});
