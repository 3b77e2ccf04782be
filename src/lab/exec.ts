/**
 * Running the lab's system tools (ip, ssh-keygen, nsenter) through zx: argv arrays that zx quotes one by one (no
 * shell string is ever built by hand), bounded in time, stderr in the error message. `ip` commands are batched
 * (`ip -b -`): every fork+exec costs 5-8 ms on a small machine.
 */
import { $ } from 'zx/core';

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number | null;
}

export interface RunOptions {
  /** Written to the command's stdin. @default nothing (stdin closed) */
  readonly input?: string;
  /** Killed (SIGKILL) after this many milliseconds. @default 30000 */
  readonly timeoutMs?: number;
  /** Resolve instead of rejecting on a non-zero exit. @default false */
  readonly allowFailure?: boolean;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The environment for zx's bash. Its stdin is a socket (Node's pipes are socket pairs), and bash with a socket on
 * stdin and SHLVL unset takes itself for a remote shell and sources ~/.bashrc for every command: ~140 ms each here
 * (pyenv's init), which at 100 nodes pushed lab commands past their timeout under load. SHLVL=1 (bash makes it 2)
 * tells it it is a nested shell.
 */
export function shellEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Number(env.SHLVL) >= 1 ? env : { ...env, SHLVL: '1' };
}

/** Runs argv[0] with the rest as arguments; rejects on a non-zero exit with the command and its stderr. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  // `exec` makes the command itself the child (no shell left in between to outlive a timeout's SIGKILL).
  const output = await $({
    cwd: options.cwd,
    env: shellEnv(options.env),
    input: options.input ?? '',
    timeout: options.timeoutMs ?? 30000,
    timeoutSignal: 'SIGKILL',
    nothrow: true,
    quiet: true,
  })`exec ${argv}`;
  const result = { stdout: output.stdout, stderr: output.stderr, status: output.exitCode };
  if (result.status === 0 || options.allowFailure) return result;
  const why = output.signal ?? `exit ${result.status}`;
  throw new Error(`${argv.join(' ')} failed (${why}): ${result.stderr.trim() || result.stdout.trim()}`);
}

/**
 * How many per-node commands (ssh-keygen, a node's `ip -b`) the lab runs at once: enough to keep 2 cores busy,
 * few enough that each one finishes well inside its timeout when the machine is loaded.
 */
export const LAB_PARALLEL = 8;

/** The timeout of one lab command whose work grows with the node count: 30 s plus 0.3 s per node, at most 2 min. */
export function labCommandTimeoutMs(nodes: number): number {
  return Math.min(120000, 30000 + 300 * nodes);
}

/** Maps items through `fn`, at most `limit` at once (a lab of 100 nodes must not start 100 processes at once). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Runs `ip -b -` (optionally `-n <netns>`) with one command per line; `force` keeps going after errors. */
export async function ipBatch(
  lines: readonly string[],
  options: { netns?: string; force?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  if (lines.length === 0) return { stdout: '', stderr: '', status: 0 };
  const argv = ['ip', ...(options.netns ? ['-n', options.netns] : []), ...(options.force ? ['-force'] : []), '-b', '-'];
  return run(argv, { input: `${lines.join('\n')}\n`, allowFailure: options.force, timeoutMs: options.timeoutMs });
}

/** `ip -j ...` parsed. */
export async function ipJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await run(['ip', '-j', ...args]);
  return (stdout.trim() === '' ? [] : JSON.parse(stdout)) as T;
}
