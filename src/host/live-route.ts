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
  /** Main-table routes of the target's family (those that contain it, or the whole table): the route is named from them. */
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

/** The `ip` argv prefix of a place: inside its network namespace when it is a namespace or a pod. */
function ipAt(at: string): string[] {
  const namespace = at.split('/')[1];
  return [...(namespace !== undefined ? ['ip', 'netns', 'exec', namespace] : []), 'ip'];
}

/** The `ip route` words asking about one hop: `route get DST [from SRC iif DEV]` (a forwarded packet). */
function hopRouteGet({ next }: HopQuery): string[] {
  return [
    'route',
    'get',
    next.dst,
    ...(next.iif !== undefined && next.src !== undefined ? ['from', next.src, 'iif', next.iif] : []),
  ];
}

/** The question as a user would type it: `ip route get 192.168.20.11 from 192.168.10.11 iif eth0`. */
export function hopAsked(query: HopQuery): string {
  return ['ip', ...hopRouteGet(query)].join(' ');
}

/** The hops of `queries` by place, in the order first asked: a place's questions go to one `ip -batch`. */
function byPlace(queries: ReadonlyArray<HopQuery>): Array<[string, HopQuery[]]> {
  const places = new Map<string, HopQuery[]>();
  for (const query of queries) places.set(query.at, [...(places.get(query.at) ?? []), query]);
  return [...places];
}

/** The families of a place's questions: `ip route show` lists one family's table (`-6` for IPv6). */
const familyFlags = (queries: ReadonlyArray<HopQuery>): string[] => [
  ...new Set(queries.map((q) => (q.next.dst.includes(':') ? '-6' : '-4'))),
];

/**
 * The script lines asking the kernel about each query, read-only, so they run in whatever round trip the caller
 * already makes to the node. Per place, a few processes whatever the number of questions (a router on every path of
 * a large cluster is asked thousands): one `ip -j -force -batch -` with a `route get` per question (each answer
 * one JSON line on stdout, in order; a refused one is its message and `Command failed -:N` on stderr, kept apart
 * through fd 3), and `ip -j route show` per family, from which each answer's route is named.
 */
export function hopReadLines(queries: ReadonlyArray<HopQuery>, marker: string): string[] {
  const tag = (what: string, place: number, variable: string, source: string) =>
    `${source} | while IFS= read -r ${variable}; do printf '%s %s\\n' ${quoteArg(`${marker} hop-${what} ${place}`)} "$${variable}"; done`;
  return byPlace(queries).flatMap(([at, mine], p) => {
    const batch = `printf '%s\\n' ${mine.map((q) => quoteArg(hopRouteGet(q).join(' '))).join(' ')} | ${quoteCommand([...ipAt(at), '-j', '-force', '-batch', '-'])}`;
    return [
      `{ netstrap_hop_err=$( { ${tag('out', p, 'netstrap_l', batch)} >&3; } 2>&1 ); ${tag('err', p, 'netstrap_l', `printf '%s\\n' "$netstrap_hop_err"`)}; } 3>&1`,
      ...familyFlags(mine).map(
        (flag) =>
          `printf '%s %s\\n' ${quoteArg(`${marker} hop-table ${p} ${flag}`)} "$(${quoteCommand([...ipAt(at), '-j', flag, 'route', 'show'])} 2>&1)"`,
      ),
    ];
  });
}

/** The answers of {@link hopReadLines} in `output`, by {@link hopKey} (a query without an answer is left out). */
export function parseHopReads(
  output: string,
  queries: ReadonlyArray<HopQuery>,
  marker: string,
): Map<string, LiveRoute> {
  const outs = new Map<number, string[]>();
  const errs = new Map<number, string[]>();
  const tables = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = line.startsWith(`${marker} `)
      ? /^hop-(out|err|table) (\d+) ?(.*)$/.exec(line.slice(marker.length + 1))
      : null;
    if (!match) continue;
    const place = Number(match[2]);
    if (match[1] === 'table') {
      const [flag, ...json] = match[3].split(' ');
      tables.set(`${place} ${flag}`, json.join(' '));
    } else {
      const lines = match[1] === 'out' ? outs : errs;
      lines.set(place, [...(lines.get(place) ?? []), match[3]]);
    }
  }
  const answers = new Map<string, LiveRoute>();
  byPlace(queries).forEach(([, mine], p) => {
    // stderr: each refused question's message, then `Command failed -:N` (N counts from 1); anything else (no such
    // namespace, no ip -batch) is said for every question left without an answer.
    const refused = new Map<number, string>();
    let message: string[] = [];
    for (const line of errs.get(p) ?? []) {
      const failed = /^Command failed -:(\d+)$/.exec(line);
      if (failed) {
        refused.set(Number(failed[1]) - 1, message.join('; '));
        message = [];
      } else if (line.trim() !== '') message.push(line.replace(/^RTNETLINK answers: /, '').trim());
    }
    const out = [...(outs.get(p) ?? [])];
    mine.forEach((query, i) => {
      const table = tables.get(`${p} ${query.next.dst.includes(':') ? '-6' : '-4'}`);
      const get = refused.has(i) ? `RTNETLINK answers: ${refused.get(i) || 'refused'}` : out.shift();
      const live = parseLive(get ?? (message.length > 0 ? message.join('; ') : undefined), table);
      if (live) answers.set(hopKey(query), live);
    });
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
