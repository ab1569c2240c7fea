import { readFile } from 'node:fs/promises';
import { CrawlConfig } from '../../schemas/crawl.js';
import { ConfigError } from '../pipeline.js';
import { crawl, type CrawlSummary } from './crawler.js';

/** `corpusflow crawl`: options from the command line (strings) validated into a CrawlConfig. */
export async function runCrawl(urlsFile: string, options: Record<string, string | undefined>): Promise<CrawlSummary> {
  const raw = Object.fromEntries(
    Object.entries(options)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, k === 'out' || k === 'user_agent' ? v : Number(v)]),
  );
  const parsed = CrawlConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = String(issue?.path[0] ?? '') === 'out' ? '--warc' : `--${String(issue?.path[0] ?? '').replace(/_/g, '-')}`;
    throw new ConfigError(`corpusflow crawl ${flag}: ${issue?.message}`);
  }
  const seeds = (await readFile(urlsFile, 'utf8')).split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  return crawl(seeds, parsed.data);
}
