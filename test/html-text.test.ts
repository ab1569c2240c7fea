import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExtractionTimeout, htmlToText } from '../stages/ingest/html-text.js';

const PROSE = 'The council approved the new budget on Monday after a long debate about the cost of repairs to the old bridge.';

test('navigation, footers, cookie banners and link lists are removed; headings followed by prose are kept', () => {
  const html = `<html><head><title> A  title </title><meta name="robots" content="NoIndex"></head><body>
    <header><a href="/">Site name</a></header>
    <nav><ul><li><a href="/a">News</a></li><li><a href="/b">Sport</a></li></ul></nav>
    <div class="cookie-banner">We use cookies to improve your experience. Accept all cookies to continue browsing.</div>
    <h2>Orphan heading</h2>
    <h1>Budget approved</h1><p>${PROSE}</p>
    <ul class="links"><li><a href="/1">Related one</a></li><li><a href="/2">Related two</a></li></ul>
    <p>Share</p>
    <footer><p>© 2024 Example News. All rights reserved.</p></footer>
  </body></html>`;
  const page = htmlToText(html, 1000);
  assert.equal(page.text, `Budget approved\n${PROSE}`);
  assert.equal(page.title, 'A title');
  assert.deepEqual(page.robots, ['noindex']);
});

test('when the page marks its article, only the article is kept; a <br> is a line break, <pre> keeps its layout', () => {
  const html = `<body><div><p>${PROSE} Outside the article.</p></div>
    <article><h1>Title</h1><p>${PROSE}</p><p>${PROSE}</p><p>Roses are red,<br>violets are blue,<br>this line is a short one.</p>
    <pre>  indented\n    code</pre></article></body>`;
  assert.equal(htmlToText(html, 1000).text, `Title\n${PROSE}\n${PROSE}\nRoses are red,\nviolets are blue,\nthis line is a short one.\n  indented\n    code`);
});

test('a page over its time budget throws ExtractionTimeout', () => {
  assert.throws(() => htmlToText(`<div>${'<span>x</span>'.repeat(2_000_000)}</div>`, 1), ExtractionTimeout);
});
