/**
 * The IPv6 trap (issue 21): turning on IPv6 forwarding makes a Linux node a router, and a router ignores router
 * advertisements unless accept_ra is 2 on the interface. What the kernel does (net/ipv6/addrconf.c
 * addrconf_fixup_forwarding, net/ipv6/route.c __rt6_purge_dflt_routers):
 * - every write of a non-zero value to net.ipv6.conf.all.forwarding or net.ipv6.conf.<if>.forwarding deletes at once
 *   every default route it learnt from a router advertisement (`proto ra` in `ip -6 route`), on every interface of
 *   the network namespace whose accept_ra is not 2 (a write to conf.default does not);
 * - an interface that forwards ignores further advertisements unless its accept_ra is 2, so such a route is not
 *   learnt again, and one still there expires;
 * - only the interface's own accept_ra counts: net.ipv6.conf.all.accept_ra does not reach existing interfaces
 *   (measured).
 * Reverting forwarding does not bring the route back before the router's next unsolicited advertisement (up to 10
 * minutes with radvd's defaults): the kernel sends no router solicitation when forwarding goes off again.
 *
 * What netstrap does about it, as the kernel's design and systemd-networkd do (accept_ra = 2 was added so that a
 * router accepts advertisements only when the user explicitly asks for it; networkd turns IPv6AcceptRA off where
 * forwarding is on unless the .network file says otherwise): it never sets accept_ra on its own. It refuses a plan
 * whose forwarding write would cut the default route the controller's SSH session takes, even under
 * --allow-disruption (no revert brings the route back in time); plan warns about any other such route it would cut;
 * diagnose warns about a node with forwarding on where such a route is gone on the next forwarding write or will
 * not be renewed. The fix it names: `net.ipv6.conf.<if>.accept_ra: 2` in the node's sysctls (set before the
 * forwarding keys, see sysctl.ts desiredSysctls), or a static IPv6 default route.
 *
 * Its facts (the IPv6 routes and every interface's accept_ra and forwarding) are read in the fact round trip, and
 * only for a node whose file turns IPv6 forwarding on (diagnose reads them on every node).
 */
import type { Cluster, ClusterNode } from '../model/schema';
import { type DisruptionCheck, type DisruptionContext, entryPath, type Refusal } from './disruption';
import { type Fact, type FactReader, type FactSet, fact } from './fact';
import { describeRoute, mainTable, sessionFamily, sshSession } from './lockout';
import { type IpRoute, ipRoutes, mainRoutes } from './resources/ip-facts';
import { desiredSysctls } from './resources/sysctl';
import type { Change } from './types';
import { parseRouteAddress } from '../model/route-table';

/** Every interface's (and all's, default's) accept_ra and forwarding for IPv6, from /proc/sys/net/ipv6/conf. */
export interface Ipv6Conf {
  readonly acceptRa: ReadonlyMap<string, number>;
  readonly forwarding: ReadonlyMap<string, number>;
}

/** `/proc/sys/net/ipv6/conf/<if>/<key>:<value>` lines (grep -H); an interface name holds neither '/' nor ':'. */
function parseIpv6Conf(output: string): Ipv6Conf {
  const acceptRa = new Map<string, number>();
  const forwarding = new Map<string, number>();
  for (const line of output.split('\n')) {
    const match = /^\/proc\/sys\/net\/ipv6\/conf\/([^/]+)\/(accept_ra|forwarding):(-?\d+)$/.exec(line.trim());
    if (!match) continue;
    (match[2] === 'accept_ra' ? acceptRa : forwarding).set(match[1], Number(match[3]));
  }
  return { acceptRa, forwarding };
}

// One grep for every interface (a shell `read` gets nothing from /proc/sys: it reads a byte at a time).
export const ipv6Conf: Fact<Ipv6Conf> = fact(
  'ipv6-ra-conf',
  ['sh', '-c', 'grep -s -H . /proc/sys/net/ipv6/conf/*/accept_ra /proc/sys/net/ipv6/conf/*/forwarding; true'],
  parseIpv6Conf,
);

/** The interface and setting of an IPv6 per-interface sysctl key (`net.ipv6.conf.eth0.forwarding`). */
export function ipv6ConfKey(key: string): { readonly iface: string; readonly param: string } | undefined {
  const match = /^net\.ipv6\.conf\.([^.]+)\.([a-z_]+)$/.exec(key);
  return match ? { iface: match[1], param: match[2] } : undefined;
}

/** A write that turns forwarding on in the kernel's eyes: all or an interface (not default), non-zero. */
function turnsForwardingOn(key: string, value: string): boolean {
  const conf = ipv6ConfKey(key);
  return conf?.param === 'forwarding' && conf.iface !== 'default' && Number(value) !== 0;
}

/** Whether the node's file turns IPv6 forwarding on (so that a plan may write it, and the trap be read). */
export function wantsIpv6Forwarding(node: ClusterNode, cluster?: Cluster): boolean {
  return [...desiredSysctls(node, cluster)].some(([key, value]) => turnsForwardingOn(key, value));
}

/** A default route the kernel would drop, and the write that makes it. */
export interface RaCut {
  readonly route: IpRoute;
  /** The forwarding key written (`net.ipv6.conf.all.forwarding`). */
  readonly key: string;
  readonly value: string;
  /** accept_ra on the route's interface when that write happens. */
  readonly acceptRa?: number;
}

/** `key=value` writes of a `sysctl [-q] -w k=v …` argv. */
function sysctlWrites(argv: ReadonlyArray<string>): Array<[string, string]> {
  if (argv[0] !== 'sysctl') return [];
  return argv
    .slice(1)
    .filter((arg) => !arg.startsWith('-') && arg.includes('='))
    .map((arg) => [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]);
}

/** The default routes a router advertisement gave (`proto ra`), or that will expire (a lifetime): what the trap cuts. */
export function raDefaultRoutes(routes: ReadonlyArray<IpRoute>): IpRoute[] {
  return routes.filter(
    (route) => route.dst === 'default' && route.dev !== undefined && (route.protocol === 'ra' || route.expires),
  );
}

/**
 * The RA-learnt default routes the plan's commands would cut, in the order they run: each forwarding write that
 * turns forwarding on cuts every such route whose interface's accept_ra is not 2 at that moment (earlier accept_ra
 * writes of the same plan count).
 */
export function raCuts(changes: ReadonlyArray<Change>, facts: FactSet): RaCut[] {
  const learnt = raDefaultRoutes(mainRoutes(facts, 6));
  if (learnt.length === 0) return [];
  const acceptRa = new Map(facts.get(ipv6Conf).acceptRa);
  const cuts: RaCut[] = [];
  for (const change of changes) {
    for (const command of change.apply) {
      if (!('argv' in command)) continue;
      for (const [key, value] of sysctlWrites(command.argv)) {
        const conf = ipv6ConfKey(key);
        if (conf?.param === 'accept_ra' && conf.iface !== 'all' && conf.iface !== 'default')
          acceptRa.set(conf.iface, Number(value));
        if (!turnsForwardingOn(key, value)) continue;
        for (const route of learnt) {
          const on = acceptRa.get(route.dev!);
          if (on !== 2 && !cuts.some((c) => c.route === route)) cuts.push({ route, key, value, acceptRa: on });
        }
      }
    }
  }
  return cuts;
}

/** The accept_ra key of an interface, as a node's sysctls spell it. */
export function acceptRaKey(dev: string): string {
  return `net.ipv6.conf.${dev}.accept_ra`;
}

/** What a cut does, in words (both the refusal and the warning). */
function cutWords(cut: RaCut): string {
  const dev = cut.route.dev!;
  return (
    `${cut.key} = ${cut.value} would make the kernel drop ${describeRoute(cut.route, true)}, a default route ` +
    `learnt from a router advertisement: a node that forwards IPv6 deletes such routes and ignores advertisements ` +
    `unless accept_ra is 2 on the interface (it is ${cut.acceptRa ?? 'unknown'} on ${dev}); ` +
    `add ${acceptRaKey(dev)}: 2 to the node's sysctls (netstrap sets it before forwarding), or give the node a ` +
    'static IPv6 default route'
  );
}

/** The cluster-file entry that turns forwarding on: the node's sysctl key, or its Kubernetes profile. */
function forwardingEntry(cluster: Cluster, node: ClusterNode, key: string): string {
  return key in node.sysctls
    ? entryPath(cluster, node, 'sysctls', key)
    : entryPath(cluster, node, 'kubernetesPrerequisites');
}

/** The route the session takes back to the controller, when the session is IPv6. */
function sessionRoute(facts: FactSet): IpRoute | undefined {
  const session = facts.get(sshSession);
  if (!session || sessionFamily(session) !== 6) return undefined;
  const client = parseRouteAddress(session.client);
  return client && mainTable(mainRoutes(facts, 6), 6).lookup(client)?.route;
}

const NOT_REVERTIBLE =
  "reverting forwarding does not bring the route back before the router's next advertisement, minutes later";

/** The trap as a disruption check: the session's route is refused, any other RA-learnt default route warned about. */
export const routerAdvertisementCheck: DisruptionCheck = {
  name: 'ipv6-ra',

  facts(node: ClusterNode, cluster: Cluster) {
    return wantsIpv6Forwarding(node, cluster) ? [ipRoutes(), ipv6Conf, sshSession] : [];
  },

  check({ node, cluster, facts, changes }: DisruptionContext): Refusal[] {
    if (!wantsIpv6Forwarding(node, cluster)) return [];
    const session = facts.get(sshSession);
    const route = sessionRoute(facts);
    return raCuts(changes, facts)
      .filter((cut) => session && cut.route === route)
      .map((cut) => ({
        entry: forwardingEntry(cluster, node, cut.key),
        change: `sysctl ${cut.key}`,
        reason: `${cutWords(cut)}; it is the route this SSH session (${session!.client} → [${session!.server}]:${session!.serverPort}) takes to the controller`,
        irreversible: NOT_REVERTIBLE,
      }));
  },

  warnings({ node, cluster, facts, changes }: DisruptionContext): string[] {
    if (!wantsIpv6Forwarding(node, cluster)) return [];
    const route = sessionRoute(facts);
    return raCuts(changes, facts)
      .filter((cut) => cut.route !== route)
      .map((cut) => `ipv6-ra: ${node.name}: ${cutWords(cut)}`);
  },
};

/** diagnose reads the trap's facts on every node (a node may have turned forwarding on without netstrap). */
export const routerAdvertisementReader: FactReader = {
  facts: () => [ipRoutes(), ipv6Conf],
};
