import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CURVES, CURVE_NAMES } from '../../../src/core/warmup/curves.js';
import { buildPlan, curveVolumes, parsePlanDocument, splitByMix, spreadEvenly, type Mix } from '../../../src/core/warmup/plan.js';
import { providerByName, providerForMx, parseRecipientList } from '../../../src/core/warmup/providers.js';
import { parseHours, parseMix, parseVolume } from '../../../src/cli/flags.js';
import { planDocument } from '../../../src/render/warmup.js';
import { UsageError } from '../../../src/core/errors.js';

const MIX: Mix = { gmail: 0.4, microsoft: 0.25, yahoo: 0.15, other: 0.2 };
const ALL_DAY = { from: 0, to: 24 };

test('sendgrid: the hourly caps are its published table, day by day (×1.4, 1,000 on day 13)', () => {
  const plan = buildPlan({ curve: 'sendgrid', target: 1_000_000_000, mix: MIX, hours: { from: 8, to: 20 } });
  const table = CURVES.sendgrid.steps;
  assert.equal(table.length, 42);
  for (let i = 0; i < table.length; i++) {
    assert.equal(plan.days[i]!.hourlyCap, table[i], `day ${i + 1}`);
    assert.equal(plan.days[i]!.total, table[i]! * 12, `day ${i + 1}`);
  }
  assert.deepEqual([plan.days[0]!.hourlyCap, plan.days[1]!.hourlyCap, plan.days[12]!.hourlyCap, plan.days[40]!.hourlyCap], [20, 28, 1000, 14000754]);
});

test('sparkpost: 30 stages from 200 to 10,000,000', () => {
  const plan = buildPlan({ curve: 'sparkpost', target: 10_000_000, mix: MIX, hours: ALL_DAY });
  assert.equal(plan.days.length, 30);
  assert.deepEqual(plan.days.slice(0, 8).map((d) => d.total), [200, 500, 1000, 2000, 5000, 10000, 20000, 40000]);
  assert.equal(plan.days[29]!.total, 10_000_000);
});

test('mailtrap: 21 days from 300 to 57,000 (its table)', () => {
  const plan = buildPlan({ curve: 'mailtrap', target: 57_000, mix: MIX, hours: ALL_DAY });
  assert.deepEqual(plan.days.map((d) => d.total), [...CURVES.mailtrap.steps]);
});

test('ses: 45 days to the target, the same factor every day', () => {
  const plan = buildPlan({ curve: 'ses', target: 50_000, mix: MIX, hours: ALL_DAY });
  assert.equal(plan.days.length, 45);
  assert.equal(plan.days[0]!.total, 50);
  assert.equal(plan.days[44]!.total, 50_000);
  assert.ok(plan.growth < 1.18 && plan.growth > 1.15, String(plan.growth));
});

test('geometric: start × growth^(day−1), clamped to the target on the last day', () => {
  assert.deepEqual(curveVolumes({ curve: 'geometric', target: 300, start: 100, growth: 1.5, hours: ALL_DAY }), [100, 150, 225, 300]);
  assert.deepEqual(curveVolumes({ curve: 'geometric', target: 1000, hours: ALL_DAY }).slice(0, 4), [50, 65, 85, 110]);
  const ten = curveVolumes({ curve: 'geometric', target: 10_000, start: 100, days: 10, hours: ALL_DAY });
  assert.equal(ten.length, 10);
  assert.equal(ten[9], 10_000);
  assert.deepEqual(curveVolumes({ curve: 'geometric', target: 40, hours: ALL_DAY }), [40]);
});

test('plan invariants for every curve and several mixes: monotone, growth bound, exact sums, caps × hours ≥ volume, target on the last day', () => {
  const mixes: Mix[] = [MIX, { gmail: 1 / 3, microsoft: 1 / 3, other: 1 / 3 }, { yahoo: 0.07, apple: 0.03, proton: 0.9 }, { other: 1 }];
  for (const curve of CURVE_NAMES) {
    for (const mix of mixes) {
      for (const target of [7, 1234, 98_765]) {
        const hours = { from: 7, to: 22 };
        const plan = buildPlan({ curve, target, mix, hours });
        const h = hours.to - hours.from;
        assert.equal(plan.days[plan.days.length - 1]!.total, target);
        plan.days.forEach((d, i) => {
          const sum = Object.values(d.providers).reduce((a, p) => a + p!.volume, 0);
          assert.equal(sum, d.total, `${curve} ${target} day ${d.day}: providers add up`);
          assert.ok(d.hourlyCap * h >= d.total);
          for (const p of Object.values(d.providers)) assert.ok(p!.hourlyCap * h >= p!.volume);
          if (i > 0) {
            const prev = plan.days[i - 1]!;
            assert.ok(d.total >= prev.total, 'monotone');
            assert.ok(d.total <= prev.total * plan.growth + 1e-6, 'growth bound');
            for (const [name, p] of Object.entries(d.providers)) {
              const before = prev.providers[name as keyof typeof prev.providers]!.volume;
              assert.ok(p!.volume >= before, `${name} monotone`);
              // proportional split: a provider never grows faster than the plan's factor, beyond rounding by one
              assert.ok(p!.volume <= before * plan.growth + 1, `${curve} ${target} ${name} day ${d.day}: ${before} → ${p!.volume}`);
            }
          }
        });
      }
    }
  }
});

test('largest-remainder split: totals add up exactly, ties in table order', () => {
  assert.deepEqual(splitByMix(7, { gmail: 1 / 3, microsoft: 1 / 3, other: 1 / 3 }), { gmail: 3, microsoft: 2, other: 2 });
  assert.deepEqual(splitByMix(1, MIX), { gmail: 1, microsoft: 0, yahoo: 0, other: 0 });
  assert.deepEqual(splitByMix(10, MIX), { gmail: 4, microsoft: 3, yahoo: 1, other: 2 });
  for (let n = 0; n < 500; n += 7) assert.equal(Object.values(splitByMix(n, { gmail: 0.123, yahoo: 0.456, other: 0.421 })).reduce((a, b) => a + b, 0), n);
  assert.deepEqual(spreadEvenly(26, 12), [3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
});

test('hourly caps spread the day over --hours', () => {
  const plan = buildPlan({ curve: 'geometric', target: 1200, start: 1200, mix: { gmail: 0.5, other: 0.5 }, hours: { from: 8, to: 20 } });
  assert.deepEqual(plan.days, [{ day: 1, total: 1200, hourlyCap: 100, providers: { gmail: { volume: 600, hourlyCap: 50 }, other: { volume: 600, hourlyCap: 50 } } }]);
});

test('flag parsers: --target, --hours, --mix', () => {
  assert.equal(parseVolume('50000', '--target', { perDay: true }), 50000);
  assert.equal(parseVolume('50k/day', '--target', { perDay: true }), 50000);
  assert.equal(parseVolume('1.5m', '--target', { perDay: true }), 1_500_000);
  assert.equal(parseVolume('50,000', '--target', { perDay: true }), 50000);
  assert.throws(() => parseVolume('lots', '--target'), UsageError);
  assert.throws(() => parseVolume('0', '--target'), /out of range/);
  assert.deepEqual(parseHours('8-20'), { from: 8, to: 20 });
  assert.throws(() => parseHours('20-8'), UsageError);
  assert.throws(() => parseHours('8'), UsageError);
  assert.deepEqual(parseMix('gmail=40,microsoft=25,yahoo=15,other=20', providerByName), MIX);
  assert.deepEqual(parseMix('google=0.5,outlook=0.5', providerByName), { gmail: 0.5, microsoft: 0.5 });
  assert.throws(() => parseMix('gmail=50', providerByName), /add up to 50/);
  assert.throws(() => parseMix('hotmale=100', providerByName), /unknown provider "hotmale"/);
  assert.throws(() => parseMix('gmail=50,google=50', providerByName), /twice/);
});

test('plan errors are usage errors with one-line messages', () => {
  assert.throws(() => buildPlan({ curve: 'geometric', target: 1000, days: 5, growth: 1.2, mix: MIX, hours: ALL_DAY }), /not both/);
  assert.throws(() => buildPlan({ curve: 'sparkpost', target: 1000, start: 5, mix: MIX, hours: ALL_DAY }), /published table/);
  assert.throws(() => buildPlan({ curve: 'geometric', target: 10 ** 9, growth: 1.001, mix: MIX, hours: ALL_DAY }), /more than 1000 days/);
});

test('MX hosts map to providers (data table)', () => {
  const cases: [string, string][] = [
    ['gmail-smtp-in.l.google.com.', 'gmail'],
    ['aspmx.l.google.com', 'gmail'],
    ['smtp.google.com', 'gmail'],
    ['example-com.mail.protection.outlook.com', 'microsoft'],
    ['hotmail-com.olc.protection.outlook.com', 'microsoft'],
    ['mta5.am0.yahoodns.net', 'yahoo'],
    ['mx-aol.mail.gm0.yahoodns.net', 'yahoo'],
    ['mx01.mail.icloud.com', 'apple'],
    ['mail.protonmail.ch', 'proton'],
    ['mx.zoho.eu', 'zoho'],
    ['in1-smtp.messagingengine.com', 'fastmail'],
    ['mx00.emig.gmx.net', 'gmx'],
    ['mxs.mail.ru', 'mailru'],
    ['mx.yandex.net', 'yandex'],
    ['mail.example.com', 'other'],
    ['notgoogle.com', 'other'],
  ];
  for (const [host, p] of cases) assert.equal(providerForMx(host), p, host);
});

test('recipient lists: one address a line, comments, names and CSV columns', () => {
  assert.deepEqual(parseRecipientList('# list\na@gmail.com\n"Bob" <b@yahoo.com>\nc@x.org,Carol,2024\nnot an address\n\n'), { addresses: ['a@gmail.com', 'b@yahoo.com', 'c@x.org'], bad: 1 });
});

test('a plan document reads back as the same plan', () => {
  const plan = buildPlan({ curve: 'mailtrap', target: 5000, mix: MIX, hours: { from: 8, to: 20 } });
  const doc = JSON.parse(JSON.stringify(planDocument(plan)));
  assert.deepEqual(parsePlanDocument(doc, 'plan.json'), plan);
  doc.days[1].providers.gmail.volume += 1;
  assert.throws(() => parsePlanDocument(doc, 'plan.json'), /day 2: the providers add up to/);
  assert.throws(() => parsePlanDocument({ command: 'check-domain' }, 'x.json'), /not a warm-up plan/);
});

test('a bar or a day splits among providers in proportion, the largest remainders rounding up', async () => {
  const { largestRemainder: apportion } = await import('../../../src/core/warmup/plan.js');
  assert.deepEqual(apportion([50, 30, 20], 10), [5, 3, 2]);
  assert.deepEqual(apportion([1, 1, 1], 10), [4, 3, 3]);
  assert.deepEqual(apportion([0, 0], 5), [0, 0]);
  assert.equal(apportion([333, 333, 334], 7).reduce((a, b) => a + b, 0), 7);
});
