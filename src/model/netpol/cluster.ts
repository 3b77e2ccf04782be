/** A checked cluster file → Inventory: its declared namespaces and workloads, and its NetworkPolicies. */
import type { Cluster } from '../schema';
import { addNamespace, apiServerPolicySpec, countRead, emptyInventory, finishInventory, Inventory } from './inventory';

/**
 * Adds a cluster's objects to an inventory (call finishInventory once every input is in). With `workloadsOnly`,
 * only the declared workloads (and the network layout): the caller reads the rest from the cluster's synthesized
 * objects.
 */
export function addCluster(into: Inventory, cluster: Cluster, file: string, workloadsOnly = false): Inventory {
  const k = cluster.kubernetes;
  if (into.podCidr === undefined) {
    into.podCidr = cluster.network.podCidr;
    into.podCidrs = cluster.network.podCidrs;
  }
  if (into.serviceCidr === undefined) {
    into.serviceCidr = cluster.network.serviceCidr;
    into.serviceCidrs = cluster.network.serviceCidrs;
  }
  if (!workloadsOnly) {
    for (const ns of k.namespaces ?? []) {
      addNamespace(into, ns.name, ns.labels ?? {});
      countRead(into, 'Namespace');
    }
  }
  (k.workloads ?? []).forEach((w, i) => {
    countRead(into, w.kind);
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
    countRead(into, 'NetworkPolicy');
    into.policies.push({
      name: p.name,
      namespace: p.namespace,
      source: `${file} (kubernetes.networkPolicies[${i}])`,
      spec: apiServerPolicySpec(p),
    });
  });
  return into;
}

/** A cluster's objects in an inventory of their own. */
export function clusterInventory(cluster: Cluster, file: string): Inventory {
  return finishInventory(addCluster(emptyInventory(), cluster, file));
}
