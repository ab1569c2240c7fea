import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync, gunzipSync } from 'node:zlib';
import { FIXTURES, ROOT, tempDir } from './helpers/pipelines.js';

const run = promisify(execFile);
const PART_BYTES = 1024 * 1024;

/** The UDHR articles of the quickstart fixtures: real text in twelve languages and scripts. */
async function articles(): Promise<string[]> {
  const texts: string[] = [];
  for (const name of (await readdir(join(FIXTURES, 'quickstart'))).sort()) {
    for (const line of gunzipSync(await readFile(join(FIXTURES, 'quickstart', name))).toString('utf8').split('\n')) {
      if (line.trim()) texts.push((JSON.parse(line) as { text: string }).text);
    }
  }
  return texts;
}

/**
 * A Common Crawl-style WET file of about `textBytes` of page text: one gzip member per conversion
 * record, each page three UDHR articles in a rotating order, so pages differ and compress like text.
 */
async function wetFile(dir: string, textBytes: number): Promise<{ path: string; text: number; gz: number }> {
  const texts = await articles();
  const members: Buffer[] = [];
  let text = 0;
  for (let i = 0; text < textBytes; i++) {
    const body = [texts[i % texts.length], texts[(i * 7 + 3) % texts.length], texts[(i * 13 + 5) % texts.length]].join('\n');
    const bytes = Buffer.byteLength(body);
    text += bytes;
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    members.push(gzipSync(`WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Record-ID: <urn:uuid:${id}>\r\nWARC-Target-URI: https://example.org/page/${i}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\nContent-Type: text/plain\r\nContent-Length: ${bytes}\r\n\r\n${body}\r\n\r\n`));
  }
  const path = join(dir, `pages-${textBytes}.warc.wet.gz`);
  const all = Buffer.concat(members);
  await writeFile(path, all);
  return { path, text, gz: all.length };
}

/** Old-generation heap cap of the measured process (MB): the large task's text alone is as big. */
const HEAP_MB = 64;

async function peakRss(input: string): Promise<{ peak_rss_mb: number; parts: number; docs_out: number }> {
  const out = await tempDir('task-rss');
  const helper = join(ROOT, 'dist', 'test', 'helpers', 'task-rss.js');
  const { stdout } = await run(process.execPath, [`--max-old-space-size=${HEAP_MB}`, helper, input, out, String(PART_BYTES)]);
  return JSON.parse(stdout) as { peak_rss_mb: number; parts: number; docs_out: number };
}

test('a task with eight times the text runs in the same heap: peak RSS grows by its compressed input, not by its documents', async (t) => {
  const dir = await tempDir('task-memory');
  const small = await wetFile(dir, 8 * 2 ** 20);
  const large = await wetFile(dir, HEAP_MB * 2 ** 20);
  const a = await peakRss(small.path);
  // Holding a task's documents, as a single output part does, runs out of a 64 MB heap here.
  const b = await peakRss(large.path);
  // Parts of about part_bytes of text each: the large task wrote eight times as many.
  assert.ok(a.parts >= 8 && b.parts >= 8 * a.parts - 8, `parts: ${a.parts} and ${b.parts}`);
  assert.ok(b.docs_out > 7 * a.docs_out);
  const grew = b.peak_rss_mb - a.peak_rss_mb;
  const inputGrew = (large.gz - small.gz) / 2 ** 20;
  t.diagnostic(`peak RSS ${a.peak_rss_mb.toFixed(0)} → ${b.peak_rss_mb.toFixed(0)} MB for ${((large.text - small.text) / 2 ** 20).toFixed(0)} MB more text, ${inputGrew.toFixed(0)} MB more gzip`);
  // The input slice is read whole (compressed): that, and a collector's slack, is all that grows.
  assert.ok(grew < inputGrew + 16, `peak RSS grew ${grew.toFixed(0)} MB for ${inputGrew.toFixed(0)} MB more input`);
});
