/**
 * Host-side values in the one spelling our own parsers produce. The host provisioner writes addresses into
 * `ip addr add`, routes, iptables rules and files: they get the CIDR library's form, never the user's text (which
 * the checks accepted, but which another program might read differently). Runs on a checked cluster only.
 */
import { parseAddress, parseInterfaceAddress, parseNetwork } from './cidr';
import type { ParsedCluster } from './schema';

const address = (text: string): string => {
  const parsed = parseAddress(text);
  return parsed.ok ? parsed.value.toString() : text;
};
const network = (text: string): string => {
  const parsed = parseNetwork(text);
  return parsed.ok ? parsed.value.toCidrString() : text;
};
const interfaceAddress = (text: string): string => {
  const parsed = parseInterfaceAddress(text);
  return parsed.ok ? parsed.value.cidr : text;
};

/** `cluster` with every node address, network and gateway in canonical form (a new value; `cluster` is unchanged). */
export function canonicalizeHosts(cluster: ParsedCluster): ParsedCluster {
  return {
    ...cluster,
    lans: cluster.lans.map((lan) => ({ ...lan, cidr: network(lan.cidr) })),
    nodes: cluster.nodes.map((node) => ({
      ...node,
      ssh: /^[0-9.]+$/.test(node.ssh.host) ? { ...node.ssh, host: address(node.ssh.host) } : node.ssh,
      ...(node.podSubnet !== undefined && { podSubnet: network(node.podSubnet) }),
      interfaces: node.interfaces.map((iface) => ({ ...iface, addresses: iface.addresses.map(interfaceAddress) })),
      bridges: node.bridges.map((bridge) => ({ ...bridge, addresses: bridge.addresses.map(interfaceAddress) })),
      routes: node.routes.map((route) => ({
        ...route,
        to: route.to === 'default' ? route.to : network(route.to),
        via: address(route.via),
      })),
      namespaces: node.namespaces.map((ns) => ({
        ...ns,
        veth: { ...ns.veth, address: interfaceAddress(ns.veth.address) },
        ...(ns.defaultRoute !== undefined && { defaultRoute: address(ns.defaultRoute) }),
      })),
      nat: {
        ...node.nat,
        masquerade: node.nat.masquerade.map((m) => ({ ...m, source: network(m.source) })),
        portForwards: node.nat.portForwards.map((f) => {
          const [ip, port] = f.to.split(':');
          return { ...f, to: `${address(ip)}:${Number(port)}` };
        }),
      },
      hosts: node.hosts.map((entry) => ({ ...entry, ip: address(entry.ip) })),
      ...(node.resolv && { resolv: { ...node.resolv, nameservers: node.resolv.nameservers.map(address) } }),
    })),
  };
}
