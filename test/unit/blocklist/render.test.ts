import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Chalk } from 'chalk';
import type { BlocklistResult } from '../../../src/core/blocklist/query.js';
import { scanExitCode, type ScanReport, type ScanSummary } from '../../../src/core/blocklist/scan.js';
import { blocklistJson, csvHeader, csvRow, ndjsonResult, ndjsonSummary, renderBlocklistHuman } from '../../../src/render/blocklist.js';

const plain = new Chalk({ level: 0 });

function row(target: string, list: string, status: BlocklistResult['status'], extra: Partial<BlocklistResult> = {}): BlocklistResult {
  return {
    target,
    targetKind: 'ipv4',
    zone: `${list.toLowerCase().replace(/ /g, '-')}.example`,
    list,
    listId: list.toLowerCase(),
    status,
    codes: [],
    meanings: [],
    txt: null,
    removalUrl: null,
    ...extra,
  };
}

function summary(over: Partial<ScanSummary> = {}): ScanSummary {
  return { targets: 1, lists: 1, queries: 1, dnsQueries: 1, listed: 0, clean: 0, errors: 0, timeouts: 0, listedTargets: 0, durationMs: 12, ...over };
}

test('exit code: 1 when anything is listed, 3 when nothing could be concluded, else 0', () => {
  assert.equal(scanExitCode(summary({ listed: 1, errors: 5 })), 1);
  assert.equal(scanExitCode(summary({ clean: 3, errors: 2, timeouts: 1 })), 0);
  assert.equal(scanExitCode(summary({ errors: 2, timeouts: 1 })), 3);
  assert.equal(scanExitCode(summary({ queries: 0 })), 3);
  // info-only answers count as clean (concluded)
  assert.equal(scanExitCode(summary({ clean: 1 })), 0);
});

test('human table: grouped by target, listed rows first, reason and removal link, clean lists collapsed', () => {
  const report: ScanReport = {
    results: [
      row('203.0.113.5', 'Alpha', 'clean'),
      row('203.0.113.5', 'Bravo', 'error', { detail: 'SERVFAIL from 127.0.0.1:53' }),
      row('203.0.113.5', 'Charlie', 'listed', { codes: ['127.0.0.2'], meanings: ['SBL: spam source'], txt: 'see https://x.example/1', removalUrl: 'https://x.example/remove' }),
      row('198.51.100.7', 'Alpha', 'clean'),
      row('198.51.100.7', 'Charlie', 'timeout', { detail: 'no reply within 5000 ms' }),
    ],
    summary: summary({ targets: 2, lists: 3, queries: 5, listed: 1, clean: 2, errors: 1, timeouts: 1, listedTargets: 1 }),
    notices: ['Spamhaus refused to answer our resolver; use --dns'],
  };
  const out = renderBlocklistHuman(plain, report);
  const lines = out.split('\n');
  const first = lines.findIndex((l) => l.startsWith('203.0.113.5'));
  assert.match(lines[first]!, /listed on 1 of 3 lists/);
  assert.match(lines[first + 1]!, /✗ listed\s+Charlie\s+127\.0\.0\.2\s+SBL: spam source/);
  assert.match(lines[first + 2]!, /reason: see https:\/\/x\.example\/1/);
  assert.match(lines[first + 3]!, /removal: https:\/\/x\.example\/remove/);
  assert.match(lines[first + 4]!, /! error\s+Bravo\s+SERVFAIL from 127\.0\.0\.1:53/);
  assert.match(lines[first + 5]!, /✓ clean\s+Alpha/);
  assert.match(out, /198\.51\.100\.7\s+not listed on 1 of 2 lists; 1 could not be checked/);
  assert.match(out, /… timeout\s+Charlie/);
  assert.match(out, /2 targets × 3 lists: 5 lookups in 12 ms — 1 listing \(1 target\), 2 clean, 1 error, 1 timeout/);
  assert.match(out, /note: Spamhaus refused/);
  assert.ok(!/\u001b\[/.test(out), 'no colour codes without a TTY');
});

test('many targets: targets clean everywhere are counted, not printed', () => {
  const results = Array.from({ length: 30 }, (_, i) => row(`192.0.2.${i}`, 'Alpha', i === 7 ? 'listed' : 'clean', i === 7 ? { codes: ['127.0.0.2'], meanings: ['x'] } : {}));
  const out = renderBlocklistHuman(plain, { results, summary: summary({ targets: 30, queries: 30, listed: 1, clean: 29, listedTargets: 1 }), notices: [] });
  assert.match(out, /192\.0\.2\.7\s+listed/);
  assert.ok(!out.includes('192.0.2.8 '));
  assert.match(out, /29 other targets clean on every list asked/);
});

test('JSON document: schemaVersion, command, the contract fields of each result, summary and notices', () => {
  const doc = blocklistJson({
    results: [row('203.0.113.5', 'Charlie', 'listed', { codes: ['127.0.0.2'], meanings: ['m'], txt: 't', removalUrl: 'https://r.example' })],
    summary: summary({ listed: 1, listedTargets: 1 }),
    notices: [],
  });
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'blocklist scan');
  assert.deepEqual(Object.keys(doc.results[0]!).slice(0, 8), ['target', 'zone', 'list', 'status', 'codes', 'meanings', 'txt', 'removalUrl']);
  for (const k of ['targets', 'queries', 'listed', 'clean', 'errors', 'timeouts']) assert.ok(k in doc.summary, k);
});

test('CSV: RFC 4180 quoting, stable header, one row per result', () => {
  assert.equal(csvHeader(), 'target,zone,list,status,codes,meanings,txt,removalUrl,detail\r\n');
  const line = csvRow(row('203.0.113.5', 'Charlie', 'listed', { codes: ['127.0.0.2', '127.0.0.4'], meanings: ['SBL: a, b', 'XBL'], txt: 'x "y"' }));
  assert.equal(line, '203.0.113.5,charlie.example,Charlie,listed,127.0.0.2 127.0.0.4,"SBL: a, b; XBL","x ""y""",,\r\n');
});

test('NDJSON: a document per result, then a summary document', () => {
  const r = row('203.0.113.5', 'Charlie', 'clean');
  const line = ndjsonResult(r);
  assert.equal(line.schemaVersion, 1);
  assert.equal(line.command, 'blocklist scan');
  assert.equal(line.type, 'result');
  assert.equal(line.target, '203.0.113.5');
  const sum = ndjsonSummary({ results: [r], summary: summary({ clean: 1 }), notices: ['n'] });
  assert.equal(sum.type, 'summary');
  assert.equal(sum.clean, 1);
  assert.deepEqual(sum.notices, ['n']);
});
