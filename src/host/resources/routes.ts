/**
 * route: static routes of the node's main table (node.routes): `to` a CIDR or `default`, `via` a gateway,
 * optionally `dev` and `metric`. A route is identified as the kernel does, by destination and metric; when the
 * node has one that differs (other gateway or device) it is replaced (`ip route replace`), and revert puts the old
 * one back exactly (gateway, device, protocol, scope, source, onlink). Destinations compare in the kernel's spelling
 * (`0.0.0.0/0` is `default`, `10.9.9.9/32` is `10.9.9.9`; `::/0` is IPv6's `default`, a /128 a bare address). Every route netstrap adds or replaces is owned (id
 * `<destination> metric <n>`, prior: the replaced route's arguments, or null): once no longer declared it is deleted,
 * or the replaced route is put back. A changed metric is another route: the old one goes. Other routes are never
 * touched. IPv6 routes are the same, per family: read from the same `ip` process (ip-facts.ts), set with `ip -6`,
 * identified with the kernel's IPv6 metric (1024 when none is given).
 *
 * Persistence across reboot, for routes and every other runtime-only kind (links, bridges, namespaces, NAT):
 * ONE generated script, /etc/netstrap/network.sh, run at boot by the systemd unit netstrap-network.service
 * (enabled by its symlink in multi-user.target.wants) — see persist.ts.
 */
import { derivedReason } from '../../model/effective';
import type { Cluster, ClusterNode } from '../../model/schema';
import { canonicalRouteDestination } from '../../model/route-table';
import type { FactSet } from '../fact';
import type { BootStep, Change, OwnedObject, ResourceKind } from '../types';
import type { OwnedIds } from '../owned-ids';
import { familyRoutes, IpRoute, ipFacts, ipState } from './ip-facts';

/** The kernel's metric of an IPv6 route added without one (or with metric 0): IP6_RT_PRIO_USER. */
export const IPV6_DEFAULT_METRIC = 1024;

/**
 * A route netstrap owns, identified as the kernel identifies it: family, destination (kernel spelling) and metric.
 * The kernel keeps one table per family, so `default` of IPv4 and `default` of IPv6 are two routes: the record spells
 * IPv6's `::/0` (every other IPv6 destination has a colon too), so ids never collide across families.
 */
export interface RouteId {
  readonly family: 4 | 6;
  readonly dst: string;
  readonly metric: number;
}

export const routeIds: OwnedIds<RouteId> = {
  key: ({ family, dst, metric }) => `${destinationLabel(dst, family)} metric ${metric}`,
  read(key) {
    const match = /^(\S+) metric (\d+)$/.exec(key);
    if (!match) return undefined;
    const family = match[1].includes(':') ? 6 : 4;
    return { family, dst: match[1] === '::/0' ? 'default' : match[1], metric: Number(match[2]) };
  },
};

/** A destination as ids and plan lines show it: the kernel's spelling, but IPv6's default is `::/0`. */
function destinationLabel(dst: string, family: 4 | 6): string {
  return family === 6 && dst === 'default' ? '::/0' : dst;
}

type RouteIntent = ClusterNode['routes'][number];

/** A route's family: its gateway's (the model keeps `to` and `via` of one family). */
export function routeFamily(route: Pick<RouteIntent, 'via'>): 4 | 6 {
  return route.via.includes(':') ? 6 : 4;
}

/** The metric the kernel gives a route: as written, or its family's default (IPv6 takes 0 as 1024 too). */
export function kernelMetric(route: Pick<RouteIntent, 'via' | 'metric'>): number {
  return routeFamily(route) === 6 ? route.metric || IPV6_DEFAULT_METRIC : (route.metric ?? 0);
}

/** `ip` (IPv4, as before) or `ip -6`: the family is said, never guessed from the arguments. */
export function ipOf(family: 4 | 6): string[] {
  return family === 4 ? ['ip'] : ['ip', '-6'];
}

/** The kernel's spelling of a wanted route's destination. */
export function routeDestination(route: Pick<RouteIntent, 'to' | 'via'>): string {
  return canonicalRouteDestination(route.to, routeFamily(route));
}

/** `ip route` arguments of a wanted route. */
export function routeArgs(route: RouteIntent): string[] {
  return [
    routeDestination(route),
    'via',
    route.via,
    ...(route.dev ? ['dev', route.dev] : []),
    ...(route.metric !== undefined ? ['metric', String(route.metric)] : []),
  ];
}

/** `ip route` arguments that recreate an existing route as `ip -j route` showed it. */
export function existingArgs(route: IpRoute): string[] {
  const args = [route.dst];
  if (route.gateway) args.push('via', route.gateway);
  if (route.dev) args.push('dev', route.dev);
  if (route.protocol && route.protocol !== 'boot') args.push('proto', route.protocol);
  if (route.scope && route.scope !== 'global') args.push('scope', route.scope);
  if (route.prefsrc) args.push('src', route.prefsrc);
  if (route.metric !== undefined) args.push('metric', String(route.metric));
  if ((route.flags ?? []).includes('onlink')) args.push('onlink');
  return args;
}

function describe(route: IpRoute): string {
  return [route.gateway ? `via ${route.gateway}` : 'direct', route.dev ? `dev ${route.dev}` : '']
    .filter(Boolean)
    .join(' ');
}

export const routes: ResourceKind = {
  kind: 'route',
  ownedIds: routeIds,
  bootSteps: routeBootSteps,

  // Read even when no route is declared: owned routes the file no longer declares must go.
  facts() {
    return ipFacts();
  },

  plan(node: ClusterNode, facts: FactSet, _cluster: Cluster, owned: ReadonlyArray<OwnedObject> = []): Change[] {
    const state = ipState(facts);
    const find = (family: 4 | 6, dst: string, metric: number) =>
      familyRoutes(state, family).find((r) => r.dst === dst && (r.metric ?? 0) === metric);
    const changes: Change[] = [];
    const declared = new Set<string>();
    for (const route of node.routes) {
      const family = routeFamily(route);
      const dst = routeDestination(route);
      const metric = kernelMetric(route);
      const id = routeIds.key({ family, dst, metric });
      declared.add(id);
      const current = find(family, dst, metric);
      if (current && current.gateway === route.via && (route.dev === undefined || current.dev === route.dev)) continue;
      const target = routeTarget(route);
      const derived = derivedReason(route);
      const after = `via ${route.via}${route.dev ? ` dev ${route.dev}` : ''}${derived ? ` (derived: ${derived})` : ''}`;
      const ip = ipOf(family);
      changes.push({
        kind: 'route',
        target,
        before: current ? describe(current) : 'absent',
        after,
        apply: [{ argv: [...ip, 'route', 'replace', ...routeArgs(route)] }],
        revert: current
          ? [{ argv: [...ip, 'route', 'replace', ...existingArgs(current)] }]
          : [{ argv: [...ip, 'route', 'del', dst, 'metric', String(metric)] }],
        owns: [{ kind: 'route', id, prior: current ? existingArgs(current) : null }],
      });
    }
    for (const object of owned) {
      const id = declared.has(object.id) ? undefined : routeIds.read(object.id);
      if (!id) continue;
      const { family, dst, metric } = id;
      const ip = ipOf(family);
      const current = find(family, dst, metric);
      const prior = Array.isArray(object.prior) ? object.prior.map(String) : undefined;
      const label = destinationLabel(dst, family);
      // IPv6 routes always have a metric: only one other than the kernel's default is shown, as IPv4's 0 is not.
      const target = metric !== (family === 4 ? 0 : IPV6_DEFAULT_METRIC) ? `${label} metric ${metric}` : label;
      const restore = current ? [{ argv: [...ip, 'route', 'replace', ...existingArgs(current)] }] : [];
      if (prior) {
        // Adopted: put the route netstrap replaced back.
        changes.push({
          kind: 'route',
          target,
          before: current ? describe(current) : 'absent',
          after: `restored (${prior.slice(1).join(' ')})`,
          apply: [{ argv: [...ip, 'route', 'replace', ...prior] }],
          revert: restore,
          releases: [object],
        });
      } else {
        changes.push({
          kind: 'route',
          target,
          before: current ? describe(current) : 'absent (already gone)',
          after: 'absent',
          apply: current ? [{ argv: [...ip, 'route', 'del', dst, 'metric', String(metric)] }] : [],
          revert: restore,
          releases: [object],
        });
      }
    }
    return changes;
  },
};

/** What plan and drift call a declared route: its destination (`::/0` for IPv6's default), and its metric when given. */
export function routeTarget(route: RouteIntent): string {
  const dst = destinationLabel(routeDestination(route), routeFamily(route));
  return route.metric !== undefined ? `${dst} metric ${route.metric}` : dst;
}

export function routeBootSteps(node: ClusterNode): BootStep[] {
  return node.routes.map((route) => ({
    run: [...ipOf(routeFamily(route)), 'route', 'replace', ...routeArgs(route)],
    target: routeTarget(route),
  }));
}
