import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsError } from '../../../src/core/errors.js';
import { FINDING_CODES } from '../../../src/core/finding-codes.js';
import { PROBE_FINDING_CODES } from '../../../src/core/probe/codes.js';
import { hostFindings, type HostFacts } from '../../../src/core/probe/host-findings.js';
import type { HostReport, TlsReport } from '../../../src/core/probe/report.js';
import type { CertificateReport } from '../../../src/core/probe/certificate.js';
import { parseReply } from '../../../src/core/smtp/reply.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');

const CERT: CertificateReport = {
  subject: 'CN=mx.example.test',
  altNames: ['mx.example.test'],
  issuer: 'CN=Test CA',
  validFrom: '2026-01-01T00:00:00.000Z',
  validTo: '2026-12-01T00:00:00.000Z',
  daysLeft: 183,
  trusted: true,
  nameMatches: true,
  checkedName: 'mx.example.test',
  selfSigned: false,
  fingerprint256: 'ab'.repeat(32),
  chainLength: 2,
};

const TLS: TlsReport = {
  negotiated: { protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
  versions: { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true },
  certificate: CERT,
};

function facts(over: { report?: Partial<Omit<HostReport, 'findings'>> } & Partial<Omit<HostFacts, 'report'>> = {}): HostFacts {
  const report: Omit<HostReport, 'findings'> = {
    host: 'mx.example.test',
    address: '192.0.2.25',
    addresses: ['192.0.2.25'],
    port: 25,
    priority: 10,
    ptr: 'mx.example.test',
    reachable: true,
    banner: { code: 220, text: 'mx.example.test ESMTP' },
    ehlo: ['PIPELINING', 'STARTTLS'],
    starttls: true,
    tls: TLS,
    greylisting: { tested: true, detected: false, firstReply: { code: 250, enhanced: '2.1.5', text: 'Ok' }, acceptedAfterMs: null },
    timings: { totalMs: 10 },
    ...over.report,
  };
  const { report: _, ...rest } = over;
  return { report, versionsClientRefused: [], now: NOW, rcptReply: parseReply('250 2.1.5 Ok'), mailReply: parseReply('250 2.1.0 Ok'), ...rest };
}

const codes = (f: HostFacts) => hostFindings(f).map((x) => x.code).sort();

test('a healthy host has no findings', () => {
  assert.deepEqual(hostFindings(facts()), []);
});

test('every probe code is in the joined finding table with a description', () => {
  for (const code of Object.keys(PROBE_FINDING_CODES)) assert.ok(code in FINDING_CODES, code);
  const reused = ['MX_NULL', 'MX_TARGET_UNRESOLVABLE', 'PTR_MISSING', 'MTA_STS_RECORD_INVALID', 'MTA_STS_POLICY_UNREACHABLE', 'MTA_STS_POLICY_INVALID', 'MTA_STS_MX_MISMATCH', 'DANE_TLSA_PKIX_USAGE', 'DANE_TLSA_NOT_VALIDATED'];
  for (const code of reused) {
    assert.ok(code in FINDING_CODES, code);
    assert.ok(!(code in PROBE_FINDING_CODES), `${code} is check-domain's: reused, not redefined`);
  }
});

test('connection, banner and session failures', () => {
  assert.deepEqual(codes(facts({ report: { reachable: false, banner: null, tls: null, starttls: false, ptr: null }, failure: { stage: 'connect', code: 'SMTP_CONNECT_REFUSED', message: 'connection refused' } })), ['SMTP_CONNECT_FAILED']);
  const banner = hostFindings(facts({ report: { banner: { code: 554, text: 'go away' }, tls: null, starttls: false }, failure: { stage: 'banner', code: 'SMTP_GREETING_REJECTED', message: 'greeting was 554' } }));
  assert.deepEqual(banner.map((f) => f.code), ['SMTP_BANNER_ERROR']);
  assert.match(banner[0]!.fix!, /blocklisted/);
  assert.deepEqual(codes(facts({ report: { tls: null, starttls: false }, failure: { stage: 'session', code: 'SMTP_PROTOCOL_ERROR', message: 'garbage' } })), ['SMTP_SESSION_FAILED']);
  assert.deepEqual(codes(facts({ failure: { stage: 'resolve', code: 'NO_ADDRESS', message: 'none' } })), ['MX_TARGET_UNRESOLVABLE']);
  const dns = hostFindings(facts({ failure: { stage: 'resolve', code: 'DNS_TIMEOUT', message: 't', dnsError: new DnsError('DNS_TIMEOUT', 'mx.example.test', 'A', 'DNS A query for mx.example.test timed out') } }));
  assert.deepEqual(dns.map((f) => [f.code, f.check]), [['DNS_TIMEOUT', 'mx']]);
});

test('PTR: missing is a warning here; a DNS failure is DNS_*', () => {
  const missing = hostFindings(facts({ report: { ptr: null } }));
  assert.deepEqual(missing.map((f) => [f.code, f.severity]), [['PTR_MISSING', 'warning']]);
  assert.deepEqual(codes(facts({ report: { ptr: null }, ptrError: new DnsError('DNS_SERVFAIL', 'x', 'PTR', 'servfail') })), ['DNS_SERVFAIL']);
});

test('STARTTLS and TLS versions', () => {
  assert.deepEqual(codes(facts({ report: { starttls: false, tls: null } })), ['MX_NO_STARTTLS']);
  const broken: TlsReport = { negotiated: null, versions: { TLSv1: false, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': false }, certificate: null };
  assert.deepEqual(codes(facts({ report: { tls: broken }, startTlsError: 'handshake failed' })), ['STARTTLS_FAILED']);
  const legacyOnly: TlsReport = { ...TLS, negotiated: { protocol: 'TLSv1.1', cipher: 'x' }, versions: { TLSv1: true, 'TLSv1.1': true, 'TLSv1.2': false, 'TLSv1.3': false } };
  assert.deepEqual(codes(facts({ report: { tls: legacyOnly } })), ['TLS_LEGACY_VERSION_ACCEPTED', 'TLS_NO_MODERN_VERSION']);
  const all: TlsReport = { ...TLS, versions: { TLSv1: true, 'TLSv1.1': false, 'TLSv1.2': true, 'TLSv1.3': true } };
  const legacy = hostFindings(facts({ report: { tls: all } }));
  assert.deepEqual(legacy.map((f) => f.code), ['TLS_LEGACY_VERSION_ACCEPTED']);
  assert.match(legacy[0]!.message, /TLS 1\.0(?!,)/);
  // unknown versions are not refusals: no TLS_NO_MODERN_VERSION when 1.2/1.3 could not be tested
  const unknown: TlsReport = { ...TLS, versions: { TLSv1: true, 'TLSv1.1': null, 'TLSv1.2': null, 'TLSv1.3': null } };
  assert.deepEqual(codes(facts({ report: { tls: unknown }, versionsClientRefused: ['TLSv1.1'] })), ['TLS_LEGACY_VERSION_ACCEPTED', 'TLS_VERSION_UNTESTABLE']);
});

test('certificate findings', () => {
  const withCert = (c: Partial<CertificateReport>) => facts({ report: { tls: { ...TLS, certificate: { ...CERT, ...c } } } });
  assert.deepEqual(codes(withCert({ daysLeft: -3, validTo: '2026-05-29T00:00:00.000Z', trusted: false, trustError: 'CERT_HAS_EXPIRED' })), ['CERT_EXPIRED']);
  assert.deepEqual(codes(withCert({ daysLeft: 13 })), ['CERT_EXPIRING_SOON']);
  assert.deepEqual(codes(withCert({ daysLeft: 14 })), []);
  assert.deepEqual(codes(withCert({ validFrom: '2026-07-01T00:00:00.000Z', trusted: false, trustError: 'CERT_NOT_YET_VALID' })), ['CERT_NOT_YET_VALID']);
  assert.deepEqual(codes(withCert({ nameMatches: false, altNames: ['other.example.net'] })), ['CERT_NAME_MISMATCH']);
  const self = hostFindings(withCert({ trusted: false, trustError: 'DEPTH_ZERO_SELF_SIGNED_CERT', selfSigned: true }));
  assert.deepEqual(self.map((f) => f.code), ['CERT_UNTRUSTED']);
  assert.match(self[0]!.message, /self-signed/);
  assert.deepEqual(codes(withCert({ nameMatches: null })), []);
});

test('greylisting and the probe transaction', () => {
  const grey = { tested: true, detected: true, pattern: 'greylist-word', firstReply: { code: 450, enhanced: '4.2.0', text: 'Greylisted' }, acceptedAfterMs: 62_000, lastRefusedAfterMs: 41_000, retries: 7, waitMs: 600_000 };
  const detected = hostFindings(facts({ report: { greylisting: grey }, rcptReply: parseReply('450 4.2.0 Greylisted') }));
  assert.deepEqual(detected.map((f) => [f.code, f.severity]), [['GREYLISTING_DETECTED', 'info']]);
  assert.match(detected[0]!.message, /accepted after 62\.0 s \(still refused at 41\.0 s\)/);
  assert.deepEqual(codes(facts({ report: { greylisting: { ...grey, acceptedAfterMs: null } }, greylistNotCleared: true })), ['GREYLISTING_DETECTED', 'GREYLISTING_NOT_CLEARED']);
  const rejected = { tested: true, detected: false, firstReply: { code: 550, enhanced: '5.1.1', text: 'no such user' }, acceptedAfterMs: null };
  assert.deepEqual(codes(facts({ report: { greylisting: rejected }, rcptReply: parseReply('550 5.1.1 no such user') })), ['RCPT_REJECTED']);
  assert.deepEqual(codes(facts({ rcptReply: parseReply('452 4.5.3 Too many recipients') })), ['RCPT_DEFERRED']);
  assert.deepEqual(codes(facts({ mailReply: parseReply('553 5.7.1 sender rejected'), rcptReply: undefined })), ['MAIL_FROM_REJECTED']);
});

test('MTA-STS verdicts become findings by mode: the mx match and the TLS requirements apart', () => {
  const f = (mode: 'enforce' | 'testing', mxListed: boolean, failures: string[]) => hostFindings(facts({ report: { mtaSts: { mode, mxListed, failures } } })).map((x) => [x.code, x.severity]);
  assert.deepEqual(f('enforce', false, []), [['MTA_STS_MX_MISMATCH', 'error']]);
  assert.deepEqual(f('testing', false, []), [['MTA_STS_MX_MISMATCH', 'warning']]);
  assert.deepEqual(f('enforce', true, ['the certificate chain is not trusted']), [['MTA_STS_ENFORCE_FAILURE', 'error']]);
  assert.deepEqual(f('testing', true, ['no working STARTTLS']), [['MTA_STS_TESTING_FAILURE', 'warning']]);
  assert.deepEqual(f('enforce', true, []), []);
  assert.deepEqual(hostFindings(facts({ report: { mtaSts: { mode: 'none', mxListed: false, failures: [] } } })), []);
});

test('DANE: mismatch, no STARTTLS, unauthenticated, unusable usages, DNS failure', () => {
  const lookup = { name: '_25._tcp.mx.example.test', records: [{ type: 'TLSA' as const, name: 'x', ttl: 1, usage: 3, selector: 1, matchingType: 1, data: '00' }], authenticated: true };
  assert.deepEqual(codes(facts({ dane: { lookup, verdict: { usable: 1, unusableUsages: 0, matched: true } } })), []);
  assert.deepEqual(codes(facts({ dane: { lookup, verdict: { usable: 1, unusableUsages: 0, matched: false } } })), ['DANE_TLSA_MISMATCH']);
  assert.deepEqual(codes(facts({ dane: { lookup: { ...lookup, authenticated: false }, verdict: { usable: 0, unusableUsages: 1, matched: false } } })), ['DANE_TLSA_NOT_VALIDATED', 'DANE_TLSA_PKIX_USAGE']);
  assert.deepEqual(codes(facts({ report: { starttls: false, tls: null }, dane: { lookup, verdict: { usable: 1, unusableUsages: 0, matched: false } } })), ['DANE_NO_STARTTLS', 'MX_NO_STARTTLS']);
  assert.deepEqual(codes(facts({ dane: { lookup: { ...lookup, records: [], dnsError: new DnsError('DNS_TIMEOUT', 'x', 'TLSA', 't') } } })), ['DNS_TIMEOUT']);
});
