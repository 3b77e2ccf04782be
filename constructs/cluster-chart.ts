import { Chart, ChartProps } from 'cdk8s';
import { Construct } from 'constructs';
import { ClusterModel } from '../src/model/load';
import { ClusterNetwork } from './cluster-network';

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
  }
}
