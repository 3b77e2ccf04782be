/** Checking CNI configurations: spec version and name, plugin order and options, host-local and static IPAM. */
import {
  IpAddress,
  IpNetwork,
  ipAddressNotAfter,
  ipNetworksOverlap,
  ipNetworkContains,
  ipNetworkPrefix,
  parseIpAddress,
  parseIpNetwork,
} from '../cidr';
import { Issue, show, under } from '../errors';
import { INTERFACE_NAME, SYSCTL_KEY } from '../schema';
import {
  CNI_NETWORK_NAME,
  CNI_VERSIONS,
  CniNetworkList,
  CniPluginObject,
  INTERFACE_PLUGINS,
  IPAM_PLUGINS,
  META_PLUGINS,
} from './types';

/** Top-level fields of a network configuration list (CNI spec §1). */
const LIST_FIELDS = ['cniVersion', 'cniVersions', 'name', 'disableCheck', 'disableGC', 'plugins'];

/** Options of {@link validateNetworkList}. */
export interface CniValidationOptions {
  /** Plugin types accepted besides the built-in ones (e.g. a third-party plugin binary). @default - none */
  readonly extraPluginTypes?: readonly string[];
  /** Plugin types accepted besides the built-in ones. @default - none */
  readonly extraIpamTypes?: readonly string[];
}

/** Checks a whole network configuration list; paths are relative to the list object. */
export function validateNetworkList(list: CniNetworkList, options: CniValidationOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const raw = list as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!LIST_FIELDS.includes(key) && raw[key] !== undefined) {
      issues.push({
        path: [key],
        message: `unknown field ${show(key)} of a network configuration list (known: ${LIST_FIELDS.join(', ')})`,
      });
    }
  }
  issues.push(...checkVersion(list.cniVersion, ['cniVersion']));
  if (list.cniVersions !== undefined) {
    if (!Array.isArray(list.cniVersions))
      issues.push({ path: ['cniVersions'], message: `expected a list of versions, got ${show(list.cniVersions)}` });
    else list.cniVersions.forEach((v, i) => issues.push(...checkVersion(v, ['cniVersions', i])));
  }
  if (
    typeof list.cniVersion === 'string' &&
    CNI_VERSIONS.includes(list.cniVersion as never) &&
    compareVersions(list.cniVersion, '0.3.0') < 0
  ) {
    issues.push({
      path: ['cniVersion'],
      message: `cniVersion ${show(list.cniVersion)} predates plugin chaining: a network configuration list needs 0.3.0 or later`,
    });
  }
  issues.push(...checkName(list.name, ['name']));
  for (const flag of ['disableCheck', 'disableGC'] as const) {
    if (list[flag] !== undefined && typeof list[flag] !== 'boolean')
      issues.push({ path: [flag], message: `expected true or false, got ${show(list[flag])}` });
  }
  if (!Array.isArray(list.plugins) || list.plugins.length === 0) {
    issues.push({ path: ['plugins'], message: `needs at least one plugin, got ${show(list.plugins)}` });
    return issues;
  }

  const first = list.plugins[0];
  if (isObject(first) && META_PLUGINS.includes(first.type as string)) {
    issues.push({
      path: ['plugins', 0, 'type'],
      message: `${show(first.type)} is a meta plugin: it adjusts an interface made earlier in the chain, so it cannot come first; start with an interface plugin (${INTERFACE_PLUGINS.join(', ')})`,
    });
  }
  const firstIndex = new Map<string, number>();
  list.plugins.forEach((plugin, i) => {
    issues.push(...under(['plugins', i], validatePlugin(plugin, options)));
    if (!isObject(plugin) || typeof plugin.type !== 'string') return;
    const earlier = firstIndex.get(plugin.type);
    if (earlier !== undefined) {
      issues.push({
        path: ['plugins', i, 'type'],
        message: `plugin type ${show(plugin.type)} appears twice (also plugins[${earlier}]): each plugin should run once per chain`,
      });
    } else firstIndex.set(plugin.type, i);
  });
  return issues;
}

/** Checks a single network configuration (`.conf`): the list rules, with one plugin. */
export function validateNetworkConf(list: CniNetworkList, options: CniValidationOptions = {}): Issue[] {
  const issues = [...checkVersion(list.cniVersion, ['cniVersion']), ...checkName(list.name, ['name'])];
  if (list.plugins.length !== 1)
    issues.push({
      path: ['plugins'],
      message: `a single network configuration holds exactly one plugin, got ${list.plugins.length}`,
    });
  else issues.push(...validatePlugin(list.plugins[0], options));
  return issues;
}

function checkVersion(version: unknown, path: Array<string | number>): Issue[] {
  if (typeof version !== 'string' || !CNI_VERSIONS.includes(version as never)) {
    return [{ path, message: `unknown CNI spec version ${show(version)}: expected one of ${CNI_VERSIONS.join(', ')}` }];
  }
  return [];
}

function checkName(name: unknown, path: Array<string | number>): Issue[] {
  if (typeof name !== 'string' || !CNI_NETWORK_NAME.test(name)) {
    return [
      {
        path,
        message: `invalid network name ${show(name)}: must start with a letter or digit, then letters, digits, "_", "." or "-"`,
      },
    ];
  }
  return [];
}

/** Compares two x.y.z versions numerically. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

type FieldKind =
  | 'bool'
  | 'string'
  | 'ifname'
  | 'mtu'
  | 'uint'
  | 'bit'
  | 'strings'
  | 'vlanId'
  | 'path'
  | { oneOf: readonly string[] }
  | 'mac'
  | 'sysctl'
  | 'object';

/** Options each built-in plugin understands, with their kinds. Unlisted keys are allowed: plugins may have more. */
const PLUGIN_FIELDS: Record<string, Record<string, FieldKind>> = {
  bridge: {
    bridge: 'ifname',
    isGateway: 'bool',
    isDefaultGateway: 'bool',
    forceAddress: 'bool',
    ipMasq: 'bool',
    ipMasqBackend: { oneOf: ['iptables', 'nftables'] },
    mtu: 'mtu',
    hairpinMode: 'bool',
    promiscMode: 'bool',
    vlan: 'vlanId',
    preserveDefaultVlan: 'bool',
    vlanTrunk: 'object',
    enabledad: 'bool',
    macspoofchk: 'bool',
    disableContainerInterface: 'bool',
    portIsolation: 'bool',
  },
  ptp: { ipMasq: 'bool', ipMasqBackend: { oneOf: ['iptables', 'nftables'] }, mtu: 'mtu' },
  macvlan: {
    master: 'ifname',
    mode: { oneOf: ['bridge', 'private', 'vepa', 'passthru'] },
    mtu: 'mtu',
    linkInContainer: 'bool',
  },
  ipvlan: { master: 'ifname', mode: { oneOf: ['l2', 'l3', 'l3s'] }, mtu: 'mtu', linkInContainer: 'bool' },
  vlan: { master: 'ifname', vlanId: 'vlanId', mtu: 'mtu', linkInContainer: 'bool' },
  'host-device': { device: 'ifname', hwaddr: 'mac', kernelpath: 'path', pciBusID: 'string' },
  loopback: {},
  'weave-net': { hairpinMode: 'bool' },
  portmap: {
    snat: 'bool',
    backend: { oneOf: ['iptables', 'nftables'] },
    markMasqBit: 'bit',
    externalSetMarkChain: 'string',
    conditionsV4: 'strings',
    conditionsV6: 'strings',
  },
  tuning: { mac: 'mac', mtu: 'mtu', promisc: 'bool', allmulti: 'bool', sysctl: 'sysctl', txQLen: 'uint' },
  bandwidth: {
    ingressRate: 'uint',
    ingressBurst: 'uint',
    egressRate: 'uint',
    egressBurst: 'uint',
    shapedSubnets: 'strings',
    unshapedSubnets: 'strings',
  },
  firewall: {
    backend: { oneOf: ['iptables', 'firewalld'] },
    iptablesAdminChainName: 'string',
    firewalldZone: 'string',
    ingressPolicy: { oneOf: ['open', 'same-bridge'] },
  },
  sbr: {},
  vrf: { vrfname: 'ifname', table: 'uint' },
  dummy: {},
  tap: {
    mac: 'mac',
    mtu: 'mtu',
    multiQueue: 'bool',
    owner: 'uint',
    group: 'uint',
    selinuxcontext: 'string',
    bridge: 'ifname',
  },
};
/** Interface plugins that cannot work without addresses from IPAM. */
const NEEDS_IPAM = ['ptp'];
/** Options that a plugin needs. */
const REQUIRED_FIELDS: Record<string, string[]> = { vlan: ['master', 'vlanId'], macvlan: [], ipvlan: [] };
const MAC_ADDRESS = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

/** Checks one plugin object; paths are relative to it. */
export function validatePlugin(plugin: CniPluginObject, options: CniValidationOptions = {}): Issue[] {
  if (!isObject(plugin)) return [{ path: [], message: `expected a plugin object, got ${show(plugin)}` }];
  if (typeof plugin.type !== 'string' || plugin.type === '')
    return [{ path: ['type'], message: `every plugin needs a "type" (the plugin binary), got ${show(plugin.type)}` }];
  const { type } = plugin;
  if (IPAM_PLUGINS.includes(type)) {
    return [
      {
        path: ['type'],
        message: `${show(type)} is an IPAM plugin: use it as the "ipam" of an interface plugin such as bridge or ptp, not as a plugin of the chain`,
      },
    ];
  }
  const fields = PLUGIN_FIELDS[type];
  if (!fields && !options.extraPluginTypes?.includes(type)) {
    return [
      {
        path: ['type'],
        message: `unknown plugin type ${show(type)}: expected one of ${Object.keys(PLUGIN_FIELDS).join(', ')}`,
      },
    ];
  }
  const issues: Issue[] = [];
  for (const [key, kind] of Object.entries(fields ?? {})) {
    if (plugin[key] !== undefined) issues.push(...checkField(plugin[key], kind, [key]));
  }
  for (const key of REQUIRED_FIELDS[type] ?? []) {
    if (plugin[key] === undefined) issues.push({ path: [key], message: `is required by the ${type} plugin` });
  }
  if (plugin.capabilities !== undefined) {
    if (!isObject(plugin.capabilities))
      issues.push({
        path: ['capabilities'],
        message: `expected an object of capability: true|false, got ${show(plugin.capabilities)}`,
      });
    else {
      for (const [name, on] of Object.entries(plugin.capabilities)) {
        if (typeof on !== 'boolean')
          issues.push({ path: ['capabilities', name], message: `expected true or false, got ${show(on)}` });
      }
    }
  }
  if (plugin.ipam !== undefined) issues.push(...under(['ipam'], validateIpam(plugin.ipam, options)));
  else if (NEEDS_IPAM.includes(type))
    issues.push({ path: ['ipam'], message: `is required by the ${type} plugin (it has no addresses without it)` });
  return issues;
}

function checkField(value: unknown, kind: FieldKind, path: Array<string | number>): Issue[] {
  const fail = (expected: string): Issue[] => [{ path, message: `expected ${expected}, got ${show(value)}` }];
  if (typeof kind === 'object')
    return typeof value === 'string' && kind.oneOf.includes(value) ? [] : fail(`one of ${kind.oneOf.join(', ')}`);
  switch (kind) {
    case 'bool':
      return typeof value === 'boolean' ? [] : fail('true or false');
    case 'string':
      return typeof value === 'string' ? [] : fail('a string');
    case 'path':
      return typeof value === 'string' && value.startsWith('/') ? [] : fail('an absolute path');
    case 'ifname':
      return typeof value === 'string' && INTERFACE_NAME.test(value)
        ? []
        : fail('a Linux interface name (1-15 characters from A-Z a-z 0-9 _ . -)');
    case 'mtu':
      return Number.isInteger(value) && (value as number) >= 68 && (value as number) <= 65535
        ? []
        : fail('an MTU 68-65535');
    case 'uint':
      return Number.isInteger(value) && (value as number) >= 0 ? [] : fail('a whole number >= 0');
    case 'bit':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 31
        ? []
        : fail('a mark bit 0-31');
    case 'vlanId':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 4094
        ? []
        : fail('a VLAN id 0-4094');
    case 'mac':
      return typeof value === 'string' && MAC_ADDRESS.test(value)
        ? []
        : fail('a MAC address such as 02:42:ac:11:00:02');
    case 'object':
      return isObject(value) ? [] : fail('an object');
    case 'strings':
      return Array.isArray(value) && value.every((v) => typeof v === 'string') ? [] : fail('a list of strings');
    case 'sysctl': {
      if (!isObject(value)) return fail('an object of sysctl: "value"');
      const issues: Issue[] = [];
      for (const [key, setting] of Object.entries(value)) {
        if (!SYSCTL_KEY.test(key) || !key.startsWith('net.')) {
          issues.push({
            path: [...path, key],
            message: `${show(key)} is not allowed: the tuning plugin only sets net.* sysctls`,
          });
        } else if (typeof setting !== 'string') {
          issues.push({ path: [...path, key], message: `sysctl values are strings, got ${show(setting)}` });
        }
      }
      return issues;
    }
  }
  return [];
}

/** Checks an `ipam` object; paths are relative to it. */
export function validateIpam(ipam: unknown, options: CniValidationOptions = {}): Issue[] {
  if (!isObject(ipam)) return [{ path: [], message: `expected an IPAM object with a "type", got ${show(ipam)}` }];
  switch (ipam.type) {
    case 'host-local':
      return validateHostLocal(ipam);
    case 'dhcp':
      return ipam.daemonSocketPath === undefined ? [] : checkField(ipam.daemonSocketPath, 'path', ['daemonSocketPath']);
    case 'static':
      return validateStatic(ipam);
    default:
      if (typeof ipam.type === 'string' && options.extraIpamTypes?.includes(ipam.type)) return [];
      return [
        { path: ['type'], message: `unknown IPAM type ${show(ipam.type)}: expected one of ${IPAM_PLUGINS.join(', ')}` },
      ];
  }
}

/** One host-local range with its parsed subnet (for overlap and podCidr checks). */
interface CheckedRange {
  readonly path: Array<string | number>;
  readonly subnet: IpNetwork;
  readonly text: string;
}

function validateHostLocal(ipam: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const hasSubnet = ipam.subnet !== undefined;
  if (hasSubnet && ipam.ranges !== undefined) {
    issues.push({ path: ['ranges'], message: 'give either "subnet" (one range) or "ranges", not both' });
  } else if (!hasSubnet && ipam.ranges === undefined) {
    issues.push({ path: [], message: 'host-local needs "subnet" or "ranges" to allocate addresses from' });
  }
  if (hasSubnet) issues.push(...checkRange(ipam, []).issues);
  if (ipam.ranges !== undefined) {
    if (!Array.isArray(ipam.ranges) || ipam.ranges.length === 0) {
      issues.push({
        path: ['ranges'],
        message: `expected a list of range sets (lists of ranges), got ${show(ipam.ranges)}`,
      });
    } else {
      ipam.ranges.forEach((set: unknown, i: number) => {
        if (!Array.isArray(set) || set.length === 0) {
          issues.push({ path: ['ranges', i], message: `expected a non-empty list of ranges, got ${show(set)}` });
          return;
        }
        const checked: CheckedRange[] = [];
        set.forEach((range: unknown, j: number) => {
          const result = checkRange(range, ['ranges', i, j]);
          issues.push(...result.issues);
          if (result.range) checked.push(result.range);
        });
        // One range set hands out one address per container, so its ranges must be of one family and disjoint.
        checked.forEach((range, k) => {
          const first = checked[0];
          if (range.subnet.family !== first.subnet.family) {
            issues.push({
              path: [...range.path, 'subnet'],
              message: `${show(range.text)} is IPv${range.subnet.family} but ${show(first.text)} in the same range set is IPv${first.subnet.family}: put each family in its own range set`,
            });
            return;
          }
          for (const other of checked.slice(0, k)) {
            if (ipNetworksOverlap(other.subnet, range.subnet)) {
              issues.push({
                path: [...range.path, 'subnet'],
                message: `${show(range.text)} overlaps ${show(other.text)} in the same range set`,
              });
            }
          }
        });
      });
    }
  }
  if (ipam.routes !== undefined) issues.push(...checkRoutes(ipam.routes));
  if (ipam.dataDir !== undefined) issues.push(...checkField(ipam.dataDir, 'path', ['dataDir']));
  if (ipam.resolvConf !== undefined) issues.push(...checkField(ipam.resolvConf, 'path', ['resolvConf']));
  return issues;
}

/** Checks subnet / rangeStart / rangeEnd / gateway of one range (or of the top-level `subnet` form). */
function checkRange(range: unknown, path: Array<string | number>): { range?: CheckedRange; issues: Issue[] } {
  if (!isObject(range))
    return { issues: [{ path, message: `expected a range object with a "subnet", got ${show(range)}` }] };
  const subnet = parseIpNetwork(range.subnet);
  if (!subnet.ok)
    return {
      issues: [{ path: [...path, 'subnet'], message: range.subnet === undefined ? 'is required' : subnet.error }],
    };
  const issues: Issue[] = [];
  const net = subnet.value;
  const subnetText = range.subnet as string;
  // host-local refuses networks without room for a network, a gateway and one container.
  if (ipNetworkPrefix(net) > (net.family === 4 ? 30 : 126)) {
    issues.push({
      path: [...path, 'subnet'],
      message: `${show(subnetText)} is too small to allocate from (host-local needs /${net.family === 4 ? 30 : 126} or larger)`,
    });
  }
  const addresses: Partial<Record<'rangeStart' | 'rangeEnd' | 'gateway', IpAddress>> = {};
  for (const key of ['rangeStart', 'rangeEnd', 'gateway'] as const) {
    if (range[key] === undefined) continue;
    const parsed = parseIpAddress(range[key]);
    if (!parsed.ok) issues.push({ path: [...path, key], message: parsed.error });
    else if (!ipNetworkContains(net, parsed.value)) {
      issues.push({
        path: [...path, key],
        message: `${key} ${show(range[key])} is outside subnet ${show(subnetText)}`,
      });
    } else addresses[key] = parsed.value;
  }
  if (addresses.rangeStart && addresses.rangeEnd && !ipAddressNotAfter(addresses.rangeStart, addresses.rangeEnd)) {
    issues.push({
      path: [...path, 'rangeEnd'],
      message: `rangeEnd ${show(range.rangeEnd)} comes before rangeStart ${show(range.rangeStart)}`,
    });
  }
  return { range: { path, subnet: net, text: subnetText }, issues };
}

function checkRoutes(routes: unknown): Issue[] {
  if (!Array.isArray(routes))
    return [{ path: ['routes'], message: `expected a list of {dst, gw}, got ${show(routes)}` }];
  return routes.flatMap((route: unknown, i: number): Issue[] => {
    if (!isObject(route)) return [{ path: ['routes', i], message: `expected {dst, gw}, got ${show(route)}` }];
    const issues: Issue[] = [];
    // Like Go's net.ParseCIDR, a route destination may carry host bits (the cni.dev example does).
    const dst = parseIpNetwork(route.dst, true);
    if (!dst.ok)
      issues.push({ path: ['routes', i, 'dst'], message: route.dst === undefined ? 'is required' : dst.error });
    if (route.gw !== undefined) {
      const gw = parseIpAddress(route.gw);
      if (!gw.ok) issues.push({ path: ['routes', i, 'gw'], message: gw.error });
      else if (dst.ok && gw.value.family !== dst.value.family) {
        issues.push({
          path: ['routes', i, 'gw'],
          message: `gateway ${show(route.gw)} is IPv${gw.value.family} but dst ${show(route.dst)} is IPv${dst.value.family}`,
        });
      }
    }
    return issues;
  });
}

function validateStatic(ipam: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  if (ipam.addresses !== undefined) {
    if (!Array.isArray(ipam.addresses))
      issues.push({
        path: ['addresses'],
        message: `expected a list of {address, gateway}, got ${show(ipam.addresses)}`,
      });
    else {
      ipam.addresses.forEach((entry: unknown, i: number) => {
        const address = isObject(entry) ? entry.address : undefined;
        const parsed = parseIpNetwork(address, true);
        if (!parsed.ok) issues.push({ path: ['addresses', i, 'address'], message: parsed.error });
        if (isObject(entry) && entry.gateway !== undefined) {
          const gw = parseIpAddress(entry.gateway);
          if (!gw.ok) issues.push({ path: ['addresses', i, 'gateway'], message: gw.error });
        }
      });
    }
  }
  if (ipam.routes !== undefined) issues.push(...checkRoutes(ipam.routes));
  return issues;
}

/** Every host-local subnet of a list, with its path relative to the list (for checks against the pod CIDR). */
export function hostLocalSubnets(list: CniNetworkList): Array<{ path: Array<string | number>; text: string }> {
  const found: Array<{ path: Array<string | number>; text: string }> = [];
  (Array.isArray(list.plugins) ? list.plugins : []).forEach((plugin, i) => {
    const ipam = isObject(plugin) ? plugin.ipam : undefined;
    if (!isObject(ipam) || ipam.type !== 'host-local') return;
    if (typeof ipam.subnet === 'string') found.push({ path: ['plugins', i, 'ipam', 'subnet'], text: ipam.subnet });
    if (Array.isArray(ipam.ranges)) {
      ipam.ranges.forEach((set: unknown, j: number) => {
        if (!Array.isArray(set)) return;
        set.forEach((range: unknown, k: number) => {
          if (isObject(range) && typeof range.subnet === 'string')
            found.push({ path: ['plugins', i, 'ipam', 'ranges', j, k, 'subnet'], text: range.subnet });
        });
      });
    }
  });
  return found;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
