import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DnsFixtureServer } from '../../helpers/dns-server.js';
import { testDeps } from '../../helpers/deps.js';
import { mixFromList } from '../../../src/core/warmup/providers.js';

const zone = {
  'gmail.example': { MX: [{ priority: 5, exchange: 'gmail-smtp-in.l.google.com' }, { priority: 10, exchange: 'alt1.gmail-smtp-in.l.google.com' }] },
  'workspace.example': { MX: [{ priority: 1, exchange: 'smtp.google.com' }] },
  'm365.example': { MX: [{ priority: 0, exchange: 'm365-example.mail.protection.outlook.com' }] },
  'hotmail.example': { MX: [{ priority: 2, exchange: 'hotmail-com.olc.protection.outlook.com' }] },
  'yahoo.example': { MX: [{ priority: 1, exchange: 'mta5.am0.yahoodns.net' }] },
  'aol.example': { MX: [{ priority: 15, exchange: 'mx-aol.mail.gm0.yahoodns.net' }] },
  'icloud.example': { MX: [{ priority: 10, exchange: 'mx01.mail.icloud.com' }] },
  'proton.example': { MX: [{ priority: 10, exchange: 'mail.protonmail.ch' }] },
  'zoho.example': { MX: [{ priority: 10, exchange: 'mx.zoho.eu' }] },
  'fastmail.example': { MX: [{ priority: 10, exchange: 'in1-smtp.messagingengine.com' }] },
  'gmx.example': { MX: [{ priority: 10, exchange: 'mx00.emig.gmx.net' }] },
  'mailru.example': { MX: [{ priority: 10, exchange: 'mxs.mail.ru' }] },
  'yandex.example': { MX: [{ priority: 10, exchange: 'mx.yandex.net' }] },
  // a filtering gateway in front of Google: the first provider MX in preference order decides
  'gateway.example': { MX: [{ priority: 5, exchange: 'mx.gateway.example' }, { priority: 10, exchange: 'aspmx.l.google.com' }] },
  'own.example': { MX: [{ priority: 10, exchange: 'mail.own.example' }] },
  'nomx.example': { A: ['192.0.2.10'] },
  'broken.example': { behaviour: 'servfail' as const },
};

let srv: DnsFixtureServer;
before(async () => {
  srv = await new DnsFixtureServer(zone).start();
});
after(async () => {
  await srv.stop();
});

test('--list: each domain is resolved once, concurrently, and its MX hosts name the provider', async () => {
  const addresses = [
    ...['a', 'b', 'c'].map((l) => `${l}@gmail.example`),
    'd@workspace.example',
    'e@m365.example',
    'f@hotmail.example',
    'g@yahoo.example',
    'h@aol.example',
    'i@icloud.example',
    'j@proton.example',
    'k@zoho.example',
    'l@fastmail.example',
    'm@gmx.example',
    'n@mailru.example',
    'o@yandex.example',
    'p@gateway.example',
    'q@own.example',
    'r@nomx.example',
    's@missing.example',
    't@broken.example',
  ];
  const r = await mixFromList(testDeps(srv).resolver, addresses);
  assert.deepEqual(r.counts, { gmail: 5, microsoft: 2, yahoo: 2, apple: 1, proton: 1, zoho: 1, fastmail: 1, gmx: 1, mailru: 1, yandex: 1, other: 4 });
  assert.equal(r.recipients, 20);
  assert.equal(r.domains, 18);
  assert.deepEqual(r.unresolved, ['missing.example']);
  assert.deepEqual(r.failed, ['broken.example']);
  const mxQueries = srv.log.filter((q) => q.type === 'MX').map((q) => q.name.toLowerCase());
  assert.equal(mxQueries.filter((n) => n === 'gmail.example').length, 1, 'one lookup per domain');
});
