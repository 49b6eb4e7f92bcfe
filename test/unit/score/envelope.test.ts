import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeHeaders, parseReceived, resolveEnvelope, validateEnvelopeFlags, type Envelope } from '../../../src/core/score/envelope.js';
import type { ScoreResult, SentEnvelope } from '../../../src/core/score/engine.js';
import { renderSentEnvelope } from '../../../src/render/score.js';
import { parseHeaderBlock } from '../../../src/core/score/mime-structure.js';
import { UsageError } from '../../../src/core/errors.js';
import { confirmedHostname, reverseDnsLookup } from '../../../src/core/score/reverse-dns.js';
import type { DnsAnswer, DnsStatus, RecordOf, RecordType, Resolver } from '../../../src/core/dns/types.js';

const headers = (text: string) => parseHeaderBlock(`${text}\r\n\r\n`, 0).headers;

test('Received parsing: Postfix, Sendmail, Exim, IPv6 and unknown rDNS', () => {
  assert.deepEqual(parseReceived('from mail.example.com (mail.example.com [192.0.2.10]) by mx.example.net (Postfix) with ESMTPS id X'), {
    ip: '192.0.2.10',
    helo: 'mail.example.com',
    hostname: 'mail.example.com',
  });
  assert.deepEqual(parseReceived('from helo.example (unknown [198.51.100.7]) by mx'), { ip: '198.51.100.7', helo: 'helo.example' });
  assert.deepEqual(parseReceived('from out.example.org ([203.0.113.9] helo=smtp.example.org) by mx with esmtp (Exim 4.96)'), {
    ip: '203.0.113.9',
    helo: 'smtp.example.org',
    hostname: 'out.example.org',
  });
  assert.deepEqual(parseReceived('from [IPv6:2001:db8::25] (mx6.example.com [IPv6:2001:db8::25]) by mx'), {
    ip: '2001:db8::25',
    helo: 'IPv6:2001:db8::25',
    hostname: 'mx6.example.com',
  });
  assert.equal(parseReceived('by mx.example.net with LMTP'), undefined);
});

test('defaults from the message: Return-Path, To/Cc/Bcc, the newest outside Received hop', () => {
  const env = resolveEnvelope(
    headers(
      [
        'Received: from localhost (localhost [127.0.0.1]) by mx.example.net',
        'Received: from mail.example.com (mail.example.com [192.0.2.10]) by mx.example.net',
        'Received: from laptop (laptop [10.0.0.5]) by mail.example.com',
        'Return-Path: <bounce@example.com>',
        'From: Team <team@example.com>',
        'To: Bob <bob@example.net>, carol@example.net',
        'Cc: bob@example.net, dave@example.org',
        'Bcc: eve@example.org',
      ].join('\r\n'),
    ),
    {},
  );
  assert.deepEqual(env, {
    rcpt: ['bob@example.net', 'carol@example.net', 'dave@example.org', 'eve@example.org'],
    from: 'bounce@example.com',
    ip: '192.0.2.10',
    helo: 'mail.example.com',
    hostname: 'mail.example.com',
    sources: { from: 'message', rcpt: 'message', ip: 'message', helo: 'message', hostname: 'message' },
  });
});

test('flags win; a flag IP drops the Received hop\'s HELO and host name; null return path', () => {
  const h = headers('Received: from a.example.com (a.example.com [192.0.2.1]) by mx\r\nReturn-Path: <>\r\nFrom: x@example.com\r\nTo: y@example.net');
  const env = resolveEnvelope(h, { ip: '[2001:db8::1]', rcpt: ['z@example.net', 'w@example.net'], user: 'alice' });
  assert.equal(env.ip, '2001:db8::1');
  assert.equal(env.helo, undefined);
  assert.equal(env.hostname, undefined);
  assert.equal(env.from, '');
  assert.deepEqual(env.rcpt, ['z@example.net', 'w@example.net']);
  assert.equal(env.user, 'alice');
  // no Return-Path: the From address
  assert.equal(resolveEnvelope(headers('From: Team <team@example.com>'), {}).from, 'team@example.com');
  // nothing at all: an empty envelope, no crash
  assert.deepEqual(resolveEnvelope([], {}), { rcpt: [], sources: {} });
});

test('Rspamd headers: one Rcpt line per recipient, <> for the null sender, in protocol order', () => {
  assert.deepEqual(envelopeHeaders({ ip: '192.0.2.1', helo: 'h.example', hostname: 'r.example', from: '', rcpt: ['a@x.example', 'b@x.example'], user: 'u' }), [
    ['IP', '192.0.2.1'],
    ['Helo', 'h.example'],
    ['Hostname', 'r.example'],
    ['From', '<>'],
    ['Rcpt', 'a@x.example'],
    ['Rcpt', 'b@x.example'],
    ['User', 'u'],
  ]);
  assert.deepEqual(envelopeHeaders({ rcpt: [] }), []);
});

test('flag validation: not an IP, header injection', () => {
  assert.throws(() => validateEnvelopeFlags({ ip: '999.1.1.1' }), UsageError);
  assert.throws(() => validateEnvelopeFlags({ ip: 'mail.example.com' }), /not an IPv4 or IPv6/);
  assert.throws(() => validateEnvelopeFlags({ from: 'a@example.com\r\nX-Evil: 1' }), /line breaks/);
  assert.throws(() => validateEnvelopeFlags({ rcpt: ['ok@example.com', 'b@example.com\n'] }), /--rcpt/);
  validateEnvelopeFlags({ ip: '2001:db8::1', helo: 'mail.example.com', rcpt: ['a@example.com'] });
});

test('no Hostname header unless a name was confirmed: "unknown" is skipped exactly as Rspamd\'s milter skips it', () => {
  // rspamd/rspamd src/libserver/milter.c, rspamd_milter_to_http / rspamd_milter_macro_http: a client
  // name of "unknown" is "skipped from being added"; the other headers go as they are
  assert.deepEqual(envelopeHeaders({ ip: '203.0.113.5', helo: 'mail.example.org', hostname: 'unknown', from: 'a@example.org', rcpt: ['b@example.net'] }), [
    ['IP', '203.0.113.5'],
    ['Helo', 'mail.example.org'],
    ['From', 'a@example.org'],
    ['Rcpt', 'b@example.net'],
  ]);
  assert.deepEqual(envelopeHeaders({ ip: '203.0.113.5', hostname: '', rcpt: [] }), [['IP', '203.0.113.5']]);
  // the milter compares the bytes "unknown" only: a real name that merely contains it is sent
  assert.deepEqual(envelopeHeaders({ ip: '192.0.2.10', hostname: 'unknown.example.com', rcpt: [] }), [
    ['IP', '192.0.2.10'],
    ['Hostname', 'unknown.example.com'],
  ]);
});

/** A resolver over a fixed table: name → type → records, or a DNS status for failures. */
function tableResolver(table: Record<string, Partial<Record<'PTR' | 'A' | 'AAAA', string[] | DnsStatus>>>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async query<T extends RecordType>(name: string, type: T): Promise<DnsAnswer<T>> {
      asked.push(`${type} ${name}`);
      const entry = table[name.toLowerCase()];
      const v = entry?.[type as 'PTR' | 'A' | 'AAAA'];
      const base = { name, type, cnames: [], ad: false };
      if (typeof v === 'string') return { ...base, status: v, records: [] };
      if (!v) return { ...base, status: entry ? 'nodata' : 'nxdomain', records: [] };
      const records = v.map((x) => (type === 'PTR' ? { name, ttl: 60, type: 'PTR', target: x } : { name, ttl: 60, type, address: x }));
      return { ...base, status: 'ok', records: records as unknown as RecordOf<T>[] };
    },
  };
}

test('forward-confirmed reverse DNS: a name only when a PTR name resolves back to the IP', async () => {
  const r = tableResolver({
    '10.2.0.192.in-addr.arpa': { PTR: ['Mail.Example.com.'] },
    'mail.example.com': { A: ['192.0.2.10'] },
    '11.2.0.192.in-addr.arpa': { PTR: ['liar.example.com'] },
    'liar.example.com': { A: ['192.0.2.99'] },
    '12.2.0.192.in-addr.arpa': { PTR: 'servfail' },
    '14.2.0.192.in-addr.arpa': { PTR: ['flaky.example.com'] },
    'flaky.example.com': { A: 'timeout' },
    '15.2.0.192.in-addr.arpa': { PTR: ['192.0.2.15'] },
    '192.0.2.15': { A: ['192.0.2.15'] },
    '5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa': { PTR: ['v6.example.com'] },
    'v6.example.com': { AAAA: ['2001:db8:0:0:0:0:0:5'] },
  });
  assert.deepEqual(await reverseDnsLookup(r, '192.0.2.10'), { status: 'confirmed', hostname: 'mail.example.com', ptr: ['mail.example.com'] });
  assert.deepEqual(await reverseDnsLookup(r, '2001:db8::5'), { status: 'confirmed', hostname: 'v6.example.com', ptr: ['v6.example.com'] });
  assert.deepEqual(await reverseDnsLookup(r, '203.0.113.5'), { status: 'no-ptr' });
  assert.deepEqual(await reverseDnsLookup(r, '192.0.2.11'), { status: 'not-confirmed', ptr: ['liar.example.com'] });
  assert.deepEqual(await reverseDnsLookup(r, '192.0.2.12'), { status: 'failed', ptr: [] });
  assert.deepEqual(await reverseDnsLookup(r, '192.0.2.14'), { status: 'failed', ptr: ['flaky.example.com'] });
  // a PTR "name" that is an address literal is no host name (Postfix: "numeric hostname")
  assert.deepEqual(await reverseDnsLookup(r, '192.0.2.15'), { status: 'not-confirmed', ptr: ['192.0.2.15'] });
  // the name for Rspamd's Hostname header: only a confirmed one; never "unknown"
  assert.equal(await confirmedHostname(r, '192.0.2.10'), 'mail.example.com');
  for (const ip of ['203.0.113.5', '192.0.2.11', '192.0.2.12', '192.0.2.14', '192.0.2.15']) assert.equal(await confirmedHostname(r, ip), undefined, ip);
});

test('--verbose: the envelope sent, one header a line, and why there is no Hostname', () => {
  const result = (envelope: SentEnvelope, engine: 'rspamd' | 'builtin' = 'rspamd'): ScoreResult => ({
    file: 'm.eml', engine, score: 0, requiredScore: 15, action: 'no action', symbols: [], findings: [], fixFirst: [], envelope, bytes: 1,
  });
  const sent = (env: Envelope) => envelopeHeaders(env).map(([name, value]) => ({ name, value }));
  const noPtr = { ip: '203.0.113.5', from: 'a@example.org', rcpt: ['b@example.net'] };
  assert.equal(
    renderSentEnvelope(result({ ...noPtr, reverseDns: { status: 'no-ptr' }, headers: sent(noPtr) })),
    [
      'm.eml: envelope sent to Rspamd /checkv2:',
      '  IP: 203.0.113.5',
      '  From: a@example.org',
      '  Rcpt: b@example.net',
      "  no Hostname: 203.0.113.5 has no PTR record; a receiver's MTA would call the client unknown, and Rspamd's milter sends no Hostname for that",
    ].join('\n'),
  );
  const liar = { ip: '192.0.2.11', rcpt: [] };
  assert.match(renderSentEnvelope(result({ ...liar, reverseDns: { status: 'not-confirmed', ptr: ['liar.example.com'] }, headers: sent(liar) }))!, /no Hostname: the PTR name liar\.example\.com of 192\.0\.2\.11 does not resolve back to it/);
  assert.match(renderSentEnvelope(result({ ...liar, reverseDns: { status: 'failed', ptr: [] }, headers: sent(liar) }))!, /no Hostname: the reverse DNS of 192\.0\.2\.11 did not resolve/);
  const ok = { ip: '192.0.2.10', hostname: 'mail.example.com', rcpt: [] };
  assert.equal(
    renderSentEnvelope(result({ ...ok, reverseDns: { status: 'confirmed', hostname: 'mail.example.com', ptr: ['mail.example.com'] }, headers: sent(ok) })),
    'm.eml: envelope sent to Rspamd /checkv2:\n  IP: 192.0.2.10\n  Hostname: mail.example.com\n  reverse DNS: 192.0.2.10 → mail.example.com → 192.0.2.10 (forward-confirmed)',
  );
  const flagUnknown = { ip: '192.0.2.10', hostname: 'unknown', rcpt: [] };
  assert.equal(renderSentEnvelope(result({ ...flagUnknown, headers: sent(flagUnknown) })), 'm.eml: envelope sent to Rspamd /checkv2:\n  IP: 192.0.2.10\n  no Hostname: "unknown" is never sent (Rspamd\'s milter skips it)');
  // the built-in engine sends nothing: nothing to show
  assert.equal(renderSentEnvelope(result({ rcpt: [] }, 'builtin')), undefined);
});
