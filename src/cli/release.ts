import { diffReleases, formatDiff } from '../release/diff.js';
import { forgetRelease, type ForgetTarget } from '../release/forget.js';
import { verifyRelease } from '../release/verify.js';

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

/** `corpusflow verify <release> [--json]`: exit 1 when any shard, count or index disagrees with the manifest. */
export async function verifyCommand(release: string | undefined, json: boolean): Promise<number> {
  if (!release) {
    err('corpusflow verify: name a release folder (…/releases/<name>/v<N>)\n');
    return 2;
  }
  const r = await verifyRelease(release);
  if (json) out(`${JSON.stringify(r, null, 2)}\n`);
  else out(`${r.problems.length ? 'FAILED' : 'ok'}: ${r.shards} shards, ${r.samples} samples, ${r.tokens} tokens checked\n${r.problems.map((p) => `  ${p}\n`).join('')}`);
  return r.problems.length ? 1 : 0;
}

/** `corpusflow diff <releaseA> <releaseB> [--json]`. */
export async function diffCommand(a: string | undefined, b: string | undefined, json: boolean): Promise<number> {
  if (!a || !b) {
    err('corpusflow diff: name two release folders\n');
    return 2;
  }
  const d = await diffReleases(a, b);
  out(json ? `${JSON.stringify(d, null, 2)}\n` : formatDiff(d));
  return 0;
}

/** `corpusflow forget <release> --url U | --domain D | --doc-id ID [--reason R] [--json]`: exit 1 when nothing matches. */
export async function forgetCommand(release: string | undefined, opts: { url?: string; domain?: string; docId?: string; reason?: string; json: boolean }): Promise<number> {
  const targets: ForgetTarget[] = [];
  if (opts.url !== undefined) targets.push({ url: opts.url });
  if (opts.domain !== undefined) targets.push({ domain: opts.domain });
  if (opts.docId !== undefined) targets.push({ doc_id: opts.docId });
  const [target] = targets;
  if (!release || !target || targets.length > 1) {
    err('corpusflow forget: name a release and exactly one of --url, --domain, --doc-id\n');
    return 2;
  }
  try {
    const r = await forgetRelease(release, target, { reason: opts.reason ?? 'erasure request' });
    out(formatForget(r, opts.json));
    return 0;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('no released document matches')) {
      err(`corpusflow forget: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function formatForget(r: Awaited<ReturnType<typeof forgetRelease>>, asJson: boolean): string {
  if (asJson) return `${JSON.stringify(r, null, 2)}\n`;
  return `v${r.version} (${r.release_dir}): erased ${r.doc_ids.length} documents, request ${r.request_id}; rewrote ${r.rewritten.length} shards, carried ${r.carried.length} unchanged by reference\n`;
}
