/**
 * routes: every route the cluster file expects (declared or derived) is in the main table with its gateway; every other LAN and every other
 * Kubernetes node's pod subnet is reachable by some route (a longest-prefix lookup, as the kernel does); a route
 * toward another LAN or pod subnet that the cluster file does not declare is extra (it may send traffic astray).
 */
import { parseInterfaceAddress, parseNetwork, rangesOverlap } from '../../model/cidr';
import type { IpRoute } from '../resources/ip-facts';
import { canonicalRouteDestination, destinationsOverlap, parseDestination } from '../../model/route-table';
import { addressOf, expectedRoutes, lookupRoute, nodeAddresses, podSubnetOf } from './net';
import { fail, isKubernetesNode, ok, RUN_BOOTSTRAP, warn, type Finding, type NodeCheck } from './types';

function describe(route: IpRoute): string {
  return `${route.dst}${route.gateway ? ` via ${route.gateway}` : ''}${route.dev ? ` dev ${route.dev}` : ''}${route.metric ? ` metric ${route.metric}` : ''}`;
}

export const routeChecks: NodeCheck = ({ model, self, all }): Finding[] => {
  const { cluster } = model;
  const { node, index, view } = self;
  const table = view.ip.routes;
  const findings: Finding[] = [];
  const expected = expectedRoutes(cluster, node);

  // Expected routes, by destination and metric (the kernel's identity of a route).
  let present = 0;
  for (const route of expected) {
    const dst = canonicalRouteDestination(route.to);
    const metric = route.metric ?? 0;
    const found = table.find((r) => canonicalRouteDestination(r.dst) === dst && (r.metric ?? 0) === metric);
    const want = `${route.to} via ${route.via}${route.dev ? ` dev ${route.dev}` : ''}`;
    if (!found) {
      findings.push(
        fail(
          'routes.missing',
          `${node.name}: no route to ${route.to}${route.metric !== undefined ? ` metric ${route.metric}` : ''}; expected ${want} (${route.source})`,
          RUN_BOOTSTRAP,
          { observed: 'absent', expected: want },
        ),
      );
    } else if (found.gateway !== route.via || (route.dev !== undefined && found.dev !== route.dev)) {
      findings.push(
        fail(
          'routes.gateway',
          `${node.name}: route to ${route.to} is ${describe(found)}; expected ${want} (${route.source})`,
          RUN_BOOTSTRAP,
          { observed: describe(found), expected: want },
        ),
      );
    } else present++;
  }
  if (expected.length > 0 && present === expected.length)
    findings.push(ok('routes.missing', `${node.name}: all ${present} routes of the cluster file are in place`));

  // Every other LAN and pod subnet: reachable by some route; specific routes toward them are declared.
  const onLans = new Set(node.interfaces.map((i) => i.lan).filter((l): l is string => l !== undefined));
  const declaredTo = expected.flatMap((r) => parseDestination(r.to) ?? []);
  const targets = [
    ...cluster.lans.filter((lan) => !onLans.has(lan.name)).map((lan) => ({ what: `LAN ${lan.name}`, cidr: lan.cidr })),
    ...(isKubernetesNode(node)
      ? cluster.nodes
          .filter((n) => n !== node)
          .flatMap((n) => {
            const subnet = podSubnetOf(cluster, n);
            return subnet ? [{ what: `the pod subnet of ${n.name}`, cidr: subnet }] : [];
          })
      : []),
  ];
  const local = nodeAddresses(view.ip).map((a) => a.network);
  const before = findings.length;
  let judged = 0;
  for (const target of targets) {
    const range = parseNetwork(target.cidr);
    const wanted = parseDestination(target.cidr);
    if (!range.ok || !wanted || local.some((net) => rangesOverlap(net, range.value))) continue;
    if (declaredTo.some((d) => destinationsOverlap(d, wanted))) continue; // judged above
    judged++;
    const first = addressOf(target.cidr)!;
    const best = lookupRoute(table, first);
    const specific = table.filter(
      (r) =>
        r.dst !== 'default' &&
        r.protocol !== 'kernel' &&
        (() => {
          const p = parseDestination(r.dst);
          return p !== undefined && destinationsOverlap(p, wanted) && p.prefix > 0;
        })(),
    );
    if (specific.length > 0) {
      for (const route of specific) {
        findings.push(
          warn(
            'routes.extra',
            `${node.name}: route ${describe(route)} toward ${target.what} (${target.cidr}) is not in the cluster file`,
            `declare it in nodes[${index}].routes, or remove it: \`ip route del ${route.dst}${route.metric ? ` metric ${route.metric}` : ''}\` on ${node.name}`,
            { observed: describe(route), expected: 'absent' },
          ),
        );
      }
    } else if (!best) {
      // A router this node shares a LAN with that is also on the target: the route the user probably means.
      const router = all
        .map((r) => r.node)
        .find(
          (n) =>
            n !== node &&
            n.interfaces.some((i) => i.lan !== undefined && onLans.has(i.lan)) &&
            n.interfaces.some((i) =>
              i.addresses.some((a) => {
                const p = parseInterfaceAddress(a);
                return p.ok && rangesOverlap(p.value.network, range.value);
              }),
            ),
        );
      const via = router?.interfaces.find((i) => i.lan !== undefined && onLans.has(i.lan))?.addresses[0]?.split('/')[0];
      findings.push(
        warn(
          'routes.unreachable',
          `${node.name}: no route to ${target.what} (${target.cidr}): traffic to it is dropped here`,
          `add to nodes[${index}].routes: { to: ${target.cidr}, via: ${via ?? '<a router on a LAN of this node>'} } and ${RUN_BOOTSTRAP}`,
          { observed: 'no route', expected: `a route to ${target.cidr}` },
        ),
      );
    }
  }
  if (judged > 0 && findings.length === before) {
    findings.push(
      ok(
        'routes.unreachable',
        `${node.name}: every other LAN and pod subnet it is not on is reached by a route, and no undeclared route points at one`,
      ),
    );
  }
  return findings;
};
