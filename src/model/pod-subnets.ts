/**
 * Node roles and pod subnets. Only Kubernetes nodes (role control-plane or worker) run pods; a `host` (a router,
 * a bastion) gets neither a pod subnet nor CNI files.
 *
 * With the bridge CNI every Kubernetes node allocates pod addresses from a subnet of its own:
 * - its `podSubnet` when written (pinned);
 * - else `cni.bridge.subnet` when written (pinned; only one node can use it);
 * - else a slice of `network.podCidr` of prefix `network.nodeCidrMaskSize` (default /24, as kube-controller-manager's
 *   --node-cidr-mask-size): nodes in file order each take the first free slice, skipping the pinned ones, so
 *   appending nodes never moves the others.
 * With another CNI a node has a pod subnet only when it declares one (it is then used for routing).
 */
import { ipv6Text, numericCidr, numericOverlap, numericRange, parseNetwork, parseRangeList } from './cidr';
import { Issue, show } from './errors';
import {
  type Cluster,
  type ClusterNode,
  derivedIsCurrent,
  type ParsedCluster,
  type PodSubnet,
  type PodSubnetSource,
  type PodSubnetTable,
} from './schema';

export type { PodSubnet, PodSubnetSource, PodSubnetTable } from './schema';

/** True for nodes that run pods (control-plane, worker); false for `host`. */
export function isKubernetesNode(node: Pick<ClusterNode, 'role'>): boolean {
  return node.role !== 'host';
}

/** The pod subnet of every Kubernetes node (derived when the cluster was resolved). */
export function podSubnets(cluster: Cluster): PodSubnetTable {
  return derivedIsCurrent(cluster) ? cluster.derived.podSubnets : computePodSubnets(cluster);
}

/** The pod subnet (CIDR text) of node `name`, or undefined for a host, an unknown node or a node without one. */
export function podSubnetOf(cluster: Cluster, name: string): string | undefined {
  return podSubnets(cluster).byNode.get(name)?.cidr;
}

/** Allocates the pod subnets of a cluster (resolve.ts does, once). */
export function computePodSubnets(cluster: ParsedCluster): PodSubnetTable {
  const issues: Issue[] = [];
  const podCidr = parseNetwork(cluster.network.podCidr);
  const bridge = cluster.cni.plugin === 'bridge';
  const pinned: PodSubnet[] = [];
  const pending: Array<{ node: ClusterNode; index: number }> = [];

  cluster.nodes.forEach((node, index) => {
    if (!isKubernetesNode(node)) {
      if (node.podSubnet !== undefined) {
        issues.push({
          path: ['nodes', index, 'podSubnet'],
          message: `node ${node.name} has role host: only control-plane and worker nodes get a pod subnet (got ${show(node.podSubnet)})`,
        });
      }
      return;
    }
    const pin = (text: string, source: PodSubnetSource, path: Array<string | number>): void => {
      const range = parseNetwork(text);
      // cni.bridge.subnet itself is judged once, by validateClusterCni (src/model/cni.ts).
      const report = source === 'podSubnet' ? (message: string) => issues.push({ path, message }) : () => undefined;
      if (!range.ok) report(range.error);
      else if (podCidr.ok && !range.value.inside(podCidr.value)) {
        report(`pod subnet ${show(text)} is outside network.podCidr ${podCidr.value.toCidrString()}`);
      } else if (range.value.getPrefix().getValue() > 30) {
        report(`pod subnet ${show(text)} is too small to allocate pod addresses from (needs /30 or larger)`);
      } else
        pinned.push({
          node: node.name,
          index,
          cidr: text,
          numeric: numericRange(range.value),
          source,
        });
    };
    if (node.podSubnet !== undefined) pin(node.podSubnet, 'podSubnet', ['nodes', index, 'podSubnet']);
    else if (bridge && cluster.cni.bridge?.subnet !== undefined)
      pin(cluster.cni.bridge.subnet, 'cni.bridge.subnet', ['cni', 'bridge', 'subnet']);
    else if (bridge) pending.push({ node, index });
  });

  // No two nodes may hand out the same addresses.
  const subnets: PodSubnet[] = [];
  for (const subnet of pinned) {
    const clash = subnets.find((other) => numericOverlap(other.numeric, subnet.numeric));
    if (clash) {
      issues.push({
        path: subnet.source === 'podSubnet' ? ['nodes', subnet.index, 'podSubnet'] : ['nodes', subnet.index],
        message: `node ${subnet.node} would allocate pod addresses from ${show(subnet.cidr)}, which overlaps ${show(clash.cidr)} of node ${clash.node}: give each node its own podSubnet inside ${cluster.network.podCidr}`,
      });
    } else subnets.push(subnet);
  }

  if (pending.length > 0 && podCidr.ok) {
    const mask = cluster.network.nodeCidrMaskSize;
    const podPrefix = Number(podCidr.value.getPrefix().getValue());
    if (mask < podPrefix) {
      issues.push({
        path: ['network', 'nodeCidrMaskSize'],
        message: `/${mask} is larger than network.podCidr ${podCidr.value.toCidrString()}: it must be ${podPrefix} or more`,
      });
    } else {
      // Slices in address order; each node takes the first one that no pinned subnet overlaps.
      const outer = numericRange(podCidr.value);
      const size = 2 ** (32 - mask);
      let first = outer.first;
      const taken = subnets.map((s) => s.numeric);
      for (const { node, index } of pending) {
        const clash = (at: number) =>
          taken.find((t) => numericOverlap(t, { first: at, last: at + size - 1, prefix: mask }));
        for (let c = clash(first); c && first <= outer.last; c = clash(first))
          first = Math.max(first + size, Math.ceil((c.last + 1) / size) * size);
        if (first + size - 1 > outer.last) {
          issues.push({
            path: ['nodes', index],
            message: `no free /${mask} left in network.podCidr ${podCidr.value.toCidrString()} for node ${node.name}: give it a podSubnet, a wider podCidr or a longer network.nodeCidrMaskSize`,
          });
          break;
        }
        const numeric = { first, last: first + size - 1, prefix: mask };
        const cidr = numericCidr(numeric);
        subnets.push({
          node: node.name,
          index,
          cidr,
          numeric,
          source: 'allocated',
        });
        first += size;
      }
    }
  }
  subnets.sort((a, b) => a.index - b.index);
  const withIpv6 = allocateIpv6(cluster, subnets, issues);
  return { subnets: withIpv6, byNode: new Map(withIpv6.map((s) => [s.node, s])), issues };
}

/**
 * Dual-stack: every node that has a pod subnet also gets a slice of podCidr's IPv6 range, of prefix
 * network.nodeCidrMaskSizeIPv6, nodes in file order (no IPv6 slice is pinned, so none is skipped). The range and
 * the mask are judged by resolveLayout (layout.ts); a range that does not parse gives no IPv6 slices here.
 */
function allocateIpv6(cluster: ParsedCluster, subnets: PodSubnet[], issues: Issue[]): PodSubnet[] {
  const ranges = parseRangeList(cluster.network.podCidrs ?? [cluster.network.podCidr]);
  const v6 = ranges.ok ? ranges.value.find((r) => r.family === 6) : undefined;
  if (!v6 || v6.network.family !== 6 || subnets.length === 0) return subnets;
  const mask = cluster.network.nodeCidrMaskSizeIPv6 ?? 64;
  const prefix = Number(v6.network.value.getPrefix().getValue());
  if (mask <= prefix || mask - prefix > 16) return subnets;
  const slices = 2 ** (mask - prefix);
  if (subnets.length > slices) {
    const node = subnets[slices];
    issues.push({
      path: ['nodes', node.index],
      message: `no free /${mask} left in network.podCidr's IPv6 range ${v6.text} for node ${node.node}: use a wider IPv6 range or a longer network.nodeCidrMaskSizeIPv6`,
    });
    return subnets;
  }
  const first = v6.network.value.getFirst().getValue();
  const size = 1n << BigInt(128 - mask);
  return subnets.map((subnet, i) => ({
    ...subnet,
    ipv6: `${ipv6Text(first + BigInt(i) * size)}/${mask}`,
  }));
}

/** The table `netstrap validate` prints: node, role, pod subnet and where it comes from. */
export function formatPodSubnetTable(cluster: Cluster): string {
  const { byNode } = podSubnets(cluster);
  // Dual-stack: a column for the IPv6 slices (an IPv4-only cluster prints the table as before).
  const dual = [...byNode.values()].some((subnet) => subnet.ipv6 !== undefined);
  const rows = cluster.nodes.map((node) => {
    const subnet = byNode.get(node.name);
    return [
      node.name,
      node.role,
      subnet?.cidr ?? '-',
      ...(dual ? [subnet?.ipv6 ?? '-'] : []),
      subnet?.source ?? (isKubernetesNode(node) ? `none (cni.plugin ${cluster.cni.plugin})` : 'not a Kubernetes node'),
    ];
  });
  const header = ['NODE', 'ROLE', 'POD SUBNET', ...(dual ? ['IPV6 POD SUBNET'] : []), 'FROM'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  return (
    [header, ...rows]
      .map((cells) =>
        cells
          .map((cell, i) => cell.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
