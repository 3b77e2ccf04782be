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
import { deriveRouting } from './routing';
import { isKubernetesNode, podSubnetOf } from './pod-subnets';
import type { Cluster, ClusterNode } from './schema';

type Route = ClusterNode['routes'][number];
type Masquerade = ClusterNode['nat']['masquerade'][number];

const reasons = new WeakMap<object, string>();
const cache = new WeakMap<Cluster, ReadonlyMap<string, ClusterNode>>();

/** Why a route or NAT rule of an effective node is there, when netstrap derived it (undefined: written by hand). */
export function derivedReason(entry: Route | Masquerade): string | undefined {
  return reasons.get(entry);
}

/** True when the node gets the bridge CNI's conflist from netstrap (and so the pod MASQUERADE rule). */
export function getsBridgeConflist(cluster: Cluster, node: ClusterNode): boolean {
  return (
    cluster.cni.plugin === 'bridge' &&
    node.cniConflists &&
    isKubernetesNode(node) &&
    podSubnetOf(cluster, node.name) !== undefined
  );
}

/** Every node of a validated cluster with its derived routes, pod subnet and pod NAT; file order. */
export function effectiveNodes(cluster: Cluster): ClusterNode[] {
  return [...effectiveMap(cluster).values()];
}

/** One node with everything derived for it (the node itself when nothing is). */
export function effectiveNode(cluster: Cluster, node: ClusterNode): ClusterNode {
  return effectiveMap(cluster).get(node.name) ?? node;
}

function effectiveMap(cluster: Cluster): ReadonlyMap<string, ClusterNode> {
  let map = cache.get(cluster);
  if (map) return map;
  const routing = deriveRouting(cluster);
  map = new Map(
    cluster.nodes.map((node) => {
      const routes: Route[] = [...node.routes];
      for (const derived of routing.routes.get(node.name) ?? []) {
        const route: Route = { to: derived.to, via: derived.via };
        reasons.set(route, derived.reason);
        routes.push(route);
      }
      const masquerade: Masquerade[] = [...node.nat.masquerade];
      if (getsBridgeConflist(cluster, node)) {
        const podCidr = cluster.network.podCidr;
        if (
          !masquerade.some(
            (m) => m.source === podCidr && m.exceptDestination === podCidr && m.outInterface === undefined,
          )
        ) {
          const rule: Masquerade = { source: podCidr, exceptDestination: podCidr };
          reasons.set(rule, 'pod traffic leaving podCidr (bridge CNI)');
          masquerade.push(rule);
        }
      }
      const podSubnet = podSubnetOf(cluster, node.name);
      const changed =
        routes.length !== node.routes.length ||
        masquerade.length !== node.nat.masquerade.length ||
        podSubnet !== node.podSubnet;
      return [node.name, changed ? { ...node, podSubnet, routes, nat: { ...node.nat, masquerade } } : node] as const;
    }),
  );
  cache.set(cluster, map);
  return map;
}
