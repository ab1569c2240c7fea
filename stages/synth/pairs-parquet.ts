import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PartInfo } from '../../schemas/run.js';
import { sha256Hex } from '../../src/hash.js';
import { duck, sqlString } from '../../src/parts/parquet.js';
import type { Storage } from '../../src/storage/types.js';
import type { SynthPair } from './index.js';

/**
 * The columns of a pairs file, in the chat layout Hugging Face `datasets` and TRL read:
 * `messages` is a list of {role, content} structs, `params` a map of sampling parameters.
 */
const COLUMNS: Readonly<Record<keyof SynthPair, string>> = {
  id: 'VARCHAR',
  messages: 'STRUCT(role VARCHAR, content VARCHAR)[]',
  source_doc_id: 'VARCHAR',
  recipe: 'VARCHAR',
  generator: 'VARCHAR',
  template: 'VARCHAR',
  params: 'MAP(VARCHAR, DOUBLE)',
  cache_key: 'VARCHAR',
  grounding: 'DOUBLE',
};

/**
 * Write pairs as one zstd Parquet object, in order. DuckDB reads the JSON lines with the column
 * types fixed above, so the nested types do not depend on what the rows happen to hold (an empty
 * part has the same schema as a full one).
 */
export async function writePairsParquet(storage: Storage, uri: string, pairs: readonly SynthPair[]): Promise<PartInfo> {
  const conn = await duck();
  const dir = await mkdtemp(join(tmpdir(), 'cf-pairs-'));
  try {
    const jsonl = join(dir, 'pairs.jsonl');
    await writeFile(jsonl, pairs.map((p) => `${JSON.stringify(p)}\n`).join(''));
    const columns = `{${Object.entries(COLUMNS).map(([name, type]) => `${name}: ${sqlString(type)}`).join(', ')}}`;
    const file = join(dir, 'pairs.parquet');
    await conn.run(`COPY (SELECT * FROM read_json(${sqlString(jsonl)}, format = 'newline_delimited', columns = ${columns}))
      TO ${sqlString(file)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 65536)`);
    const bytes = await readFile(file);
    await storage.writeFromFile(uri, file);
    return { uri, rows: pairs.length, sha256: sha256Hex(bytes), bytes: bytes.length };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
