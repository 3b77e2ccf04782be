/**
 * routes: every route the cluster file expects (declared or derived) is in the main table with its gateway; every other LAN and every other
 * Kubernetes node's pod subnet is reachable by some route (a longest-prefix lookup, as the kernel does); a route
 * toward another LAN or pod subnet that the cluster file does not declare is extra (it may send traffic astray).
 * A route the file does not declare that wins over a declared one (more specific, or the same destination with a
 * lower metric), or a connected LAN's, and an `ip rule` before the main table that sends traffic for a LAN, a pod
 * subnet or a declared destination elsewhere, hijack it: fails, each with the command that removes it.
 * IPv6 routes (issue 21) are checked in IPv6's table (missing, gateway, hijack), with the kernel's IPv6 metric.
 */
import { type IpNetwork, ipNetworksOverlap, parseIpNetwork, parseNodeInterfaceAddress } from '../../model/cidr';
import { podSubnets } from '../../model/pod-subnets';
import { describeRoute, mainTable } from '../lockout';
import { familyRoutes, type IpRoute, type IpState, routeFamily } from '../resources/ip-facts';
import { kernelMetric, routeDestination, routeFamily as intentFamily } from '../resources/routes';
import {
  canonicalRouteDestination,
  type Destination,
  destinationsOverlap,
  parseDestination,
} from '../../model/route-table';
import { type ExpectedRoute, expectedRoutes, nodeAddresses } from './net';
import type { IpRule, PolicyRouting } from './read';
import {
  type CheckInput,
  fail,
  isKubernetesNode,
  ok,
  RUN_BOOTSTRAP,
  warn,
  type Finding,
  type NodeCheck,
} from './types';

/** `ip route del` of a route as listed (the kernel matches destination, metric and table; any type). */
function deleteCommand(route: IpRoute, table?: string): string {
  const ip = routeFamily(route) === 6 ? 'ip -6' : 'ip';
  return `${ip} route del ${route.dst}${route.metric ? ` metric ${route.metric}` : ''}${table ? ` table ${table}` : ''}`;
}

/** An expected route's destination, of its family (`default` of an IPv6 `via` is ::/0). */
function expectedDestination(route: ExpectedRoute): Destination | undefined {
  return parseDestination(route.to, intentFamily(route));
}

/** A destination traffic must reach the way the cluster file says: a declared route's, a LAN's, a pod subnet's. */
interface Guarded {
  readonly what: string;
  readonly destination: Destination;
  /** The declared route that should carry it (absent: a LAN or pod subnet). */
  readonly route?: ExpectedRoute;
}

/** A rule's selectors as `ip rule` takes them (for messages and `ip rule del`). */
function describeRule(rule: IpRule): string {
  const parts = [`priority ${rule.priority}`];
  if (rule.not) parts.push('not');
  if (rule.src && rule.src !== 'all')
    parts.push(`from ${rule.src}${rule.srclen !== undefined ? `/${rule.srclen}` : ''}`);
  if (rule.dst && rule.dst !== 'all') parts.push(`to ${rule.dst}${rule.dstlen !== undefined ? `/${rule.dstlen}` : ''}`);
  if (rule.iif) parts.push(`iif ${rule.iif}`);
  if (rule.oif) parts.push(`oif ${rule.oif}`);
  if (rule.fwmark) parts.push(`fwmark ${rule.fwmark}`);
  return parts.join(' ');
}

const DROPPING_ACTIONS = new Set(['blackhole', 'unreachable', 'prohibit']);

/**
 * Rules the kernel consults before the main table that take traffic for a guarded destination elsewhere: one that
 * drops it, or one whose table has a route into it.
 */
function ruleHijacks(node: string, policy: PolicyRouting, guarded: ReadonlyArray<Guarded>): Finding[] {
  const main = policy.rules.find((r) => r.table === 'main' && !r.action && (!r.src || r.src === 'all') && !r.dst);
  const mainPriority = main?.priority ?? 32766;
  const findings: Finding[] = [];
  for (const rule of policy.rules) {
    if (rule.priority >= mainPriority || rule.table === 'local' || rule.table === 'main' || rule.table === 'default')
      continue;
    if (rule.action !== undefined && !DROPPING_ACTIONS.has(rule.action)) continue;
    const selected =
      rule.dst && rule.dst !== 'all' && !rule.not ? parseDestination(`${rule.dst}/${rule.dstlen ?? 32}`) : undefined;
    const routes = rule.table !== undefined ? (policy.tables.get(rule.table) ?? []) : [];
    for (const target of guarded) {
      if (selected && !destinationsOverlap(selected, target.destination)) continue;
      const taking = rule.action
        ? undefined
        : routes.find((r) => {
            const d = parseDestination(r.dst);
            return d !== undefined && r.type !== 'throw' && destinationsOverlap(d, target.destination);
          });
      if (!rule.action && !taking) continue;
      const how = rule.action
        ? `${rule.action}s it`
        : `sends it to table ${rule.table}, whose route ${describeRoute(taking!)} the kernel uses instead of the main table's`;
      findings.push(
        fail(
          'routes.rule',
          `${node}: ip rule ${describeRule(rule)} comes before the main table and ${how}: traffic for ${target.what} does not take the route the cluster file gives`,
          `remove it: \`ip rule del ${describeRule(rule)}\`${taking ? ` (and \`${deleteCommand(taking, rule.table)}\` if nothing else uses table ${rule.table})` : ''} on ${node}`,
          {
            observed: `ip rule ${describeRule(rule)} ${rule.action ?? `table ${rule.table}`}`,
            expected: 'no rule before the main table for it',
          },
        ),
      );
      break; // one finding per rule: the first destination it takes
    }
  }
  return findings;
}

export const routeChecks: NodeCheck = (input): Finding[] => {
  const { model, self } = input;
  const { node, view } = self;
  const expected = expectedRoutes(model.cluster, node);
  const { findings, present } = expectedRouteFindings(self, expected);
  const connected = nodeAddresses(view.ip).flatMap((a): Guarded[] => {
    const d = parseDestination(a.network.toCidrString());
    return d ? [{ what: `the connected network ${a.network.toCidrString()} on ${a.dev}`, destination: d }] : [];
  });
  const declared: Guarded[] = expected.flatMap((route) => {
    const d = expectedDestination(route);
    return d ? [{ what: `${route.to} (${route.source})`, destination: d, route }] : [];
  });
  const hijacks = hijackFindings(self, expected, [...declared, ...connected]);
  findings.push(...hijacks);
  if (expected.length > 0 && present === expected.length && hijacks.length === 0)
    findings.push(ok('routes.missing', `${node.name}: all ${present} routes of the cluster file are in place`));
  const reach = reachFindings(input, expected);
  findings.push(...reach.findings);
  const others: Guarded[] = reach.targets.flatMap((t) => {
    const d = parseDestination(t.cidr);
    return d ? [{ what: `${t.what} (${t.cidr})`, destination: d }] : [];
  });
  const ruled = ruleHijacks(node.name, view.policy, [...declared, ...connected, ...others]);
  if (reach.judged > 0 && reach.findings.length === 0 && ruled.length === 0) {
    findings.push(
      ok(
        'routes.unreachable',
        `${node.name}: every other LAN and pod subnet it is not on is reached by a route, and no undeclared route points at one`,
      ),
    );
  }
  findings.push(...ruled);
  return findings;
};

/** Expected routes, by destination and metric (the kernel's identity of a route): missing, or another way. */
function expectedRouteFindings(
  self: CheckInput['self'],
  expected: ReadonlyArray<ExpectedRoute>,
): { findings: Finding[]; present: number } {
  const { node } = self;
  const findings: Finding[] = [];
  let present = 0;
  for (const route of expected) {
    // Each family's table: the kernel's IPv6 metric is 1024 when the route names none.
    const family = intentFamily(route);
    const table = familyRoutes(self.view.ip, family);
    const dst = routeDestination(route);
    const metric = kernelMetric(route);
    const found = table.find((r) => canonicalRouteDestination(r.dst, family) === dst && (r.metric ?? 0) === metric);
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
          `${node.name}: route to ${route.to} is ${describeRoute(found)}; expected ${want} (${route.source})`,
          `${RUN_BOOTSTRAP} (it replaces it), or on ${node.name}: \`${family === 6 ? 'ip -6' : 'ip'} route replace ${want}${route.metric !== undefined ? ` metric ${route.metric}` : ''}\``,
          { observed: describeRoute(found), expected: want },
        ),
      );
    } else present++;
  }
  return { findings, present };
}

/** Routes the file does not give that win over a declared route or a connected LAN for some of its addresses. */
function hijackFindings(
  self: CheckInput['self'],
  expected: ReadonlyArray<ExpectedRoute>,
  guarded: ReadonlyArray<Guarded>,
): Finding[] {
  const { node, index } = self;
  const findings: Finding[] = [];
  // Each family's table against that family's guarded destinations (the kernel keeps one table per family).
  const table = [...self.view.ip.routes, ...self.view.ip.routes6];
  const isExpected = (r: IpRoute) =>
    expected.some(
      (e) =>
        intentFamily(e) === routeFamily(r) &&
        routeDestination(e) === canonicalRouteDestination(r.dst, routeFamily(r)) &&
        kernelMetric(e) === (r.metric ?? 0),
    );
  const { interfaces, bridges } = node;
  const ownAddresses = new Set(
    [...interfaces.flatMap((i) => i.addresses), ...bridges.flatMap((b) => b.addresses)].map((a) => a.split('/')[0]),
  );
  for (const route of table) {
    if (isExpected(route)) continue;
    // A connected route comes with an address: one the file declares is the file's; another, inside a declared
    // route's destination, takes that part of it (an address added by hand on some interface).
    const connectedRoute = route.protocol === 'kernel';
    if (connectedRoute && (route.prefsrc === undefined || ownAddresses.has(route.prefsrc))) continue;
    const d = parseDestination(route.dst, routeFamily(route));
    if (!d) continue;
    const victim = (connectedRoute ? guarded.filter((g) => g.route !== undefined) : guarded).find(
      (g) =>
        destinationsOverlap(d, g.destination) &&
        (d.prefix > g.destination.prefix ||
          (g.route !== undefined &&
            d.prefix === g.destination.prefix &&
            (connectedRoute || (route.metric ?? 0) < kernelMetric(g.route)))),
    );
    if (!victim) continue;
    const wanted = victim.route
      ? `the declared ${victim.route.to} via ${victim.route.via}${victim.route.metric !== undefined ? ` metric ${victim.route.metric}` : ''} (${victim.route.source})`
      : victim.what;
    findings.push(
      fail(
        'routes.hijack',
        connectedRoute
          ? `${node.name}: route ${describeRoute(route)} of the address ${route.prefsrc}, which is not in the cluster file, wins over ${wanted} for ${route.dst}`
          : `${node.name}: route ${describeRoute(route)} is not in the cluster file and wins over ${wanted}${d.prefix > victim.destination.prefix ? ` for ${route.dst}` : ' (a lower metric)'}`,
        connectedRoute
          ? `remove the address: \`ip addr del ${route.prefsrc}/${d.prefix} dev ${route.dev}\` on ${node.name}`
          : `remove it: \`${deleteCommand(route)}\` on ${node.name} (or declare it in nodes[${index}].routes)`,
        { observed: describeRoute(route), expected: 'absent' },
      ),
    );
  }
  return findings;
}

/**
 * Every other LAN and pod subnet, of each family the file gives them: reachable by some route of that family's
 * table; specific routes toward them are declared.
 */
function reachFindings(
  { model, self, all }: CheckInput,
  expected: ReadonlyArray<ExpectedRoute>,
): { findings: Finding[]; judged: number; targets: ReadonlyArray<{ what: string; cidr: string }> } {
  const { cluster } = model;
  const { node, index, view } = self;
  const findings: Finding[] = [];
  const onLans = new Set(node.interfaces.map((i) => i.lan).filter((l): l is string => l !== undefined));
  const declaredTo = expected.flatMap((r) => expectedDestination(r) ?? []);
  const pods = podSubnets(cluster).byNode;
  const targets = [
    ...cluster.lans
      .filter((lan) => !onLans.has(lan.name))
      .flatMap((lan) => lan.cidrs.map((cidr) => ({ what: `LAN ${lan.name}`, cidr }))),
    ...(isKubernetesNode(node)
      ? cluster.nodes
          .filter((n) => n !== node)
          .flatMap((n) => {
            const subnet = pods.get(n.name);
            return [subnet?.cidr, subnet?.ipv6].flatMap((cidr) =>
              cidr ? [{ what: `the pod subnet of ${n.name}`, cidr }] : [],
            );
          })
      : []),
  ];
  const local = localNetworks(view.ip);
  let judged = 0;
  for (const target of targets) {
    const range = parseIpNetwork(target.cidr);
    const wanted = parseDestination(target.cidr);
    if (!range.ok || !wanted || local.some((net) => ipNetworksOverlap(net, range.value))) continue;
    if (declaredTo.some((d) => destinationsOverlap(d, wanted))) continue; // judged above
    judged++;
    const six = wanted.family === 6;
    const table = six ? view.ip.routes6 : view.ip.routes;
    const best = mainTable(table, wanted.family).deliver({ family: wanted.family, value: wanted.first });
    const specific = table.filter(
      (r) =>
        r.dst !== 'default' &&
        r.protocol !== 'kernel' &&
        (() => {
          const p = parseDestination(r.dst, wanted.family);
          return p !== undefined && destinationsOverlap(p, wanted) && p.prefix > 0;
        })(),
    );
    if (specific.length > 0) {
      for (const route of specific) {
        findings.push(
          warn(
            'routes.extra',
            `${node.name}: route ${describeRoute(route)} toward ${target.what} (${target.cidr}) is not in the cluster file`,
            `declare it in nodes[${index}].routes, or remove it: \`ip ${six ? '-6 ' : ''}route del ${route.dst}${route.metric ? ` metric ${route.metric}` : ''}\` on ${node.name}`,
            { observed: describeRoute(route), expected: 'absent' },
          ),
        );
      }
    } else if (!best) {
      // A router this node shares a LAN with that is also on the target: the route the user probably means.
      const ofFamily = (a: string) => {
        const p = parseNodeInterfaceAddress(a);
        return p.ok && p.value.family === wanted.family ? p.value : undefined;
      };
      const router = all
        .map((r) => r.node)
        .find(
          (n) =>
            n !== node &&
            n.interfaces.some((i) => i.lan !== undefined && onLans.has(i.lan)) &&
            n.interfaces.some((i) =>
              i.addresses.some((a) => {
                const p = ofFamily(a);
                return p !== undefined && ipNetworksOverlap(p.network, range.value);
              }),
            ),
        );
      const via = router?.interfaces
        .find((i) => i.lan !== undefined && onLans.has(i.lan))
        ?.addresses.map(ofFamily)
        .find((p) => p !== undefined)?.text;
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
  return { findings, judged, targets };
}

/** The networks of the node's addresses, both families (a network it is on is reached without a route). */
function localNetworks(ip: IpState): IpNetwork[] {
  return ip.addrs.flatMap((entry) =>
    (entry.addr_info ?? []).flatMap((a) => {
      const parsed = parseIpNetwork(`${a.local}/${a.prefixlen}`, true);
      return parsed.ok ? [parsed.value] : [];
    }),
  );
}
