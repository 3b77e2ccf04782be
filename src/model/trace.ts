/**
 * Static path tracing: where a packet from FROM to TO goes, walked through the model hop by hop, and back.
 *
 * Places are a node's root network namespace, a namespace it declares, or a pod (a namespace on the node's bridge
 * CNI bridge, whose address exists only at run time: it is traced with a stand-in address of the node's pod
 * subnet). On each place: DNAT (nat.portForwards, PREROUTING or OUTPUT), local delivery, longest-prefix route
 * lookup (connected networks, the node's routes including those routing: auto derives, a namespace's default
 * route), net.ipv4.ip_forward on a forwarding hop (the bridge CNI plugin turns it on, as its isGateway does),
 * MASQUERADE on the way out, then the next hop on the link's segment (a LAN, a bridge, the pod bridge). The reply
 * goes back from where the packet was delivered, to the address it came from, un-NATed where conntrack would.
 *
 * Verdicts: delivered; dropped (no route, ip_forward 0, no way back); leaves the modelled network (the next hop is
 * no place of the cluster file). Pure: imports nothing outside the model.
 */
import {
  type IpNetwork,
  ipAddressText,
  ipNetworkPrefix,
  parseAddress,
  parseNodeAddress,
  parseNodeInterfaceAddress,
  parseNodeNetwork,
  rangeBounds,
  splitHostPort,
} from './cidr';
import { derivedReason, effectiveNodes } from './effective';
import { InputError, Issue, show } from './errors';
import { isKubernetesNode, type PodSubnet, podSubnets } from './pod-subnets';
import {
  addressText,
  type Destination,
  destinationContains,
  type Family,
  parseDestination,
  parseRouteAddress,
  type RouteAddress,
  RouteTable,
} from './route-table';
import { declaresForwarding, lanPorts } from './routing';
import { type Cluster, type ClusterNode, NAMESPACE_NAME } from './schema';

// ---------------------------------------------------------------------------------------------------------------
// Endpoints: `node`, `node/namespace` (declared, or a pod), an IPv4 or IPv6 address; optionally `:port` (`[IPv6]:port`).

export type Endpoint =
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'node'; readonly node: string }
  | { readonly kind: 'namespace'; readonly node: string; readonly namespace: string }
  | { readonly kind: 'pod'; readonly node: string; readonly pod: string };

/** True when pods can live on the node: a Kubernetes node with the bridge CNI and a pod subnet. */
export function runsPods(cluster: Cluster, node: ClusterNode): boolean {
  return cluster.cni.plugin === 'bridge' && isKubernetesNode(node) && podSubnets(cluster).byNode.has(node.name);
}

/** Parses an endpoint; `where` says which (`from`, `to`) in messages. Returns the endpoint or what is wrong. */
export function parseEndpoint(
  cluster: Cluster,
  text: string,
  allowAddress: boolean,
): { endpoint?: Endpoint; error?: string } {
  if (allowAddress && /^[0-9.]+$/.test(text)) {
    const parsed = parseAddress(text);
    return parsed.ok ? { endpoint: { kind: 'address', address: text } } : { error: parsed.error };
  }
  if (allowAddress && (text.includes(':') || text.includes('%'))) {
    const parsed = parseNodeAddress(text);
    return parsed.ok
      ? { endpoint: { kind: 'address', address: ipAddressText(parsed.value) } }
      : { error: parsed.error };
  }
  const parts = text.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    return {
      error: `must be ${allowAddress ? 'an IPv4 or IPv6 address, ' : ''}a node name or node/namespace (got ${show(text)})`,
    };
  }
  const node = cluster.nodes.find((n) => n.name === parts[0]);
  if (!node) {
    const names = cluster.nodes.map((n) => n.name);
    const known = names.length > 0 ? `; the nodes are ${names.join(', ')}` : '; the file declares no nodes';
    return { error: `no node named ${show(parts[0])}${parts.length > 1 ? ` (got ${show(text)})` : ''}${known}` };
  }
  if (parts[1] === undefined) return { endpoint: { kind: 'node', node: node.name } };
  if (node.namespaces.some((ns) => ns.name === parts[1]))
    return { endpoint: { kind: 'namespace', node: node.name, namespace: parts[1] } };
  if (!NAMESPACE_NAME.test(parts[1]))
    return { error: `${show(parts[1])} is not a namespace or pod name (got ${show(text)})` };
  if (!runsPods(cluster, node)) {
    return {
      error: `node ${show(node.name)} declares no namespace ${show(parts[1])}, and runs no pods (needs cni.plugin bridge and role control-plane or worker) (got ${show(text)})`,
    };
  }
  return { endpoint: { kind: 'pod', node: node.name, pod: parts[1] } };
}

/**
 * Splits `TARGET:port` or `[IPv6]:port`; undefined port when there is none. An IPv6 address without brackets is a
 * target without a port (`fd00::2:80` is an address); one in brackets must be followed by `:port`.
 */
export function splitPort(text: string): { target: string; port?: number; error?: string } {
  if (text.startsWith('[')) {
    const bracketed = /^\[([^\]]*)\](?::(\d{1,5}))?$/.exec(text);
    if (!bracketed || bracketed[2] === undefined) return { target: text, error: 'expected [IPv6 address]:port' };
    const port = Number(bracketed[2]);
    if (port < 1 || port > 65535) return { target: bracketed[1], error: `port ${port} is out of range 1-65535` };
    return { target: bracketed[1], port };
  }
  if (text.split(':').length > 2) return { target: text };
  const match = /^(.*):(\d{1,5})$/.exec(text);
  if (!match) return { target: text };
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return { target: match[1], error: `port ${port} is out of range 1-65535` };
  return { target: match[1], port };
}

export function formatEndpoint(endpoint: Endpoint): string {
  switch (endpoint.kind) {
    case 'address':
      return endpoint.address;
    case 'node':
      return endpoint.node;
    case 'namespace':
      return `${endpoint.node}/${endpoint.namespace}`;
    case 'pod':
      return `${endpoint.node}/${endpoint.pod}`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The network as places, interfaces, segments and routes. Both families: an address is a family and an integer,
// a place has one route table and one forwarding setting per family, as the kernel has.

/** An address of an interface and its network (route lookups compare integers; ip-num parses and prints). */
interface IfaceAddress {
  readonly family: Family;
  readonly ip: bigint;
  readonly network: Destination;
}

interface Iface {
  readonly name: string;
  /** The L2 segment the interface is on: `lan:<name>`, `bridge:<node>:<bridge>`, `pods:<node>`, or its own. */
  readonly segment: string;
  readonly addresses: readonly IfaceAddress[];
}

interface RouteEntry {
  readonly via?: bigint;
  readonly dev: string;
  /** How the route reads in a hop (made when a hop uses it: a big cluster has many thousand routes). */
  readonly text: () => string;
}

type PerFamily<T> = Readonly<Record<Family, T>>;

interface Place {
  readonly id: string;
  readonly node: string;
  readonly kind: 'node' | 'namespace' | 'pod';
  readonly ifaces: Iface[];
  readonly routes: PerFamily<RouteTable<RouteEntry>>;
  /** Why it forwards packets of each family (undefined: it does not). */
  readonly forwards: PerFamily<string | undefined>;
  readonly masquerade: ReadonlyArray<{
    readonly source: Destination;
    readonly except?: Destination;
    readonly out?: string;
    readonly text: string;
  }>;
  readonly dnat: ReadonlyArray<{
    readonly protocol: string;
    readonly port: number;
    readonly to: RouteAddress;
    readonly toPort: number;
    readonly in?: string;
    readonly text: string;
  }>;
}

/** The places of a cluster and how they connect: built once per trace, or once for all the probes of a cluster. */
export interface Network {
  readonly places: Map<string, Place>;
  readonly nodes: Map<string, ClusterNode>;
  /** `segment family address` → owner (pods of one trace are looked up in `extra` first). */
  readonly owners: Map<string, { place: Place; iface: Iface }>;
  readonly extra?: Map<string, { place: Place; iface: Iface }>;
  /** The LANs and their ranges (one per family they have). */
  readonly lans: ReadonlyArray<{ readonly name: string; readonly ranges: readonly Destination[] }>;
  /** The cluster's routing mode (`auto` derives the routes from the LANs and routers). */
  readonly routing: Cluster['routing'];
}

/** The sysctl that turns forwarding of `family` on, as messages name it. */
const FORWARDING: PerFamily<string> = { 4: 'net.ipv4.ip_forward', 6: 'net.ipv6.conf.all.forwarding' };
const ANY: PerFamily<Destination> = { 4: parseDestination('default', 4)!, 6: parseDestination('default', 6)! };
const text = (family: Family, value: bigint): string => addressText(family, value);
/** `10.0.0.1:80`, `[fd00::1]:80`, or the address alone without a port. */
const withPort = (family: Family, value: bigint, port?: number): string =>
  port === undefined
    ? text(family, value)
    : family === 6
      ? `[${text(family, value)}]:${port}`
      : `${text(family, value)}:${port}`;

/** A network of either family as a route destination. */
function destinationOf(network: IpNetwork): Destination {
  if (network.family === 4) {
    const [first, last] = rangeBounds(network.value);
    return { family: 4, first, last, prefix: ipNetworkPrefix(network) };
  }
  return {
    family: 6,
    first: network.value.getFirst().getValue(),
    last: network.value.getLast().getValue(),
    prefix: ipNetworkPrefix(network),
  };
}

function parsedAddresses(texts: readonly string[]): Iface['addresses'] {
  return texts.flatMap((address) => {
    const parsed = parseNodeInterfaceAddress(address);
    if (!parsed.ok) return [];
    const { family, value } = parsed.value.address;
    return [{ family, ip: value.getValue(), network: destinationOf(parsed.value.network) }];
  });
}

/** A place's tables with the connected routes of its interfaces (the kernel adds one per address). */
function connected(ifaces: readonly Iface[]): PerFamily<RouteTable<RouteEntry>> {
  const tables = { 4: new RouteTable<RouteEntry>(4), 6: new RouteTable<RouteEntry>(6) };
  for (const iface of ifaces)
    for (const a of iface.addresses)
      tables[a.family].add(
        { dev: iface.name, text: () => `${destinationCidr(a.network)} dev ${iface.name} (connected)` },
        { dst: a.network },
      );
  return tables;
}

/** A destination in CIDR text (always with its prefix, as `ip route` shows a connected network). */
function destinationCidr(destination: Destination): string {
  return `${text(destination.family, destination.first)}/${destination.prefix}`;
}

/** The network of a resolved cluster, for {@link trace}: build it once when tracing many packets. */
export function traceNetwork(cluster: Cluster): Network {
  const lans = cluster.lans.map((lan) => ({
    name: lan.name,
    ranges: lan.cidrs.flatMap((range) => {
      const parsed = parseNodeNetwork(range);
      return parsed.ok ? [destinationOf(parsed.value)] : [];
    }),
  }));
  const sameRange = (a: Destination, b: Destination) =>
    a.family === b.family && a.first === b.first && a.prefix === b.prefix;
  const places = new Map<string, Place>();
  const nodes = new Map<string, ClusterNode>();
  // Every node routes to every pod subnet: parse each destination and gateway text once.
  const destinations = new Map<string, Destination | undefined>();
  const gateways = new Map<string, RouteAddress | undefined>();
  const gatewayOf = (via: string): RouteAddress | undefined => {
    if (!gateways.has(via)) gateways.set(via, parseRouteAddress(via));
    return gateways.get(via);
  };
  const destination = (to: string, family: Family): Destination | undefined => {
    const key = `${family} ${to}`;
    if (!destinations.has(key)) destinations.set(key, parseDestination(to, family));
    return destinations.get(key);
  };
  for (const node of effectiveNodes(cluster)) {
    nodes.set(node.name, node);
    const ifaces: Iface[] = node.interfaces.map((iface) => {
      const addresses = parsedAddresses(iface.addresses);
      const lan =
        iface.lan ?? lans.find((l) => addresses.some((a) => l.ranges.some((r) => sameRange(a.network, r))))?.name;
      return {
        name: iface.name,
        segment: lan !== undefined ? `lan:${lan}` : `link:${node.name}:${iface.name}`,
        addresses,
      };
    });
    for (const bridge of node.bridges)
      ifaces.push({
        name: bridge.name,
        segment: `bridge:${node.name}:${bridge.name}`,
        addresses: parsedAddresses(bridge.addresses),
      });
    const pods = runsPods(cluster, node) ? podSubnets(cluster).byNode.get(node.name) : undefined;
    const podRanges = pods ? podRangesOf(pods) : [];
    if (pods) {
      // The bridge plugin (isGateway) puts the first address of each subnet on the bridge: host-local's gateway.
      ifaces.push({
        name: cluster.cni.bridge?.name ?? 'cni0',
        segment: `pods:${node.name}`,
        addresses: podRanges.map((range) => ({ family: range.family, ip: range.first + 1n, network: range })),
      });
    }
    const routes = connected(ifaces);
    for (const route of node.routes) {
      const via = gatewayOf(route.via);
      const range = via === undefined ? undefined : destination(route.to, via.family);
      if (range === undefined || via === undefined || range.family !== via.family) continue;
      const dev = route.dev ?? ifaces.find((i) => i.addresses.some((a) => destinationContains(a.network, via)))?.name;
      if (dev === undefined) continue;
      routes[via.family].add(
        {
          via: via.value,
          dev,
          text: () =>
            `${route.to} via ${route.via} dev ${dev}${derivedReason(route) ? ` (derived: ${derivedReason(route)})` : ''}`,
        },
        { dst: range, metric: route.metric },
      );
    }
    const bridgeCni = pods !== undefined && cluster.cni.plugin === 'bridge';
    const forwards = {
      4: declaresForwarding(node)
        ? 'ip_forward 1'
        : bridgeCni
          ? 'ip_forward 1: the bridge CNI plugin turns it on'
          : undefined,
      6: declaresForwarding(node, 6)
        ? 'net.ipv6.conf.all.forwarding 1'
        : bridgeCni && pods?.ipv6 !== undefined
          ? 'net.ipv6.conf.all.forwarding 1: the bridge CNI plugin turns it on'
          : undefined,
    };
    const masquerade = masqueradeRules(node);
    const dnat = dnatRules(node);
    // Namespaces: an unbridged veth is a link of its own between the node and the namespace.
    for (const place of namespacePlaces(node, ifaces)) places.set(place.id, place);
    places.set(node.name, { id: node.name, node: node.name, kind: 'node', ifaces, routes, forwards, masquerade, dnat });
  }
  const owners = new Map<string, { place: Place; iface: Iface }>();
  for (const place of places.values()) index(owners, place);
  return { places, nodes, owners, lans, routing: cluster.routing };
}

/** A node's pod subnets as destinations: IPv4, then IPv6 when the cluster is dual-stack. */
function podRangesOf(pods: PodSubnet): Destination[] {
  const v4: Destination = {
    family: 4,
    first: BigInt(pods.numeric.first),
    last: BigInt(pods.numeric.last),
    prefix: pods.numeric.prefix,
  };
  const v6 = pods.ipv6 === undefined ? undefined : parseDestination(pods.ipv6, 6);
  return v6 ? [v4, v6] : [v4];
}

/** The node's MASQUERADE rules (iptables and ip6tables), as integers. */
function masqueradeRules(node: ClusterNode): Place['masquerade'] {
  return node.nat.masquerade.flatMap((m) => {
    const source = parseNodeNetwork(m.source);
    const except = m.exceptDestination === undefined ? undefined : parseNodeNetwork(m.exceptDestination);
    if (!source.ok || (except && !except.ok)) return [];
    const rule = `MASQUERADE -s ${m.source}${m.exceptDestination ? ` ! -d ${m.exceptDestination}` : ''}${m.outInterface ? ` -o ${m.outInterface}` : ''}${derivedReason(m) ? ' (derived)' : ''}`;
    return [
      {
        source: destinationOf(source.value),
        except: except?.ok ? destinationOf(except.value) : undefined,
        out: m.outInterface,
        text: source.value.family === 6 ? `ip6tables ${rule}` : rule,
      },
    ];
  });
}

/** The node's port forwards (DNAT), as integers. */
function dnatRules(node: ClusterNode): Place['dnat'] {
  return node.nat.portForwards.flatMap((f) => {
    const split = splitHostPort(f.to);
    const to = split ? parseRouteAddress(split.host) : undefined;
    if (!split || !to) return [];
    return [
      {
        protocol: f.protocol,
        port: f.port,
        to,
        toPort: Number(split.port),
        in: f.inInterface,
        text: `DNAT ${f.protocol}/${f.port} → ${f.to}`,
      },
    ];
  });
}

/** The node's namespaces as places; adds to `nodeIfaces` the host side of each unbridged veth (a link of its own). */
function namespacePlaces(node: ClusterNode, nodeIfaces: Iface[]): Place[] {
  return node.namespaces.map((ns) => {
    const segment =
      ns.veth.bridge !== undefined ? `bridge:${node.name}:${ns.veth.bridge}` : `veth:${node.name}:${ns.name}`;
    if (ns.veth.bridge === undefined) nodeIfaces.push({ name: ns.veth.hostSide, segment, addresses: [] });
    const ifaces: Iface[] = [{ name: ns.veth.name, segment, addresses: parsedAddresses(ns.veth.addresses) }];
    const routes = connected(ifaces);
    for (const gateway of ns.defaultRoutes) {
      const gw = parseRouteAddress(gateway);
      if (gw)
        routes[gw.family].add(
          { via: gw.value, dev: ns.veth.name, text: () => `default via ${gateway} dev ${ns.veth.name}` },
          { dst: ANY[gw.family] },
        );
    }
    const id = `${node.name}/${ns.name}`;
    const forwards = { 4: undefined, 6: undefined };
    return { id, node: node.name, kind: 'namespace' as const, ifaces, routes, forwards, masquerade: [], dnat: [] };
  });
}

const ownerKey = (segment: string, family: Family, ip: bigint) => `${segment} ${family} ${ip}`;

function index(owners: Map<string, { place: Place; iface: Iface }>, place: Place): void {
  for (const iface of place.ifaces)
    for (const a of iface.addresses) owners.set(ownerKey(iface.segment, a.family, a.ip), { place, iface });
}

/**
 * The stand-in address of a pod: picked by a hash of its name among the subnet's host addresses (after the bridge's
 * first address), so the same pod has the same address in every run and whatever else the trace places; `taken`
 * (addresses of the trace's other pods) moves it to the next free one.
 */
function standInAddress(subnet: Destination, pod: string, taken: ReadonlySet<bigint>): bigint {
  const hosts = subnet.last - subnet.first - 2n; // without the network address, the bridge's first and the last
  let hash = 2166136261; // FNV-1a
  for (const char of pod) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  let ip = subnet.first + 2n + (hosts > 0n ? BigInt(hash) % hosts : 0n);
  for (let n = 0n; n < hosts && taken.has(ip); n++) ip = ip + 1n >= subnet.last ? subnet.first + 2n : ip + 1n;
  return ip;
}

/** A pod as a place: eth0 on the node's pod bridge with a stand-in address per family, default routes via the bridge. */
function podPlace(cluster: Cluster, node: string, pod: string, taken: ReadonlySet<bigint>): Place {
  const ranges = podRangesOf(podSubnets(cluster).byNode.get(node)!);
  const ifaces: Iface[] = [
    {
      name: 'eth0',
      segment: `pods:${node}`,
      addresses: ranges.map((range) => ({
        family: range.family,
        ip: standInAddress(range, pod, taken),
        network: range,
      })),
    },
  ];
  const routes = connected(ifaces);
  for (const range of ranges) {
    const gateway = range.first + 1n;
    routes[range.family].add(
      { via: gateway, dev: 'eth0', text: () => `default via ${text(range.family, gateway)} dev eth0` },
      { dst: ANY[range.family] },
    );
  }
  const forwards = { 4: undefined, 6: undefined };
  return { id: `${node}/${pod}`, node, kind: 'pod', ifaces, routes, forwards, masquerade: [], dnat: [] };
}

// ---------------------------------------------------------------------------------------------------------------
// Walking

export interface TraceHop {
  /** The place (node, node/namespace, node/pod) and what happened there. */
  readonly at: string;
  readonly action: string;
  /** Where a routed hop sends the packet: the route's gateway (absent: on-link), its interface, the next place. */
  readonly next?: TraceNextHop;
}

export interface TraceNextHop {
  /** The model's route, as `ip route` would show it. */
  readonly route: string;
  readonly via?: string;
  readonly dev: string;
  /** The place that has the next-hop address (absent: none of the cluster file). */
  readonly to?: string;
  /** The packet as routed here: its destination, and for a forwarded packet its source and the interface it came in on. */
  readonly dst: string;
  readonly src?: string;
  readonly iif?: string;
}

export type Verdict = 'delivered' | 'dropped' | 'leaves';

export interface TraceResult {
  readonly from: string;
  readonly to: string;
  readonly protocol: 'icmp' | 'tcp';
  readonly port?: number;
  readonly verdict: Verdict;
  /** Why it was dropped, or where it leaves the modelled network; where it was delivered. */
  readonly reason: string;
  readonly hops: readonly TraceHop[];
  readonly reply: readonly TraceHop[];
  /** Pod addresses exist only at run time: the trace used stand-ins from the pod subnets and ends at the subnet. */
  readonly podStandIns: readonly string[];
}

interface Packet {
  family: Family;
  src?: bigint;
  dst: bigint;
  protocol: 'icmp' | 'tcp';
  port?: number;
}
interface Conntrack {
  place: string;
  masqueradedFrom?: bigint;
  masqueradedTo?: bigint;
  /** A DNAT here: the destination the client sent to, and what it became. */
  dnat?: { from: bigint; fromPort?: number; to: bigint; toPort?: number };
}
type Walk = { verdict: Verdict; reason: string; at?: Place; packet: Packet; hops: TraceHop[]; conntrack: Conntrack[] };

const MAX_HOPS = 64;

/** The LANs (indexes into net.lans) a place's interfaces are on. */
function lansOf(net: Network, place: Place): Set<number> {
  const names = place.ifaces.flatMap((i) => (i.segment.startsWith('lan:') ? [i.segment.slice(4)] : []));
  return new Set(names.map((name) => net.lans.findIndex((l) => l.name === name)).filter((i) => i >= 0));
}

/**
 * Why a place has no route to `dst`, in the topology's terms (`: r2 joins lan-a and lan-b but net.ipv4.ip_forward
 * is 0, so routing: auto found no path`), found by a breadth-first walk over the LANs through the nodes that join
 * two or more: first through those that forward `dst`'s family, then through all. Empty when the topology does not
 * tell.
 */
function noRouteCause(net: Network, here: Place, dst: RouteAddress): string {
  const family = dst.family;
  const rangeOf = (l: number) => net.lans[l].ranges.find((r) => r.family === family);
  const target = net.lans.findIndex((_, l) => {
    const range = rangeOf(l);
    return range !== undefined && destinationContains(range, dst);
  });
  if (here.kind !== 'node' || target < 0) return '';
  const lan = net.lans[target];
  const lanRange = destinationCidr(rangeOf(target)!);
  const start = lansOf(net, here);
  if (start.size === 0 || start.has(target)) return '';
  const joiners = [...net.places.values()]
    .filter((p) => p.kind === 'node' && p !== here)
    .map((p) => ({ place: p, lans: lansOf(net, p) }))
    .filter((j) => j.lans.size >= 2);
  // Shortest chain of LANs from here to the target, through `allowed` joiners: the joiners used, or undefined.
  const chain = (allowed: typeof joiners): typeof joiners | undefined => {
    const via = new Map<number, { from: number; by: (typeof joiners)[number] } | undefined>();
    for (const l of start) via.set(l, undefined);
    const queue = [...start];
    while (queue.length > 0) {
      const at = queue.shift()!;
      if (at === target) break;
      for (const j of allowed) {
        if (!j.lans.has(at)) continue;
        for (const next of j.lans)
          if (!via.has(next)) {
            via.set(next, { from: at, by: j });
            queue.push(next);
          }
      }
    }
    if (!via.has(target)) return undefined;
    const used: typeof joiners = [];
    for (let step = via.get(target); step; step = via.get(step.from)) used.unshift(step.by);
    return used;
  };
  const auto = net.routing === 'auto';
  const forwarding = chain(joiners.filter((j) => j.place.forwards[family] !== undefined));
  if (forwarding) {
    const first = forwarding[0];
    return auto
      ? ''
      : `: ${first.place.id} forwards toward LAN ${lan.name} (${lanRange}), but ${here.id} has no route through it (routing: manual: add one to its routes, or set routing: auto)`;
  }
  const any = chain(joiners);
  if (!any) {
    return `: no node joins LAN ${lan.name} (${lanRange}) to a LAN of ${here.id} (${[...start].map((l) => net.lans[l].name).join(', ')}), directly or through other LANs`;
  }
  const stopped = any.filter((j) => j.place.forwards[family] === undefined);
  const names = (j: (typeof joiners)[number]) =>
    [...j.lans]
      .sort((a, b) => a - b)
      .map((l) => net.lans[l].name)
      .join(' and ');
  return `: ${stopped.map((j) => `${j.place.id} joins ${names(j)} but ${FORWARDING[family]} is 0`).join('; ')}${auto ? ', so routing: auto found no path' : ', so it routes nothing between them'}`;
}

function owns(place: Place, family: Family, ip: bigint): boolean {
  return place.ifaces.some((i) => i.addresses.some((a) => a.family === family && a.ip === ip));
}

/** The packet after the place's DNAT, when a rule matches (PREROUTING by in-interface, OUTPUT for its own). */
function applyDnat(
  here: Place,
  pkt: Packet,
  arrivedOn: Iface | undefined,
  hops: TraceHop[],
  conntrack: Conntrack[],
): Packet {
  if (pkt.protocol !== 'tcp' || pkt.port === undefined || !owns(here, pkt.family, pkt.dst)) return pkt;
  const rule = here.dnat.find(
    (d) =>
      d.protocol === 'tcp' &&
      d.port === pkt.port &&
      d.to.family === pkt.family &&
      (d.in === undefined || d.in === arrivedOn?.name) &&
      (arrivedOn !== undefined || d.in === undefined),
  );
  if (!rule) return pkt;
  hops.push({
    at: here.id,
    action: `${rule.text}: destination ${withPort(pkt.family, pkt.dst, pkt.port)} → ${withPort(pkt.family, rule.to.value, rule.toPort)}`,
  });
  conntrack.push({
    place: here.id,
    dnat: { from: pkt.dst, fromPort: pkt.port, to: rule.to.value, toPort: rule.toPort },
  });
  return { ...pkt, dst: rule.to.value, port: rule.toPort };
}

/** The MASQUERADE rule a packet leaving `here` through `out` matches, with the address it takes. */
function masqueradeOf(here: Place, pkt: Packet, out: Iface): { text: string; to: bigint } | undefined {
  const src = pkt.src;
  if (src === undefined) return undefined;
  const masq = here.masquerade.find(
    (m) =>
      destinationContains(m.source, { family: pkt.family, value: src }) &&
      !(m.except && destinationContains(m.except, { family: pkt.family, value: pkt.dst })) &&
      (m.out === undefined || m.out === out.name),
  );
  const to = out.addresses.find((a) => a.family === pkt.family)?.ip;
  return masq && to !== undefined ? { text: masq.text, to } : undefined;
}

function walk(net: Network, start: Place, packet: Packet, reply: Conntrack[] | undefined): Walk {
  const hops: TraceHop[] = [];
  const conntrack: Conntrack[] = [];
  let here = start;
  let arrivedOn: Iface | undefined;
  let pkt = { ...packet };
  const family = pkt.family;
  const at = (verdict: Verdict, reason: string): Walk => ({ verdict, reason, at: here, packet: pkt, hops, conntrack });
  for (let n = 0; n < MAX_HOPS; n++) {
    const hop = (action: string) => hops.push({ at: here.id, action });
    if (!reply) pkt = applyDnat(here, pkt, arrivedOn, hops, conntrack);
    // The reply of a DNATed connection: conntrack gives it back the source the client sent to.
    const undoDnat = reply?.find((c) => c.place === here.id && c.dnat !== undefined && c.dnat.to === pkt.src)?.dnat;
    if (undoDnat) {
      hop(
        `conntrack: reverses the DNAT: source ${withPort(family, undoDnat.to, undoDnat.toPort)} → ${withPort(family, undoDnat.from, undoDnat.fromPort)}`,
      );
      pkt = { ...pkt, src: undoDnat.from };
    }
    if (owns(here, family, pkt.dst)) {
      const undo = reply?.find((c) => c.place === here.id && c.masqueradedTo === pkt.dst);
      if (!undo) return at('delivered', `delivered to ${here.id} (${text(family, pkt.dst)})`);
      hop(`conntrack: reply to ${text(family, pkt.dst)} is un-masqueraded to ${text(family, undo.masqueradedFrom!)}`);
      pkt = { ...pkt, dst: undo.masqueradedFrom! };
      arrivedOn = arrivedOn ?? here.ifaces[0];
      continue;
    }
    const route = here.routes[family].deliver(pkt.dst)?.route;
    if (!route) {
      const cause = noRouteCause(net, here, { family, value: pkt.dst });
      return at('dropped', `no route to ${text(family, pkt.dst)} on ${here.id}${cause}`);
    }
    if (arrivedOn !== undefined && !here.forwards[family])
      return at('dropped', `dropped at ${here.id}: ${FORWARDING[family]} is 0`);
    const out = here.ifaces.find((i) => i.name === route.dev)!;
    const ownAddress = (iface: Iface) => iface.addresses.find((a) => a.family === family)?.ip;
    if (pkt.src === undefined)
      pkt = { ...pkt, src: ownAddress(out) ?? here.ifaces.map(ownAddress).find((ip) => ip !== undefined) };
    const actions = [`route ${route.text()}${arrivedOn !== undefined ? `; forwards (${here.forwards[family]})` : ''}`];
    const masq = reply ? undefined : masqueradeOf(here, pkt, out);
    if (masq && pkt.src !== undefined) {
      actions.push(`${masq.text}: source ${text(family, pkt.src)} → ${text(family, masq.to)}`);
      conntrack.push({ place: here.id, masqueradedFrom: pkt.src, masqueradedTo: masq.to });
      pkt = { ...pkt, src: masq.to };
    }
    const next = route.via ?? pkt.dst;
    const key = ownerKey(out.segment, family, next);
    const owner = net.extra?.get(key) ?? net.owners.get(key);
    hops.push({
      at: here.id,
      action: actions.join('; '),
      next: {
        route: route.text(),
        ...(route.via !== undefined ? { via: text(family, route.via) } : {}),
        dev: out.name,
        ...(owner ? { to: owner.place.id } : {}),
        dst: text(family, pkt.dst),
        ...(arrivedOn !== undefined && pkt.src !== undefined
          ? { src: text(family, pkt.src), iif: arrivedOn.name }
          : {}),
      },
    });
    if (!owner) {
      const lan = out.segment.startsWith('lan:') ? ` (LAN ${out.segment.slice(4)})` : '';
      return at(
        'leaves',
        `leaves the modelled network at ${here.id} on ${out.name}${lan}: no place of the cluster file has ${text(family, next)}`,
      );
    }
    here = owner.place;
    arrivedOn = owner.iface;
  }
  return at('dropped', `routing loop: more than ${MAX_HOPS} hops`);
}

/** The address a node is known by: its first LAN address, else its first interface address, else ssh.host. */
export function nodeAddress(cluster: Cluster, node: ClusterNode): string | undefined {
  const port = lanPorts(cluster, node)[0];
  if (port) return port.address;
  const first = node.interfaces.flatMap((i) => i.addresses)[0];
  if (first) return first.split('/')[0];
  return parseAddress(node.ssh.host).ok ? node.ssh.host : undefined;
}

export interface TraceRequest {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly protocol: 'icmp' | 'tcp';
  readonly port?: number;
  /**
   * The family to trace when `to` is a node, namespace or pod. @default - the family of `to` when it is an address,
   * else IPv4 when the target has an IPv4 address, else IPv6
   */
  readonly family?: Family;
}

/** Traces one packet and its reply through a validated cluster (`net`: its {@link traceNetwork}, when at hand). */
export function trace(cluster: Cluster, request: TraceRequest, net = traceNetwork(cluster)): TraceResult {
  const standIns: string[] = [];
  const extra = new Map<string, Place>();
  const wanted = request.to.kind === 'address' ? parseRouteAddress(request.to.address) : undefined;
  const place = (endpoint: Endpoint): Place | undefined => {
    if (endpoint.kind === 'node') return net.places.get(endpoint.node);
    if (endpoint.kind === 'namespace') return net.places.get(`${endpoint.node}/${endpoint.namespace}`);
    if (endpoint.kind === 'pod') {
      const id = `${endpoint.node}/${endpoint.pod}`;
      let pod = extra.get(id);
      if (!pod) {
        const taken = new Set([...extra.values()].flatMap((p) => p.ifaces[0].addresses.map((a) => a.ip)));
        pod = podPlace(cluster, endpoint.node, endpoint.pod, taken);
        extra.set(id, pod);
      }
      return pod;
    }
    return undefined;
  };
  const source = place(request.from)!;
  const target = place(request.to);
  const targetAddresses = target?.ifaces.flatMap((i) => i.addresses) ?? [];
  const family: Family =
    wanted?.family ?? request.family ?? (targetAddresses.some((a) => a.family === 4) || !target ? 4 : 6);
  for (const [id, pod] of extra) {
    const a = pod.ifaces[0].addresses.find((each) => each.family === family);
    if (a) standIns.push(`${id} = ${text(family, a.ip)} (stand-in in pod subnet ${destinationCidr(a.network)})`);
  }
  const dst = wanted?.value ?? targetAddresses.find((a) => a.family === family)?.ip;
  const base = {
    from: formatEndpoint(request.from),
    to: formatEndpoint(request.to),
    protocol: request.protocol,
    port: request.port,
    podStandIns: standIns,
  };
  if (dst === undefined) {
    const what = request.to.kind === 'address' ? 'no address' : `no ${family === 6 ? 'IPv6 ' : ''}address`;
    return { ...base, verdict: 'dropped', reason: `${base.to} has ${what}`, hops: [], reply: [] };
  }

  // Pods join the network for this trace only.
  const owners = new Map<string, { place: Place; iface: Iface }>();
  for (const pod of extra.values()) index(owners, pod);
  const view: Network = { ...net, extra: owners };
  const there = walk(view, source, { family, dst, protocol: request.protocol, port: request.port }, undefined);
  if (there.verdict !== 'delivered')
    return { ...base, verdict: there.verdict, reason: there.reason, hops: there.hops, reply: [] };
  if (target && there.at !== target && request.to.kind !== 'address') {
    return { ...base, verdict: 'dropped', reason: `${there.reason}, not to ${base.to}`, hops: there.hops, reply: [] };
  }
  // A packet to the node's own address never leaves it: its source is that address.
  const seenSource = there.packet.src ?? there.packet.dst;
  const back = walk(
    view,
    there.at!,
    { family, src: there.packet.dst, dst: seenSource, protocol: request.protocol, port: undefined },
    there.conntrack,
  );
  if (back.verdict !== 'delivered' || back.at !== source) {
    const why = back.verdict === 'delivered' ? `reaches ${back.at!.id}, not ${source.id}` : back.reason;
    return {
      ...base,
      verdict: back.verdict === 'leaves' ? 'leaves' : 'dropped',
      reason: `the reply from ${there.at!.id} to ${text(family, seenSource)} ${back.verdict === 'leaves' ? '' : 'is lost: '}${why}`,
      hops: there.hops,
      reply: back.hops,
    };
  }
  return {
    ...base,
    verdict: 'delivered',
    reason:
      there.at === source && there.hops.length === 0
        ? `${there.reason}: its own address, the packet never leaves ${source.id}`
        : `${there.reason}; it sees the source ${text(family, seenSource)}; the reply returns`,
    hops: there.hops,
    reply: back.hops,
  };
}

/** The trace as text: one line per hop, the reply, then the verdict. */
export function formatTrace(result: TraceResult): string {
  const lines = [`trace ${result.from} → ${result.to}${result.protocol === 'tcp' ? ` tcp/${result.port}` : ' icmp'}`];
  for (const note of result.podStandIns) lines.push(`  note: ${note}; pod addresses exist only at run time`);
  result.hops.forEach((hop, i) => lines.push(`  ${i + 1}. ${hop.at}: ${hop.action}`));
  if (result.reply.length > 0) {
    lines.push('  reply:');
    result.reply.forEach((hop, i) => lines.push(`  ${i + 1}. ${hop.at}: ${hop.action}`));
  }
  const word = result.verdict === 'leaves' ? 'leaves the modelled network' : result.verdict;
  lines.push(`${word}: ${result.reason}`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// probes (cluster.verify)

type ProbeSpec = Cluster['verify'][number];

/** The source, target and port of a probe of a validated cluster. */
export function probeEndpoints(cluster: Cluster, spec: ProbeSpec): { from: Endpoint; to: Endpoint; port?: number } {
  const { target, port } = splitPort(spec.tcp ?? '');
  return {
    from: parseEndpoint(cluster, spec.from, false).endpoint!,
    to: parseEndpoint(cluster, spec.ping ?? target, true).endpoint!,
    port: spec.tcp !== undefined ? port : undefined,
  };
}

/** Traces one probe (`net`: the cluster's {@link traceNetwork}, when tracing many). */
export function traceProbe(cluster: Cluster, spec: ProbeSpec, net = traceNetwork(cluster)): TraceResult {
  const { from, to, port } = probeEndpoints(cluster, spec);
  return trace(cluster, { from, to, protocol: spec.tcp !== undefined ? 'tcp' : 'icmp', port }, net);
}

/**
 * Every probe traced: one that cannot succeed (dropped), or with expect: failure cannot fail, is an issue at its
 * path. Only a ping cannot fail on a delivered path: a TCP connection whose packets are delivered still fails when
 * nothing listens on the port, which the model does not know, so a TCP `expect: failure` is never refused (it is how
 * a closed port is asserted). A probe whose packet leaves the modelled network cannot be judged and passes.
 */
export function probeTraceIssues(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  const net = cluster.verify.length > 0 ? traceNetwork(cluster) : undefined;
  cluster.verify.forEach((spec, i) => {
    const result = traceProbe(cluster, spec, net);
    const what = spec.ping !== undefined ? `ping ${spec.ping}` : `tcp ${spec.tcp}`;
    if (spec.expect === 'success' && result.verdict === 'dropped') {
      issues.push({
        path: ['verify', i],
        message: `${spec.from} → ${what} cannot succeed: ${result.reason} (netstrap trace shows the path)`,
      });
    } else if (spec.expect === 'failure' && spec.ping !== undefined && result.verdict === 'delivered') {
      issues.push({
        path: ['verify', i],
        message: `${spec.from} → ${what} has expect: failure but cannot fail: ${result.reason} (a delivered ping is answered; to assert a closed port, use a tcp check)`,
      });
    }
  });
  return issues;
}

/**
 * `netstrap trace` as a function: the path of a packet from `from` (a node, node/namespace or node/pod) to `to` (an
 * IPv4 or IPv6 address, a node, node/namespace or node/pod; `:PORT` for a TCP connection, else a ping) and its reply,
 * through a loaded cluster file (a ClusterModel; only its cluster is read, so trace does not import the loader, which
 * traces the verify checks). Throws InputError (fields FROM, TO) for an endpoint the file does not have.
 */
export function traceCluster(model: { readonly cluster: Cluster }, from: string, to: string): TraceResult {
  const { cluster } = model;
  const source = parseEndpoint(cluster, from, false);
  const { target, port, error } = splitPort(to);
  const destination = parseEndpoint(cluster, target, true);
  const issues: Issue[] = [
    ...(source.error ? [{ path: ['FROM'], message: source.error }] : []),
    ...(error
      ? [{ path: ['TO'], message: `${error} (got ${show(to)})` }]
      : destination.error
        ? [{ path: ['TO'], message: destination.error }]
        : []),
  ];
  if (issues.length > 0) throw new InputError('netstrap trace', issues);
  return trace(cluster, {
    from: source.endpoint!,
    to: destination.endpoint!,
    protocol: port === undefined ? 'icmp' : 'tcp',
    port,
  });
}
