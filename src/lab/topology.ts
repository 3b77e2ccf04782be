/**
 * The lab's topology: the checks only a lab needs (on top of the model's topologyIssues), and every
 * name and address `netstrap lab up` will create (namespaces, bridges, veths), computed before anything is touched.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import { IPv6 } from 'ip-num';
import {
  type IpAddress,
  type IpNetwork,
  ipNetworkContains,
  ipNetworkPrefix,
  ipNetworksOverlap,
  ipNetworkText,
  ipv6Text,
  nthAddress,
  parseIpAddress,
  parseIpNetwork,
} from '../model/cidr';
import { topologyIssues } from '../model/checks/topology';
import { Issue, show } from '../model/errors';
import { Cluster } from '../model/schema';

/** Name of the management interface inside every lab node. */
export const MGMT_INTERFACE = 'mgmt0';
/** Longest Linux interface name. */
export const IFNAMSIZ_MAX = 15;

/** Where an IPv6 lab.managementCidr must lie: it is added to this machine's root namespace (unique local addresses). */
const ULA = 'fd00::/8';

/** The canonical text of an address of either family (RFC 5952 for IPv6), to compare addresses as values. */
export function addressText(address: IpAddress): string {
  return address.family === 4 ? address.value.toString() : ipv6Text(address.value.getValue());
}

/** True when every address of `inner` lies inside `outer`. */
function networkWithin(inner: IpNetwork, outer: IpNetwork): boolean {
  return ipNetworksOverlap(inner, outer) && ipNetworkPrefix(inner) >= ipNetworkPrefix(outer);
}

/**
 * Checks that only matter when the cluster is run as a lab: an IPv6 lab.managementCidr lies inside fd00::/8; every
 * ssh.host is a usable address of lab.managementCidr (of its family, not the controller's), distinct, and not one of
 * the node's LAN addresses.
 */
export function labIssues(cluster: Cluster): Issue[] {
  const issues = topologyIssues(cluster);
  const mgmt = parseIpNetwork(cluster.lab.managementCidr);
  if (!mgmt.ok || issues.length > 0) return issues;
  const range = ipNetworkText(mgmt.value);
  const family = mgmt.value.family;
  const ula = parseIpNetwork(ULA);
  if (family === 6 && ula.ok && !networkWithin(mgmt.value, ula.value)) {
    issues.push({
      path: ['lab', 'managementCidr'],
      message: `${show(cluster.lab.managementCidr)} is outside ${ULA}: an IPv6 management network goes onto this machine's own bridge, so it must be a unique local range (such as fd00:250:1::/64)`,
    });
    return issues;
  }
  const controller = addressText(controllerAddress(mgmt.value));
  const first = addressText(
    mgmt.value.family === 4
      ? { family: 4, value: mgmt.value.value.getFirst() }
      : { family: 6, value: mgmt.value.value.getFirst() },
  );
  // IPv4 has a broadcast address; IPv6 has none (its first address is the subnet-router anycast address).
  const last = mgmt.value.family === 4 ? mgmt.value.value.getLast().toString() : undefined;
  const seen = new Map<string, string>();
  if (cluster.nodes.length === 0) issues.push({ path: ['nodes'], message: 'a lab needs at least one node' });
  // Root-namespace veth names are "<base>-<index>": three digits fit in 15 characters.
  if (cluster.nodes.length > 1000)
    issues.push({ path: ['nodes'], message: `a lab holds at most 1000 nodes (got ${cluster.nodes.length})` });
  cluster.nodes.forEach((node, n) => {
    const at = ['nodes', n, 'ssh', 'host'];
    const parsed = parseIpAddress(node.ssh.host);
    if (!parsed.ok || parsed.value.family !== family) {
      issues.push({
        path: at,
        message: `a lab node's ssh.host must be an IPv${family} address inside lab.managementCidr ${range} (got ${show(node.ssh.host)})`,
      });
      return;
    }
    const address = addressText(parsed.value);
    if (!ipNetworkContains(mgmt.value, parsed.value)) {
      issues.push({ path: at, message: `${show(node.ssh.host)} is outside lab.managementCidr ${range}` });
    } else if (address === first || address === last) {
      issues.push({
        path: at,
        message:
          family === 4
            ? `${show(node.ssh.host)} is the network or broadcast address of lab.managementCidr ${range}`
            : `${show(node.ssh.host)} is the subnet-router anycast address (the first) of lab.managementCidr ${range}`,
      });
    } else if (address === controller) {
      issues.push({
        path: at,
        message: `${show(node.ssh.host)} is the lab controller's address (the ${family === 4 ? 'last usable address' : 'last address but one'} of ${range})`,
      });
    } else if (seen.has(address)) {
      issues.push({
        path: at,
        message: `${show(node.ssh.host)} is already the ssh.host of node ${show(seen.get(address))}`,
      });
    }
    seen.set(address, node.name);
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

/**
 * The machine's address on the management bridge: the last address but one of the range (the last usable one of an
 * IPv4 range, e.g. .254 of a /24; fd00:250:1::ffff:ffff:ffff:fffe of fd00:250:1::/64).
 */
export function controllerAddress(range: IpNetwork): IpAddress {
  if (range.family === 4) return { family: 4, value: nthAddress(range.value, Number(range.value.getSize()) - 2) };
  return { family: 6, value: IPv6.fromBigInt(range.value.getLast().getValue() - 1n) };
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
  /** lab.managementCidr, canonical: IPv4, or IPv6 inside fd00::/8 (then the nodes' sshds listen on IPv6). */
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
  const mgmt = parseIpNetwork(cluster.lab.managementCidr);
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
    managementCidr: ipNetworkText(mgmt.value),
    prefix: ipNetworkPrefix(mgmt.value),
    controllerAddress: addressText(controllerAddress(mgmt.value)),
    bridge: `${base}-br`,
    lans,
    nodes,
    cniBinDir: cluster.cni.binDir,
  };
}
