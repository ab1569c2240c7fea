import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fuzz } from './engine.js';
import { targets } from './targets.js';

/** `node dist/fuzz/run.js <target> [seconds]`: fuzz one parser; the last line is the report as JSON. */
const [name, seconds = '600'] = process.argv.slice(2);
const make = name ? targets[name] : undefined;
if (!make) {
  console.error(`usage: make fuzz T=<target> SECONDS=600   (targets: ${Object.keys(targets).join(', ')})`);
  process.exit(2);
}
const outDir = process.env.CORPUSFLOW_FUZZ_DIR ?? join(new URL('../../', import.meta.url).pathname, 'out', 'fuzz');
const report = await fuzz(await make(), { seconds: Number(seconds), slowMs: 2000, rssGrowthMb: 1024, outDir, seed: Number(process.env.CORPUSFLOW_FUZZ_SEED ?? Date.now() % 2 ** 31) });
writeFileSync(join(outDir, name as string, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report));
process.exit(0);
