import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MIME_DEPTH, parseHeaderBlock, parseMimeStructure, parseParams } from '../../../src/core/score/mime-structure.js';

const s = (text: string) => parseMimeStructure(Buffer.from(text, 'latin1'));

test('header block: folding, stray lines, LF endings, body offset', () => {
  const text = 'Subject: a\r\n  folded\r\nnot a header\r\nX-A:b\n\nbody';
  const { headers, bodyStart } = parseHeaderBlock(text, 0);
  assert.deepEqual(headers, [
    { name: 'subject', value: 'a  folded' },
    { name: 'x-a', value: 'b' },
  ]);
  assert.equal(text.slice(bodyStart), 'body');
});

test('parameters: quoted, unquoted, escaped, case-insensitive names, first wins', () => {
  assert.deepEqual(parseParams('Multipart/Mixed; BOUNDARY="a b;c"; charset=utf-8; boundary=x'), {
    value: 'multipart/mixed',
    params: { boundary: 'a b;c', charset: 'utf-8' },
  });
  assert.deepEqual(parseParams('text/plain; name="a\\"b"').params, { name: 'a"b' });
});

test('nested multiparts: leaves in order with types, encodings, dispositions and exact body ranges', () => {
  const raw = [
    'Content-Type: multipart/mixed; boundary="o"',
    '',
    'preamble',
    '--o',
    'Content-Type: multipart/alternative; boundary="i"',
    '',
    '--i',
    'Content-Type: text/plain',
    '',
    'TEXT',
    '--i',
    'Content-Type: text/html',
    'Content-Transfer-Encoding: Quoted-Printable',
    '',
    '<p>HTML</p>',
    '--i--',
    '--o',
    'Content-Type: application/pdf',
    'Content-Disposition: attachment; filename="a.pdf"',
    '',
    'PDF',
    '--o--',
    'epilogue',
  ].join('\r\n');
  const st = s(raw);
  assert.deepEqual(st.problems, []);
  assert.deepEqual(
    st.leaves.map((l) => [l.contentType, l.transferEncoding, l.disposition, l.depth, raw.slice(l.bodyStart, l.bodyEnd)]),
    [
      ['text/plain', '7bit', undefined, 2, 'TEXT'],
      ['text/html', 'quoted-printable', undefined, 2, '<p>HTML</p>'],
      ['application/pdf', '7bit', 'attachment', 1, 'PDF'],
    ],
  );
});

test('a boundary string inside a line is not a delimiter (RFC 2046 §5.1.1: only at a line start)', () => {
  const raw = 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n\r\nsee --b here\r\n--b--\r\n';
  const st = s(raw);
  assert.equal(st.leaves.length, 1);
  assert.equal(raw.slice(st.leaves[0]!.bodyStart, st.leaves[0]!.bodyEnd), 'see --b here');
});

test('deep nesting stops at the limit instead of recursing without end', () => {
  let raw = '';
  const depth = MAX_MIME_DEPTH + 10;
  for (let i = 0; i < depth; i++) raw += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
  raw += 'Content-Type: text/plain\r\n\r\nleaf\r\n';
  const st = s(raw);
  assert.match(st.truncated ?? '', /nesting deeper than 64/);
});

test('a message with no header section at all has an empty header list', () => {
  const st = s('\r\nbody only');
  assert.deepEqual(st.headers, []);
  assert.equal(st.leaves[0]!.contentType, 'text/plain');
});
