import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { IngestConfig } from '../schemas/stages/ingest.js';
import { duck } from '../src/parts/parquet.js';
import { readTar, TarError } from '../src/release/tar-read.js';
import { checkSamples } from '../src/release/verify.js';
import { npyBytes } from '../src/release/npy.js';
import { TarWriter } from '../src/release/tar.js';
import { FsStorage } from '../src/storage/fs.js';
import { readArc } from '../stages/ingest/arc.js';
import { gzipMembers } from '../stages/ingest/gzip-members.js';
import { ExtractionOverBudget, ExtractionTimeout, htmlToText, NestingTooDeep } from '../stages/ingest/html-text.js';
import { readJsonl } from '../stages/ingest/jsonl.js';
import { readParquetRows } from '../stages/ingest/parquet.js';
import { urlPolicy } from '../stages/ingest/policy.js';
import type { ReadInput, SourceItem } from '../stages/ingest/records.js';
import { readWarc } from '../stages/ingest/warc.js';
import { ZstdTooLarge, zstdFramePieces, zstdFrames, zstdWindowProblem } from '../stages/ingest/zstd-frames.js';
import type { FuzzTarget } from './engine.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const fixture = (...p: string[]) => readFileSync(join(ROOT, 'fixtures', ...p));
const fixturesIn = (dir: string) => readdirSync(join(ROOT, 'fixtures', dir)).filter((f) => !f.startsWith('LICENSE')).map((f) => fixture(dir, f));

/** Small caps so the fuzzer reaches the limit paths with small inputs. */
const MAX_RECORD = 64 * 1024;
const MAX_INFLATE = 256 * 1024;

function readInput(bytes: Buffer, format: 'warc' | 'arc' | 'jsonl' | 'parquet', uri = `/fuzz/input.${format}`): ReadInput {
  const config = IngestConfig.parse({ stage: 'ingest', inputs: [{ uri, format, id_field: 'id' }] });
  return {
    uri, source_key: 'fuzz', bytes, input: config.inputs[0] as ReadInput['input'], policy: urlPolicy(config, new Set(['blocked.example']), new Set()),
    max_record_bytes: MAX_RECORD, max_decompressed_bytes: MAX_INFLATE, html_work_budget: 10_000_000, html_time_budget_ms: 1000, slice: { base: 0, start: 0, end: Infinity },
  };
}

/** What every reader promises whatever the bytes: well-formed items, offsets inside the file, bounded text. */
function checkItems(items: Iterable<SourceItem>, fileBytes: number, maxText: number): void {
  for (const item of items) {
    if (item.kind === 'bad') {
      if (!Number.isSafeInteger(item.offset) || item.offset < 0 || item.offset > Math.max(fileBytes, 0)) throw new Error(`bad item offset ${item.offset} outside a file of ${fileBytes} bytes`);
      if (typeof item.message !== 'string' || item.message.length === 0) throw new Error('bad item without a message');
      continue;
    }
    if (typeof item.doc.text !== 'string') throw new Error('document text is not a string');
    if (item.doc.text.length > maxText) throw new Error(`document of ${item.doc.text.length} chars from a record cap of ${maxText}`);
    if (!/^[0-9a-f]+$/.test(item.doc.id)) throw new Error(`document id ${JSON.stringify(item.doc.id)} is not hex`);
  }
}

const WARC_DICT = [
  'WARC/1.0\r\n', 'WARC/1.1\r\n', 'WARC-Type: response\r\n', 'WARC-Type: resource\r\n', 'WARC-Type: conversion\r\n', 'Content-Length: ',
  'Content-Type: application/http; msgtype=response\r\n', 'WARC-Target-URI: http://blocked.example/\r\n', 'WARC-Record-ID: <urn:uuid:1>\r\n',
  '\r\n\r\n', '\n\n', 'HTTP/1.1 200 OK\r\n', 'HTTP/1.0 302 Found\r\n', 'Transfer-Encoding: chunked\r\n', 'Content-Encoding: gzip\r\n',
  'Content-Type: text/html; charset=shift_jis\r\n', 'X-Robots-Tag: noai\r\n', '<meta charset="utf-16">', '<meta name="robots" content="noindex">',
  'http://example.com/ 1.2.3.4 20140216050221 text/html ', 'filedesc://x.arc 0.0.0.0 20140216050221 text/plain ', '\x1f\x8b\x08\x00',
];

export const targets: Record<string, () => Promise<FuzzTarget>> = {
  /** WARC and ARC record readers, plain and gzip, down to HTTP, charset and HTML extraction. */
  async warc() {
    const seeds = [...fixturesIn('warc'), ...fixturesIn('commoncrawl')];
    return {
      name: 'warc',
      seeds: [...seeds, gzipSync(fixture('warc', 'warcio-example.arc'))],
      dictionary: WARC_DICT,
      covers: /\/stages\/ingest\//,
      maxLength: 128 * 1024,
      run(data) {
        // ARC files start with their `filedesc://` record; everything else is read as WARC too.
        const arc = data.subarray(0, 16).toString('latin1').startsWith('filedesc') || data.subarray(0, 256).includes('filedesc');
        checkItems(readWarc(readInput(data, 'warc')), data.length, MAX_RECORD * 4);
        if (arc) checkItems(readArc(readInput(data, 'arc')), data.length, MAX_RECORD * 4);
      },
    };
  },

  /** gzip member walking and bounded zstd decoding (the streams under JSONL, WARC, ARC and text). */
  async compressed() {
    const lines = fixture('broken', 'corrupt-line.jsonl');
    return {
      name: 'compressed',
      seeds: [...fixturesIn('quickstart').slice(0, 2), fixture('broken', 'truncated-member.jsonl.gz'), fixture('formats', 'udhr-en.jsonl.zst'), Buffer.concat([gzipSync(lines), gzipSync(Buffer.alloc(300_000))])],
      dictionary: ['\x1f\x8b\x08\x00', '\x1f\x8b\x08\x1f', '\x28\xb5\x2f\xfd', '\x00\x00\x00\x00', '\xff\xff\xff\xff', '\x50\x2a\x4d\x18'],
      covers: /\/stages\/ingest\/|\/node_modules\/fzstd\//,
      run(data) {
        if (data.length >= 4 && data.readUInt32LE(0) === 0xfd2fb528) {
          try {
            for (const frame of zstdFrames(data).frames) {
              const bytes = data.subarray(frame.start, frame.end);
              if (zstdWindowProblem(bytes)) continue;
              let total = 0;
              for (const piece of zstdFramePieces(bytes, MAX_INFLATE)) total += piece.length;
              if (total > MAX_INFLATE) throw new Error(`zstd output ${total} over the cap`);
            }
          } catch (err) {
            if (err instanceof ZstdTooLarge) return;
            // fzstd reports bad input as an Error carrying a numeric code; anything else is a defect.
            if (err instanceof Error && typeof (err as { code?: unknown }).code === 'number') return;
            throw err;
          }
          return;
        }
        let last = -1;
        for (const m of gzipMembers(data, { maxBytes: MAX_INFLATE })) {
          if (m.data.length > MAX_INFLATE) throw new Error(`member inflated to ${m.data.length} over the cap`);
          if (m.offset <= last || m.offset >= data.length) throw new Error(`member offset ${m.offset} not increasing within the file`);
          last = m.offset;
        }
      },
    };
  },

  /** HTML main-text extraction on arbitrary markup. */
  async html() {
    const pages = fixturesIn('warc').map((b) => {
      const s = b.toString('latin1');
      const at = s.indexOf('<');
      return Buffer.from(s.slice(at, at + 20_000), 'latin1');
    });
    return {
      name: 'html',
      seeds: [...pages, Buffer.from('<html><head><title>t</title><meta name="robots" content="noai"></head><body><article><p>Some prose that is long enough to be kept as text, for sure.</p></article></body></html>')],
      dictionary: ['<div>', '</div>', '<p>', '</p>', '<article>', '<main>', '<pre>', '</pre>', '<br>', '<a href=x>', '</a>', '<script>', '</script>', '<!--', '-->', '<![CDATA[', '&amp;', '&#x10FFFF;', '&#0;', '<h1>', '<title>', '</title>', ' class="nav"', ' hidden', ' role="main"', '<meta name="tdm-reservation" content="1">', '\u2028', '\u0000'],
      covers: /\/stages\/ingest\/html-text|\/node_modules\/htmlparser2\//,
      maxLength: 256 * 1024,
      run(data) {
        try {
          const page = htmlToText(data.toString('utf8'), { maxWork: 10_000_000, backstopMs: 1000 });
          if (typeof page.text !== 'string') throw new Error('text is not a string');
        } catch (err) {
          if (!(err instanceof ExtractionOverBudget || err instanceof ExtractionTimeout || err instanceof NestingTooDeep)) throw err;
        }
      },
    };
  },

  /** JSONL lines: UTF-8, JSON, field picking (plain bytes; compressed streams are the `compressed` target). */
  async jsonl() {
    return {
      name: 'jsonl',
      seeds: [fixture('broken', 'corrupt-line.jsonl'), fixture('broken', 'invalid-utf8.jsonl'), Buffer.from('{"id":1,"text":"a","url":"http://blocked.example/x"}\n{"id":null,"text":5}\n[1]\n')],
      dictionary: ['{"text":"', '"}', '"id":', '"url":"http://x/"', '\\u0000', '\\ud800', '\xc0\xaf', '\xed\xa0\x80', '\xef\xbb\xbf', '\r\n', '{"__proto__":{"text":"x"}}', '1e999', '[', '{'],
      covers: /\/stages\/ingest\//,
      run(data) {
        checkItems(readJsonl(readInput(data, 'jsonl')), data.length, MAX_RECORD);
      },
    };
  },

  /** Parquet files through DuckDB: a corrupt file must become a reported bad record, never a failed task. */
  async parquet() {
    const dir = mkdtempSync(join(tmpdir(), 'cf-fuzz-parquet-'));
    const conn = await duck();
    const seeds: Buffer[] = [];
    for (const [i, sql] of [
      `SELECT 'doc ' || i AS text, i::VARCHAR AS id, 'http://x/' || i AS url FROM range(20) t(i)`,
      `SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE repeat('x', i) END AS text, i AS id FROM range(10) t(i)`,
      `SELECT i AS text FROM range(5) t(i)`,
    ].entries()) {
      const file = join(dir, `seed${i}.parquet`);
      await conn.run(`COPY (${sql}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 4)`);
      seeds.push(readFileSync(file));
    }
    const storage = new FsStorage();
    const file = join(dir, 'input.parquet');
    return {
      name: 'parquet',
      seeds,
      dictionary: ['PAR1', '\x00\x00\x00\x00', '\xff\xff\xff\x7f', 'text', 'VARCHAR'],
      covers: /\/stages\/ingest\/parquet/,
      async run(data) {
        writeFileSync(file, data);
        const items: SourceItem[] = [];
        for await (const item of readParquetRows(readInput(data, 'parquet', file), storage)) items.push(item);
        for (const item of items) if (item.kind === 'bad' && item.offset < 0) throw new Error(`bad row offset ${item.offset}`);
      },
    };
  },

  /** The ustar reader `corpusflow verify` trusts: refuses traversal, links and corrupt headers. */
  async tar() {
    const writer = new TarWriter();
    writer.add('000000000.json', Buffer.from('{"tokens":3,"docs":[]}'));
    writer.add('000000000.tokens.npy', npyBytes(new Uint16Array([1, 2, 3])));
    writer.add('a/doc.txt', Buffer.from('hello'));
    const good = writer.finish();
    return {
      name: 'tar',
      seeds: [good],
      dictionary: ['../', '/etc/passwd', '\x93NUMPY', "{'descr': '<u4', ", '.tokens.npy', '.json', 'ustar\x0000', '0000644\x00', '00000000012\x00', '2', '1', '5', '\x00'.repeat(8), 'x/../../y'],
      covers: /\/src\/release\/(tar-read|verify|npy)/,
      run(data) {
        let members;
        try {
          members = readTar(data);
        } catch (err) {
          if (err instanceof TarError) return;
          throw err;
        }
        for (const m of members) {
          if (m.name.startsWith('/') || m.name.split('/').includes('..')) throw new Error(`member ${JSON.stringify(m.name)} escapes`);
          if (m.data.byteOffset < data.byteOffset || m.data.byteOffset + m.data.length > data.byteOffset + data.length) throw new Error('member data outside the archive');
        }
        // What `corpusflow verify` does with a shard next: every sample's .npy and JSON parsed.
        checkSamples('fuzz.tar', data, []);
      },
    };
  },
};
