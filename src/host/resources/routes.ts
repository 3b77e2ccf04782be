/**
 * route: static routes of the node's main table (node.routes): `to` a CIDR or `default`, `via` a gateway,
 * optionally `dev` and `metric`. A route is identified as the kernel does, by destination and metric; when the
 * node has one that differs (other gateway or device) it is replaced (`ip route replace`), and revert puts the old
 * one back exactly (gateway, device, protocol, scope, source, onlink). Routes dropped from the cluster file are not
 * deleted (netstrap cannot tell them from the user's own).
 *
 * Persistence across reboot, for routes and every other runtime-only kind (links, bridges, namespaces, NAT):
 * ONE generated script, /etc/netstrap/network.sh, run at boot by the systemd unit netstrap-network.service
 * (enabled by its symlink in multi-user.target.wants) — see persist.ts.
 */
import { derivedReason } from '../../model/effective';
import type { Cluster, ClusterNode } from '../../model/schema';
import type { BootStep, Change, RawFacts, ResourceKind } from '../types';
import { IpRoute, ipFacts, ipState } from './ip-facts';

type RouteIntent = ClusterNode['routes'][number];

/** `ip route` arguments of a wanted route. */
export function routeArgs(route: RouteIntent): string[] {
  return [route.to, 'via', route.via, ...(route.dev ? ['dev', route.dev] : []), ...(route.metric !== undefined ? ['metric', String(route.metric)] : [])];
}

/** `ip route` arguments that recreate an existing route as `ip -j route` showed it. */
function existingArgs(route: IpRoute): string[] {
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
  return [route.gateway ? `via ${route.gateway}` : 'direct', route.dev ? `dev ${route.dev}` : ''].filter(Boolean).join(' ');
}

export const routes: ResourceKind = {
  kind: 'route',
  bootSteps: routeBootSteps,

  factCommands(node: ClusterNode) {
    return node.routes.length > 0 ? ipFacts() : {};
  },

  plan(node: ClusterNode, facts: RawFacts, _cluster: Cluster): Change[] {
    if (node.routes.length === 0) return [];
    const table = ipState(facts).routes;
    const changes: Change[] = [];
    for (const route of node.routes) {
      const metric = route.metric ?? 0;
      const current = table.find((r) => r.dst === route.to && (r.metric ?? 0) === metric);
      if (current && current.gateway === route.via && (route.dev === undefined || current.dev === route.dev)) continue;
      const target = route.metric !== undefined ? `${route.to} metric ${route.metric}` : route.to;
      const derived = derivedReason(route);
      const after = `via ${route.via}${route.dev ? ` dev ${route.dev}` : ''}${derived ? ` (derived: ${derived})` : ''}`;
      changes.push({
        kind: 'route', target, before: current ? describe(current) : 'absent', after,
        apply: [{ argv: ['ip', 'route', 'replace', ...routeArgs(route)] }],
        revert: current
          ? [{ argv: ['ip', 'route', 'replace', ...existingArgs(current)] }]
          : [{ argv: ['ip', 'route', 'del', route.to, ...(route.metric !== undefined ? ['metric', String(route.metric)] : [])] }],
      });
    }
    return changes;
  },
};

export function routeBootSteps(node: ClusterNode): BootStep[] {
  return node.routes.map((route) => ({ run: ['ip', 'route', 'replace', ...routeArgs(route)] }));
}
