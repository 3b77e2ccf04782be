/**
 * A node as the host provisioner applies it: the node as written, plus what netstrap derives for it —
 * - its pod subnet (src/model/pod-subnets.ts);
 * - the routes of `routing: auto` (src/model/routing.ts);
 * - on a Kubernetes node that gets the bridge CNI's conflist, the pod MASQUERADE rule: traffic from podCidr to
 *   anything outside podCidr leaves with the node's address, pod-to-pod traffic keeps its source (flannel's
 *   --ip-masq). The conflist's own ipMasq is off, as it would NAT pods talking to pods of other nodes.
 * Derived entries are the same shapes as written ones (so every resource kind, the boot script and pruning treat
 * them alike) and are marked, so that `plan` can say where they come from.
 */
import { parseRangeList } from './cidr';
import { isKubernetesNode, type PodSubnetTable, podSubnets } from './pod-subnets';
import { deriveRouting, type Routing } from './routing';
import { type Cluster, type ClusterNode, derivedIsCurrent, type ParsedCluster } from './schema';

type Route = ClusterNode['routes'][number];
type Masquerade = ClusterNode['nat']['masquerade'][number];

/** Why a route or NAT rule of an effective node is there, when netstrap derived it (undefined: written by hand). */
export function derivedReason(entry: Route | Masquerade): string | undefined {
  return 'reason' in entry && typeof entry.reason === 'string' ? entry.reason : undefined;
}

/** True when the node gets the bridge CNI's conflist from netstrap (and so the pod MASQUERADE rule). */
export function getsBridgeConflist(cluster: Cluster, node: ClusterNode): boolean {
  return bridgeConflistFor(cluster, podSubnets(cluster), node);
}

function bridgeConflistFor(cluster: ParsedCluster, podSubnets: PodSubnetTable, node: ClusterNode): boolean {
  return (
    cluster.cni.plugin === 'bridge' && node.cniConflists && isKubernetesNode(node) && podSubnets.byNode.has(node.name)
  );
}

/** Every node of a resolved cluster with its derived routes, pod subnet and pod NAT; file order. */
export function effectiveNodes(cluster: Cluster): readonly ClusterNode[] {
  return derivedIsCurrent(cluster)
    ? cluster.derived.nodes
    : effectiveNodesOf(cluster, podSubnets(cluster), deriveRouting(cluster));
}

/** One node with everything derived for it (the node itself when nothing is). */
export function effectiveNode(cluster: Cluster, node: ClusterNode): ClusterNode {
  if (!derivedIsCurrent(cluster)) return effectiveNodes(cluster).find((n) => n.name === node.name) ?? node;
  return cluster.derived.byName.get(node.name) ?? node;
}

/** An IPv6 range of unique local addresses (fc00::/7, RFC 4193); canonical text is lower case. */
function isUniqueLocal(range: string): boolean {
  return /^f[cd][0-9a-f]{0,2}:/.test(range);
}

/**
 * Every node with what is derived for it (resolve.ts calls this once). A derived route or NAT rule carries its
 * `reason` as a field, so a copy of it keeps it.
 */
export function effectiveNodesOf(cluster: ParsedCluster, podSubnets: PodSubnetTable, routing: Routing): ClusterNode[] {
  return cluster.nodes.map((node) => {
    const routes: Route[] = [...node.routes];
    for (const derived of routing.routes.get(node.name) ?? [])
      routes.push({ to: derived.to, via: derived.via, reason: derived.reason } as Route);
    const masquerade: Masquerade[] = [...node.nat.masquerade];
    if (bridgeConflistFor(cluster, podSubnets, node)) {
      for (const podCidr of masqueradedPodRanges(cluster)) {
        if (
          !masquerade.some(
            (m) => m.source === podCidr && m.exceptDestination === podCidr && m.outInterface === undefined,
          )
        ) {
          const reason = 'pod traffic leaving podCidr (bridge CNI)';
          masquerade.push({ source: podCidr, exceptDestination: podCidr, reason } as Masquerade);
        }
      }
      // A dual-stack cluster's IPv6 pod range of unique local addresses (fc00::/7) is routed nowhere outside: pod
      // traffic leaving it is masqueraded too (ip6tables), so pods reach the outside over IPv6. A global range is not.
      for (const range of cluster.network.podCidrs.slice(1)) {
        if (!isUniqueLocal(range) || masquerade.some((m) => m.source === range && m.exceptDestination === range))
          continue;
        const reason = 'IPv6 pod traffic leaving the unique-local pod range (bridge CNI)';
        masquerade.push({ source: range, exceptDestination: range, reason } as Masquerade);
      }
    }
    const podSubnet = podSubnets.byNode.get(node.name)?.cidr;
    const changed =
      routes.length !== node.routes.length ||
      masquerade.length !== node.nat.masquerade.length ||
      podSubnet !== node.podSubnet;
    return changed ? { ...node, podSubnet, routes, nat: { ...node.nat, masquerade } } : node;
  });
}

/**
 * The pod ranges whose traffic leaving podCidr is masqueraded: the IPv4 range (private, as before dual-stack), and an
 * IPv6 range only when it is unique local (fc00::/7): a global IPv6 pod range is routable and keeps its addresses.
 * Canonical text, as the host side receives it.
 */
function masqueradedPodRanges(cluster: ParsedCluster): string[] {
  const ranges = parseRangeList(cluster.network.podCidrs ?? [cluster.network.podCidr]);
  if (!ranges.ok) return [cluster.network.podCidr];
  return ranges.value.flatMap((range) => {
    if (range.network.family === 4) return [cluster.network.podCidrs ? range.text : cluster.network.podCidr];
    const first = range.network.value.getFirst().getValue();
    return first >> 121n === 0x7en ? [range.text] : [];
  });
}
