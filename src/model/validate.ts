/**
 * Every semantic check of a parsed cluster file, in cluster-file coordinates (so each issue names the field path
 * a user has to fix). The per-object rules live with their constructs and are shared with library users.
 */
import { Issue, under } from './errors';
import { Ledger } from './ledger';
import { NetworkPlan, resolvePlan } from './plan';
import { Cluster } from './schema';

export function validateCluster(cluster: Cluster, _baseDir: string): { plan?: NetworkPlan; issues: Issue[] } {
  const resolved = resolvePlan(cluster.network);
  const issues: Issue[] = under(['network'], resolved.issues);
  const plan = resolved.plan;
  if (!plan) return { issues };

  const ledger = new Ledger();
  ledger.claim('clusterIP', plan.dnsServiceIp.toString(), 'the kube-dns Service (dnsServiceIp)', ['network', 'dnsServiceIp']);
  // Object checks are added here by each construct's module.
  void ledger;
  return { plan, issues };
}
