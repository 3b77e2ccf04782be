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
import {
  ipNetworkContains,
  ipNetworkPrefix,
  ipNetworkText,
  ipv6Text,
  numericCidr,
  numericOverlap,
  numericRange,
  parseNetwork,
  parseNodeNetwork,
  parseRangeList,
  rangeList,
} from './cidr';
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

/** A node's podSubnet as written, each with its family (by its text) and its index in a list ([] for one range). */
function writtenPodSubnets(node: ClusterNode): Array<{ text: string; family: 4 | 6; at: number[] }> {
  const podSubnet = node.podSubnet;
  if (podSubnet === undefined) return [];
  const list = typeof podSubnet === 'string' ? [podSubnet] : podSubnet;
  return list.map((text, i) => ({
    text,
    family: text.includes(':') ? 6 : 4,
    at: typeof podSubnet === 'string' ? [] : [i],
  }));
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
    const written = writtenPodSubnets(node);
    const v4 = written.find((w) => w.family === 4);
    if (v4) pin(v4.text, 'podSubnet', ['nodes', index, 'podSubnet', ...v4.at]);
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
 * Dual-stack: every node that has a pod subnet also gets a slice of podCidr's IPv6 range: its own when its podSubnet
 * lists one (pinned), else one of prefix network.nodeCidrMaskSizeIPv6, nodes in file order each taking the next
 * slice no pinned one overlaps (as for IPv4). The range and the mask are judged by resolveLayout (layout.ts); a range
 * that does not parse gives no IPv6 slices here.
 */
function allocateIpv6(cluster: ParsedCluster, subnets: PodSubnet[], issues: Issue[]): PodSubnet[] {
  const ranges = parseRangeList(cluster.network.podCidrs ?? [cluster.network.podCidr]);
  const v6 = ranges.ok ? ranges.value.find((r) => r.network.family === 6) : undefined;
  const pinned = new Map<number, { text: string; first: bigint; last: bigint }>();
  cluster.nodes.forEach((node, index) => {
    const written = writtenPodSubnets(node).find((w) => w.family === 6);
    if (!written || !isKubernetesNode(node)) return;
    const at = ['nodes', index, 'podSubnet', ...written.at];
    const parsed = parseNodeNetwork(written.text);
    if (!parsed.ok || parsed.value.family !== 6) {
      if (!parsed.ok) issues.push({ path: at, message: parsed.error });
      return;
    }
    const text = ipNetworkText(parsed.value);
    const first = parsed.value.value.getFirst().getValue();
    const last = parsed.value.value.getLast().getValue();
    const prefix = ipNetworkPrefix(parsed.value);
    const clash = [...pinned.entries()].find(([, other]) => other.first <= last && first <= other.last);
    if (v6 === undefined) {
      issues.push({
        path: at,
        message: `pod subnet ${show(written.text)} is IPv6 but network.podCidr has no IPv6 range (${rangeList(cluster.network.podCidrs ?? [cluster.network.podCidr]).join(', ')})`,
      });
    } else if (
      !ipNetworkContains(v6.network, { family: 6, value: parsed.value.value.getFirst() }) ||
      prefix < ipNetworkPrefix(v6.network)
    ) {
      issues.push({
        path: at,
        message: `pod subnet ${show(written.text)} is outside network.podCidr's IPv6 range ${v6.text}`,
      });
    } else if (prefix > 126) {
      issues.push({
        path: at,
        message: `pod subnet ${show(written.text)} is too small to allocate pod addresses from (needs /126 or larger)`,
      });
    } else if (clash) {
      issues.push({
        path: at,
        message: `node ${node.name} would allocate pod addresses from ${show(text)}, which overlaps ${show(clash[1].text)} of node ${cluster.nodes[clash[0]].name}: give each node its own IPv6 podSubnet inside ${v6.text}`,
      });
    } else pinned.set(index, { text, first, last });
  });
  if (v6 === undefined || subnets.length === 0) return subnets;
  const mask = cluster.network.nodeCidrMaskSizeIPv6 ?? 64;
  const prefix = Number(v6.network.value.getPrefix().getValue());
  if (mask <= prefix || mask - prefix > 16) return subnets;
  const slices = 2 ** (mask - prefix);
  const base = v6.network.value.getFirst().getValue();
  const size = 1n << BigInt(128 - mask);
  const taken = [...pinned.values()];
  let slice = 0;
  const out: PodSubnet[] = [];
  for (const subnet of subnets) {
    const own = pinned.get(subnet.index);
    if (own) {
      out.push({ ...subnet, ipv6: own.text });
      continue;
    }
    const free = (n: number) => {
      const first = base + BigInt(n) * size;
      return !taken.some((t) => t.first <= first + size - 1n && first <= t.last);
    };
    while (slice < slices && !free(slice)) slice++;
    if (slice >= slices) {
      issues.push({
        path: ['nodes', subnet.index],
        message: `no free /${mask} left in network.podCidr's IPv6 range ${v6.text} for node ${subnet.node}: give it an IPv6 podSubnet, use a wider IPv6 range or a longer network.nodeCidrMaskSizeIPv6`,
      });
      return subnets;
    }
    out.push({ ...subnet, ipv6: `${ipv6Text(base + BigInt(slice) * size)}/${mask}` });
    slice++;
  }
  return out;
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
