import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { TokenizerName } from '../../schemas/stages/shard.js';

export interface Tokenizer {
  name: TokenizerName;
  /** One past the largest token id, as tiktoken's n_vocab: it decides uint16 or uint32 storage. */
  vocab_size: number;
  eos_id: number;
  package: string;
  encode(text: string): number[];
}

/** tiktoken's n_vocab and <|endoftext|> id for each encoding (tiktoken_ext/openai_public.py). */
const ENCODINGS: Record<TokenizerName, { vocab_size: number; eos_id: number }> = {
  r50k_base: { vocab_size: 50257, eos_id: 50256 },
  cl100k_base: { vocab_size: 100277, eos_id: 100257 },
  o200k_base: { vocab_size: 200019, eos_id: 199999 },
};

interface GptEncodingModule {
  encode(text: string, options: { disallowedSpecial: Set<string> }): number[];
}

const loaded = new Map<TokenizerName, Promise<Tokenizer>>();
const version = (createRequire(import.meta.url)('gpt-tokenizer/package.json') as { version: string }).version;

/** The vocabularies ship inside gpt-tokenizer; nothing is fetched at run time. */
export function tokenizer(name: TokenizerName): Promise<Tokenizer> {
  let t = loaded.get(name);
  if (!t) {
    t = (import(`gpt-tokenizer/encoding/${name}`) as Promise<GptEncodingModule>).then((mod) => {
      // Text that spells a special token (web pages do) is encoded as plain text, never as the control token.
      const asText = { disallowedSpecial: new Set<string>() };
      return { name, ...ENCODINGS[name], package: `gpt-tokenizer@${version}`, encode: (text: string) => mod.encode(text, asText) };
    });
    loaded.set(name, t);
  }
  return t;
}

/**
 * sha256 of the vocabulary in tiktoken's own file format (base64 token, space, rank, newline per
 * rank), so it equals the `expected_hash` tiktoken pins for the published .tiktoken file
 * (tiktoken_ext/openai_public.py): a reader can check the manifest's vocabulary against tiktoken's.
 */
export async function vocabularySha256(name: TokenizerName): Promise<string> {
  const ranks = (await import(`gpt-tokenizer/bpeRanks/${name}`) as { default: (string | number[])[] }).default;
  const hash = createHash('sha256');
  ranks.forEach((token, rank) => hash.update(`${(typeof token === 'string' ? Buffer.from(token, 'utf8') : Buffer.from(token)).toString('base64')} ${rank}\n`));
  return hash.digest('hex');
}
