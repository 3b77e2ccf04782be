/**
 * pod-addresses: read-only. The addresses of the pods that `verify` checks target on this node (`node/pod`), read
 * in the fact round trip (`ip -n <pod> -4 -j addr show dev eth0`), so that the checks can connect to them: a pod's
 * address exists only at run time. Not a resource kind: it plans nothing; the provisioner reads it with the kinds' facts.
 */
import type { Cluster, ClusterNode } from '../../model/schema';
import { z } from 'zod';
import { type Fact, type FactReader, type FactSet, fact } from '../fact';
import { probeTarget } from '../verify';

/** Pods of `node` that a verify check targets. */
export function targetedPods(cluster: Cluster, node: ClusterNode): string[] {
  const pods = new Set<string>();
  for (const spec of cluster.verify) {
    const { endpoint } = probeTarget(cluster, spec);
    if (endpoint.kind === 'pod' && endpoint.node === node.name) pods.add(endpoint.pod);
  }
  return [...pods];
}

const addrEntries = z.array(
  z.object({
    addr_info: z.array(z.object({ family: z.string().optional(), local: z.string().optional() })).optional(),
  }),
);

/** `ip -j addr show dev eth0` inside the pod → its IPv4 address; undefined when absent or unreadable. */
function parsePodAddress(output: string): string | undefined {
  if (output.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch {
    return undefined;
  }
  const entries = addrEntries.safeParse(parsed);
  if (!entries.success) return undefined;
  return entries.data.flatMap((e) => e.addr_info ?? []).find((a) => a.family === 'inet')?.local;
}

/** The IPv4 address of a pod's eth0 (a pod is a network namespace named after it on its node). */
export function podAddress(pod: string): Fact<string | undefined> {
  return fact(
    `pod-addr:${pod}`,
    ['sh', '-c', 'ip -n "$1" -4 -j addr show dev eth0 2>/dev/null; true', 'sh', pod],
    parsePodAddress,
  );
}

/** The IPv4 address of a pod's eth0 as read, or undefined when the pod (or its address) is not there. */
export function podAddressFact(facts: FactSet, pod: string): string | undefined {
  return facts.get(podAddress(pod));
}

/** Reads the address of every pod of the node that a verify check targets (no plan: verify only reads). */
export const podAddresses: FactReader = {
  facts: (node, cluster) => targetedPods(cluster, node).map(podAddress),
};
