/**
 * Runs one benchmarked command and measures what it cost the controller: wall time, CPU of the command and its
 * waited-for descendants, peak memory (bench/rusage.py, since Node has no wait4). Also the CPU the lab's sshds
 * spent meanwhile (sshdCpuMs), read from /proc, so a run can be split into client and server work.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { LabState } from '../src/lab';
import { run } from '../src/lab/exec';

export interface Measured {
  status: number | null;
  /** Wall time from spawn to exit. */
  ms: number;
  /** User + system CPU of the command and every descendant it waited for. */
  cpuMs: number;
  /** Largest resident set of any one of those processes. */
  maxRssMb: number;
  /** With `tree`: largest sum of resident sets over the whole process tree, sampled every 200 ms. */
  treeRssMb?: number;
  stdout: string;
  stderr: string;
}

const RUSAGE = path.join(__dirname, 'rusage.py');
// Debian's python3 directly: a `python3` found first on PATH may be a version manager's shim (pyenv: a bash script
// and a few processes per call).
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
let reports = 0;

/** Runs argv through bench/rusage.py (zx, via src/lab/exec.ts); bounded by timeoutMs (the command is killed then). */
export async function measure(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; tree?: boolean } = {},
): Promise<Measured> {
  const report = path.join(os.tmpdir(), `netstrap-bench-${process.pid}-${++reports}.json`);
  const output = await run([PYTHON, RUSAGE, report, options.tree ? '1' : '0', '--', ...argv], {
    cwd: options.cwd,
    env: options.env,
    timeoutMs: options.timeoutMs ?? 900000,
    allowFailure: true,
  });
  let usage: { status: number; wallMs: number; cpuMs: number; maxRssMb: number; treeRssMb: number | null };
  try {
    usage = JSON.parse(fs.readFileSync(report, 'utf8'));
    fs.rmSync(report);
  } catch {
    throw new Error(
      `${argv.join(' ')}: killed or no usage report (exit ${output.status ?? 'by a signal'}): ${output.stderr.slice(-1500)}`,
    );
  }
  return {
    status: usage.status,
    ms: usage.wallMs,
    cpuMs: usage.cpuMs,
    maxRssMb: usage.maxRssMb,
    treeRssMb: usage.treeRssMb ?? undefined,
    stdout: output.stdout,
    stderr: output.stderr,
  };
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/**
 * CPU (ms) spent so far by the lab's sshd processes and their finished sessions: each node's sshd is PID 1 of its
 * node; a session's sshd is its child, whose time is added to the parent's cutime/cstime when it is reaped.
 */
export function labSshdCpuMs(state: LabState): number {
  let ticks = 0;
  for (const node of state.nodes) {
    try {
      const stat = fs.readFileSync(`/proc/${node.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime, stime, cutime, cstime are fields 14-17 of stat; fields[0] here is field 3.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      /* node gone */
    }
  }
  return ticks * TICK_MS;
}

/** CPU (ms) the whole machine has been busy so far, all cores (/proc/stat; not idle nor iowait). */
export function machineBusyMs(): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  return (user + nice + system + irq + softirq + (steal ?? 0)) * TICK_MS;
}
