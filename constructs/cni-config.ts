/**
 * CniConfig: a typed CNI network configuration (list), rendered exactly as /etc/cni/net.d expects it.
 * A value, not a construct: the installer DaemonSet (cni-installer.ts) and the host provisioner both write it.
 */
import { InputError, show, throwIfAny } from '../src/model/errors';
import {
  CniNetworkList,
  CniPluginObject,
  DEFAULT_CNI_VERSION,
  confObject,
  conflistObject,
  defaultCniFileName,
  parseCniText,
  renderCniJson,
  validateIpam,
  validateNetworkConf,
  validateNetworkList,
  validatePlugin,
  CniValidationOptions,
} from '../src/model/cni';
import { z } from 'zod';
import { assertProps } from '../src/model/props';

// ---------------------------------------------------------------------------------------------------------------
// IPAM

/** A route handed to the container: `dst` (CIDR) via `gw` (default: the range's gateway). */
export interface CniRoute {
  /** Destination network, e.g. `0.0.0.0/0`. Required. */
  readonly dst: string;
  /** Next hop. @default - the gateway of the range */
  readonly gw?: string;
}

/** One host-local range. */
export interface HostLocalRange {
  /** Network to allocate from, e.g. `10.10.0.0/16` or `fd00:10::/64`. Required. */
  readonly subnet: string;
  /** First address handed out. @default - the address after the network address */
  readonly rangeStart?: string;
  /** Last address handed out. @default - the last address before broadcast */
  readonly rangeEnd?: string;
  /** Gateway address. @default - the first address of the subnet (.1) */
  readonly gateway?: string;
}

/** Options of the host-local IPAM plugin (either `subnet` and its range fields, or `ranges`). */
export interface HostLocalIpamOptions {
  /** One IPv4 or IPv6 network (the single-range form). @default - use `ranges` */
  readonly subnet?: string;
  /** With `subnet`: first address handed out. @default - the address after the network address */
  readonly rangeStart?: string;
  /** With `subnet`: last address handed out. @default - the last address before broadcast */
  readonly rangeEnd?: string;
  /** With `subnet`: the gateway. @default - the subnet's first address */
  readonly gateway?: string;
  /** Range sets: each inner list is one family, one address per set per container (dual stack: two sets). @default - use `subnet` */
  readonly ranges?: ReadonlyArray<ReadonlyArray<HostLocalRange>>;
  /** Routes to add in the container. @default - none */
  readonly routes?: readonly CniRoute[];
  /** Where allocations are stored. @default '/var/lib/cni/networks' */
  readonly dataDir?: string;
  /** A resolv.conf whose nameservers are returned as DNS. @default - none */
  readonly resolvConf?: string;
}

/** Options of the dhcp IPAM plugin (it talks to the `dhcp daemon` on the node). */
export interface DhcpIpamOptions {
  /** Socket of the dhcp daemon. @default '/run/cni/dhcp.sock' */
  readonly daemonSocketPath?: string;
  /** DHCP options to request, e.g. `[{ option: 'routes' }]`. @default - none */
  readonly request?: ReadonlyArray<{ readonly option: string; readonly skipDefault?: boolean }>;
  /** DHCP options to send. @default - none */
  readonly provide?: ReadonlyArray<{ readonly option: string; readonly value?: string; readonly fromArg?: string }>;
}

/** Options of the static IPAM plugin. */
export interface StaticIpamOptions {
  /** Addresses with prefix, e.g. `[{ address: '10.10.0.1/24', gateway: '10.10.0.254' }]`. @default - none */
  readonly addresses?: ReadonlyArray<{ readonly address: string; readonly gateway?: string }>;
  /** Routes to add. @default - none */
  readonly routes?: readonly CniRoute[];
  /** DNS settings returned. @default - none */
  readonly dns?: CniDns;
}

/** DNS settings a plugin returns to the runtime. */
export interface CniDns {
  /** Name servers. @default - none */
  readonly nameservers?: readonly string[];
  /** Local domain. @default - none */
  readonly domain?: string;
  /** Search domains. @default - none */
  readonly search?: readonly string[];
  /** resolv.conf options. @default - none */
  readonly options?: readonly string[];
}

/** An `ipam` object: `type` plus the IPAM plugin's options. */
export type CniIpamConfig =
  | ({ readonly type: 'host-local' } & HostLocalIpamOptions)
  | ({ readonly type: 'dhcp' } & DhcpIpamOptions)
  | ({ readonly type: 'static' } & StaticIpamOptions);

/** Factories for `ipam` objects; keys keep the order you give them. */
export class CniIpam {
  /** host-local: addresses from local ranges, state in files under dataDir. */
  static hostLocal(options: HostLocalIpamOptions): CniIpamConfig {
    return { type: 'host-local', ...options };
  }
  /** dhcp: addresses leased by the node's `dhcp daemon` from a DHCP server on the link. */
  static dhcp(options: DhcpIpamOptions = {}): CniIpamConfig {
    return { type: 'dhcp', ...options };
  }
  /** static: fixed addresses. */
  static static(options: StaticIpamOptions): CniIpamConfig {
    return { type: 'static', ...options };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Plugins

/** Fields every plugin may carry (CNI spec §1 "Plugin configuration objects"). */
export interface CniPluginCommon {
  /** Runtime capabilities the plugin wants, e.g. `{ portMappings: true }`. @default - none */
  readonly capabilities?: Readonly<Record<string, boolean>>;
  /** Static runtime config (normally filled in by the runtime for a capability). @default - none */
  readonly runtimeConfig?: Readonly<Record<string, unknown>>;
  /** Extra arguments for the plugin. @default - none */
  readonly args?: Readonly<Record<string, unknown>>;
  /** DNS settings returned to the runtime. @default - none */
  readonly dns?: CniDns;
}

/** Options of the bridge plugin. */
export interface BridgePluginOptions extends CniPluginCommon {
  /** Bridge name. @default 'cni0' (chosen by the plugin) */
  readonly bridge?: string;
  /** Give the bridge the gateway address. @default false */
  readonly isGateway?: boolean;
  /** Make the gateway the container's default route (implies isGateway). @default false */
  readonly isDefaultGateway?: boolean;
  /** Replace a previous gateway address on the bridge. @default false */
  readonly forceAddress?: boolean;
  /** Masquerade traffic leaving the subnet. @default false */
  readonly ipMasq?: boolean;
  /** iptables or nftables for ipMasq. @default - the plugin's choice */
  readonly ipMasqBackend?: 'iptables' | 'nftables';
  /** MTU of the veth pair. @default - the kernel's */
  readonly mtu?: number;
  /** Let a container reach itself through a Service (hairpin on the bridge port). @default false */
  readonly hairpinMode?: boolean;
  /** Promiscuous mode on the bridge. @default false */
  readonly promiscMode?: boolean;
  /** VLAN tag of the container port. @default - none */
  readonly vlan?: number;
  /** Address management. @default - no addresses (layer-2 only) */
  readonly ipam?: CniIpamConfig;
}

/** Options of the ptp plugin (a veth pair, routed). */
export interface PtpPluginOptions extends CniPluginCommon {
  /** Masquerade traffic leaving the subnet. @default false */
  readonly ipMasq?: boolean;
  /** MTU of the veth pair. @default - the kernel's */
  readonly mtu?: number;
  /** Address management. Required. */
  readonly ipam: CniIpamConfig;
}

/** Options of the macvlan plugin. */
export interface MacvlanPluginOptions extends CniPluginCommon {
  /** Parent interface on the node. @default - the interface of the default route */
  readonly master?: string;
  /** macvlan mode. @default 'bridge' */
  readonly mode?: 'bridge' | 'private' | 'vepa' | 'passthru';
  /** MTU. @default - the parent's */
  readonly mtu?: number;
  /** Address management. @default - none */
  readonly ipam?: CniIpamConfig;
}

/** Options of the ipvlan plugin. */
export interface IpvlanPluginOptions extends CniPluginCommon {
  /** Parent interface on the node. @default - the interface of the default route */
  readonly master?: string;
  /** ipvlan mode. @default 'l2' */
  readonly mode?: 'l2' | 'l3' | 'l3s';
  /** MTU. @default - the parent's */
  readonly mtu?: number;
  /** Address management. @default - none */
  readonly ipam?: CniIpamConfig;
}

/** Options of the vlan plugin. */
export interface VlanPluginOptions extends CniPluginCommon {
  /** Parent interface on the node. Required. */
  readonly master: string;
  /** VLAN id 0-4094. Required. */
  readonly vlanId: number;
  /** MTU. @default - the parent's */
  readonly mtu?: number;
  /** Address management. @default - none */
  readonly ipam?: CniIpamConfig;
}

/** Options of the tuning meta plugin. */
export interface TuningPluginOptions extends CniPluginCommon {
  /** MAC address of the container interface. @default - unchanged */
  readonly mac?: string;
  /** MTU. @default - unchanged */
  readonly mtu?: number;
  /** Promiscuous mode. @default - unchanged */
  readonly promisc?: boolean;
  /** All-multicast mode. @default - unchanged */
  readonly allmulti?: boolean;
  /** net.* sysctls inside the container, values as strings. @default - none */
  readonly sysctl?: Readonly<Record<string, string>>;
}

/** Options of the portmap meta plugin (hostPort). */
export interface PortmapPluginOptions extends CniPluginCommon {
  /** iptables or nftables. @default - the plugin's choice */
  readonly backend?: 'iptables' | 'nftables';
  /** SNAT hairpin traffic to the host port. @default true (in the plugin) */
  readonly snat?: boolean;
  /** Mark bit used to flag traffic for masquerade. @default 13 (in the plugin) */
  readonly markMasqBit?: number;
  /** An existing chain that sets the masquerade mark (instead of markMasqBit). @default - none */
  readonly externalSetMarkChain?: string;
  /** Extra iptables conditions for IPv4 DNAT rules. @default - none */
  readonly conditionsV4?: readonly string[];
  /** Extra iptables conditions for IPv6 DNAT rules. @default - none */
  readonly conditionsV6?: readonly string[];
}

/** Options of the bandwidth meta plugin (rates in bits/s, bursts in bits). */
export interface BandwidthPluginOptions extends CniPluginCommon {
  /** @default - unlimited */
  readonly ingressRate?: number;
  /** @default - unlimited */
  readonly ingressBurst?: number;
  /** @default - unlimited */
  readonly egressRate?: number;
  /** @default - unlimited */
  readonly egressBurst?: number;
}

/** Options of Weave Net's CNI plugin (weave-net), as the weave script writes them. */
export interface WeaveNetPluginOptions extends CniPluginCommon {
  /** The plugin-level name Weave writes before `type`. @default 'weave' */
  readonly name?: string;
  /** Hairpin on the bridge port (HAIRPIN_MODE). @default - not written */
  readonly hairpinMode?: boolean;
}

/**
 * One plugin of a chain. Factories write `type` first, then your options in the order you give them, so a
 * rendered file can match a hand-written one exactly.
 */
export class CniPlugin {
  /** bridge: a veth pair per container, host ends on a Linux bridge. */
  static bridge(options: BridgePluginOptions = {}): CniPlugin {
    return CniPlugin.custom('bridge', options);
  }
  /** ptp: a veth pair per container, routed from the host (no bridge). */
  static ptp(options: PtpPluginOptions): CniPlugin {
    return CniPlugin.custom('ptp', options);
  }
  /** loopback: brings up `lo` in the container. */
  static loopback(): CniPlugin {
    return CniPlugin.custom('loopback', {});
  }
  /** macvlan: a MAC-address sub-interface of a node interface. */
  static macvlan(options: MacvlanPluginOptions = {}): CniPlugin {
    return CniPlugin.custom('macvlan', options);
  }
  /** ipvlan: an address sub-interface of a node interface (shares its MAC). */
  static ipvlan(options: IpvlanPluginOptions = {}): CniPlugin {
    return CniPlugin.custom('ipvlan', options);
  }
  /** vlan: an 802.1q sub-interface of a node interface. */
  static vlan(options: VlanPluginOptions): CniPlugin {
    return CniPlugin.custom('vlan', options);
  }
  /** tuning: MAC, MTU, flags and net.* sysctls of the container interface. */
  static tuning(options: TuningPluginOptions = {}): CniPlugin {
    return CniPlugin.custom('tuning', options);
  }
  /** bandwidth: a token-bucket rate limit on the container interface. */
  static bandwidth(options: BandwidthPluginOptions = {}): CniPlugin {
    return CniPlugin.custom('bandwidth', options);
  }

  /** portmap: hostPort DNAT. `capabilities: { portMappings: true }` is added right after `type` unless you give it. */
  static portmap(options: PortmapPluginOptions = {}): CniPlugin {
    const fields = 'capabilities' in options ? options : { capabilities: { portMappings: true }, ...options };
    return CniPlugin.custom('portmap', fields);
  }

  /** weave-net: Weave Net's plugin (needs the Weave DaemonSet); written as `{ name, type, ... }` like weave does. */
  static weaveNet(options: WeaveNetPluginOptions = {}): CniPlugin {
    const { name = 'weave', ...rest } = options;
    return new CniPlugin({ name, type: 'weave-net', ...rest } as CniPluginObject);
  }

  /** Any plugin, with options netstrap does not model (kept in your order after `type`). */
  static custom(type: string, options: object = {}): CniPlugin {
    return new CniPlugin({ type, ...options } as CniPluginObject);
  }

  /** A plugin object as found in a conflist, kept exactly (key order included). */
  static fromObject(object: CniPluginObject): CniPlugin {
    return new CniPlugin({ ...object });
  }

  private constructor(private readonly object: CniPluginObject) {}

  get type(): string {
    return this.object.type;
  }

  /** The plugin object (what JSON.stringify writes). */
  toJSON(): CniPluginObject {
    return this.object;
  }

  /** The plugin object alone as JSON text (e.g. to compare with a documentation example). */
  toJson(indent = 2): string {
    return renderCniJson(this.object, indent);
  }

  /** Checks this plugin on its own (options and ipam); paths relative to the plugin. */
  validate(options?: CniValidationOptions) {
    return validatePlugin(this.object, options);
  }
}

/** Checks an ipam object on its own; throws an InputError naming each field and value. */
export function assertValidIpam(ipam: CniIpamConfig, source = 'CNI ipam'): void {
  throwIfAny(source, validateIpam(ipam));
}

// ---------------------------------------------------------------------------------------------------------------
// The network configuration (list)

/** Props of {@link CniConfig}. */
export interface CniConfigProps {
  /** Network name (letters, digits, `_ . -`). Required. */
  readonly name: string;
  /** The chain, first plugin first: an interface plugin, then meta plugins such as portmap. Required. */
  readonly plugins: readonly CniPlugin[];
  /** CNI spec version. @default '1.0.0' */
  readonly cniVersion?: string;
  /** Other versions the list supports (spec 1.1.0). @default - not written */
  readonly cniVersions?: readonly string[];
  /** Ask the runtime to skip CHECK. @default - not written (false) */
  readonly disableCheck?: boolean;
  /** Ask the runtime to skip GC. @default - not written (false) */
  readonly disableGC?: boolean;
  /** `conflist` (a chain) or `conf` (a single plugin, the pre-0.3 form). @default 'conflist' */
  readonly format?: 'conflist' | 'conf';
  /** File name under /etc/cni/net.d. @default `10-<name>.conflist` (or `.conf`) */
  readonly fileName?: string;
  /** Plugin and IPAM types accepted besides the built-in ones. @default - none */
  readonly validation?: CniValidationOptions;
}

/** The shape of {@link CniConfigProps} (for callers from plain JavaScript); the CNI rules are checked after it. */
const cniConfigPropsSchema = z.strictObject({
  name: z.string(),
  plugins: z.array(
    z.custom<CniPlugin>((p) => p instanceof CniPlugin, {
      message: 'must be a CniPlugin (CniPlugin.bridge(), CniPlugin.fromObject() ...)',
    }),
  ),
  cniVersion: z.string().optional(),
  cniVersions: z.array(z.string()).optional(),
  disableCheck: z.boolean().optional(),
  disableGC: z.boolean().optional(),
  format: z.enum(['conflist', 'conf']).optional(),
  fileName: z.string().optional(),
  validation: z.custom<CniValidationOptions>((v) => typeof v === 'object' && v !== null).optional(),
});

/**
 * A CNI network configuration list (or single config), checked when made: network name, spec version, plugin
 * types and order (no meta plugin first, no IPAM plugin in the chain, no plugin twice) and every host-local
 * range (subnet a network, gateway and range ends inside it; IPv4 and IPv6). Invalid props throw an InputError.
 */
export class CniConfig {
  /** Parses the text of a .conflist or .conf file; throws an InputError naming `source`, the field and the value. */
  static fromJson(text: string, source = 'CNI config', fileName?: string): CniConfig {
    const { parsed, issues } = parseCniText(text);
    throwIfAny(source, issues);
    const { list, format } = parsed!;
    // The raw object first: fields CniConfigProps cannot carry (unknown top-level keys) must not vanish silently.
    throwIfAny(source, format === 'conflist' ? validateNetworkList(list) : validateNetworkConf(list));
    return CniConfig.fromList(list, { format, fileName, source });
  }

  /** A list given as plain data (e.g. from clusterCniFiles()), kept exactly. */
  static fromList(
    list: CniNetworkList,
    options: { fileName?: string; format?: 'conflist' | 'conf'; source?: string } = {},
  ): CniConfig {
    return new CniConfig(
      {
        ...list,
        plugins: list.plugins.map((p) => CniPlugin.fromObject(p)),
        fileName: options.fileName,
        format: options.format,
      },
      options.source,
    );
  }

  readonly name: string;
  readonly cniVersion: string;
  readonly format: 'conflist' | 'conf';
  /** File name under /etc/cni/net.d. */
  readonly fileName: string;
  private readonly list: CniNetworkList;

  constructor(props: CniConfigProps, source = `CniConfig ${show(props?.name)}`) {
    assertProps(cniConfigPropsSchema, props, source);
    this.name = props.name;
    this.cniVersion = props.cniVersion ?? DEFAULT_CNI_VERSION;
    this.format = props.format ?? 'conflist';
    this.fileName = props.fileName ?? defaultCniFileName(props.name, this.format);
    this.list = {
      cniVersion: this.cniVersion,
      cniVersions: props.cniVersions,
      name: props.name,
      disableCheck: props.disableCheck,
      disableGC: props.disableGC,
      plugins: props.plugins.map((p) => p.toJSON()),
    };
    const issues =
      this.format === 'conf'
        ? validateNetworkConf(this.list, props.validation)
        : validateNetworkList(this.list, props.validation);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*\.(conflist|conf|json)$/.test(this.fileName)) {
      issues.push({
        path: ['fileName'],
        message: `invalid file name ${JSON.stringify(this.fileName)}: libcni reads *.conflist, *.conf and *.json`,
      });
    }
    if (issues.length > 0) throw new InputError(source, issues);
  }

  /** The list as plain data (for the host provisioner or further processing). */
  toSpec(): CniNetworkList {
    return this.list;
  }

  /** The object written to disk, in spec key order. */
  toObject(): Record<string, unknown> {
    return this.format === 'conf'
      ? confObject(this.cniVersion, this.name, this.list.plugins[0])
      : conflistObject(this.list);
  }

  /** What goes into /etc/cni/net.d/<fileName>. */
  toJson(indent = 2): string {
    return renderCniJson(this.toObject(), indent);
  }
}
