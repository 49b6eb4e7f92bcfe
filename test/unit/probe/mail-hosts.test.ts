import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsAnswer, DnsStatus, RecordType, Resolver } from '../../../src/core/dns/types.js';
import { lookupPtr, resolveAddresses, resolveMailHosts } from '../../../src/core/probe/mail-hosts.js';

type Table = Record<string, { status?: DnsStatus; records?: Record<string, unknown>[] }>;

/** An in-memory Resolver: "name TYPE" → status and records. Unlisted names are NXDOMAIN. */
function fakeResolver(table: Table): Resolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
      asked.push(`${name} ${type}`);
      const e = table[`${name} ${type}`];
      const status: DnsStatus = e?.status ?? (e ? 'ok' : Object.keys(table).some((k) => k.startsWith(`${name} `)) ? 'nodata' : 'nxdomain');
      const records = (e?.records ?? []).map((r) => ({ name, ttl: 300, type, ...r })) as unknown as DnsAnswer<T>['records'];
      return { name, type, status: status === 'ok' && records.length === 0 ? 'nodata' : status, records, cnames: [], ad: false };
    },
  };
}

test('MX hosts in preference order, ties by name, duplicates removed, trailing dots and case normalised', async () => {
  const r = fakeResolver({
    'example.test MX': {
      records: [
        { exchange: 'MX2.example.test.', priority: 20 },
        { exchange: 'b.example.test', priority: 10 },
        { exchange: 'a.example.test', priority: 10 },
        { exchange: 'b.example.test', priority: 30 },
      ],
    },
  });
  assert.deepEqual(await resolveMailHosts(r, 'example.test'), {
    kind: 'hosts',
    hosts: [
      { host: 'a.example.test', priority: 10 },
      { host: 'b.example.test', priority: 10 },
      { host: 'mx2.example.test', priority: 20 },
    ],
  });
});

test('null MX (RFC 7505) is recognised and nothing else is looked up', async () => {
  const r = fakeResolver({ 'nomail.test MX': { records: [{ exchange: '', priority: 0 }] } });
  assert.deepEqual(await resolveMailHosts(r, 'nomail.test'), { kind: 'null-mx' });
  assert.deepEqual(r.asked, ['nomail.test MX']);
});

test('no MX: the A/AAAA of the domain is the implicit MX (RFC 5321 §5.1); nothing at all: none', async () => {
  const r = fakeResolver({ 'implicit.test A': { records: [{ address: '192.0.2.5' }] }, 'bare.test TXT': { records: [{ text: 'x' }] } });
  assert.deepEqual(await resolveMailHosts(r, 'implicit.test'), { kind: 'hosts', hosts: [{ host: 'implicit.test', priority: 0, implicit: true }] });
  assert.deepEqual(await resolveMailHosts(r, 'bare.test'), { kind: 'none', reason: 'no-address' });
  assert.deepEqual(await resolveMailHosts(r, 'missing.test'), { kind: 'none', reason: 'nxdomain' });
});

test('DNS failures are reported as DnsError, not as "no MX"', async () => {
  const r = fakeResolver({ 'broken.test MX': { status: 'servfail' }, 'slow.test MX': { status: 'nodata' }, 'slow.test A': { status: 'timeout' }, 'slow.test AAAA': { status: 'timeout' } });
  const a = await resolveMailHosts(r, 'broken.test');
  assert.equal(a.kind, 'dns-error');
  assert.equal(a.kind === 'dns-error' && a.error.code, 'DNS_SERVFAIL');
  const b = await resolveMailHosts(r, 'slow.test');
  assert.equal(b.kind === 'dns-error' && b.error.code, 'DNS_TIMEOUT');
});

test('addresses: A and AAAA together; one family failing is tolerated when the other answered; IP literals', async () => {
  const r = fakeResolver({
    'mx.test A': { records: [{ address: '192.0.2.1' }] },
    'mx.test AAAA': { records: [{ address: '2001:db8::1' }] },
    'half.test A': { records: [{ address: '192.0.2.2' }] },
    'half.test AAAA': { status: 'servfail' },
    'none.test A': { status: 'timeout' },
    'none.test AAAA': { status: 'nodata' },
  });
  assert.deepEqual(await resolveAddresses(r, 'mx.test'), { addresses: ['192.0.2.1', '2001:db8::1'] });
  assert.deepEqual(await resolveAddresses(r, 'half.test'), { addresses: ['192.0.2.2'] });
  const none = await resolveAddresses(r, 'none.test');
  assert.ok('error' in none && none.error.code === 'DNS_TIMEOUT');
  assert.deepEqual(await resolveAddresses(r, '[2001:db8::9]'), { addresses: ['2001:db8::9'] });
  assert.deepEqual(await resolveAddresses(r, '192.0.2.9'), { addresses: ['192.0.2.9'] });
});

test('PTR lookups use the reverse-mapping name', async () => {
  const r = fakeResolver({ '1.2.0.192.in-addr.arpa PTR': { records: [{ target: 'MX.Example.Test.' }] }, '2.2.0.192.in-addr.arpa PTR': { status: 'refused' } });
  assert.deepEqual(await lookupPtr(r, '192.0.2.1'), { names: ['mx.example.test'] });
  assert.deepEqual(await lookupPtr(r, '192.0.2.3'), { names: [] });
  const refused = await lookupPtr(r, '192.0.2.2');
  assert.ok('error' in refused && refused.error.code === 'DNS_REFUSED');
});
