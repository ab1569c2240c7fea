import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';

/** sha256 of cl100k_base.tiktoken that tiktoken itself checks (tiktoken_ext/openai_public.py). */
export const CL100K_TIKTOKEN_SHA256 = '223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7';

/**
 * gpt-tokenizer's cl100k_base ranks (the array its encoder is built from: rank = index, a string
 * for UTF-8 tokens, a byte array otherwise) written in tiktoken's format, `base64(bytes) rank`, so a
 * Python peer gets the same vocabulary with no download. Returns the file's sha256.
 */
export async function writeTiktokenFile(path: string): Promise<string> {
  const mod = (await import('gpt-tokenizer/bpeRanks/cl100k_base')) as { default: (string | number[])[] };
  const lines: string[] = [];
  mod.default.forEach((value, rank) => {
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
    lines.push(`${bytes.toString('base64')} ${rank}`);
  });
  const data = lines.join('\n') + '\n';
  writeFileSync(path, data);
  return createHash('sha256').update(data).digest('hex');
}
