import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { gzipMembers } from '../stages/ingest/gzip-members.js';
import { RawInflater } from '../stages/ingest/raw-inflate.js';
import { FIXTURES } from './helpers/pipelines.js';

const HEADER = 10;

/** What Node's public one-shot API gives for the same bytes: the reference the reused handle must match. */
function reference(bytes: Buffer, maxOutputLength: number): { data: Buffer; consumed: number } | { error: string } {
  try {
    const out = zlib.inflateRawSync(bytes, { info: true, finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    return { data: out.buffer, consumed: out.engine.bytesWritten };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too large' : 'corrupt' };
  }
}

function ours(inflater: RawInflater, bytes: Buffer, maxOutputLength: number): { data: Buffer; consumed: number } | { error: string } {
  try {
    return inflater.inflate(bytes, maxOutputLength);
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? 'too large' : 'corrupt' };
  }
}

test('one reused inflate handle gives what inflateRawSync gives for every member of a real WET file, in turn with corrupt, cut and oversized ones', async () => {
  const inflater = new RawInflater();
  assert.ok(inflater.reusesHandle, 'the Node this ships for exposes the handle, so the fast path is the one tested');
  const cases: [string, Buffer, number][] = [];
  for (const name of ['commoncrawl/CC-MAIN-20140820021334-00006.warc.wet.gz', 'commoncrawl/CC-MAIN-2024-22-whirlwind.warc.wet.gz', 'warc/whirlwind.warc.gz']) {
    const file = await readFile(join(FIXTURES, name));
    for (const { offset } of gzipMembers(file)) {
      const rest = file.subarray(offset + HEADER);
      const corrupt = Buffer.from(rest.subarray(0, 200));
      corrupt.fill(0xff, 3, 40);
      cases.push([`${name}@${offset}`, rest, 2 ** 31], [`corrupt ${name}@${offset}`, corrupt, 2 ** 31], [`cut ${name}@${offset}`, rest.subarray(0, 100), 2 ** 31], [`capped ${name}@${offset}`, rest, 64]);
    }
  }
  assert.equal(cases.length, 40);
  const big = zlib.deflateRawSync(Buffer.alloc(300_000, 'a'));
  // Output larger than the starting buffer, at, just under and over the cap.
  cases.push(['grows', big, 2 ** 31], ['at cap', big, 300_000], ['over cap', big, 299_999]);
  for (const [name, bytes, cap] of cases) assert.deepEqual(ours(inflater, bytes, cap), reference(bytes, cap), name);
});

test('an inflated member keeps its bytes after the next member is inflated', () => {
  const inflater = new RawInflater();
  const first = inflater.inflate(zlib.deflateRawSync(Buffer.from('first record')));
  inflater.inflate(zlib.deflateRawSync(Buffer.from('second record, longer')));
  assert.equal(first.data.toString(), 'first record');
});
