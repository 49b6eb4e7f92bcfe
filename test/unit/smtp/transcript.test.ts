import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, Transcript } from '../../../src/core/smtp/transcript.js';

function clock() {
  let t = 1000;
  return () => (t += 5);
}

test('AUTH PLAIN initial responses are redacted, the mechanism kept', () => {
  const tr = new Transcript(clock());
  tr.client('AUTH PLAIN AHVzZXIAc2VjcmV0');
  tr.server('235 2.7.0 Authentication successful');
  assert.equal(tr.entries[0]!.text, `AUTH PLAIN ${REDACTED}`);
  assert.ok(!tr.format().includes('AHVzZXIAc2VjcmV0'));
});

test('answers to 334 challenges are redacted; the cancel "*" and later commands are not', () => {
  const tr = new Transcript(clock());
  tr.client('AUTH LOGIN');
  tr.server('334 VXNlcm5hbWU6');
  tr.client('dXNlcg==');
  tr.server('334 UGFzc3dvcmQ6');
  tr.client('c2VjcmV0');
  tr.server('235 ok');
  tr.client('MAIL FROM:<a@example.test>');
  tr.client('AUTH CRAM-MD5');
  tr.server('334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+');
  tr.client('*');
  assert.deepEqual(
    tr.entries.filter((e) => e.dir === 'client').map((e) => e.text),
    ['AUTH LOGIN', REDACTED, REDACTED, 'MAIL FROM:<a@example.test>', 'AUTH CRAM-MD5', '*'],
  );
  const text = tr.format();
  assert.ok(!text.includes('dXNlcg==') && !text.includes('c2VjcmV0'));
});

test('nodemailer-masked custom mechanisms and lowercase auth are redacted too', () => {
  const tr = new Transcript(clock());
  tr.client('auth xoauth2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB2RjlkZnQ0cW1UYzJOdmIzUmxja0JoZEhSaGRtbHpkR0V1WTI5dENnPT0BAQ==');
  tr.client('/* secret */');
  assert.deepEqual(tr.entries.map((e) => e.text), [`auth xoauth2 ${REDACTED}`, REDACTED]);
});

test('entries carry time since start and format as a classic transcript', () => {
  const seen: string[] = [];
  const tr = new Transcript(clock(), 1000, (e) => seen.push(e.dir));
  tr.event('connected');
  tr.server('250-a\n250 b');
  tr.client('QUIT');
  assert.deepEqual(tr.entries.map((e) => e.atMs), [5, 10, 15]);
  assert.deepEqual(seen, ['event', 'server', 'client']);
  assert.equal(tr.format(), '* connected\nS: 250-a\n   250 b\nC: QUIT');
});
