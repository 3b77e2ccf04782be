/**
 * Running the lab's system tools (ip, ssh-keygen, nsenter) as argv arrays: no shell, bounded in time, stderr in
 * the error message. `ip` commands are batched (`ip -b -`): every fork+exec costs 5-8 ms on a small machine.
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
  /** Killed after this many milliseconds. @default 30000 */
  readonly timeoutMs?: number;
  /** Resolve instead of rejecting on a non-zero exit. @default false */
  readonly allowFailure?: boolean;
}

/** Runs argv[0] with the rest as arguments; rejects on a non-zero exit with the command and its stderr. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${argv[0]}: ${error.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const result = { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), status };
      if (status === 0 || options.allowFailure) resolve(result);
      else reject(new Error(`${argv.join(' ')} failed (${signal ?? `exit ${status}`}): ${result.stderr.trim() || result.stdout.trim()}`));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `ip -b -` (optionally `-n <netns>`) with one command per line; `force` keeps going after errors. */
export async function ipBatch(lines: readonly string[], options: { netns?: string; force?: boolean } = {}): Promise<RunResult> {
  if (lines.length === 0) return { stdout: '', stderr: '', status: 0 };
  const argv = ['ip', ...(options.netns ? ['-n', options.netns] : []), ...(options.force ? ['-force'] : []), '-b', '-'];
  return run(argv, { input: `${lines.join('\n')}\n`, allowFailure: options.force });
}

/** `ip -j ...` parsed. */
export async function ipJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await run(['ip', '-j', ...args]);
  return (stdout.trim() === '' ? [] : JSON.parse(stdout)) as T;
}
