/**
 * Semantic checks of each node's host-side network intents (what the host provisioner applies): names unique on
 * the node, every CIDR and address parseable, a route's gateway on a network the node has, a namespace plugged
 * into a bridge the node declares with a default route on its own network, DNAT targets as ip:port, NAT only with
 * ip_forward on, CNI files only when netstrap renders them. Paths are from the root of the cluster file.
 * (Node names, interface names, LAN membership and address clashes are checked by ./checks/topology.ts.)
 */
import { clusterCniFiles } from './cni';
import {
  hostPortText,
  type IpInterfaceAddress,
  type IpNetwork,
  ipAddressText,
  ipNetworkContains,
  ipNetworkPrefix,
  ipNetworksOverlap,
  ipNetworkText,
  parseNameserver,
  parseNodeAddress,
  parseNodeInterfaceAddress,
  parseNodeNetwork,
  splitHostPort,
} from './cidr';
import { podSubnets } from './pod-subnets';
import { canonicalRouteDestination } from './route-table';
import { declaresForwarding } from './routing';
import { Issue, show } from './errors';
import type { Cluster, ClusterNode } from './schema';

/** The resolver reads at most this many nameserver lines (glibc MAXNS). */
const MAX_NAMESERVERS = 3;
const SYSTEMD_STUB = '127.0.0.53';

export function hostIntentIssues(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  const cniFiles = clusterCniFiles(cluster);
  // Read only when some node forwards a port (parsing every address of a big file costs).
  const dnatTargets = cluster.nodes.some((node) => node.nat.portForwards.length > 0)
    ? knownDnatTargets(cluster)
    : undefined;
  cluster.nodes.forEach((node, n) => {
    const c = new NodeIntents(node, n, issues);
    bridgeIssues(c);
    namespaceIssues(c);
    issues.push(...lanOverlapIssues(cluster, node, n));
    routeIssues(c);
    natIssues(c);
    forwardingIssues(c);
    node.hosts.forEach((entry, h) => {
      const ip = parseNodeAddress(entry.ip);
      if (!ip.ok) c.add(c.at('hosts', h, 'ip'), ip.error);
    });
    checkResolv(node, c.at, c.add);
    if (dnatTargets) issues.push(...dnatTargetIssues(dnatTargets, node, n));
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
    const split = splitHostPort(forward.to);
    const ip = split === undefined ? undefined : parseNodeAddress(split.host);
    if (!ip?.ok) return [];
    const target = ipAddressText(ip.value);
    if (held.has(target)) return [];
    if (pods.some((pod) => pod.ok && ipNetworkContains(pod.value, ip.value))) return [];
    return [
      {
        path: ['nodes', n, 'nat', 'portForwards', i, 'to'],
        message: `no node, bridge, namespace or pod subnet of the file holds ${target}: connections to ${forward.protocol}/${forward.port} of ${node.name} go to a machine netstrap does not know (a typo?) (got ${show(forward.to)})`,
        severity: 'warning',
      },
    ];
  });
}

/**
 * What a DNAT may target: every address of the file (canonical text), and the pod subnets of both families; made
 * once per file (not per node).
 */
interface KnownDnatTargets {
  readonly held: ReadonlySet<string>;
  readonly pods: ReadonlyArray<ReturnType<typeof parseNodeNetwork>>;
}

function knownDnatTargets(cluster: Cluster): KnownDnatTargets {
  const addressOf = (text: string) => {
    const parsed = parseNodeInterfaceAddress(text);
    return parsed.ok ? parsed.value.text : text;
  };
  const held = new Set(
    cluster.nodes.flatMap((each) => [
      ...[...each.interfaces, ...each.bridges].flatMap((dev) => dev.addresses.map(addressOf)),
      ...each.namespaces.flatMap((ns) => ns.veth.addresses.map(addressOf)),
    ]),
  );
  const pods = podSubnets(cluster).subnets.flatMap((subnet) => [
    parseNodeNetwork(subnet.cidr),
    ...(subnet.ipv6 === undefined ? [] : [parseNodeNetwork(subnet.ipv6)]),
  ]);
  return { held, pods };
}

/**
 * One node's checks share: where the node is in the file, its devices (name → what it is, for clash messages), the
 * networks of their addresses (for gateway reachability, either family), and the addresses it holds with their
 * holder (an address is on one device, or one namespace, only; canonical text, so each family's spellings compare).
 */
class NodeIntents {
  readonly devices = new Map<string, string>();
  readonly networks: Array<{ dev: string; network: IpNetwork }> = [];
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
        const parsed = parseNodeInterfaceAddress(text);
        if (parsed.ok && !this.owners.has(parsed.value.text))
          this.owners.set(parsed.value.text, `interface ${iface.name}`);
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
      const parsed = parseNodeInterfaceAddress(text);
      if (parsed.ok) this.networks.push({ dev, network: parsed.value.network });
    }
  }

  claimAddress(text: string, holder: string, path: Array<string | number>): void {
    const parsed = parseNodeInterfaceAddress(text);
    if (!parsed.ok) return;
    const ip = parsed.value.text;
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
      const parsed = parseNodeInterfaceAddress(text);
      if (!parsed.ok) c.add(c.at('bridges', b, 'addresses', a), parsed.error);
      else c.claimAddress(text, `bridge ${bridge.name}`, c.at('bridges', b, 'addresses', a));
    });
    c.addNetworks(bridge.name, bridge.addresses);
  });
}

/** The path of item `i` of a field that takes one value or a list (the field itself when one was written). */
const itemPath = (field: Array<string | number>, count: number, i: number) => (count > 1 ? [...field, i] : field);

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
    const own = new Map<4 | 6, { address: IpInterfaceAddress; text: string }>();
    ns.veth.addresses.forEach((text, a) => {
      const at = itemPath(c.at('namespaces', k, 'veth', 'address'), ns.veth.addresses.length, a);
      const address = parseNodeInterfaceAddress(text);
      if (!address.ok) c.add(at, address.error);
      else if (own.has(address.value.family))
        c.add(at, `${show(text)} is a second IPv${address.value.family} address: give one address per family`);
      else {
        own.set(address.value.family, { address: address.value, text });
        c.claimAddress(text, `namespace ${ns.name}`, at);
      }
    });
    const gateways = new Set<4 | 6>();
    ns.defaultRoutes.forEach((gatewayText, g) => {
      const at = itemPath(c.at('namespaces', k, 'defaultRoute'), ns.defaultRoutes.length, g);
      const gateway = parseNodeAddress(gatewayText);
      if (!gateway.ok) {
        c.add(at, gateway.error);
        return;
      }
      const family = gateway.value.family;
      if (gateways.has(family)) {
        c.add(at, `${show(gatewayText)} is a second IPv${family} gateway: give one default route per family`);
        return;
      }
      gateways.add(family);
      const mine = own.get(family);
      if (!mine) {
        if (ns.veth.addresses.every((text) => parseNodeInterfaceAddress(text).ok)) {
          c.add(
            at,
            `gateway ${show(gatewayText)} is IPv${family} but the namespace has no IPv${family} address (veth.address ${show(ns.veth.addresses.join(', '))})`,
          );
        }
        return;
      }
      const { address } = mine;
      if (!ipNetworkContains(address.network, gateway.value)) {
        c.add(
          at,
          `gateway ${show(gatewayText)} is not on the namespace's network ${ipNetworkText(address.network)} (veth.address ${show(mine.text)})`,
        );
        return;
      }
      if (address.text === ipAddressText(gateway.value)) {
        c.add(at, `gateway ${show(gatewayText)} is the namespace's own address`);
        return;
      }
      // The veth's host side has no address of its own: the gateway must sit on the bridge it is plugged into
      // (the bridge's address, or another namespace on that bridge).
      const bridge = c.node.bridges.find((candidate) => candidate.name === ns.veth.bridge);
      const addressOf = (text: string) => {
        const parsed = parseNodeInterfaceAddress(text);
        return parsed.ok ? parsed.value.text : undefined;
      };
      const wanted = ipAddressText(gateway.value);
      const reachable =
        bridge !== undefined &&
        (bridge.addresses.some((text) => addressOf(text) === wanted) ||
          c.node.namespaces.some(
            (other) =>
              other !== ns &&
              other.veth.bridge === bridge.name &&
              other.veth.addresses.some((text) => addressOf(text) === wanted),
          ));
      if (!reachable) {
        c.add(
          at,
          ns.veth.bridge === undefined
            ? `gateway ${show(gatewayText)} cannot be reached: the veth's host side ${show(ns.veth.hostSide)} has no address; plug it into a bridge (veth.bridge) that has the gateway address`
            : `gateway ${show(gatewayText)} is neither an address of bridge ${show(ns.veth.bridge)} nor of a namespace on it: the namespace has no path to it`,
        );
      }
    });
  });
}

/**
 * Routes: a destination and a gateway the kernel takes, of one family, once per family, destination and metric, on
 * a network of the node of that family. `default` is the default route of the gateway's family (0.0.0.0/0, ::/0).
 */
function routeIssues(c: NodeIntents): void {
  // The kernel knows a route by family, destination and metric: 0.0.0.0/0 is `default` and 10.9.9.9/32 is 10.9.9.9.
  const routeKeys = new Map<string, string>();
  c.node.routes.forEach((route, r) => {
    const via = parseNodeAddress(route.via);
    const dst = route.to === 'default' ? undefined : parseNodeNetwork(route.to);
    if (dst && !dst.ok) c.add(c.at('routes', r, 'to'), `${dst.error} (or "default")`);
    const family = via.ok ? via.value.family : dst?.ok ? dst.value.family : 4;
    const key = `${family} ${canonicalRouteDestination(route.to, family)} metric ${route.metric ?? 0}`;
    const first = routeKeys.get(key);
    if (first !== undefined) {
      c.add(
        c.at('routes', r),
        `duplicate route to ${show(route.to)} with metric ${route.metric ?? 0} (same destination as ${show(first)}; ` +
          'give a different metric for a failover route)',
      );
    } else routeKeys.set(key, route.to);
    c.checkDevice(route.dev, c.at('routes', r, 'dev'));
    if (!via.ok) {
      c.add(c.at('routes', r, 'via'), via.error);
      return;
    }
    if (dst?.ok && dst.value.family !== via.value.family) {
      c.add(
        c.at('routes', r, 'via'),
        `gateway ${show(route.via)} is IPv${via.value.family} but the destination ${show(route.to)} is IPv${dst.value.family}: a route's to and via are one family`,
      );
      return;
    }
    const viaText = ipAddressText(via.value);
    if (c.owners.has(viaText)) {
      c.add(
        c.at('routes', r, 'via'),
        `gateway ${show(route.via)} is node ${show(c.node.name)}'s own address (${c.owners.get(viaText)})`,
      );
      return;
    }
    const broadcast = c.networks.find(
      (x) =>
        x.network.family === 4 &&
        via.value.family === 4 &&
        ipNetworkPrefix(x.network) < 31 &&
        (x.network.value.getLast().isEquals(via.value.value) || x.network.value.getFirst().isEquals(via.value.value)),
    );
    if (broadcast && broadcast.network.family === 4 && via.value.family === 4) {
      c.add(
        c.at('routes', r, 'via'),
        `gateway ${show(route.via)} is the ${broadcast.network.value.getLast().isEquals(via.value.value) ? 'broadcast' : 'network'} address of ${broadcast.dev} ${ipNetworkText(broadcast.network)}`,
      );
      return;
    }
    if (dst?.ok) {
      const connected = c.networks.find(
        (x) => x.network.family === dst.value.family && ipNetworkText(x.network) === ipNetworkText(dst.value),
      );
      if (connected) {
        c.add(
          c.at('routes', r, 'to'),
          `${show(route.to)} is the connected network of ${connected.dev}: the kernel routes it already; a gateway route for it would break the LAN`,
        );
        return;
      }
    }
    const candidates = c.networks.filter(
      (x) => x.network.family === via.value.family && (route.dev === undefined || x.dev === route.dev),
    );
    if (!candidates.some((x) => ipNetworkContains(x.network, via.value))) {
      const list = candidates.map((x) => `${x.dev} ${ipNetworkText(x.network)}`).join(', ') || 'none';
      const article = via.value.family === 6 ? 'an IPv6' : 'a';
      c.add(
        c.at('routes', r, 'via'),
        `gateway ${show(route.via)} is not on ${article} network of node ${show(c.node.name)}${route.dev ? ` via ${route.dev}` : ''} (${list})`,
      );
    }
  });
}

/** NAT rules: parseable networks of one family, ip:port targets, known devices, no duplicates. */
function natIssues(c: NodeIntents): void {
  const masq = new Set<string>();
  c.node.nat.masquerade.forEach((m, i) => {
    const source = parseNodeNetwork(m.source);
    if (!source.ok) c.add(c.at('nat', 'masquerade', i, 'source'), source.error);
    c.checkDevice(m.outInterface, c.at('nat', 'masquerade', i, 'outInterface'));
    if (m.exceptDestination !== undefined) {
      const except = parseNodeNetwork(m.exceptDestination);
      if (!except.ok) c.add(c.at('nat', 'masquerade', i, 'exceptDestination'), except.error);
      else if (source.ok && source.value.family !== except.value.family) {
        c.add(
          c.at('nat', 'masquerade', i, 'exceptDestination'),
          `${show(m.exceptDestination)} is IPv${except.value.family} but source ${show(m.source)} is IPv${source.value.family}: a MASQUERADE rule is of one family (iptables or ip6tables)`,
        );
      }
    }
    const key = `${m.source} ${m.exceptDestination ?? ''} ${m.outInterface ?? ''}`;
    if (masq.has(key)) c.add(c.at('nat', 'masquerade', i), `duplicate MASQUERADE of ${show(m.source)}`);
    masq.add(key);
  });
  const forwards = new Set<string>();
  c.node.nat.portForwards.forEach((f, i) => {
    const split = splitHostPort(f.to);
    const ip = split ? parseNodeAddress(split.host) : undefined;
    const port = Number(split?.port);
    if (split && ip && !ip.ok && (split.bracketed || split.host.includes('%'))) {
      c.add(c.at('nat', 'portForwards', i, 'to'), `${ip.error} (got ${show(f.to)})`);
    } else if (split?.bracketed && ip?.ok && ip.value.family === 4) {
      c.add(
        c.at('nat', 'portForwards', i, 'to'),
        `only an IPv6 address goes in brackets: write ${hostPortText(ip.value, port)} (got ${show(f.to)})`,
      );
    } else if (!split || !ip?.ok || port < 1 || port > 65535) {
      c.add(
        c.at('nat', 'portForwards', i, 'to'),
        `must be ip:port with an IPv4 address, or [ip]:port with an IPv6 address, and a port 1-65535, e.g. 10.10.0.3:80 or [fd00::3]:80 (got ${show(f.to)})`,
      );
    }
    c.checkDevice(f.inInterface, c.at('nat', 'portForwards', i, 'inInterface'));
    // A forward of one port is one DNAT rule per family (iptables and ip6tables are separate tables).
    const family = ip?.ok ? ip.value.family : 4;
    const key = `${family} ${f.protocol} ${f.port} ${f.inInterface ?? ''}`;
    if (forwards.has(key))
      c.add(
        c.at('nat', 'portForwards', i),
        `duplicate port-forward of ${f.protocol} port ${f.port}${f.inInterface ? ` on ${f.inInterface}` : ''}`,
      );
    forwards.add(key);
  });
}

/** The families the node's NAT rules use (iptables for IPv4, ip6tables for IPv6). */
function natFamilies(node: ClusterNode): Set<4 | 6> {
  const families = new Set<4 | 6>();
  for (const m of node.nat.masquerade) {
    const source = parseNodeNetwork(m.source);
    families.add(source.ok ? source.value.family : 4);
  }
  for (const f of node.nat.portForwards) {
    const split = splitHostPort(f.to);
    const ip = split && parseNodeAddress(split.host);
    families.add(ip?.ok ? ip.value.family : 4);
  }
  return families;
}

/** Forwarding, per family: ip_forward on for the Kubernetes prerequisites; each family's NAT needs its forwarding. */
function forwardingIssues(c: NodeIntents): void {
  const forwarding = String(c.node.sysctls['net.ipv4.ip_forward'] ?? (c.node.kubernetesPrerequisites ? '1' : ''));
  if (c.node.kubernetesPrerequisites && forwarding !== '1') {
    c.add(
      c.at('sysctls', 'net.ipv4.ip_forward'),
      `is ${show(c.node.sysctls['net.ipv4.ip_forward'])} but kubernetesPrerequisites requires 1`,
    );
  }
  const families = natFamilies(c.node);
  if (families.has(4) && forwarding !== '1') {
    c.add(
      c.at('nat'),
      `NAT forwards packets between interfaces, so node ${show(c.node.name)} needs sysctls: { net.ipv4.ip_forward: 1 } (or kubernetesPrerequisites: true)`,
    );
  }
  if (families.has(6) && !declaresForwarding(c.node, 6)) {
    c.add(
      c.at('nat'),
      `IPv6 NAT forwards packets between interfaces, so node ${show(c.node.name)} needs sysctls: { net.ipv6.conf.all.forwarding: 1 }`,
    );
  }
}

/**
 * Bridges and namespaces whose addresses land in a LAN (a network of `lans`, or of one of the node's interfaces),
 * per family: netstrap's bridges have no ports on the LAN, so an address there gives the node a second connected
 * route for (part of) the LAN through a bridge that does not reach it, and a namespace address there is unreachable
 * unless its bridge holds that network.
 */
function lanOverlapIssues(cluster: Cluster, node: ClusterNode, n: number): Issue[] {
  const issues: Issue[] = [];
  const lans: Array<{ what: string; network: IpNetwork }> = [];
  for (const lan of cluster.lans) {
    for (const text of lan.cidrs) {
      const parsed = parseNodeNetwork(text);
      if (parsed.ok) lans.push({ what: `LAN ${show(lan.name)} ${ipNetworkText(parsed.value)}`, network: parsed.value });
    }
  }
  const same = (a: IpNetwork, b: IpNetwork) => a.family === b.family && ipNetworkText(a) === ipNetworkText(b);
  for (const iface of node.interfaces) {
    for (const text of iface.addresses) {
      const parsed = parseNodeInterfaceAddress(text);
      if (parsed.ok && !lans.some((lan) => same(lan.network, parsed.value.network)))
        lans.push({
          what: `the network of ${iface.name} ${ipNetworkText(parsed.value.network)}`,
          network: parsed.value.network,
        });
    }
  }
  const interfaceAddresses = new Set<string>();
  for (const iface of node.interfaces)
    for (const text of iface.addresses) {
      const parsed = parseNodeInterfaceAddress(text);
      if (parsed.ok) interfaceAddresses.add(parsed.value.text);
    }
  const lanOf = (network: IpNetwork) => lans.find((lan) => ipNetworksOverlap(lan.network, network));
  const bridgeNetworks = new Map<string, IpNetwork[]>();
  node.bridges.forEach((bridge, b) => {
    const networks: IpNetwork[] = [];
    bridge.addresses.forEach((text, a) => {
      const parsed = parseNodeInterfaceAddress(text);
      if (!parsed.ok) return;
      networks.push(parsed.value.network);
      const lan = lanOf(parsed.value.network);
      // An interface's own address on the bridge is reported as such (hostIntentIssues' claimAddress).
      if (lan && !interfaceAddresses.has(parsed.value.text)) {
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
    ns.veth.addresses.forEach((text, a) => {
      const parsed = parseNodeInterfaceAddress(text);
      if (!parsed.ok) return;
      const lan = lanOf(parsed.value.network);
      if (!lan) return;
      const bridge = ns.veth.bridge;
      if ((bridgeNetworks.get(bridge ?? '') ?? []).some((network) => ipNetworkContains(network, parsed.value.address)))
        return;
      issues.push({
        path: itemPath(['nodes', n, 'namespaces', k, 'veth', 'address'], ns.veth.addresses.length, a),
        message:
          `${show(text)} is in ${lan.what} but ${bridge === undefined ? 'the namespace is plugged into no bridge' : `outside every network of its bridge ${show(bridge)}`}: ` +
          `nothing on node ${show(node.name)} reaches it there; give the namespace an address of its bridge's network`,
      });
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
    const ip = parseNameserver(text);
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
