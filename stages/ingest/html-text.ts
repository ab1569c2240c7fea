import { Parser } from 'htmlparser2';

/** Main text of a page, and the page-level signals ingest needs from its markup. */
export interface ExtractedPage {
  text: string;
  title: string | null;
  /** `<meta name="robots">` contents, lower-cased, in document order. */
  robots: string[];
  /** `<meta name="tdm-reservation">` contents (TDMRep, W3C Community Group report 2024). */
  tdm_reservation: string[];
}

/**
 * A page needed more parsing work than its budget allows. Work is counted, not timed, so whether a
 * page is kept does not depend on the machine or its load: one unit per element and text run, plus
 * the depth of open elements at each tag, since htmlparser2 keeps that stack in an array it unshifts
 * and searches (deeply nested unclosed tags cost time quadratic in their number).
 */
export class ExtractionOverBudget extends Error {}

/** The wall-clock backstop fired: unlike the work budget, this depends on the machine. */
export class ExtractionTimeout extends Error {}

/** What one page's extraction may cost: work units (deterministic), and wall-clock time as a backstop. */
export interface ExtractionLimits {
  maxWork: number;
  backstopMs: number;
}

/** The markup nests deeper than MAX_DEPTH open elements: extraction stops there. */
export class NestingTooDeep extends Error {}

/**
 * htmlparser2 keeps open elements in an array it shifts at the front, so each tag costs time in
 * the nesting depth and 100 000 nested `<div>`s take minutes. Blink stops building its tree at
 * 512 levels (kMaximumHTMLParserDOMTreeDepth); twice that leaves every real page whole.
 */
export const MAX_DEPTH = 1024;

/** Subtrees that never hold main text. */
const SKIP_TAGS = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'embed', 'canvas', 'select', 'button',
  'textarea', 'nav', 'aside', 'footer', 'dialog', 'head',
]);
/** Elements that start and end a block of text (a paragraph in the output). */
const BLOCK_TAGS = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'li', 'ul', 'ol', 'dl', 'dt', 'dd', 'blockquote', 'pre', 'table',
  'tr', 'td', 'th', 'caption', 'figure', 'figcaption', 'address', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'form',
  'fieldset', 'body', 'center', 'details', 'summary',
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const CONTAINERS = new Set(['article', 'main']);
/** Class and id words that mark page furniture (the vocabulary of jusText's and trafilatura's exclusion lists). */
const BOILERPLATE_WORDS = new Set([
  'nav', 'navbar', 'navigation', 'menu', 'footer', 'sidebar', 'breadcrumb', 'breadcrumbs', 'cookie', 'cookies', 'consent',
  'banner', 'share', 'sharing', 'social', 'comment', 'comments', 'related', 'widget', 'advert', 'advertisement', 'ads', 'ad',
  'promo', 'newsletter', 'popup', 'modal', 'sponsored', 'subscribe', 'masthead', 'toolbar', 'pagination', 'pager', 'skip',
  // MediaWiki's `[edit]` links beside every heading.
  'editsection',
]);
const BOILERPLATE_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'dialog', 'alert']);
/** Elements that wrap whole pages: a class on them says nothing about the text inside. */
const NEVER_SKIPPED = new Set(['html', 'body', 'main', 'article', 'form']);
const BOILERPLATE_LINE = /^(©|\(c\)|copyright\b)|all rights reserved|\bcookies?\b|privacy policy|terms of (use|service)|\bsign (in|up)\b|\blog ?in\b/i;
/** Stands for a `<br>` inside a block until whitespace is collapsed (a line break, not a new paragraph). */
const LINE_BREAK = '\u2028';
/** Text is fed to the parser in slices this big, and the budgets are checked between them. */
const SLICE = 16 * 1024;

interface Block {
  text: string;
  linkChars: number;
  heading: boolean;
  /** Preformatted (code, verse): kept as laid out and however short. */
  pre: boolean;
  inContainer: boolean;
}

function isBoilerplate(name: string, attribs: Record<string, string>): boolean {
  if (NEVER_SKIPPED.has(name)) return false;
  if ('hidden' in attribs || attribs['aria-hidden'] === 'true') return true;
  const role = attribs.role?.toLowerCase();
  if (role && BOILERPLATE_ROLES.has(role)) return true;
  if (/display\s*:\s*none/i.test(attribs.style ?? '')) return true;
  for (const value of [attribs.class, attribs.id]) {
    if (!value) continue;
    for (const cls of value.toLowerCase().split(/\s+/)) {
      // `has-sidebar`, `no-comments` describe the page, not the element.
      if (/^(has|with|no|is)-/.test(cls)) continue;
      for (const word of cls.split(/[-_]/)) if (BOILERPLATE_WORDS.has(word)) return true;
    }
  }
  return false;
}

/**
 * Main text of an HTML page: the text in block elements outside page furniture (navigation, headers
 * and footers, sidebars, forms' controls, hidden elements), kept per block when it reads like prose
 * (jusText's idea: long enough, not mostly link text, not a boilerplate line), with headings kept when
 * text follows them. When the page marks its main content (`<article>`, `<main>`, `role=main`) and it
 * holds enough text, only that content is kept. Throws ExtractionOverBudget past `limits.maxWork`
 * work units, NestingTooDeep past MAX_DEPTH open elements, and ExtractionTimeout past `limits.backstopMs`.
 */
export function htmlToText(html: string, limits: ExtractionLimits): ExtractedPage {
  const deadline = performance.now() + limits.backstopMs;
  let work = 0;
  const blocks: Block[] = [];
  const robots: string[] = [];
  const tdm: string[] = [];
  let title: string | null = null;
  let inTitle = false;
  // Per open element: did it start skipping, is it a link, a container, pre?
  const stack: number[] = [];
  const SKIP = 1, LINK = 2, CONTAINER = 4, PRE = 8;
  let skip = 0, links = 0, containers = 0, pre = 0;
  let parts: string[] = [];
  let linkChars = 0;
  let heading = false;

  const flush = () => {
    if (parts.length > 0) {
      const raw = parts.join('');
      const text = pre > 0 ? raw.replace(/^\n+|\s+$/g, '') : raw.replace(/[^\S\u2028]+/g, ' ').replace(/ ?\u2028[\s\u2028]*/g, '\n').trim();
      if (text) blocks.push({ text, linkChars: Math.min(linkChars, text.length), heading, pre: pre > 0, inContainer: containers > 0 });
    }
    parts = [];
    linkChars = 0;
    heading = false;
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        work += 1 + stack.length;
        let flags = 0;
        if (name === 'meta') {
          const metaName = attribs.name?.toLowerCase();
          if (metaName === 'robots') robots.push((attribs.content ?? '').toLowerCase());
          else if (metaName === 'tdm-reservation') tdm.push((attribs.content ?? '').trim());
        } else if (name === 'title' && title === null) {
          inTitle = true;
        }
        if (skip === 0 && (SKIP_TAGS.has(name) || (name === 'header' && containers === 0) || isBoilerplate(name, attribs))) flags |= SKIP;
        if (name === 'br' && skip === 0) parts.push(LINE_BREAK);
        if (name === 'a') flags |= LINK;
        if (CONTAINERS.has(name) || attribs.role === 'main') flags |= CONTAINER;
        if (name === 'pre') flags |= PRE;
        if (BLOCK_TAGS.has(name) && skip === 0) flush();
        if (HEADINGS.has(name)) heading = true;
        if (flags & SKIP) skip++;
        if (flags & LINK) links++;
        if (flags & CONTAINER) containers++;
        if (flags & PRE) pre++;
        stack.push(flags);
        if (stack.length > MAX_DEPTH) throw new NestingTooDeep(`HTML nests more than ${MAX_DEPTH} elements deep`);
      },
      ontext(data) {
        work++;
        if (inTitle) {
          title = (title ?? '') + data;
          return;
        }
        if (skip > 0) return;
        parts.push(data);
        if (links > 0) linkChars += data.trim().length;
      },
      onclosetag(name) {
        work += 1 + stack.length;
        if (name === 'title') inTitle = false;
        const flags = stack.pop() ?? 0;
        if (BLOCK_TAGS.has(name) && skip === 0) flush();
        if (flags & SKIP) skip--;
        if (flags & LINK) links--;
        if (flags & CONTAINER) {
          if (skip === 0) flush();
          containers--;
        }
        if (flags & PRE) pre--;
      },
    },
    { decodeEntities: true },
  );
  for (let at = 0; at < html.length; at += SLICE) {
    // Checked at fixed slice boundaries, so the same page stops at the same place on every machine.
    if (work > limits.maxWork) throw new ExtractionOverBudget(`HTML parsing took more than ${limits.maxWork} work units (${work} by character ${at} of ${html.length})`);
    if (performance.now() > deadline) throw new ExtractionTimeout(`HTML extraction took more than ${limits.backstopMs} ms (stopped at character ${at} of ${html.length})`);
    parser.write(html.slice(at, at + SLICE));
  }
  if (work > limits.maxWork) throw new ExtractionOverBudget(`HTML parsing took more than ${limits.maxWork} work units (${work})`);
  parser.end();
  flush();
  const cleanTitle = (title as string | null)?.replace(/\s+/g, ' ').trim() || null;
  return { text: mainText(blocks), title: cleanTitle, robots, tdm_reservation: tdm };
}

function wordCount(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/\S+/g)) n++;
  return n;
}

/** Blocks that read like prose, in order; headings only when prose follows before the next heading. */
function mainText(all: Block[]): string {
  const containerChars = all.reduce((n, b) => n + (b.inContainer ? b.text.length : 0), 0);
  // 200 characters: a page whose <article> holds less is using it for a teaser, not its content.
  const chosen = containerChars >= 200 ? all.filter((b) => b.inContainer) : all;
  const keep = selectBlocks(chosen);
  return (keep.length > 0 || chosen === all ? keep : selectBlocks(all)).map((b) => b.text).join('\n');
}

function selectBlocks(blocks: Block[]): Block[] {
  const out: Block[] = [];
  let pendingHeading: Block | null = null;
  for (const b of blocks) {
    const linkDensity = b.linkChars / Math.max(1, b.text.length);
    if (b.heading) {
      pendingHeading = linkDensity <= 0.5 && b.text.length <= 300 ? b : null;
      continue;
    }
    // jusText's defaults: link density above 0.2 marks a short block as boilerplate, above 0.5 any
    // block; but a sentence-ending paragraph is prose however many links it has (encyclopaedia leads).
    const words = wordCount(b.text);
    const long = words >= 10 || b.text.length >= 70;
    const prose = long && /[.!?。！？]["”»)]?$/.test(b.text);
    if (linkDensity > (prose ? 0.8 : 0.5) || (!long && linkDensity > 0.2)) continue;
    if (!long && !b.pre && (BOILERPLATE_LINE.test(b.text) || words < 3 || !/[.!?。！？:;"”»)…]$/.test(b.text))) continue;
    if (long && words < 40 && BOILERPLATE_LINE.test(b.text) && /\b(cookies?|rights reserved|copyright)\b/i.test(b.text)) continue;
    if (pendingHeading) out.push(pendingHeading);
    pendingHeading = null;
    out.push(b);
  }
  return out;
}
