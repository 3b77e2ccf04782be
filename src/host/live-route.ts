/**
 * What a node's kernel does with a packet of the model's path, asked with `ip -j route get` (and `ip -j route show
 * match` to name the route), and whether that is the model's next hop. Shared by verify's explanation of a failed
 * check (verify.ts) and `netstrap trace --live` (live-trace.ts), so both ask the same question and judge the answer
 * the same way. Either address family: `ip route get` takes both.
 */
import { effectiveNode } from '../model/effective';
import { canonicalRouteDestination, parseRouteAddress, RouteTable } from '../model/route-table';
import type { Cluster } from '../model/schema';
import type { TraceNextHop } from '../model/trace';
import { type IpRoute, parseRoutes } from './resources/ip-facts';
import { quoteArg, quoteCommand } from './shell';

/** What a place's kernel said about a destination: `ip -j route get` and `ip -j route show match`. */
export interface LiveRoute {
  /** The first entry of `ip -j route get` (absent: the kernel refused, see `error`). */
  readonly get?: IpRoute & { readonly table?: string };
  readonly error?: string;
  /** The main-table routes that contain the target. */
  readonly matching: ReadonlyArray<IpRoute>;
}

export function parseLive(get: string | undefined, match: string | undefined): LiveRoute | undefined {
  if (get === undefined) return undefined;
  let matching: IpRoute[] = [];
  try {
    matching = parseRoutes(match ?? '');
  } catch {
    // an error text instead of JSON: no matching route to name
  }
  try {
    const entry = (parseRoutes(get) as Array<IpRoute & { table?: string }>)[0];
    return entry ? { get: entry, matching } : { error: 'no answer', matching };
  } catch {
    return { error: get.replace(/^RTNETLINK answers: /, '').trim(), matching };
  }
}

/** The node that holds an address in the cluster file, if any. */
function holder(cluster: Cluster, address: string): string | undefined {
  return cluster.nodes.find((n) =>
    [...n.interfaces.flatMap((i) => i.addresses), ...n.bridges.flatMap((b) => b.addresses)].some(
      (a) => a.split('/')[0] === address,
    ),
  )?.name;
}

/**
 * What a place's kernel does with a packet, in words: the next hop (a node of the cluster file by name) and how it
 * got there (the matching route, declared or not; connected; an ip rule's table). `modelRoute`: the model's route
 * text at that place, to tell whether a namespace's or pod's route is the model's.
 */
export function describeLive(
  cluster: Cluster,
  placeId: string,
  live: LiveRoute,
  modelRoute: string | undefined,
): { how: string; hopName: string } {
  const get = live.get!;
  const target = parseRouteAddress(get.dst);
  const family = target?.family ?? 4;
  const matched = target ? RouteTable.of(family, live.matching, (r) => r).lookup(target)?.route : undefined;
  const routeText = matched
    ? `${matched.dst}${matched.gateway ? ` via ${matched.gateway}` : ''}${matched.dev ? ` dev ${matched.dev}` : ''}${matched.metric ? ` metric ${matched.metric}` : ''}`
    : undefined;
  const [node, namespace] = placeId.split('/');
  const clusterNode = cluster.nodes.find((n) => n.name === node);
  let how: string;
  if (get.table !== undefined && get.table !== 'main') how = `by an ip rule, table ${get.table}`;
  else if (!matched) how = 'route unknown';
  else if (matched.protocol === 'kernel') how = `route ${routeText}, connected`;
  else {
    const declared =
      namespace === undefined && clusterNode
        ? effectiveNode(cluster, clusterNode).routes.some(
            (r) =>
              canonicalRouteDestination(r.to, family) === canonicalRouteDestination(matched.dst, family) &&
              r.via === matched.gateway &&
              (r.metric ?? 0) === (matched.metric ?? 0),
          )
        : modelRoute?.startsWith(`${matched.dst} `) === true;
    how = `route ${routeText}, ${declared ? 'declared' : 'not declared'}`;
  }
  const named = get.gateway ? holder(cluster, get.gateway) : undefined;
  const hopName = get.gateway ? (named ? `${named} (${get.gateway})` : get.gateway) : `on-link ${get.dev ?? ''}`.trim();
  return { how, hopName };
}

/** A hop of the model's path to ask a kernel about: the place (node, node/namespace, node/pod) and its next hop. */
export interface HopQuery {
  readonly at: string;
  readonly next: TraceNextHop;
}

/** The node a place is on. */
export const placeNode = (at: string): string => at.split('/')[0];

/** One name per distinct question (place, destination, and for a forwarded packet its source and interface). */
export function hopKey({ at, next }: HopQuery): string {
  return [at, next.dst, next.src ?? '', next.iif ?? ''].join(' ');
}

/** The `ip` argv asking the kernel about one hop, inside the place's namespace when it is one. */
export function hopArgv({ at, next }: HopQuery, what: 'get' | 'match'): string[] {
  const namespace = at.split('/')[1];
  const ip = [...(namespace !== undefined ? ['ip', 'netns', 'exec', namespace] : []), 'ip', '-j', 'route'];
  if (what === 'match') return [...ip, 'show', 'match', next.dst];
  return [
    ...ip,
    'get',
    next.dst,
    ...(next.iif !== undefined && next.src !== undefined ? ['from', next.src, 'iif', next.iif] : []),
  ];
}

/** The question as a user would type it: `ip route get 192.168.20.11 from 192.168.10.11 iif eth0`. */
export function hopAsked(query: HopQuery): string {
  return hopArgv(query, 'get')
    .slice(query.at.includes('/') ? 4 : 0)
    .filter((w) => w !== '-j')
    .join(' ');
}

/**
 * The script lines asking the kernel about each query (its answers tagged with the marker and the query's index);
 * read-only, so they run in whatever round trip the caller already makes to the node.
 */
export function hopReadLines(queries: ReadonlyArray<HopQuery>, marker: string): string[] {
  return queries.flatMap((query, i) => [
    `printf '%s %s\\n' ${quoteArg(`${marker} hop-get ${i}`)} "$(${quoteCommand(hopArgv(query, 'get'))} 2>&1)"`,
    `printf '%s %s\\n' ${quoteArg(`${marker} hop-match ${i}`)} "$(${quoteCommand(hopArgv(query, 'match'))} 2>&1)"`,
  ]);
}

/** The answers of {@link hopReadLines} in `output`, by {@link hopKey} (a query without an answer is left out). */
export function parseHopReads(
  output: string,
  queries: ReadonlyArray<HopQuery>,
  marker: string,
): Map<string, LiveRoute> {
  const lines = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = line.startsWith(`${marker} `)
      ? /^hop-(get|match) (\d+) ?(.*)$/.exec(line.slice(marker.length + 1))
      : null;
    if (match) lines.set(`${match[1]} ${match[2]}`, match[3]);
  }
  const answers = new Map<string, LiveRoute>();
  queries.forEach((query, i) => {
    const live = parseLive(lines.get(`get ${i}`), lines.get(`match ${i}`));
    if (live) answers.set(hopKey(query), live);
  });
  return answers;
}

/** A kernel's answer for one hop beside the model's. */
export interface HopVerdict {
  /** The kernel sends the packet where the model does (same gateway, same interface). */
  readonly agrees: boolean;
  /** The kernel's next hop (`r1 (192.168.10.1)`, `on-link eth1`); absent when it has no route. */
  readonly hopName?: string;
  /** How: the route (`route 192.168.20.0/24 via 192.168.10.1 dev eth0, declared`), or why there is none. */
  readonly how: string;
}

/**
 * Judges the kernel's answer at a hop against the model's next hop. No route for a forwarded packet (asked with
 * `from SRC iif DEV`) is what a node that does not forward answers, so that is named as the likely cause.
 */
export function judgeHop(cluster: Cluster, { at, next }: HopQuery, answer: LiveRoute): HopVerdict {
  if (!answer.get) {
    const forwarding = next.dst.includes(':')
      ? 'net.ipv6.conf.all.forwarding 0'
      : 'net.ipv4.ip_forward 0, or rp_filter';
    const forwarded =
      next.iif !== undefined ? `: it does not forward what comes in on ${next.iif} (${forwarding})` : '';
    return { agrees: false, how: `no route (${answer.error})${forwarded}` };
  }
  const { how, hopName } = describeLive(cluster, at, answer, next.route);
  return { agrees: answer.get.gateway === next.via && answer.get.dev === next.dev, hopName, how };
}
