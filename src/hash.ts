import { hash } from 'node:crypto';

/** One-shot `crypto.hash`: a third of `createHash`'s cost, which showed in per-record reading. */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function configHash(config: unknown): string {
  return sha256Hex(canonicalJson(config)).slice(0, 16);
}

/**
 * Stable document id: 128 bits of sha256 over the source identity and the record position
 * (or the WARC-Record-ID when there is one), so a re-run over the same files gives the same ids.
 */
export function documentId(sourceKey: string, position: string | number): string {
  return sha256Hex(`${sourceKey}\u0000${position}`).slice(0, 32);
}
