/**
 * The construct props types are the props schemas' types (src/model/props.ts), so a field exists once: a field
 * added to a schema is a prop at once, and a props type written by hand again fails to compile here.
 */
import { z } from 'zod';
import * as api from '../../src';
import {
  clusterNetworkPropsSchema,
  coreDnsPropsSchema,
  flannelPropsSchema,
  ingressNginxPropsSchema,
  ingressPropsSchema,
  kubeProxyPropsSchema,
  networkPolicyPropsSchema,
  PropsOf,
  servicePropsSchema,
  weaveNetPropsSchema,
} from '../../src/model/props';
import { ipamOptionsSchemas, pluginOptionsSchemas } from '../../src/model/cni/plugins';

/** true only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The keys of a schema's input, as the props type must have them. */
type SameKeys<P, S extends z.ZodType> = Equal<keyof P, keyof z.input<S>>;

// Each line fails to compile when the public props type and its schema drift apart.
const sameTypes: ReadonlyArray<true> = [
  true satisfies Equal<api.ServiceProps, PropsOf<typeof servicePropsSchema>>,
  true satisfies Equal<api.NetworkPolicyProps, PropsOf<typeof networkPolicyPropsSchema>>,
  true satisfies Equal<api.IngressProps, PropsOf<typeof ingressPropsSchema>>,
  true satisfies Equal<api.WeaveNetProps, PropsOf<typeof weaveNetPropsSchema>>,
  true satisfies Equal<api.FlannelProps, PropsOf<typeof flannelPropsSchema>>,
  true satisfies Equal<api.CoreDnsProps, PropsOf<typeof coreDnsPropsSchema>>,
  true satisfies Equal<api.IngressNginxProps, PropsOf<typeof ingressNginxPropsSchema>>,
  true satisfies Equal<api.KubeProxyProps, PropsOf<typeof kubeProxyPropsSchema>>,
  true satisfies Equal<api.ClusterNetworkProps, PropsOf<typeof clusterNetworkPropsSchema>>,
  // CNI plugins and IPAM: declared once in src/model/cni/plugins.ts.
  true satisfies Equal<api.BridgePluginOptions, PropsOf<typeof pluginOptionsSchemas.bridge>>,
  true satisfies Equal<api.PtpPluginOptions, PropsOf<typeof pluginOptionsSchemas.ptp>>,
  true satisfies Equal<api.VlanPluginOptions, PropsOf<typeof pluginOptionsSchemas.vlan>>,
  true satisfies Equal<api.PortmapPluginOptions, PropsOf<typeof pluginOptionsSchemas.portmap>>,
  true satisfies Equal<api.CniPluginOptions<'vrf'>, PropsOf<typeof pluginOptionsSchemas.vrf>>,
  true satisfies Equal<api.HostLocalIpamOptions, PropsOf<(typeof ipamOptionsSchemas)['host-local']>>,
  // Nested shapes have every field of the schema's, too.
  true satisfies SameKeys<api.ServicePortProps, typeof servicePropsSchema.shape.ports.def.innerType.element>,
  true satisfies SameKeys<api.IngressBackendSpec, typeof ingressPropsSchema.shape.defaultBackend.def.innerType>,
];

test('every construct props type is its schema’s type', () => {
  expect(sameTypes.every((same) => same)).toBe(true);
});

test('a props type carries the schema’s TypeScript-only shapes: a Service construct, a Corefile model', () => {
  const backend: api.IngressBackendSpec = { service: { name: 'web', ports: [{ port: 80 }] }, port: 80 };
  const dns: api.CoreDnsProps = { corefile: { servers: [] } };
  expect(ingressPropsSchema.safeParse({ defaultBackend: backend }).success).toBe(true);
  expect(coreDnsPropsSchema.safeParse(dns).success).toBe(true);
});
