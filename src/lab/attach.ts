/**
 * Finding the running lab of a cluster, for the commands that reach its nodes (plan, bootstrap, verify, reset):
 * when `.lab/<cluster-name>/state.json` (or the state directory given) records a lab that is up and whose
 * nodes still run, its ssh_config (with its IdentityFile and strict known_hosts) is the way in. Reads files and
 * /proc only: cheap enough for every run, and needs no root.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isNodeSshd } from './node';
import { defaultStateDir, LabState, readState, stateFile } from './state';

export type LabLookup =
  /** No state.json there. */
  | { readonly status: 'none'; readonly stateDir: string }
  /** Up, every node's sshd still runs: use state.sshConfigFile. */
  | { readonly status: 'up'; readonly stateDir: string; readonly state: LabState }
  /** A state.json that must not be used; `reason` says why (nodes gone, another cluster's lab, unreadable). */
  | { readonly status: 'stale'; readonly stateDir: string; readonly reason: string };

/** Looks for the lab of `clusterName` in `stateDir` (default `.lab/<cluster-name>` under the current directory). */
export function findLab(clusterName: string, stateDir: string = defaultStateDir(clusterName)): LabLookup {
  const dir = path.resolve(stateDir);
  if (!fs.existsSync(stateFile(dir))) return { status: 'none', stateDir: dir };
  let state: LabState | undefined;
  try {
    state = readState(dir);
  } catch (error) {
    return { status: 'stale', stateDir: dir, reason: (error as Error).message };
  }
  if (!state) return { status: 'none', stateDir: dir };
  if (state.cluster !== clusterName)
    return { status: 'stale', stateDir: dir, reason: `it holds the lab of cluster ${JSON.stringify(state.cluster)}` };
  if (state.status !== 'up')
    return {
      status: 'stale',
      stateDir: dir,
      reason: `its status is ${JSON.stringify(state.status)}, not up (an interrupted lab up)`,
    };
  const gone = state.nodes.filter((node) => !(node.pid > 1 && isNodeSshd(node.pid, node.launcherPid)));
  if (gone.length > 0) {
    const names = gone.map((node) => `${node.name} (sshd pid ${node.pid})`).join(', ');
    return {
      status: 'stale',
      stateDir: dir,
      reason: `${gone.length} of ${state.nodes.length} nodes no longer run: ${names}`,
    };
  }
  return { status: 'up', stateDir: dir, state };
}
