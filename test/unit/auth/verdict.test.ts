import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeForVerdict, messageVerdict } from '../../../src/core/auth/verdict.js';
import type { ArcVerdict, DkimSignatureVerdict, DmarcVerdict, SpfVerdict } from '../../../src/core/auth/report.js';

const al = (aligned: boolean) => ({ aligned, mode: 'relaxed' as const, domain: null, explanation: '' });
const dmarc = (result: DmarcVerdict['result'], spfAligned = false, dkimAligned = false): DmarcVerdict => ({
  result,
  fromDomain: 'example.com',
  orgDomain: 'example.com',
  record: null,
  recordDomain: null,
  inherited: false,
  policy: null,
  disposition: null,
  pct: null,
  alignment: { spf: al(spfAligned), dkim: al(dkimAligned) },
  explanation: '',
});
const spf = (result: SpfVerdict['result']): SpfVerdict => ({
  result,
  evaluated: true,
  domain: 'example.com',
  identity: 'mailfrom',
  ip: '192.0.2.1',
  helo: null,
  mailFrom: 'a@example.com',
  mailFromSource: 'option',
  record: null,
  explanation: '',
  lookups: null,
});
const sig = (result: DkimSignatureVerdict['result']): DkimSignatureVerdict => ({ domain: 'example.com', selector: 's', algorithm: null, result, aligned: false, info: '', keyBits: null });
const arc = (result: ArcVerdict['result']): ArcVerdict => ({ result, chainLength: 0, sealer: null, explanation: '' });

test('DMARC pass wins, even with DNS trouble elsewhere', () => {
  assert.equal(messageVerdict({ spf: spf('temperror'), dkim: [sig('pass')], dmarc: dmarc('pass', false, true), arc: arc('temperror') }), 'pass');
});

test('no DMARC record: an aligned pass is a pass, no aligned pass is a fail', () => {
  assert.equal(messageVerdict({ spf: spf('pass'), dkim: [], dmarc: dmarc('none', true), arc: arc('none') }), 'pass');
  assert.equal(messageVerdict({ spf: spf('pass'), dkim: [], dmarc: dmarc('none'), arc: arc('none') }), 'fail');
});

test('a temperror anywhere turns a non-pass into temperror (a retry may change it)', () => {
  assert.equal(messageVerdict({ spf: spf('fail'), dkim: [sig('temperror')], dmarc: dmarc('fail'), arc: arc('none') }), 'temperror');
  assert.equal(messageVerdict({ spf: spf('none'), dkim: [], dmarc: dmarc('temperror'), arc: arc('none') }), 'temperror');
  assert.equal(messageVerdict({ spf: spf('temperror'), dkim: [], dmarc: dmarc('none'), arc: arc('none') }), 'temperror');
  assert.equal(messageVerdict({ spf: spf('fail'), dkim: [], dmarc: dmarc('fail'), arc: arc('temperror') }), 'temperror');
});

test('DMARC fail and permerror are fails', () => {
  assert.equal(messageVerdict({ spf: spf('fail'), dkim: [sig('fail')], dmarc: dmarc('fail'), arc: arc('fail') }), 'fail');
  assert.equal(messageVerdict({ spf: spf('pass'), dkim: [], dmarc: dmarc('permerror'), arc: arc('none') }), 'fail');
});

test('exit codes: pass 0, fail 1, temperror 3', () => {
  assert.deepEqual(['pass', 'fail', 'temperror'].map((v) => exitCodeForVerdict(v as never)), [0, 1, 3]);
});
