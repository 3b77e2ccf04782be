/**
 * KubeProxy: the kube-system ConfigMap `kube-proxy` that kubeadm's kube-proxy DaemonSet reads, with the
 * KubeProxyConfiguration (mode, clusterCIDR from the network layout, ipvs.strictARP) and the in-cluster kubeconfig.
 *
 * Only the ConfigMap: kubeadm creates the DaemonSet, its ServiceAccount and RBAC at `kubeadm init`, and they read
 * this ConfigMap by name. Applying it replaces kubeadm's copy; restart the DaemonSet
 * (`kubectl -n kube-system rollout restart ds/kube-proxy`) for kube-proxy to pick it up.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { dump } from 'js-yaml';
import { cidrText, parseNetwork } from '../src/model/cidr';
import { show } from '../src/model/errors';
import { ClusterNetwork } from './cluster-network';

// The checks and plain types live in src/model/checks/kube-proxy.ts (no cdk8s, so validating a cluster file stays
// light); re-exported here so the construct's API is unchanged.
export {
  type KubeProxyProps,
  KUBE_PROXY_DIRECTORY,
  checkKubeProxyProps,
} from '../src/model/checks/kube-proxy';
import { KubeProxyProps, KUBE_PROXY_DIRECTORY, checkKubeProxyProps } from '../src/model/checks/kube-proxy';
import { assertProps, kubeProxyPropsSchema } from '../src/model/props';

/** The KubeProxyConfiguration object (config.conf), with the fields kubeadm sets plus mode and ipvs. */
export function kubeProxyConfiguration(props: {
  clusterCidr: string;
  mode?: 'iptables' | 'ipvs';
  strictArp?: boolean;
  bindAddress?: string;
}): Record<string, unknown> {
  const mode = props.mode ?? 'iptables';
  return {
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    bindAddress: props.bindAddress ?? '0.0.0.0',
    clientConnection: { kubeconfig: `${KUBE_PROXY_DIRECTORY}/kubeconfig.conf` },
    clusterCIDR: props.clusterCidr,
    mode,
    ...(mode === 'ipvs' ? { ipvs: { strictARP: props.strictArp ?? false } } : {}),
  };
}

/** The kubeconfig kubeadm writes for kube-proxy: the pod's service-account token and CA, the given server. */
export function kubeProxyKubeconfig(server: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        cluster: { 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server },
        name: 'default',
      },
    ],
    contexts: [{ context: { cluster: 'default', namespace: 'default', user: 'default' }, name: 'default' }],
    'current-context': 'default',
    users: [{ name: 'default', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }],
  };
}

/** kube-proxy's configuration as the kube-system ConfigMap `kube-proxy` (label app: kube-proxy), as kubeadm names it. */
export class KubeProxy extends Construct {
  readonly configMap: k8s.KubeConfigMap;
  /** The clusterCIDR written. */
  readonly clusterCidr: string;

  constructor(scope: Construct, id: string, props: KubeProxyProps) {
    super(scope, id);
    const source = `KubeProxy ${JSON.stringify(this.node.path)}`;
    let clusterCidr: string | undefined;
    assertProps(kubeProxyPropsSchema, props, source, () => {
      // kube-proxy's clusterCIDR takes kubeadm's comma list: a dual-stack cluster's both pod ranges.
      clusterCidr = props.clusterCidr ?? ClusterNetwork.find(this)?.podCidrs.join(',');
      const issues = checkKubeProxyProps(props);
      if (clusterCidr === undefined)
        issues.push({ path: ['clusterCidr'], message: 'is required when there is no ClusterNetwork in scope' });
      const network = ClusterNetwork.find(this);
      const parsed = clusterCidr === undefined ? undefined : parseNetwork(clusterCidr.split(',')[0]);
      if (network && parsed?.ok && !parsed.value.isEquals(network.layout.podCidr)) {
        issues.push({
          path: ['clusterCidr'],
          message: `${show(clusterCidr)} differs from the ClusterNetwork podCidr ${cidrText(network.layout.podCidr)}: kube-proxy would masquerade pod traffic`,
        });
      }
      return issues;
    });
    this.clusterCidr = clusterCidr!;

    const config = kubeProxyConfiguration({ ...props, clusterCidr: this.clusterCidr });
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } },
      data: {
        'config.conf': dump(config, { lineWidth: -1 }),
        'kubeconfig.conf': dump(kubeProxyKubeconfig(props.controlPlaneEndpoint), { lineWidth: -1 }),
      },
    });
  }
}
