/**
 * Address and route helpers shared by the check groups: the node's IPv4 addresses as the kernel shows them, the
 * kernel's route lookup over `ip -j route` (model/route-table.ts), the pod subnet each node gets, and the routes a
 * node is expected to have. CIDR math through ip-num (model/cidr.ts).
 */
import type { IPv4, IPv4CidrRange } from 'ip-num';
import { parseInterfaceAddress } from '../../model/cidr';
import { derivedReason, effectiveNode } from '../../model/effective';
import { podSubnetOf as modelPodSubnetOf } from '../../model/pod-subnets';
import type { Cluster, ClusterNode } from '../../model/schema';
import { mainTable } from '../lockout';
import type { IpRoute, IpState } from '../resources/ip-facts';

/** One IPv4 address of an interface. */
export interface NodeAddress {
  readonly dev: string;
  /** `192.168.1.11/24` */
  readonly cidr: string;
  readonly address: IPv4;
  readonly network: IPv4CidrRange;
}

export function nodeAddresses(ip: IpState): NodeAddress[] {
  return ip.addrs.flatMap((entry) =>
    (entry.addr_info ?? [])
      .filter((a) => a.family === 'inet')
      .flatMap((a) => {
        const parsed = parseInterfaceAddress(`${a.local}/${a.prefixlen}`);
        return parsed.ok
          ? [
              {
                dev: entry.ifname,
                cidr: parsed.value.cidr,
                address: parsed.value.address,
                network: parsed.value.network,
              },
            ]
          : [];
      }),
  );
}

/** The route the kernel picks for `address` in the main table, if any: none when the one that wins drops it. */
export function lookupRoute(routes: ReadonlyArray<IpRoute>, address: IPv4): IpRoute | undefined {
  return mainTable(routes).deliver({ family: 4, value: address.getValue() })?.route;
}

/** The pod subnet of a Kubernetes node (its own, or allocated from podCidr); undefined for a host. */
export function podSubnetOf(cluster: Cluster, node: ClusterNode): string | undefined {
  return modelPodSubnetOf(cluster, node.name);
}

/** A route a node is expected to have: declared in the cluster file (nodes[].routes) or derived (routing: auto). */
export interface ExpectedRoute {
  readonly to: string;
  readonly via: string;
  readonly dev?: string;
  readonly metric?: number;
  /** Where it comes from, for messages: `nodes[2].routes[0]`, or `routing: auto, <why>`. */
  readonly source: string;
}

export function expectedRoutes(cluster: Cluster, node: ClusterNode): ExpectedRoute[] {
  const index = cluster.nodes.indexOf(node);
  return effectiveNode(cluster, node).routes.map((route, r) => {
    const reason = derivedReason(route);
    return { ...route, source: reason !== undefined ? `routing: auto, ${reason}` : `nodes[${index}].routes[${r}]` };
  });
}
