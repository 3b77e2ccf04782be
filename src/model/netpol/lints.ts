/**
 * Lints: NetworkPolicy mistakes that the API server accepts. Shown by validate, synth and netpol, and only where
 * workloads are known (declared in the cluster file, or read from manifests):
 * - a policy that selects no workload;
 * - an egress-isolated workload that cannot reach cluster DNS (kube-dns in kube-system, UDP and TCP 53);
 * - an ipBlock covering the pod or service CIDR (pod addresses are implementation-defined for ipBlock; Service
 *   addresses are rewritten by kube-proxy before most plugins see the packet);
 * - a named port that no selected workload defines;
 * and, for a cluster file: a Service whose selector matches no declared workload, and policies a CNI will not
 * enforce (src/model/cni.ts).
 */
import { cidrRange } from './addresses';
import { NetpolAnalysis } from './analyze';
import { compileSelector, Inventory, Protocol, Workload } from './inventory';
import { clusterInventory } from './cluster';
import { networkPolicyWarnings } from '../cni';
import type { Cluster } from '../schema';
import type { NetworkPolicyPeerSpec } from '../checks/network-policy';

/** The labels every kube-dns implementation (CoreDNS of kubeadm, kube-dns) carries, and the ports it serves. */
export const KUBE_DNS = {
  namespace: 'kube-system',
  labels: { 'k8s-app': 'kube-dns' } as Readonly<Record<string, string>>,
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP' as Protocol },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' as Protocol },
  ],
};

/** Warnings about the policies of an inventory; none when it has no workloads. */
export function netpolLints(inventory: Inventory, analysis: NetpolAnalysis = new NetpolAnalysis(inventory)): string[] {
  if (inventory.workloads.length === 0) return [];
  const out: string[] = [];
  const name = (p: { namespace: string; name: string }) => `NetworkPolicy ${p.namespace}/${p.name}`;

  for (const { policy, selected } of analysis.policySelections()) {
    if (selected.length === 0)
      out.push(
        `${name(policy)} selects no workload (podSelector ${JSON.stringify(policy.spec.podSelector)} in namespace ${policy.namespace})`,
      );
  }

  // DNS: with a kube-dns workload among the inputs it is used as is; otherwise a stand-in with kube-dns' labels.
  const dnsMatch = compileSelector({ matchLabels: KUBE_DNS.labels });
  const hasDns = inventory.workloads.some((w) => w.namespace === KUBE_DNS.namespace && dnsMatch(w.labels));
  const dnsKey = `${KUBE_DNS.namespace}/kube-dns (stand-in)`;
  const withDns = hasDns
    ? analysis
    : new NetpolAnalysis({
        ...inventory,
        namespaces: new Map([
          ...inventory.namespaces,
          [
            KUBE_DNS.namespace,
            inventory.namespaces.get(KUBE_DNS.namespace) ?? { 'kubernetes.io/metadata.name': KUBE_DNS.namespace },
          ],
        ]),
        workloads: [
          ...inventory.workloads,
          {
            key: dnsKey,
            kind: 'Deployment',
            name: 'kube-dns',
            namespace: KUBE_DNS.namespace,
            labels: KUBE_DNS.labels,
            ports: KUBE_DNS.ports,
            ips: [],
            source: 'lint',
          } as Workload,
        ],
      });
  // Pods ask the kube-dns Service's address, of the cluster's primary service family (when known).
  const primaryService = inventory.serviceCidr ? cidrRange(inventory.serviceCidr)?.family : undefined;
  const dnsFamily =
    primaryService !== undefined && withDns.families.includes(primaryService) ? primaryService : undefined;
  const dnsTargets = withDns.workloads
    .map((w, i) => ({ w, i }))
    .filter(({ w }) => w.namespace === KUBE_DNS.namespace && dnsMatch(w.labels));
  withDns.workloads.forEach((w, i) => {
    if (w.key === dnsKey || !withDns.isIsolated(i, 'egress')) return;
    const missing = (['UDP', 'TCP'] as Protocol[]).filter(
      (protocol) =>
        !dnsTargets.some((t) => withDns.can({ workload: i }, { workload: t.i }, 53, protocol, dnsFamily).allowed),
    );
    if (missing.length > 0) {
      out.push(
        `${w.key} is isolated for egress and cannot reach cluster DNS (kube-dns in kube-system) on ${missing.map((p) => `${p} 53`).join(' and ')}: name lookups will time out; allow egress to namespaceSelector kubernetes.io/metadata.name=kube-system + podSelector k8s-app=kube-dns on UDP and TCP 53`,
      );
    }
  });

  // Every range of each (one per family): an ipBlock is compared with the range of its own family.
  const ranges = [
    ...(inventory.podCidrs ?? (inventory.podCidr ? [inventory.podCidr] : [])).map((cidr) => ({ what: 'pod', cidr })),
    ...(inventory.serviceCidrs ?? (inventory.serviceCidr ? [inventory.serviceCidr] : [])).map((cidr) => ({
      what: 'service',
      cidr,
    })),
  ];
  for (const { policy, selected } of analysis.policySelections()) {
    const selectedWorkloads = selected.map((i) => analysis.workloads[i]);
    for (const direction of ['ingress', 'egress'] as const) {
      const peersField = direction === 'ingress' ? 'from' : 'to';
      (policy.spec[direction] ?? []).forEach((rule, r) => {
        const peers = (rule as Record<string, ReadonlyArray<NetworkPolicyPeerSpec> | undefined>)[peersField] ?? [];
        peers.forEach((peer, j) => {
          if (!peer.ipBlock) return;
          const block = cidrRange(peer.ipBlock.cidr);
          for (const { what, cidr } of ranges) {
            const range = cidrRange(cidr);
            if (!block || !range || block.family !== range.family) continue;
            if (block.span[1] < range.span[0] || block.span[0] > range.span[1]) continue;
            out.push(
              `${name(policy)} ${direction}[${r}].${peersField}[${j}]: ipBlock ${peer.ipBlock.cidr} covers the ${what} CIDR ${cidr}: ` +
                (what === 'pod'
                  ? 'whether pod traffic matches an ipBlock is implementation-defined; select pods with podSelector/namespaceSelector (netpol matches only pods with known IPs inside the block)'
                  : 'Service addresses are rewritten to pod addresses before most network plugins apply policies, so this ipBlock does not match Service traffic'),
            );
          }
        });
        // Named ports resolve through the destination: the selected pods (ingress) or the peers' pods (egress).
        (rule.ports ?? []).forEach((entry, j) => {
          if (typeof entry.port !== 'string') return;
          const protocol = entry.protocol;
          const destinations = direction === 'ingress' ? selectedWorkloads : analysis.workloads;
          if (destinations.some((w) => w.ports.some((p) => p.name === entry.port && p.protocol === protocol))) return;
          out.push(
            `${name(policy)} ${direction}[${r}].ports[${j}]: named port ${JSON.stringify(entry.port)} (${protocol}) is defined by no ${direction === 'ingress' ? 'selected ' : ''}workload, so this port entry matches nothing`,
          );
        });
      });
    }
  }
  return out;
}

/** Every warning of a checked cluster file: CNI enforcement, Services selecting no declared workload, netpol lints. */
export function clusterWarnings(cluster: Cluster, file: string): string[] {
  const out = [...networkPolicyWarnings(cluster)];
  const workloads = cluster.kubernetes.workloads;
  if (workloads === undefined) return out;
  for (const service of cluster.kubernetes.services) {
    if (!service.selector || Object.keys(service.selector).length === 0) continue;
    const match = compileSelector({ matchLabels: service.selector });
    if (!workloads.some((w) => w.namespace === service.namespace && match(w.podLabels))) {
      out.push(
        `Service ${service.namespace}/${service.name} selects no declared workload (selector ${JSON.stringify(service.selector)}): it will have no endpoints`,
      );
    }
  }
  out.push(...netpolLints(clusterInventory(cluster, file)));
  return out;
}
