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
  addressNumber,
  type NumericRange,
  numberText,
  numericCidr,
  numericContains,
  numericRange,
  parseAddress,
  parseInterfaceAddress,
  parseNetwork,
  ipAddressText,
  parseNodeAddress,
} from './cidr';
import { derivedReason, effectiveNodes } from './effective';
import { InputError, Issue, show } from './errors';
import { isKubernetesNode, podSubnets } from './pod-subnets';
import { type Destination, parseDestination, RouteTable } from './route-table';
import { declaresForwarding, lanPorts } from './routing';
import { type Cluster, type ClusterNode, NAMESPACE_NAME } from './schema';

// ---------------------------------------------------------------------------------------------------------------
// Endpoints: `node`, `node/namespace` (declared, or a pod), an IPv4 address; optionally `:port`.

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
      error: `must be ${allowAddress ? 'an IPv4 address, ' : ''}a node name or node/namespace (got ${show(text)})`,
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
// The network as places, interfaces, segments and routes.

interface Iface {
  readonly name: string;
  /** The L2 segment the interface is on: `lan:<name>`, `bridge:<node>:<bridge>`, `pods:<node>`, or its own. */
  readonly segment: string;
  /** Addresses and their networks as integers (route lookups compare integers; ip-num parses and prints). */
  readonly addresses: ReadonlyArray<{ readonly ip: number; readonly network: NumericRange }>;
}

interface RouteEntry {
  readonly via?: number;
  readonly dev: string;
  /** How the route reads in a hop (made when a hop uses it: a big cluster has many thousand routes). */
  readonly text: () => string;
}

interface Place {
  readonly id: string;
  readonly node: string;
  readonly kind: 'node' | 'namespace' | 'pod';
  readonly ifaces: Iface[];
  readonly routes: RouteTable<RouteEntry>;
  /** Why it forwards (undefined: it does not). */
  readonly forwards?: string;
  readonly masquerade: ReadonlyArray<{
    readonly source: NumericRange;
    readonly except?: NumericRange;
    readonly out?: string;
    readonly text: string;
  }>;
  readonly dnat: ReadonlyArray<{
    readonly protocol: string;
    readonly port: number;
    readonly to: number;
    readonly toPort: number;
    readonly in?: string;
    readonly text: string;
  }>;
}

/** The places of a cluster and how they connect: built once per trace, or once for all the probes of a cluster. */
export interface Network {
  readonly places: Map<string, Place>;
  readonly nodes: Map<string, ClusterNode>;
  /** `segment address` → owner (pods of one trace are looked up in `extra` first). */
  readonly owners: Map<string, { place: Place; iface: Iface }>;
  readonly extra?: Map<string, { place: Place; iface: Iface }>;
  readonly lans: ReadonlyArray<{ readonly name: string; readonly range: NumericRange }>;
  /** The cluster's routing mode (`auto` derives the routes from the LANs and routers). */
  readonly routing: Cluster['routing'];
}

const ANY = parseDestination('default')!;
const sameRange = (a: NumericRange, b: NumericRange) => a.first === b.first && a.prefix === b.prefix;

function parsedAddresses(texts: readonly string[]): Iface['addresses'] {
  return texts.flatMap((text) => {
    const parsed = parseInterfaceAddress(text);
    return parsed.ok ? [{ ip: addressNumber(parsed.value.address), network: numericRange(parsed.value.network) }] : [];
  });
}

/** A numeric IPv4 range as a route destination. */
function destinationOf(range: NumericRange): Destination {
  return { family: 4, first: BigInt(range.first), last: BigInt(range.last), prefix: range.prefix };
}

/** A place's table with the connected routes of its interfaces (the kernel adds one per address). */
function connected(ifaces: readonly Iface[]): RouteTable<RouteEntry> {
  const table = new RouteTable<RouteEntry>(4);
  for (const iface of ifaces)
    for (const a of iface.addresses)
      table.add(
        { dev: iface.name, text: () => `${numericCidr(a.network)} dev ${iface.name} (connected)` },
        { dst: destinationOf(a.network) },
      );
  return table;
}

/** The network of a resolved cluster, for {@link trace}: build it once when tracing many packets. */
export function traceNetwork(cluster: Cluster): Network {
  const lans = cluster.lans.flatMap((lan) => {
    const range = parseNetwork(lan.cidr);
    return range.ok ? [{ name: lan.name, range: numericRange(range.value) }] : [];
  });
  const places = new Map<string, Place>();
  const nodes = new Map<string, ClusterNode>();
  // Every node routes to every pod subnet: parse each destination and gateway text once.
  const destinations = new Map<string, Destination | undefined>();
  const gateways = new Map<string, number | undefined>();
  const destination = (to: string): Destination | undefined => {
    if (!destinations.has(to)) destinations.set(to, parseDestination(to));
    return destinations.get(to);
  };
  const gatewayOf = (via: string): number | undefined => {
    if (!gateways.has(via)) {
      const parsed = parseAddress(via);
      gateways.set(via, parsed.ok ? addressNumber(parsed.value) : undefined);
    }
    return gateways.get(via);
  };
  for (const node of effectiveNodes(cluster)) {
    nodes.set(node.name, node);
    const ifaces: Iface[] = node.interfaces.map((iface) => {
      const addresses = parsedAddresses(iface.addresses);
      const lan = iface.lan ?? lans.find((l) => addresses.some((a) => sameRange(a.network, l.range)))?.name;
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
    if (pods) {
      // The bridge plugin (isGateway) puts the first address of the subnet on the bridge: host-local's gateway.
      ifaces.push({
        name: cluster.cni.bridge?.name ?? 'cni0',
        segment: `pods:${node.name}`,
        addresses: [{ ip: pods.numeric.first + 1, network: pods.numeric }],
      });
    }
    const routes = connected(ifaces);
    for (const route of node.routes) {
      const range = destination(route.to);
      const via = gatewayOf(route.via);
      if (range === undefined || via === undefined) continue;
      const dev = route.dev ?? ifaces.find((i) => i.addresses.some((a) => numericContains(a.network, via)))?.name;
      if (dev === undefined) continue;
      routes.add(
        {
          via,
          dev,
          text: () =>
            `${route.to} via ${route.via} dev ${dev}${derivedReason(route) ? ` (derived: ${derivedReason(route)})` : ''}`,
        },
        { dst: range, metric: route.metric },
      );
    }
    const forwards = declaresForwarding(node)
      ? 'ip_forward 1'
      : pods && cluster.cni.plugin === 'bridge'
        ? 'ip_forward 1: the bridge CNI plugin turns it on'
        : undefined;
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

/** The node's MASQUERADE rules, as integers. */
function masqueradeRules(node: ClusterNode): Place['masquerade'] {
  return node.nat.masquerade.flatMap((m) => {
    const source = parseNetwork(m.source);
    const except = m.exceptDestination === undefined ? undefined : parseNetwork(m.exceptDestination);
    if (!source.ok || (except && !except.ok)) return [];
    const text = `MASQUERADE -s ${m.source}${m.exceptDestination ? ` ! -d ${m.exceptDestination}` : ''}${m.outInterface ? ` -o ${m.outInterface}` : ''}${derivedReason(m) ? ' (derived)' : ''}`;
    return [
      {
        source: numericRange(source.value),
        except: except?.ok ? numericRange(except.value) : undefined,
        out: m.outInterface,
        text,
      },
    ];
  });
}

/** The node's port forwards (DNAT), as integers. */
function dnatRules(node: ClusterNode): Place['dnat'] {
  return node.nat.portForwards.flatMap((f) => {
    const match = /^([^:]+):(\d+)$/.exec(f.to);
    const to = match ? parseAddress(match[1]) : undefined;
    if (!match || !to?.ok) return [];
    return [
      {
        protocol: f.protocol,
        port: f.port,
        to: addressNumber(to.value),
        toPort: Number(match[2]),
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
    const ifaces: Iface[] = [{ name: ns.veth.name, segment, addresses: parsedAddresses([ns.veth.address]) }];
    const routes = connected(ifaces);
    const gw = ns.defaultRoute === undefined ? undefined : parseAddress(ns.defaultRoute);
    if (gw?.ok)
      routes.add(
        {
          via: addressNumber(gw.value),
          dev: ns.veth.name,
          text: () => `default via ${ns.defaultRoute} dev ${ns.veth.name}`,
        },
        { dst: ANY },
      );
    const id = `${node.name}/${ns.name}`;
    return { id, node: node.name, kind: 'namespace' as const, ifaces, routes, masquerade: [], dnat: [] };
  });
}

function index(owners: Map<string, { place: Place; iface: Iface }>, place: Place): void {
  for (const iface of place.ifaces)
    for (const a of iface.addresses) owners.set(`${iface.segment} ${a.ip}`, { place, iface });
}

/**
 * The stand-in address of a pod: picked by a hash of its name among the subnet's host addresses (after the bridge's
 * .1), so the same pod has the same address in every run and whatever else the trace places; `taken` (addresses of
 * the trace's other pods) moves it to the next free one.
 */
function standInAddress(subnet: { first: number; last: number }, pod: string, taken: ReadonlySet<number>): number {
  const hosts = subnet.last - subnet.first - 2; // without the network address, the bridge's .1 and broadcast
  let hash = 2166136261; // FNV-1a
  for (const char of pod) hash = Math.imul(hash ^ char.charCodeAt(0), 16777619) >>> 0;
  let ip = subnet.first + 2 + (hosts > 0 ? hash % hosts : 0);
  for (let n = 0; n < hosts && taken.has(ip); n++) ip = ip + 1 >= subnet.last ? subnet.first + 2 : ip + 1;
  return ip;
}

/** A pod as a place: eth0 on the node's pod bridge with a stand-in address, default route via the bridge. */
function podPlace(cluster: Cluster, node: string, pod: string, taken: ReadonlySet<number>): Place {
  const subnet = podSubnets(cluster).byNode.get(node)!;
  const gateway = subnet.numeric.first + 1;
  const ifaces: Iface[] = [
    {
      name: 'eth0',
      segment: `pods:${node}`,
      addresses: [{ ip: standInAddress(subnet.numeric, pod, taken), network: subnet.numeric }],
    },
  ];
  const routes = connected(ifaces);
  routes.add({ via: gateway, dev: 'eth0', text: () => `default via ${numberText(gateway)} dev eth0` }, { dst: ANY });
  return {
    id: `${node}/${pod}`,
    node,
    kind: 'pod',
    ifaces,
    routes,
    masquerade: [],
    dnat: [],
  };
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
  src?: number;
  dst: number;
  protocol: 'icmp' | 'tcp';
  port?: number;
}
interface Conntrack {
  place: string;
  masqueradedFrom?: number;
  masqueradedTo?: number;
  /** A DNAT here: the destination the client sent to, and what it became. */
  dnat?: { from: number; fromPort?: number; to: number; toPort?: number };
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
 * two or more: first through those that forward, then through all. Empty when the topology does not tell.
 */
function noRouteCause(net: Network, here: Place, dst: number): string {
  const target = net.lans.findIndex((l) => numericContains(l.range, dst));
  if (here.kind !== 'node' || target < 0) return '';
  const lan = net.lans[target];
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
  const forwarding = chain(joiners.filter((j) => j.place.forwards !== undefined));
  if (forwarding) {
    const first = forwarding[0];
    return auto
      ? ''
      : `: ${first.place.id} forwards toward LAN ${lan.name} (${numericCidr(lan.range)}), but ${here.id} has no route through it (routing: manual: add one to its routes, or set routing: auto)`;
  }
  const any = chain(joiners);
  if (!any) {
    return `: no node joins LAN ${lan.name} (${numericCidr(lan.range)}) to a LAN of ${here.id} (${[...start].map((l) => net.lans[l].name).join(', ')}), directly or through other LANs`;
  }
  const stopped = any.filter((j) => j.place.forwards === undefined);
  const names = (j: (typeof joiners)[number]) =>
    [...j.lans]
      .sort((a, b) => a - b)
      .map((l) => net.lans[l].name)
      .join(' and ');
  return `: ${stopped.map((j) => `${j.place.id} joins ${names(j)} but net.ipv4.ip_forward is 0`).join('; ')}${auto ? ', so routing: auto found no path' : ', so it routes nothing between them'}`;
}

function owns(place: Place, ip: number): boolean {
  return place.ifaces.some((i) => i.addresses.some((a) => a.ip === ip));
}

function walk(net: Network, start: Place, packet: Packet, reply: Conntrack[] | undefined): Walk {
  const hops: TraceHop[] = [];
  const conntrack: Conntrack[] = [];
  let here = start;
  let arrivedOn: Iface | undefined;
  let pkt = { ...packet };
  for (let n = 0; n < MAX_HOPS; n++) {
    const hop = (action: string) => hops.push({ at: here.id, action });
    // DNAT: PREROUTING for arriving packets (optionally by in-interface), OUTPUT for the node's own.
    if (!reply && pkt.protocol === 'tcp' && pkt.port !== undefined && owns(here, pkt.dst)) {
      const rule = here.dnat.find(
        (d) =>
          d.protocol === 'tcp' &&
          d.port === pkt.port &&
          (d.in === undefined || d.in === arrivedOn?.name) &&
          (arrivedOn !== undefined || d.in === undefined),
      );
      if (rule) {
        hop(`${rule.text}: destination ${numberText(pkt.dst)}:${pkt.port} → ${numberText(rule.to)}:${rule.toPort}`);
        conntrack.push({
          place: here.id,
          dnat: { from: pkt.dst, fromPort: pkt.port, to: rule.to, toPort: rule.toPort },
        });
        pkt = { ...pkt, dst: rule.to, port: rule.toPort };
      }
    }
    // The reply of a DNATed connection: conntrack gives it back the source the client sent to.
    const undoDnat = reply?.find((c) => c.place === here.id && c.dnat !== undefined && c.dnat.to === pkt.src)?.dnat;
    if (undoDnat) {
      const port = (p?: number) => (p === undefined ? '' : `:${p}`);
      hop(
        `conntrack: reverses the DNAT: source ${numberText(undoDnat.to)}${port(undoDnat.toPort)} → ${numberText(undoDnat.from)}${port(undoDnat.fromPort)}`,
      );
      pkt = { ...pkt, src: undoDnat.from };
    }
    if (owns(here, pkt.dst)) {
      const undo = reply?.find((c) => c.place === here.id && c.masqueradedTo === pkt.dst);
      if (!undo)
        return {
          verdict: 'delivered',
          reason: `delivered to ${here.id} (${numberText(pkt.dst)})`,
          at: here,
          packet: pkt,
          hops,
          conntrack,
        };
      hop(`conntrack: reply to ${numberText(pkt.dst)} is un-masqueraded to ${numberText(undo.masqueradedFrom!)}`);
      pkt = { ...pkt, dst: undo.masqueradedFrom! };
      arrivedOn = arrivedOn ?? here.ifaces[0];
      continue;
    }
    const route = here.routes.deliver(BigInt(pkt.dst))?.route;
    if (!route)
      return {
        verdict: 'dropped',
        reason: `no route to ${numberText(pkt.dst)} on ${here.id}${noRouteCause(net, here, pkt.dst)}`,
        at: here,
        packet: pkt,
        hops,
        conntrack,
      };
    if (arrivedOn !== undefined && !here.forwards) {
      return {
        verdict: 'dropped',
        reason: `dropped at ${here.id}: net.ipv4.ip_forward is 0`,
        at: here,
        packet: pkt,
        hops,
        conntrack,
      };
    }
    const out = here.ifaces.find((i) => i.name === route.dev)!;
    if (pkt.src === undefined)
      pkt = { ...pkt, src: out.addresses[0]?.ip ?? here.ifaces.find((i) => i.addresses.length > 0)?.addresses[0].ip };
    const actions = [`route ${route.text()}${arrivedOn !== undefined ? `; forwards (${here.forwards})` : ''}`];
    if (!reply && pkt.src !== undefined) {
      const src = pkt.src;
      const masq = here.masquerade.find(
        (m) =>
          numericContains(m.source, src) &&
          !(m.except && numericContains(m.except, pkt.dst)) &&
          (m.out === undefined || m.out === out.name),
      );
      const to = out.addresses[0]?.ip;
      if (masq && to !== undefined) {
        actions.push(`${masq.text}: source ${numberText(src)} → ${numberText(to)}`);
        conntrack.push({ place: here.id, masqueradedFrom: src, masqueradedTo: to });
        pkt = { ...pkt, src: to };
      }
    }
    const next = route.via ?? pkt.dst;
    const key = `${out.segment} ${next}`;
    const owner = net.extra?.get(key) ?? net.owners.get(key);
    hops.push({
      at: here.id,
      action: actions.join('; '),
      next: {
        route: route.text(),
        ...(route.via !== undefined ? { via: numberText(route.via) } : {}),
        dev: out.name,
        ...(owner ? { to: owner.place.id } : {}),
        dst: numberText(pkt.dst),
        ...(arrivedOn !== undefined && pkt.src !== undefined ? { src: numberText(pkt.src), iif: arrivedOn.name } : {}),
      },
    });
    if (!owner) {
      const lan = out.segment.startsWith('lan:') ? ` (LAN ${out.segment.slice(4)})` : '';
      return {
        verdict: 'leaves',
        at: here,
        packet: pkt,
        hops,
        conntrack,
        reason: `leaves the modelled network at ${here.id} on ${out.name}${lan}: no place of the cluster file has ${numberText(next)}`,
      };
    }
    here = owner.place;
    arrivedOn = owner.iface;
  }
  return {
    verdict: 'dropped',
    reason: `routing loop: more than ${MAX_HOPS} hops`,
    at: here,
    packet: pkt,
    hops,
    conntrack,
  };
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
}

/** Traces one packet and its reply through a validated cluster (`net`: its {@link traceNetwork}, when at hand). */
export function trace(cluster: Cluster, request: TraceRequest, net = traceNetwork(cluster)): TraceResult {
  const standIns: string[] = [];
  const extra = new Map<string, Place>();
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
        standIns.push(
          `${id} = ${numberText(pod.ifaces[0].addresses[0].ip)} (stand-in in pod subnet ${numericCidr(pod.ifaces[0].addresses[0].network)})`,
        );
      }
      return pod;
    }
    return undefined;
  };
  const source = place(request.from)!;
  const target = place(request.to);
  let dst: number | undefined;
  if (request.to.kind === 'address') {
    const parsed = parseAddress(request.to.address);
    if (parsed.ok) dst = addressNumber(parsed.value);
    else if (request.to.address.includes(':')) {
      return {
        from: formatEndpoint(request.from),
        to: formatEndpoint(request.to),
        protocol: request.protocol,
        port: request.port,
        podStandIns: standIns,
        verdict: 'leaves',
        reason: `${request.to.address} is IPv6: the model traces IPv4 only so far`,
        hops: [],
        reply: [],
      };
    }
  } else if (target) dst = target.ifaces.flatMap((i) => i.addresses)[0]?.ip;
  const base = {
    from: formatEndpoint(request.from),
    to: formatEndpoint(request.to),
    protocol: request.protocol,
    port: request.port,
    podStandIns: standIns,
  };
  if (dst === undefined)
    return { ...base, verdict: 'dropped', reason: `${base.to} has no address`, hops: [], reply: [] };

  // Pods join the network for this trace only.
  const owners = new Map<string, { place: Place; iface: Iface }>();
  for (const pod of extra.values()) index(owners, pod);
  const view: Network = { ...net, extra: owners };
  const there = walk(view, source, { dst, protocol: request.protocol, port: request.port }, undefined);
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
    { src: there.packet.dst, dst: seenSource, protocol: request.protocol, port: undefined },
    there.conntrack,
  );
  if (back.verdict !== 'delivered' || back.at !== source) {
    const why = back.verdict === 'delivered' ? `reaches ${back.at!.id}, not ${source.id}` : back.reason;
    return {
      ...base,
      verdict: back.verdict === 'leaves' ? 'leaves' : 'dropped',
      reason: `the reply from ${there.at!.id} to ${numberText(seenSource)} ${back.verdict === 'leaves' ? '' : 'is lost: '}${why}`,
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
        : `${there.reason}; it sees the source ${numberText(seenSource)}; the reply returns`,
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
 * IPv4 address, a node, node/namespace or node/pod; `:PORT` for a TCP connection, else a ping) and its reply,
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
