/**
 * Every semantic check of a parsed cluster file, in cluster-file coordinates (so each issue names the field path
 * a user has to fix). The per-object rules live in src/model/checks/ (one file per kind, free of cdk8s) and are
 * re-exported by their constructs for library users.
 */
import { errorsOf, formatPath, Issue, show, under } from './errors';
import { checkCoreDnsProps } from './checks/core-dns';
import { checkIngressNginxProps } from './checks/ingress-nginx';
import { checkWeaveProps } from './checks/weave-net';
import { checkFlannelProps } from './checks/flannel';
import { checkKubeProxyProps } from './checks/kube-proxy';
import { validateClusterCni } from './cni';
import { claimIngressRoutes, checkIngress } from './checks/ingress';
import { checkNetworkPolicy } from './checks/network-policy';
import { tlsFileIssues } from './tls-files';
import { checkService, claimServiceAddresses } from './checks/service';
import { Ledger } from './ledger';
import { NetworkLayout, resolveLayout } from './layout';
import type { Cluster } from './schema';
import { checkProbes } from './checks/probes';
import { topologyIssues } from './checks/topology';
import { hostIntentIssues } from './host-intents';
import { identityFileIssues } from './ssh-identity';
import { deriveRouting } from './routing';
import { probeTraceIssues } from './trace';
import { checkNamespaces, checkWorkloads } from './checks/workload';
import { ingressBackendWarnings } from './netpol/ingress-reach';

export function validateCluster(
  cluster: Cluster,
  baseDir: string,
  options: { traceProbes?: boolean; connects?: boolean } = {},
): { layout?: NetworkLayout; issues: Issue[] } {
  const { podCidrs, serviceCidrs } = cluster.network;
  const resolved = resolveLayout({ ...cluster.network, podCidr: podCidrs, serviceCidr: serviceCidrs });
  const issues: Issue[] = under(['network'], resolved.issues);
  const layout = resolved.layout;
  if (!layout) return { issues };

  // Cluster IPs and NodePorts are claimed here in file order, so a clash names both owners.
  const ledger = new Ledger();
  const claimed = ledger.claim(
    'clusterIP',
    layout.dnsServiceIp.toString(),
    'the kube-dns Service (network.dnsServiceIp)',
    ['network', 'dnsServiceIp'],
  );
  if (claimed) issues.push(claimed);

  // --- CNI (cluster.cni)
  // Weave Net (constructs/weave-net.ts): IPALLOC_RANGE inside podCidr, password only from a Secret.
  if (cluster.cni.plugin === 'weave')
    issues.push(...under(['cni', 'weave'], checkWeaveProps(cluster.cni.weave ?? {}, layout)));
  else if (cluster.cni.weave) {
    issues.push({
      path: ['cni', 'weave'],
      message: `is set but cni.plugin is ${show(cluster.cni.plugin)}: set cni.plugin: weave to use it`,
    });
  }
  // Flannel (constructs/flannel.ts): Network inside podCidr, a typed backend.
  if (cluster.cni.plugin === 'flannel')
    issues.push(...under(['cni', 'flannel'], checkFlannelProps(cluster.cni.flannel ?? {}, layout)));
  else if (cluster.cni.flannel) {
    issues.push({
      path: ['cni', 'flannel'],
      message: `is set but cni.plugin is ${show(cluster.cni.plugin)}: set cni.plugin: flannel to use it`,
    });
  }
  // bridge / conflist / none (src/model/cni.ts): conflist rules, host-local ranges and node subnets inside podCidr.
  issues.push(...validateClusterCni(cluster, layout));

  // --- kube-proxy (cluster.kubeProxy)
  // constructs/kube-proxy.ts; the ConfigMap needs the API server URL, so ipvs or strictArp without one is an error.
  issues.push(...under(['kubeProxy'], checkKubeProxyProps(cluster.kubeProxy)));
  if (
    !cluster.kubeProxy.controlPlaneEndpoint &&
    (cluster.kubeProxy.mode !== 'iptables' || cluster.kubeProxy.strictArp)
  ) {
    issues.push({
      path: ['kubeProxy', 'controlPlaneEndpoint'],
      message: `is required to ship the kube-proxy ConfigMap for mode ${show(cluster.kubeProxy.mode)}${cluster.kubeProxy.strictArp ? ' with strictArp' : ''} (e.g. https://192.168.1.11:6443)`,
    });
  }

  // --- DNS (cluster.dns)
  // CoreDNS (constructs/core-dns.ts): the Corefile (text: parse errors and model issues, each with its line),
  // upstreams, hosts entries and stub domains. The kube-dns address was claimed above with the layout.
  if (cluster.dns.provider === 'coredns') {
    const { provider: _dnsProvider, ...coreDns } = cluster.dns;
    issues.push(...under(['dns'], checkCoreDnsProps(coreDns, layout)));
  }

  // --- Ingress controller (cluster.ingressController)
  // ingress-nginx (constructs/ingress-nginx.ts); its fixed NodePorts are claimed before the user's Services.
  const ingressController = cluster.ingressController;
  if (ingressController.provider === 'ingress-nginx') {
    const own = under(['ingressController'], checkIngressNginxProps(ingressController));
    issues.push(...own);
    for (const key of ['http', 'https'] as const) {
      const port = ingressController.nodePorts?.[key];
      const at = ['ingressController', 'nodePorts', key];
      if (port === undefined || own.some((issue) => formatPath(issue.path) === formatPath(at))) continue;
      const clash = ledger.claim('nodePort', port, `the ingress-nginx controller Service (${formatPath(at)})`, at);
      if (clash) issues.push(clash);
    }
  }

  // --- The user's objects (cluster.kubernetes)
  issues.push(...kubernetesObjectIssues(cluster, layout, ledger, baseDir));
  // NetworkPolicies that keep ingress-nginx from an Ingress's backend (src/model/netpol/ingress-reach.ts): warnings,
  // on objects without errors only (the analysis reads them as the API server would store them).
  if (errorsOf(issues).length === 0) issues.push(...ingressBackendWarnings(cluster));

  // --- Nodes, LANs, verify, lab (host side)
  issues.push(...checkProbes(cluster));
  // LAN names and CIDRs, interfaces cabled to known LANs with addresses inside them, unique node names and
  // addresses, lab.managementCidr. (ssh.host inside managementCidr is checked only by `netstrap lab up`.)
  issues.push(...topologyIssues(cluster));
  // ssh.identityFile readable here: an error for a command that connects, else a warning (src/model/ssh-identity.ts).
  issues.push(...identityFileIssues(cluster, baseDir, options.connects === true));
  // >>> host intents (routes, bridges, namespaces, NAT, hosts/resolv, CNI files): src/model/host-intents.ts
  issues.push(...hostIntentIssues(cluster));
  // <<< host intents
  // routing: auto (src/model/routing.ts): derived routes, and hand-written ones that contradict them.
  issues.push(...deriveRouting(cluster).issues);
  // Every probe traced through the model (src/model/trace.ts): one that cannot pass is an error now,
  // before anything is touched. Only on an otherwise valid file: the tracer needs every address parsed.
  if (errorsOf(issues).length === 0 && options.traceProbes !== false) issues.push(...probeTraceIssues(cluster));

  return { layout, issues };
}

/**
 * The user's objects (cluster.kubernetes): each Service, Ingress and NetworkPolicy as the API server checks it, names
 * defined once, cluster IPs and NodePorts claimed in `ledger` in file order, Ingress routes claimed once.
 */
function kubernetesObjectIssues(cluster: Cluster, layout: NetworkLayout, ledger: Ledger, baseDir: string): Issue[] {
  const issues: Issue[] = [];
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
    // Addresses are claimed only for a Service without errors; its warnings do not stop that.
    issues.push(
      ...under(at, own),
      ...(errorsOf(own).length > 0 ? [] : under(at, claimServiceAddresses(service, layout, ledger))),
    );
  });
  // A Service defined twice is reported above; backends resolve to its first definition.
  const servicePorts = new Map(k.services.map((s) => [`${s.namespace}/${s.name}`, s.ports] as const).reverse());
  const routes = new Map<string, string>();
  k.ingresses.forEach((ingress, i) => {
    const at = ['kubernetes', 'ingresses', i];
    once('Ingress', ingress, at);
    issues.push(
      ...under(
        at,
        checkIngress(ingress, {
          tlsFiles: tlsFileIssues(baseDir),
          findService: (name, ns) => servicePorts.get(`${ns}/${name}`),
        }),
      ),
    );
    issues.push(...under(at, claimIngressRoutes(ingress, `Ingress ${ingress.namespace}/${ingress.name}`, routes)));
  });
  k.networkPolicies.forEach((policy, i) => {
    const at = ['kubernetes', 'networkPolicies', i];
    once('NetworkPolicy', policy, at);
    issues.push(...under(at, checkNetworkPolicy(policy)));
  });
  // Namespaces and workloads declared for NetworkPolicy analysis (src/model/checks/workload.ts).
  issues.push(...under(['kubernetes', 'namespaces'], checkNamespaces(k.namespaces ?? [])));
  issues.push(...under(['kubernetes', 'workloads'], checkWorkloads(k.workloads ?? [], layout)));
  return issues;
}
