/**
 * `ip -j` facts shared by several resource kinds: links, addresses and routes, of the node or inside one of its
 * network namespaces, and the node's namespace list. The same command is the same fact (one name), so kinds that
 * need it share one read; its output is validated against the fields netstrap reads, not cast.
 *
 * Every fact command must print nothing (not fail) when the thing is absent; commands that could fail are wrapped
 * in `sh -c '...; true'` with the values passed as positional parameters, never spliced into the script text.
 */
import { z } from 'zod';
import { type Fact, type FactSet, fact } from '../fact';

const ipLinkSchema = z.object({
  ifname: z.string(),
  flags: z.array(z.string()).optional(),
  mtu: z.number().optional(),
  master: z.string().optional(),
  linkinfo: z.object({ info_kind: z.string().optional() }).optional(),
});

// Some iproute2 versions print address entries without a local address (`{}`): kept out, as nothing is there.
const addrInfoSchema = z.object({
  family: z.string().optional(),
  local: z.string().optional(),
  prefixlen: z.number().optional(),
  /** Set by the kernel for an address with a lifetime: SLAAC's or DHCP's, never one added by hand. */
  dynamic: z.boolean().optional(),
});

const ipAddrSchema = ipLinkSchema.extend({ addr_info: z.array(addrInfoSchema).optional() });

const ipRouteSchema = z.object({
  dst: z.string(),
  /** `blackhole`, `unreachable`, `prohibit`, `throw` …; absent for a unicast route. */
  type: z.string().optional(),
  gateway: z.string().optional(),
  dev: z.string().optional(),
  metric: z.number().optional(),
  protocol: z.string().optional(),
  scope: z.string().optional(),
  prefsrc: z.string().optional(),
  flags: z.array(z.string()).optional(),
  /** Seconds left of a route with a lifetime (one a router advertisement gave, `proto ra`). */
  expires: z.number().optional(),
  /** The table, printed for routes outside main (`ip route show table all`). */
  table: z.string().optional(),
  /** A route's preference: the kernel sends it for every IPv6 route, never for an IPv4 one. */
  pref: z.string().optional(),
});

/** One entry of `ip -j -d link show` (only the fields netstrap reads). */
export type IpLink = Readonly<z.infer<typeof ipLinkSchema>>;

/** One entry of `ip -j addr show`. */
export interface IpAddrEntry extends IpLink {
  readonly addr_info?: ReadonlyArray<{
    readonly family: string;
    readonly local: string;
    readonly prefixlen: number;
    readonly dynamic?: boolean;
  }>;
}

/** One entry of `ip -j route show table main`. */
export type IpRoute = Readonly<z.infer<typeof ipRouteSchema>>;

/** The main routing table of both families: the kernel keeps one per family (`default` of each is its own 0/0). */
export interface MainRoutes {
  readonly 4: ReadonlyArray<IpRoute>;
  readonly 6: ReadonlyArray<IpRoute>;
}

/** A JSON array printed by `ip -j` (empty output: none), each entry checked against `schema`. */
function jsonArray<T>(schema: z.ZodType<T>, output: string, what: string): T[] {
  if (output.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (error) {
    throw new Error(`fact ${what}: cannot parse ip -j output: ${(error as Error).message}`);
  }
  const result = z.array(schema).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`fact ${what}: ip -j output is not as expected at [${issue.path.join('].[')}]: ${issue.message}`);
  }
  return result.data;
}

const parseAddrs = (output: string): IpAddrEntry[] =>
  jsonArray(ipAddrSchema, output, 'ip addr').map((entry) => ({
    ...entry,
    addr_info: (entry.addr_info ?? []).flatMap((a) =>
      a.family !== undefined && a.local !== undefined && a.prefixlen !== undefined
        ? [{ family: a.family, local: a.local, prefixlen: a.prefixlen, ...(a.dynamic ? { dynamic: true } : {}) }]
        : [],
    ),
  }));
/** `ip -j route` output → routes (shared with diagnose's reading of other tables). */
export const parseRoutes = (output: string): IpRoute[] => jsonArray(ipRouteSchema, output, 'ip route');

/**
 * The family of a route `ip -j route show table all` printed: entries carry no family, but the kernel sends a
 * preference (`pref`) with every IPv6 route and none with an IPv4 one; an IPv6 destination or gateway says it too.
 */
export function routeFamily(route: IpRoute): 4 | 6 {
  return route.pref !== undefined || route.dst.includes(':') || (route.gateway ?? '').includes(':') ? 6 : 4;
}

/**
 * `ip -j route show table all` (or `table main`, IPv4 only) → the main table's routes of each family. One process
 * reads both families: `ip route show table main` reads IPv4 only (iproute2 takes a table filter for IPv4 when no
 * family is given), `table all` every family, and the main table's entries are those printed without a table.
 */
export function parseMainRoutes(output: string): MainRoutes {
  const main = parseRoutes(output).filter((route) => route.table === undefined || route.table === 'main');
  return { 4: main.filter((route) => routeFamily(route) === 4), 6: main.filter((route) => routeFamily(route) === 6) };
}

/** The argv of `ip ARGS` on the node (ns undefined), or inside one of its namespaces (empty when it is absent). */
function ipArgv(ns: string | undefined, args: ReadonlyArray<string>): string[] {
  return ns === undefined
    ? ['ip', ...args]
    : ['sh', '-c', 'n=$1; shift; ip -n "$n" "$@" 2>/dev/null; true', 'sh', ns, ...args];
}

const prefix = (ns: string | undefined) => (ns === undefined ? 'ip' : `netns:${ns}:ip`);

/**
 * Links and their addresses in one `ip` process: `ip -j -d addr show` prints every field the links are read for
 * (flags, mtu, master, linkinfo) beside each link's addresses.
 */
export function ipAddrs(ns?: string): Fact<IpAddrEntry[]> {
  return fact(`${prefix(ns)}-addr`, ipArgv(ns, LINK_ADDR_SHOW), parseAddrs);
}

/** `ip` arguments reading links and addresses at once. */
export const LINK_ADDR_SHOW: ReadonlyArray<string> = ['-j', '-d', 'addr', 'show'];

/** The main table's routes of both families, in one `ip` process. */
export function ipRoutes(ns?: string): Fact<MainRoutes> {
  return fact(`${prefix(ns)}-route`, ipArgv(ns, ROUTE_SHOW), parseMainRoutes);
}

/** The main table's routes of `family` (of the node, or of namespace `ns`), from the one route fact. */
export function mainRoutes(facts: FactSet, family: 4 | 6, ns?: string): ReadonlyArray<IpRoute> {
  return facts.get(ipRoutes(ns))[family];
}

/** `ip` arguments reading every family's routes (parseMainRoutes keeps the main table's). */
export const ROUTE_SHOW: ReadonlyArray<string> = ['-j', 'route', 'show', 'table', 'all'];

/** The `ip -j` facts (links with their addresses, main routes) of the node (ns undefined) or of one of its namespaces. */
export function ipFacts(ns?: string): Fact<unknown>[] {
  return [ipAddrs(ns), ipRoutes(ns)];
}

/** Parsed `ip -j` facts of the node or of one namespace; all empty when the namespace does not exist. */
export interface IpState {
  readonly links: ReadonlyArray<IpLink>;
  readonly addrs: ReadonlyArray<IpAddrEntry>;
  /** The main table's IPv4 routes. */
  readonly routes: ReadonlyArray<IpRoute>;
  /** The main table's IPv6 routes. */
  readonly routes6: ReadonlyArray<IpRoute>;
}

function stateOf(addrs: IpAddrEntry[], routes: MainRoutes): IpState {
  return { links: addrs, addrs, routes: routes[4], routes6: routes[6] };
}

export function ipState(facts: FactSet, ns?: string): IpState {
  return stateOf(facts.get(ipAddrs(ns)), facts.get(ipRoutes(ns)));
}

/** The state `ip -j -d addr` and `ip -j route` printed (each output may be empty), parsed as the facts are. */
export function ipStateOf(addrs: string, routes: string): IpState {
  return stateOf(parseAddrs(addrs), parseMainRoutes(routes));
}

/** The main table's routes of `family`. */
export function familyRoutes(state: IpState, family: 4 | 6): ReadonlyArray<IpRoute> {
  return family === 4 ? state.routes : state.routes6;
}

/** The IPv4 addresses (`a.b.c.d/n`) of one interface. */
export function ipv4Addresses(state: IpState, ifname: string): string[] {
  const entry = state.addrs.find((a) => a.ifname === ifname);
  return (entry?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

/**
 * The global addresses (`a.b.c.d/n`, `fd00::1/64`) of one interface, both families: IPv4 first, then IPv6 without
 * the link-local ones (fe80::/10) the kernel gives every link itself; `staticOnly` leaves out IPv6 addresses with a
 * lifetime (SLAAC's, DHCPv6's), which their protocol keeps. The kernel prints IPv6 in RFC 5952 form, the
 * form the model hands hosts, so texts compare as they are.
 */
export function interfaceAddresses(state: IpState, ifname: string, staticOnly = false): string[] {
  const entry = state.addrs.find((a) => a.ifname === ifname);
  const ipv6 = (entry?.addr_info ?? [])
    .filter((a) => a.family === 'inet6' && !isLinkLocal(a.local) && !(staticOnly && a.dynamic))
    .map((a) => `${a.local}/${a.prefixlen}`);
  return [...ipv4Addresses(state, ifname), ...ipv6];
}

/** An IPv6 link-local address (fe80::/10), which the kernel sets on every link and netstrap never manages. */
export function isLinkLocal(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address);
}

export function findLink(state: IpState, ifname: string): IpLink | undefined {
  return state.links.find((l) => l.ifname === ifname);
}

export function isUp(link: IpLink | undefined): boolean {
  return (link?.flags ?? []).includes('UP');
}

/** One name per line (the glob below prints nothing when there are none). */
const parseNetnsNames = (output: string): string[] => output.split('\n').filter((name) => name !== '');

/**
 * Network namespaces of the node: the names `ip netns list` lists, its directory's entries, read by a shell glob
 * (no process; `ip netns list` is one).
 */
export const netnsList: Fact<string[]> = fact(
  'netns-list',
  ['sh', '-c', `for f in /var/run/netns/*; do [ -e "$f" ] && printf "%s\\n" "\${f##*/}"; done; true`],
  parseNetnsNames,
);
