import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyseHtml, decodeEntities, urlsInText } from '../../../src/core/score/html-content.js';

test('links, images and visible text from broken real-world HTML', () => {
  const c = analyseHtml(
    `<html><head><style>.a{}</style><script>var x = "<a href='https://hidden.example'>x</a>";</script></head><body>
     <a HREF='https://one.example/a?x=1&amp;y=2'>One &amp; <b>only</b></a>
     <a href=https://two.example/>Two
     <a name="anchor-without-href">Three</a>
     <img src="x.png"><IMG src='y.png'/>
     <!-- <a href="https://comment.example">c</a> -->
     Caf&eacute; &#233;&#x20AC; &nbsp;end`,
  );
  assert.deepEqual(c.links, [
    { href: 'https://one.example/a?x=1&y=2', text: 'One & only' },
    { href: 'https://two.example/', text: 'Two' },
  ]);
  assert.equal(c.images, 2);
  assert.match(c.text, /Caf&eacute; é€ end$/);
  assert.doesNotMatch(c.text, /hidden|comment/);
});

test('entities and text URLs', () => {
  assert.equal(decodeEntities('&lt;&GT;&#0;&#x110000;&bogus;'), '<>&#0;&#x110000;&bogus;');
  assert.deepEqual(urlsInText('See https://example.com/a, (http://x.example/b). And https://y.example/c?d=1!'), [
    'https://example.com/a',
    'http://x.example/b',
    'https://y.example/c?d=1',
  ]);
});
