import type { RunSummary, StageProgress } from '../../schemas/run.js';

/**
 * One line per stage phase: a bar while it runs, redrawn in place on a terminal; in logs (no TTY)
 * a line when a phase starts and when it ends, so CI output stays short.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): (p: StageProgress) => void {
  const tty = stream.isTTY === true;
  let current = '';
  return (p) => {
    const key = `${p.stage}/${p.phase}`;
    const width = 24;
    const filled = p.tasks_total ? Math.round((p.tasks_done / p.tasks_total) * width) : width;
    const line = `${key.padEnd(18)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.tasks_done}/${p.tasks_total} tasks  ${p.docs_in} docs in, ${p.docs_out} out`;
    if (tty) {
      stream.write(`${key === current ? '\r' : current ? '\n' : ''}${line}\x1b[K`);
      if (p.tasks_done === p.tasks_total) stream.write('\n');
      current = p.tasks_done === p.tasks_total ? '' : key;
    } else if (p.tasks_done === 0 || p.tasks_done === p.tasks_total) {
      stream.write(`${line}\n`);
    }
  };
}

export function formatSummary(s: RunSummary): string {
  const rows = s.stages.map((st) => {
    const drops = Object.entries(st.dropped).map(([r, n]) => `${r}=${n}`).join(' ');
    return `  ${st.name.padEnd(8)} ${String(st.docs_in).padStart(8)} in ${String(st.docs_out).padStart(8)} out  ${drops}`;
  });
  const errors = s.errors.map((e) => `  ${e.uri} @ byte ${e.offset}: ${e.reason}: ${e.message}`);
  return [
    `run ${s.run_id} (${s.executor}) finished in ${s.seconds.toFixed(1)} s`,
    `release v${s.release_version}: ${s.release_dir}`,
    ...rows,
    `  ${s.documents} documents, ${s.tokens} tokens, ${s.samples} samples in ${s.shards} shards`,
    ...(s.bad_records ? [`${s.bad_records} unreadable input records (recorded in provenance):`, ...errors] : []),
  ].join('\n');
}
