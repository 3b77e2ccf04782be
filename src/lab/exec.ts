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
  /** Killed after this many milliseconds. @default 30000 */
  readonly timeoutMs?: number;
  /** Resolve instead of rejecting on a non-zero exit. @default false */
  readonly allowFailure?: boolean;
}

/** Runs argv[0] with the rest as arguments; rejects on a non-zero exit with the command and its stderr. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  // `exec` makes the command itself the child (no shell left in between to outlive a timeout's SIGKILL).
  const output = await $({
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

/** Runs `ip -b -` (optionally `-n <netns>`) with one command per line; `force` keeps going after errors. */
export async function ipBatch(
  lines: readonly string[],
  options: { netns?: string; force?: boolean } = {},
): Promise<RunResult> {
  if (lines.length === 0) return { stdout: '', stderr: '', status: 0 };
  const argv = ['ip', ...(options.netns ? ['-n', options.netns] : []), ...(options.force ? ['-force'] : []), '-b', '-'];
  return run(argv, { input: `${lines.join('\n')}\n`, allowFailure: options.force });
}

/** `ip -j ...` parsed. */
export async function ipJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await run(['ip', '-j', ...args]);
  return (stdout.trim() === '' ? [] : JSON.parse(stdout)) as T;
}
