import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ExtractionOverBudget, ExtractionTimeout, htmlToText } from '../stages/ingest/html-text.js';

const LIMITS = { maxWork: 10_000_000, backstopMs: 10_000 };
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
  const page = htmlToText(html, LIMITS);
  assert.equal(page.text, `Budget approved\n${PROSE}`);
  assert.equal(page.title, 'A title');
  assert.deepEqual(page.robots, ['noindex']);
});

test('when the page marks its article, only the article is kept; a <br> is a line break, <pre> keeps its layout', () => {
  const html = `<body><div><p>${PROSE} Outside the article.</p></div>
    <article><h1>Title</h1><p>${PROSE}</p><p>${PROSE}</p><p>Roses are red,<br>violets are blue,<br>this line is a short one.</p>
    <pre>  indented\n    code</pre></article></body>`;
  assert.equal(htmlToText(html, LIMITS).text, `Title\n${PROSE}\n${PROSE}\nRoses are red,\nviolets are blue,\nthis line is a short one.\n  indented\n    code`);
});

test('a page over its work budget throws ExtractionOverBudget at the same place on every run, however long it took', () => {
  const page = `<div>${'<span>x</span>'.repeat(200_000)}</div>`;
  const messages = new Set<string>();
  for (const backstopMs of [60_000, 600_000]) {
    assert.throws(() => htmlToText(page, { maxWork: 100_000, backstopMs }), (err: unknown) => {
      assert.ok(err instanceof ExtractionOverBudget);
      messages.add(err.message);
      return true;
    });
  }
  assert.deepEqual([...messages], ['HTML parsing took more than 100000 work units (105322 by character 245760 of 2800011)']);
  assert.doesNotThrow(() => htmlToText(page, { maxWork: 2_000_000, backstopMs: 60_000 }), 'within budget it is parsed to the end');
});

test('nesting kept under the depth cap still exhausts the work budget long before its bytes would', () => {
  // 40 towers of 1,000 unclosed <div>s: each tag costs its depth, so ~20 million units in 330 KB.
  const nested = `<html><body>${`${'<div>'.repeat(1_000)}<span>x</span>${'</div>'.repeat(1_000)}`.repeat(40)}</body></html>`;
  const flat = `<html><body>${'<div><span>x</span></div>'.repeat(40_000)}</body></html>`;
  assert.throws(() => htmlToText(nested, LIMITS), ExtractionOverBudget);
  assert.doesNotThrow(() => htmlToText(flat, LIMITS));
});

test('a page over the wall-clock backstop throws ExtractionTimeout', () => {
  assert.throws(() => htmlToText(`<div>${'<span>x</span>'.repeat(2_000_000)}</div>`, { maxWork: 1e9, backstopMs: 1 }), ExtractionTimeout);
});
