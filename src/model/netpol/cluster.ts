/** A checked cluster file → Inventory: its declared namespaces and workloads, and its NetworkPolicies. */
import type { Cluster } from '../schema';
import { addNamespace, emptyInventory, finishInventory, Inventory } from './inventory';

/**
 * Adds a cluster's objects to an inventory (call finishInventory once every input is in). With `workloadsOnly`,
 * only the declared workloads (and the network layout): the caller reads the rest from the cluster's synthesized
 * objects.
 */
export function addCluster(into: Inventory, cluster: Cluster, file: string, workloadsOnly = false): Inventory {
  const k = cluster.kubernetes;
  into.podCidr ??= cluster.network.podCidr;
  into.serviceCidr ??= cluster.network.serviceCidr;
  if (!workloadsOnly) for (const ns of k.namespaces ?? []) addNamespace(into, ns.name, ns.labels ?? {});
  (k.workloads ?? []).forEach((w, i) => {
    into.workloads.push({
      key: '',
      kind: w.kind,
      name: w.name,
      namespace: w.namespace,
      labels: w.podLabels,
      ports: w.ports.map((p) => ({ name: p.name, port: p.containerPort, protocol: p.protocol })),
      ips: w.podIPs ?? [],
      source: `${file} (kubernetes.workloads[${i}])`,
    });
  });
  if (workloadsOnly) return into;
  k.networkPolicies.forEach((p, i) => {
    into.policies.push({
      name: p.name,
      namespace: p.namespace,
      source: `${file} (kubernetes.networkPolicies[${i}])`,
      spec: { podSelector: p.podSelector, policyTypes: p.policyTypes, ingress: p.ingress, egress: p.egress },
    });
  });
  return into;
}

/** A cluster's objects in an inventory of their own. */
export function clusterInventory(cluster: Cluster, file: string): Inventory {
  return finishInventory(addCluster(emptyInventory(), cluster, file));
}
