/**
 * The CNI model: the cluster file's cni section resolved to the files nodes get (this module), on top of the
 * plain-data CNI configuration model in ./cni/ (types, render, parse, validate, warnings), all re-exported here.
 * No construct scope is needed, so the host provisioner uses it directly.
 */
import { cidrText, parseNetwork, parseRangeList } from './cidr';
import { Issue, show, under } from './errors';
import { NetworkLayout } from './layout';
import { isKubernetesNode, podSubnets } from './pod-subnets';
import { Cluster } from './schema';
import { CniNetworkList, conflistOf, DEFAULT_CNI_VERSION } from './cni/types';
import { defaultCniFileName } from './cni/render';
import { hostLocalSubnets, validateNetworkList } from './cni/validate';
import { FLANNEL_CNI_FILE, flannelConflist } from './flannel-files';

export * from './cni/types';
export * from './cni/plugins';
export * from './cni/render';
export * from './cni/parse';
export * from './cni/validate';
export * from './cni/warnings';

// ---------------------------------------------------------------------------------------------------------------
// The cluster file's cni section (plugin bridge | conflist | none; weave lives in constructs/weave-net.ts)

/** The CNI files of a cluster: one list for every node, plus lists for nodes that have their own pod subnet. */
export interface ClusterCniFiles {
  /** File name under /etc/cni/net.d. */
  readonly fileName: string;
  /** The list for nodes without a list of their own. */
  readonly list: CniNetworkList;
  /** Node name → its own list (bridge plugin with a per-node podSubnet). */
  readonly perNode: Readonly<Record<string, CniNetworkList>>;
}

/**
 * The bridge plugin's list for one node subnet: bridge (isGateway, hairpinMode) with host-local over `subnet`, then
 * portmap for hostPort. `ipMasq` is off: the bridge plugin would masquerade everything leaving the node's own subnet,
 * pods on other nodes included; the host MASQUERADE rule of src/model/effective.ts NATs only what leaves podCidr
 * (as flannel's --ip-masq does). With `ipv6Subnet` (dual-stack), host-local gets one range set per family and a
 * default route for each, so every pod gets one IPv4 and one IPv6 address.
 */
export function bridgeNetworkList(name: string, bridge: string, subnet: string, ipv6Subnet?: string): CniNetworkList {
  const ipam =
    ipv6Subnet === undefined
      ? { type: 'host-local', subnet, routes: [{ dst: '0.0.0.0/0' }] }
      : {
          type: 'host-local',
          ranges: [[{ subnet }], [{ subnet: ipv6Subnet }]],
          routes: [{ dst: '0.0.0.0/0' }, { dst: '::/0' }],
        };
  return {
    cniVersion: DEFAULT_CNI_VERSION,
    name,
    plugins: [
      {
        type: 'bridge',
        bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam,
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** The subnet of the shared bridge list (for nodes not in the file): cni.bridge.subnet, else podCidr. */
export function bridgeSubnetOf(cluster: Cluster): string {
  return cluster.cni.bridge?.subnet ?? cluster.network.podCidr;
}

/**
 * What netstrap writes into /etc/cni/net.d for a (validated) cluster, or undefined when the cluster's CNI writes
 * its own file (weave) or none is wanted. Used by the installer DaemonSet and by the host provisioner.
 */
export function clusterCniFiles(cluster: Cluster): ClusterCniFiles | undefined {
  const { cni } = cluster;
  // Flannel's install-cni writes this from its ConfigMap; the host provisioner can write the same file (cniConflists).
  if (cni.plugin === 'flannel') return { fileName: FLANNEL_CNI_FILE, list: flannelConflist(), perNode: {} };
  if (cni.plugin === 'conflist' && cni.conflist) {
    return {
      fileName: cni.conflist.fileName ?? defaultCniFileName(cni.conflist.name),
      list: conflistOf(cni.conflist),
      perNode: {},
    };
  }
  if (cni.plugin !== 'bridge') return undefined;
  const bridge = cni.bridge?.name ?? 'cni0';
  const perNode: Record<string, CniNetworkList> = {};
  for (const subnet of podSubnets(cluster).subnets)
    perNode[subnet.node] = bridgeNetworkList(cluster.name, bridge, subnet.cidr, subnet.ipv6);
  // Nodes not in the file share one list: the IPv6 half is the whole IPv6 pod range, as the IPv4 half is podCidr.
  const ipv6Range = parseRangeList(cluster.network.podCidrs ?? [cluster.network.podCidr]);
  const ipv6 = ipv6Range.ok ? ipv6Range.value.find((range) => range.family === 6)?.text : undefined;
  return {
    fileName: defaultCniFileName(cluster.name),
    list: bridgeNetworkList(cluster.name, bridge, bridgeSubnetOf(cluster), ipv6),
    perNode,
  };
}

/** The list a given node gets (its own when it has one). */
export function nodeCniList(files: ClusterCniFiles, nodeName: string): CniNetworkList {
  return files.perNode[nodeName] ?? files.list;
}

/** Checks the cni section (bridge, conflist, none, installer) against the network layout; paths from the cluster root. */
export function validateClusterCni(cluster: Cluster, layout: NetworkLayout): Issue[] {
  const { cni } = cluster;
  const issues: Issue[] = [];
  const podCidr = cidrText(layout.podCidr);
  if (cni.plugin === 'conflist' && !cni.conflist)
    issues.push({ path: ['cni', 'conflist'], message: 'is required when cni.plugin is "conflist"' });
  if (cni.plugin !== 'conflist' && cni.conflist) {
    issues.push({
      path: ['cni', 'conflist'],
      message: `is set but cni.plugin is ${show(cni.plugin)}: set cni.plugin: conflist to use it`,
    });
  }
  if (cni.plugin !== 'bridge' && cni.bridge) {
    issues.push({
      path: ['cni', 'bridge'],
      message: `is set but cni.plugin is ${show(cni.plugin)}: set cni.plugin: bridge to use it`,
    });
  }
  if (cni.installer && cni.plugin !== 'bridge' && cni.plugin !== 'conflist') {
    issues.push({
      path: ['cni', 'installer'],
      message: `needs cni.plugin bridge or conflist, got ${show(cni.plugin)} (${cni.plugin === 'weave' ? 'Weave Net writes its own conflist' : cni.plugin === 'flannel' ? "Flannel's install-cni init container writes its own conflist" : 'there is nothing to install'})`,
    });
  }

  // Pod subnets (src/model/pod-subnets.ts): inside podCidr, disjoint, one per Kubernetes node; only those get CNI files.
  issues.push(...podSubnets(cluster).issues);
  if (cni.plugin === 'bridge' && cni.bridge?.subnet !== undefined) {
    const range = parseNetwork(cni.bridge.subnet);
    if (!range.ok) issues.push({ path: ['cni', 'bridge', 'subnet'], message: range.error });
    else if (!range.value.inside(layout.podCidr))
      issues.push({
        path: ['cni', 'bridge', 'subnet'],
        message: `bridge subnet ${show(cni.bridge.subnet)} is outside network.podCidr ${podCidr}`,
      });
    else if (range.value.getPrefix().getValue() > 30) {
      issues.push({
        path: ['cni', 'bridge', 'subnet'],
        message: `bridge subnet ${show(cni.bridge.subnet)} is too small to allocate pod addresses from (needs /30 or larger)`,
      });
    }
  }
  cluster.nodes.forEach((node, i) => {
    if (node.cniConflists && !isKubernetesNode(node)) {
      issues.push({
        path: ['nodes', i, 'cniConflists'],
        message: `node ${node.name} has role host: only control-plane and worker nodes get CNI files`,
      });
    }
  });

  if (cni.plugin === 'conflist' && cni.conflist) {
    const list = conflistOf(cni.conflist);
    issues.push(...under(['cni', 'conflist'], validateNetworkList(list)));
    for (const subnet of hostLocalSubnets(list)) {
      const range = parseNetwork(subnet.text);
      // IPv6 ranges and invalid subnets are already judged by validateNetworkList; the network layout is IPv4.
      if (range.ok && !range.value.inside(layout.podCidr)) {
        issues.push({
          path: ['cni', 'conflist', ...subnet.path],
          message: `host-local subnet ${show(subnet.text)} is outside network.podCidr ${podCidr}`,
        });
      }
    }
  }
  return issues;
}

/**
 * True when the cluster's CNI allocates each node's pod subnet and programs the routes to the other nodes' pod
 * subnets itself: Flannel (node subnets from the Node objects' spec.podCIDR; vxlan, host-gw or wireguard routes)
 * and Weave Net (its own IPAM ring and overlay). Then netstrap writes no pod subnets or pod routes on the nodes;
 * LAN routes are still written.
 */
export function cniManagesPodRoutes(cluster: Cluster): boolean {
  return cluster.cni.plugin === 'flannel' || cluster.cni.plugin === 'weave';
}
