import { test } from 'node:test';
import assert from 'node:assert/strict';
import { envelopeHeaders, parseReceived, resolveEnvelope, validateEnvelopeFlags } from '../../../src/core/score/envelope.js';
import { parseHeaderBlock } from '../../../src/core/score/mime-structure.js';
import { UsageError } from '../../../src/core/errors.js';

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
