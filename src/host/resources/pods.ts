/**
 * pod-addresses: read-only. The addresses of the pods that `verify` checks target on this node (`node/pod`), read
 * in the fact round trip (`ip -n <pod> -4 -j addr show dev eth0`), so that the checks can connect to them: a pod's
 * address exists only at run time. Plans no change.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import type { RawFacts, ResourceKind } from '../types';
import { probeTarget } from '../verify';

const section = (pod: string) => `pod-addr:${pod}`;

/** Pods of `node` that a verify check targets. */
export function targetedPods(cluster: Cluster, node: ClusterNode): string[] {
  const pods = new Set<string>();
  for (const spec of cluster.verify) {
    const { endpoint } = probeTarget(cluster, spec);
    if (endpoint.kind === 'pod' && endpoint.node === node.name) pods.add(endpoint.pod);
  }
  return [...pods];
}

/** The IPv4 address of a pod's eth0 as read, or undefined when the pod (or its address) is not there. */
export function podAddressFact(facts: RawFacts, pod: string): string | undefined {
  const raw = facts[section(pod)];
  if (!raw || raw.trim() === '') return undefined;
  try {
    const entries = JSON.parse(raw) as Array<{ addr_info?: Array<{ family: string; local: string }> }>;
    return entries.flatMap((e) => e.addr_info ?? []).find((a) => a.family === 'inet')?.local;
  } catch {
    return undefined;
  }
}

export const podAddresses: ResourceKind = {
  kind: 'pod-addresses',
  factCommands(node: ClusterNode, cluster: Cluster) {
    return Object.fromEntries(
      targetedPods(cluster, node).map((pod) => [
        section(pod),
        ['sh', '-c', 'ip -n "$1" -4 -j addr show dev eth0 2>/dev/null; true', 'sh', pod],
      ]),
    );
  },
  plan() {
    return [];
  },
};
