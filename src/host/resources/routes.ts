/**
 * route: static routes of the node's main table (node.routes): `to` a CIDR or `default`, `via` a gateway,
 * optionally `dev` and `metric`. A route is identified as the kernel does, by destination and metric; when the
 * node has one that differs (other gateway or device) it is replaced (`ip route replace`), and revert puts the old
 * one back exactly (gateway, device, protocol, scope, source, onlink). Destinations compare in the kernel's spelling
 * (`0.0.0.0/0` is `default`, `10.9.9.9/32` is `10.9.9.9`). Every route netstrap adds or replaces is owned (id
 * `<destination> metric <n>`, prior: the replaced route's arguments, or null): once no longer declared it is deleted,
 * or the replaced route is put back. A changed metric is another route: the old one goes. Other routes are never
 * touched.
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
import { IpRoute, ipFacts, ipState } from './ip-facts';

/** A route netstrap owns, identified as the kernel identifies it: destination (kernel spelling) and metric. */
export interface RouteId {
  readonly dst: string;
  readonly metric: number;
}

export const routeIds: OwnedIds<RouteId> = {
  key: ({ dst, metric }) => `${dst} metric ${metric}`,
  read(key) {
    const match = /^(\S+) metric (\d+)$/.exec(key);
    return match ? { dst: match[1], metric: Number(match[2]) } : undefined;
  },
};

type RouteIntent = ClusterNode['routes'][number];

/** `ip route` arguments of a wanted route. */
export function routeArgs(route: RouteIntent): string[] {
  return [
    canonicalRouteDestination(route.to),
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
    const table = ipState(facts).routes;
    const find = (dst: string, metric: number) => table.find((r) => r.dst === dst && (r.metric ?? 0) === metric);
    const changes: Change[] = [];
    const declared = new Set<string>();
    for (const route of node.routes) {
      const dst = canonicalRouteDestination(route.to);
      const metric = route.metric ?? 0;
      const id = routeIds.key({ dst, metric });
      declared.add(id);
      const current = find(dst, metric);
      if (current && current.gateway === route.via && (route.dev === undefined || current.dev === route.dev)) continue;
      const target = routeTarget(route);
      const derived = derivedReason(route);
      const after = `via ${route.via}${route.dev ? ` dev ${route.dev}` : ''}${derived ? ` (derived: ${derived})` : ''}`;
      changes.push({
        kind: 'route',
        target,
        before: current ? describe(current) : 'absent',
        after,
        apply: [{ argv: ['ip', 'route', 'replace', ...routeArgs(route)] }],
        revert: current
          ? [{ argv: ['ip', 'route', 'replace', ...existingArgs(current)] }]
          : [{ argv: ['ip', 'route', 'del', dst, 'metric', String(metric)] }],
        owns: [{ kind: 'route', id, prior: current ? existingArgs(current) : null }],
      });
    }
    for (const object of owned) {
      const id = declared.has(object.id) ? undefined : routeIds.read(object.id);
      if (!id) continue;
      const { dst, metric } = id;
      const current = find(dst, metric);
      const prior = Array.isArray(object.prior) ? object.prior.map(String) : undefined;
      const target = metric !== 0 ? `${dst} metric ${metric}` : dst;
      const restore = current ? [{ argv: ['ip', 'route', 'replace', ...existingArgs(current)] }] : [];
      if (prior) {
        // Adopted: put the route netstrap replaced back.
        changes.push({
          kind: 'route',
          target,
          before: current ? describe(current) : 'absent',
          after: `restored (${prior.slice(1).join(' ')})`,
          apply: [{ argv: ['ip', 'route', 'replace', ...prior] }],
          revert: restore,
          releases: [object],
        });
      } else {
        changes.push({
          kind: 'route',
          target,
          before: current ? describe(current) : 'absent (already gone)',
          after: 'absent',
          apply: current ? [{ argv: ['ip', 'route', 'del', dst, 'metric', String(metric)] }] : [],
          revert: restore,
          releases: [object],
        });
      }
    }
    return changes;
  },
};

/** What plan and drift call a declared route: its destination, and its metric when one is given. */
function routeTarget(route: RouteIntent): string {
  const dst = canonicalRouteDestination(route.to);
  return route.metric !== undefined ? `${dst} metric ${route.metric}` : dst;
}

export function routeBootSteps(node: ClusterNode): BootStep[] {
  return node.routes.map((route) => ({
    run: ['ip', 'route', 'replace', ...routeArgs(route)],
    target: routeTarget(route),
  }));
}
