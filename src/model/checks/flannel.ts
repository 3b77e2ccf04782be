/**
 * Flannel's props, checks and the two files of its ConfigMap (net-conf.json, cni-conf.json), free of cdk8s so that
 * validation and the host provisioner do not load it; constructs/flannel.ts re-exports all. Defaults are those of
 * kube-flannel.yml v0.28.9 (Documentation/kube-flannel.yml at tag v0.28.9).
 */
import { cidrText, parseNetwork } from '../cidr';
import type { CniNetworkList } from '../cni/types';
import { Issue, show } from '../errors';
import { NetworkLayout } from '../layout';
import type { flannelPropsSchema, PropsOf } from '../props';

/** Props of {@link Flannel}. */
export type FlannelProps = PropsOf<typeof flannelPropsSchema>;
export type FlannelBackend = NonNullable<FlannelProps['backend']>;
/** The VXLAN backend (Flannel's default): pod traffic between nodes in UDP-encapsulated frames. */
export type FlannelVxlanBackend = Extract<FlannelBackend, { readonly type: 'vxlan' }>;
/** host-gw: plain routes to each node's pod subnet via the node address; needs layer-2 adjacency between nodes. */
export type FlannelHostGwBackend = Extract<FlannelBackend, { readonly type: 'host-gw' }>;
/** WireGuard: encrypted tunnels between nodes. */
export type FlannelWireguardBackend = Extract<FlannelBackend, { readonly type: 'wireguard' }>;

export const FLANNEL_DEFAULTS = {
  version: 'v0.28.9',
  cniPluginVersion: 'v1.9.1-flannel3',
  network: '10.244.0.0/16',
} as const;

const IMAGE_TAG = /^[0-9A-Za-z._-]+$/;

/** Checks Flannel props (or the cluster file's `cni.flannel`), against the network layout when there is one. */
export function checkFlannelProps(props: FlannelProps, layout?: NetworkLayout): Issue[] {
  const issues: Issue[] = [];
  for (const field of ['version', 'cniPluginVersion'] as const) {
    if (props[field] !== undefined && !IMAGE_TAG.test(props[field]!))
      issues.push({ path: [field], message: `${field} ${show(props[field])} is not an image tag` });
  }
  if (props.network !== undefined) {
    const parsed = parseNetwork(props.network);
    if (!parsed.ok) issues.push({ path: ['network'], message: parsed.error });
    else if (layout && !parsed.value.inside(layout.podCidr)) {
      issues.push({
        path: ['network'],
        message: `network ${show(props.network)} is outside podCidr ${cidrText(layout.podCidr)}: Flannel would hand node subnets the rest of the cluster does not route as pods`,
      });
    }
  }
  const backend = props.backend as Record<string, unknown> | undefined;
  if (backend !== undefined) {
    const port = (field: string, value: unknown) => {
      if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535)) {
        issues.push({ path: ['backend', field], message: `${field} ${show(value)} must be a port number 1-65535` });
      }
    };
    if (backend.type === 'vxlan') {
      if (
        backend.vni !== undefined &&
        !(Number.isInteger(backend.vni) && (backend.vni as number) >= 1 && (backend.vni as number) <= 16777215)
      ) {
        issues.push({ path: ['backend', 'vni'], message: `vni ${show(backend.vni)} must be a VXLAN id 1-16777215` });
      }
      port('port', backend.port);
    } else if (backend.type === 'wireguard') port('listenPort', backend.listenPort);
    else if (backend.type !== 'host-gw')
      issues.push({
        path: ['backend', 'type'],
        message: `backend type ${show(backend.type)} must be vxlan, host-gw or wireguard`,
      });
  }
  return issues;
}

/** The net-conf.json object Flannel reads: Network, EnableNFTables, Backend (in upstream's key order). */
export function flannelNetConf(props: FlannelProps, podCidr?: string): Record<string, unknown> {
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
