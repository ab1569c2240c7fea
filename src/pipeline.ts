import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { PipelineSpec } from '../schemas/pipeline.js';

/** A config error a person can act on: it names the file and the path inside it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `stages[2].seq_len: expected number, received string` for each issue. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return `${path || '(top level)'}: ${issue.message}`;
    })
    .join('\n');
}

export async function loadPipeline(path: string): Promise<{ spec: PipelineSpec; baseDir: string; path: string }> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read pipeline file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = PipelineSpec.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${path}: invalid pipeline\n${describeIssues(parsed.error.issues)}`);
  return { spec: parsed.data, baseDir: dirname(abs), path: abs };
}

/** JSON Schema of what a person writes in a pipeline file (defaults optional), for editor completion. */
export function pipelineJsonSchema(): string {
  return `${JSON.stringify(z.toJSONSchema(PipelineSpec, { io: 'input' }), null, 2)}\n`;
}
