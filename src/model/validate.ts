/**
 * Every semantic check of a parsed cluster file, in cluster-file coordinates (so each issue names the field path
 * a user has to fix). The per-object rules live with their constructs and are shared with library users.
 */
import { formatPath, Issue, under } from './errors';
import { claimIngressRoutes, checkIngress } from '../../constructs/ingress';
import { checkNetworkPolicy } from '../../constructs/network-policy';
import { checkService, claimServiceAddresses } from '../../constructs/service';
import { Ledger } from './ledger';
import { NetworkPlan, resolvePlan } from './plan';
import { Cluster } from './schema';
import { topologyIssues } from '../lab/topology';

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
  const k = cluster.kubernetes;
  const defined = new Map<string, string>();
  const once = (kind: string, o: { name: string; namespace: string }, at: ReadonlyArray<string | number>) => {
    const key = `${kind} ${o.namespace}/${o.name}`;
    const first = defined.get(key);
    if (first !== undefined) issues.push({ path: [...at, 'name'], message: `${key} is defined twice (also ${first})` });
    else defined.set(key, formatPath(at));
  };
  k.services.forEach((service, i) => {
    const at = ['kubernetes', 'services', i];
    once('Service', service, at);
    const own = checkService(service);
    issues.push(...under(at, own.length > 0 ? own : claimServiceAddresses(service, plan, ledger)));
  });
  const servicePorts = new Map(k.services.map((s) => [`${s.namespace}/${s.name}`, s.ports]));
  const routes = new Map<string, string>();
  k.ingresses.forEach((ingress, i) => {
    const at = ['kubernetes', 'ingresses', i];
    once('Ingress', ingress, at);
    issues.push(...under(at, checkIngress(ingress, { baseDir, findService: (name, ns) => servicePorts.get(`${ns}/${name}`) })));
    issues.push(...under(at, claimIngressRoutes(ingress, `Ingress ${ingress.namespace}/${ingress.name} (${formatPath(at)})`, routes)));
  });
  k.networkPolicies.forEach((policy, i) => {
    const at = ['kubernetes', 'networkPolicies', i];
    once('NetworkPolicy', policy, at);
    issues.push(...under(at, checkNetworkPolicy(policy)));
  });

  // --- Nodes, LANs, verify, lab (host side)
  // LAN names and CIDRs, interfaces cabled to known LANs with addresses inside them, unique node names and
  // addresses, lab.managementCidr. (ssh.host inside managementCidr is checked only by `netstrap lab up`.)
  issues.push(...topologyIssues(cluster));

  void baseDir;
  return { plan, issues };
}
