/**
 * The lock-out guard: a disruption check (disruption.ts) refusing changes that would alter the path of the
 * controller's own SSH session to the node.
 *
 * Facts (in the fact round trip): SSH_CONNECTION (client address and port, server address and port; passed
 * through sudo by ssh.ts) and `ip -j route get <client>`: the interface and gateway the session's replies take,
 * plus the node's links, addresses and main routing table.
 *
 * The guard reads what the plan would really run — every change's argv — so it judges the changes of every
 * resource kind, removals included, the same way. A change alters the path when it
 * - adds or replaces a route that would win over the route to the client (or to the session's gateway):
 *   longer prefix, or the same prefix with a metric as low or lower, going another way; or deletes that route;
 * - deletes the session's address, takes its interface (or a port of it) down, changes its MTU, deletes it, or
 *   moves it into a bridge, another bridge or a network namespace;
 * - DNATs or REDIRECTs, in PREROUTING, TCP traffic the session's packets would match (its port, its address, its
 *   interface, its client).
 *
 * `staticLockoutIssues` finds what the cluster file alone shows (for `netstrap validate`): a DNAT of the node's
 * ssh.port, a route replacing the network ssh.host is on (or covering the lab controller's address).
 */
import type { IPv4, IPv4CidrRange } from 'ip-num';
import { nthAddress, parseAddress, parseInterfaceAddress, parseNetwork, rangeContains } from '../model/cidr';
import type { Issue } from '../model/errors';
import { derivedReason } from '../model/effective';
import type { Cluster, ClusterNode } from '../model/schema';
import type { DisruptionCheck, DisruptionContext, Refusal } from './disruption';
import { entryPath } from './disruption';
import { z } from 'zod';
import { type Fact, fact } from './fact';
import { IpRoute, ipFacts, ipState, IpState } from './resources/ip-facts';
import {
  destinationContains,
  parseDestination,
  parseRouteAddress,
  RouteTable,
  sameDestination,
} from '../model/route-table';
import { describeCommand } from './shell';

/** How the controller's session reaches the node, from SSH_CONNECTION and `ip route get <client>`. */
export interface SshSession {
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  /** The interface replies to the client leave by. */
  readonly dev?: string;
  /** The gateway they go through (none when the client is on a connected network). */
  readonly gateway?: string;
}

const routeGet = z.array(z.object({ dev: z.string().optional(), gateway: z.string().optional() }));

/**
 * The session, or undefined when the script did not run under sshd (no SSH_CONNECTION), from `ssh:<SSH_CONNECTION>`
 * and the route to the client as `ip -j route get` gives it (unreadable: no route known).
 */
export function parseSession(output: string): SshSession | undefined {
  const first = output.split('\n')[0] ?? '';
  const words = first.startsWith('ssh:') ? first.slice(4).trim().split(/\s+/) : [];
  if (words.length !== 4) return undefined;
  const [client, clientPort, server, serverPort] = words;
  let route: { dev?: string; gateway?: string } = {};
  try {
    const parsed = routeGet.safeParse(JSON.parse(output.slice(first.length).trim() || '[]'));
    route = (parsed.success ? parsed.data[0] : undefined) ?? {};
  } catch {
    route = {};
  }
  return {
    client,
    clientPort: Number(clientPort),
    server,
    serverPort: Number(serverPort),
    dev: route.dev,
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

// ---------------------------------------------------------------------------------------------------------------
// Routes

/** The main table of `ip -j route` as the kernel reads it (model/route-table.ts). */
export function mainTable(routes: ReadonlyArray<IpRoute>): RouteTable<IpRoute> {
  return RouteTable.of(4, routes, (route) => route);
}

/** The main-table route the kernel picks for `address` (longest prefix, then lowest metric), whatever its type. */
export function winningRoute(routes: ReadonlyArray<IpRoute>, address: string): IpRoute | undefined {
  const target = parseRouteAddress(address);
  return target ? mainTable(routes).lookup(target)?.route : undefined;
}

function describeRoute(route: IpRoute): string {
  return [
    route.dst,
    route.gateway ? `via ${route.gateway}` : '',
    route.dev ? `dev ${route.dev}` : '',
    route.metric ? `metric ${route.metric}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

// ---------------------------------------------------------------------------------------------------------------
// What a command does, read from its argv

type Effect =
  | {
      readonly what: 'route-set';
      readonly dst: string;
      readonly via?: string;
      readonly dev?: string;
      readonly metric: number;
    }
  | { readonly what: 'route-del'; readonly dst: string; readonly metric?: number }
  | { readonly what: 'addr-del'; readonly address: string; readonly dev?: string }
  | { readonly what: 'addr-flush'; readonly dev: string }
  | { readonly what: 'link-set'; readonly dev: string; readonly args: ReadonlyArray<string> }
  | { readonly what: 'link-del'; readonly dev: string }
  | { readonly what: 'nat-redirect'; readonly args: ReadonlyArray<string> };

function after(args: ReadonlyArray<string>, word: string): string | undefined {
  const at = args.indexOf(word);
  return at >= 0 ? args[at + 1] : undefined;
}

/** The effect of one argv on the node's own network namespace, when it is one the guard judges. */
export function effectOf(argv: ReadonlyArray<string>): Effect | undefined {
  if (argv[0] === 'ip') {
    let i = 1;
    while (i < argv.length && argv[i].startsWith('-')) {
      // Commands run in another namespace (-n/-netns) cannot touch the node's own path.
      if (argv[i] === '-n' || argv[i] === '-netns') return undefined;
      i++;
    }
    const [object, verb, ...rest] = argv.slice(i);
    const table = after(rest, 'table');
    if (['route', 'r', 'ro'].includes(object)) {
      if (table !== undefined && table !== 'main') return undefined;
      const metric = after(rest, 'metric') ?? after(rest, 'priority') ?? after(rest, 'preference');
      if (['add', 'replace', 'change', 'append', 'prepend'].includes(verb)) {
        return {
          what: 'route-set',
          dst: rest[0],
          via: after(rest, 'via'),
          dev: after(rest, 'dev'),
          metric: Number(metric ?? 0),
        };
      }
      if (['del', 'delete'].includes(verb))
        return { what: 'route-del', dst: rest[0], metric: metric === undefined ? undefined : Number(metric) };
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
  if (argv[0] === 'iptables' && after(argv, '-t') === 'nat') {
    const chain = after(argv, '-A') ?? after(argv, '-I') ?? after(argv, '-R');
    const target = after(argv, '-j');
    if (chain === 'PREROUTING' && (target === 'DNAT' || target === 'REDIRECT'))
      return { what: 'nat-redirect', args: argv };
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

/** Why one effect would alter the session's path, or undefined when it would not. */
function pathReason(effect: Effect, session: SshSession, state: IpState): string | undefined {
  const who = `this SSH session (${session.client} → ${session.server}:${session.serverPort})`;
  const dev = session.dev;
  const ports = dev ? state.links.filter((l) => l.master === dev).map((l) => l.ifname) : [];
  const sessionDevs = dev ? [dev, ...ports] : [];
  switch (effect.what) {
    case 'route-set':
    case 'route-del': {
      const range = parseDestination(effect.dst);
      if (!range) return undefined;
      const table = mainTable(state.routes);
      // The client, and the gateway the session goes through: a route taking over either reroutes the session.
      for (const [address, label] of [
        [session.client, 'the controller'],
        [session.gateway, `the session's gateway`],
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
        const wins = prefix > currentPrefix || (prefix === currentPrefix && effect.metric <= currentMetric);
        const samePath =
          current !== undefined &&
          effect.via === current.gateway &&
          (effect.dev === undefined || effect.dev === current.dev);
        if (!wins || samePath) continue;
        const now = current ? `now ${describeRoute(current)}` : 'now unrouted';
        const how = prefix === currentPrefix && effect.metric === currentMetric ? 'would replace' : 'would take over';
        return `${how} the route ${who} takes to ${label} ${address} (${now}) with ${effect.dst}${effect.via ? ` via ${effect.via}` : ''}`;
      }
      return undefined;
    }
    case 'addr-del': {
      const address = effect.address.split('/')[0];
      if (address === session.server) return `would remove ${session.server}, the address ${who} is connected to`;
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
    const range = parseDestination(effect.dst);
    const i = node.routes.findIndex((r) => {
      const to = range && (r.metric ?? 0) === effect.metric ? parseDestination(r.to) : undefined;
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

export const sshPathCheck: DisruptionCheck = {
  name: 'ssh-path',

  facts() {
    return [...ipFacts(), sshSession];
  },

  check({ node, cluster, facts, changes }: DisruptionContext): Refusal[] {
    const session = facts.get(sshSession);
    if (!session) return [];
    const state = ipState(facts);
    const refusals: Refusal[] = [];
    for (const change of changes) {
      for (const command of change.apply) {
        if (!('argv' in command)) continue;
        const effect = effectOf(command.argv);
        const reason = effect && pathReason(effect, session, state);
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

/** The lab's controller address: the last usable address of lab.managementCidr (as src/lab/topology.ts). */
function labController(range: IPv4CidrRange): IPv4 {
  return nthAddress(range, Number(range.getSize()) - 2);
}

/**
 * Lock-outs visible in the cluster file: a DNAT of the node's ssh.port on the interface ssh.host is on (or on
 * every interface); a route replacing the connected network of ssh.host, or covering the lab controller's address
 * with at least that network's prefix; the interface of ssh.host enslaved to a bridge.
 */
export function staticLockoutIssues(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  const why = 'bootstrap refuses it; --allow-disruption applies it under commit-confirm, which reverts it';
  cluster.nodes.forEach((node, n) => {
    const host = parseAddress(node.ssh.host);
    if (!host.ok) return;
    let sessionDev: string | undefined;
    let network: IPv4CidrRange | undefined;
    let controller: IPv4 | undefined;
    for (const iface of node.interfaces) {
      for (const text of iface.addresses) {
        const address = parseInterfaceAddress(text);
        if (address.ok && address.value.address.isEquals(host.value)) {
          sessionDev = iface.name;
          network = address.value.network;
        }
      }
    }
    const mgmt = parseNetwork(cluster.lab.managementCidr);
    if (!network && mgmt.ok && rangeContains(mgmt.value, host.value)) {
      network = mgmt.value;
      controller = labController(mgmt.value);
    }
    node.nat.portForwards.forEach((forward, i) => {
      if (forward.protocol !== 'tcp' || forward.port !== node.ssh.port) return;
      if (forward.inInterface !== undefined && sessionDev !== undefined && forward.inInterface !== sessionDev) return;
      if (forward.inInterface !== undefined && sessionDev === undefined) return;
      issues.push({
        path: ['nodes', n, 'nat', 'portForwards', i],
        message: `DNAT of tcp/${forward.port} to ${forward.to} would lock netstrap out: it is the port of ssh.host ${node.ssh.host} (${why})`,
      });
    });
    if (network) {
      node.routes.forEach((route, i) => {
        const range = parseDestination(route.to);
        const on = parseDestination(network!.toCidrString());
        if (!range || !on) return;
        const replaces = sameDestination(range, on);
        const covers =
          controller !== undefined &&
          destinationContains(range, { family: 4, value: controller.getValue() }) &&
          range.prefix >= on.prefix;
        if (!replaces && !covers) return;
        issues.push({
          path: ['nodes', n, 'routes', i],
          message: `route ${route.to} via ${route.via} would lock netstrap out: it ${
            replaces
              ? `replaces the connected route of ${network!.toCidrString()}, the network of ssh.host ${node.ssh.host}`
              : `takes over the route to the lab controller ${controller!.toString()}`
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
