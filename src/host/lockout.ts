/**
 * The lock-out guard: a disruption check (disruption.ts) refusing changes that would alter the path of the
 * controller's own SSH session to the node.
 *
 * Facts (in the fact round trip): SSH_CONNECTION (client address and port, server address and port; passed
 * through sudo by ssh.ts) and `ip -j route get <client>`: the interface and gateway the session's replies take,
 * plus the node's links, addresses and the main routing table of the session's family (IPv4 or IPv6: the kernel
 * keeps one per family; the one route fact of ip-facts.ts reads both).
 *
 * The guard reads what the plan would really run — every change's argv — so it judges the changes of every
 * resource kind, removals included, the same way. A change alters the path when it
 * - adds or replaces a route that would win over the route to the client (or to the session's gateway):
 *   longer prefix, or the same prefix with a metric as low or lower, going another way; or deletes that route;
 * - deletes the session's address, takes its interface (or a port of it) down, changes its MTU, deletes it, or
 *   moves it into a bridge, another bridge or a network namespace;
 * - DNATs or REDIRECTs, in PREROUTING, TCP traffic the session's packets would match (its port, its address, its
 *   interface, its client), with iptables for an IPv4 session and ip6tables for an IPv6 one;
 * - changes the networkd drop-in of the session's link (networkd-drop-in kind) where networkd might not set the
 *   session's address and route again: `networkctl reload` makes systemd-networkd drop every address and route of
 *   a link whose configuration changed and set again only what its configuration holds (measured on networkd 252:
 *   the address and its routes go and come back within about 0.1 s, which an SSH session survives; an address its
 *   configuration does not hold is gone for good, and the session with it). The drop-in holds the addresses the
 *   cluster file declares on that link and the routes it declares through it, so the session is safe exactly when
 *   its address is declared there and its route to the controller is the connected route of a declared address or
 *   a declared route (or leaves by another link);
 * - turns on IPv6 forwarding while the session's route is a default route a router advertisement gave
 *   (router-advertisements.ts).
 * The last two cannot be undone by commit-confirm's revert (networkd does not set again an address it dropped, nor
 * the kernel a route it learnt, before the router's next advertisement): they are refused even under
 * --allow-disruption (`Refusal.irreversible`).
 *
 * `staticLockoutIssues` finds what the cluster file alone shows (for `netstrap validate`): a DNAT of the node's
 * ssh.port, a route replacing the network ssh.host is on (or covering the lab controller's address).
 */
import type { Issue } from '../model/errors';
import { derivedReason } from '../model/effective';
import type { Cluster, ClusterNode } from '../model/schema';
import type { DisruptionCheck, DisruptionContext, Refusal } from './disruption';
import { entryPath } from './disruption';
import { z } from 'zod';
import { type Fact, type FactSet, fact } from './fact';
import { dropInPath, managerFact, routeLink } from './network-manager';
import { IpRoute, ipFacts, ipState, IpState, mainRoutes } from './resources/ip-facts';
import {
  addressText,
  destinationText,
  type Destination,
  destinationContains,
  type Family,
  parseDestination,
  parseRouteAddress,
  RouteTable,
  sameDestination,
} from '../model/route-table';
import { describeCommand } from './shell';

/** How the controller's session reaches the node, from SSH_CONNECTION and `ip route get <client>`. */
export interface SshSession {
  /** The controller's address, canonical (RFC 5952 for IPv6; an IPv4-mapped IPv6 address as IPv4). */
  readonly client: string;
  readonly clientPort: number;
  /** The node's address the session arrives on, canonical. */
  readonly server: string;
  readonly serverPort: number;
  /** The interface replies to the client leave by. */
  readonly dev?: string;
  /** The gateway they go through (none when the client is on a connected network). */
  readonly gateway?: string;
}

const routeGet = z.array(z.object({ dev: z.string().optional(), gateway: z.string().optional() }));

/**
 * An address as SSH_CONNECTION prints it, canonical: IPv4, or IPv6 in the kernel's compressed form; an IPv4-mapped
 * IPv6 address (a dual-stack socket's view of an IPv4 client) as the IPv4 address it is; a zone id (`%eth0`, a
 * link-local address) kept apart.
 */
function sessionAddress(text: string): { address: string; family: Family; zone?: string } | undefined {
  const [bare, zone] = text.split('%');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  const parsed = parseRouteAddress(mapped ? mapped[1] : bare);
  return parsed && { address: addressText(parsed.family, parsed.value), family: parsed.family, zone };
}

/**
 * The session, or undefined when the script did not run under sshd (no SSH_CONNECTION), from `ssh:<SSH_CONNECTION>`
 * and the route to the client as `ip -j route get` gives it (unreadable: no route known).
 */
export function parseSession(output: string): SshSession | undefined {
  const first = output.split('\n')[0] ?? '';
  const words = first.startsWith('ssh:') ? first.slice(4).trim().split(/\s+/) : [];
  if (words.length !== 4) return undefined;
  const client = sessionAddress(words[0]);
  const server = sessionAddress(words[2]);
  if (!client || !server || client.family !== server.family) return undefined;
  let route: { dev?: string; gateway?: string } = {};
  try {
    const parsed = routeGet.safeParse(JSON.parse(output.slice(first.length).trim() || '[]'));
    route = (parsed.success ? parsed.data[0] : undefined) ?? {};
  } catch {
    route = {};
  }
  return {
    client: client.address,
    clientPort: Number(words[1]),
    server: server.address,
    serverPort: Number(words[3]),
    // A link-local session names its interface in the zone id (`ip route get` cannot look such an address up).
    dev: route.dev ?? server.zone ?? client.zone,
    gateway: route.gateway,
  };
}

/** How the controller's session reaches the node (SSH_CONNECTION is passed through sudo by ssh.ts). */
export const sshSession: Fact<SshSession | undefined> = fact(
  'ssh-session',
  [
    'sh',
    '-c',
    'printf "ssh:%s\\n" "$SSH_CONNECTION"; set -- $SSH_CONNECTION; [ -n "$1" ] && ip -j route get "$1" 2>/dev/null; true',
  ],
  parseSession,
);

/** The session's address family (its addresses are canonical: one of them tells): IPv6 is judged on IPv6 routes. */
export function sessionFamily(session: SshSession): Family {
  return session.client.includes(':') ? 6 : 4;
}

/** The main routing table of the session's family, as read in the fact round trip. */
export function sessionRoutes(session: SshSession, facts: FactSet): ReadonlyArray<IpRoute> {
  return mainRoutes(facts, sessionFamily(session));
}

// ---------------------------------------------------------------------------------------------------------------
// Routes

/** The main table of `ip -j route` (or `ip -6 -j route`) as the kernel reads it (model/route-table.ts). */
export function mainTable(routes: ReadonlyArray<IpRoute>, family: Family = 4): RouteTable<IpRoute> {
  return RouteTable.of(family, routes, (route) => route);
}

/** The main-table route the kernel picks for `address` (longest prefix, then lowest metric), whatever its type. */
export function winningRoute(routes: ReadonlyArray<IpRoute>, address: string): IpRoute | undefined {
  const target = parseRouteAddress(address);
  return target ? mainTable(routes, target.family).lookup(target)?.route : undefined;
}

/** A route as `ip route` prints it; with `proto`, who set it (`ra`, `dhcp`, `static`: networkd, `kernel`). */
export function describeRoute(route: IpRoute, proto = false): string {
  return [
    route.dst,
    route.gateway ? `via ${route.gateway}` : '',
    route.dev ? `dev ${route.dev}` : '',
    proto && route.protocol ? `proto ${route.protocol}` : '',
    route.metric ? `metric ${route.metric}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Whether two address texts are the same address (`fd00:0::1` and `fd00::1` are). */
function sameAddress(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const x = parseRouteAddress(a);
  const y = parseRouteAddress(b);
  return x !== undefined && y !== undefined ? x.family === y.family && x.value === y.value : a === b;
}

/** An IPv6 link-local address (fe80::/10): scoped to one link, which no route can take over. */
function isLinkLocal(address: string): boolean {
  const parsed = parseRouteAddress(address);
  return parsed?.family === 6 && parsed.value >> 118n === 0x3fan;
}

// ---------------------------------------------------------------------------------------------------------------
// What a command does, read from its argv

type Effect =
  | {
      readonly what: 'route-set';
      readonly family: Family;
      readonly dst: string;
      readonly via?: string;
      readonly dev?: string;
      /** Absent: the kernel's default for the family (0 for IPv4, 1024 for IPv6). */
      readonly metric?: number;
    }
  | { readonly what: 'route-del'; readonly family: Family; readonly dst: string; readonly metric?: number }
  | { readonly what: 'addr-del'; readonly address: string; readonly dev?: string }
  | { readonly what: 'addr-flush'; readonly dev: string }
  | { readonly what: 'link-set'; readonly dev: string; readonly args: ReadonlyArray<string> }
  | { readonly what: 'link-del'; readonly dev: string }
  | { readonly what: 'nat-redirect'; readonly family: Family; readonly args: ReadonlyArray<string> };

function after(args: ReadonlyArray<string>, word: string): string | undefined {
  const at = args.indexOf(word);
  return at >= 0 ? args[at + 1] : undefined;
}

/** Route types `ip route add TYPE PREFIX` takes before the destination. */
const ROUTE_TYPES = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'local', 'broadcast']);

/** The metric a route gets when the command names none: the kernel's default per family. */
function defaultMetric(family: Family): number {
  return family === 6 ? 1024 : 0;
}

/**
 * A route command's family as iproute2 decides it: -4/-6 (or -f inet/inet6), else the destination's family, else
 * the gateway's (`ip route add default via fd00::1` is IPv6), else IPv4.
 */
function routeFamily(flag: Family | undefined, dst: string, via: string | undefined): Family {
  if (flag) return flag;
  const address = (text: string) => parseRouteAddress(text.split('/')[0])?.family;
  return (dst !== 'default' ? address(dst) : undefined) ?? (via ? address(via) : undefined) ?? 4;
}

/** The effect of one argv on the node's own network namespace, when it is one the guard judges. */
export function effectOf(argv: ReadonlyArray<string>): Effect | undefined {
  if (argv[0] === 'ip') {
    let i = 1;
    let flag: Family | undefined;
    while (i < argv.length && argv[i].startsWith('-')) {
      const option = argv[i];
      // Commands run in another namespace (-n/-netns) cannot touch the node's own path.
      if (option === '-n' || option === '-netns') return undefined;
      if (option === '-6' || option === '-4') flag = option === '-6' ? 6 : 4;
      if (option === '-f' || option === '-family') {
        flag = argv[i + 1] === 'inet6' ? 6 : argv[i + 1] === 'inet' ? 4 : flag;
        i++;
      }
      i++;
    }
    const [object, verb, ...words] = argv.slice(i);
    const rest = words.length > 1 && ROUTE_TYPES.has(words[0]) ? words.slice(1) : words;
    const table = after(rest, 'table');
    if (['route', 'r', 'ro'].includes(object)) {
      if (table !== undefined && table !== 'main') return undefined;
      const metric = after(rest, 'metric') ?? after(rest, 'priority') ?? after(rest, 'preference');
      const family = routeFamily(flag, rest[0] ?? '', after(rest, 'via'));
      if (['add', 'replace', 'change', 'append', 'prepend'].includes(verb)) {
        return {
          what: 'route-set',
          family,
          dst: rest[0],
          via: after(rest, 'via'),
          dev: after(rest, 'dev'),
          metric: metric === undefined ? undefined : Number(metric),
        };
      }
      if (['del', 'delete'].includes(verb))
        return { what: 'route-del', family, dst: rest[0], metric: metric === undefined ? undefined : Number(metric) };
    }
    if (['addr', 'address', 'a'].includes(object)) {
      if (['del', 'delete'].includes(verb)) return { what: 'addr-del', address: rest[0], dev: after(rest, 'dev') };
      if (verb === 'flush') return { what: 'addr-flush', dev: after(rest, 'dev') ?? rest[0] };
    }
    if (['link', 'l'].includes(object)) {
      const dev = after(rest, 'dev') ?? rest[0];
      if (verb === 'set') return { what: 'link-set', dev, args: rest };
      if (['del', 'delete'].includes(verb)) return { what: 'link-del', dev };
    }
    return undefined;
  }
  if ((argv[0] === 'iptables' || argv[0] === 'ip6tables') && after(argv, '-t') === 'nat') {
    const chain = after(argv, '-A') ?? after(argv, '-I') ?? after(argv, '-R');
    const target = after(argv, '-j');
    if (chain === 'PREROUTING' && (target === 'DNAT' || target === 'REDIRECT'))
      return { what: 'nat-redirect', family: argv[0] === 'ip6tables' ? 6 : 4, args: argv };
  }
  return undefined;
}

/** Whether a port match of an iptables rule (`22`, `20:30`, `22,80` of multiport) covers `port`. */
function portMatches(spec: string | undefined, port: number): boolean {
  if (spec === undefined) return true;
  return spec.split(',').some((part) => {
    const [low, high] = part.split(':');
    const lo = low === '' ? 0 : Number(low);
    const hi = high === undefined ? lo : high === '' ? 65535 : Number(high);
    return port >= lo && port <= hi;
  });
}

/** Whether an address match (`-s`/`-d`, absent = any) covers `address`. */
function addressMatches(spec: string | undefined, address: string): boolean {
  if (spec === undefined) return true;
  const range = parseDestination(spec);
  const parsed = parseRouteAddress(address);
  return !range || !parsed || destinationContains(range, parsed);
}

// ---------------------------------------------------------------------------------------------------------------
// The check

/** The session's own words in a refusal: `this SSH session (fd00::fe → fd00::11:22)`. */
function sessionWords(session: SshSession): string {
  const server = sessionFamily(session) === 6 ? `[${session.server}]` : session.server;
  return `this SSH session (${session.client} → ${server}:${session.serverPort})`;
}

/** Why one effect would alter the session's path, or undefined when it would not. */
function pathReason(
  effect: Effect,
  session: SshSession,
  state: IpState,
  routes: ReadonlyArray<IpRoute>,
): string | undefined {
  const who = sessionWords(session);
  const dev = session.dev;
  const ports = dev ? state.links.filter((l) => l.master === dev).map((l) => l.ifname) : [];
  const sessionDevs = dev ? [dev, ...ports] : [];
  switch (effect.what) {
    case 'route-set':
    case 'route-del': {
      if (effect.family !== sessionFamily(session)) return undefined;
      const range = parseDestination(effect.dst, effect.family);
      if (!range) return undefined;
      const table = mainTable(routes, sessionFamily(session));
      // The client, and the gateway the session goes through: a route taking over either reroutes the session.
      // (A link-local gateway is scoped to its link: no route takes it over.)
      for (const [address, label] of [
        [session.client, 'the controller'],
        [session.gateway && !isLinkLocal(session.gateway) ? session.gateway : undefined, `the session's gateway`],
      ] as const) {
        const parsed = address === undefined ? undefined : parseRouteAddress(address);
        if (!parsed || !destinationContains(range, parsed)) continue;
        const winner = table.lookup(parsed);
        const current = winner?.route;
        const currentPrefix = winner ? winner.destination.prefix : -1;
        const currentMetric = winner?.metric ?? 0;
        const prefix = range.prefix;
        if (effect.what === 'route-del') {
          if (current && currentPrefix === prefix && (effect.metric === undefined || effect.metric === currentMetric)) {
            return `would delete ${describeRoute(current)}, the route ${who} takes to ${label} ${address}`;
          }
          continue;
        }
        const metric = effect.metric ?? defaultMetric(effect.family);
        const wins = prefix > currentPrefix || (prefix === currentPrefix && metric <= currentMetric);
        const samePath =
          current !== undefined &&
          sameAddress(effect.via, current.gateway) &&
          (effect.dev === undefined || effect.dev === current.dev);
        if (!wins || samePath) continue;
        const now = current ? `now ${describeRoute(current)}` : 'now unrouted';
        const how = prefix === currentPrefix && metric === currentMetric ? 'would replace' : 'would take over';
        return `${how} the route ${who} takes to ${label} ${address} (${now}) with ${effect.dst}${effect.via ? ` via ${effect.via}` : ''}`;
      }
      return undefined;
    }
    case 'addr-del': {
      if (sameAddress(effect.address.split('/')[0], session.server))
        return `would remove ${session.server}, the address ${who} is connected to`;
      return undefined;
    }
    case 'addr-flush':
      return effect.dev === dev ? `would remove every address of ${dev}, the interface of ${who}` : undefined;
    case 'link-del':
      return sessionDevs.includes(effect.dev)
        ? `would delete ${effect.dev}, ${effect.dev === dev ? 'the interface' : `a port of ${dev}, the interface`} of ${who}`
        : undefined;
    case 'link-set': {
      if (!sessionDevs.includes(effect.dev)) return undefined;
      const what =
        effect.dev === dev
          ? `${dev}, the interface of ${who}`
          : `${effect.dev}, a port of ${dev} (the interface of ${who})`;
      const args = effect.args;
      if (args.includes('down')) return `would take down ${what}`;
      const mtu = after(args, 'mtu');
      const link = state.links.find((l) => l.ifname === effect.dev);
      if (mtu !== undefined && Number(mtu) !== link?.mtu)
        return `would change the MTU of ${what} from ${link?.mtu ?? 'unknown'} to ${mtu}`;
      const master = after(args, 'master');
      if (master !== undefined && master !== link?.master) return `would put ${what} into bridge ${master}`;
      if (args.includes('nomaster') && link?.master !== undefined)
        return `would take ${what} out of bridge ${link.master}`;
      const netns = after(args, 'netns');
      if (netns !== undefined) return `would move ${what} into network namespace ${netns}`;
      if (after(args, 'name') !== undefined) return `would rename ${what}`;
      return undefined;
    }
    case 'nat-redirect': {
      // iptables rewrites IPv4 packets only, ip6tables IPv6 ones.
      if (effect.family !== sessionFamily(session)) return undefined;
      const args = effect.args;
      const protocol = after(args, '-p');
      if (protocol !== undefined && protocol !== 'tcp' && protocol !== '6') return undefined;
      if (
        !portMatches(
          after(args, '--dport') ?? after(args, '--dports') ?? after(args, '--destination-port'),
          session.serverPort,
        )
      )
        return undefined;
      const inIface = after(args, '-i');
      if (inIface !== undefined && !sessionDevs.includes(inIface)) return undefined;
      if (!addressMatches(after(args, '-s'), session.client) || !addressMatches(after(args, '-d'), session.server))
        return undefined;
      const to = after(args, '--to-destination') ?? after(args, '--to-ports');
      return `would ${after(args, '-j')} tcp port ${session.serverPort}, the port of ${who}${to ? `, to ${to}` : ''}: new SSH connections would not reach sshd`;
    }
  }
}

/** The cluster-file entry that asks for an effect (the node itself when no entry does: a removal). */
function entryOf(effect: Effect, node: ClusterNode, cluster: Cluster): string {
  const at = (...path: Array<string | number>) => entryPath(cluster, node, ...path);
  if (effect.what === 'route-set') {
    const range = parseDestination(effect.dst, effect.family);
    const metric = effect.metric ?? defaultMetric(effect.family);
    const i = node.routes.findIndex((r) => {
      const to =
        range && (r.metric ?? defaultMetric(effect.family)) === metric
          ? parseDestination(r.to, effect.family)
          : undefined;
      return to !== undefined && sameDestination(to, range!);
    });
    const derived = i >= 0 ? derivedReason(node.routes[i]) : undefined;
    if (derived) return `routing: auto (${at()}: ${derived})`;
    if (i >= 0) return at('routes', i);
  }
  if (effect.what === 'link-set') {
    const iface = node.interfaces.findIndex((x) => x.name === effect.dev);
    if (after(effect.args, 'mtu') !== undefined && iface >= 0) return at('interfaces', iface, 'mtu');
    const ns = node.namespaces.findIndex((x) => x.veth.hostSide === effect.dev);
    if (after(effect.args, 'master') !== undefined && ns >= 0) return at('namespaces', ns, 'veth', 'bridge');
    if (iface >= 0) return at('interfaces', iface);
  }
  if (effect.what === 'nat-redirect') {
    const port = after(effect.args, '--dport');
    const i = node.nat.portForwards.findIndex(
      (f) => String(f.port) === port && f.protocol === after(effect.args, '-p'),
    );
    if (i >= 0) return at('nat', 'portForwards', i);
  }
  return `${at()} (no longer declared)`;
}

// ---------------------------------------------------------------------------------------------------------------
// networkd drop-ins: `networkctl reload` re-sets the link

/** The network of an interface address (`fd00::11/64` → fd00::/64), or undefined when it does not parse. */
function addressNetwork(text: string): Destination | undefined {
  const [address, prefix] = text.split('/');
  const parsed = parseRouteAddress(address);
  if (!parsed || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return undefined;
  const bits = parsed.family === 4 ? 32 : 128;
  if (Number(prefix) > bits) return undefined;
  const host = (1n << BigInt(bits - Number(prefix))) - 1n;
  return parseDestination(`${addressText(parsed.family, parsed.value & ~host)}/${prefix}`);
}

/**
 * Why reloading networkd's configuration of `link` (a drop-in of it changes) would cut the session, or undefined
 * when networkd sets again everything the session needs: its address (declared on the link, so in the drop-in) and
 * its route to the controller (the connected route of a declared address, a declared route, or one of another link).
 */
function reloadReason(
  link: string,
  node: ClusterNode,
  session: SshSession,
  routes: ReadonlyArray<IpRoute>,
): string | undefined {
  const who = sessionWords(session);
  const what =
    `would make systemd-networkd reconfigure ${link}, the interface of ${who} (networkctl reload drops every address ` +
    'and route of a link whose configuration changed and sets again only what its configuration holds)';
  const iface = node.interfaces.find((i) => i.name === link);
  const declared = iface?.addresses ?? [];
  if (!declared.some((a) => sameAddress(a.split('/')[0], session.server)))
    return `${what}: ${session.server} is not declared on ${link}, so netstrap's drop-in does not hold it and networkd may not set it again; declare it in ${link}'s addresses`;
  const client = parseRouteAddress(session.client);
  const winner = client && mainTable(routes, sessionFamily(session)).lookup(client);
  if (!winner || winner.route.dev !== link) return undefined;
  const connected = declared.some((a) => {
    const network = addressNetwork(a);
    return network !== undefined && sameDestination(network, winner.destination);
  });
  const declaredRoute = node.routes.some((r) => {
    const to = parseDestination(r.to, sessionFamily(session));
    return routeLink(node, r) === link && to !== undefined && sameDestination(to, winner.destination);
  });
  if (connected || declaredRoute) return undefined;
  return (
    `${what}: its route to the controller ${session.client}, ${describeRoute(winner.route, true)}, is not one netstrap's ` +
    `drop-in holds, so networkd may not set it again; declare it in routes`
  );
}

/** The link whose drop-in a networkd-drop-in change writes or removes (target: the drop-in's path). */
function dropInLink(target: string, facts: FactSet): string | undefined {
  for (const [dev, state] of facts.get(managerFact).networkd) {
    if (state.networkFile && dropInPath(state.networkFile) === target) return dev;
  }
  return undefined;
}

const NOT_REVERTIBLE_RELOAD =
  'networkd does not set again an address or route its configuration does not hold, so no revert would bring it back';

export const sshPathCheck: DisruptionCheck = {
  name: 'ssh-path',

  facts() {
    return [...ipFacts(), sshSession, managerFact];
  },

  check({ node, cluster, facts, changes }: DisruptionContext): Refusal[] {
    const session = facts.get(sshSession);
    if (!session) return [];
    const state = ipState(facts);
    const routes = sessionRoutes(session, facts);
    const refusals: Refusal[] = [];
    for (const change of changes) {
      if (change.kind === 'networkd-drop-in' && session.dev !== undefined) {
        const link = dropInLink(change.target, facts);
        const reason = link === session.dev ? reloadReason(link, node, session, routes) : undefined;
        if (reason) {
          const i = node.interfaces.findIndex((x) => x.name === link);
          refusals.push({
            entry:
              i >= 0 ? entryPath(cluster, node, 'interfaces', i) : `${entryPath(cluster, node)} (no longer declared)`,
            change: `${change.kind} ${change.target}`,
            reason,
            irreversible: NOT_REVERTIBLE_RELOAD,
          });
          continue;
        }
      }
      for (const command of change.apply) {
        if (!('argv' in command)) continue;
        const effect = effectOf(command.argv);
        const reason = effect && pathReason(effect, session, state, routes);
        if (!effect || !reason) continue;
        refusals.push({
          entry: entryOf(effect, node, cluster),
          change: `${change.kind} ${change.target}`,
          reason: `${reason} ($ ${describeCommand(command)})`,
        });
        break;
      }
    }
    return refusals;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// What the cluster file alone shows

/** The lab's controller address: the last address but one of lab.managementCidr (as src/lab/topology.ts). */
function labController(range: Destination): { family: Family; value: bigint } {
  return { family: range.family, value: range.last - 1n };
}

/** The family of a port forward's target (`[fd00::3]:80` is IPv6). */
function forwardFamily(to: string): Family {
  return to.startsWith('[') ? 6 : 4;
}

/**
 * Lock-outs visible in the cluster file: a DNAT of the node's ssh.port on the interface ssh.host is on (or on
 * every interface), of ssh.host's family; a route replacing the connected network of ssh.host, or covering the lab
 * controller's address with at least that network's prefix; the interface of ssh.host enslaved to a bridge.
 */
export function staticLockoutIssues(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  const why = 'bootstrap refuses it; --allow-disruption applies it under commit-confirm, which reverts it';
  cluster.nodes.forEach((node, n) => {
    const host = parseRouteAddress(node.ssh.host);
    if (!host) return;
    let sessionDev: string | undefined;
    let network: Destination | undefined;
    let controller: { family: Family; value: bigint } | undefined;
    for (const iface of node.interfaces) {
      for (const text of iface.addresses) {
        const address = parseRouteAddress(text.split('/')[0]);
        if (address && address.family === host.family && address.value === host.value) {
          sessionDev = iface.name;
          network = addressNetwork(text);
        }
      }
    }
    const mgmt = parseDestination(cluster.lab.managementCidr);
    if (!network && mgmt && destinationContains(mgmt, host)) {
      network = mgmt;
      controller = labController(mgmt);
    }
    node.nat.portForwards.forEach((forward, i) => {
      if (forward.protocol !== 'tcp' || forward.port !== node.ssh.port) return;
      if (forwardFamily(forward.to) !== host.family) return;
      if (forward.inInterface !== undefined && sessionDev !== undefined && forward.inInterface !== sessionDev) return;
      if (forward.inInterface !== undefined && sessionDev === undefined) return;
      issues.push({
        path: ['nodes', n, 'nat', 'portForwards', i],
        message: `DNAT of tcp/${forward.port} to ${forward.to} would lock netstrap out: it is the port of ssh.host ${node.ssh.host} (${why})`,
      });
    });
    if (network) {
      const on = network;
      node.routes.forEach((route, i) => {
        const via = parseRouteAddress(route.via);
        const range = parseDestination(route.to, via?.family ?? 4);
        if (!range || range.family !== host.family) return;
        const replaces = sameDestination(range, on);
        const covers = controller !== undefined && destinationContains(range, controller) && range.prefix >= on.prefix;
        if (!replaces && !covers) return;
        issues.push({
          path: ['nodes', n, 'routes', i],
          message: `route ${route.to} via ${route.via} would lock netstrap out: it ${
            replaces
              ? `replaces the connected route of ${destinationText(on)}, the network of ssh.host ${node.ssh.host}`
              : `takes over the route to the lab controller ${addressText(controller!.family, controller!.value)}`
          } (${why})`,
        });
      });
    }
    if (sessionDev) {
      node.namespaces.forEach((ns, i) => {
        if (ns.veth.hostSide === sessionDev && ns.veth.bridge !== undefined) {
          issues.push({
            path: ['nodes', n, 'namespaces', i, 'veth', 'bridge'],
            message: `would put ${sessionDev}, the interface of ssh.host ${node.ssh.host}, into bridge ${ns.veth.bridge} (${why})`,
          });
        }
      });
    }
  });
  return issues;
}
