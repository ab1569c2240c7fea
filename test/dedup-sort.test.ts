import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { BucketSorter } from '../stages/dedup/externalSort.js';
import { SparseUnionFind } from '../stages/dedup/unionFind.js';
import { mulberry32 } from '../src/prng.js';


test('the bucket sort spills bounded runs and merges them into the same order as an in-memory sort', () => {
  const rand = mulberry32(5);
  const records: number[][] = [];
  const sorter = new BucketSorter(1024);
  for (let d = 0; d < 20000; d++) {
    // Few distinct keys, so buckets span runs; 52-bit keys as the signatures phase writes them.
    const rec = [d % 3, Math.floor(rand() * 500) * 2 ** 40 + 7, Math.floor(rand() * 2 ** 52), d];
    records.push(rec);
    sorter.push(rec[0] as number, rec[1] as number, rec[2] as number, rec[3] as number);
  }
  assert.equal(sorter.runs, 20);
  const spills = () => readdirSync(tmpdir()).filter((f) => f.startsWith('corpusflow-buckets-')).length;
  const before = spills();
  const got: number[][] = [];
  sorter.forEach((c, k, h, d) => got.push([c, k, h, d]));
  records.sort((x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number) || (x[2] as number) - (y[2] as number) || (x[3] as number) - (y[3] as number));
  assert.deepEqual(got, records);
  assert.equal(spills(), before - 1, 'the spilled runs are deleted after the merge');
});

test('sparse union-find gives the same forest whatever order the pairs come in, rooted at the smallest member', () => {
  const rand = mulberry32(9);
  const pairs = Array.from({ length: 3000 }, () => [Math.floor(rand() * 5000), Math.floor(rand() * 5000)] as const);
  const a = new SparseUnionFind();
  for (const [x, y] of pairs) a.union(x, y);
  const b = new SparseUnionFind();
  for (const [x, y] of [...pairs].reverse()) b.union(y, x);
  assert.deepEqual(b.edges(), a.edges());
  const e = a.edges();
  for (let i = 0; i < e.length; i += 2) assert.ok((e[i + 1] as number) < (e[i] as number));
  // Merging forests (as the clusters phase does) keeps the components of the union of all pairs.
  const halves = [pairs.slice(0, 1500), pairs.slice(1500)].map((h) => {
    const u = new SparseUnionFind();
    for (const [x, y] of h) u.union(x, y);
    return u.edges();
  });
  const merged = new SparseUnionFind();
  for (const f of halves) for (let i = 0; i < f.length; i += 2) merged.union(f[i] as number, f[i + 1] as number);
  assert.deepEqual(merged.edges(), a.edges());
});
