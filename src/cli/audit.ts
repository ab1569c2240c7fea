import { AUDIT_PRESETS, audit } from '../provenance/audit.js';
import { CatalogReader, QueryError } from '../provenance/reader.js';
import { formatTrace, traceDocuments, type TraceTarget } from '../provenance/trace.js';
import { formatTable } from './table.js';

const print = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s) };

async function withCatalog(release: string | undefined, command: string, fn: (c: CatalogReader) => Promise<number>): Promise<number> {
  if (!release) {
    print.stderr(`corpusflow ${command}: name a release folder (or its provenance.duckdb)\n`);
    return 2;
  }
  let catalog: CatalogReader | undefined;
  try {
    catalog = await CatalogReader.open(release);
    return await fn(catalog);
  } catch (e) {
    // DuckDB's parser, binder and conversion errors are about the reviewer's SQL or parameters.
    if (e instanceof QueryError || (e instanceof Error && /^(Parser|Binder|Conversion|Catalog|Permission|Invalid Input) Error/.test(e.message))) {
      print.stderr(`corpusflow ${command}: ${e.message}\n`);
      return 2;
    }
    throw e;
  } finally {
    catalog?.close();
  }
}

/** `corpusflow trace <release> --url U | --doc-id D | --sample shard:key [--json]`; exit 1 when nothing matches. */
export function traceCommand(release: string | undefined, opts: { url?: string; docId?: string; sample?: string; json: boolean }): Promise<number> {
  const targets: TraceTarget[] = [];
  if (opts.url !== undefined) targets.push({ url: opts.url });
  if (opts.docId !== undefined) targets.push({ doc_id: opts.docId });
  if (opts.sample !== undefined) targets.push({ sample: opts.sample });
  const [target] = targets;
  if (!target || targets.length > 1) {
    print.stderr('corpusflow trace: give exactly one of --url, --doc-id, --sample\n');
    return Promise.resolve(2);
  }
  return withCatalog(release, 'trace', async (catalog) => {
    const traces = await traceDocuments(catalog, target);
    print.stdout(opts.json ? `${JSON.stringify(traces, null, 2)}\n` : traces.map((t) => `${formatTrace(t)}\n`).join('\n'));
    if (!traces.length) print.stderr(`corpusflow trace: no document matches ${JSON.stringify(target)}\n`);
    return traces.length ? 0 : 1;
  });
}

/** `corpusflow audit <release> <preset|SQL> [--param name=value]… [--json]`; without a query, lists the presets. */
export function auditCommand(release: string | undefined, query: string | undefined, opts: { params: string[]; json: boolean }): Promise<number> {
  if (!query) {
    const width = Math.max(...Object.keys(AUDIT_PRESETS).map((n) => n.length));
    print.stdout(`presets (or pass one SQL statement; $name parameters are bound from --param name=value):\n${Object.entries(AUDIT_PRESETS)
      .map(([name, p]) => `  ${name.padEnd(width)}  ${p.description}`).join('\n')}\n`);
    return Promise.resolve(release ? 0 : 2);
  }
  const params: Record<string, string> = {};
  for (const p of opts.params) {
    const eq = p.indexOf('=');
    if (eq <= 0) {
      print.stderr(`corpusflow audit: --param expects name=value, got ${p}\n`);
      return Promise.resolve(2);
    }
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return withCatalog(release, 'audit', async (catalog) => {
    const { columns, rows } = await audit(catalog, query, params);
    print.stdout(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatTable(rows, columns)}\n`);
    return 0;
  });
}
