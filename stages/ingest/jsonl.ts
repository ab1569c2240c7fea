import { documentId } from '../../src/hash.js';
import { gunzipStream } from './gzip-stream.js';
import { LineSplitter, type Line } from './line-splitter.js';
import { decodeUtf8, gzipInput, type ReadInput, type SourceItem } from './records.js';
import { isZstd, ZstdTooLarge, zstdFramePieces, zstdFrames, zstdWindowProblem } from './zstd-frames.js';

/**
 * JSON Lines, plain, zstd or gzip (one or many members). A record's offset is its line start in a plain
 * file, or the start of its gzip member or zstd frame in a compressed one (the place a reader can seek
 * to). Compressed files are decompressed a piece at a time and split into lines as they stream, so
 * memory holds one line (up to `max_record_bytes`), never the whole decompressed file.
 */
export function* readJsonl(src: ReadInput): Generator<SourceItem> {
  if (isZstd(src.bytes)) {
    yield* zstdLines(src);
    return;
  }
  if (!gzipInput(src)) {
    yield* ownedLines(src);
    return;
  }
  let lines: LineSplitter | null = null;
  for (const event of gunzipStream(src.bytes, src.max_decompressed_bytes)) {
    if (event.kind === 'data') {
      lines ??= new LineSplitter(src.max_record_bytes);
      yield* streamedLines(src, lines.push(event.data), event.offset);
      continue;
    }
    // The partial last line of a damaged member belongs to the member's error.
    if (!event.error && lines) yield* streamedLines(src, lines.end(), event.offset);
    lines = null;
    if (event.oversized) yield { kind: 'bad', offset: event.offset, reason: 'oversized_record', message: `${event.error} (max_decompressed_bytes)`, record_id: null, url: null };
    else if (event.error) yield { kind: 'bad', offset: event.offset, reason: 'corrupt_gzip', message: event.error, record_id: null, url: null };
  }
}

function* zstdLines(src: ReadInput): Generator<SourceItem> {
  const walk = zstdFrames(src.bytes);
  for (const frame of walk.frames) {
    const bytes = src.bytes.subarray(frame.start, frame.end);
    const window = zstdWindowProblem(bytes);
    if (window) {
      yield { kind: 'bad', offset: frame.start, reason: 'oversized_record', message: window, record_id: null, url: null };
      continue;
    }
    const lines = new LineSplitter(src.max_record_bytes);
    try {
      for (const piece of zstdFramePieces(bytes, src.max_decompressed_bytes)) yield* streamedLines(src, lines.push(piece), frame.start);
    } catch (err) {
      if (err instanceof ZstdTooLarge) yield { kind: 'bad', offset: frame.start, reason: 'oversized_record', message: `${err.message} (max_decompressed_bytes)`, record_id: null, url: null };
      else yield { kind: 'bad', offset: frame.start, reason: 'corrupt_zstd', message: `zstd frame cannot be decoded (${(err as Error).message})`, record_id: null, url: null };
      continue;
    }
    yield* streamedLines(src, lines.end(), frame.start);
  }
  if (walk.error) yield { kind: 'bad', offset: walk.error.offset, reason: 'corrupt_zstd', message: walk.error.message, record_id: null, url: null };
}

/** Lines of a compressed stream: each carries its member's or frame's offset, and its place in it. */
function* streamedLines(src: ReadInput, lines: Iterable<Line>, base: number): Generator<SourceItem> {
  for (const line of lines) {
    if ('overlong' in line) {
      yield { kind: 'bad', offset: base, reason: 'oversized_record', message: `line of ${line.overlong} bytes at byte ${line.start} of the stream exceeds max_record_bytes ${src.max_record_bytes}`, record_id: null, url: null };
      continue;
    }
    const item = lineItem(src, line.bytes, base, `${base}:${line.start}`);
    if (item) yield item;
  }
}

/**
 * The lines of a plain file that start in the slice [start, end): the first is the first line start at
 * or after `start` (the byte before it is a newline), the last is the one that starts before `end`.
 */
function* ownedLines(src: ReadInput): Generator<SourceItem> {
  const { base, start, end } = src.slice;
  let from = start - base;
  if (start > 0) {
    const nl = src.bytes.indexOf(0x0a, from - 1);
    if (nl < 0) return;
    from = nl + 1;
  }
  const stop = Math.min(src.bytes.length, end - base);
  if (from >= stop) return;
  // The last owned line may run past `end`; it ends at the first newline at or after `stop`.
  const nl = src.bytes.indexOf(0x0a, stop - 1);
  const until = nl < 0 ? src.bytes.length : nl + 1;
  yield* linesOf(src, src.bytes.subarray(from, until), base + from);
}

/** Lines of a plain file's bytes that start at file offset `base`. */
function* linesOf(src: ReadInput, data: Buffer, base: number): Generator<SourceItem> {
  let start = 0;
  while (start < data.length) {
    let end = data.indexOf(0x0a, start);
    if (end < 0) end = data.length;
    const item = lineItem(src, data.subarray(start, end), base + start, base + start);
    start = end + 1;
    if (item) yield item;
  }
}

function lineItem(src: ReadInput, line: Buffer, offset: number, position: string | number): SourceItem | null {
  if (line.length === 0 || (line.length === 1 && line[0] === 0x0d)) return null;
  return parseLine(src, line, offset, position);
}

function parseLine(src: ReadInput, line: Buffer, offset: number, position: string | number): SourceItem | null {
  const bad = (reason: Extract<SourceItem, { kind: 'bad' }>['reason'], message: string): SourceItem => ({
    kind: 'bad', offset, reason, message, record_id: null, url: null,
  });
  if (line.length > src.max_record_bytes) return bad('oversized_record', `line exceeds max_record_bytes ${src.max_record_bytes}`);
  const decoded = decodeUtf8(line);
  if ('badByte' in decoded) return bad('invalid_utf8', `invalid UTF-8 at byte ${decoded.badByte} of the line`);
  let value: unknown;
  try {
    value = JSON.parse(decoded.text);
  } catch (err) {
    return bad('bad_json', (err as Error).message);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return bad('bad_json', 'line is not a JSON object');
  const obj = value as Record<string, unknown>;
  const { text_field, id_field, url_field, license } = src.input;
  const text = obj[text_field];
  if (typeof text !== 'string') return bad('missing_text', `field "${text_field}" is missing or not a string`);
  const recordId = id_field && obj[id_field] !== undefined && obj[id_field] !== null ? String(obj[id_field]) : null;
  const url = url_field && typeof obj[url_field] === 'string' ? (obj[url_field] as string) : null;
  return {
    kind: 'doc',
    doc: {
      id: recordId ? documentId(src.source_key, `id:${recordId}`) : documentId(src.source_key, position),
      text,
      url,
      source: { uri: src.uri, offset, record_id: recordId, fetch_date: null, license },
      meta: {},
    },
  };
}
