import { z } from 'zod';
import { canonicalJson, sha256Hex } from '../../src/hash.js';
import { joinUri, type Storage } from '../../src/storage/index.js';

export const ChatMessage = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });
export type ChatMessage = z.infer<typeof ChatMessage>;

/** What a paid request bought: stored once, replayed by every rerun and retried activity. */
export const CachedReply = z.object({
  key: z.string(),
  model: z.string(),
  prompt_sha256: z.string(),
  params: z.record(z.string(), z.union([z.number(), z.string()])),
  content: z.string(),
  finish_reason: z.string().nullable(),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }),
});
export type CachedReply = z.infer<typeof CachedReply>;

export const promptHash = (messages: readonly ChatMessage[]) => sha256Hex(canonicalJson(messages));

/** The cache key: (model, prompt hash, sampling params). The endpoint URL and the API key are not part of it. */
export function cacheKey(model: string, promptSha: string, params: Record<string, number | string>): string {
  return sha256Hex(canonicalJson({ model, prompt: promptSha, params }));
}

/** Replies as one object per key under a storage prefix (a local folder or s3://), fanned out by the key's first byte. */
export class ResponseCache {
  constructor(private readonly storage: Storage, private readonly root: string) {}

  private uri(key: string): string {
    return joinUri(this.root, key.slice(0, 2), `${key}.json`);
  }

  async get(key: string): Promise<CachedReply | null> {
    let raw: unknown;
    try {
      raw = JSON.parse((await this.storage.read(this.uri(key))).toString('utf8'));
    } catch {
      // Absent, unreadable or torn: a miss, never an error. The worst case is paying for the request again.
      return null;
    }
    const parsed = CachedReply.safeParse(raw);
    return parsed.success && parsed.data.key === key ? parsed.data : null;
  }

  async put(reply: CachedReply): Promise<void> {
    await this.storage.write(this.uri(reply.key), JSON.stringify(reply));
  }
}
