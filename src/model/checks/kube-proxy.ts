/**
 * The checks of KubeProxy props, with the plain types they need. Free of cdk8s, so validating a cluster file does
 * not load it; constructs/kube-proxy.ts re-exports all.
 */
import { parseAddress, parseNetwork } from '../cidr';
import { Issue, show } from '../errors';
import { CONTROL_PLANE_ENDPOINT } from '../schema';

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
