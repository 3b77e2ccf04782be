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
import {
  type CniPluginType,
  cniDnsSchema,
  cniIpamSchema,
  cniRouteSchema,
  hostLocalRangeSchema,
  ipamOptionsSchemas,
  pluginOptionsSchemas,
} from '../src/model/cni/plugins';
import { assertProps, type PropsOf } from '../src/model/props';

// ---------------------------------------------------------------------------------------------------------------
// IPAM: the shapes are declared once, with their docs, in src/model/cni/plugins.ts

/** A route handed to the container: `dst` (CIDR) via `gw` (default: the range's gateway). */
export type CniRoute = PropsOf<typeof cniRouteSchema>;
/** One host-local range. */
export type HostLocalRange = PropsOf<typeof hostLocalRangeSchema>;
/** Options of the host-local IPAM plugin (either `subnet` and its range fields, or `ranges`). */
export type HostLocalIpamOptions = PropsOf<(typeof ipamOptionsSchemas)['host-local']>;
/** Options of the dhcp IPAM plugin (it talks to the `dhcp daemon` on the node). */
export type DhcpIpamOptions = PropsOf<(typeof ipamOptionsSchemas)['dhcp']>;
/** Options of the static IPAM plugin. */
export type StaticIpamOptions = PropsOf<(typeof ipamOptionsSchemas)['static']>;
/** DNS settings a plugin returns to the runtime. */
export type CniDns = PropsOf<typeof cniDnsSchema>;
/** An `ipam` object: `type` plus the IPAM plugin's options. */
export type CniIpamConfig = PropsOf<typeof cniIpamSchema>;

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

/** The options of a plugin type (without `type`), e.g. `CniPluginOptions<'bridge'>`. */
export type CniPluginOptions<T extends CniPluginType> = PropsOf<(typeof pluginOptionsSchemas)[T]>;
/** Options of the bridge plugin. */
export type BridgePluginOptions = CniPluginOptions<'bridge'>;
/** Options of the ptp plugin (a veth pair, routed). */
export type PtpPluginOptions = CniPluginOptions<'ptp'>;
/** Options of the macvlan plugin. */
export type MacvlanPluginOptions = CniPluginOptions<'macvlan'>;
/** Options of the ipvlan plugin. */
export type IpvlanPluginOptions = CniPluginOptions<'ipvlan'>;
/** Options of the vlan plugin. */
export type VlanPluginOptions = CniPluginOptions<'vlan'>;
/** Options of the tuning meta plugin. */
export type TuningPluginOptions = CniPluginOptions<'tuning'>;
/** Options of the portmap meta plugin (hostPort). */
export type PortmapPluginOptions = CniPluginOptions<'portmap'>;
/** Options of the bandwidth meta plugin (rates in bits/s, bursts in bits). */
export type BandwidthPluginOptions = CniPluginOptions<'bandwidth'>;
/** Options of Weave Net's CNI plugin (weave-net), as the weave script writes them. */
export type WeaveNetPluginOptions = CniPluginOptions<'weave-net'>;

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

  /** Any plugin netstrap knows, typed by its type: `CniPlugin.of('vrf', { vrfname: 'blue' })`. */
  static of<T extends CniPluginType>(type: T, options: CniPluginOptions<T>): CniPlugin {
    return CniPlugin.custom(type, options);
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

const cniConfigPropsShape = {
  /** Network name (letters, digits, `_ . -`). Required. */
  name: z.string(),
  /** The chain, first plugin first: an interface plugin, then meta plugins such as portmap. Required. */
  plugins: z
    .array(
      z.custom<CniPlugin>((p) => p instanceof CniPlugin, {
        message: 'must be a CniPlugin (CniPlugin.bridge(), CniPlugin.fromObject() ...)',
      }),
    )
    .readonly(),
  /** CNI spec version. @default '1.0.0' */
  cniVersion: z.string().optional(),
  /** Other versions the list supports (spec 1.1.0). @default - not written */
  cniVersions: z.array(z.string()).readonly().optional(),
  /** Ask the runtime to skip CHECK. @default - not written (false) */
  disableCheck: z.boolean().optional(),
  /** Ask the runtime to skip GC. @default - not written (false) */
  disableGC: z.boolean().optional(),
  /** `conflist` (a chain) or `conf` (a single plugin, the pre-0.3 form). @default 'conflist' */
  format: z.enum(['conflist', 'conf']).optional(),
  /** File name under /etc/cni/net.d. @default `10-<name>.conflist` (or `.conf`) */
  fileName: z.string().optional(),
  /** Plugin and IPAM types accepted besides the built-in ones. @default - none */
  validation: z.custom<CniValidationOptions>((v) => typeof v === 'object' && v !== null).optional(),
};
/** The props of {@link CniConfig}, checked when made (callers from plain JavaScript); the CNI rules come after. */
const cniConfigPropsSchema: z.ZodObject<typeof cniConfigPropsShape, z.core.$strict> =
  z.strictObject(cniConfigPropsShape);
/** Props of {@link CniConfig}. */
export type CniConfigProps = Readonly<z.input<typeof cniConfigPropsSchema>>;

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
