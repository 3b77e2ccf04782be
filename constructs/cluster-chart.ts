import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-27';
import { ClusterModel } from '../src/model/load';
import { ClusterNetwork } from './cluster-network';
import { CoreDns } from './core-dns';
import { Ingress } from './ingress';
import { IngressNginx } from './ingress-nginx';
import { NetworkPolicy } from './network-policy';
import { Service } from './service';
import { WeaveNet } from './weave-net';
import { Flannel } from './flannel';
import { CniNetworkList, clusterCniFiles } from '../src/model/cni';
import { clusterWarnings } from '../src/model/netpol/lints';
import { CniConfig } from './cni-config';
import { CniInstaller } from './cni-installer';
import { KubeProxy } from './kube-proxy';
import { markChecked } from '../src/model/checked';
import { addWarning } from './warnings';

/** Props of {@link ClusterChart}. */
export interface ClusterChartProps extends ChartProps {
  /** A cluster file after loadClusterFile() / checkCluster(): already validated. Required. */
  readonly model: ClusterModel;
  /**
   * Record none of the cluster's warnings (`netstrap netpol` prints its own, over all its inputs).
   * @default false (they are recorded on the chart; src/app.ts printChartWarnings prints them)
   */
  readonly quiet?: boolean;
}

/**
 * Everything a cluster file asks for on the Kubernetes side, in one chart: the network layout, the CNI, kube-proxy,
 * CoreDNS and ingress-nginx add-ons, and the user's Services, Ingresses and NetworkPolicies.
 */
export class ClusterChart extends Chart {
  readonly network: ClusterNetwork;

  constructor(scope: Construct, id: string, props: ClusterChartProps) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    const { cluster } = props.model;
    // The props take the ranges as written (one, or a dual-stack list); the resolved model's lists are derived.
    const { podCidrs, serviceCidrs, ...network } = cluster.network;
    this.network = new ClusterNetwork(this, 'network', {
      ...network,
      podCidr: podCidrs.length > 1 ? podCidrs : network.podCidr,
      serviceCidr: serviceCidrs.length > 1 ? serviceCidrs : network.serviceCidr,
    });

    // --- CNI (cluster.cni): constructs/cni-config.ts, constructs/weave-net.ts
    if (cluster.cni.plugin === 'weave') new WeaveNet(this, 'weave-net', cluster.cni.weave ?? {});
    if (cluster.cni.plugin === 'flannel') new Flannel(this, 'flannel', cluster.cni.flannel ?? {});
    // bridge / conflist: the file reaches the nodes through the installer DaemonSet or the host provisioner.
    const cniFiles = clusterCniFiles(cluster);
    if (cniFiles && cluster.cni.installer) {
      const config = (list: CniNetworkList) => CniConfig.fromList(list, { fileName: cniFiles.fileName, source: 'cni' });
      const perNode = Object.fromEntries(Object.entries(cniFiles.perNode).map(([node, list]) => [node, config(list)]));
      new CniInstaller(this, 'cni-installer', { config: config(cniFiles.list), perNode });
    }
    // Recorded, not thrown: valid objects that will not do what they seem to (a CNI that does not enforce
    // policies, netpol lints over the declared workloads: src/model/netpol/lints.ts). The app prints them.
    if (!props.quiet) for (const warning of clusterWarnings(cluster, props.model.file)) addWarning(this, warning);

    // --- kube-proxy (cluster.kubeProxy): constructs/kube-proxy.ts
    const { controlPlaneEndpoint, ...kubeProxy } = cluster.kubeProxy;
    if (controlPlaneEndpoint) new KubeProxy(this, 'kube-proxy', { ...kubeProxy, controlPlaneEndpoint });

    // --- DNS (cluster.dns): constructs/core-dns.ts
    const { provider: dnsProvider, ...coreDns } = cluster.dns;
    if (dnsProvider === 'coredns') new CoreDns(this, 'core-dns', coreDns);

    // --- Ingress controller (cluster.ingressController): constructs/ingress-nginx.ts
    const { provider: ingressProvider, ...ingressNginx } = cluster.ingressController;
    if (ingressProvider === 'ingress-nginx') new IngressNginx(this, 'ingress-nginx', ingressNginx);

    // --- The user's objects (cluster.kubernetes): constructs/service.ts, ingress.ts, network-policy.ts
    // Ids are namespace.name (a namespace has no '.'): unique, as validateCluster rejects duplicate names.
    // markChecked: validateCluster has run their per-object checks, so the constructors do not run them again.
    // Declared namespaces, with their labels (namespaceSelectors select them by these).
    for (const ns of cluster.kubernetes.namespaces ?? []) {
      new k8s.KubeNamespace(this, `namespace-${ns.name}`, { metadata: { name: ns.name, labels: ns.labels } });
    }
    for (const spec of cluster.kubernetes.services)
      new Service(this, `service-${spec.namespace}.${spec.name}`, markChecked(spec));
    for (const spec of cluster.kubernetes.ingresses) {
      new Ingress(
        this,
        `ingress-${spec.namespace}.${spec.name}`,
        markChecked({ ...spec, baseDir: props.model.baseDir }),
      );
    }
    for (const spec of cluster.kubernetes.networkPolicies)
      new NetworkPolicy(this, `networkpolicy-${spec.namespace}.${spec.name}`, markChecked(spec));
  }
}
