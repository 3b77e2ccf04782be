/**
 * Semantic checks of each node's host-side network intents (what the host provisioner applies): names unique on
 * the node, every CIDR and address parseable, a route's gateway on a network the node has, a namespace plugged
 * into a bridge the node declares with a default route on its own network, DNAT targets as ip:port, NAT only with
 * ip_forward on, CNI files only when netstrap renders them. Paths are from the root of the cluster file.
 * (Node names, interface names, LAN membership and address clashes are checked by ./checks/topology.ts.)
 */
import type { IPv4CidrRange } from 'ip-num';
import { clusterCniFiles } from './cni';
import { parseAddress, parseInterfaceAddress, parseNetwork, rangeContains, rangesOverlap } from './cidr';
import { podSubnets } from './pod-subnets';
import { canonicalRouteDestination } from './route-table';
import { Issue, show } from './errors';
import type { Cluster, ClusterNode } from './schema';

/** The resolver reads at most this many nameserver lines (glibc MAXNS). */
const MAX_NAMESERVERS = 3;
const SYSTEMD_STUB = '127.0.0.53';

export function hostIntentIssues(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  const cniFiles = clusterCniFiles(cluster);
  const dnatTargets = knownDnatTargets(cluster);
  cluster.nodes.forEach((node, n) => {
    const c = new NodeIntents(node, n, issues);
    bridgeIssues(c);
    namespaceIssues(c);
    issues.push(...lanOverlapIssues(cluster, node, n));
    routeIssues(c);
    natIssues(c);
    forwardingIssues(c);
    node.hosts.forEach((entry, h) => {
      const ip = parseAddress(entry.ip);
      if (!ip.ok) c.add(c.at('hosts', h, 'ip'), ip.error);
    });
    checkResolv(node, c.at, c.add);
    issues.push(...dnatTargetIssues(dnatTargets, node, n));
    if (node.cniConflists && !cniFiles) {
      c.add(
        c.at('cniConflists'),
        `cni.plugin ${show(cluster.cni.plugin)} writes its own CNI configuration; netstrap writes conflists only for cni.plugin bridge or conflist`,
      );
    }
  });
  return issues;
}

/**
 * A DNAT whose target no node, bridge, namespace or pod subnet of the file holds sends its connections nowhere the
 * file knows: accepted (a machine outside the file may hold it) but a warning, as it is most often a typo.
 */
function dnatTargetIssues(known: KnownDnatTargets, node: ClusterNode, n: number): Issue[] {
  const { held, pods } = known;
  return node.nat.portForwards.flatMap((forward, i): Issue[] => {
    const target = /^([^:]+):\d+$/.exec(forward.to)?.[1];
    const ip = target === undefined ? undefined : parseAddress(target);
    if (!ip?.ok || held.has(target!)) return [];
    if (pods.some((pod) => pod.ok && rangeContains(pod.value, ip.value))) return [];
    return [
      {
        path: ['nodes', n, 'nat', 'portForwards', i, 'to'],
        message: `no node, bridge, namespace or pod subnet of the file holds ${target}: connections to ${forward.protocol}/${forward.port} of ${node.name} go to a machine netstrap does not know (a typo?) (got ${show(forward.to)})`,
        severity: 'warning',
      },
    ];
  });
}

/** What a DNAT may target: every address of the file, and the pod subnets; made once per file (not per node). */
interface KnownDnatTargets {
  readonly held: ReadonlySet<string>;
  readonly pods: ReadonlyArray<ReturnType<typeof parseNetwork>>;
}

function knownDnatTargets(cluster: Cluster): KnownDnatTargets {
  const held = new Set(
    cluster.nodes.flatMap((each) => [
      ...[...each.interfaces, ...each.bridges].flatMap((dev) => dev.addresses.map((a) => a.split('/')[0])),
      ...each.namespaces.map((ns) => ns.veth.address.split('/')[0]),
    ]),
  );
  const pods = podSubnets(cluster).subnets.map((subnet) => parseNetwork(subnet.cidr));
  return { held, pods };
}

/**
 * One node's checks share: where the node is in the file, its devices (name → what it is, for clash messages), the
 * networks of their addresses (for gateway reachability), and the addresses it holds with their holder (an address
 * is on one device, or one namespace, only).
 */
class NodeIntents {
  readonly devices = new Map<string, string>();
  readonly networks: Array<{ dev: string; network: IPv4CidrRange }> = [];
  readonly owners = new Map<string, string>();

  constructor(
    readonly node: ClusterNode,
    readonly n: number,
    private readonly issues: Issue[],
  ) {
    node.interfaces.forEach((iface) => {
      if (!this.devices.has(iface.name)) this.devices.set(iface.name, 'an interface');
      this.addNetworks(iface.name, iface.addresses);
    });
    node.interfaces.forEach((iface) =>
      iface.addresses.forEach((text) => {
        const parsed = parseInterfaceAddress(text);
        if (parsed.ok && !this.owners.has(parsed.value.address.toString()))
          this.owners.set(parsed.value.address.toString(), `interface ${iface.name}`);
      }),
    );
  }

  readonly at = (...rest: Array<string | number>): Array<string | number> => ['nodes', this.n, ...rest];
  readonly add = (path: Array<string | number>, message: string): void => {
    this.issues.push({ path, message });
  };

  claimDevice(name: string, what: string, path: Array<string | number>): void {
    const previous = this.devices.get(name);
    if (previous !== undefined) this.add(path, `${show(name)} is already ${previous} on node ${show(this.node.name)}`);
    else this.devices.set(name, what);
  }

  addNetworks(dev: string, addresses: ReadonlyArray<string>): void {
    for (const text of addresses) {
      const parsed = parseInterfaceAddress(text);
      if (parsed.ok) this.networks.push({ dev, network: parsed.value.network });
    }
  }

  claimAddress(text: string, holder: string, path: Array<string | number>): void {
    const parsed = parseInterfaceAddress(text);
    if (!parsed.ok) return;
    const ip = parsed.value.address.toString();
    const previous = this.owners.get(ip);
    if (previous !== undefined)
      this.add(path, `address ${ip} is already on ${previous} of node ${show(this.node.name)}`);
    else this.owners.set(ip, holder);
  }

  checkDevice(name: string | undefined, path: Array<string | number>): void {
    if (name === undefined || this.devices.has(name)) return;
    const known = [...this.devices.keys()].join(', ') || 'none';
    this.add(
      path,
      `unknown device ${show(name)}: declare it in nodes[${this.n}].interfaces or bridges (devices: ${known})`,
    );
  }
}

/** Bridges: a name no other device has, parseable addresses no other device holds. */
function bridgeIssues(c: NodeIntents): void {
  c.node.bridges.forEach((bridge, b) => {
    c.claimDevice(bridge.name, 'a bridge', c.at('bridges', b, 'name'));
    bridge.addresses.forEach((text, a) => {
      const parsed = parseInterfaceAddress(text);
      if (!parsed.ok) c.add(c.at('bridges', b, 'addresses', a), parsed.error);
      else c.claimAddress(text, `bridge ${bridge.name}`, c.at('bridges', b, 'addresses', a));
    });
    c.addNetworks(bridge.name, bridge.addresses);
  });
}

/** Namespaces: unique names, a veth host side no other device has, a bridge the node declares, a reachable gateway. */
function namespaceIssues(c: NodeIntents): void {
  const nsNames = new Set<string>();
  c.node.namespaces.forEach((ns, k) => {
    if (nsNames.has(ns.name))
      c.add(c.at('namespaces', k, 'name'), `duplicate namespace name ${show(ns.name)} on node ${show(c.node.name)}`);
    nsNames.add(ns.name);
    c.claimDevice(
      ns.veth.hostSide,
      `the host side of namespace ${show(ns.name)}'s veth`,
      c.at('namespaces', k, 'veth', 'hostSide'),
    );
    if (ns.veth.bridge !== undefined && !c.node.bridges.some((b) => b.name === ns.veth.bridge)) {
      const known = c.node.bridges.map((b) => b.name).join(', ') || 'none';
      c.add(
        c.at('namespaces', k, 'veth', 'bridge'),
        `unknown bridge ${show(ns.veth.bridge)}: declare it in nodes[${c.n}].bridges (bridges: ${known})`,
      );
    }
    const address = parseInterfaceAddress(ns.veth.address);
    if (!address.ok) c.add(c.at('namespaces', k, 'veth', 'address'), address.error);
    else c.claimAddress(ns.veth.address, `namespace ${ns.name}`, c.at('namespaces', k, 'veth', 'address'));
    if (ns.defaultRoute !== undefined) {
      const gateway = parseAddress(ns.defaultRoute);
      if (!gateway.ok) c.add(c.at('namespaces', k, 'defaultRoute'), gateway.error);
      else if (address.ok && !rangeContains(address.value.network, gateway.value)) {
        c.add(
          c.at('namespaces', k, 'defaultRoute'),
          `gateway ${show(ns.defaultRoute)} is not on the namespace's network ${address.value.network.toCidrString()} (veth.address ${show(ns.veth.address)})`,
        );
      } else if (address.ok && address.value.address.isEquals(gateway.value)) {
        c.add(c.at('namespaces', k, 'defaultRoute'), `gateway ${show(ns.defaultRoute)} is the namespace's own address`);
      } else if (address.ok) {
        // The veth's host side has no address of its own: the gateway must sit on the bridge it is plugged into
        // (the bridge's address, or another namespace on that bridge).
        const bridge = c.node.bridges.find((candidate) => candidate.name === ns.veth.bridge);
        const addressOf = (text: string) => {
          const parsed = parseInterfaceAddress(text);
          return parsed.ok ? parsed.value.address.toString() : undefined;
        };
        const gatewayText = gateway.value.toString();
        const reachable =
          bridge !== undefined &&
          (bridge.addresses.some((text) => addressOf(text) === gatewayText) ||
            c.node.namespaces.some(
              (other) =>
                other !== ns && other.veth.bridge === bridge.name && addressOf(other.veth.address) === gatewayText,
            ));
        if (!reachable) {
          c.add(
            c.at('namespaces', k, 'defaultRoute'),
            ns.veth.bridge === undefined
              ? `gateway ${show(ns.defaultRoute)} cannot be reached: the veth's host side ${show(ns.veth.hostSide)} has no address; plug it into a bridge (veth.bridge) that has the gateway address`
              : `gateway ${show(ns.defaultRoute)} is neither an address of bridge ${show(ns.veth.bridge)} nor of a namespace on it: the namespace has no path to it`,
          );
        }
      }
    }
  });
}

/** Routes: a destination and a gateway the kernel takes, once per destination and metric, on a network of the node. */
function routeIssues(c: NodeIntents): void {
  // The kernel knows a route by destination and metric: 0.0.0.0/0 is `default` and 10.9.9.9/32 is 10.9.9.9.
  const routeKeys = new Map<string, string>();
  c.node.routes.forEach((route, r) => {
    if (route.to !== 'default') {
      const dst = parseNetwork(route.to);
      if (!dst.ok) c.add(c.at('routes', r, 'to'), `${dst.error} (or "default")`);
    }
    const key = `${canonicalRouteDestination(route.to)} metric ${route.metric ?? 0}`;
    const first = routeKeys.get(key);
    if (first !== undefined) {
      c.add(
        c.at('routes', r),
        `duplicate route to ${show(route.to)} with metric ${route.metric ?? 0} (same destination as ${show(first)}; ` +
          'give a different metric for a failover route)',
      );
    } else routeKeys.set(key, route.to);
    c.checkDevice(route.dev, c.at('routes', r, 'dev'));
    const via = parseAddress(route.via);
    if (!via.ok) {
      c.add(c.at('routes', r, 'via'), via.error);
      return;
    }
    if (c.owners.has(via.value.toString())) {
      c.add(
        c.at('routes', r, 'via'),
        `gateway ${show(route.via)} is node ${show(c.node.name)}'s own address (${c.owners.get(via.value.toString())})`,
      );
      return;
    }
    const broadcast = c.networks.find(
      (x) =>
        x.network.getPrefix().getValue() < 31 &&
        (x.network.getLast().isEquals(via.value) || x.network.getFirst().isEquals(via.value)),
    );
    if (broadcast) {
      c.add(
        c.at('routes', r, 'via'),
        `gateway ${show(route.via)} is the ${broadcast.network.getLast().isEquals(via.value) ? 'broadcast' : 'network'} address of ${broadcast.dev} ${broadcast.network.toCidrString()}`,
      );
      return;
    }
    if (route.to !== 'default') {
      const dst = parseNetwork(route.to);
      const connected = dst.ok ? c.networks.find((x) => x.network.isEquals(dst.value)) : undefined;
      if (connected) {
        c.add(
          c.at('routes', r, 'to'),
          `${show(route.to)} is the connected network of ${connected.dev}: the kernel routes it already; a gateway route for it would break the LAN`,
        );
        return;
      }
    }
    const candidates = c.networks.filter((x) => route.dev === undefined || x.dev === route.dev);
    if (!candidates.some((x) => rangeContains(x.network, via.value))) {
      const list = candidates.map((x) => `${x.dev} ${x.network.toCidrString()}`).join(', ') || 'none';
      c.add(
        c.at('routes', r, 'via'),
        `gateway ${show(route.via)} is not on a network of node ${show(c.node.name)}${route.dev ? ` via ${route.dev}` : ''} (${list})`,
      );
    }
  });
}

/** NAT rules: parseable networks, ip:port targets, known devices, no duplicates. */
function natIssues(c: NodeIntents): void {
  const masq = new Set<string>();
  c.node.nat.masquerade.forEach((m, i) => {
    const source = parseNetwork(m.source);
    if (!source.ok) c.add(c.at('nat', 'masquerade', i, 'source'), source.error);
    c.checkDevice(m.outInterface, c.at('nat', 'masquerade', i, 'outInterface'));
    if (m.exceptDestination !== undefined) {
      const except = parseNetwork(m.exceptDestination);
      if (!except.ok) c.add(c.at('nat', 'masquerade', i, 'exceptDestination'), except.error);
    }
    const key = `${m.source} ${m.exceptDestination ?? ''} ${m.outInterface ?? ''}`;
    if (masq.has(key)) c.add(c.at('nat', 'masquerade', i), `duplicate MASQUERADE of ${show(m.source)}`);
    masq.add(key);
  });
  const forwards = new Set<string>();
  c.node.nat.portForwards.forEach((f, i) => {
    const match = /^([^:]+):(\d{1,5})$/.exec(f.to);
    const ip = match ? parseAddress(match[1]) : undefined;
    if (!match || !ip?.ok || Number(match[2]) < 1 || Number(match[2]) > 65535) {
      c.add(
        c.at('nat', 'portForwards', i, 'to'),
        `must be ip:port with an IPv4 address and a port 1-65535, e.g. 10.10.0.3:80 (got ${show(f.to)})`,
      );
    }
    c.checkDevice(f.inInterface, c.at('nat', 'portForwards', i, 'inInterface'));
    const key = `${f.protocol} ${f.port} ${f.inInterface ?? ''}`;
    if (forwards.has(key))
      c.add(
        c.at('nat', 'portForwards', i),
        `duplicate port-forward of ${f.protocol} port ${f.port}${f.inInterface ? ` on ${f.inInterface}` : ''}`,
      );
    forwards.add(key);
  });
}

/** ip_forward: on for the Kubernetes prerequisites and for NAT. */
function forwardingIssues(c: NodeIntents): void {
  const forwarding = String(c.node.sysctls['net.ipv4.ip_forward'] ?? (c.node.kubernetesPrerequisites ? '1' : ''));
  if (c.node.kubernetesPrerequisites && forwarding !== '1') {
    c.add(
      c.at('sysctls', 'net.ipv4.ip_forward'),
      `is ${show(c.node.sysctls['net.ipv4.ip_forward'])} but kubernetesPrerequisites requires 1`,
    );
  }
  if ((c.node.nat.masquerade.length > 0 || c.node.nat.portForwards.length > 0) && forwarding !== '1') {
    c.add(
      c.at('nat'),
      `NAT forwards packets between interfaces, so node ${show(c.node.name)} needs sysctls: { net.ipv4.ip_forward: 1 } (or kubernetesPrerequisites: true)`,
    );
  }
}

/**
 * Bridges and namespaces whose addresses land in a LAN (a network of `lans`, or of one of the node's interfaces):
 * netstrap's bridges have no ports on the LAN, so an address there gives the node a second connected route for (part
 * of) the LAN through a bridge that does not reach it, and a namespace address there is unreachable unless its bridge
 * holds that network.
 */
function lanOverlapIssues(cluster: Cluster, node: ClusterNode, n: number): Issue[] {
  const issues: Issue[] = [];
  const lans: Array<{ what: string; network: IPv4CidrRange }> = [];
  for (const lan of cluster.lans) {
    const parsed = parseNetwork(lan.cidr);
    if (parsed.ok) lans.push({ what: `LAN ${show(lan.name)} ${lan.cidr}`, network: parsed.value });
  }
  for (const iface of node.interfaces) {
    for (const text of iface.addresses) {
      const parsed = parseInterfaceAddress(text);
      if (parsed.ok && !lans.some((lan) => lan.network.isEquals(parsed.value.network)))
        lans.push({
          what: `the network of ${iface.name} ${parsed.value.network.toCidrString()}`,
          network: parsed.value.network,
        });
    }
  }
  const interfaceAddresses = new Set<string>();
  for (const iface of node.interfaces)
    for (const text of iface.addresses) {
      const parsed = parseInterfaceAddress(text);
      if (parsed.ok) interfaceAddresses.add(parsed.value.address.toString());
    }
  const lanOf = (network: IPv4CidrRange) => lans.find((lan) => rangesOverlap(lan.network, network));
  const bridgeNetworks = new Map<string, IPv4CidrRange[]>();
  node.bridges.forEach((bridge, b) => {
    const networks: IPv4CidrRange[] = [];
    bridge.addresses.forEach((text, a) => {
      const parsed = parseInterfaceAddress(text);
      if (!parsed.ok) return;
      networks.push(parsed.value.network);
      const lan = lanOf(parsed.value.network);
      // An interface's own address on the bridge is reported as such (hostIntentIssues' claimAddress).
      if (lan && !interfaceAddresses.has(parsed.value.address.toString())) {
        issues.push({
          path: ['nodes', n, 'bridges', b, 'addresses', a],
          message: `${show(text)} is in ${lan.what}: bridge ${show(bridge.name)} has no port on that LAN, so node ${show(node.name)} would get a second connected route for it that leads nowhere; give the bridge a network of its own`,
        });
      }
    });
    bridgeNetworks.set(bridge.name, networks);
  });
  // A namespace on a bridge that holds its network is fine here (a bridge in a LAN is reported above).
  node.namespaces.forEach((ns, k) => {
    const parsed = parseInterfaceAddress(ns.veth.address);
    if (!parsed.ok) return;
    const lan = lanOf(parsed.value.network);
    if (!lan) return;
    const bridge = ns.veth.bridge;
    if ((bridgeNetworks.get(bridge ?? '') ?? []).some((network) => rangeContains(network, parsed.value.address)))
      return;
    issues.push({
      path: ['nodes', n, 'namespaces', k, 'veth', 'address'],
      message:
        `${show(ns.veth.address)} is in ${lan.what} but ${bridge === undefined ? 'the namespace is plugged into no bridge' : `outside every network of its bridge ${show(bridge)}`}: ` +
        `nothing on node ${show(node.name)} reaches it there; give the namespace an address of its bridge's network`,
    });
  });
  return issues;
}

function checkResolv(
  node: ClusterNode,
  at: (...rest: Array<string | number>) => Array<string | number>,
  add: (path: Array<string | number>, message: string) => void,
): void {
  const nameservers = node.resolv?.nameservers ?? [];
  nameservers.forEach((text, i) => {
    const ip = parseAddress(text);
    if (!ip.ok) add(at('resolv', 'nameservers', i), ip.error);
    else if (text === SYSTEMD_STUB && node.runsCoreDns) {
      add(
        at('resolv', 'nameservers', i),
        `${show(text)} is systemd-resolved's stub: CoreDNS on node ${show(node.name)} would forward to itself and its loop plugin would crash; list the real upstream servers`,
      );
    }
  });
  if (nameservers.length > MAX_NAMESERVERS) {
    add(
      at('resolv', 'nameservers'),
      `lists ${nameservers.length} nameservers; the resolver uses only the first ${MAX_NAMESERVERS}`,
    );
  }
}
