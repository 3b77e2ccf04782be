/** Checking CNI configurations: spec version and name, plugin order and options, host-local and static IPAM. */
import { z } from 'zod';
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
import { valueAt } from '../zod-issues';
import {
  CHAIN_PLUGINS,
  type CniPluginType,
  cniRouteSchema,
  genericPluginSchema,
  INTERFACE_PLUGINS,
  IPAM_PLUGINS,
  type IpamType,
  ipamFieldSchemas,
  ipamOptionsSchemas,
  META_PLUGINS,
  NEEDS_IPAM,
  pluginFieldSchemas,
} from './plugins';
import { CNI_NETWORK_NAME, CNI_VERSIONS, CniNetworkList, CniPluginObject } from './types';

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
  if (isObject(first) && (META_PLUGINS as readonly string[]).includes(first.type as string)) {
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

/**
 * The shape issues of `value` against a plugin or IPAM schema (./plugins.ts), as "expected <what>, got <value>";
 * a missing required field says `required`.
 */
function shapeIssues(schema: z.ZodType, value: unknown, required: string): Issue[] {
  const parsed = schema.safeParse(value);
  return (parsed.error?.issues ?? []).map((issue) => {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'custom') return { path, message: issue.message };
    const found = valueAt(value, path);
    if (!found.present) return { path, message: required };
    return { path, message: `${issue.message}, got ${show(found.value)}` };
  });
}

/** Checks one plugin object; paths are relative to it. */
export function validatePlugin(plugin: CniPluginObject, options: CniValidationOptions = {}): Issue[] {
  if (!isObject(plugin)) return [{ path: [], message: `expected a plugin object, got ${show(plugin)}` }];
  if (typeof plugin.type !== 'string' || plugin.type === '')
    return [{ path: ['type'], message: `every plugin needs a "type" (the plugin binary), got ${show(plugin.type)}` }];
  const { type } = plugin;
  if ((IPAM_PLUGINS as readonly string[]).includes(type)) {
    return [
      {
        path: ['type'],
        message: `${show(type)} is an IPAM plugin: use it as the "ipam" of an interface plugin such as bridge or ptp, not as a plugin of the chain`,
      },
    ];
  }
  const schema = Object.hasOwn(pluginFieldSchemas, type) ? pluginFieldSchemas[type as CniPluginType] : undefined;
  if (!schema && !options.extraPluginTypes?.includes(type)) {
    return [
      {
        path: ['type'],
        message: `unknown plugin type ${show(type)}: expected one of ${CHAIN_PLUGINS.join(', ')}`,
      },
    ];
  }
  // The ipam object is checked on its own (validateIpam): its type may be one the options allow.
  const { ipam, ...fields } = plugin;
  const issues = shapeIssues(schema ?? genericPluginSchema, fields, `is required by the ${type} plugin`);
  if (ipam !== undefined) issues.push(...under(['ipam'], validateIpam(ipam, options)));
  else if (NEEDS_IPAM.includes(type as CniPluginType))
    issues.push({ path: ['ipam'], message: `is required by the ${type} plugin (it has no addresses without it)` });
  return issues;
}

/** Checks an `ipam` object; paths are relative to it. The shape first, then what a schema cannot say. */
export function validateIpam(ipam: unknown, options: CniValidationOptions = {}): Issue[] {
  if (!isObject(ipam)) return [{ path: [], message: `expected an IPAM object with a "type", got ${show(ipam)}` }];
  const type = ipam.type;
  if (typeof type === 'string' && !Object.hasOwn(ipamOptionsSchemas, type) && options.extraIpamTypes?.includes(type))
    return [];
  if (typeof type !== 'string' || !Object.hasOwn(ipamOptionsSchemas, type))
    return [{ path: ['type'], message: `unknown IPAM type ${show(type)}: expected one of ${IPAM_PLUGINS.join(', ')}` }];
  const { type: _type, ...fields } = ipam;
  void _type;
  const issues = shapeIssues(ipamFieldSchemas[type as IpamType], fields, 'is required');
  if (issues.length > 0) return issues;
  if (type === 'host-local') return validateHostLocal(ipam as HostLocal);
  if (type === 'static') return validateStatic(ipam as Static);
  return [];
}

/** One host-local range with its parsed subnet (for overlap and podCidr checks). */
interface CheckedRange {
  readonly path: Array<string | number>;
  readonly subnet: IpNetwork;
  readonly text: string;
}

type HostLocal = z.output<(typeof ipamOptionsSchemas)['host-local']>;
type Static = z.output<(typeof ipamOptionsSchemas)['static']>;
type Route = z.output<typeof cniRouteSchema>;

/** What a schema cannot say of host-local: one of subnet and ranges, each range a network with room to allocate. */
function validateHostLocal(ipam: HostLocal): Issue[] {
  const issues: Issue[] = [];
  if (ipam.subnet !== undefined && ipam.ranges !== undefined) {
    issues.push({ path: ['ranges'], message: 'give either "subnet" (one range) or "ranges", not both' });
  } else if (ipam.subnet === undefined && ipam.ranges === undefined) {
    issues.push({ path: [], message: 'host-local needs "subnet" or "ranges" to allocate addresses from' });
  }
  if (ipam.subnet !== undefined) issues.push(...checkRange({ ...ipam, subnet: ipam.subnet }, []).issues);
  (ipam.ranges ?? []).forEach((set, i) => {
    const checked: CheckedRange[] = [];
    set.forEach((range, j) => {
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
  issues.push(...checkRoutes(ipam.routes ?? []));
  return issues;
}

/** Checks subnet / rangeStart / rangeEnd / gateway of one range (or of the top-level `subnet` form). */
function checkRange(
  range: {
    readonly subnet: string;
    readonly rangeStart?: string;
    readonly rangeEnd?: string;
    readonly gateway?: string;
  },
  path: Array<string | number>,
): { range?: CheckedRange; issues: Issue[] } {
  const subnet = parseIpNetwork(range.subnet);
  if (!subnet.ok) return { issues: [{ path: [...path, 'subnet'], message: subnet.error }] };
  const issues: Issue[] = [];
  const net = subnet.value;
  // host-local refuses networks without room for a network, a gateway and one container.
  if (ipNetworkPrefix(net) > (net.family === 4 ? 30 : 126)) {
    issues.push({
      path: [...path, 'subnet'],
      message: `${show(range.subnet)} is too small to allocate from (host-local needs /${net.family === 4 ? 30 : 126} or larger)`,
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
        message: `${key} ${show(range[key])} is outside subnet ${show(range.subnet)}`,
      });
    } else addresses[key] = parsed.value;
  }
  if (addresses.rangeStart && addresses.rangeEnd && !ipAddressNotAfter(addresses.rangeStart, addresses.rangeEnd)) {
    issues.push({
      path: [...path, 'rangeEnd'],
      message: `rangeEnd ${show(range.rangeEnd)} comes before rangeStart ${show(range.rangeStart)}`,
    });
  }
  return { range: { path, subnet: net, text: range.subnet }, issues };
}

/** Each route's destination a network (host bits allowed) and its gateway an address of the same family. */
function checkRoutes(routes: ReadonlyArray<Route>): Issue[] {
  return routes.flatMap((route, i): Issue[] => {
    const issues: Issue[] = [];
    // Like Go's net.ParseCIDR, a route destination may carry host bits (the cni.dev example does).
    const dst = parseIpNetwork(route.dst, true);
    if (!dst.ok) issues.push({ path: ['routes', i, 'dst'], message: dst.error });
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

/** Each static address an address with its prefix, each gateway an address. */
function validateStatic(ipam: Static): Issue[] {
  const issues: Issue[] = [];
  (ipam.addresses ?? []).forEach((entry, i) => {
    const parsed = parseIpNetwork(entry.address, true);
    if (!parsed.ok) issues.push({ path: ['addresses', i, 'address'], message: parsed.error });
    if (entry.gateway !== undefined) {
      const gw = parseIpAddress(entry.gateway);
      if (!gw.ok) issues.push({ path: ['addresses', i, 'gateway'], message: gw.error });
    }
  });
  issues.push(...checkRoutes(ipam.routes ?? []));
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
