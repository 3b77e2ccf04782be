/**
 * The lab's topology: the checks only a lab needs (on top of the model's topologyIssues), and every
 * name and address `netstrap lab up` will create (namespaces, bridges, veths), computed before anything is touched.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import type { IPv4CidrRange } from 'ip-num';
import { nthAddress, parseAddress, parseNetwork, rangeContains } from '../model/cidr';
import { topologyIssues } from '../model/checks/topology';
import { Issue, show } from '../model/errors';
import { Cluster } from '../model/schema';

/** Name of the management interface inside every lab node. */
export const MGMT_INTERFACE = 'mgmt0';
/** Longest Linux interface name. */
export const IFNAMSIZ_MAX = 15;

/**
 * Checks that only matter when the cluster is run as a lab: every ssh.host is a usable address of
 * lab.managementCidr (not the controller's), distinct, and not one of the node's LAN addresses.
 */
export function labIssues(cluster: Cluster): Issue[] {
  const issues = topologyIssues(cluster);
  const mgmt = parseNetwork(cluster.lab.managementCidr);
  if (!mgmt.ok || issues.length > 0) return issues;
  const controller = controllerAddress(mgmt.value);
  const seen = new Map<string, string>();
  if (cluster.nodes.length === 0) issues.push({ path: ['nodes'], message: 'a lab needs at least one node' });
  // Root-namespace veth names are "<base>-<index>": three digits fit in 15 characters.
  if (cluster.nodes.length > 1000)
    issues.push({ path: ['nodes'], message: `a lab holds at most 1000 nodes (got ${cluster.nodes.length})` });
  cluster.nodes.forEach((node, n) => {
    const at = ['nodes', n, 'ssh', 'host'];
    const parsed = parseAddress(node.ssh.host);
    if (!parsed.ok) {
      issues.push({
        path: at,
        message: `a lab node's ssh.host must be an IPv4 address inside lab.managementCidr ${mgmt.value.toCidrString()} (got ${show(node.ssh.host)})`,
      });
      return;
    }
    const address = parsed.value;
    if (!rangeContains(mgmt.value, address)) {
      issues.push({
        path: at,
        message: `${show(node.ssh.host)} is outside lab.managementCidr ${mgmt.value.toCidrString()}`,
      });
    } else if (address.isEquals(mgmt.value.getFirst()) || address.isEquals(mgmt.value.getLast())) {
      issues.push({
        path: at,
        message: `${show(node.ssh.host)} is the network or broadcast address of lab.managementCidr ${mgmt.value.toCidrString()}`,
      });
    } else if (address.isEquals(controller)) {
      issues.push({
        path: at,
        message: `${show(node.ssh.host)} is the lab controller's address (the last usable address of ${mgmt.value.toCidrString()})`,
      });
    } else if (seen.has(address.toString())) {
      issues.push({
        path: at,
        message: `${show(node.ssh.host)} is already the ssh.host of node ${show(seen.get(address.toString()))}`,
      });
    }
    seen.set(address.toString(), node.name);
    if (node.ssh.user !== 'root') {
      issues.push({
        path: ['nodes', n, 'ssh', 'user'],
        message: `lab nodes accept only root (got ${show(node.ssh.user)})`,
      });
    }
    if (node.interfaces.some((iface) => iface.name === MGMT_INTERFACE)) {
      issues.push({
        path: ['nodes', n, 'interfaces'],
        message: `interface name ${show(MGMT_INTERFACE)} is reserved for the lab's management network`,
      });
    }
  });
  return issues;
}

/** The machine's address on the management bridge: the last usable address of the CIDR (e.g. .254 of a /24). */
export function controllerAddress(range: IPv4CidrRange): ReturnType<typeof nthAddress> {
  return nthAddress(range, Number(range.getSize()) - 2);
}

/** One node interface cabled to a LAN: a veth whose bridge end lives in the LAN namespace. */
export interface TopologyPort {
  readonly lan: string;
  /** The veth end in the LAN namespace (≤ 15 characters, unique within it). */
  readonly lanSide: string;
  /** The interface name inside the node. */
  readonly name: string;
  readonly addresses: readonly string[];
  readonly mtu?: number;
  /** The node-side MAC address: fixed per lab, node and interface, so that a reboot does not change it. */
  readonly mac: string;
}

/** The network managers the lab can run inside a node (a node's `lab.networkManager`). */
export type LabNetworkManager = 'networkd' | 'netplan';

export interface TopologyNode {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Network namespace name (a file under /run/netns). */
  readonly netns: string;
  /** The root-namespace end of the node's management veth (≤ 15 characters). */
  readonly rootVeth: string;
  /**
   * The MAC address of the node's management interface: fixed, so that after a reboot the machine's neighbour
   * cache (and every LAN peer's, through the ports' fixed MACs) still points at the node.
   */
  readonly mgmtMac: string;
  readonly ports: readonly TopologyPort[];
  /** The network manager the lab runs in the node (lab.networkManager); absent: none. */
  readonly networkManager?: LabNetworkManager;
}

/** Every name and address of a lab, derived from the cluster and the state directory. */
export interface LabTopology {
  readonly cluster: string;
  /** Short hash of cluster name + state dir: makes root-namespace names unique per lab. */
  readonly id: string;
  readonly managementCidr: string;
  readonly prefix: number;
  readonly controllerAddress: string;
  /** The management bridge in the root namespace (≤ 15 characters). */
  readonly bridge: string;
  readonly lans: ReadonlyArray<{ readonly name: string; readonly netns: string }>;
  readonly nodes: readonly TopologyNode[];
  /** Where each node keeps its CNI plugins (cni.binDir): the lab links the machine's plugins there. */
  readonly cniBinDir: string;
}

/** A locally administered unicast MAC address (02:…), derived from the lab id, the node and the interface. */
export function labMac(labId: string, node: string, ifname: string): string {
  const bytes = createHash('sha256').update(`${labId}\0${node}\0${ifname}`).digest().subarray(0, 5);
  return ['02', ...[...bytes].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** Derives every name of the lab. Call only after labIssues() returned nothing. */
export function labTopology(cluster: Cluster, stateDir: string): LabTopology {
  const id = createHash('sha256')
    .update(`${cluster.name}\0${path.resolve(stateDir)}`)
    .digest('hex')
    .slice(0, 5);
  // ≤ 11 characters, so that "<base>-<node index up to 999>" fits in 15.
  const base = `${cluster.name.slice(0, 6)}${id}`;
  const mgmt = parseNetwork(cluster.lab.managementCidr);
  if (!mgmt.ok) throw new Error(mgmt.error);
  const netnsName = (kind: string, name: string, index: number): string => {
    const full = `${cluster.name}-${id}-${kind}-${name}`;
    return full.length <= 200 ? full : `${cluster.name}-${id}-${kind}${index}`;
  };
  const lans = cluster.lans.map((lan, i) => ({ name: lan.name, netns: netnsName('lan', lan.name, i) }));
  const nodes = cluster.nodes.map((node, n): TopologyNode => {
    const manager = node.lab?.networkManager;
    return {
      name: node.name,
      address: node.ssh.host,
      port: node.ssh.port,
      netns: netnsName('node', node.name, n),
      rootVeth: `${base}-${n}`,
      mgmtMac: labMac(id, node.name, MGMT_INTERFACE),
      ports: node.interfaces
        .filter((iface) => iface.lan !== undefined)
        .map((iface, k) => ({
          lan: iface.lan as string,
          lanSide: `n${n}-${k}`,
          name: iface.name,
          addresses: iface.addresses,
          mtu: iface.mtu,
          mac: labMac(id, node.name, iface.name),
        })),
      ...(manager !== undefined && manager !== 'none' ? { networkManager: manager } : {}),
    };
  });
  return {
    cluster: cluster.name,
    id,
    managementCidr: mgmt.value.toCidrString(),
    prefix: Number(mgmt.value.getPrefix().getValue()),
    controllerAddress: controllerAddress(mgmt.value).toString(),
    bridge: `${base}-br`,
    lans,
    nodes,
    cniBinDir: cluster.cni.binDir,
  };
}
