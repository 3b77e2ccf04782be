/**
 * The lab's state directory and state.json: everything `lab up` created, by name and pid, so that `lab down`
 * removes exactly that (and nothing else) even after a crash halfway through `up`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LabTopology } from './topology';

/** Default state directory of a cluster's lab: `.lab/<cluster-name>/` under the current directory. */
export function defaultStateDir(clusterName: string, cwd: string = process.cwd()): string {
  return path.join(cwd, '.lab', clusterName);
}

/** The text of a TCP endpoint: `10.0.0.1:22`, `[fd00::1]:22` (as sshd's ListenAddress and known_hosts write it). */
export function endpointText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** One running lab node. */
export interface LabNode {
  readonly name: string;
  /** The node's SSH address (its ssh.host, on mgmt0). */
  readonly address: string;
  readonly port: number;
  /** Its network namespace (`ip netns exec <netns>`). */
  readonly netns: string;
  /** PID of the node's sshd (PID 1 of the node's PID namespace); nsenter -t <pid> enters the node. */
  readonly pid: number;
  /** PID of the `unshare` launcher whose child the sshd is. */
  readonly launcherPid: number;
  /** The node's directory under the state dir (overlay upper/work dirs, /root, sshd.log). */
  readonly dir: string;
}

/** What `lab up` returns and records in <stateDir>/state.json. All paths are absolute. */
export interface LabState {
  readonly version: 1;
  /** Lab status: `starting` until every sshd answered, then `up`. */
  readonly status: 'starting' | 'up';
  readonly cluster: string;
  readonly stateDir: string;
  /** OpenSSH client config: one Host block per node name and address (strict host-key checking). */
  readonly sshConfigFile: string;
  readonly knownHostsFile: string;
  /** The lab's client private key (ed25519), the only key the nodes accept. */
  readonly identityFile: string;
  readonly nodes: readonly LabNode[];
  /** Names and addresses of everything created (see LabTopology); `plan` stays its state.json key (labs that are up). */
  readonly plan: LabTopology;
}

export const STATE_FILE = 'state.json';

export function stateFile(stateDir: string): string {
  return path.join(stateDir, STATE_FILE);
}

/** Reads <stateDir>/state.json, or undefined when there is none. */
export function readState(stateDir: string): LabState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(stateFile(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  const state = JSON.parse(text) as LabState;
  if (state.version !== 1 || !state.plan) throw new Error(`${stateFile(stateDir)}: not a netstrap lab state file`);
  return state;
}

/** Writes state.json atomically (a crash leaves the old or the new file, never half of one). */
export function writeState(state: LabState): void {
  const file = stateFile(state.stateDir);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}
