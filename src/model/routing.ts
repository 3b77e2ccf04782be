/**
 * `routing: auto`: every node's static routes, derived from the LANs and the routers of the cluster file.
 *
 * - A node is on a LAN when one of its interface addresses lies in the LAN's CIDR.
 * - A router is a node with net.ipv4.ip_forward 1 (or kubernetesPrerequisites) on two or more LANs.
 * - Each node gets a route to every LAN it is not on, via the next-hop router of a shortest path (fewest routers),
 *   and a route to every other Kubernetes node's pod subnet: via that node's address when they share a LAN, else
 *   via the next-hop router towards it. Routers (role host included) thus get the pod routes they forward along.
 * - Equal-cost paths: the router listed first in the file wins, then the LAN listed first.
 * - A hand-written route to the same destination with the same metric and the same gateway replaces the derived
 *   one; with another gateway it is an error naming both.
 * Pure: computed once, when the cluster is resolved (resolve.ts); imports nothing outside the model.
 */
import {
  ipAddressText,
  ipNetworkText,
  type NumericRange,
  numericRange,
  parseInterfaceAddress,
  parseNetwork,
  parseNodeAddress,
  parseNodeInterfaceAddress,
  parseNodeNetwork,
} from './cidr';
import { Issue, show } from './errors';
import { isKubernetesNode, type PodSubnetTable, podSubnets } from './pod-subnets';
import { canonicalRouteDestination } from './route-table';
import {
  type Cluster,
  type ClusterNode,
  type DerivedRoute,
  derivedIsCurrent,
  type ParsedCluster,
  type Routing,
} from './schema';

export type { DerivedRoute, Routing } from './schema';

/** Where a node sits: for each LAN it is on (lans order), its interface and address there. */
export interface LanPort {
  readonly lan: number;
  readonly ifname: string;
  readonly address: string;
}

/** The cluster's LANs as integer ranges, in lans order (undefined for a CIDR that does not parse). */
function lanRanges(cluster: ParsedCluster): Array<NumericRange | undefined> {
  return cluster.lans.map((lan) => {
    const range = parseNetwork(lan.cidr);
    return range.ok ? numericRange(range.value) : undefined;
  });
}

/** Each LAN's IPv6 range in canonical text, in lans order (undefined for a LAN without one). */
function lanRanges6(cluster: ParsedCluster): Array<string | undefined> {
  return cluster.lans.map((lan) => {
    for (const text of lan.cidrs) {
      const range = parseNodeNetwork(text);
      if (range.ok && range.value.family === 6) return ipNetworkText(range.value);
    }
    return undefined;
  });
}

/** The node's IPv6 ports on the cluster's LANs, in lans order (one per LAN: the first IPv6 address found there). */
function lanPorts6(node: ClusterNode, lans: ReadonlyArray<string | undefined>): LanPort[] {
  const ports: LanPort[] = [];
  for (const iface of node.interfaces) {
    for (const text of iface.addresses) {
      if (!text.includes(':')) continue;
      const parsed = parseNodeInterfaceAddress(text);
      if (!parsed.ok) continue;
      const lan = lans.indexOf(ipNetworkText(parsed.value.network));
      if (lan >= 0 && !ports.some((p) => p.lan === lan))
        ports.push({ lan, ifname: iface.name, address: parsed.value.text });
    }
  }
  return ports.sort((a, b) => a.lan - b.lan);
}

/**
 * The node's ports on the cluster's LANs of `family`, in lans order (one per LAN: the first address of that family
 * found there).
 */
export function lanPorts(cluster: ParsedCluster, node: ClusterNode, family: 4 | 6 = 4): LanPort[] {
  return family === 4 ? lanPorts4(node, lanRanges(cluster)) : lanPorts6(node, lanRanges6(cluster));
}

function lanPorts4(node: ClusterNode, lans: Array<NumericRange | undefined>): LanPort[] {
  const ports: LanPort[] = [];
  for (const iface of node.interfaces) {
    for (const text of iface.addresses) {
      const parsed = parseInterfaceAddress(text);
      if (!parsed.ok) continue;
      const network = numericRange(parsed.value.network);
      const lan = lans.findIndex(
        (range) => range !== undefined && range.first === network.first && range.prefix === network.prefix,
      );
      if (lan >= 0 && !ports.some((p) => p.lan === lan))
        ports.push({ lan, ifname: iface.name, address: parsed.value.address.toString() });
    }
  }
  return ports.sort((a, b) => a.lan - b.lan);
}

/**
 * Forwarding of `family` as the cluster file sets it: net.ipv4.ip_forward (kubernetesPrerequisites sets 1) or
 * net.ipv6.conf.all.forwarding.
 */
export function declaresForwarding(node: ClusterNode, family: 4 | 6 = 4): boolean {
  const value =
    family === 4
      ? (node.sysctls['net.ipv4.ip_forward'] ?? (node.kubernetesPrerequisites ? 1 : undefined))
      : node.sysctls['net.ipv6.conf.all.forwarding'];
  return String(value) === '1';
}

/** The derived routes of every node (empty unless routing: auto), as the cluster was resolved with. */
export function deriveRouting(cluster: Cluster): Routing {
  return derivedIsCurrent(cluster) ? cluster.derived.routing : computeRouting(cluster, podSubnets(cluster));
}

/** Derives the routes of every node from the LANs, the routers and the pod subnets (resolve.ts does, once). */
export function computeRouting(cluster: ParsedCluster, podSubnets: PodSubnetTable): Routing {
  return cluster.routing === 'auto' ? compute(cluster, podSubnets) : { routes: new Map(), routers: [], issues: [] };
}

/**
 * Both families: IPv4 as before; IPv6 when a LAN has an IPv6 range, with routers of net.ipv6.conf.all.forwarding 1
 * and the nodes' IPv6 pod subnets. A node's IPv4 routes come first, then its IPv6 ones.
 */
function compute(cluster: ParsedCluster, podSubnets: PodSubnetTable): Routing {
  const issues: Issue[] = [];
  if (cluster.lans.length === 0) {
    return {
      routes: new Map(),
      routers: [],
      issues: [
        { path: ['routing'], message: 'routing: auto derives routes from lans, but the cluster file declares none' },
      ],
    };
  }
  const v4 = computeFamily(cluster, podSubnets, 4, issues);
  const lans6 = lanRanges6(cluster);
  if (lans6.every((lan) => lan === undefined)) return { ...v4, issues };
  const v6 = computeFamily(cluster, podSubnets, 6, issues);
  const routes = new Map<string, DerivedRoute[]>();
  for (const node of cluster.nodes) {
    const both = [...(v4.routes.get(node.name) ?? []), ...(v6.routes.get(node.name) ?? [])];
    if (both.length > 0) routes.set(node.name, both);
  }
  const routers = cluster.nodes
    .map((node) => node.name)
    .filter((name) => v4.routers.includes(name) || v6.routers.includes(name));
  return { routes, routers, issues };
}

/** The routes routing: auto derives for one family (the LANs' ranges, addresses and pod subnets of that family). */
function computeFamily(
  cluster: ParsedCluster,
  podSubnets: PodSubnetTable,
  family: 4 | 6,
  issues: Issue[],
): Pick<Routing, 'routes' | 'routers'> {
  const nodes = cluster.nodes;
  const lans = lanRanges(cluster);
  const lans6 = family === 6 ? lanRanges6(cluster) : [];
  const ports = nodes.map((node) => (family === 4 ? lanPorts4(node, lans) : lanPorts6(node, lans6)));
  const routerIndexes = nodes
    .map((_, i) => i)
    .filter((i) => declaresForwarding(nodes[i], family) && ports[i].length >= 2);
  const lanCount = cluster.lans.length;
  // LAN → routers on it (file order), for the next-hop search.
  const routersOn: number[][] = Array.from({ length: lanCount }, () => []);
  for (const r of routerIndexes) for (const port of ports[r]) routersOn[port.lan].push(r);

  // Router hops from every LAN to a set of target LANs (multi-source BFS over LAN—router—LAN), memoized per set.
  const distances = new Map<string, number[]>();
  const distanceTo = (targets: readonly number[]): number[] => {
    const key = targets.join(',');
    let dist = distances.get(key);
    if (dist) return dist;
    dist = new Array<number>(lanCount).fill(Infinity);
    const queue = [...targets];
    for (const t of targets) dist[t] = 0;
    for (let head = 0; head < queue.length; head++) {
      const lan = queue[head];
      for (const r of routersOn[lan]) {
        for (const port of ports[r]) {
          if (dist[port.lan] === Infinity) {
            dist[port.lan] = dist[lan] + 1;
            queue.push(port.lan);
          }
        }
      }
    }
    distances.set(key, dist);
    return dist;
  };

  // The routers each node shares a LAN with (file order), and its address on the first LAN they share.
  const neighbours = nodes.map((_, n) =>
    routerIndexes.flatMap((r) => {
      if (r === n) return [];
      const shared = ports[n].find((mine) => ports[r].some((theirs) => theirs.lan === mine.lan));
      return shared
        ? [{ router: r, via: ports[r].find((p) => p.lan === shared.lan)!.address, lans: ports[r].map((p) => p.lan) }]
        : [];
    }),
  );
  const hops = new Map<string, { router: number; via: string } | undefined>();
  /** The next hop of node n towards any of `targets` (LANs n is not on): router listed first among equal costs. */
  const nextHop = (n: number, targets: readonly number[]): { router: number; via: string } | undefined => {
    const key = `${n} ${targets.join(',')}`;
    if (hops.has(key)) return hops.get(key);
    const dist = distanceTo(targets);
    let best: { router: number; via: string; cost: number } | undefined;
    for (const candidate of neighbours[n]) {
      let cost = Infinity;
      for (const lan of candidate.lans) cost = Math.min(cost, 1 + dist[lan]);
      if (cost !== Infinity && (!best || cost < best.cost))
        best = { router: candidate.router, via: candidate.via, cost };
    }
    hops.set(key, best);
    return best;
  };

  const pods = podSubnets.subnets.flatMap((s) => {
    const cidr = family === 4 ? s.cidr : s.ipv6;
    return isKubernetesNode(nodes[s.index]) && cidr !== undefined ? [{ ...s, cidr }] : [];
  });
  const lanDestinations = family === 4 ? cluster.lans.map((lan) => canonicalRouteDestination(lan.cidr)) : lans6;
  const routes = new Map<string, DerivedRoute[]>();
  nodes.forEach((node, n) => {
    const mine = new Set(ports[n].map((p) => p.lan));
    const derived: DerivedRoute[] = [];
    if (ports[n].length > 0) {
      cluster.lans.forEach((lan, l) => {
        const to = lanDestinations[l];
        if (mine.has(l) || to === undefined) return;
        const hop = nextHop(n, [l]);
        if (hop) derived.push({ to, via: hop.via, reason: `LAN ${lan.name} via router ${nodes[hop.router].name}` });
      });
      for (const pod of pods) {
        if (pod.index === n || ports[pod.index].length === 0) continue;
        const shared = ports[pod.index].find((p) => mine.has(p.lan));
        if (shared) {
          derived.push({ to: pod.cidr, via: shared.address, reason: `pod subnet of ${pod.node}` });
          continue;
        }
        const hop = nextHop(
          n,
          ports[pod.index].map((p) => p.lan),
        );
        if (hop)
          derived.push({
            to: pod.cidr,
            via: hop.via,
            reason: `pod subnet of ${pod.node} via router ${nodes[hop.router].name}`,
          });
      }
    }
    const kept = withoutWritten(node, n, derived, family, issues);
    if (kept.length > 0) routes.set(node.name, kept);
  });
  return { routes, routers: routerIndexes.map((r) => nodes[r].name) };
}

/**
 * The derived routes of node `n` that no hand-written route replaces: a written route to the same destination with
 * metric 0 wins; one with another gateway is also an issue naming both.
 */
function withoutWritten(
  node: ClusterNode,
  n: number,
  derived: readonly DerivedRoute[],
  family: 4 | 6,
  issues: Issue[],
): DerivedRoute[] {
  // Hand-written routes of the family win; one that says otherwise about the same destination and metric is an error.
  const written = node.routes.map((own) => {
    if ((own.metric ?? 0) !== 0 || routeFamily(own) !== family) return undefined;
    return family === 4 ? canonicalRouteDestination(own.to) : canonicalIpv6Destination(own.to);
  });
  const kept = derived.filter((route) => {
    const r = written.indexOf(route.to);
    if (r < 0) return true;
    const own = node.routes[r];
    if (canonicalAddress(own.via) !== route.via) {
      issues.push({
        path: ['nodes', n, 'routes', r],
        message: `route to ${show(own.to)} via ${own.via} contradicts the route routing: auto derives on node ${node.name}: ${route.to} via ${route.via} (${route.reason}); remove one of them`,
      });
    }
    return false;
  });
  return kept;
}

/** The family of a written route: its gateway's (a route's to and via are one family; host-intents checks that). */
function routeFamily(route: ClusterNode['routes'][number]): 4 | 6 {
  return route.via.includes(':') ? 6 : 4;
}

/** An IPv6 destination in the text routing: auto derives (canonical CIDR), `default` as ::/0. */
function canonicalIpv6Destination(to: string): string {
  if (to === 'default') return '::/0';
  const parsed = parseNodeNetwork(to);
  return parsed.ok ? ipNetworkText(parsed.value) : to;
}

/** An address in canonical text (the derived routes' gateways are), or the text itself when it does not parse. */
function canonicalAddress(text: string): string {
  const parsed = parseNodeAddress(text);
  return parsed.ok ? ipAddressText(parsed.value) : text;
}
