/**
 * KubeProxy: the kube-system ConfigMap `kube-proxy` that kubeadm's kube-proxy DaemonSet reads, with the
 * KubeProxyConfiguration (mode, clusterCIDR from the network plan, ipvs.strictARP) and the in-cluster kubeconfig.
 *
 * Only the ConfigMap: kubeadm creates the DaemonSet, its ServiceAccount and RBAC at `kubeadm init`, and they read
 * this ConfigMap by name. Applying it replaces kubeadm's copy; restart the DaemonSet
 * (`kubectl -n kube-system rollout restart ds/kube-proxy`) for kube-proxy to pick it up.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { cidrText, parseAddress, parseNetwork } from '../src/model/cidr';
import { Issue, show, throwIfAny } from '../src/model/errors';
import { CONTROL_PLANE_ENDPOINT } from '../src/model/schema';
import { ClusterNetwork } from './cluster-network';

/** Props of {@link KubeProxy}. */
export interface KubeProxyProps {
  /**
   * API server URL kube-proxy talks to (kubeadm's controlPlaneEndpoint), e.g. `https://192.168.1.11:6443`.
   * kube-proxy cannot use the `kubernetes` Service: it is what makes Services work. Required.
   */
  readonly controlPlaneEndpoint: string;
  /** Proxy mode. @default 'iptables' */
  readonly mode?: 'iptables' | 'ipvs';
  /** ipvs.strictARP: answer ARP only for addresses on the receiving interface (MetalLB needs it). ipvs mode only. @default false */
  readonly strictArp?: boolean;
  /** clusterCIDR: traffic from outside it to a Service is masqueraded. @default - the podCidr of the ClusterNetwork in scope */
  readonly clusterCidr?: string;
  /** Address kube-proxy serves on. @default '0.0.0.0' */
  readonly bindAddress?: string;
}

/** Where kubeadm's DaemonSet mounts the ConfigMap. */
export const KUBE_PROXY_DIRECTORY = '/var/lib/kube-proxy';

/** Checks KubeProxy props (or the cluster file's `kubeProxy`); paths relative to the props. */
export function checkKubeProxyProps(props: Partial<KubeProxyProps>): Issue[] {
  const issues: Issue[] = [];
  if (props.controlPlaneEndpoint !== undefined && !CONTROL_PLANE_ENDPOINT.test(props.controlPlaneEndpoint)) {
    issues.push({ path: ['controlPlaneEndpoint'], message: `${show(props.controlPlaneEndpoint)} is not an https URL of the API server such as https://192.168.1.11:6443` });
  }
  if (props.strictArp && props.mode !== 'ipvs') {
    issues.push({ path: ['strictArp'], message: `strictARP only applies in ipvs mode, and mode is ${show(props.mode ?? 'iptables')}` });
  }
  if (props.clusterCidr !== undefined) {
    const parsed = parseNetwork(props.clusterCidr);
    if (!parsed.ok) issues.push({ path: ['clusterCidr'], message: parsed.error });
  }
  if (props.bindAddress !== undefined) {
    const parsed = parseAddress(props.bindAddress);
    if (!parsed.ok) issues.push({ path: ['bindAddress'], message: parsed.error });
  }
  return issues;
}

/** The KubeProxyConfiguration object (config.conf), with the fields kubeadm sets plus mode and ipvs. */
export function kubeProxyConfiguration(props: { clusterCidr: string; mode?: 'iptables' | 'ipvs'; strictArp?: boolean; bindAddress?: string }): Record<string, unknown> {
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
    clusters: [{ cluster: { 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server }, name: 'default' }],
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
    const clusterCidr = props.clusterCidr ?? ClusterNetwork.find(this)?.podCidr;
    const issues = checkKubeProxyProps(props);
    if (clusterCidr === undefined) issues.push({ path: ['clusterCidr'], message: 'is required when there is no ClusterNetwork in scope' });
    const network = ClusterNetwork.find(this);
    const parsed = clusterCidr === undefined ? undefined : parseNetwork(clusterCidr);
    if (network && parsed?.ok && !parsed.value.isEquals(network.plan.podCidr)) {
      issues.push({ path: ['clusterCidr'], message: `${show(clusterCidr)} differs from the ClusterNetwork podCidr ${cidrText(network.plan.podCidr)}: kube-proxy would masquerade pod traffic` });
    }
    throwIfAny(source, issues);
    this.clusterCidr = clusterCidr!;

    const config = kubeProxyConfiguration({ ...props, clusterCidr: this.clusterCidr });
    this.configMap = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } },
      data: {
        'config.conf': stringify(config),
        'kubeconfig.conf': stringify(kubeProxyKubeconfig(props.controlPlaneEndpoint)),
      },
    });
  }
}
