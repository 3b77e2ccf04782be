/**
 * The CNI plugins netstrap knows, each declared once as a zod shape: the typed factories' options
 * (constructs/cni-config.ts), the cluster file's `cni.conflist.plugins[]` (../schema.ts), the JSON Schema
 * (hosts/cluster.schema.json) and the checks of any conflist (./validate.ts) all come from these shapes. Each field is
 * documented here, once, in its doc comment (editors show it on the props types).
 *
 * The list is what containernetworking-plugins ships (/usr/lib/cni from Debian's package holds every one of them
 * but `dummy` and `tap`, which came with upstream 1.3 and 1.4), plus Weave Net's `weave-net`. Plugins may take more
 * options than are listed: unlisted keys are kept and not checked (CniPlugin.custom, a hand-written conflist).
 */
import { z } from 'zod';
import { INTERFACE_NAME, SYSCTL_KEY } from '../names';

/** The error of a field: "expected <what>" (the checks add ", got <value>"). */
const expected = (what: string) => ({ error: `expected ${what}` });

// ---------------------------------------------------------------------------------------------------------------
// Field kinds

const bool = z.boolean(expected('true or false'));
const string = z.string(expected('a string'));
const strings = z.array(string, expected('a list of strings'));
const absolutePath = z.string(expected('an absolute path')).startsWith('/', expected('an absolute path'));
const interfaceName = z
  .string(expected('a Linux interface name (1-15 characters from A-Z a-z 0-9 _ . -)'))
  .regex(INTERFACE_NAME, expected('a Linux interface name (1-15 characters from A-Z a-z 0-9 _ . -)'));
const wholeNumber = (what: string, min: number, max?: number) => {
  const n = z.number(expected(what)).int(expected(what)).min(min, expected(what));
  return max === undefined ? n : n.max(max, expected(what));
};
const mtu = wholeNumber('an MTU 68-65535', 68, 65535);
const unsigned = wholeNumber('a whole number >= 0', 0);
const markBit = wholeNumber('a mark bit 0-31', 0, 31);
const vlanId = wholeNumber('a VLAN id 0-4094', 0, 4094);
const MAC_ADDRESS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const macAddress = z
  .string(expected('a MAC address such as 02:42:ac:11:00:02'))
  .regex(MAC_ADDRESS, expected('a MAC address such as 02:42:ac:11:00:02'));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expected(`one of ${values.join(', ')}`));
const object = z.record(z.string(), z.unknown(), expected('an object'));
/** net.* sysctls only: the tuning plugin refuses any other. */
const sysctls = z
  .record(z.string(), z.string({ error: 'sysctl values are strings' }), expected('an object of sysctl: "value"'))
  .superRefine((settings, ctx) => {
    for (const key of Object.keys(settings)) {
      if (!SYSCTL_KEY.test(key) || !key.startsWith('net.'))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${JSON.stringify(key)} is not allowed: the tuning plugin only sets net.* sysctls`,
        });
    }
  });

// ---------------------------------------------------------------------------------------------------------------
// What plugins return to the runtime, and IPAM

const dnsShape = {
  /** Name servers. @default - none */
  nameservers: strings.optional(),
  /** Local domain. @default - none */
  domain: string.optional(),
  /** Search domains. @default - none */
  search: strings.optional(),
  /** resolv.conf options. @default - none */
  options: strings.optional(),
};
/** DNS settings a plugin returns to the runtime. */
export const cniDnsSchema: z.ZodObject<typeof dnsShape, z.core.$strict> = z.strictObject(
  dnsShape,
  expected('an object of nameservers, domain, search, options'),
);

const routeShape = {
  /** Destination network, e.g. `0.0.0.0/0` (host bits allowed, as Go's net.ParseCIDR takes them). Required. */
  dst: string,
  /** Next hop. @default - the gateway of the range */
  gw: string.optional(),
};
/** A route handed to the container: `dst` (CIDR) via `gw`. */
export const cniRouteSchema: z.ZodObject<typeof routeShape, z.core.$loose> = z.looseObject(
  routeShape,
  expected('{dst, gw}'),
);
const routes = z.array(cniRouteSchema, expected('a list of {dst, gw}'));

const rangeShape = {
  /** Network to allocate from, e.g. `10.10.0.0/16` or `fd00:10::/64`. Required. */
  subnet: string,
  /** First address handed out. @default - the address after the network address */
  rangeStart: string.optional(),
  /** Last address handed out. @default - the last address before broadcast */
  rangeEnd: string.optional(),
  /** Gateway address. @default - the first address of the subnet (.1) */
  gateway: string.optional(),
};
/** One host-local range. */
export const hostLocalRangeSchema: z.ZodObject<typeof rangeShape, z.core.$loose> = z.looseObject(
  rangeShape,
  expected('a range object with a "subnet"'),
);

const hostLocalShape = {
  /** One IPv4 or IPv6 network (the single-range form). @default - use `ranges` */
  subnet: string.optional(),
  /** With `subnet`: first address handed out. @default - the address after the network address */
  rangeStart: string.optional(),
  /** With `subnet`: last address handed out. @default - the last address before broadcast */
  rangeEnd: string.optional(),
  /** With `subnet`: the gateway. @default - the subnet's first address */
  gateway: string.optional(),
  /** Range sets: each inner list is one family, one address per set per container (dual stack: two sets). @default - use `subnet` */
  ranges: z
    .array(
      z
        .array(hostLocalRangeSchema, expected('a non-empty list of ranges'))
        .min(1, expected('a non-empty list of ranges')),
      expected('a list of range sets (lists of ranges)'),
    )
    .min(1, expected('a list of range sets (lists of ranges)'))
    .optional(),
  /** Routes to add in the container. @default - none */
  routes: routes.optional(),
  /** Where allocations are stored. @default '/var/lib/cni/networks' */
  dataDir: absolutePath.optional(),
  /** A resolv.conf whose nameservers are returned as DNS. @default - none */
  resolvConf: absolutePath.optional(),
};
const dhcpShape = {
  /** Socket of the dhcp daemon. @default '/run/cni/dhcp.sock' */
  daemonSocketPath: absolutePath.optional(),
  /** DHCP options to request, e.g. `[{ option: 'routes' }]`. @default - none */
  request: z
    .array(
      z.strictObject(
        {
          /** DHCP option name, e.g. `routes` or `classless-static-routes`. Required. */
          option: string,
          /** Do not request the option the plugin requests by default. @default false */
          skipDefault: bool.optional(),
        },
        expected('{option, skipDefault}'),
      ),
    )
    .optional(),
  /** DHCP options to send. @default - none */
  provide: z
    .array(
      z.strictObject(
        {
          /** DHCP option name, e.g. `host-name`. Required. */
          option: string,
          /** A fixed value to send. @default - none */
          value: string.optional(),
          /** Take the value from this CNI_ARGS key, e.g. `K8S_POD_NAME`. @default - none */
          fromArg: string.optional(),
        },
        expected('{option, value, fromArg}'),
      ),
    )
    .optional(),
};
const staticShape = {
  /** Addresses with prefix, e.g. `[{ address: '10.10.0.1/24', gateway: '10.10.0.254' }]`. @default - none */
  addresses: z
    .array(
      z.looseObject(
        {
          /** Address with prefix, e.g. `10.10.0.1/24`. Required. */
          address: string,
          /** Gateway for this address. @default - none */
          gateway: string.optional(),
        },
        expected('{address, gateway}'),
      ),
      expected('a list of {address, gateway}'),
    )
    .optional(),
  /** Routes to add. @default - none */
  routes: routes.optional(),
  /** DNS settings returned. @default - none */
  dns: cniDnsSchema.optional(),
};

/** The IPAM plugins' options: they belong in an interface plugin's `ipam` object, never in the chain. */
export const ipamOptionsSchemas = {
  /** host-local: addresses from local ranges, state in files under dataDir. */
  'host-local': z.strictObject(hostLocalShape) as z.ZodObject<typeof hostLocalShape, z.core.$strict>,
  /** dhcp: addresses leased by the node's `dhcp daemon` from a DHCP server on the link. */
  dhcp: z.strictObject(dhcpShape) as z.ZodObject<typeof dhcpShape, z.core.$strict>,
  /** static: fixed addresses. */
  static: z.strictObject(staticShape) as z.ZodObject<typeof staticShape, z.core.$strict>,
};
export type IpamType = keyof typeof ipamOptionsSchemas;
/** The IPAM options as they are checked: IPAM plugins may take more, so keys not listed are kept, not checked. */
export const ipamFieldSchemas: Readonly<Record<IpamType, z.ZodObject<z.core.$ZodLooseShape, z.core.$loose>>> = {
  'host-local': z.looseObject(hostLocalShape),
  dhcp: z.looseObject(dhcpShape),
  static: z.looseObject(staticShape),
};
/** IPAM plugin types. */
export const IPAM_PLUGINS = Object.keys(ipamOptionsSchemas) as IpamType[];

/**
 * An `ipam` object of a known type: `type` plus its options. Its id makes the JSON Schema name it once
 * (`#/$defs/cniIpam`) instead of repeating it in every plugin.
 */
export const cniIpamSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('host-local'), ...hostLocalShape }),
    z.strictObject({ type: z.literal('dhcp'), ...dhcpShape }),
    z.strictObject({ type: z.literal('static'), ...staticShape }),
  ])
  .meta({ id: 'cniIpam' });

// ---------------------------------------------------------------------------------------------------------------
// Plugins

/** Fields every plugin may carry (CNI spec §1 "Plugin configuration objects"). */
const commonShape = {
  /** Runtime capabilities the plugin wants, e.g. `{ portMappings: true }`. @default - none */
  capabilities: z.record(z.string(), bool, expected('an object of capability: true|false')).optional(),
  /** Static runtime config (normally filled in by the runtime for a capability). @default - none */
  runtimeConfig: object.optional(),
  /** Extra arguments for the plugin. @default - none */
  args: object.optional(),
  /** DNS settings returned to the runtime. @default - none */
  dns: cniDnsSchema.optional(),
};
type Common = typeof commonShape;
/** A plugin of a type allowed by CniValidationOptions.extraPluginTypes: only the common fields are checked. */
export const genericPluginSchema: z.ZodObject<z.core.$ZodLooseShape, z.core.$loose> = z.looseObject(commonShape);
/** A plugin's shape: the common fields, then its own (a named type, so the d.ts keeps every field's doc comment). */
const plugin = <Own extends z.core.$ZodLooseShape>(own: Own): Common & Own => ({ ...commonShape, ...own });

const ipMasqBackend = oneOf(['iptables', 'nftables']);

const bridgeShape = plugin({
  /** Bridge name. @default 'cni0' (chosen by the plugin) */
  bridge: interfaceName.optional(),
  /** Give the bridge the gateway address. @default false */
  isGateway: bool.optional(),
  /** Make the gateway the container's default route (implies isGateway). @default false */
  isDefaultGateway: bool.optional(),
  /** Replace a previous gateway address on the bridge. @default false */
  forceAddress: bool.optional(),
  /** Masquerade traffic leaving the subnet. @default false */
  ipMasq: bool.optional(),
  /** iptables or nftables for ipMasq. @default - the plugin's choice */
  ipMasqBackend: ipMasqBackend.optional(),
  /** MTU of the veth pair. @default - the kernel's */
  mtu: mtu.optional(),
  /** Let a container reach itself through a Service (hairpin on the bridge port). @default false */
  hairpinMode: bool.optional(),
  /** Promiscuous mode on the bridge. @default false */
  promiscMode: bool.optional(),
  /** VLAN tag of the container port. @default - none */
  vlan: vlanId.optional(),
  /** Keep the default VLAN on the port when `vlan` is set. @default false */
  preserveDefaultVlan: bool.optional(),
  /** VLAN trunk of the container port, e.g. `[{ minID: 100, maxID: 200 }]`. @default - none */
  vlanTrunk: z.array(object, expected('a list of objects')).optional(),
  /** Duplicate address detection on the container's IPv6 addresses. @default false */
  enabledad: bool.optional(),
  /** Drop frames from the container whose source MAC is not its own. @default false */
  macspoofchk: bool.optional(),
  /** Leave the container interface down (no addresses). @default false */
  disableContainerInterface: bool.optional(),
  /** Isolate the port from the other isolated ports of the bridge. @default false */
  portIsolation: bool.optional(),
  /** Address management. @default - no addresses (layer-2 only) */
  ipam: cniIpamSchema.optional(),
});
const ptpShape = plugin({
  /** Masquerade traffic leaving the subnet. @default false */
  ipMasq: bool.optional(),
  /** iptables or nftables for ipMasq. @default - the plugin's choice */
  ipMasqBackend: ipMasqBackend.optional(),
  /** MTU of the veth pair. @default - the kernel's */
  mtu: mtu.optional(),
  /** Address management. Required: a ptp link has no addresses without it. */
  ipam: cniIpamSchema,
});
const macvlanShape = plugin({
  /** Parent interface on the node. @default - the interface of the default route */
  master: interfaceName.optional(),
  /** macvlan mode. @default 'bridge' */
  mode: oneOf(['bridge', 'private', 'vepa', 'passthru']).optional(),
  /** MTU. @default - the parent's */
  mtu: mtu.optional(),
  /** `master` is inside the container's namespace, not the node's. @default false */
  linkInContainer: bool.optional(),
  /** Address management. @default - none */
  ipam: cniIpamSchema.optional(),
});
const ipvlanShape = plugin({
  /** Parent interface on the node. @default - the interface of the default route */
  master: interfaceName.optional(),
  /** ipvlan mode. @default 'l2' */
  mode: oneOf(['l2', 'l3', 'l3s']).optional(),
  /** MTU. @default - the parent's */
  mtu: mtu.optional(),
  /** `master` is inside the container's namespace, not the node's. @default false */
  linkInContainer: bool.optional(),
  /** Address management. @default - none */
  ipam: cniIpamSchema.optional(),
});
const vlanShape = plugin({
  /** Parent interface on the node. Required. */
  master: interfaceName,
  /** VLAN id 0-4094. Required. */
  vlanId,
  /** MTU. @default - the parent's */
  mtu: mtu.optional(),
  /** `master` is inside the container's namespace, not the node's. @default false */
  linkInContainer: bool.optional(),
  /** Address management. @default - none */
  ipam: cniIpamSchema.optional(),
});
const hostDeviceShape = plugin({
  /** The node interface to move into the container, by name. @default - given by hwaddr, kernelpath or pciBusID */
  device: interfaceName.optional(),
  /** The node interface to move, by MAC address. @default - none */
  hwaddr: macAddress.optional(),
  /** The node interface to move, by its kernel device path. @default - none */
  kernelpath: absolutePath.optional(),
  /** The node interface to move, by PCI address. @default - none */
  pciBusID: string.optional(),
  /** Address management. @default - none */
  ipam: cniIpamSchema.optional(),
});
const loopbackShape = plugin({});
const weaveNetShape = plugin({
  /** The plugin-level name Weave writes before `type`. @default 'weave' */
  name: string.optional(),
  /** Hairpin on the bridge port (HAIRPIN_MODE). @default - not written */
  hairpinMode: bool.optional(),
});
const dummyShape = plugin({
  /** Address management. @default - none */
  ipam: cniIpamSchema.optional(),
});
const tapShape = plugin({
  /** MAC address of the tap device. @default - random */
  mac: macAddress.optional(),
  /** MTU. @default - the kernel's */
  mtu: mtu.optional(),
  /** A multi-queue tap device. @default false */
  multiQueue: bool.optional(),
  /** Owner (uid) of the device. @default - root */
  owner: unsigned.optional(),
  /** Group (gid) of the device. @default - root */
  group: unsigned.optional(),
  /** SELinux context the device is created with. @default - none */
  selinuxcontext: string.optional(),
  /** Bridge the device is attached to on the node. @default - none */
  bridge: interfaceName.optional(),
  /** Address management. @default - none */
  ipam: cniIpamSchema.optional(),
});
const portmapShape = plugin({
  /** iptables or nftables. @default - the plugin's choice */
  backend: oneOf(['iptables', 'nftables']).optional(),
  /** SNAT hairpin traffic to the host port. @default true (in the plugin) */
  snat: bool.optional(),
  /** Mark bit used to flag traffic for masquerade. @default 13 (in the plugin) */
  markMasqBit: markBit.optional(),
  /** An existing chain that sets the masquerade mark (instead of markMasqBit). @default - none */
  externalSetMarkChain: string.optional(),
  /** Extra iptables conditions for IPv4 DNAT rules. @default - none */
  conditionsV4: strings.optional(),
  /** Extra iptables conditions for IPv6 DNAT rules. @default - none */
  conditionsV6: strings.optional(),
});
const tuningShape = plugin({
  /** MAC address of the container interface. @default - unchanged */
  mac: macAddress.optional(),
  /** MTU. @default - unchanged */
  mtu: mtu.optional(),
  /** Promiscuous mode. @default - unchanged */
  promisc: bool.optional(),
  /** All-multicast mode. @default - unchanged */
  allmulti: bool.optional(),
  /** net.* sysctls inside the container, values as strings. @default - none */
  sysctl: sysctls.optional(),
  /** Transmit queue length. @default - unchanged */
  txQLen: unsigned.optional(),
});
const bandwidthShape = plugin({
  /** Ingress rate in bits/s. @default - unlimited */
  ingressRate: unsigned.optional(),
  /** Ingress burst in bits. @default - unlimited */
  ingressBurst: unsigned.optional(),
  /** Egress rate in bits/s. @default - unlimited */
  egressRate: unsigned.optional(),
  /** Egress burst in bits. @default - unlimited */
  egressBurst: unsigned.optional(),
  /** Shape only traffic to these networks. @default - all traffic */
  shapedSubnets: strings.optional(),
  /** Do not shape traffic to these networks. @default - none */
  unshapedSubnets: strings.optional(),
});
const firewallShape = plugin({
  /** iptables or firewalld. @default - firewalld when it runs, else iptables */
  backend: oneOf(['iptables', 'firewalld']).optional(),
  /** The iptables chain the plugin adds its rules to. @default 'CNI-ADMIN' */
  iptablesAdminChainName: string.optional(),
  /** The firewalld zone of the container addresses. @default 'trusted' */
  firewalldZone: string.optional(),
  /** `same-bridge`: only containers on the same bridge may connect in. @default 'open' */
  ingressPolicy: oneOf(['open', 'same-bridge']).optional(),
});
const sbrShape = plugin({});
const vrfShape = plugin({
  /** The VRF device the container interface is put in (created when missing). Required by the plugin. */
  vrfname: interfaceName.optional(),
  /** Routing table of the VRF. @default - the first free table */
  table: unsigned.optional(),
});

/** The options of each interface plugin: plugins that create (or own) the container interface; one comes first. */
const interfaceShapes = {
  /** bridge: a veth pair per container, host ends on a Linux bridge. */
  bridge: bridgeShape,
  /** ptp: a veth pair per container, routed from the host (no bridge). */
  ptp: ptpShape,
  /** macvlan: a MAC-address sub-interface of a node interface. */
  macvlan: macvlanShape,
  /** ipvlan: an address sub-interface of a node interface (shares its MAC). */
  ipvlan: ipvlanShape,
  /** vlan: an 802.1q sub-interface of a node interface. */
  vlan: vlanShape,
  /** host-device: moves a node interface into the container. */
  'host-device': hostDeviceShape,
  /** loopback: brings up `lo` in the container. */
  loopback: loopbackShape,
  /** weave-net: Weave Net's plugin (needs the Weave DaemonSet). */
  'weave-net': weaveNetShape,
  /** dummy: a dummy interface in the container. */
  dummy: dummyShape,
  /** tap: a tap device in the container. */
  tap: tapShape,
};
/** The options of each meta plugin: they adjust what an earlier plugin created, so never come first. */
const metaShapes = {
  /** portmap: hostPort DNAT. */
  portmap: portmapShape,
  /** tuning: MAC, MTU, flags and net.* sysctls of the container interface. */
  tuning: tuningShape,
  /** bandwidth: a token-bucket rate limit on the container interface. */
  bandwidth: bandwidthShape,
  /** firewall: lets the container's traffic through the node's firewall. */
  firewall: firewallShape,
  /** sbr: source-based routing for the container's addresses. */
  sbr: sbrShape,
  /** vrf: puts the container interface into a VRF. */
  vrf: vrfShape,
};
type Shapes = typeof interfaceShapes & typeof metaShapes;
export type CniPluginType = keyof Shapes;

/** Plugins that create (or own) the container interface: one of them must come first in a chain. */
export const INTERFACE_PLUGINS = Object.keys(interfaceShapes) as CniPluginType[];
/** Plugins that adjust what an earlier plugin created; they need a previous result, so never first. */
export const META_PLUGINS = Object.keys(metaShapes) as CniPluginType[];
/** Every chain plugin type, interface plugins first. */
export const CHAIN_PLUGINS: readonly CniPluginType[] = [...INTERFACE_PLUGINS, ...META_PLUGINS];
/** Every type a conflist's plugin entry may name (an IPAM type is refused there with a pointer to `ipam`). */
export const CNI_PLUGIN_TYPES: readonly string[] = [...CHAIN_PLUGINS, ...IPAM_PLUGINS];

const shapes: Shapes = { ...interfaceShapes, ...metaShapes };

/** The options of each chain plugin (without `type`), strict: the typed factories' props. */
export const pluginOptionsSchemas = Object.fromEntries(
  Object.entries(shapes).map(([type, shape]) => [type, z.strictObject(shape)]),
) as { readonly [T in CniPluginType]: z.ZodObject<Shapes[T], z.core.$strict> };

/** One plugin object as it is checked: `type` and its options; keys it does not list are kept and not checked. */
export const pluginSchemas = Object.fromEntries(
  Object.entries(shapes).map(([type, shape]): [string, z.ZodObject<z.core.$ZodLooseShape, z.core.$loose>] => [
    type,
    z.looseObject({ type: z.literal(type), ...shape }),
  ]),
) as Readonly<Record<CniPluginType, z.ZodObject<z.core.$ZodLooseShape, z.core.$loose>>>;

/** A plugin's own fields, `type` and `ipam` aside (./validate.ts checks an ipam object on its own). */
export const pluginFieldSchemas = Object.fromEntries(
  Object.entries(shapes).map(([type, shape]): [string, z.ZodObject<z.core.$ZodLooseShape, z.core.$loose>] => {
    const { ipam: _ipam, ...fields } = shape as z.core.$ZodLooseShape;
    return [type, z.looseObject(fields)];
  }),
) as Readonly<Record<CniPluginType, z.ZodObject<z.core.$ZodLooseShape, z.core.$loose>>>;
/** Plugins that cannot work without addresses: their `ipam` is required. */
export const NEEDS_IPAM: readonly CniPluginType[] = CHAIN_PLUGINS.filter(
  (type) => 'ipam' in shapes[type] && !(shapes[type] as z.core.$ZodLooseShape).ipam.safeParse(undefined).success,
);

/** A plugin entry of a conflist, any known type: for the JSON Schema of the cluster file. */
export const anyPluginSchema = z.discriminatedUnion(
  'type',
  CHAIN_PLUGINS.map((type) => pluginSchemas[type]) as [
    (typeof pluginSchemas)[CniPluginType],
    ...(typeof pluginSchemas)[CniPluginType][],
  ],
);
