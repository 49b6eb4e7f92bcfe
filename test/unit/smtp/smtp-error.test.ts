import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromNodemailerError, printable, SmtpSessionError, type NodemailerErrorLike } from '../../../src/core/smtp/smtp-error.js';

function nm(message: string, fields: Partial<NodemailerErrorLike>): NodemailerErrorLike {
  return Object.assign(new Error(message), fields);
}

test('timeouts map by nodemailer timeoutType and by our phase', () => {
  const greet = fromNodemailerError(nm('Greeting never received', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }), 'greeting', 'mx [192.0.2.1]:25');
  assert.equal(greet.code, 'SMTP_GREETING_TIMEOUT');
  assert.equal(greet.temporary, true);
  assert.match(greet.message, /^mx \[192\.0\.2\.1\]:25: no SMTP greeting/);
  assert.equal(fromNodemailerError(nm('TLS handshake timed out', { code: 'ETIMEDOUT', timeoutType: 'UPGRADE_TIMEOUT' }), 'tls-handshake', 'h').code, 'SMTP_TLS_FAILED');
  assert.equal(fromNodemailerError(nm('Timeout', { code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' }), 'command', 'h').code, 'SMTP_TIMEOUT');
});

test('a refusing greeting keeps reply code, enhanced code and text; it is permanent for 5xx', () => {
  const e = fromNodemailerError(nm('Invalid greeting. response=554 5.7.1 go away: 554 5.7.1 go away', { code: 'EPROTOCOL', response: '554 5.7.1 go away', responseCode: 554, command: 'CONN' }), 'greeting', 'h');
  assert.ok(e instanceof SmtpSessionError);
  assert.equal(e.code, 'SMTP_GREETING_REJECTED');
  assert.equal(e.replyCode, 554);
  assert.equal(e.enhancedCode, '5.7.1');
  assert.equal(e.reply?.text, 'go away');
  assert.equal(e.temporary, false);
  assert.equal(e.command, undefined, 'CONN is not a command');
  const t = fromNodemailerError(nm('x', { code: 'EPROTOCOL', response: '421 4.3.2 busy' }), 'greeting', 'h');
  assert.equal(t.temporary, true);
});

test('a garbage greeting is a protocol error with the bytes shown printable', () => {
  const e = fromNodemailerError(nm('Invalid greeting', { code: 'EPROTOCOL', response: '\x16\x03\x01garbage' }), 'greeting', 'h');
  assert.equal(e.code, 'SMTP_PROTOCOL_ERROR');
  assert.match(e.message, /\\x16\\x03\\x01garbage/);
  assert.equal(printable('a\r\nb\xff'), 'a\\x0d\\x0ab\\xff');
});

test('TLS failures keep the OpenSSL code as systemCode; STARTTLS refusals keep the reply', () => {
  const hs = fromNodemailerError(nm('wrong version', { code: 'ESOCKET', originalCode: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' }), 'tls-handshake', 'h');
  assert.equal(hs.code, 'SMTP_TLS_FAILED');
  assert.equal(hs.systemCode, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION');
  const refused = fromNodemailerError(nm('Error upgrading connection with STARTTLS', { code: 'ETLS', response: '454 4.7.0 TLS not available', command: 'STARTTLS' }), 'starttls', 'h');
  assert.equal(refused.code, 'SMTP_TLS_FAILED');
  assert.equal(refused.replyCode, 454);
  assert.equal(refused.command, 'STARTTLS');
});

test('closed connections and command replies', () => {
  assert.equal(fromNodemailerError(nm('Connection closed unexpectedly', { code: 'ECONNECTION' }), 'greeting', 'h').code, 'SMTP_CONNECTION_CLOSED');
  assert.equal(fromNodemailerError(nm('Connection closed unexpectedly', { code: 'ECONNECTION' }), 'command', 'h').code, 'SMTP_CONNECTION_CLOSED');
  const rej = fromNodemailerError(nm("Can't send mail - all recipients were rejected", { code: 'EENVELOPE', response: '550 5.1.1 no such user', command: 'RCPT TO' }), 'data', 'h');
  assert.equal(rej.code, 'SMTP_REPLY_ERROR');
  assert.equal(rej.command, 'RCPT TO');
  assert.equal(rej.enhancedCode, '5.1.1');
  assert.equal(rej.temporary, false);
  assert.equal(fromNodemailerError(nm('Unexpected Response', { code: 'EPROTOCOL', response: 'hello' }), 'command', 'h').code, 'SMTP_PROTOCOL_ERROR');
});
