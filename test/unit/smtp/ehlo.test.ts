import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatExtension, hasExtension, parseEhlo } from '../../../src/core/smtp/ehlo.js';
import { parseReply } from '../../../src/core/smtp/reply.js';

test('EHLO reply: server name, greeting, extensions with parameters', () => {
  const info = parseEhlo(parseReply('250-mx.example.test Hello [192.0.2.1]\r\n250-SIZE 10240000\r\n250-pipelining\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250 STARTTLS'));
  assert.equal(info.domain, 'mx.example.test');
  assert.equal(info.greeting, 'Hello [192.0.2.1]');
  assert.deepEqual(info.extensions.map(formatExtension), ['SIZE 10240000', 'PIPELINING', 'AUTH PLAIN LOGIN', '8BITMIME', 'STARTTLS']);
  assert.ok(hasExtension(info, 'starttls'));
  assert.ok(!hasExtension(info, 'CHUNKING'));
  assert.ok(!hasExtension(undefined, 'SIZE'));
});

test('legacy "AUTH=LOGIN PLAIN" lines and a one-line EHLO reply', () => {
  const info = parseEhlo(parseReply('250-mx\r\n250 AUTH=LOGIN PLAIN'));
  assert.deepEqual(info.extensions, [{ keyword: 'AUTH', params: ['LOGIN', 'PLAIN'] }]);
  const bare = parseEhlo(parseReply('250 mx.example.test'));
  assert.equal(bare.domain, 'mx.example.test');
  assert.deepEqual(bare.extensions, []);
});
