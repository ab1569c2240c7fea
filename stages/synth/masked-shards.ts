import type { TokenizerName } from '../../schemas/stages/shard.js';
import { sha256Hex } from '../../src/hash.js';
import { npyBytes } from '../../src/release/npy.js';
import { TarWriter } from '../../src/release/tar.js';
import { joinUri, type Storage } from '../../src/storage/index.js';
import { tokenizer } from '../shard/tokenizers.js';
import type { SynthPair } from './index.js';

/** Plain-text turns: no model's chat template is assumed; a trainer with its own can retokenize the JSONL. */
const USER_PREFIX = 'User: ';
const ASSISTANT_PREFIX = '\n\nAssistant: ';

export interface MaskedShard {
  name: string;
  sha256: string;
  bytes: number;
  samples: number;
  tokens: number;
}

/**
 * One WebDataset sample per pair: `<key>.tokens.npy` (user turn, assistant turn, EOS),
 * `<key>.loss_mask.npy` (1 on the response tokens and the EOS, 0 on the prompt) and `<key>.json`
 * (pair id, source document, template). Keys are the pair ids, so samples join to provenance.
 */
export async function writeMaskedShards(
  pairs: readonly SynthPair[], tokenizerName: TokenizerName, samplesPerShard: number, dir: string, prefix: string, storage: Storage,
): Promise<MaskedShard[]> {
  const tok = await tokenizer(tokenizerName);
  const Dtype = tok.vocab_size <= 65536 ? Uint16Array : Uint32Array;
  const shards: MaskedShard[] = [];
  for (let start = 0; start < pairs.length; start += samplesPerShard) {
    const tar = new TarWriter();
    let tokens = 0;
    const batch = pairs.slice(start, start + samplesPerShard);
    for (const p of batch) {
      const prompt = tok.encode(`${USER_PREFIX}${p.messages[0].content}${ASSISTANT_PREFIX}`);
      const response = [...tok.encode(p.messages[1].content), tok.eos_id];
      const ids = Dtype.from([...prompt, ...response]);
      const mask = new Uint16Array(ids.length).fill(1, prompt.length);
      tar.add(`${p.id}.tokens.npy`, npyBytes(ids));
      tar.add(`${p.id}.loss_mask.npy`, npyBytes(mask));
      tar.add(`${p.id}.json`, Buffer.from(JSON.stringify({ id: p.id, source_doc_id: p.source_doc_id, template: p.template, generator: p.generator, prompt_tokens: prompt.length, response_tokens: response.length })));
      tokens += ids.length;
    }
    const bytes = tar.finish();
    const name = `${prefix}-${String(shards.length).padStart(6, '0')}.tar`;
    const uri = joinUri(dir, name);
    await storage.write(uri, bytes);
    shards.push({ name, sha256: sha256Hex(bytes), bytes: bytes.length, samples: batch.length, tokens });
  }
  return shards;
}
