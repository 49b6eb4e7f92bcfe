/**
 * The mailauth adapter against a scripted Resolver: node:dns shapes and error codes, exactly as
 * mailauth reads them (lib/spf/index.js, lib/dkim/dkim-verifier.js, lib/dmarc/get-dmarc-record.js).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MailauthDns, mailauthResolver } from '../../../src/core/dns/mailauth-adapter.js';
import type { DnsAnswer, DnsStatus, RecordType, Resolver } from '../../../src/core/dns/types.js';

function answer(name: string, type: RecordType, status: DnsStatus, records: any[] = [], extra: Partial<DnsAnswer> = {}): DnsAnswer {
  return { name, type, status, records, cnames: [], ad: false, ...extra };
}

const scripted: Resolver = {
  async query(name, type) {
    const n = name.replace(/\.$/, '');
    const key = `${type} ${n}`;
    switch (key) {
      case 'TXT example.com':
        return answer(n, type, 'ok', [{ type: 'TXT', name: n, ttl: 60, text: 'v=spf1 -all' }, { type: 'TXT', name: n, ttl: 60, text: 'hello world' }]) as any;
      case 'MX example.com':
        return answer(n, type, 'ok', [{ type: 'MX', name: n, ttl: 60, exchange: 'mx.example.com', priority: 10 }]) as any;
      case 'A mx.example.com':
        return answer(n, type, 'ok', [{ type: 'A', name: n, ttl: 60, address: '192.0.2.1' }]) as any;
      case 'AAAA mx.example.com':
        return answer(n, type, 'ok', [{ type: 'AAAA', name: n, ttl: 60, address: '2001:db8::1' }]) as any;
      case 'PTR 1.2.0.192.in-addr.arpa':
        return answer(n, type, 'ok', [{ type: 'PTR', name: n, ttl: 60, target: 'mx.example.com' }]) as any;
      case 'TXT missing.example':
        return answer(n, type, 'nxdomain') as any;
      case 'TXT mx.example.com':
        return answer(n, type, 'nodata') as any;
      case 'TXT slow.example':
        return answer(n, type, 'timeout', [], { detail: 'no reply within 100 ms' }) as any;
      case 'TXT fail.example':
        return answer(n, type, 'servfail') as any;
      case 'TXT no.example':
        return answer(n, type, 'refused') as any;
      case 'TXT formerr.example':
        return answer(n, type, 'error', [], { rcode: 1 }) as any;
      case 'TXT notimp.example':
        return answer(n, type, 'error', [], { rcode: 4 }) as any;
      case 'TXT junk.example':
        return answer(n, type, 'error', [], { detail: 'malformed message' }) as any;
      case 'TXT throws.example':
        throw new Error('no DNS servers configured');
      default:
        return answer(n, type, 'nxdomain') as any;
    }
  },
};

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'resolved';
}

test('shapes match node:dns resolve(): TXT string[][], MX objects, A/AAAA/PTR strings', async () => {
  const r = mailauthResolver(scripted);
  assert.deepEqual(await r('example.com', 'TXT'), [['v=spf1 -all'], ['hello world']]);
  assert.deepEqual(await r('example.com', 'MX'), [{ exchange: 'mx.example.com', priority: 10 }]);
  assert.deepEqual(await r('mx.example.com', 'A'), ['192.0.2.1']);
  assert.deepEqual(await r('mx.example.com', 'AAAA'), ['2001:db8::1']);
  assert.deepEqual(await r('1.2.0.192.in-addr.arpa', 'PTR'), ['mx.example.com']);
  assert.deepEqual(await r('example.com.', 'txt'), [['v=spf1 -all'], ['hello world']], 'trailing dot and lower-case type');
});

test('NXDOMAIN → ENOTFOUND and NODATA → ENODATA (mailauth: "no record", a void lookup)', async () => {
  const r = mailauthResolver(scripted);
  assert.equal(await codeOf(r('missing.example', 'TXT')), 'ENOTFOUND');
  assert.equal(await codeOf(r('mx.example.com', 'TXT')), 'ENODATA');
});

test('failures → the node:dns codes mailauth treats as temperror', async () => {
  const r = mailauthResolver(scripted);
  assert.equal(await codeOf(r('slow.example', 'TXT')), 'ETIMEOUT');
  assert.equal(await codeOf(r('fail.example', 'TXT')), 'ESERVFAIL');
  assert.equal(await codeOf(r('no.example', 'TXT')), 'EREFUSED');
  assert.equal(await codeOf(r('formerr.example', 'TXT')), 'EFORMERR');
  assert.equal(await codeOf(r('notimp.example', 'TXT')), 'ENOTIMP');
  assert.equal(await codeOf(r('junk.example', 'TXT')), 'EBADRESP');
  assert.equal(await codeOf(r('throws.example', 'TXT')), 'EBADRESP');
  assert.equal(await codeOf(r('example.com', 'HINFO')), 'ERR_INVALID_ARG_VALUE');
});

test('errors look like node:dns errors: code, hostname, syscall', async () => {
  try {
    await mailauthResolver(scripted)('slow.example', 'TXT');
    assert.fail('should throw');
  } catch (err: any) {
    assert.equal(err.hostname, 'slow.example');
    assert.equal(err.syscall, 'queryTxt');
    assert.match(err.message, /ETIMEOUT slow\.example \(no reply within 100 ms\)/);
  }
});

test('the query log keeps statuses, TXT texts, and lists only real failures', async () => {
  const dns = new MailauthDns(scripted);
  await dns.resolve('example.com', 'TXT');
  await codeOf(dns.resolve('missing.example', 'TXT'));
  await codeOf(dns.resolve('slow.example', 'TXT'));
  await codeOf(dns.resolve('throws.example', 'TXT'));
  assert.deepEqual(
    dns.queries.map((q) => [q.name, q.status, q.code ?? null]),
    [
      ['example.com', 'ok', null],
      ['missing.example', 'nxdomain', 'ENOTFOUND'],
      ['slow.example', 'timeout', 'ETIMEOUT'],
      ['throws.example', 'error', 'EBADRESP'],
    ],
  );
  assert.deepEqual(dns.queries[0]!.texts, ['v=spf1 -all', 'hello world']);
  assert.deepEqual(dns.failures().map((q) => q.name), ['slow.example', 'throws.example']);
});
