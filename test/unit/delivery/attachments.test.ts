import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../src/core/errors.js';
import { DEFAULT_ALLOWED_EXTENSIONS } from '../../../src/core/score/attachment-extensions.js';
import { assertAttachmentsAllowed, attachmentAllowList, decideAttachment, type AttachmentRefusal } from '../../../src/core/delivery/message.js';

const defaults = attachmentAllowList();

test('the allow-list is the default list, plus --allow-attachment values (with or without a dot, comma lists, any case)', () => {
  assert.deepEqual([...defaults].sort(), [...DEFAULT_ALLOWED_EXTENSIONS].sort());
  const more = attachmentAllowList({ allowAttachment: ['.XML', 'json, md'] });
  for (const e of ['xml', 'json', 'md', 'pdf']) assert.ok(more.has(e), e);
  // --attachment-allow-list replaces the default list
  const only = attachmentAllowList({ attachmentAllowList: ['pdf'], allowAttachment: ['png'] });
  assert.deepEqual([...only].sort(), ['pdf', 'png']);
});

const cases: [string, boolean, AttachmentRefusal?, string?][] = [
  // allowed: default list, any case, paths
  ['invoice.pdf', true],
  ['INVOICE.PDF', true],
  ['Photo.JpEg', true],
  ['archive/2025/report.xlsx', true],
  ['C:\\Users\\ann\\report.docx', true],
  ['release-1.2.3.zip', true], // dots in the name part are no extensions of a blocked kind
  // always blocked, whatever the case
  ['setup.exe', false, 'blocked', 'exe'],
  ['SETUP.EXE', false, 'blocked', 'exe'],
  ['run.Ps1', false, 'blocked', 'ps1'],
  ['macro.docm', false, 'blocked', 'docm'],
  // double extensions: the blocked one last, or hiding next-to-last (Rspamd MIME_DOUBLE_BAD_EXTENSION)
  ['invoice.pdf.exe', false, 'blocked', 'exe'],
  ['invoice.PDF.Exe', false, 'blocked', 'exe'],
  ['invoice.pdf      .exe', false, 'blocked', 'exe'],
  ['invoice.exe.pdf', false, 'double-extension', 'exe'],
  ['statement.JS.zip', false, 'double-extension', 'js'],
  // Windows ignores trailing dots and spaces: "setup.exe. " runs as setup.exe
  ['setup.exe.', false, 'blocked', 'exe'],
  ['setup.exe . ', false, 'blocked', 'exe'],
  // not on the allow-list, or no extension
  ['data.xml', false, 'not-allowed'],
  ['notes.md', false, 'not-allowed'],
  ['README', false, 'no-extension'],
  ['.hidden', false, 'no-extension'],
];

for (const [filename, allowed, reason, blockedExtension] of cases) {
  test(`${JSON.stringify(filename)}: ${allowed ? 'allowed' : reason}`, () => {
    const d = decideAttachment(filename, defaults);
    assert.equal(d.allowed, allowed);
    assert.equal(d.reason, reason);
    if (blockedExtension) {
      assert.equal(d.blockedExtension, blockedExtension);
      assert.ok(d.kind, 'names the kind of executable');
    }
  });
}

test('blocked extensions stay blocked when put on the allow-list', () => {
  const permissive = attachmentAllowList({ allowAttachment: ['exe', 'js', 'xml'] });
  assert.equal(decideAttachment('setup.exe', permissive).allowed, false);
  assert.equal(decideAttachment('invoice.exe.pdf', permissive).allowed, false);
  assert.equal(decideAttachment('data.xml', permissive).allowed, true);
  assert.equal(decideAttachment('data.XML', permissive).allowed, true);
});

test('assertAttachmentsAllowed: a one-line UsageError naming the file, and the flag when one helps', () => {
  const check = (names: string[], re: RegExp, hint?: RegExp) =>
    assert.throws(
      () => assertAttachmentsAllowed(names, defaults),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.doesNotMatch(err.message, /[\r\n]/);
        assert.match(err.message, re);
        if (hint) assert.match(err.hint ?? '', hint);
        return true;
      },
    );
  check(['ok.pdf', 'data.xml'], /^attachment "data\.xml": \.xml is not on the attachment allow-list; pass --allow-attachment xml to send it$/);
  check(['invoice.pdf.exe'], /"invoice\.pdf\.exe" is a Windows executable \(\.exe\)/, /--allow-attachment cannot allow it/);
  check(['invoice.exe.pdf'], /"invoice\.exe\.pdf" has a double extension .*\(\.exe\.pdf\)/, /rename/);
  check(['README'], /"README" has no file extension/, /rename/);
  assert.doesNotThrow(() => assertAttachmentsAllowed(['a.pdf', 'b.PNG', 'c.ics'], defaults));
  assert.doesNotThrow(() => assertAttachmentsAllowed([], defaults));
});
