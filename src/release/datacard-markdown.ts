import { stringify } from 'yaml';
import type { DataCard } from '../../schemas/datacard.js';
import { shardUrl, type ShardRef } from './shard-location.js';

/** Licence ids the Hugging Face Hub knows (a subset); anything else is `other`, named in the card body. */
const HF_LICENSES = new Set([
  'apache-2.0', 'mit', 'bsd-2-clause', 'bsd-3-clause', 'cc0-1.0', 'cc-by-3.0', 'cc-by-4.0', 'cc-by-sa-3.0', 'cc-by-sa-4.0',
  'cc-by-nc-4.0', 'cc-by-nc-sa-4.0', 'cc-by-nd-4.0', 'odc-by', 'odbl', 'pddl', 'gpl-3.0', 'lgpl-3.0', 'agpl-3.0', 'unlicense', 'unknown',
]);

/** The Hub's size_categories buckets, by released documents. */
function sizeCategory(n: number): string {
  const bounds: [number, string][] = [[1e3, 'n<1K'], [1e4, '1K<n<10K'], [1e5, '10K<n<100K'], [1e6, '100K<n<1M'], [1e7, '1M<n<10M'],
    [1e8, '10M<n<100M'], [1e9, '100M<n<1B'], [1e10, '1B<n<10B'], [1e11, '10B<n<100B'], [1e12, '100B<n<1T']];
  return bounds.find(([b]) => n < b)?.[1] ?? 'n>1T';
}

export const pct = (part: number, whole: number): string => (whole ? `${((100 * part) / whole).toFixed(1)}%` : '0.0%');
const num = (n: number): string => n.toLocaleString('en-US');
const esc = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function table(head: string[], rows: (string | number)[][]): string {
  const right = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(right.map((r) => (r ? '---:' : '---'))), ...rows.map((r) => line(r.map((c) => (typeof c === 'number' ? num(c) : esc(c)))))].join('\n');
}

/** Known limits a reader must weigh, derived from what ran and what it found. */
export function limitations(card: DataCard): string[] {
  const stages = new Set(card.steps.map((s) => s.stage));
  const out: string[] = [];
  if (!stages.has('dedup')) out.push('No deduplication stage ran: exact and near-duplicate documents may remain, and repeated text is over-weighted in training.');
  if (!stages.has('pii')) out.push('No PII stage ran: e-mail addresses, phone numbers, IP addresses and other personal data in the source text may remain in the release.');
  else out.push('PII detection is rule-based and misses what its patterns do not cover (names, postal addresses in free form, identifiers in unusual formats).');
  if (!stages.has('quality')) out.push('No quality filter ran: boilerplate, machine-generated and low-quality pages are not removed.');
  if (stages.has('langid')) out.push('Language labels come from fastText lid.176, which is less reliable on short texts and on code-switched or closely related languages.');
  out.push('Licences are as declared per input in the pipeline config, not verified per document; web text remains subject to the rights of its publishers.');
  if (card.licenses.some((l) => l.license === 'CC-TOU')) out.push('Common Crawl data is used under the Common Crawl Terms of Use; the crawl itself does not license the pages it holds.');
  const bad = card.collection.unreadable.reduce((n, u) => n + u.records, 0);
  if (bad) out.push(`${num(bad)} input records were unreadable and are not in the release (see Collection).`);
  if (!card.synthetic.documents) out.push('The release holds no synthetic documents.');
  return out;
}

/**
 * The shard files a loader of this version reads, relative to the card's folder: the version's own
 * shards/ folder, and each shard `forget` carried from an earlier version by its path there (never
 * that folder's glob, which would also match the shards this version rewrote).
 */
export function shardDataFiles(shards: readonly ShardRef[]): string[] {
  const carried = shards.filter((s) => s.from !== undefined).map(shardUrl);
  return [...(carried.length < shards.length ? ['shards/*.tar'] : []), ...carried];
}

/** The quota table: each group's target share (from the shard config) next to the share of tokens it holds. */
function quotaTable(card: DataCard): string {
  const shard = card.steps.find((s) => s.stage === 'shard');
  const shares = ((shard?.config.quotas ?? {}) as { shares?: Record<string, number> }).shares ?? {};
  const rows = card.quotas.map((q) => [q.lang, q.lang in shares ? `${((shares[q.lang] as number) * 100).toFixed(1)}%` : '-', pct(q.tokens, card.tokens.tokens), q.tokens, q.documents, q.repeated, q.dropped]);
  return `Language quotas of the shard stage (\`*\`: every language not named), met by seeded sampling of whole documents; dropped and repeated documents carry the reason \`quota:<lang>\` in provenance:\n\n${
    table(['language', 'target share', 'share of tokens', 'tokens', 'documents', 'repeated', 'dropped'], rows)}`;
}

function carriedNote(shards: readonly ShardRef[]): string {
  const from = [...new Set(shards.flatMap((s) => (s.from === undefined ? [] : [s.from])))].sort();
  const carried = shards.filter((s) => s.from !== undefined).length;
  return carried ? ` ${num(carried)} of the ${num(shards.length)} shards were left untouched by an erasure and are read from ${from.map((f) => `\`../${f}/shards/\``).join(', ')}; the header's \`data_files\` lists each of them.` : '';
}

/** DATACARD.md: a Hugging Face dataset card (YAML header, then the sections of Datasheets for Datasets that a run can answer). */
export function renderDataCardMarkdown(card: DataCard, shards: readonly ShardRef[]): string {
  const released = card.tokens.documents;
  const dataFiles = shardDataFiles(shards);
  const hfLicenses = [...new Set(card.licenses.filter((l) => l.documents_released > 0).map((l) => (l.license ?? 'unknown').toLowerCase()).map((l) => (HF_LICENSES.has(l) ? l : 'other')))].sort();
  const header = {
    pretty_name: `${card.name} v${card.version}`,
    license: hfLicenses,
    language: card.languages.filter((l) => l.lang !== 'unknown').map((l) => l.lang),
    multilinguality: card.languages.length > 1 ? 'multilingual' : 'monolingual',
    size_categories: [sizeCategory(released)],
    task_categories: ['text-generation'],
    source_datasets: ['original'],
    tags: ['corpusflow', 'webdataset', 'pretraining'],
    // The webdataset builder of HF datasets reads the tars as they are; paths are relative to this card.
    configs: [{ config_name: 'default', data_files: [{ split: 'train', path: dataFiles.length === 1 ? dataFiles[0] : dataFiles }] }],
  };
  const steps = card.steps.map((s) => {
    const lines = [`### ${s.index + 1}. ${s.stage} (v${s.version}, config ${s.config_hash})`, '',
      `${num(s.docs_in)} documents in, ${num(s.docs_out)} out (${pct(s.docs_in - s.docs_out, s.docs_in)} dropped${s.modified ? `, ${num(s.modified)} modified` : ''}).`, '',
      '```json', JSON.stringify(s.config, null, 2), '```'];
    if (s.drops.length) lines.push('', table(['rule', 'reason', 'documents', 'share of input'], s.drops.map((d) => [d.rule, d.reason, d.documents, pct(d.documents, s.docs_in)])));
    return lines.join('\n');
  });
  const totalLangDocs = card.languages.reduce((n, l) => n + l.documents, 0);
  const lengthRow = (name: string, s: DataCard['lengths']['bytes_summary']): (string | number)[] => (s ? [name, s.min, s.median, s.mean, s.max] : [name, '-', '-', '-', '-']);
  const bad = card.collection.unreadable;
  const sections = [
    `# ${card.name} v${card.version}`,
    card.description,
    `${num(released)} documents, ${num(card.tokens.tokens)} tokens in ${num(card.tokens.samples)} samples and ${num(card.tokens.shards)} WebDataset shards, ` +
      `built by corpusflow ${card.code_version} (pipeline hash ${card.pipeline_hash}). Every figure below is read from \`provenance.duckdb\` in this folder; ` +
      '`corpusflow trace` and `corpusflow audit` answer questions about single documents (see How to audit).',
    '## Sources and licences',
    table(['licence', 'input files', 'documents read', 'documents released', 'tokens released'],
      card.licenses.map((l) => [l.license ?? 'unknown', l.sources, l.documents_in, l.documents_released, l.tokens])),
    table(['input', 'format', 'licence', 'bytes', 'records', 'unreadable', 'released', 'sha256'],
      card.sources.map((s) => [s.uri, s.format ?? '', s.license ?? 'unknown', s.bytes, s.records, s.bad_records, s.released, s.sha256])),
    '## Collection',
    [card.collection.first_fetch ? `Released pages were fetched between ${card.collection.first_fetch} and ${card.collection.last_fetch}` : 'No fetch dates were recorded for the released documents',
      `; they come from ${num(card.collection.domains)} domains.`].join(''),
    card.collection.top_domains.length ? table(['domain', 'documents'], card.collection.top_domains.map((d) => [d.domain, d.documents])) : '',
    bad.length ? `Unreadable input records (recorded with file and byte offset in \`documents\` with status \`bad\`):\n\n${table(['reason', 'records'], bad.map((u) => [u.reason, u.records]))}` : 'Every input record was readable.',
    '## Processing',
    table(['step', 'stage', 'documents in', 'documents out', 'dropped', 'modified'], card.steps.map((s) => [s.index + 1, s.stage, s.docs_in, s.docs_out, s.docs_in - s.docs_out, s.modified])),
    ...steps,
    '## Languages',
    card.languages.length
      ? table(['language', 'documents', 'share', 'tokens'], card.languages.map((l) => [l.lang, l.documents, pct(l.documents, totalLangDocs), l.tokens]))
      : 'No language identification ran.',
    card.quotas.length ? quotaTable(card) : '',
    '## Document lengths',
    table(['measure', 'min', 'median', 'mean', 'max'], [lengthRow('UTF-8 bytes', card.lengths.bytes_summary), lengthRow('tokens (with EOS)', card.lengths.tokens_summary)]),
    '## Deduplication',
    card.dedup.length
      ? table(['method', 'clusters', 'documents in clusters', 'removed'], card.dedup.map((d) => [d.method, d.clusters, d.documents, d.removed]))
      : 'No duplicate clusters are recorded: no deduplication stage ran.',
    '## Personal information',
    card.pii.stage
      ? `${num(card.pii.documents)} documents held personal information the pii stage found; values were replaced in the text and only entity types, counts and offsets were recorded.\n\n${
        card.pii.by_type.length ? table(['entity type', 'documents', 'mentions'], card.pii.by_type.map((p) => [p.entity_type, p.documents, p.mentions])) : 'No entities were found.'}`
      : 'No PII stage ran: personal information in the source text was neither detected nor removed.',
    '## Synthetic data',
    `${num(card.synthetic.documents)} synthetic documents (${pct(card.synthetic.documents, released)} of released documents), ${num(card.synthetic.tokens)} tokens (${pct(card.synthetic.tokens, card.tokens.tokens)} of tokens).${
      card.synthetic.documents ? ` ${num(card.synthetic.model_generated)} of them (${pct(card.synthetic.model_generated, card.synthetic.documents)}) were written by a model; the rest were built from the documents' own text by templates.` : ''}`,
    '## Tokens and shards',
    table(['tokenizer', 'sequence length', 'documents', 'samples', 'tokens', 'shards', 'bytes'],
      [[card.tokens.tokenizer ?? '', card.tokens.seq_len ?? 0, released, card.tokens.samples, card.tokens.tokens, card.tokens.shards, card.tokens.bytes]]),
    'Shard names, sha256 and per-shard counts are in `manifest.json`; `index.wids.json` lists the shards for `wids`.' + carriedNote(shards),
    '## Limitations',
    limitations(card).map((l) => `- ${l}`).join('\n'),
    '## Erasures',
    card.erasures.length
      ? table(['reason', 'documents'], card.erasures.map((e) => [e.reason ?? 'unspecified', e.documents]))
      : 'No erasure requests have been applied to this release.',
    '## How to audit',
    ['```sh', `corpusflow trace <this folder> --url <URL>            # source file and offset, every stage decision, shards and token ranges`,
      'corpusflow trace <this folder> --sample <shard>:<key>', 'corpusflow audit <this folder> licenses-by-shard', 'corpusflow audit <this folder> dropped', '```'].join('\n'),
  ];
  return `---\n${stringify(header)}---\n\n${sections.filter((s) => s !== '').join('\n\n')}\n`;
}
