/**
 * Flannel's defaults and the two files of its ConfigMap (net-conf.json, cni-conf.json), free of cdk8s so that the
 * host provisioner can write the conflist too; constructs/flannel.ts re-exports all. Defaults are those of
 * kube-flannel.yml v0.28.9 (Documentation/kube-flannel.yml at tag v0.28.9).
 */
import type { FlannelProps } from './checks/flannel';
import type { CniNetworkList } from './cni/types';

export const FLANNEL_DEFAULTS = {
  version: 'v0.28.9',
  cniPluginVersion: 'v1.9.1-flannel3',
  network: '10.244.0.0/16',
} as const;

/**
 * The net-conf.json object Flannel reads: Network, EnableNFTables, Backend (in upstream's key order); with an IPv6
 * pod range (dual-stack), EnableIPv6 and IPv6Network too, as Flannel's Documentation/configuration.md describes.
 */
export function flannelNetConf(props: FlannelProps, podCidr?: string, ipv6Network?: string): Record<string, unknown> {
  const backend = props.backend ?? { type: 'vxlan' };
  const Backend: Record<string, unknown> = { Type: backend.type };
  if (backend.type === 'vxlan') {
    if (backend.vni !== undefined) Backend.VNI = backend.vni;
    if (backend.port !== undefined) Backend.Port = backend.port;
    if (backend.directRouting !== undefined) Backend.DirectRouting = backend.directRouting;
  }
  if (backend.type === 'wireguard' && backend.listenPort !== undefined) Backend.ListenPort = backend.listenPort;
  return {
    Network: props.network ?? podCidr ?? FLANNEL_DEFAULTS.network,
    ...(ipv6Network !== undefined && { EnableIPv6: true, IPv6Network: ipv6Network }),
    EnableNFTables: props.enableNFTables ?? false,
    Backend,
  };
}

/** File name install-cni writes under /etc/cni/net.d. */
export const FLANNEL_CNI_FILE = '10-flannel.conflist';

/** cni-conf.json: the `flannel` plugin (delegating to bridge with hairpin mode and a default gateway) and portmap. */
export function flannelConflist(): CniNetworkList {
  return {
    cniVersion: '0.3.1',
    name: 'cbr0',
    plugins: [
      { type: 'flannel', delegate: { hairpinMode: true, isDefaultGateway: true } },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

/** JSON text of a ConfigMap file as upstream writes it: 2-space indent, trailing newline. */
export function flannelJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
