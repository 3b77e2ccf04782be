/**
 * Semantic checks of each node's host-side network intents (what the host provisioner applies): names unique on
 * the node, every CIDR and address parseable, a route's gateway on a network the node has, a namespace plugged
 * into a bridge the node declares with a default route on its own network, DNAT targets as ip:port, NAT only with
 * ip_forward on, CNI files only when netstrap renders them. Paths are from the root of the cluster file.
 * (Node names, interface names, LAN membership and address clashes are checked by src/lab/topology.ts.)
 */
import type { IPv4CidrRange } from 'ip-num';
import { clusterCniFiles } from './cni';
import { canonicalRouteDestination, parseAddress, parseInterfaceAddress, parseNetwork, rangeContains } from './cidr';
import { Issue, show } from './errors';
import type { Cluster, ClusterNode } from './schema';

/** The resolver reads at most this many nameserver lines (glibc MAXNS). */
const MAX_NAMESERVERS = 3;
const SYSTEMD_STUB = '127.0.0.53';

export function hostIntentIssues(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  const cniFiles = clusterCniFiles(cluster);
  cluster.nodes.forEach((node, n) => {
    const at = (...rest: Array<string | number>) => ['nodes', n, ...rest];
    const add = (path: Array<string | number>, message: string) => issues.push({ path, message });

    // Devices of the node and the networks of their addresses (for gateway reachability).
    const devices = new Map<string, string>(); // name → what it is, for clash messages
    const networks: Array<{ dev: string; network: IPv4CidrRange }> = [];
    const claimDevice = (name: string, what: string, path: Array<string | number>) => {
      const previous = devices.get(name);
      if (previous !== undefined) add(path, `${show(name)} is already ${previous} on node ${show(node.name)}`);
      else devices.set(name, what);
    };
    const addNetworks = (dev: string, addresses: ReadonlyArray<string>) => {
      for (const text of addresses) {
        const parsed = parseInterfaceAddress(text);
        if (parsed.ok) networks.push({ dev, network: parsed.value.network });
      }
    };
    node.interfaces.forEach((iface) => { if (!devices.has(iface.name)) devices.set(iface.name, 'an interface'); addNetworks(iface.name, iface.addresses); });

    node.bridges.forEach((bridge, b) => {
      claimDevice(bridge.name, 'a bridge', at('bridges', b, 'name'));
      bridge.addresses.forEach((text, a) => {
        const parsed = parseInterfaceAddress(text);
        if (!parsed.ok) add(at('bridges', b, 'addresses', a), parsed.error);
      });
      addNetworks(bridge.name, bridge.addresses);
    });

    const nsNames = new Set<string>();
    node.namespaces.forEach((ns, k) => {
      if (nsNames.has(ns.name)) add(at('namespaces', k, 'name'), `duplicate namespace name ${show(ns.name)} on node ${show(node.name)}`);
      nsNames.add(ns.name);
      claimDevice(ns.veth.hostSide, `the host side of namespace ${show(ns.name)}'s veth`, at('namespaces', k, 'veth', 'hostSide'));
      if (ns.veth.bridge !== undefined && !node.bridges.some((b) => b.name === ns.veth.bridge)) {
        const known = node.bridges.map((b) => b.name).join(', ') || 'none';
        add(at('namespaces', k, 'veth', 'bridge'), `unknown bridge ${show(ns.veth.bridge)}: declare it in nodes[${n}].bridges (bridges: ${known})`);
      }
      const address = parseInterfaceAddress(ns.veth.address);
      if (!address.ok) add(at('namespaces', k, 'veth', 'address'), address.error);
      if (ns.defaultRoute !== undefined) {
        const gateway = parseAddress(ns.defaultRoute);
        if (!gateway.ok) add(at('namespaces', k, 'defaultRoute'), gateway.error);
        else if (address.ok && !rangeContains(address.value.network, gateway.value)) {
          add(at('namespaces', k, 'defaultRoute'), `gateway ${show(ns.defaultRoute)} is not on the namespace's network ${address.value.network.toCidrString()} (veth.address ${show(ns.veth.address)})`);
        } else if (address.ok && address.value.address.isEquals(gateway.value)) {
          add(at('namespaces', k, 'defaultRoute'), `gateway ${show(ns.defaultRoute)} is the namespace's own address`);
        }
      }
    });

    const known = () => [...devices.keys()].join(', ') || 'none';
    const checkDevice = (name: string | undefined, path: Array<string | number>) => {
      if (name !== undefined && !devices.has(name)) add(path, `unknown device ${show(name)}: declare it in nodes[${n}].interfaces or bridges (devices: ${known()})`);
    };

    // The kernel knows a route by destination and metric: 0.0.0.0/0 is `default` and 10.9.9.9/32 is 10.9.9.9.
    const routeKeys = new Map<string, string>();
    node.routes.forEach((route, r) => {
      if (route.to !== 'default') {
        const dst = parseNetwork(route.to);
        if (!dst.ok) add(at('routes', r, 'to'), `${dst.error} (or "default")`);
      }
      const key = `${canonicalRouteDestination(route.to)} metric ${route.metric ?? 0}`;
      const first = routeKeys.get(key);
      if (first !== undefined) {
        add(at('routes', r), `duplicate route to ${show(route.to)} with metric ${route.metric ?? 0} (same destination as ${show(first)}; `
          + 'give a different metric for a failover route)');
      } else routeKeys.set(key, route.to);
      checkDevice(route.dev, at('routes', r, 'dev'));
      const via = parseAddress(route.via);
      if (!via.ok) { add(at('routes', r, 'via'), via.error); return; }
      const candidates = networks.filter((x) => route.dev === undefined || x.dev === route.dev);
      if (networks.length > 0 && !candidates.some((x) => rangeContains(x.network, via.value))) {
        const list = candidates.map((x) => `${x.dev} ${x.network.toCidrString()}`).join(', ') || 'none';
        add(at('routes', r, 'via'), `gateway ${show(route.via)} is not on a network of node ${show(node.name)}${route.dev ? ` via ${route.dev}` : ''} (${list})`);
      }
    });

    const masq = new Set<string>();
    node.nat.masquerade.forEach((m, i) => {
      const source = parseNetwork(m.source);
      if (!source.ok) add(at('nat', 'masquerade', i, 'source'), source.error);
      checkDevice(m.outInterface, at('nat', 'masquerade', i, 'outInterface'));
      const key = `${m.source} ${m.outInterface ?? ''}`;
      if (masq.has(key)) add(at('nat', 'masquerade', i), `duplicate MASQUERADE of ${show(m.source)}`);
      masq.add(key);
    });
    const forwards = new Set<string>();
    node.nat.portForwards.forEach((f, i) => {
      const match = /^([^:]+):(\d{1,5})$/.exec(f.to);
      const ip = match ? parseAddress(match[1]) : undefined;
      if (!match || !ip?.ok || Number(match[2]) < 1 || Number(match[2]) > 65535) {
        add(at('nat', 'portForwards', i, 'to'), `must be ip:port with an IPv4 address and a port 1-65535, e.g. 10.10.0.3:80 (got ${show(f.to)})`);
      }
      checkDevice(f.inInterface, at('nat', 'portForwards', i, 'inInterface'));
      const key = `${f.protocol} ${f.port} ${f.inInterface ?? ''}`;
      if (forwards.has(key)) add(at('nat', 'portForwards', i), `duplicate port-forward of ${f.protocol} port ${f.port}${f.inInterface ? ` on ${f.inInterface}` : ''}`);
      forwards.add(key);
    });

    const forwarding = String(node.sysctls['net.ipv4.ip_forward'] ?? (node.kubernetesPrerequisites ? '1' : ''));
    if (node.kubernetesPrerequisites && forwarding !== '1') {
      add(at('sysctls', 'net.ipv4.ip_forward'), `is ${show(node.sysctls['net.ipv4.ip_forward'])} but kubernetesPrerequisites requires 1`);
    }
    if ((node.nat.masquerade.length > 0 || node.nat.portForwards.length > 0) && forwarding !== '1') {
      add(at('nat'), `NAT forwards packets between interfaces, so node ${show(node.name)} needs sysctls: { net.ipv4.ip_forward: 1 } (or kubernetesPrerequisites: true)`);
    }

    node.hosts.forEach((entry, h) => {
      const ip = parseAddress(entry.ip);
      if (!ip.ok) add(at('hosts', h, 'ip'), ip.error);
    });
    checkResolv(node, at, add);

    if (node.cniConflists && !cniFiles) {
      add(at('cniConflists'), `cni.plugin ${show(cluster.cni.plugin)} writes its own CNI configuration; netstrap writes conflists only for cni.plugin bridge or conflist`);
    }
  });
  return issues;
}

function checkResolv(node: ClusterNode, at: (...rest: Array<string | number>) => Array<string | number>, add: (path: Array<string | number>, message: string) => void): void {
  const nameservers = node.resolv?.nameservers ?? [];
  nameservers.forEach((text, i) => {
    const ip = parseAddress(text);
    if (!ip.ok) add(at('resolv', 'nameservers', i), ip.error);
    else if (text === SYSTEMD_STUB && node.runsCoreDns) {
      add(at('resolv', 'nameservers', i), `${show(text)} is systemd-resolved's stub: CoreDNS on node ${show(node.name)} would forward to itself and its loop plugin would crash; list the real upstream servers`);
    }
  });
  if (nameservers.length > MAX_NAMESERVERS) {
    add(at('resolv', 'nameservers'), `lists ${nameservers.length} nameservers; the resolver uses only the first ${MAX_NAMESERVERS}`);
  }
}
