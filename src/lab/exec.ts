/**
 * Running the lab's system tools (ip, ssh-keygen, nsenter): argv arrays handed to the kernel as they are (no shell
 * in between, so nothing is ever quoted by hand), bounded in time, stderr in the error message. `ip` commands are
 * batched (`ip -b -`): every fork+exec costs 5-8 ms on a small machine. No shell: through one, bash sees a socket
 * on stdin and, run from a process without SHLVL, sources ~/.bashrc for every command (~350 ms with pyenv's init
 * here), which at 100 nodes was what pushed lab commands past their timeout under load.
 */
import { spawn } from 'child_process';

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

/** Runs argv[0] with the rest as arguments; rejects on a non-zero exit with the command and its stderr. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: options.cwd, env: options.env ?? process.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined); // a command that exits without reading its input
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30000);
    let spawnError: Error | undefined;
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(stdout).toString(),
        stderr: Buffer.concat(stderr).toString() || (spawnError?.message ?? ''),
        status: code,
      };
      if (result.status === 0 || options.allowFailure) return resolve(result);
      const why = signal ?? (spawnError ? 'not started' : `exit ${result.status}`);
      reject(new Error(`${argv.join(' ')} failed (${why}): ${result.stderr.trim() || result.stdout.trim()}`));
    });
  });
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
