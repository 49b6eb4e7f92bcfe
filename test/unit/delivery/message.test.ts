import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import PostalMime from 'postal-mime';
import { FakeClock } from '../../../src/core/clock.js';
import { UsageError } from '../../../src/core/errors.js';
import { composeMessage, readMessage, TO_HEADER_MAX_RECIPIENTS, type ComposeInput } from '../../../src/core/delivery/message.js';

const T0 = Date.UTC(2025, 10, 27, 10, 0, 0); // Thu, 27 Nov 2025 10:00:00 +0000
const deps = () => ({ clock: new FakeClock(T0) });
const fixture = (name: string) => readFileSync(new URL(`../../fixtures/messages/${name}`, import.meta.url));

/** The header section, unfolded, as [lower-case name, value] pairs. */
function headers(raw: Buffer): [string, string][] {
  const head = raw.toString('latin1').split('\r\n\r\n', 1)[0]!.replace(/\r\n[ \t]/g, ' ');
  return head.split('\r\n').map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]);
}
const header = (raw: Buffer, name: string) => headers(raw).filter(([n]) => n === name).map(([, v]) => v);

/** Every line end is CRLF: no bare LF, no bare CR. */
function assertCrlf(raw: Buffer): void {
  const s = raw.toString('latin1');
  assert.doesNotMatch(s, /[^\r]\n|^\n/, 'bare LF');
  assert.doesNotMatch(s, /\r(?!\n)/, 'bare CR');
  assert.ok(s.endsWith('\r\n'), 'ends with CRLF');
}

/** A UsageError whose message is one line and matches re. */
function usageError(re: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof UsageError, `expected UsageError, got ${String(err)}`);
    assert.doesNotMatch(err.message, /[\r\n]/, 'one line');
    assert.match(err.message, re);
    return true;
  };
}

const base: ComposeInput = {
  from: 'Ann Example <ann@example.com>',
  to: ['bob@example.net'],
  subject: 'Grüße from the test',
  text: 'Hello Bob,\nthis is the text part.\n',
  html: '<p>Hello Bob,<br>this is the <b>HTML</b> part.</p>\n',
};

// ---- compose ----------------------------------------------------------------------------------

test('compose: From, To, Subject, Date from the clock, MIME-Version, a generated Message-ID at the From domain; CRLF', async () => {
  const m = await composeMessage(deps(), base);
  assertCrlf(m.raw);
  assert.deepEqual(header(m.raw, 'from'), ['Ann Example <ann@example.com>']);
  assert.deepEqual(header(m.raw, 'to'), ['bob@example.net']);
  assert.deepEqual(header(m.raw, 'date'), ['Thu, 27 Nov 2025 10:00:00 +0000']);
  assert.deepEqual(header(m.raw, 'mime-version'), ['1.0']);
  assert.match(m.messageId, /^<[0-9a-f]{32}@example\.com>$/);
  assert.deepEqual(header(m.raw, 'message-id'), [m.messageId]);
  assert.deepEqual(m.from, { address: 'ann@example.com', domain: 'example.com' });
  assert.deepEqual(m.notices, []);
  const parsed = await PostalMime.parse(m.raw);
  assert.equal(parsed.subject, 'Grüße from the test'); // RFC 2047 encoded on the wire
  assert.match(header(m.raw, 'subject')[0]!, /^=\?UTF-8\?/i);
  assert.equal(new Date(parsed.date!).getTime(), T0);
});

test('compose: the Date follows the injected clock', async () => {
  const d = deps();
  await d.clock.advance(86_400_000 + 1500);
  const m = await composeMessage(d, base);
  assert.deepEqual(header(m.raw, 'date'), ['Fri, 28 Nov 2025 10:00:01 +0000']);
});

test('compose: text and html make multipart/alternative; attachments wrap it in multipart/mixed', async () => {
  const alt = await composeMessage(deps(), base);
  assert.match(header(alt.raw, 'content-type')[0]!, /^multipart\/alternative; boundary=/);
  const pdf = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const withFiles = await composeMessage(deps(), {
    ...base,
    attachments: [
      { filename: 'invoice.pdf', content: pdf },
      { filename: 'data.csv', content: Buffer.from('a,b\n1,2\n'), contentType: 'text/csv' },
    ],
  });
  assertCrlf(withFiles.raw);
  assert.match(header(withFiles.raw, 'content-type')[0]!, /^multipart\/mixed; boundary=/);
  const parsed = await PostalMime.parse(withFiles.raw);
  assert.equal(parsed.text?.trimEnd(), 'Hello Bob,\nthis is the text part.');
  assert.match(parsed.html!, /<b>HTML<\/b>/);
  assert.deepEqual(
    parsed.attachments.map((a) => [a.filename, a.mimeType]),
    [
      ['invoice.pdf', 'application/pdf'],
      ['data.csv', 'text/csv'],
    ],
  );
  assert.deepEqual(Buffer.from(parsed.attachments[0]!.content as ArrayBuffer), pdf);
  assert.deepEqual(withFiles.attachments, [
    { filename: 'invoice.pdf', contentType: 'application/pdf' },
    { filename: 'data.csv', contentType: 'text/csv' },
  ]);
});

test('compose: text only is a single text/plain part; html only a single text/html part', async () => {
  const text = await composeMessage(deps(), { ...base, html: undefined });
  assert.match(header(text.raw, 'content-type')[0]!, /^text\/plain/);
  const html = await composeMessage(deps(), { ...base, text: undefined });
  assert.match(header(html.raw, 'content-type')[0]!, /^text\/html/);
});

test('compose: Message-ID is unique per message, and stable when given (a re-send keeps it)', async () => {
  const a = await composeMessage(deps(), base);
  const b = await composeMessage(deps(), base);
  assert.notEqual(a.messageId, b.messageId);
  // the same ID and the same clock give the same bytes: boundaries derive from the ID
  const again = await composeMessage(deps(), { ...base, messageId: a.messageId });
  assert.equal(again.messageId, a.messageId);
  assert.deepEqual(again.raw, a.raw);
  // given as an extra header, or without angle brackets, it is the same ID
  const viaHeader = await composeMessage(deps(), { ...base, headers: { 'Message-ID': a.messageId } });
  assert.equal(viaHeader.messageId, a.messageId);
  assert.deepEqual(header(viaHeader.raw, 'message-id'), [a.messageId]);
  const bare = await composeMessage(deps(), { ...base, messageId: 'order-42@shop.example.com' });
  assert.equal(bare.messageId, '<order-42@shop.example.com>');
  await assert.rejects(composeMessage(deps(), { ...base, messageId: '<no at sign>' }), usageError(/Message-ID .* <left@right>/));
});

test('compose: messageIdDomain names the right-hand side of a generated Message-ID', async () => {
  const m = await composeMessage(deps(), { ...base, messageIdDomain: 'mail.example.org' });
  assert.match(m.messageId, /^<[0-9a-f]{32}@mail\.example\.org>$/);
});

test(`compose: up to ${TO_HEADER_MAX_RECIPIENTS} recipients are listed in To:, more become undisclosed-recipients:;`, async () => {
  const few = Array.from({ length: TO_HEADER_MAX_RECIPIENTS }, (_, i) => `r${i}@example.net`);
  const listed = await composeMessage(deps(), { ...base, to: few });
  assert.deepEqual(header(listed.raw, 'to'), [few.join(', ')]);
  const many = [...few, 'one-more@example.net'];
  const hidden = await composeMessage(deps(), { ...base, to: many });
  assert.deepEqual(header(hidden.raw, 'to'), ['undisclosed-recipients:;']);
  assert.doesNotMatch(hidden.raw.toString('latin1'), /r0@example\.net/);
  assert.equal(hidden.notices.length, 1);
  assert.match(hidden.notices[0]!, /undisclosed-recipients.*R_UNDISC_RCPT/);
});

test('compose: extra headers are added; ones set from options, bad names and line breaks are refused', async () => {
  const m = await composeMessage(deps(), { ...base, headers: { 'List-Unsubscribe': '<mailto:unsub@example.com>', 'X-Campaign': 'test-1' } });
  assert.deepEqual(header(m.raw, 'list-unsubscribe'), ['<mailto:unsub@example.com>']);
  assert.deepEqual(header(m.raw, 'x-campaign'), ['test-1']);
  await assert.rejects(composeMessage(deps(), { ...base, headers: { Date: 'yesterday' } }), usageError(/header Date is set from the message's own options/));
  await assert.rejects(composeMessage(deps(), { ...base, headers: { 'Bad Name': 'x' } }), usageError(/not a field name/));
  await assert.rejects(composeMessage(deps(), { ...base, headers: { 'X-A': 'a\r\nBcc: evil@example.org' } }), usageError(/line break/));
  await assert.rejects(composeMessage(deps(), { ...base, subject: 'a\nBcc: evil@example.org' }), usageError(/subject contains a line break/));
});

test('compose: a From or recipient that is not one address, or no recipient at all, is a usage error', async () => {
  await assert.rejects(composeMessage(deps(), { ...base, from: 'not an address' }), usageError(/from address "not an address"/));
  await assert.rejects(composeMessage(deps(), { ...base, from: 'a@example.com, b@example.com' }), usageError(/from address/));
  await assert.rejects(composeMessage(deps(), { ...base, to: ['bob'] }), usageError(/recipient "bob"/));
  await assert.rejects(composeMessage(deps(), { ...base, to: [] }), usageError(/no recipients/));
});

test('compose: attachments are checked against the allow-list before anything is built', async () => {
  const exe = { filename: 'setup.exe', content: Buffer.from('MZ') };
  await assert.rejects(composeMessage(deps(), { ...base, attachments: [exe] }), usageError(/"setup.exe" is a Windows executable/));
  const xml = { filename: 'data.xml', content: Buffer.from('<a/>') };
  await assert.rejects(composeMessage(deps(), { ...base, attachments: [xml] }), usageError(/--allow-attachment xml/));
  const ok = await composeMessage(deps(), { ...base, attachments: [xml] }, { allowAttachment: ['xml'] });
  assert.deepEqual(ok.attachments.map((a) => a.filename), ['data.xml']);
});

// ---- read -------------------------------------------------------------------------------------

test('read: LF line ends become CRLF; the Bcc header (with its folded line) is removed; Message-ID and Date are added at the top', async () => {
  const input = fixture('delivery/lf-no-message-id.eml');
  const m = await readMessage(deps(), input, { name: 'lf-no-message-id.eml' });
  assertCrlf(m.raw);
  const s = m.raw.toString('latin1');
  assert.match(m.messageId, /^<[0-9a-f]{32}@example\.com>$/);
  assert.ok(s.startsWith(`Message-ID: ${m.messageId}\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000\r\nTo: bob@example.net\r\n`), s.slice(0, 200));
  assert.doesNotMatch(s, /hidden@example\.org|other@example\.org|^Bcc:/im);
  assert.ok(s.endsWith('\r\n\r\nLine one\r\nLine two\r\n'));
  assert.deepEqual(m.from, { address: 'ann@example.com', domain: 'example.com' });
  assert.equal(m.notices.length, 4);
  assert.match(m.notices.join(' '), /CRLF/);
  assert.match(m.notices.join(' '), /Bcc/);
  assert.match(m.notices.join(' '), new RegExp(`added ${m.messageId} at the top`));
  assert.match(m.notices.join(' '), /no Date header/);
});

test('read: an empty Message-ID or Date field is replaced, not doubled', async () => {
  const m = await readMessage(deps(), Buffer.from('From: ann@example.com\r\nMessage-ID: \r\nDate:\r\nSubject: x\r\n\r\nhi\r\n'));
  assert.equal(header(m.raw, 'message-id').length, 1);
  assert.deepEqual(header(m.raw, 'message-id'), [m.messageId]);
  assert.deepEqual(header(m.raw, 'date'), ['Thu, 27 Nov 2025 10:00:00 +0000']);
});

test('read: messageIdDomain names the domain of an added Message-ID', async () => {
  const m = await readMessage(deps(), fixture('delivery/lf-no-message-id.eml'), { messageIdDomain: 'mta.example.org' });
  assert.match(m.messageId, /@mta\.example\.org>$/);
});

test('read: a CRLF message with Message-ID and Date is passed through byte for byte', async () => {
  const input = fixture('good.eml');
  const crlf = Buffer.from(input.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
  const m = await readMessage(deps(), crlf, { name: 'good.eml' });
  assert.deepEqual(m.raw, crlf);
  assert.deepEqual(m.notices, []);
  assert.equal(m.messageId, header(crlf, 'message-id')[0]!.match(/<[^>]+>/)![0]);
});

test('read: the Message-ID already in the message is the one returned, whatever the clock', async () => {
  const input = Buffer.from('From: ann@example.com\r\nMessage-ID:\r\n  <kept-1@example.com>\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000\r\n\r\nhi\r\n');
  const a = await readMessage(deps(), input);
  const later = deps();
  await later.clock.advance(3_600_000);
  const b = await readMessage(later, input);
  assert.equal(a.messageId, '<kept-1@example.com>');
  assert.equal(b.messageId, '<kept-1@example.com>');
  assert.deepEqual(a.raw, b.raw);
});

test('read: CR-only line ends, a header-only message and a missing final line end are normalised', async () => {
  const cr = await readMessage(deps(), Buffer.from('From: ann@example.com\rMessage-ID: <cr@example.com>\rDate: Thu, 27 Nov 2025 10:00:00 +0000\r\rbody'));
  assert.equal(cr.raw.toString('latin1'), 'From: ann@example.com\r\nMessage-ID: <cr@example.com>\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000\r\n\r\nbody\r\n');
  const headOnly = await readMessage(deps(), Buffer.from('From: ann@example.com\r\nMessage-ID: <h@example.com>\r\nDate: Thu, 27 Nov 2025 10:00:00 +0000'));
  assert.ok(headOnly.raw.toString('latin1').endsWith('+0000\r\n\r\n'));
});

test('read: an mbox "From " separator line is dropped', async () => {
  const input = Buffer.from('From ann@example.com Thu Nov 27 10:00:00 2025\nFrom: ann@example.com\nMessage-ID: <m@example.com>\nDate: Thu, 27 Nov 2025 10:00:00 +0000\n\nhi\n');
  const m = await readMessage(deps(), input);
  assert.ok(m.raw.toString('latin1').startsWith('From: ann@example.com\r\n'));
  assert.match(m.notices.join(' '), /mbox/);
});

test('read: no From header, two From headers, or a From without an address are one-line usage errors', async () => {
  await assert.rejects(readMessage(deps(), fixture('delivery/no-from.eml'), { name: 'no-from.eml' }), usageError(/^no-from\.eml: the message has no From header/));
  const two = Buffer.from('From: a@example.com\r\nFrom: b@example.com\r\nSubject: x\r\n\r\nhi\r\n');
  await assert.rejects(readMessage(deps(), two, { name: 'two.eml' }), usageError(/2 From headers/));
  const noAddr = Buffer.from('From: Just A Name\r\nSubject: x\r\n\r\nhi\r\n');
  await assert.rejects(readMessage(deps(), noAddr, { name: 'x.eml' }), usageError(/From header "Just A Name" holds no address/));
});

test('read: input that is no message at all is refused with the reason', async () => {
  await assert.rejects(readMessage(deps(), Buffer.alloc(0), { name: 'empty.eml' }), usageError(/empty\.eml: not an email message: the file is empty/));
  await assert.rejects(readMessage(deps(), Buffer.from('{"json": true}\n'), { name: 'x.json' }), usageError(/not an email message/));
});

test('read: truncated or broken MIME is a clear usage error, not a crash', async () => {
  await assert.rejects(readMessage(deps(), fixture('delivery/truncated.eml'), { name: 'truncated.eml' }), usageError(/^truncated\.eml: broken MIME structure: .*never closed/));
  await assert.rejects(readMessage(deps(), fixture('malformed-mime.eml'), { name: 'malformed-mime.eml' }), usageError(/broken MIME structure/));
  // a single-part base64 body cut in the middle of a 4-character group
  const cut = Buffer.from('From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOk\r\nw7zD\r\nJVB');
  await assert.rejects(readMessage(deps(), cut, { name: 'cut.eml' }), usageError(/base64 .* cut short/));
  const noBoundary = Buffer.from('From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nhi\r\n');
  await assert.rejects(readMessage(deps(), noBoundary, { name: 'nb.eml' }), usageError(/without a boundary/));
  const binary = Buffer.from('From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\r\n', 'latin1');
  await assert.rejects(readMessage(deps(), binary, { name: 'bin.eml' }), usageError(/binary/));
});

test('read: the attachment list holds decoded file names (RFC 2231, RFC 2047), not unnamed inline parts', async () => {
  const m = await readMessage(deps(), fixture('delivery/named-attachments.eml'), { name: 'named-attachments.eml' });
  assert.deepEqual(m.attachments, [
    { filename: 'Rechnung März.pdf', contentType: 'application/pdf' },
    { filename: 'daten-übersicht.csv', contentType: 'text/csv' },
  ]);
});

test('read: attachments are checked against the allow-list; --allow-attachment does not allow executables', async () => {
  await assert.rejects(readMessage(deps(), fixture('attachments.eml'), { name: 'attachments.eml' }), usageError(/"invoice-1042\.pdf\.exe" is a Windows executable/));
  await assert.rejects(readMessage(deps(), fixture('attachments.eml'), { allowAttachment: ['exe', 'xml'] }), usageError(/invoice-1042\.pdf\.exe/));
  const textOnly = Buffer.from(
    'From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/xml\r\nContent-Disposition: attachment; filename=data.xml\r\n\r\n<a/>\r\n--b--\r\n',
  );
  await assert.rejects(readMessage(deps(), textOnly), usageError(/data\.xml.*--allow-attachment xml/));
  const allowed = await readMessage(deps(), textOnly, { allowAttachment: ['.XML'] });
  assert.deepEqual(allowed.attachments, [{ filename: 'data.xml', contentType: 'application/xml' }]);
});
