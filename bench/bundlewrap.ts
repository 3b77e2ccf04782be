/**
 * BundleWrap, the second peer of the bootstrap bench: `bw apply` of the bundle in bench/bundlewrap/ (the same
 * node-prep plan as netstrap's cluster file and bench/ansible/node-prep.yml) with its best settings for speed:
 * every node at once (-p N), up to 8 items at once per node (-P, see itemWorkers), OpenSSH multiplexing (ControlMaster auto +
 * ControlPersist 60s, which the re-run reuses, as for Ansible). BundleWrap runs every command and upload as its
 * own `ssh`/`scp` process: those are counted through logging wrappers put first on PATH.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { LabState } from '../src/lab';
import { measure } from './measure';
import { nodePrepValues, sessionsPerHost, writeSessionWrappers } from './peers';
import { progress, run } from './stats';

const OUT = path.join(__dirname, 'out');
const TEMPLATE = path.join(__dirname, 'bundlewrap');
/** Items of the bundle that are actions: each is skipped on a node where its `unless` check passes. */
const ACTIONS_PER_NODE = 7;
/**
 * Items applied at once per node (`bw apply -P`, default 4): 8 covers the bundle's independent items, but
 * BundleWrap watches every running command's pipes with select(), which fails above file descriptor 1023
 * (Python's FD_SETSIZE; "filedescriptor out of range in select()" at 100 nodes × 8): each running command holds
 * about 6 descriptors, so at most ~140 commands may run at once over all nodes.
 */
function itemWorkers(n: number): number {
  return Math.max(1, Math.min(8, Math.floor(140 / n)));
}

export function bundlewrapVersion(): string | undefined {
  try {
    return run('bw', ['--version']).trim();
  } catch {
    return undefined;
  }
}

/** Installs BundleWrap (Debian's bundlewrap) with apt-get when `bw` is missing; returns its version. */
export function ensureBundlewrap(): string {
  const found = bundlewrapVersion();
  if (found) return found;
  progress('installing bundlewrap (apt-get)');
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'bundlewrap'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return bundlewrapVersion() ?? 'unknown';
}

/** A copy of the repository template with the lab's nodes (nodes.json), control sockets and ssh wrappers. */
function repository(file: string, state: LabState, n: number): { dir: string; log: string; env: NodeJS.ProcessEnv } {
  const dir = path.join(OUT, `bundlewrap-${n}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(TEMPLATE, dir, { recursive: true });
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.mkdirSync(path.join(dir, 'cp'), { recursive: true });
  const log = path.join(dir, 'ssh.log');
  writeSessionWrappers(bin, log);
  const nodes: Record<string, unknown> = {};
  for (const [name, values] of nodePrepValues(file))
    nodes[name] = { hostname: name, bundles: ['node_prep'], metadata: { node_prep: values } };
  fs.writeFileSync(path.join(dir, 'nodes.json'), JSON.stringify(nodes, null, 1));
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    BW_SSH_ARGS: `-F ${state.sshConfigFile} -o ControlMaster=auto -o ControlPath=${path.join(dir, 'cp')}/%C -o ControlPersist=60s`,
    BW_COLORS: '0',
  };
  return { dir, log, env };
}

const repositories = new Map<string, ReturnType<typeof repository>>();

/** One `bw apply` over every node of the lab; the second call for the same lab is the re-run. */
export async function bundlewrapRun(file: string, state: LabState, n: number) {
  const key = state.stateDir + state.nodes[0].pid;
  let repo = repositories.get(key);
  if (!repo) {
    repo = repository(file, state, n);
    repositories.set(key, repo);
  }
  fs.writeFileSync(repo.log, '');
  const result = await measure(['bw', 'apply', '-p', String(n), '-P', String(itemWorkers(n)), 'lab'], {
    cwd: repo.dir,
    env: repo.env,
    timeoutMs: 900000,
    tree: true,
  });
  const output = result.stdout + result.stderr;
  // Per node: "i node01  completed after 3s  (8 OK, 5 fixed, 0 skipped, 0 failed)".
  const done = [
    ...output.matchAll(/^i (\S+)\s+completed after .*\((\d+) OK, (\d+) fixed, (\d+) skipped, (\d+) failed\)/gm),
  ];
  if (result.status !== 0 || done.length !== n || done.some((m) => m[5] !== '0')) {
    const errors = output
      .split('\n')
      .filter((l) => l.startsWith('!'))
      .slice(0, 3)
      .join(' ');
    throw new Error(
      `bw apply exited ${result.status}, ${done.length} of ${n} nodes completed: ${(errors || output).slice(-1500)}`,
    );
  }
  return {
    ms: result.ms,
    cpuMs: result.cpuMs,
    rssMb: result.treeRssMb,
    roundTrips: sessionsPerHost(
      repo.log,
      state.nodes.map((node) => node.name),
    ),
    // A node changed when an item was fixed or an action ran (was not skipped by its `unless` check).
    changedHosts: done.filter((m) => Number(m[3]) > 0 || Number(m[4]) < ACTIONS_PER_NODE).length,
  };
}
