import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALWAYS_BLOCKED_EXTENSIONS, DEFAULT_ALLOWED_EXTENSIONS, blockedKind, extensionOf, parseExtensionList } from '../../../src/core/score/attachment-extensions.js';
import { shortenerFor } from '../../../src/core/score/url-shorteners.js';
import { reverseName } from '../../../src/core/score/reverse-dns.js';

test('extensions: last one counts, case-folded, dot-files and trailing dots have none', () => {
  assert.equal(extensionOf('Invoice.PDF.exe'), 'exe');
  assert.equal(extensionOf('C:\\Users\\a\\report.docx'), 'docx');
  assert.equal(extensionOf('.bashrc'), '');
  assert.equal(extensionOf('name.'), '');
  assert.equal(extensionOf('README'), '');
  assert.equal(blockedKind('exe'), 'Windows executable');
  assert.equal(blockedKind('pdf'), undefined);
  assert.equal(blockedKind('constructor'), undefined);
});

test('the default allow-list and the always-blocked list do not overlap', () => {
  for (const e of DEFAULT_ALLOWED_EXTENSIONS) assert.equal(e in ALWAYS_BLOCKED_EXTENSIONS, false, e);
});

test('allow-lists from flags: commas, spaces, dots, globs', () => {
  assert.deepEqual(parseExtensionList(['pdf, .PNG', '*.xml  json']), ['pdf', 'png', 'xml', 'json']);
  assert.deepEqual(parseExtensionList([',,']), []);
});

test('shorteners by host or registrable domain; prototype keys are not shorteners', () => {
  assert.equal(shortenerFor('bit.ly'), 'bit.ly');
  assert.equal(shortenerFor('WWW.Bit.Ly.'), 'bit.ly');
  assert.equal(shortenerFor('go.t.co', 't.co'), 't.co');
  assert.equal(shortenerFor('example.com', 'example.com'), undefined);
  assert.equal(shortenerFor('__proto__'), undefined);
});

test('reverse names: IPv4, IPv6 compressed and with an IPv4 tail', () => {
  assert.equal(reverseName('192.0.2.10'), '10.2.0.192.in-addr.arpa');
  assert.equal(reverseName('2001:db8::1'), `1.0.0.0.${'0.'.repeat(20)}8.b.d.0.1.0.0.2.ip6.arpa`);
  assert.equal(reverseName('::ffff:192.0.2.1'), `1.0.2.0.0.0.0.c.f.f.f.f.${'0.'.repeat(20)}ip6.arpa`);
});
