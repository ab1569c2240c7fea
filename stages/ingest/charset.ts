/** Text decoded from bytes, with where its encoding came from, so a wrong guess can be audited. */
export interface Decoded {
  text: string;
  /** WHATWG encoding name used. */
  charset: string;
  source: 'bom' | 'http' | 'meta' | 'utf8-valid' | 'fallback';
  /** A declared label that no decoder knows, kept so the page can be found again. */
  unknown_label: string | null;
}

const decoders = new Map<string, TextDecoder | null>();

/** A decoder for a charset label, or null when the label is unknown (WHATWG label table). */
function decoderFor(label: string): TextDecoder | null {
  const key = label.trim().toLowerCase();
  let d = decoders.get(key);
  if (d === undefined) {
    try {
      d = new TextDecoder(key);
    } catch {
      d = null;
    }
    decoders.set(key, d);
  }
  return d;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// The HTML standard prescans 1024 bytes for <meta charset>; real pages often declare it later in a
// long <head>, so we look further (the cost is one latin1 slice per page).
const PRESCAN_BYTES = 4096;
const META_CHARSET = /<meta[^>]*?charset\s*=\s*["']?\s*([-\w.:]+)/i;

/**
 * Decode an HTML or text payload: byte-order mark, then the HTTP charset, then `<meta charset>` or
 * `http-equiv` in the first 4 KB, then UTF-8 if the bytes are valid UTF-8, else windows-1252 (what
 * browsers fall back to for Western pages). An unknown label falls through to the next step.
 */
export function decodePayload(body: Uint8Array, httpCharset: string | null, isHtml: boolean): Decoded {
  const bom = bomCharset(body);
  if (bom) return { text: decoderFor(bom)!.decode(body), charset: bom, source: 'bom', unknown_label: null };
  let unknown: string | null = null;
  const declared: [string | null, 'http' | 'meta'][] = [[httpCharset, 'http']];
  if (isHtml) declared.push([META_CHARSET.exec(Buffer.from(body.buffer, body.byteOffset, Math.min(body.length, PRESCAN_BYTES)).toString('latin1'))?.[1] ?? null, 'meta']);
  for (const [label, source] of declared) {
    if (!label) continue;
    const decoder = decoderFor(label);
    if (!decoder) {
      unknown ??= label.slice(0, 64);
      continue;
    }
    // A page saying UTF-16 in ASCII-compatible bytes is UTF-8 by the HTML standard's rule.
    const name = decoder.encoding.startsWith('utf-16') && source === 'meta' ? 'utf-8' : decoder.encoding;
    return { text: decoderFor(name)!.decode(body), charset: name, source, unknown_label: unknown };
  }
  try {
    return { text: strictUtf8.decode(body), charset: 'utf-8', source: 'utf8-valid', unknown_label: unknown };
  } catch {
    return { text: decoderFor('windows-1252')!.decode(body), charset: 'windows-1252', source: 'fallback', unknown_label: unknown };
  }
}

function bomCharset(b: Uint8Array): string | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  return null;
}
