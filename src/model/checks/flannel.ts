/**
 * Flannel's props and their checks, free of cdk8s so that validation does not load it; constructs/flannel.ts
 * re-exports all. The files of its ConfigMap are rendered by ../flannel-files.ts.
 */
import { cidrText, parseNetwork } from '../cidr';
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
