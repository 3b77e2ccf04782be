/**
 * `netstrap lab`: real nodes on one Linux machine. Each node of a cluster file becomes a set of namespaces running
 * Debian's OpenSSH server on the node's SSH address, cabled to the cluster's LANs, reachable from the machine over
 * a management bridge. Programmatic API: labUp / labDown / labStatus / labExec.
 *
 * `up` on a lab that is already up (a state.json in the state dir) is an error: run `down` first.
 * The management network is IPv4 or IPv6 (lab.managementCidr; IPv6 inside fd00::/8, then SSH runs over IPv6).
 * Limits: interfaces without a `lan` are not created (no dummy links here); nodes share the machine's kernel, so
 * kernel modules and kernel.* sysctls are the machine's (read-only inside nodes). Per-node overlay upper dirs live
 * in <stateDir>/nodes/<node>/fs, or on a node-private tmpfs where overlayfs refuses the state dir's file system as
 * upper (or with NETSTRAP_LAB_UPPER=tmpfs).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ClusterModel } from '../model/load';
import { InputError } from '../model/errors';
import { withLines } from '../model/source-lines';
import { LAB_PARALLEL, mapLimit, run, RunOptions, RunResult } from './exec';
import {
  createNetwork,
  deleteNetwork,
  existingNamespaces,
  existingRootLinks,
  recreateNodeNetwork,
  rootConflicts,
} from './network';
import {
  childrenOf,
  cmdline,
  INIT_SCRIPT,
  MANAGER_FILE,
  NETWORKD,
  startNetworkdScript,
  installCniPlugins,
  OVERLAID,
  isLauncher,
  isNodeSshd,
  killIfMatches,
  nodeDir,
  prepareNodeDir,
  startNode,
  waitReady,
} from './node';
import { generateKey, knownHostsLine, sshBanner, sshConfigBlock, sshdConfig } from './sshd';
import type { LabService, LabServiceAction } from './services';
import { LabNode, LabState, readState, stateFile, writeState } from './state';
import { labIssues, labTopology } from './topology';

export { defaultStateDir, readState } from './state';
export { LAB_SERVICE_ACTIONS, LAB_SERVICES } from './services';
export type { LabService, LabServiceAction } from './services';
export type { LabNode, LabState } from './state';
export { labIssues, labTopology } from './topology';
export { topologyIssues } from '../model/checks/topology';
export type { LabTopology } from './topology';

/** A lab operation failed for a reason outside the cluster file (not root, address clash, sshd not starting). */
export class LabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabError';
  }
}

export interface LabUpOptions {
  /** Where the lab keeps its keys, ssh files, state.json and per-node overlays. Must not hold a lab already. */
  readonly stateDir: string;
  /**
   * Give up when the nodes' sshds have not all answered after this long.
   * @default 30 s plus 0.5 s per node, at most 2 min (labUpTimeoutMs)
   */
  readonly timeoutMs?: number;
}

/** How long `lab up` waits for every sshd by default: 30 s plus 0.5 s per node, at most 2 min. */
export function labUpTimeoutMs(nodes: number): number {
  return Math.min(120000, 30000 + 500 * nodes);
}

function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new LabError('netstrap lab needs root (network namespaces, bridges, mounts)');
}

/** Brings a lab up; on any failure removes what it created and rethrows. */
export async function labUp(model: ClusterModel, options: LabUpOptions): Promise<LabState> {
  const issues = labIssues(model.cluster);
  if (issues.length > 0) throw new InputError(model.file, withLines(issues, model.lineOf));
  requireRoot();
  const stateDir = path.resolve(options.stateDir);
  if (fs.existsSync(stateFile(stateDir))) {
    throw new LabError(`a lab is already up in ${stateDir} (state.json exists): run \`netstrap lab down\` first`);
  }
  if (fs.existsSync(stateDir) && fs.readdirSync(stateDir).length > 0) {
    throw new LabError(`state directory ${stateDir} is not empty and holds no lab: choose another --state-dir`);
  }
  const overlaid = OVERLAID.map((dir) => `/${dir}`).find((dir) => stateDir === dir || stateDir.startsWith(`${dir}/`));
  if (overlaid)
    throw new LabError(
      `state directory ${stateDir} lies under ${overlaid}, which every node overlays: choose another --state-dir`,
    );
  const topology = labTopology(model.cluster, stateDir);
  const conflicts = await rootConflicts(topology.managementCidr);
  if (conflicts.length > 0) {
    throw new LabError(
      `lab.managementCidr ${topology.managementCidr} overlaps ${conflicts.join(', ')} in the root network namespace ` +
        '(another lab, or a real network): choose another lab.managementCidr',
    );
  }
  const leftovers = [...(await existingNamespaces(topology)), ...(await existingRootLinks(topology))];
  if (leftovers.length > 0) throw new LabError(`names of this lab exist already: ${leftovers.join(', ')}`);

  const deadline = Date.now() + (options.timeoutMs ?? labUpTimeoutMs(topology.nodes.length));
  let state: LabState = {
    version: 1,
    status: 'starting',
    cluster: model.cluster.name,
    stateDir,
    sshConfigFile: path.join(stateDir, 'ssh_config'),
    knownHostsFile: path.join(stateDir, 'known_hosts'),
    identityFile: path.join(stateDir, 'id_ed25519'),
    nodes: [],
    plan: topology,
  };
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeState(state);
  try {
    for (const node of topology.nodes) fs.mkdirSync(nodeDir(stateDir, node.name), { recursive: true, mode: 0o700 });
    // One host key per node (a test gives one node another's key and expects a refusal), a few at once.
    const keys: Array<[string, string]> = [
      [state.identityFile, `netstrap-lab-${topology.cluster}`],
      ...topology.nodes.map((node): [string, string] => [
        path.join(nodeDir(stateDir, node.name), 'ssh_host_ed25519_key'),
        `root@${node.name}`,
      ]),
    ];
    const [clientKey, ...hostKeys] = await mapLimit(keys, LAB_PARALLEL, ([file, comment]) =>
      generateKey(file, comment),
    );
    topology.nodes.forEach((node) => {
      const dir = nodeDir(stateDir, node.name);
      prepareNodeDir(dir, node, {
        controller: topology.controllerAddress,
        authorizedKey: clientKey,
        sshdConfig: sshdConfig(node.address, node.port),
      });
      installCniPlugins(dir, topology.cniBinDir);
      for (const file of ['ssh_host_ed25519_key', 'ssh_host_ed25519_key.pub']) {
        fs.renameSync(path.join(dir, file), path.join(dir, 'fs', 'etc', 'upper', 'ssh', file));
      }
    });
    fs.writeFileSync(
      state.knownHostsFile,
      topology.nodes.map((node, i) => `${knownHostsLine(node.name, node.address, node.port, hostKeys[i])}\n`).join(''),
    );
    fs.writeFileSync(
      state.sshConfigFile,
      [
        `# netstrap lab ${topology.cluster}: ssh -F ${state.sshConfigFile} <node>`,
        '',
        ...topology.nodes.map((node) => sshConfigBlock(node, state.identityFile, state.knownHostsFile)),
      ].join('\n'),
    );
    const initScript = path.join(stateDir, 'node-init.sh');
    fs.writeFileSync(initScript, INIT_SCRIPT, { mode: 0o755 });

    await createNetwork(topology);
    // Another `lab up` may have passed the same check at the same moment: only one of them keeps the range.
    const raced = await rootConflicts(topology.managementCidr, topology.bridge);
    if (raced.length > 0)
      throw new LabError(`lab.managementCidr ${topology.managementCidr} was taken meanwhile: ${raced.join(', ')}`);

    // Start every node, record the launchers at once (so `down` can end them after a crash), then wait for all.
    const launchers = topology.nodes.map((node) => startNode(node.netns, initScript, nodeDir(stateDir, node.name)));
    state = { ...state, nodes: topology.nodes.map((node, i) => labNode(node, 0, launchers[i], stateDir)) };
    writeState(state);
    const ready = await Promise.all(
      topology.nodes.map((node, i) => waitReady(launchers[i], nodeDir(stateDir, node.name), deadline)),
    );
    const failed = ready.flatMap((r, i) => (r.ok ? [] : [`${topology.nodes[i].name}: ${r.error}`]));
    if (failed.length > 0) throw new LabError(`lab nodes did not start:\n  ${failed.join('\n  ')}`);
    state = {
      ...state,
      status: 'up',
      nodes: topology.nodes.map((node, i) =>
        labNode(node, (ready[i] as { sshdPid: number }).sshdPid, launchers[i], stateDir),
      ),
    };
    writeState(state);
    return state;
  } catch (error) {
    await teardown(state).catch(() => undefined);
    throw error;
  }
}

function labNode(node: LabState['plan']['nodes'][number], pid: number, launcherPid: number, stateDir: string): LabNode {
  return {
    name: node.name,
    address: node.address,
    port: node.port,
    netns: node.netns,
    pid,
    launcherPid,
    dir: nodeDir(stateDir, node.name),
  };
}

/** Ends the recorded processes, deletes the recorded links and namespaces, removes the state dir. */
async function teardown(state: LabState): Promise<void> {
  const deadline = Date.now() + 5000;
  await Promise.all(
    state.nodes.map(async (node) => {
      await killIfMatches(node.pid || undefined, (pid) => isNodeSshd(pid, node.launcherPid), deadline);
      await killIfMatches(node.launcherPid, (pid) => isLauncher(pid, node.dir), deadline);
    }),
  );
  await deleteNetwork(state.plan);
  fs.rmSync(state.stateDir, { recursive: true, force: true });
}

/** What `down` removed. */
export interface LabDownResult {
  readonly cluster: string;
  readonly nodes: number;
  readonly namespaces: number;
}

/**
 * Tears the lab at stateDir down: everything `up` created, by recorded names and pids. Undefined when there is no lab
 * there (no state.json): nothing to remove, which is what `down` is for, so not an error (and no root needed).
 */
export async function labDown(stateDir: string): Promise<LabDownResult | undefined> {
  const dir = path.resolve(stateDir);
  const state = readState(dir);
  if (!state) return undefined;
  requireRoot();
  if (path.resolve(state.stateDir) !== dir)
    throw new LabError(`${stateFile(dir)} belongs to ${state.stateDir}: not removing it`);
  const namespaces = (await existingNamespaces(state.plan)).length;
  await teardown(state);
  const left = [...(await existingNamespaces(state.plan)), ...(await existingRootLinks(state.plan))];
  const alive = state.nodes
    .flatMap((n) => [n.pid, n.launcherPid])
    .filter(
      (pid) =>
        pid > 1 &&
        cmdline(pid) !== undefined &&
        (isLauncher(pid, nodeDir(dir, '')) || state.nodes.some((n) => isNodeSshd(pid, n.launcherPid))),
    );
  if (left.length > 0 || alive.length > 0)
    throw new LabError(
      `lab ${state.cluster} not fully removed: ${[...left, ...alive.map((p) => `pid ${p}`)].join(', ')}`,
    );
  return { cluster: state.cluster, nodes: state.nodes.length, namespaces };
}

/**
 * Emulates a reboot of one node: its processes are killed, its network namespace is replaced by a fresh one with
 * the lab's cabling (so every runtime state — addresses, routes, bridges, namespaces, iptables, net.* sysctls — is
 * gone), its disk (the overlay upper dirs) is kept, and before sshd starts it runs what a boot runs for netstrap:
 * its sysctl.d file and the command of its systemd unit when enabled. Kernel modules are the machine's: a reboot
 * of a lab node cannot unload them. Refused when the node keeps its files on a tmpfs (overlayfs refused the state
 * dir as upper): a reboot would lose its disk.
 */
export async function labReboot(
  stateDir: string,
  nodeName: string,
  options: { timeoutMs?: number } = {},
): Promise<LabNode> {
  requireRoot();
  const dir = path.resolve(stateDir);
  const state = readState(dir);
  if (!state) throw new LabError(`no lab in ${dir} (no state.json)`);
  const node = state.nodes.find((n) => n.name === nodeName);
  const topologyNode = state.plan.nodes.find((n) => n.name === nodeName);
  if (!node || !topologyNode) throw new LabError(`no node ${JSON.stringify(nodeName)} in lab ${state.cluster}`);
  if (fs.existsSync(path.join(node.dir, 'upper-mode'))) {
    throw new LabError(
      `node ${nodeName} keeps its files on a tmpfs (overlayfs refused ${dir}'s file system as upper): ` +
        'a reboot would lose its disk, so lab reboot cannot emulate one here',
    );
  }
  const deadline = Date.now() + 5000;
  await killIfMatches(node.pid || undefined, (pid) => isNodeSshd(pid, node.launcherPid), deadline);
  await killIfMatches(node.launcherPid, (pid) => isLauncher(pid, node.dir), deadline);
  await recreateNodeNetwork(state.plan, topologyNode);
  const initScript = path.join(dir, 'node-init.sh');
  fs.writeFileSync(initScript, INIT_SCRIPT, { mode: 0o755 });
  const launcherPid = startNode(topologyNode.netns, initScript, node.dir, true);
  let nodes = state.nodes.map((n) => (n.name === nodeName ? { ...n, pid: 0, launcherPid } : n));
  writeState({ ...state, nodes });
  const ready = await waitReady(launcherPid, node.dir, Date.now() + (options.timeoutMs ?? 30000));
  if (!ready.ok) throw new LabError(`node ${nodeName} did not come back: ${ready.error}`);
  const rebooted = labNode(topologyNode, ready.sshdPid, launcherPid, dir);
  nodes = state.nodes.map((n) => (n.name === nodeName ? rebooted : n));
  writeState({ ...state, nodes });
  return rebooted;
}

/**
 * Starts, stops or restarts a service of a node, as systemctl would on a real host: systemd-networkd, on a node
 * whose lab.networkManager the lab runs. Stop ends the node's networkd processes (children of its PID 1, by pid:
 * SIGTERM, SIGKILL after 3 s); start runs it again and waits (bounded) until its links are online. Returns the pids
 * running afterwards.
 */
export async function labService(
  stateDir: string,
  nodeName: string,
  service: LabService,
  action: LabServiceAction,
): Promise<number[]> {
  requireRoot();
  const dir = path.resolve(stateDir);
  const state = readState(dir);
  if (!state) throw new LabError(`no lab in ${dir} (no state.json)`);
  const node = state.nodes.find((n) => n.name === nodeName);
  if (!node) throw new LabError(`no node ${JSON.stringify(nodeName)} in lab ${state.cluster}`);
  if (!fs.existsSync(path.join(node.dir, MANAGER_FILE)))
    throw new LabError(
      `node ${nodeName} runs no ${service}: give it lab: { networkManager: networkd } (or netplan) in the cluster file`,
    );
  if (!isNodeSshd(node.pid, node.launcherPid)) throw new LabError(`node ${nodeName}: its sshd is not running`);
  if (action !== 'start') await stopNetworkd(node.pid);
  if (action !== 'stop' && networkdPids(node.pid).length === 0) {
    await labExec(state, nodeName, ['sh', '-c', startNetworkdScript(node.dir)], { timeoutMs: 10000 });
    const deadline = Date.now() + 3000;
    while (networkdPids(node.pid).length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    if (networkdPids(node.pid).length === 0)
      throw new LabError(`node ${nodeName}: ${service} did not start (see ${path.join(node.dir, 'networkd.log')})`);
  }
  return networkdPids(node.pid);
}

/** The node's networkd processes: children of its PID 1 (its sshd) running NETWORKD. */
function networkdPids(sshdPid: number): number[] {
  return childrenOf(sshdPid).filter((pid) => cmdline(pid)?.startsWith(NETWORKD) === true);
}

/** Ends the node's networkd processes by pid: SIGTERM, then SIGKILL after 3 s. */
async function stopNetworkd(sshdPid: number): Promise<void> {
  const pids = networkdPids(sshdPid);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  const deadline = Date.now() + 3000;
  while (pids.some((pid) => cmdline(pid) !== undefined) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await Promise.all(
    pids.map((pid) => killIfMatches(pid, (p) => cmdline(p)?.startsWith(NETWORKD) === true, Date.now() + 2000)),
  );
}

export interface NodeStatus {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  /** The recorded sshd process still runs. */
  readonly running: boolean;
  /** The SSH identification line read from address:port, when the node answered. */
  readonly banner?: string;
}

/** Lists the lab's nodes and whether each sshd answers (TCP connect + SSH banner, to the node address only). */
export async function labStatus(stateDir: string): Promise<{ state: LabState; nodes: NodeStatus[] }> {
  const dir = path.resolve(stateDir);
  const state = readState(dir);
  if (!state) throw new LabError(`no lab in ${dir} (no state.json)`);
  const nodes = await Promise.all(
    state.nodes.map(async (node) => ({
      name: node.name,
      address: node.address,
      port: node.port,
      pid: node.pid,
      running: node.pid > 1 && isNodeSshd(node.pid, node.launcherPid),
      banner: await sshBanner(node.address, node.port),
    })),
  );
  return { state, nodes };
}

/**
 * Runs argv inside a node (its network, mount, UTS, IPC and PID namespaces, via nsenter into its sshd) — for
 * tests to inspect a node without SSH. Rejects on a non-zero exit unless allowFailure.
 */
export function labExec(
  state: LabState,
  node: string,
  argv: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const found = state.nodes.find((n) => n.name === node);
  if (!found) throw new LabError(`no node ${JSON.stringify(node)} in lab ${state.cluster}`);
  if (!isNodeSshd(found.pid, found.launcherPid))
    throw new LabError(`node ${node}: its sshd (pid ${found.pid}) is not running`);
  return run(['nsenter', '-t', String(found.pid), '-n', '-m', '-u', '-i', '-p', '--', ...argv], options);
}
