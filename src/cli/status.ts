import type { RunStatus } from '../../temporal/client.js';

const WIDTH = 24;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * `corpusflow status`: a bar per stage phase; the running phase also shows its docs/s and an ETA
 * from its pace so far (tasks left at the seconds per task seen in this phase).
 */
export function formatStatus(s: RunStatus): string {
  const lines = [`run ${s.run_id}: ${s.status} for ${duration(s.seconds)}`];
  s.phases.forEach((p, i) => {
    const filled = p.tasks_total ? Math.round((p.tasks_done / p.tasks_total) * WIDTH) : WIDTH;
    let line = `  ${`${p.stage}/${p.phase}`.padEnd(18)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${p.tasks_done}/${p.tasks_total} tasks  ${p.docs_in} docs in, ${p.docs_out} out`;
    const running = i === s.phases.length - 1 && s.current_seconds !== null && p.tasks_done < p.tasks_total;
    if (running && s.current_seconds) {
      const rate = p.docs_in / s.current_seconds;
      const eta = p.tasks_done ? ((p.tasks_total - p.tasks_done) * s.current_seconds) / p.tasks_done : Number.NaN;
      line += `  ${rate.toFixed(1)} docs/s  ETA ${duration(eta)}`;
    }
    lines.push(line);
  });
  return lines.join('\n');
}
