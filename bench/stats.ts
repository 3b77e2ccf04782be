/** Small helpers shared by the benchmark sections: medians, number formatting, markdown tables, child processes. */
import { type SpawnSyncOptions, spawnSync } from 'child_process';
import { $ } from 'zx/core';
import { shellEnv } from '../src/lab/exec';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A number with `digits` decimals, or "–" when unknown. */
export function fmt(value: number | undefined, digits = 0): string {
  return value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);
}

/** A ratio as "1.23×". */
export function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '–' : `${(a / b).toFixed(2)}×`;
}

export function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs a command (zx quotes the argv); throws with its stderr when it fails. Returns its stdout. */
export function run(command: string, args: string[], options: RunOptions = {}): string {
  const result = $.sync({
    cwd: options.cwd,
    env: shellEnv(options.env),
    nothrow: true,
    quiet: true,
    // spawnSync's default 1 MiB output cap kills a child (SIGTERM) that prints more: a 1,000 × 1,000 matrix --json is ~30 MB.
    spawnSync: ((command: string, args: string[], options: SpawnSyncOptions) =>
      spawnSync(command, args, { ...options, maxBuffer: 1 << 30 })) as typeof spawnSync,
  })`exec ${[command, ...args]}`;
  if (result.exitCode !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.exitCode ?? result.signal}:\n${result.stderr.slice(-4000)}`,
    );
  }
  return result.stdout;
}

/** Prints a progress line on stderr (stdout carries only the report). */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
