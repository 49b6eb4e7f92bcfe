import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alternative, attachment, codes, eml, lint, mixed } from './craft.js';
import { GMAIL_CLIP_BYTES, MAX_ATTACHMENT_BYTES, MAX_MESSAGE_BYTES, domainShownIn } from '../../../src/core/score/lint-rules.js';

const PLAIN = 'A normal message with enough words to read like one.';
const LONG_TEXT = 'This paragraph is real text that a person reads. '.repeat(12);

test('a well-formed multipart/alternative message has no findings', async () => {
  const a = alternative(PLAIN, `<p>${LONG_TEXT}</p><img src="https://example.com/logo.png" alt="logo">`);
  assert.deepEqual(await lint(eml({}, a.body, a.contentType)), []);
});

test('LINT_NO_TEXT_PART: HTML without text/plain, single part or alternative', async () => {
  assert.deepEqual(codes(await lint(eml({}, `<p>${LONG_TEXT}</p>`, 'text/html; charset=utf-8'))), ['LINT_NO_TEXT_PART']);
  const htmlOnlyAlt = alternative(null, `<p>${LONG_TEXT}</p>`);
  assert.deepEqual(codes(await lint(eml({}, htmlOnlyAlt.body, htmlOnlyAlt.contentType))), ['LINT_NO_TEXT_PART']);
  // an empty text/plain part is no alternative either
  const emptyText = alternative('', `<p>${LONG_TEXT}</p>`);
  assert.ok(codes(await lint(eml({}, emptyText.body, emptyText.contentType))).includes('LINT_NO_TEXT_PART'));
  // a text/plain *attachment* does not count as the alternative
  const withTxtAttachment = {
    body: `--m\r\nContent-Type: text/html\r\n\r\n<p>${LONG_TEXT}</p>\r\n--m\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="notes.txt"\r\n\r\nnotes\r\n--m--\r\n`,
    contentType: 'multipart/mixed; boundary="m"',
  };
  assert.ok(codes(await lint(eml({}, withTxtAttachment.body, withTxtAttachment.contentType))).includes('LINT_NO_TEXT_PART'));
  // plain text only: nothing to say
  assert.deepEqual(await lint(eml({}, PLAIN)), []);
});

test('LINT_IMAGE_ONLY: images with under 400 characters of visible text; hidden text does not count', async () => {
  const img = '<img src="https://example.com/a.png"><img src="https://example.com/b.png">';
  const a = alternative(PLAIN, `<html><head><title>${LONG_TEXT}</title><style>p{color:red}</style></head><body>${img}<p>Buy now</p><!-- ${LONG_TEXT} --></body></html>`);
  const f = (await lint(eml({}, a.body, a.contentType))).find((x) => x.code === 'LINT_IMAGE_ONLY');
  assert.ok(f);
  assert.deepEqual(f.evidence, { images: 2, textChars: 6 });
  const enough = alternative(PLAIN, `${img}<p>${LONG_TEXT}</p>`);
  assert.deepEqual(codes(await lint(eml({}, enough.body, enough.contentType))), []);
  // zero-width padding is not text
  const padded = alternative(PLAIN, `${img}<p>${'\u200b'.repeat(500)}Hi</p>`);
  assert.ok(codes(await lint(eml({}, padded.body, padded.contentType))).includes('LINT_IMAGE_ONLY'));
});

test('LINT_URL_SHORTENER: shorteners in HTML hrefs and in the text body, grouped per shortener', async () => {
  const a = alternative(
    `Read more at https://tinyurl.com/abc123. Or https://www.bit.ly/x.`,
    `<p>${LONG_TEXT}</p><a href="https://bit.ly/3xY">offer</a> <a href="https://t.co/Zz">tweet</a> <a href="https://example.com/">home</a>`,
  );
  const f = (await lint(eml({}, a.body, a.contentType))).filter((x) => x.code === 'LINT_URL_SHORTENER');
  assert.deepEqual(f.map((x) => (x.evidence as { shortener: string }).shortener).sort(), ['bit.ly', 't.co', 'tinyurl.com']);
  const bitly = f.find((x) => (x.evidence as { shortener: string }).shortener === 'bit.ly')!;
  assert.deepEqual((bitly.evidence as { urls: string[] }).urls, ['https://bit.ly/3xY', 'https://www.bit.ly/x']);
  // a look-alike is not a shortener
  assert.deepEqual(await lint(eml({}, 'see https://notbit.ly/x and https://bit.ly.example.com/y')), []);
});

test('LINT_ATTACHMENT_BLOCKED: executables are errors whatever the allow-list; others outside it are warnings', async () => {
  const m = mixed(PLAIN, [attachment('invoice.pdf.exe'), attachment('run.ps1'), attachment('data.xml'), attachment('report.pdf'), attachment('photo.JPG')]);
  const f = (await lint(eml({}, m.body, m.contentType))).filter((x) => x.code === 'LINT_ATTACHMENT_BLOCKED');
  const by = Object.fromEntries(f.map((x) => [(x.evidence as { filename: string }).filename, x.severity]));
  assert.deepEqual(by, { 'invoice.pdf.exe': 'error', 'run.ps1': 'error', 'data.xml': 'warning' });
  // configurable: xml allowed; exe allowed in the list is still flagged
  const f2 = (await lint(eml({}, m.body, m.contentType), { allowedExtensions: ['pdf', 'jpg', 'xml', 'exe'] })).filter((x) => x.code === 'LINT_ATTACHMENT_BLOCKED');
  assert.deepEqual(f2.map((x) => (x.evidence as { filename: string }).filename).sort(), ['invoice.pdf.exe', 'run.ps1']);
  // no extension at all is outside the list
  const noExt = mixed(PLAIN, [attachment('README')]);
  assert.match((await lint(eml({}, noExt.body, noExt.contentType)))[0]!.message, /has no extension/);
});

test('LINT_ATTACHMENT_BLOCKED: RFC 2231 encoded file names are decoded before the extension is read', async () => {
  const part = `Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.scr\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=`;
  const m = mixed(PLAIN, [part]);
  const f = (await lint(eml({}, m.body, m.contentType))).find((x) => x.code === 'LINT_ATTACHMENT_BLOCKED');
  assert.equal((f?.evidence as { filename: string }).filename, 'résumé.scr');
  assert.equal(f?.severity, 'error');
});

test('LINT_ATTACHMENT_LARGE and LINT_SIZE_LARGE on a message just over the limits', async () => {
  const bytes = MAX_ATTACHMENT_BYTES + 3;
  const b64 = Buffer.alloc(bytes, 7).toString('base64').replace(/.{76}/g, '$&\r\n');
  const m = mixed(PLAIN, [attachment('big.pdf', b64, 'application/pdf')]);
  const raw = eml({}, m.body, m.contentType);
  assert.ok(raw.length > MAX_MESSAGE_BYTES);
  const f = await lint(raw);
  assert.deepEqual(codes(f), ['LINT_ATTACHMENT_LARGE', 'LINT_SIZE_LARGE']);
  assert.equal((f.find((x) => x.code === 'LINT_ATTACHMENT_LARGE')!.evidence as { bytes: number }).bytes, bytes);
  const small = mixed(PLAIN, [attachment('small.pdf', Buffer.alloc(1000).toString('base64').replace(/.{76}/g, '$&\r\n'), 'application/pdf')]);
  assert.deepEqual(await lint(eml({}, small.body, small.contentType)), []);
});

test('LINT_MISSING_DATE: absent or not a date', async () => {
  assert.deepEqual(codes(await lint(eml({ Date: null }, PLAIN))), ['LINT_MISSING_DATE']);
  assert.match((await lint(eml({ Date: 'yesterday-ish' }, PLAIN)))[0]!.message, /not a valid date-time/);
  // comments in the date are allowed (RFC 5322 §3.3 CFWS)
  assert.deepEqual(await lint(eml({ Date: 'Thu, 27 Nov 2025 10:00:00 +0000 (UTC)' }, PLAIN)), []);
});

test('LINT_MISSING_MESSAGE_ID: absent, empty or not <left@right>', async () => {
  assert.deepEqual(codes(await lint(eml({ 'Message-ID': null }, PLAIN))), ['LINT_MISSING_MESSAGE_ID']);
  assert.deepEqual(codes(await lint(eml({ 'Message-ID': 'abc123' }, PLAIN))), ['LINT_MISSING_MESSAGE_ID']);
  assert.deepEqual(codes(await lint(eml({ 'Message-ID': '<no-at-sign>' }, PLAIN))), ['LINT_MISSING_MESSAGE_ID']);
});

test('LINT_FROM_INVALID: missing, duplicated, no address, group, several mailboxes without Sender, bad addr-spec', async () => {
  const msg = async (from: string | null, extra: Record<string, string> = {}) => (await lint(eml({ From: from, ...extra }, PLAIN))).filter((f) => f.code === 'LINT_FROM_INVALID');
  assert.match((await msg(null))[0]!.message, /no From header/);
  assert.match((await msg('undisclosed'))[0]!.message, /holds no address/);
  assert.match((await msg('Friends: a@example.com, b@example.com;'))[0]!.message, /group/);
  assert.match((await msg('a@example.com, b@example.com'))[0]!.message, /2 mailboxes/);
  assert.deepEqual(await msg('a@example.com, b@example.com', { Sender: 'a@example.com' }), []);
  assert.match((await msg('Bad <user@localhost>'))[0]!.message, /not a valid addr-spec/);
  assert.deepEqual(await msg('"Team, Inc." <team@example.com>'), []);
  const twice = `From: a@example.com\r\n${eml({}, PLAIN)}`;
  assert.match((await lint(twice)).find((f) => f.code === 'LINT_FROM_INVALID')!.message, /2 From headers/);
  // RFC 2047 encoded display name and an IDN domain are fine
  assert.deepEqual(await msg('=?UTF-8?B?Wm/DqyBUZWFt?= <team@example.com>'), []);
});

test('LINT_SUBJECT_MISSING: absent or blank', async () => {
  assert.match((await lint(eml({ Subject: null }, PLAIN)))[0]!.message, /no Subject header/);
  assert.match((await lint(eml({ Subject: '   ' }, PLAIN)))[0]!.message, /empty/);
});

test('bulk rules run only with --bulk; RFC 8058 one-click needs an https URI and the exact POST header', async () => {
  const noHeader = eml({}, PLAIN);
  assert.deepEqual(await lint(noHeader), []);
  assert.deepEqual(codes(await lint(noHeader, { bulk: true })), ['LINT_NO_UNSUBSCRIBE']);
  assert.deepEqual(codes(await lint(eml({ 'List-Unsubscribe': 'unsubscribe here' }, PLAIN), { bulk: true })), ['LINT_NO_UNSUBSCRIBE']);
  const mailtoOnly = eml({ 'List-Unsubscribe': '<mailto:u@example.com>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }, PLAIN);
  const f1 = (await lint(mailtoOnly, { bulk: true }))[0]!;
  assert.equal(f1.code, 'LINT_NO_ONE_CLICK_UNSUBSCRIBE');
  assert.match(f1.message, /https: URI/);
  assert.doesNotMatch(f1.message, /List-Unsubscribe-Post/);
  const noPost = eml({ 'List-Unsubscribe': '<https://example.com/u/1>' }, PLAIN);
  assert.match((await lint(noPost, { bulk: true }))[0]!.message, /List-Unsubscribe-Post/);
  const wrongPost = eml({ 'List-Unsubscribe': '<https://example.com/u/1>', 'List-Unsubscribe-Post': 'List-Unsubscribe=Yes' }, PLAIN);
  assert.deepEqual(codes(await lint(wrongPost, { bulk: true })), ['LINT_NO_ONE_CLICK_UNSUBSCRIBE']);
  const good = eml({ 'List-Unsubscribe': '<mailto:u@example.com>, <https://example.com/u/1>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }, PLAIN);
  assert.deepEqual(await lint(good, { bulk: true }), []);
});

test('LINT_LINK_TEXT_MISMATCH: text showing one domain, href going to another', async () => {
  const html = (a: string) => alternative(PLAIN, `<p>${LONG_TEXT}</p>${a}`);
  const run = async (a: string) => {
    const m = html(a);
    return (await lint(eml({}, m.body, m.contentType))).filter((f) => f.code === 'LINT_LINK_TEXT_MISMATCH');
  };
  assert.equal((await run('<a href="https://evil.example.net/x">https://www.paypal.com/</a>')).length, 1);
  assert.equal((await run('<a href="http://198.51.100.7/">www.example.com</a>')).length, 1);
  assert.equal((await run('<a href="https://click.esp.example.net/t/1"><b>example.com</b>/account</a>')).length, 1);
  // same registrable domain, words instead of a URL, file names and version numbers: fine
  assert.deepEqual(await run('<a href="https://mail.example.co.uk/a">www.example.co.uk</a>'), []);
  assert.deepEqual(await run('<a href="https://evil.example.net/">Click here</a>'), []);
  assert.deepEqual(await run('<a href="https://evil.example.net/">report.pdf</a>'), []);
  assert.deepEqual(await run('<a href="https://evil.example.net/">v1.2</a>'), []);
  assert.deepEqual(await run('<a href="mailto:team@example.com">example.org</a>'), []);
  // entities in the href are decoded before comparing
  assert.deepEqual(await run('<a href="https://www.example.com/?a=1&amp;b=2">example.com</a>'), []);
});

test('domainShownIn reads URLs and bare domains, not words', () => {
  assert.equal(domainShownIn('https://www.PayPal.com/signin'), 'www.paypal.com');
  assert.equal(domainShownIn('example.co.uk.'), 'example.co.uk');
  assert.equal(domainShownIn('Click here'), undefined);
  assert.equal(domainShownIn('index.html'), undefined);
});

test('LINT_HTML_CLIPPED above 102 KB of HTML', async () => {
  const big = alternative(PLAIN, `<p>${'x'.repeat(GMAIL_CLIP_BYTES + 10)}</p>`);
  const f = await lint(eml({}, big.body, big.contentType));
  assert.ok(codes(f).includes('LINT_HTML_CLIPPED'));
  assert.equal(f.find((x) => x.code === 'LINT_HTML_CLIPPED')!.severity, 'info');
});

test('LINT_LINE_TOO_LONG: over 998 octets, counting from line starts, CRLF excluded', async () => {
  const exact = eml({}, 'y'.repeat(998));
  assert.deepEqual(await lint(exact), []);
  const over = await lint(eml({}, `ok\n${'y'.repeat(999)}\n${'z'.repeat(1500)}`));
  const f = over.find((x) => x.code === 'LINT_LINE_TOO_LONG')!;
  assert.deepEqual(f.evidence, { lines: 2, longest: 1500, line: 11 });
});

test('huge headers: a 200 KB folded header parses; an unfolded one is a long line, not a crash', async () => {
  const folded = Array.from({ length: 4000 }, (_, i) => `x${i}@example.net`).join(',\r\n ');
  const f = await lint(eml({ To: folded }, PLAIN));
  assert.deepEqual(f, []);
  const unfolded = await lint(eml({ 'X-Tracking': 'a'.repeat(200_000) }, PLAIN));
  assert.deepEqual(codes(unfolded), ['LINT_LINE_TOO_LONG']);
});

test('headers past the parser limit: LINT_MIME_UNPARSEABLE, the raw checks still run', async () => {
  const many = Array.from({ length: 3000 }, (_, i) => `X-Filler-${i}: ${'v'.repeat(800)}`).join('\r\n');
  const raw = `${many}\r\n${eml({ Subject: null }, PLAIN)}`;
  const f = await lint(raw);
  assert.ok(codes(f).includes('LINT_MIME_UNPARSEABLE'));
  assert.ok(codes(f).includes('LINT_SUBJECT_MISSING'));
});

test('8-bit bodies: declared 8bit is fine; undeclared is flagged; 8-bit headers are flagged', async () => {
  const body = 'Grüße aus Köln — déjà vu.';
  assert.deepEqual(await lint(eml({ 'Content-Transfer-Encoding': '8bit' }, body)), []);
  const undeclared = await lint(eml({}, body));
  assert.deepEqual(codes(undeclared), ['LINT_UNDECLARED_8BIT']);
  assert.match(undeclared[0]!.message, /declared 7bit/);
  const hdr = await lint(eml({ Subject: 'Café', 'Content-Transfer-Encoding': '8bit' }, body));
  assert.match(hdr[0]!.message, /header section/);
  // latin-1 bytes (not UTF-8) in a quoted-printable part are undeclared too, and do not crash the parser
  const latin1 = Buffer.concat([Buffer.from(eml({ 'Content-Transfer-Encoding': 'quoted-printable' }, 'caf'), 'utf8'), Buffer.from([0xe9, 0x0d, 0x0a])]);
  assert.deepEqual(codes(await lint(latin1)), ['LINT_UNDECLARED_8BIT']);
});

test('malformed MIME: unclosed multipart, missing boundary, bad Content-Type are reported; rules still run', async () => {
  const unclosed = eml({}, '--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n', 'multipart/alternative; boundary="b"');
  const f = await lint(unclosed);
  assert.deepEqual(codes(f), ['LINT_MIME_MALFORMED', 'LINT_NO_TEXT_PART']);
  assert.match(f.find((x) => x.code === 'LINT_MIME_MALFORMED')!.message, /never closed/);
  const noBoundary = await lint(eml({}, 'text', 'multipart/mixed'));
  assert.match(noBoundary[0]!.message, /without a boundary/);
  const noDelimiter = await lint(eml({}, 'just text', 'multipart/mixed; boundary="zz"'));
  assert.match(noDelimiter[0]!.message, /no part delimited/);
  const badType = await lint(eml({}, 'text', 'garbage'));
  assert.match(badType[0]!.message, /not type\/subtype/);
});

test('LF-only line endings are read like CRLF', async () => {
  const a = alternative(PLAIN, `<p>${LONG_TEXT}</p>`);
  const lf = eml({}, a.body, a.contentType).replace(/\r\n/g, '\n');
  assert.deepEqual(await lint(lf), []);
});
