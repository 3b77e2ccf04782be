/**
 * Pods in the lab: a network namespace inside a lab node, wired by the node's own CNI configuration and plugins,
 * exactly as a container runtime (libcni, as in containerd and CRI-O) does it:
 * - the configuration is the first file of /etc/cni/net.d (.conf, .conflist, .json) in byte order of the names;
 * - ADD runs the plugin chain in order, each plugin getting the list's cniVersion and name, the previous plugin's
 *   result as `prevResult`, and `runtimeConfig` for the capabilities it declares that the runtime has
 *   (portMappings, from --port);
 * - CHECK runs the chain again with the final result (unless the list says disableCheck, or predates 0.4.0); a
 *   plugin failing it is reported, the pod stays (as with a runtime, which never fails a pod on CHECK);
 * - DEL runs the chain in reverse with the cached result, then the namespace goes.
 * The plugins run inside the node (nsenter), from the node's CNI bin directory (cni.binDir), with CNI_PATH set to
 * it. The result of each pod is cached in <stateDir>/pods.json, as libcni caches it under /var/lib/cni/results.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { type CniNetworkList, parseCniText } from '../model/cni';
import { NAMESPACE_NAME } from '../model/schema';
import type { RunResult } from './exec';
import { LabError, labExec } from './index';
import type { LabState } from './state';

export const CNI_CONF_DIR = '/etc/cni/net.d';
/** The interface every pod gets, as kubelet names it. */
export const POD_INTERFACE = 'eth0';
/** A pod name is a namespace name inside the node (a file under /run/netns). */
export const POD_NAME = NAMESPACE_NAME;
/** Capabilities the lab's runtime fills in runtimeConfig. */
const RUNTIME_CAPABILITIES = ['portMappings'] as const;
/** Each plugin invocation is bounded. */
const PLUGIN_TIMEOUT_MS = 20000;

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

/** One pod of the lab, as recorded in pods.json. */
export interface LabPod {
  readonly node: string;
  readonly name: string;
  readonly containerId: string;
  /** The pod's first address (its IPv4 one; an IPv6-only pod's IPv6 one), as the chain's result gave it. */
  readonly ip: string;
  /**
   * Every address of the pod, without prefix: one per family, IPv4 first (a dual-stack pod: `[10.244.0.2,
   * fd00:10:244::2]`). Absent in pods.json files written before dual-stack: then `[ip]` (podAddresses).
   */
  readonly ips?: readonly string[];
  readonly ports: readonly PortMapping[];
  /** The configuration file used and the list it held, so DEL runs exactly what ADD ran. */
  readonly configFile: string;
  readonly list: CniNetworkList;
  readonly binDir: string;
  /** The final result of the ADD chain (prevResult of CHECK and DEL). */
  readonly result: Record<string, unknown>;
  /** What CHECK reported, per plugin that failed it (empty: every plugin's CHECK exited 0). */
  readonly checkFailures: readonly string[];
}

const podsFile = (state: LabState) => path.join(state.stateDir, 'pods.json');

export function readPods(state: LabState): LabPod[] {
  try {
    return JSON.parse(fs.readFileSync(podsFile(state), 'utf8')) as LabPod[];
  } catch {
    return [];
  }
}

function writePods(state: LabState, pods: readonly LabPod[]): void {
  const file = podsFile(state);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(pods, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
}

/** Parses `HOSTPORT:PODPORT/tcp` (or /udp). */
export function parsePortMapping(text: string): PortMapping | undefined {
  const match = /^(\d{1,5}):(\d{1,5})\/(tcp|udp)$/.exec(text);
  if (!match) return undefined;
  const [hostPort, containerPort] = [Number(match[1]), Number(match[2])];
  if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) return undefined;
  return { hostPort, containerPort, protocol: match[3] as 'tcp' | 'udp' };
}

/** The configuration file a runtime picks: the first .conf/.conflist/.json of the directory, names in byte order. */
export function firstConfigFile(names: readonly string[]): string | undefined {
  return names.filter((n) => /\.(conf|conflist|json)$/.test(n)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
}

/** The stdin of one plugin: list version and name, the plugin's fields, prevResult, runtimeConfig (libcni's order). */
export function pluginConfig(
  list: CniNetworkList,
  index: number,
  prevResult: unknown,
  ports: readonly PortMapping[],
): Record<string, unknown> {
  const plugin = list.plugins[index] as Record<string, unknown>;
  const config: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  const capabilities = (plugin.capabilities ?? {}) as Record<string, unknown>;
  const runtimeConfig: Record<string, unknown> = {};
  for (const capability of RUNTIME_CAPABILITIES) {
    if (capabilities[capability] === true && capability === 'portMappings' && ports.length > 0)
      runtimeConfig.portMappings = ports;
  }
  if (Object.keys(runtimeConfig).length > 0) config.runtimeConfig = runtimeConfig;
  if (prevResult !== undefined) config.prevResult = prevResult;
  return config;
}

interface Invocation {
  command: 'ADD' | 'CHECK' | 'DEL';
  containerId: string;
  pod: string;
  binDir: string;
}

/** Runs one plugin inside the node; returns its parsed stdout (a result, or nothing for CHECK/DEL). */
async function invoke(
  state: LabState,
  node: string,
  inv: Invocation,
  type: string,
  config: unknown,
): Promise<{ run: RunResult; output?: Record<string, unknown> }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(type))
    throw new LabError(`plugin type ${JSON.stringify(type)} is not a file name`);
  const env = [
    `CNI_COMMAND=${inv.command}`,
    `CNI_CONTAINERID=${inv.containerId}`,
    `CNI_NETNS=/run/netns/${inv.pod}`,
    `CNI_IFNAME=${POD_INTERFACE}`,
    `CNI_PATH=${inv.binDir}`,
    `CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${inv.pod};K8S_POD_INFRA_CONTAINER_ID=${inv.containerId}`,
  ];
  const run = await labExec(
    state,
    node,
    ['env', '-i', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', ...env, path.posix.join(inv.binDir, type)],
    {
      input: JSON.stringify(config),
      timeoutMs: PLUGIN_TIMEOUT_MS,
      allowFailure: true,
    },
  );
  let output: Record<string, unknown> | undefined;
  if (run.stdout.trim() !== '') {
    try {
      output = JSON.parse(run.stdout) as Record<string, unknown>;
    } catch {
      output = undefined;
    }
  }
  return { run, output };
}

function failure(
  type: string,
  command: string,
  node: string,
  run: RunResult,
  output?: Record<string, unknown>,
): LabError {
  const message =
    output && typeof output.msg === 'string'
      ? `${output.msg}${output.details ? ` (${String(output.details)})` : ''}`
      : run.stderr.trim() || run.stdout.trim();
  return new LabError(`node ${node}: CNI ${command} of plugin ${type} failed (exit ${run.status}): ${message}`);
}

async function nodeShell(state: LabState, node: string, argv: string[]): Promise<RunResult> {
  return labExec(state, node, argv, { timeoutMs: PLUGIN_TIMEOUT_MS, allowFailure: true });
}

/** The node's CNI configuration as a runtime finds it. */
async function nodeCniConfig(state: LabState, node: string): Promise<{ file: string; list: CniNetworkList }> {
  const listing = await nodeShell(state, node, ['ls', '-1', CNI_CONF_DIR]);
  const name = firstConfigFile(
    listing.status === 0
      ? listing.stdout
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean)
      : [],
  );
  if (!name)
    throw new LabError(
      `node ${node}: no CNI configuration in ${CNI_CONF_DIR} (run netstrap bootstrap first, with cniConflists: true)`,
    );
  const file = `${CNI_CONF_DIR}/${name}`;
  const text = await nodeShell(state, node, ['cat', file]);
  const { parsed, issues } = parseCniText(text.stdout);
  if (!parsed) throw new LabError(`node ${node}: ${file}: ${issues.map((i) => i.message).join('; ')}`);
  return { file, list: parsed.list };
}

function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a.split('.').map(Number), b.split('.').map(Number)];
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * The pod's addresses from a CNI result: the first IPv4 and the first IPv6 address of an interface inside the
 * sandbox, in that order (one for a single-stack pod).
 */
export function resultAddresses(result: Record<string, unknown>): string[] {
  const interfaces = (result.interfaces ?? []) as Array<{ sandbox?: string }>;
  const ips = (result.ips ?? []) as Array<{ address: string; interface?: number }>;
  const inside = ips.filter((ip) => ip.interface === undefined || interfaces[ip.interface]?.sandbox);
  return [inside.find((ip) => !ip.address.includes(':')), inside.find((ip) => ip.address.includes(':'))].flatMap(
    (ip) => (ip ? [ip.address.split('/')[0]] : []),
  );
}

/** Every address of a recorded pod, IPv4 first (`[ip]` for a pod recorded before dual-stack). */
export function podAddresses(pod: LabPod): readonly string[] {
  return pod.ips ?? [pod.ip];
}

export interface PodAddOptions {
  readonly ports?: readonly PortMapping[];
}

/** Creates pod `name` on `node`: namespace, ADD through the chain, CHECK; records it. Undoes everything on failure. */
export async function podAdd(
  state: LabState,
  node: string,
  name: string,
  options: PodAddOptions = {},
): Promise<LabPod> {
  if (!POD_NAME.test(name))
    throw new LabError(
      `pod name ${JSON.stringify(name)}: must be 1-63 characters from A-Z a-z 0-9 _ . - (a network namespace name)`,
    );
  if (!state.nodes.some((n) => n.name === node))
    throw new LabError(`no node ${JSON.stringify(node)} in lab ${state.cluster}`);
  const pods = readPods(state);
  if (pods.some((p) => p.node === node && p.name === name)) throw new LabError(`pod ${node}/${name} exists already`);
  const binDir = state.plan.cniBinDir ?? '/opt/cni/bin';
  const { file, list } = await nodeCniConfig(state, node);
  const ports = options.ports ?? [];
  const containerId = `netstrap-${name}-${randomBytes(4).toString('hex')}`;
  const inv = { containerId, pod: name, binDir };

  const created = await nodeShell(state, node, ['ip', 'netns', 'add', name]);
  if (created.status !== 0) throw new LabError(`node ${node}: ip netns add ${name} failed: ${created.stderr.trim()}`);
  await nodeShell(state, node, ['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  let result: Record<string, unknown> | undefined;
  let added = 0;
  try {
    for (let i = 0; i < list.plugins.length; i++) {
      const { run, output } = await invoke(
        state,
        node,
        { ...inv, command: 'ADD' },
        list.plugins[i].type,
        pluginConfig(list, i, result, ports),
      );
      if (run.status !== 0 || !output) throw failure(list.plugins[i].type, 'ADD', node, run, output);
      added = i + 1;
      result = output;
    }
    if (!result) throw new LabError(`node ${node}: the CNI chain of ${file} gave no result`);
    const ips = resultAddresses(result);
    if (ips.length === 0)
      throw new LabError(`node ${node}: the CNI result gave the pod no address: ${JSON.stringify(result)}`);
    // CHECK reports; it does not undo the pod (kubelet and containerd never fail a pod on CHECK: they do not run it).
    const checks: string[] = [];
    if (!list.disableCheck && compareVersions(list.cniVersion, '0.4.0') >= 0) {
      for (let i = 0; i < list.plugins.length; i++) {
        const type = list.plugins[i].type;
        const { run, output } = await invoke(
          state,
          node,
          { ...inv, command: 'CHECK' },
          type,
          pluginConfig(list, i, result, ports),
        );
        if (run.status === 0) continue;
        const message = failure(type, 'CHECK', node, run, output).message;
        checks.push(
          /check ipv6 dnat/.test(message)
            ? `${message} (portmap 1.1's CHECK looks for IPv6 rules of an IPv4-only pod: containernetworking/plugins#819)`
            : message,
        );
      }
    }
    const pod: LabPod = {
      node,
      name,
      containerId,
      ip: ips[0],
      ips,
      ports,
      configFile: file,
      list,
      binDir,
      result,
      checkFailures: checks,
    };
    writePods(state, [...readPods(state), pod]);
    return pod;
  } catch (error) {
    // Undo: DEL of what was added, in reverse, then the namespace.
    for (let i = added - 1; i >= 0; i--) {
      await invoke(
        state,
        node,
        { ...inv, command: 'DEL' },
        list.plugins[i].type,
        pluginConfig(list, i, result, ports),
      ).catch(() => undefined);
    }
    await nodeShell(state, node, ['ip', 'netns', 'del', name]);
    throw error;
  }
}

/** What `lab pod del` did: each plugin's DEL exit status, in the order run. */
export interface PodDelResult {
  readonly pod: LabPod;
  readonly deletes: ReadonlyArray<{ readonly plugin: string; readonly status: number | null }>;
}

/** Deletes pod `name` on `node`: DEL through the chain in reverse (with the cached result), then the namespace. */
export async function podDel(state: LabState, node: string, name: string): Promise<PodDelResult> {
  const pods = readPods(state);
  const pod = pods.find((p) => p.node === node && p.name === name);
  if (!pod) throw new LabError(`no pod ${node}/${name} in lab ${state.cluster} (lab pod list shows them)`);
  const inv = { containerId: pod.containerId, pod: pod.name, binDir: pod.binDir };
  const deletes: Array<{ plugin: string; status: number | null }> = [];
  const errors: string[] = [];
  for (let i = pod.list.plugins.length - 1; i >= 0; i--) {
    const type = pod.list.plugins[i].type;
    const { run, output } = await invoke(
      state,
      node,
      { ...inv, command: 'DEL' },
      type,
      pluginConfig(pod.list, i, pod.result, pod.ports),
    );
    deletes.push({ plugin: type, status: run.status });
    if (run.status !== 0) errors.push(failure(type, 'DEL', node, run, output).message);
  }
  const removed = await nodeShell(state, node, ['ip', 'netns', 'del', name]);
  if (removed.status !== 0) errors.push(`node ${node}: ip netns del ${name} failed: ${removed.stderr.trim()}`);
  writePods(
    state,
    pods.filter((p) => p !== pod),
  );
  if (errors.length > 0) throw new LabError(errors.join('; '));
  return { pod, deletes };
}
