import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { promisify } from 'node:util';
import { ReleaseManifest } from '../schemas/release.js';
import { ROOT, tempDir } from './helpers/pipelines.js';

const exec = promisify(execFile);

/** The `sh` blocks of docs/compliance.md, by the step name in the comment above each. */
async function walkthroughSteps(): Promise<Map<string, string>> {
  const doc = await readFile(join(ROOT, 'docs', 'compliance.md'), 'utf8');
  return new Map([...doc.matchAll(/<!-- step: ([a-z-]+) -->\n```sh\n([\s\S]*?)```/g)].map((m) => [m[1] as string, m[2] as string]));
}

let steps: Map<string, string>;
let cwd: string;
let env: NodeJS.ProcessEnv;
const RELEASE = 'out/releases/quickstart/v1';

/** Run one step of the walk-through as the reader would: in a shell, with `corpusflow` on PATH. */
async function step(name: string): Promise<string> {
  const script = steps.get(name);
  assert.ok(script, `docs/compliance.md has a step ${name}`);
  const { stdout } = await exec('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, maxBuffer: 16 << 20 });
  return stdout;
}

before(async () => {
  steps = await walkthroughSteps();
  // A reader's checkout: pipelines/ and fixtures/ side by side, and the CLI as `corpusflow`.
  cwd = await tempDir('compliance');
  await symlink(join(ROOT, 'pipelines'), join(cwd, 'pipelines'));
  await symlink(join(ROOT, 'fixtures'), join(cwd, 'fixtures'));
  await mkdir(join(cwd, 'bin'));
  await writeFile(join(cwd, 'bin', 'corpusflow'), `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'dist', 'src', 'cli', 'main.js'))} "$@"\n`);
  await chmod(join(cwd, 'bin', 'corpusflow'), 0o755);
  env = { ...process.env, PATH: `${join(cwd, 'bin')}:${process.env.PATH ?? ''}`, RELEASE };
});

test('the walk-through has the steps it promises, and step 0 builds the release it reviews', async () => {
  assert.deepEqual([...steps.keys()], ['release', 'datacard', 'trace-url', 'trace-sample', 'drop-reasons', 'dropped-by-rule', 'licences-per-shard']);
  await step('release');
  ReleaseManifest.parse(JSON.parse(await readFile(join(cwd, RELEASE, 'manifest.json'), 'utf8')));
  const card = await step('datacard');
  assert.match(card, /^---\npretty_name: quickstart v1\n/);
});

test('a reviewer traces a URL from the fixture WET file to its sample and token range', async () => {
  const out = await step('trace-url');
  assert.match(out, /fixtures\/commoncrawl\/CC-MAIN-20140820021334-00006\.warc\.wet\.gz @ byte 412 \(wet\)\s+record <urn:uuid:293f96dd/);
  assert.match(out, /licence CC-TOU/);
  assert.match(out, /ingest\/read\s+v\d+\s+keep\n\s+langid\/map\s+v\d+\s+keep\s+\{"lang":"en"[^\n]*\n\s+shard\/pack\s+v\d+\s+keep/);
  assert.match(out, /sample\s+quickstart-000000\.tar:000000000\s+sample tokens \[0, 197\)\s+document tokens \[0, 197\)/);
  assert.match(out, /outcome\s+released in 1 sample, 197 tokens/);
  const back = await step('trace-sample');
  assert.ok(back.startsWith('document 0e9c58371fc5046e9f2e1fb215fd8d1c  http://0pointer.de/photos/?gallery=Australia&photo=496'), 'the sample leads back to the same URL');
});

test('a reviewer lists the documents dropped by each rule', async () => {
  assert.match(await step('drop-reasons'), /^langid\s+lang_not_allowed\s+lang_not_allowed\s+62$/m);
  const listed = await step('dropped-by-rule');
  assert.match(listed, /\(62 rows\)/);
  const urls = [...listed.matchAll(/^lang_not_allowed\s+[0-9a-f]{32}\s+(\S+)$/gm)].map((m) => m[1] ?? '');
  assert.equal(urls.length, 62);
  // The quickstart keeps ten languages: what langid dropped is the Arabic and Russian UDHR.
  for (const url of urls) assert.match(url, /translations\/(arb|rus)#\d+$/);
});

test('a reviewer sees the licences in every shard of the release', async () => {
  const out = await step('licences-per-shard');
  const manifest = ReleaseManifest.parse(JSON.parse(await readFile(join(cwd, RELEASE, 'manifest.json'), 'utf8')));
  const rows = [...out.matchAll(/^(\S+\.tar)\s+(\S+)\s+(\d+)\s+(\d+)$/gm)].map((m) => ({ shard: m[1], license: m[2], tokens: Number(m[4]) }));
  assert.deepEqual([...new Set(rows.map((r) => r.shard))], manifest.shards.map((s) => s.name));
  for (const s of manifest.shards) {
    assert.equal(rows.filter((r) => r.shard === s.name).reduce((n, r) => n + r.tokens, 0), s.tokens, `${s.name}: licence tokens add up to the shard's`);
  }
  assert.deepEqual(rows.filter((r) => r.license === 'CC-TOU').map((r) => r.shard), ['quickstart-000000.tar'], 'the Common Crawl pages sit in the first shard');
});
