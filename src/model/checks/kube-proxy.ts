/**
 * The checks of KubeProxy props, with the plain types they need. Free of cdk8s, so validating a cluster file does
 * not load it; constructs/kube-proxy.ts re-exports all.
 */
import { parseAddress, parseIpAddress, parseNetwork, parseRangeList, rangeList } from '../cidr';
import { Issue, show } from '../errors';
import type { kubeProxyPropsSchema, PropsOf } from '../props';
import { CONTROL_PLANE_ENDPOINT } from '../schema';

/** Props of {@link KubeProxy}. */
export type KubeProxyProps = PropsOf<typeof kubeProxyPropsSchema>;

/** Where kubeadm's DaemonSet mounts the ConfigMap. */
export const KUBE_PROXY_DIRECTORY = '/var/lib/kube-proxy';

/** Checks KubeProxy props (or the cluster file's `kubeProxy`); paths relative to the props. */
export function checkKubeProxyProps(props: Partial<KubeProxyProps>): Issue[] {
  const issues: Issue[] = [];
  if (props.controlPlaneEndpoint !== undefined) {
    const problem = endpointProblem(props.controlPlaneEndpoint);
    if (problem)
      issues.push({ path: ['controlPlaneEndpoint'], message: `${show(props.controlPlaneEndpoint)} ${problem}` });
  }
  if (props.strictArp && props.mode !== 'ipvs') {
    issues.push({
      path: ['strictArp'],
      message: `strictARP only applies in ipvs mode, and mode is ${show(props.mode ?? 'iptables')}`,
    });
  }
  if (props.clusterCidr !== undefined) {
    // One range, or kubeadm's comma list of one IPv4 and one IPv6 range (dual-stack).
    const parsed = props.clusterCidr.includes(',')
      ? parseRangeList(rangeList(props.clusterCidr))
      : parseNetwork(props.clusterCidr);
    if (!parsed.ok) issues.push({ path: ['clusterCidr'], message: parsed.error });
  }
  if (props.bindAddress !== undefined) {
    const parsed = parseAddress(props.bindAddress);
    if (!parsed.ok) issues.push({ path: ['bindAddress'], message: parsed.error });
  }
  return issues;
}

/** Why an API server URL is unusable: not https://host[:port], a port out of range, a malformed address. */
function endpointProblem(url: string): string | undefined {
  if (typeof url !== 'string' || !CONTROL_PLANE_ENDPOINT.test(url))
    return 'is not an https URL of the API server such as https://192.168.1.11:6443';
  const [, host, port] = /^https:\/\/(\[[^\]]*\]|[^:/]+)(?::(\d+))?/.exec(url)!;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return `has port ${port}, outside 1-65535`;
  if (host.startsWith('[')) {
    const parsed = parseIpAddress(host.slice(1, -1));
    if (!parsed.ok || parsed.value.family !== 6) return `has an invalid IPv6 address ${show(host)}`;
  } else if (/^[0-9.]+$/.test(host)) {
    const parsed = parseAddress(host);
    if (!parsed.ok) return `has an invalid IPv4 address: ${parsed.error}`;
  }
  return undefined;
}
