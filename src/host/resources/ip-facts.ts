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
});

/** One entry of `ip -j -d link show` (only the fields netstrap reads). */
export type IpLink = Readonly<z.infer<typeof ipLinkSchema>>;

/** One entry of `ip -j addr show`. */
export interface IpAddrEntry extends IpLink {
  readonly addr_info?: ReadonlyArray<{ readonly family: string; readonly local: string; readonly prefixlen: number }>;
}

/** One entry of `ip -j route show table main`. */
export type IpRoute = Readonly<z.infer<typeof ipRouteSchema>>;

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

const parseLinks = (output: string): IpLink[] => jsonArray(ipLinkSchema, output, 'ip link');
const parseAddrs = (output: string): IpAddrEntry[] =>
  jsonArray(ipAddrSchema, output, 'ip addr').map((entry) => ({
    ...entry,
    addr_info: (entry.addr_info ?? []).flatMap((a) =>
      a.family !== undefined && a.local !== undefined && a.prefixlen !== undefined
        ? [{ family: a.family, local: a.local, prefixlen: a.prefixlen }]
        : [],
    ),
  }));
/** `ip -j route` output → routes (shared with diagnose's reading of other tables). */
export const parseRoutes = (output: string): IpRoute[] => jsonArray(ipRouteSchema, output, 'ip route');

/** The argv of `ip ARGS` on the node (ns undefined), or inside one of its namespaces (empty when it is absent). */
function ipArgv(ns: string | undefined, args: string[]): string[] {
  return ns === undefined
    ? ['ip', ...args]
    : ['sh', '-c', 'n=$1; shift; ip -n "$n" "$@" 2>/dev/null; true', 'sh', ns, ...args];
}

const prefix = (ns: string | undefined) => (ns === undefined ? 'ip' : `netns:${ns}:ip`);

export function ipLinks(ns?: string): Fact<IpLink[]> {
  return fact(`${prefix(ns)}-link`, ipArgv(ns, ['-j', '-d', 'link', 'show']), parseLinks);
}

export function ipAddrs(ns?: string): Fact<IpAddrEntry[]> {
  return fact(`${prefix(ns)}-addr`, ipArgv(ns, ['-j', 'addr', 'show']), parseAddrs);
}

/**
 * The main routing table of one family (the kernel keeps one per family: `ip route` shows IPv4 only, `ip -6 route`
 * IPv6), of the node (ns undefined) or of one of its namespaces.
 */
export function ipRoutes(ns?: string, family: 4 | 6 = 4): Fact<IpRoute[]> {
  return family === 4
    ? fact(`${prefix(ns)}-route`, ipArgv(ns, ['-j', 'route', 'show', 'table', 'main']), parseRoutes)
    : fact(`${prefix(ns)}6-route`, ipArgv(ns, ['-6', '-j', 'route', 'show', 'table', 'main']), parseRoutes);
}

/** The `ip -j` facts (links, addresses, main routes) of the node (ns undefined) or of one of its namespaces. */
export function ipFacts(ns?: string): Fact<unknown>[] {
  return [ipLinks(ns), ipAddrs(ns), ipRoutes(ns)];
}

/** Parsed `ip -j` facts of the node or of one namespace; all empty when the namespace does not exist. */
export interface IpState {
  readonly links: ReadonlyArray<IpLink>;
  readonly addrs: ReadonlyArray<IpAddrEntry>;
  readonly routes: ReadonlyArray<IpRoute>;
}

export function ipState(facts: FactSet, ns?: string): IpState {
  return { links: facts.get(ipLinks(ns)), addrs: facts.get(ipAddrs(ns)), routes: facts.get(ipRoutes(ns)) };
}

/** The state `ip -j link`, `addr` and `route` printed (each output may be empty), parsed as the facts are. */
export function ipStateOf(links: string, addrs: string, routes: string): IpState {
  return { links: parseLinks(links), addrs: parseAddrs(addrs), routes: parseRoutes(routes) };
}

/** The IPv4 addresses (`a.b.c.d/n`) of one interface. */
export function ipv4Addresses(state: IpState, ifname: string): string[] {
  const entry = state.addrs.find((a) => a.ifname === ifname);
  return (entry?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

export function findLink(state: IpState, ifname: string): IpLink | undefined {
  return state.links.find((l) => l.ifname === ifname);
}

export function isUp(link: IpLink | undefined): boolean {
  return (link?.flags ?? []).includes('UP');
}

const netnsSchema = z.object({ name: z.string() });
const parseNetnsNames = (output: string): string[] => jsonArray(netnsSchema, output, 'ip netns').map((n) => n.name);

/** Network namespaces of the node (`ip -j netns list`, which prints nothing or [] when there are none). */
export const netnsList: Fact<string[]> = fact(
  'netns-list',
  ['sh', '-c', 'ip -j netns list 2>/dev/null; true'],
  parseNetnsNames,
);
