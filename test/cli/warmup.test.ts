import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { DnsFixtureServer } from '../helpers/dns-server.js';

const dir = mkdtempSync(join(tmpdir(), 'warmup-cli-'));

test('warmup plan --json: the documented shape; --out writes the same document', async () => {
  const out = join(dir, 'plan.json');
  const r = await runCli(['warmup', 'plan', '--target', '20k/day', '--curve', 'sparkpost', '--mix', 'gmail=40,microsoft=25,yahoo=15,other=20', '--hours', '8-20', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.schemaVersion, 1);
  assert.equal(doc.command, 'warmup plan');
  assert.equal(doc.curve, 'sparkpost');
  assert.equal(doc.target, 20000);
  assert.deepEqual(doc.mix, { gmail: 0.4, microsoft: 0.25, yahoo: 0.15, other: 0.2 });
  assert.deepEqual(doc.days[0], { day: 1, total: 200, hourlyCap: 17, providers: { gmail: { volume: 80, hourlyCap: 7 }, microsoft: { volume: 50, hourlyCap: 5 }, yahoo: { volume: 30, hourlyCap: 3 }, other: { volume: 40, hourlyCap: 4 } } });
  assert.equal(doc.days.at(-1).total, 20000);
  assert.ok(doc.sources.some((s: string) => s.includes('sparkpost.com')));
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), doc);
});

test('warmup plan --format csv: one row per day, providers in columns', async () => {
  const r = await runCli(['warmup', 'plan', '--target', '300', '--start', '100', '--growth', '1.5', '--mix', 'gmail=50,other=50', '--format', 'csv']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'day,total,hourlyCap,gmail,gmailHourlyCap,other,otherHourlyCap\r\n1,100,5,50,3,50,3\r\n2,150,7,75,4,75,4\r\n3,225,10,113,5,112,5\r\n4,300,13,150,7,150,7\r\n');
});

test('bad input: exit 2, one line, no stack trace', async () => {
  const cases: string[][] = [
    ['warmup', 'plan'],
    ['warmup', 'plan', '--target', 'lots'],
    ['warmup', 'plan', '--target', '1000', '--mix', 'gmail=50'],
    ['warmup', 'plan', '--target', '1000', '--mix', 'hotmale=100'],
    ['warmup', 'plan', '--target', '1000', '--hours', '20-8'],
    ['warmup', 'plan', '--target', '1000', '--growth', '0.9'],
    ['warmup', 'plan', '--target', '1000', '--curve', 'sparkpost', '--start', '10'],
    ['warmup', 'plan', '--target', '1000', '--list', join(dir, 'missing.txt')],
    ['warmup', 'simulate'],
    ['warmup', 'simulate', join(dir, 'nope.json')],
    ['warmup', 'simulate', '--target', '1000', '--bounce-rate', '2'],
    ['warmup', 'simulate', '--target', '1000', '--seed', 'x'],
  ];
  writeFileSync(join(dir, 'bad-model.json'), '{"providers":{"hotmale":{}}}');
  cases.push(['warmup', 'simulate', '--target', '1000', '--model', join(dir, 'bad-model.json')]);
  writeFileSync(join(dir, 'notplan.json'), '{"schemaVersion":1,"command":"check-domain"}');
  cases.push(['warmup', 'simulate', join(dir, 'notplan.json')]);
  for (const args of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', args.join(' '));
    assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('  hint:')).length, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\n\s+at /, args.join(' '));
  }
});

test('warmup simulate: a green plan exits 0; a steep one exits 1 with the bad day in the verdict; JSON shape', async () => {
  const plan = join(dir, 'gentle.json');
  const p = await runCli(['warmup', 'plan', '--target', '3000', '--mix', 'gmail=60,microsoft=40', '--hours', '8-20', '--out', plan, '--format', 'csv']);
  assert.equal(p.code, 0, p.stderr);
  const model = join(dir, 'clean.json');
  writeFileSync(model, JSON.stringify({ bounceRate: 0, complaintRate: 0 }));
  const green = await runCli(['warmup', 'simulate', plan, '--model', model, '--json']);
  assert.equal(green.code, 0, green.stderr);
  const g = JSON.parse(green.stdout);
  assert.equal(g.command, 'warmup simulate');
  assert.deepEqual(g.verdict, { ok: true, firstBadDay: null, suggestedGrowth: null });
  assert.equal(g.seed, 1);
  assert.equal(g.days.length, JSON.parse(readFileSync(plan, 'utf8')).days.length);

  const steep = await runCli(['warmup', 'simulate', '--target', '8000', '--start', '120', '--growth', '2', '--mix', 'gmail=100', '--hours', '8-20', '--model', model, '--json', '--no-suggest']);
  assert.equal(steep.code, 1, steep.stderr);
  const s = JSON.parse(steep.stdout);
  assert.equal(s.verdict.ok, false);
  assert.equal(s.verdict.firstBadDay, 5);
  assert.ok(s.days[4].flags.some((f: { code: string }) => f.code === 'WARMUP_DEFERRALS_HIGH'));
  assert.ok(s.days[4].providers.gmail.throttleReplies > 0);

  const human = await runCli(['warmup', 'simulate', plan, '--model', model, '--chart']);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /planned ░ vs accepted █ per day/);
  assert.match(human.stdout, /Verdict: green/);
});

test('warmup plan --list resolves the recipients through --dns', async () => {
  const srv = await new DnsFixtureServer({
    'a.example': { MX: [{ priority: 1, exchange: 'aspmx.l.google.com' }] },
    'b.example': { MX: [{ priority: 1, exchange: 'b-example.mail.protection.outlook.com' }] },
  }).start();
  try {
    const list = join(dir, 'list.txt');
    writeFileSync(list, 'x@a.example\ny@a.example\nz@a.example\nw@b.example\n');
    const r = await runCli(['warmup', 'plan', '--target', '1000', '--list', list, '--dns', srv.address, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.mix, { gmail: 0.75, microsoft: 0.25 });
    assert.deepEqual(doc.list, { recipients: 4, domains: 2, counts: { gmail: 3, microsoft: 1 }, unresolved: [], failed: [] });
  } finally {
    await srv.stop();
  }
});

test('warmup simulate --volume: a flat day volume for --days days, no stage rule; per-provider delay percentiles', async () => {
  const r = await runCli(['warmup', 'simulate', '--volume', '3000/day', '--days', '3', '--mix', 'gmail=60,other=40', '--json']);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.curve, 'flat');
  assert.deepEqual(doc.days.map((d: { planned: number; stage: number }) => [d.planned, d.stage]), [[3000, 1], [3000, 2], [3000, 3]]);
  assert.ok(doc.days.every((d: { outcome: string }) => d.outcome === 'advance'), 'a flat volume does not wait for the day before');
  assert.equal(doc.verdict.suggestedGrowth, null);
  for (const d of doc.days) {
    for (const p of ['gmail', 'other']) {
      const pd = d.providers[p];
      assert.ok('p50DelayMs' in pd && 'p95DelayMs' in pd, `${p} has its delay percentiles`);
      if (pd.accepted > 0) assert.ok(pd.p95DelayMs >= pd.p50DelayMs);
    }
  }
  const both = await runCli(['warmup', 'simulate', '--volume', '3000', '--target', '5000']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--volume simulates a flat daily volume/);
});
