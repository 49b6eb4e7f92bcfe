import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bulkSenderFindings, bulkSenderVerdict } from '../../../src/core/domain/bulk-sender.js';
import type { DomainReport } from '../../../src/core/domain/check-domain.js';

function report(over: Partial<DomainReport> = {}): DomainReport {
  return {
    domain: 'example.test',
    spf: { record: 'v=spf1 ip4:192.0.2.1 -all', lookups: 0, voidLookups: 0, tree: null, directSources: [] },
    dkim: { source: 'user', tried: ['s1'], selectors: [{ selector: 's1', found: true, keyType: 'rsa', bits: 2048, testing: false, record: 'v=DKIM1; p=…' }] },
    dmarc: { record: 'v=DMARC1; p=none', policy: 'none', subdomainPolicy: 'none', pct: 100, adkim: 'r', aspf: 'r', rua: [], ruf: [], orgDomain: 'example.test', inherited: false, recordDomain: '_dmarc.example.test' },
    mx: { nullMx: false, hosts: [] },
    mtaSts: { record: null, records: [], id: null, policyUrl: null, policyText: null, policy: null, mode: null, active: false, unmatchedMx: [] },
    tlsRpt: { record: null, records: [], rua: [], valid: false },
    bimi: { record: null, recordDomain: null, inherited: false, declined: false, logoUrl: null, authorityUrl: null, dmarcEnforced: null, logo: null, certificate: null },
    dnssec: { status: 'unsigned', validated: false, signed: false, zone: null, dnskey: [], ds: [] },
    dane: { hosts: [], present: false, allHosts: false },
    sendingIps: [{ ip: '192.0.2.1', source: '--ip', ptr: ['mail.example.test'], forwardConfirmed: true, generic: false, spf: 'pass' }],
    findings: [],
    ...over,
  };
}
const status = (r: DomainReport, req: string) => bulkSenderVerdict(r).reasons.find((x) => x.requirement === req)!.status;

test('all DNS-visible requirements met: pass for every provider, message-level ones unverified', () => {
  const v = bulkSenderVerdict(report());
  assert.deepEqual([v.gmail, v.yahoo, v.microsoft], ['pass', 'pass', 'pass']);
  for (const req of ['unsubscribe', 'spamRate', 'format', 'tls']) assert.equal(status(report(), req), 'unverified', req);
  assert.deepEqual(bulkSenderFindings('example.test', v), []);
});

test('no DMARC record fails every provider (DMARC and alignment)', () => {
  const r = report({ dmarc: { ...report().dmarc, record: null, policy: null } });
  const v = bulkSenderVerdict(r);
  assert.deepEqual([v.gmail, v.yahoo, v.microsoft], ['fail', 'fail', 'fail']);
  assert.deepEqual(bulkSenderFindings('example.test', v).map((f) => (f.evidence as any).requirement), ['dmarc', 'alignment']);
});

test('PTR is a Gmail and Yahoo requirement, not Microsoft\'s', () => {
  const r = report({ sendingIps: [{ ip: '192.0.2.1', source: '--ip', ptr: [], forwardConfirmed: false, generic: false, spf: 'pass' }] });
  const v = bulkSenderVerdict(r);
  assert.deepEqual([v.gmail, v.yahoo, v.microsoft], ['fail', 'fail', 'pass']);
});

test('SPF that would permerror, or that fails for a given IP, fails SPF', () => {
  assert.equal(status(report({ spf: { ...report().spf, lookups: 11 } }), 'spf'), 'fail');
  assert.equal(status(report({ spf: { ...report().spf, record: null } }), 'spf'), 'fail');
  assert.equal(status(report({ sendingIps: [{ ...report().sendingIps[0]!, spf: 'softfail' }] }), 'spf'), 'fail');
});

test('DKIM needs a usable key of 1024 bits or more', () => {
  assert.equal(status(report({ dkim: { source: 'common', tried: ['a'], selectors: [] } }), 'dkim'), 'fail');
  assert.equal(status(report({ dkim: { source: 'user', tried: ['s1'], selectors: [{ selector: 's1', found: true, keyType: 'rsa', bits: 768, testing: false, record: '' }] } }), 'dkim'), 'fail');
});

test('MTA-STS or DANE marks TLS as verified', () => {
  assert.equal(status(report({ dane: { hosts: [], present: true, allHosts: true } }), 'tls'), 'pass');
  assert.equal(status(report({ mtaSts: { ...report().mtaSts, active: true } }), 'tls'), 'pass');
});
