/**
 * Processes a node starts for one netstrap run (issue 23: "count processes with strace"):
 *
 *   sudo npx tsx bench/processes.ts        # needs root (netstrap lab) and strace
 *
 * Brings up the 3-node lab of bench/lab-cluster.ts (wide layout, 10.250.139.0/24), attaches `strace -f -e
 * trace=execve` to the middle node's sshd (PID 1 of its PID namespace) and bootstraps the lab twice: the first run
 * (2 round trips) and the no-op re-run (1). Prints the programs executed on that node per run, sshd's own re-exec
 * for each connection included, and the count of each. Not part of `npm run bench` (strace slows the node).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { bootstrapCluster } from '../src/host/provision';
import { labDown, labUp, readState } from '../src/lab';
import { loadClusterFile } from '../src/model/load';
import { labClusterText, nodeName } from './lab-cluster';

const OUT = path.join(__dirname, 'out');

async function traced<T>(pid: number, body: () => Promise<T>): Promise<{ result: T; programs: string[] }> {
  const log = path.join(os.tmpdir(), `netstrap-processes-${process.pid}.trace`);
  const argv = ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, '-p', String(pid)];
  const strace = spawn('strace', argv, { stdio: 'ignore' });
  try {
    await new Promise((resolve) => setTimeout(resolve, 500)); // strace attaches
    const result = await body();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the session's last processes end
    strace.kill('SIGINT');
    await new Promise((resolve) => strace.once('exit', resolve));
    // With -f, an execve that overlaps another process's is logged in two lines: `PID execve("path", ... <unfinished
    // ...>` and later `PID <... execve resumed>...) = 0`.
    const programs: string[] = [];
    const pending = new Map<string, string>();
    for (const line of fs.readFileSync(log, 'utf8').split('\n')) {
      const [pid] = line.split(' ', 1);
      const call = /execve\("([^"]+)"/.exec(line)?.[1];
      if (call !== undefined && / = 0$/.test(line)) programs.push(call);
      else if (call !== undefined && line.endsWith('<unfinished ...>')) pending.set(pid, call);
      else if (line.includes('<... execve resumed>')) {
        if (/ = 0$/.test(line) && pending.has(pid)) programs.push(pending.get(pid)!);
        pending.delete(pid);
      }
    }
    return { result, programs };
  } finally {
    if (strace.exitCode === null) strace.kill('SIGINT');
    fs.rmSync(log, { force: true });
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, 'processes-lab-3.yaml');
  fs.writeFileSync(file, labClusterText(3, 'wide'));
  const stateDir = path.join(OUT, 'lab-state-processes');
  if (readState(stateDir)) await labDown(stateDir);
  else fs.rmSync(stateDir, { recursive: true, force: true });
  const model = loadClusterFile(file);
  const state = await labUp(model, { stateDir });
  try {
    const node = state.nodes.find((n) => n.name === nodeName(2))!;
    for (const run of ['first run', 'no-op re-run']) {
      const { result, programs } = await traced(node.pid, () =>
        bootstrapCluster(model, { sshConfigFile: state.sshConfigFile }),
      );
      const host = result.hosts.find((h) => h.node === node.name)!;
      const counts = new Map<string, number>();
      for (const program of programs) counts.set(path.basename(program), (counts.get(path.basename(program)) ?? 0) + 1);
      console.log(
        `${run}: ${programs.length} processes on ${node.name} (${host.status}, ${host.roundTrips} round trips): ` +
          [...counts]
            .sort((a, b) => b[1] - a[1])
            .map(([name, count]) => `${name} ${count}`)
            .join(', '),
      );
    }
  } finally {
    await labDown(stateDir);
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
