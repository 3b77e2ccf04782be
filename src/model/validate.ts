/**
 * Every semantic check of a parsed cluster file, in cluster-file coordinates (so each issue names the field path
 * a user has to fix). The per-object rules live with their constructs and are shared with library users.
 */
import { Issue, under } from './errors';
import { Ledger } from './ledger';
import { NetworkPlan, resolvePlan } from './plan';
import { Cluster } from './schema';

export function validateCluster(cluster: Cluster, baseDir: string): { plan?: NetworkPlan; issues: Issue[] } {
  const resolved = resolvePlan(cluster.network);
  const issues: Issue[] = under(['network'], resolved.issues);
  const plan = resolved.plan;
  if (!plan) return { issues };

  // Cluster IPs and NodePorts are claimed here in file order, so a clash names both owners.
  const ledger = new Ledger();
  const claimed = ledger.claim('clusterIP', plan.dnsServiceIp.toString(), 'the kube-dns Service (network.dnsServiceIp)', ['network', 'dnsServiceIp']);
  if (claimed) issues.push(claimed);

  // --- CNI (cluster.cni)

  // --- kube-proxy (cluster.kubeProxy)

  // --- DNS (cluster.dns)

  // --- Ingress controller (cluster.ingressController)

  // --- The user's objects (cluster.kubernetes)

  // --- Nodes, LANs, verify, lab (host side)

  void baseDir;
  return { plan, issues };
}
