/**
 * What `netstrap graph` draws: a checked cluster file's topology as a graph — LANs; nodes with their interfaces,
 * addresses, pod subnet and NAT rules; the bridges and network namespaces on each node; routers (nodes that
 * forward between two or more LANs) and nodes that join LANs but do not forward — and, on request, the workload
 * connections that the NetworkPolicies allow (from the netpol analysis). Only the content: the CLI renders it as
 * DOT, Mermaid or SVG. Pure: imports nothing outside the model.
 */
import type { NetpolAnalysis } from './netpol/analyze';
import { netpolList } from './netpol/api';
import { isKubernetesNode, podSubnetOf } from './pod-subnets';
import { declaresForwarding, deriveRouting, lanPorts } from './routing';
import type { Cluster, ClusterNode } from './schema';

export interface GraphLan {
  /** Unique among every id of the graph: `lan/NAME`. */
  readonly id: string;
  readonly name: string;
  readonly cidr: string;
}

export interface GraphInterface {
  readonly name: string;
  readonly addresses: readonly string[];
  /** Id of the LAN it is cabled to: its `lan:`, else the LAN whose cidr one of its addresses is in. */
  readonly lan?: string;
  readonly mtu?: number;
}

export interface GraphBridge {
  /** `node/NODE/bridge/NAME`. */
  readonly id: string;
  readonly name: string;
  readonly addresses: readonly string[];
}

/** A network namespace the node declares, with its veth pair. */
export interface GraphNamespace {
  /** `node/NODE/netns/NAME`. */
  readonly id: string;
  readonly name: string;
  /** The veth end inside the namespace and its address. */
  readonly interface: string;
  readonly address: string;
  /** The veth end left on the node. */
  readonly hostSide: string;
  /** Id of the bridge the host side is in; absent: the host side is a plain interface of the node. */
  readonly bridge?: string;
  readonly defaultRoute?: string;
}

/** router: forwards between two or more LANs; node: a Kubernetes node; host: any other machine. */
export type GraphNodeKind = 'router' | 'node' | 'host';

export interface GraphNode {
  /** `node/NAME`. */
  readonly id: string;
  readonly name: string;
  readonly role: ClusterNode['role'];
  readonly kind: GraphNodeKind;
  /** net.ipv4.ip_forward as the cluster file sets it. */
  readonly forwards: boolean;
  /** What a reader should know at a glance: a node on two or more LANs that does not forward. */
  readonly note?: string;
  readonly podSubnet?: string;
  readonly interfaces: readonly GraphInterface[];
  readonly bridges: readonly GraphBridge[];
  readonly namespaces: readonly GraphNamespace[];
  /** Routes in words, written and derived (`routing: auto`): `route 192.168.2.0/24 via 192.168.1.1`. */
  readonly routes: readonly string[];
  /** NAT rules in words: `MASQUERADE 192.168.15.0/24 out eth0`, `DNAT tcp :80 → 192.168.15.2:80`. */
  readonly nat: readonly string[];
}

/** A workload of the NetworkPolicy analysis (`NS/NAME`), drawn inside its Kubernetes namespace. */
export interface GraphWorkload {
  /** `workload/KEY`. */
  readonly id: string;
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
}

/** Addresses outside the workloads that a policy lets in or out (ipBlock ranges). */
export interface GraphExternal {
  /** `external/RANGES`. */
  readonly id: string;
  readonly ranges: string;
}

/** A connection the NetworkPolicies allow: `from` may open connections to `to` on `ports` (`TCP 80, UDP 53`). */
export interface GraphConnection {
  readonly from: string;
  readonly to: string;
  readonly ports: string;
}

export interface TopologyGraph {
  readonly name: string;
  /** The cluster's ranges and CNI plugin, for the title: pods come from podCidr (per node: its pod subnet). */
  readonly network: { readonly podCidr: string; readonly serviceCidr: string; readonly cni: string };
  readonly lans: readonly GraphLan[];
  readonly nodes: readonly GraphNode[];
  /** Empty unless the NetworkPolicy connections were asked for. */
  readonly workloads: readonly GraphWorkload[];
  readonly externals: readonly GraphExternal[];
  readonly connections: readonly GraphConnection[];
}

/**
 * The topology of a checked cluster; with `netpol`, also the workloads and the connections its analysis allows
 * (every ordered pair of distinct workloads with at least one port, and the ipBlock ranges).
 */
export function topologyGraph(cluster: Cluster, netpol?: NetpolAnalysis): TopologyGraph {
  const lans = cluster.lans.map((lan) => ({ id: `lan/${lan.name}`, name: lan.name, cidr: lan.cidr }));
  const nodes = cluster.nodes.map((node) => graphNode(cluster, node));
  const network = {
    podCidr: cluster.network.podCidr,
    serviceCidr: cluster.network.serviceCidr,
    cni: cluster.cni.plugin,
  };
  return { name: cluster.name, network, lans, nodes, ...(netpol ? netpolPart(netpol) : noNetpol) };
}

const noNetpol = { workloads: [], externals: [], connections: [] } as const;

function graphNode(cluster: Cluster, node: ClusterNode): GraphNode {
  const id = `node/${node.name}`;
  const interfaces = node.interfaces.map(
    (iface): GraphInterface => ({
      name: iface.name,
      addresses: iface.addresses,
      lan: lanOf(cluster, node, iface),
      ...(iface.mtu === undefined ? {} : { mtu: iface.mtu }),
    }),
  );
  const lanCount = new Set(interfaces.map((i) => i.lan).filter((lan) => lan !== undefined)).size;
  const forwards = declaresForwarding(node);
  const kind: GraphNodeKind = forwards && lanCount >= 2 ? 'router' : isKubernetesNode(node) ? 'node' : 'host';
  const bridges = node.bridges.map((b) => ({ id: `${id}/bridge/${b.name}`, name: b.name, addresses: b.addresses }));
  const namespaces = node.namespaces.map(
    (ns): GraphNamespace => ({
      id: `${id}/netns/${ns.name}`,
      name: ns.name,
      interface: ns.veth.name,
      address: ns.veth.address,
      hostSide: ns.veth.hostSide,
      ...(ns.veth.bridge && node.bridges.some((b) => b.name === ns.veth.bridge)
        ? { bridge: `${id}/bridge/${ns.veth.bridge}` }
        : {}),
      ...(ns.defaultRoute ? { defaultRoute: ns.defaultRoute } : {}),
    }),
  );
  const nat = [
    ...node.nat.masquerade.map(
      (m) =>
        `MASQUERADE ${m.source}${m.outInterface ? ` out ${m.outInterface}` : ''}${m.exceptDestination ? ` except to ${m.exceptDestination}` : ''}`,
    ),
    ...node.nat.portForwards.map(
      (p) => `DNAT ${p.protocol} :${p.port}${p.inInterface ? ` in ${p.inInterface}` : ''} → ${p.to}`,
    ),
  ];
  const routes = [
    ...node.routes.map(
      (r) =>
        `route ${r.to} via ${r.via}${r.dev ? ` dev ${r.dev}` : ''}${r.metric === undefined ? '' : ` metric ${r.metric}`}`,
    ),
    ...(deriveRouting(cluster).routes.get(node.name) ?? []).map((r) => `route ${r.to} via ${r.via} (routing: auto)`),
  ];
  const podSubnet = podSubnetOf(cluster, node.name);
  return {
    id,
    name: node.name,
    role: node.role,
    kind,
    forwards,
    ...(lanCount >= 2 && !forwards
      ? { note: `on ${lanCount} LANs but does not forward (net.ipv4.ip_forward is not 1): no router` }
      : {}),
    ...(podSubnet ? { podSubnet } : {}),
    interfaces,
    routes,
    bridges,
    namespaces,
    nat,
  };
}

/** The LAN an interface is cabled to: its `lan:`, else the first LAN whose network one of its addresses is on. */
function lanOf(cluster: Cluster, node: ClusterNode, iface: ClusterNode['interfaces'][number]): string | undefined {
  const named = iface.lan === undefined ? undefined : cluster.lans.find((l) => l.name === iface.lan);
  const found = named ?? cluster.lans[lanPorts(cluster, node).find((p) => p.ifname === iface.name)?.lan ?? -1];
  return found ? `lan/${found.name}` : undefined;
}

function netpolPart(analysis: NetpolAnalysis): Pick<TopologyGraph, 'workloads' | 'externals' | 'connections'> {
  const workloads = analysis.workloads.map((w) => ({
    id: `workload/${w.key}`,
    key: w.key,
    namespace: w.namespace,
    name: w.name,
    kind: w.kind,
  }));
  const keys = new Set(workloads.map((w) => w.key));
  const externals = new Map<string, GraphExternal>();
  const endpoint = (text: string): string => {
    if (keys.has(text)) return `workload/${text}`;
    const id = `external/${text}`;
    if (!externals.has(id)) externals.set(id, { id, ranges: text });
    return id;
  };
  const connections = netpolList(analysis).map((row) => ({
    from: endpoint(row.src),
    to: endpoint(row.dst),
    ports: row.connections,
  }));
  return { workloads, externals: [...externals.values()], connections };
}
