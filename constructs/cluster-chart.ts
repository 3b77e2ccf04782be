import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterModel } from '../src/model/load';
import { ClusterNetwork } from './cluster-network';
import { Ingress } from './ingress';
import { NetworkPolicy } from './network-policy';
import { Service } from './service';

/** Props of {@link ClusterChart}. */
export interface ClusterChartProps extends ChartProps {
  /** A cluster file after loadClusterFile() / checkCluster(): already validated. */
  readonly model: ClusterModel;
}

/**
 * Everything a cluster file asks for on the Kubernetes side, in one chart: the network plan, the CNI, kube-proxy,
 * CoreDNS and ingress-nginx add-ons, and the user's Services, Ingresses and NetworkPolicies.
 */
export class ClusterChart extends Chart {
  readonly network: ClusterNetwork;

  constructor(scope: Construct, id: string, props: ClusterChartProps) {
    super(scope, id, { disableResourceNameHashes: true, ...props });
    const { cluster } = props.model;
    this.network = new ClusterNetwork(this, 'network', cluster.network);

    // --- CNI (cluster.cni): constructs/cni-config.ts, constructs/weave-net.ts

    // --- kube-proxy (cluster.kubeProxy): constructs/kube-proxy.ts

    // --- DNS (cluster.dns): constructs/core-dns.ts

    // --- Ingress controller (cluster.ingressController): constructs/ingress-nginx.ts

    // --- The user's objects (cluster.kubernetes): constructs/service.ts, ingress.ts, network-policy.ts
    // Ids are namespace.name (a namespace has no '.'): unique, as validateCluster rejects duplicate names.
    for (const spec of cluster.kubernetes.services) new Service(this, `service-${spec.namespace}.${spec.name}`, spec);
    for (const spec of cluster.kubernetes.ingresses) {
      new Ingress(this, `ingress-${spec.namespace}.${spec.name}`, { ...spec, baseDir: props.model.baseDir });
    }
    for (const spec of cluster.kubernetes.networkPolicies) new NetworkPolicy(this, `networkpolicy-${spec.namespace}.${spec.name}`, spec);
  }
}
