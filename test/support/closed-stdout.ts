/**
 * Runs bin/netstrap with its stdout a real pipe (bash `|`) whose reader goes away early, as `| head -1`, `grep -q`
 * and pagers do (issue 25, item 6): what the command prints on stderr then, and its exit status.
 */
import * as path from 'path';
import { $ } from 'zx/core';
import { repoRoot } from './lab';

/**
 * - 'head': `netstrap … | head -1`, the user's command: the reader takes the first line, then closes.
 * - 'closed': `netstrap … | true`: the reader is gone before netstrap writes anything, so the very first write
 *   meets a closed pipe (deterministic, where `head -1` depends on how the writes fall).
 * - 'both-closed': `netstrap … 2>&1 | true`: stderr closed too; a stack would be lost with it, so only the exit
 *   status tells (an uncaught EPIPE ends with 1, not the command's own status).
 */
export type Reader = 'head' | 'closed' | 'both-closed';

export interface PipedRun {
  /** netstrap's own exit status (bash's PIPESTATUS[0]). */
  readonly status: number;
  /** What the reader saw. */
  readonly stdout: string;
  readonly stderr: string;
}

export async function netstrapPiped(args: readonly string[], reader: Reader): Promise<PipedRun> {
  const pipe = { head: '| head -n 1', closed: '| true', 'both-closed': '2>&1 | true' }[reader];
  const script = `"$@" ${pipe}; exit "\${PIPESTATUS[0]}"`;
  const argv = ['bash', '-c', script, 'bash', path.join(repoRoot, 'bin', 'netstrap'), ...args];
  const result = await $({
    cwd: repoRoot,
    nothrow: true,
    quiet: true,
    timeout: 60000,
    timeoutSignal: 'SIGKILL',
  })`exec ${argv}`;
  return { status: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A Node.js stack or EPIPE report in what a command printed on stderr. */
export function stackOrEpipe(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /EPIPE|^\s+at \S|^\w*Error: /.test(line));
}
