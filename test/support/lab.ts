/**
 * Jest helpers for tests against a real lab (src/lab): `useLab(clusterFile)` brings the lab up in beforeAll and
 * ALWAYS tears it down in afterAll (also when a test or `up` fails). Lab tests need root; elsewhere they are
 * skipped with a visible reason.
 */
import * as fs from 'fs';
import * as path from 'path';
import { $ } from 'zx/core';
import { labDown, labExec, labUp, LabState, readState } from '../../src/lab';
import { run, RunOptions, RunResult } from '../../src/lab/exec';
import { ClusterModel, loadClusterFile } from '../../src/model/load';

export const repoRoot = path.join(__dirname, '..', '..');
export const isRoot = process.getuid?.() === 0;
export const NEEDS_ROOT = 'needs root: network namespaces, bridges and mounts';

/** `describe` when running as root; otherwise `describe.skip` with the reason printed and in the name. */
export function describeLab(name: string, body: () => void): void {
  if (isRoot) {
    describe(name, body);
  } else {
    console.warn(`skipping lab tests "${name}": ${NEEDS_ROOT}`);
    describe.skip(`${name} (skipped: ${NEEDS_ROOT})`, body);
  }
}

/** Runs the netstrap CLI (bin/netstrap) synchronously, killed after 60 s (zx's sync mode has no timeout of its own). */
export function netstrap(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const argv = ['timeout', '-s', 'KILL', '60', path.join(repoRoot, 'bin', 'netstrap'), ...args];
  const result = $.sync({ cwd: repoRoot, nothrow: true, quiet: true })`exec ${argv}`;
  return { status: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** A fixture under test/fixtures. */
export function fixture(name: string): string {
  return path.join(repoRoot, 'test', 'fixtures', name);
}

/** The state dir a test lab uses: fixed per cluster file, so a lab left by an aborted run is removed first. */
export function testStateDir(clusterFile: string): string {
  return path.join(repoRoot, '.lab', `test-${path.basename(clusterFile, path.extname(clusterFile))}`);
}

export interface LabHandle {
  /** The running lab (throws when read before beforeAll brought it up). */
  readonly state: LabState;
  readonly model: ClusterModel;
  /** Runs a remote command over SSH with the OpenSSH client, the lab's ssh_config and strict host-key checking. */
  ssh(node: string, command: string, options?: RunOptions): Promise<RunResult>;
  /** Runs argv inside the node through nsenter (for inspecting a node without SSH). */
  exec(node: string, argv: readonly string[], options?: RunOptions): Promise<RunResult>;
}

/** Runs `ssh -F <ssh_config> <host> -- <command>` (OpenSSH client). */
export function sshRun(state: LabState, host: string, command: string, options: RunOptions = {}): Promise<RunResult> {
  return run(['ssh', '-F', state.sshConfigFile, host, '--', command], { timeoutMs: 20000, ...options });
}

/** Brings the lab of `clusterFile` up for the enclosing describe block, and always down after it. */
export function useLab(clusterFile: string, options: { stateDir?: string } = {}): LabHandle {
  const stateDir = options.stateDir ?? testStateDir(clusterFile);
  let state: LabState | undefined;
  let model: ClusterModel | undefined;
  beforeAll(async () => {
    model = loadClusterFile(clusterFile);
    if (readState(stateDir)) await labDown(stateDir);
    else fs.rmSync(stateDir, { recursive: true, force: true });
    state = await labUp(model, { stateDir });
  }, 60000);
  afterAll(async () => {
    if (readState(stateDir)) await labDown(stateDir);
  }, 30000);
  const current = (): LabState => {
    if (!state) throw new Error(`lab of ${clusterFile} is not up`);
    return state;
  };
  return {
    get state() {
      return current();
    },
    get model() {
      if (!model) throw new Error(`lab of ${clusterFile} is not loaded`);
      return model;
    },
    ssh: (node, command, runOptions) => sshRun(current(), node, command, runOptions),
    exec: (node, argv, runOptions) => labExec(current(), node, argv, runOptions),
  };
}
