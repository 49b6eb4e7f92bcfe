import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDnsServer, type DnsFixtureServer, type Zone } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { makeTestPki, type TestPki } from '../../helpers/smtp-server.js';
import { issueLeaf, startHttpsServer, type HttpsFixtureServer, type HttpsReply } from '../../helpers/https-server.js';
import { checkBimi, dmarcEnforcementGaps, parseBimi } from '../../../src/core/domain/bimi.js';
import { svgTinyPsProblems } from '../../../src/core/domain/bimi-svg.js';
import type { DmarcResult } from '../../../src/core/domain/dmarc.js';
import { createPolicyFetcher, type PolicyFetcher } from '../../../src/core/domain/policy-fetch.js';

const IMG = 'https://img.brand.test';
const svg = (opts: { root?: string; inner?: string; pad?: number } = {}) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" ${opts.root ?? 'version="1.2" baseProfile="tiny-ps"'} viewBox="0 0 100 100">\n` +
  `${opts.inner ?? '<title>Brand</title>'}\n<rect width="100" height="100" fill="#123456"/>\n${opts.pad ? `<!--${'x'.repeat(opts.pad)}-->\n` : ''}</svg>\n`;
const SVG = { 'content-type': 'image/svg+xml' };

/** Domains whose record points at a given logo / certificate path (all with an enforced DMARC). */
const RECORDS: Record<string, string> = {
  'brand.test': `v=BIMI1; l=${IMG}/logo.svg; a=${IMG}/vmc.pem`,
  'orgbimi.test': `v=BIMI1; l=${IMG}/logo.svg; a=${IMG}/vmc.pem`,
  'declined.test': 'v=BIMI1; l=; a=;',
  'httplogo.test': 'v=BIMI1; l=http://img.brand.test/logo.svg',
  'png.test': `v=BIMI1; l=${IMG}/logo.png; a=${IMG}/vmc.pem`,
  'badauthority.test': `v=BIMI1; l=${IMG}/logo.svg; a=ftp://img.brand.test/vmc.pem`,
  'vcase.test': `v=bimi1; l=${IMG}/logo.svg; a=${IMG}/vmc.pem`,
  'nol.test': `v=BIMI1; a=${IMG}/vmc.pem`,
  'noa.test': `v=BIMI1; l=${IMG}/logo.svg`,
  'script.test': `v=BIMI1; l=${IMG}/script.svg; a=${IMG}/vmc.pem`,
  'profile.test': `v=BIMI1; l=${IMG}/noprofile.svg; a=${IMG}/vmc.pem`,
  'version.test': `v=BIMI1; l=${IMG}/v11.svg; a=${IMG}/vmc.pem`,
  'href.test': `v=BIMI1; l=${IMG}/href.svg; a=${IMG}/vmc.pem`,
  'xlink.test': `v=BIMI1; l=${IMG}/xlink.svg; a=${IMG}/vmc.pem`,
  'notitle.test': `v=BIMI1; l=${IMG}/notitle.svg; a=${IMG}/vmc.pem`,
  'malformed.test': `v=BIMI1; l=${IMG}/malformed.svg; a=${IMG}/vmc.pem`,
  'big.test': `v=BIMI1; l=${IMG}/big.svg; a=${IMG}/vmc.pem`,
  'huge.test': `v=BIMI1; l=${IMG}/huge.svg; a=${IMG}/vmc.pem`,
  'logo404.test': `v=BIMI1; l=${IMG}/missing.svg; a=${IMG}/vmc.pem`,
  'logostall.test': `v=BIMI1; l=${IMG}/stall.svg; a=${IMG}/vmc.pem`,
  'vmc404.test': `v=BIMI1; l=${IMG}/logo.svg; a=${IMG}/missing.pem`,
  'vmcgarbage.test': `v=BIMI1; l=${IMG}/logo.svg; a=${IMG}/garbage.pem`,
  'vmcexpired.test': `v=BIMI1; l=${IMG}/logo.svg; a=${IMG}/expired.pem`,
  'vmcnologo.test': `v=BIMI1; l=${IMG}/logo.svg; a=${IMG}/nologotype.pem`,
  'vmcwrongname.test': `v=BIMI1; l=${IMG}/logo.svg; a=${IMG}/wrongname.pem`,
  'logodns.test': 'v=BIMI1; l=https://img.logodns.test/logo.svg; a=https://img.brand.test/vmc.pem',
};

let dns: DnsFixtureServer;
let web: HttpsFixtureServer;
let pki: TestPki;
let fetcher: PolicyFetcher;

// FakeClock of testDeps is 2023-11-14: the mark certificates are dated around it.
const VALID = { startDate: '20230101000000Z', endDate: '20240101000000Z' };
const LOGOTYPE = '1.3.6.1.5.5.7.1.12=DER:3000';

before(async () => {
  pki = await makeTestPki();
  const tls = await issueLeaf(pki, ['img.brand.test']);
  const domains = Object.keys(RECORDS).concat('sub.orgbimi.test');
  const vmc = await issueLeaf(pki, domains, { ...VALID, extensions: [LOGOTYPE] });
  const expired = await issueLeaf(pki, domains, { startDate: '20200101000000Z', endDate: '20200201000000Z', extensions: [LOGOTYPE] });
  const noLogotype = await issueLeaf(pki, domains, VALID);
  const wrongName = await issueLeaf(pki, ['someone-else.example'], { ...VALID, extensions: [LOGOTYPE] });
  const path = (p: string, reply: HttpsReply) => [`img.brand.test${p}`, reply] as const;
  const routes = Object.fromEntries([
    path('/logo.svg', { body: svg(), headers: SVG }),
    path('/script.svg', { body: svg({ inner: '<title>Brand</title><script>alert(1)</script>' }), headers: SVG }),
    path('/noprofile.svg', { body: svg({ root: 'version="1.2"' }), headers: SVG }),
    path('/v11.svg', { body: svg({ root: 'version="1.1" baseProfile="tiny-ps"' }), headers: SVG }),
    path('/href.svg', { body: svg({ inner: '<title>Brand</title><image href="https://tracker.example/pixel.png" width="1" height="1"/>' }), headers: SVG }),
    path('/xlink.svg', { body: svg({ inner: '<title>Brand</title><use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="https://elsewhere.example/sprite.svg#a"/>' }), headers: SVG }),
    path('/notitle.svg', { body: svg({ inner: '' }), headers: SVG }),
    path('/malformed.svg', { body: svg().replace('</svg>', '<g></svg>'), headers: SVG }),
    path('/big.svg', { body: svg({ pad: 40 * 1024 }), headers: SVG }),
    path('/huge.svg', { body: svg({ pad: 70 * 1024 }), headers: SVG, chunkSize: 16 * 1024 }),
    path('/stall.svg', { stall: 'headers' }),
    path('/vmc.pem', { body: vmc.cert }),
    path('/garbage.pem', { body: 'this is not a certificate\n' }),
    path('/expired.pem', { body: expired.cert }),
    path('/nologotype.pem', { body: noLogotype.cert }),
    path('/wrongname.pem', { body: wrongName.cert }),
  ]);
  const zone: Zone = {
    'img.brand.test': { A: ['127.0.0.1'] },
    'img.logodns.test': { behaviour: 'servfail' },
    'default._bimi.twobimi.test': { TXT: [RECORDS['brand.test']!, RECORDS['brand.test']!] },
    'default._bimi.slowbimi.test': { behaviour: 'timeout' },
    'default._bimi.nobimi.test': { TXT: ['v=spf1 -all'] },
  };
  for (const [d, rec] of Object.entries(RECORDS)) zone[`default._bimi.${d}`] = { TXT: [rec] };
  dns = await startDnsServer(zone);
  web = await startHttpsServer({ cert: tls, routes });
  fetcher = createPolicyFetcher({ resolver: testDeps(dns).resolver, ca: pki.caPem, port: web.port, timeoutMs: 1000 });
});

after(async () => {
  await fetcher?.close();
  await web?.stop();
  await dns?.stop();
  await pki?.cleanup();
});

function dmarc(over: Partial<DmarcResult> = {}): DmarcResult {
  return { record: 'v=DMARC1; p=reject', policy: 'reject', subdomainPolicy: 'reject', pct: 100, adkim: 'r', aspf: 'r', rua: [], ruf: [], orgDomain: 'brand.test', inherited: false, recordDomain: '_dmarc.brand.test', ...over };
}

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();
const run = (domain: string, opts: { dmarc?: DmarcResult | null; fetch?: boolean } = {}) =>
  checkBimi(testDeps(dns, { timeoutMs: 300 }), domain, { dmarc: opts.dmarc === undefined ? dmarc() : opts.dmarc, fetchBimi: opts.fetch ?? false, fetcher });

test('a valid record with DMARC at enforcement: no findings, URLs reported', async () => {
  const { result, findings } = await run('brand.test');
  assert.deepEqual(findings, []);
  assert.equal(result.recordDomain, 'default._bimi.brand.test');
  assert.equal(result.logoUrl, `${IMG}/logo.svg`);
  assert.equal(result.authorityUrl, `${IMG}/vmc.pem`);
  assert.equal(result.dmarcEnforced, true);
  assert.equal(result.logo, null, 'nothing is downloaded without fetchBimi');
});

test('--fetch-bimi with a Tiny PS logo and a current mark certificate: no findings', async () => {
  const { result, findings } = await run('brand.test', { fetch: true });
  assert.deepEqual(findings, []);
  assert.deepEqual(result.logo?.problems, []);
  assert.ok(result.logo!.bytes! > 100);
  assert.equal(result.certificate?.logotype, true);
  assert.ok(result.certificate?.names.includes('brand.test'));
  assert.deepEqual(result.certificate?.problems, []);
});

test('a subdomain without a record inherits the organisational domain\'s', async () => {
  const { result, findings } = await run('sub.orgbimi.test');
  assert.deepEqual(findings, []);
  assert.equal(result.inherited, true);
  assert.equal(result.recordDomain, 'default._bimi.orgbimi.test');
});

const cases: [string, string[], { dmarc?: DmarcResult | null; fetch?: boolean }?][] = [
  ['nobimi.test', ['BIMI_MISSING']],
  ['declined.test', ['BIMI_DECLINED']],
  ['httplogo.test', ['BIMI_INVALID']],
  ['png.test', ['BIMI_INVALID']],
  ['badauthority.test', ['BIMI_INVALID']],
  ['vcase.test', ['BIMI_INVALID']],
  ['nol.test', ['BIMI_INVALID']],
  ['twobimi.test', ['BIMI_INVALID']],
  ['noa.test', ['BIMI_NO_VMC']],
  ['brand.test', ['BIMI_DMARC_NOT_ENFORCED'], { dmarc: dmarc({ policy: 'none', subdomainPolicy: 'none' }) }],
  ['brand.test', ['BIMI_DMARC_NOT_ENFORCED'], { dmarc: dmarc({ policy: 'quarantine', subdomainPolicy: 'quarantine', pct: 50 }) }],
  ['brand.test', ['BIMI_DMARC_NOT_ENFORCED'], { dmarc: dmarc({ subdomainPolicy: 'none' }) }],
  ['brand.test', ['BIMI_DMARC_NOT_ENFORCED'], { dmarc: dmarc({ record: null, policy: null, subdomainPolicy: null, pct: null }) }],
  ['brand.test', ['BIMI_DMARC_NOT_ENFORCED'], { dmarc: dmarc({ inherited: true, policy: 'reject', subdomainPolicy: 'none' }) }],
  ['brand.test', [], { dmarc: dmarc({ policy: 'quarantine', subdomainPolicy: 'quarantine' }) }],
  ['brand.test', [], { dmarc: null }],
  ['script.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['profile.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['version.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['href.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['xlink.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['notitle.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['malformed.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['big.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['huge.test', ['BIMI_SVG_INVALID'], { fetch: true }],
  ['logo404.test', ['BIMI_LOGO_UNREACHABLE'], { fetch: true }],
  ['logostall.test', ['BIMI_LOGO_UNREACHABLE'], { fetch: true }],
  ['vmc404.test', ['BIMI_VMC_UNREACHABLE'], { fetch: true }],
  ['vmcgarbage.test', ['BIMI_VMC_INVALID'], { fetch: true }],
  ['vmcexpired.test', ['BIMI_VMC_INVALID'], { fetch: true }],
  ['vmcnologo.test', ['BIMI_VMC_INVALID'], { fetch: true }],
  ['vmcwrongname.test', ['BIMI_VMC_INVALID'], { fetch: true }],
  ['logodns.test', ['DNS_SERVFAIL'], { fetch: true }],
  ['slowbimi.test', ['DNS_TIMEOUT']],
];
for (const [domain, expected, opts] of cases) {
  const label = opts?.dmarc !== undefined ? ` (DMARC ${opts.dmarc ? `p=${opts.dmarc.policy} sp=${opts.dmarc.subdomainPolicy} pct=${opts.dmarc.pct}${opts.dmarc.inherited ? ' inherited' : ''}${opts.dmarc.record ? '' : ' no record'}` : 'unknown'})` : '';
  test(`${domain}${label}${opts?.fetch ? ' --fetch-bimi' : ''} → ${expected.join(', ') || 'no findings'}`, async () => {
    const { findings } = await run(domain, opts);
    assert.deepEqual(codes(findings), expected);
    for (const f of findings) {
      assert.equal(f.check, 'bimi');
      assert.ok(f.fix, `${f.code} has a fix`);
    }
  });
}

test('each SVG problem is named', async () => {
  const msg = async (d: string) => (await run(d, { fetch: true })).findings[0]!.message;
  assert.match(await msg('script.test'), /forbidden element.*script/);
  assert.match(await msg('profile.test'), /baseProfile="tiny-ps"/);
  assert.match(await msg('version.test'), /version="1\.1".*requires version="1\.2"/);
  assert.match(await msg('href.test'), /external resource \(https:\/\/tracker\.example/);
  assert.match(await msg('xlink.test'), /external resource/);
  assert.match(await msg('notitle.test'), /no <title>/);
  assert.match(await msg('malformed.test'), /not well-formed XML/);
  assert.match(await msg('big.test'), /bytes; the limit is 32768/);
  assert.match(await msg('huge.test'), /larger than the 64 KiB download limit/);
});

test('each certificate problem is named', async () => {
  const msg = async (d: string) => (await run(d, { fetch: true })).findings[0]!.message;
  assert.match(await msg('vmcgarbage.test'), /no PEM certificate/);
  assert.match(await msg('vmcexpired.test'), /expired on 2020-02-01/);
  assert.match(await msg('vmcnologo.test'), /no logotype extension/);
  assert.match(await msg('vmcwrongname.test'), /does not name vmcwrongname\.test/);
});

test('the DMARC gaps are listed in the finding', async () => {
  const { findings } = await run('brand.test', { dmarc: dmarc({ policy: 'quarantine', subdomainPolicy: 'none', pct: 20 }) });
  assert.match(findings[0]!.message, /pct=20/);
  assert.match(findings[0]!.message, /sp=none/);
});

test('a declined record is not held to DMARC', async () => {
  const { findings } = await run('declined.test', { dmarc: dmarc({ policy: 'none', subdomainPolicy: 'none' }) });
  assert.deepEqual(codes(findings), ['BIMI_DECLINED']);
});

test('parseBimi and dmarcEnforcementGaps as pure functions', () => {
  assert.deepEqual(parseBimi('v=BIMI1; l=https://a.example/l.svg; a=https://a.example/c.pem').errors, []);
  assert.equal(parseBimi('v=BIMI1; l=; a=').declined, true);
  assert.match(parseBimi('v=BIMI1; l=https://a.example/l.svg;; a=x').errors[0]!, /empty tag/);
  assert.deepEqual(dmarcEnforcementGaps(dmarc()), []);
  assert.equal(dmarcEnforcementGaps(dmarc({ policy: 'none' })).length, 1);
});

test('svgTinyPsProblems on malformed input names the problem and does not throw', async () => {
  assert.match((await svgTinyPsProblems('not xml at all', 14)).join(), /not well-formed XML/);
  assert.match((await svgTinyPsProblems('<svg baseProfile="tiny-ps" version="1.2"><title>x</title><unclosed></svg>', 70)).join(), /not well-formed XML.*unclosed/);
  assert.match((await svgTinyPsProblems('\u0000\u0001\u00ff', 3)).join(), /not well-formed XML/);
  assert.match((await svgTinyPsProblems('', 0)).join(), /not well-formed XML/);
  assert.match((await svgTinyPsProblems('<html><body/></html>', 20)).join(), /root element is not <svg>/);
  assert.deepEqual(await svgTinyPsProblems(svg(), Buffer.byteLength(svg())), []);
});
