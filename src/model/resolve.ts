/**
 * A resolved cluster: a checked cluster file together with what netstrap derives from it — each node's pod subnet,
 * the routes of `routing: auto` (each with its reason), every node as the provisioner applies it — as fields of one
 * value, computed once when the file is loaded and passed explicitly (no side tables, no caches). Plain data and
 * deep-readonly: a copy (`{ ...cluster }`, structuredClone) plans, routes and traces the same.
 */
import { effectiveNodesOf } from './effective';
import { computePodSubnets } from './pod-subnets';
import { computeRouting } from './routing';
import type { Cluster, ClusterDerived, ParsedCluster } from './schema';

/**
 * Derives everything for `cluster`. `tables` reuses the pod subnets and routes already derived from the same cluster
 * in another spelling (canonical.ts rewrites only the spelling of values its parsers accepted).
 */
export function resolveCluster(
  cluster: ParsedCluster,
  tables?: Pick<ClusterDerived, 'podSubnets' | 'routing'>,
): Cluster {
  const podSubnets = tables?.podSubnets ?? computePodSubnets(cluster);
  const routing = tables?.routing ?? computeRouting(cluster, podSubnets);
  const nodes = effectiveNodesOf(cluster, podSubnets, routing);
  const { lans, network, cni } = cluster;
  const from = { nodes: cluster.nodes, lans, network, cni, routing: cluster.routing };
  return { ...cluster, derived: { from, podSubnets, routing, nodes, byName: new Map(nodes.map((n) => [n.name, n])) } };
}
