/**
 * Host-side values in the one spelling our own parsers produce. The host provisioner writes addresses into
 * `ip addr add`, routes, iptables/ip6tables rules and files: they get the CIDR library's form, never the user's text
 * (which the checks accepted, but which another program might read differently). IPv6 is canonicalised here and only
 * here (RFC 5952: lower case, longest zero run compressed): `FD00:0:0::1/64` reaches the host as `fd00::1/64`.
 * Runs on a checked cluster only.
 */
import {
  hostPortText,
  ipAddressText,
  ipNetworkText,
  parseNameserver,
  parseNodeAddress,
  parseNodeInterfaceAddress,
  parseNodeNetwork,
  splitHostPort,
} from './cidr';
import type { ParsedCluster } from './schema';

const address = (text: string): string => {
  const parsed = parseNodeAddress(text);
  return parsed.ok ? ipAddressText(parsed.value) : text;
};
const network = (text: string): string => {
  const parsed = parseNodeNetwork(text);
  return parsed.ok ? ipNetworkText(parsed.value) : text;
};
const interfaceAddress = (text: string): string => {
  const parsed = parseNodeInterfaceAddress(text);
  return parsed.ok ? parsed.value.cidr : text;
};
const nameserver = (text: string): string => {
  const parsed = parseNameserver(text);
  return parsed.ok ? parsed.value.text : text;
};
const hostPort = (text: string): string => {
  const split = splitHostPort(text);
  const ip = split && parseNodeAddress(split.host);
  return split && ip?.ok ? hostPortText(ip.value, Number(split.port)) : text;
};
/** An IPv6 literal in a jump host (`admin@[FD00::1]:22` → `admin@[fd00::1]:22`); names are left as written. */
const jumpHost = (text: string): string =>
  text.replace(/\[([^\]]*)\]/, (whole, literal: string) => {
    const parsed = parseNodeAddress(literal);
    return parsed.ok ? `[${ipAddressText(parsed.value)}]` : whole;
  });

/** `cluster` with every node address, network and gateway in canonical form (a new value; `cluster` is unchanged). */
export function canonicalizeHosts(cluster: ParsedCluster): ParsedCluster {
  return {
    ...cluster,
    lans: cluster.lans.map((lan) => ({ ...lan, cidr: network(lan.cidr), cidrs: lan.cidrs.map(network) })),
    nodes: cluster.nodes.map((node) => ({
      ...node,
      ssh: {
        ...node.ssh,
        host: /^[0-9.]+$/.test(node.ssh.host) || node.ssh.host.includes(':') ? address(node.ssh.host) : node.ssh.host,
        ...(node.ssh.jumpHost !== undefined && { jumpHost: jumpHost(node.ssh.jumpHost) }),
      },
      ...(node.podSubnet !== undefined && {
        podSubnet: typeof node.podSubnet === 'string' ? network(node.podSubnet) : node.podSubnet.map(network),
      }),
      interfaces: node.interfaces.map((iface) => ({ ...iface, addresses: iface.addresses.map(interfaceAddress) })),
      bridges: node.bridges.map((bridge) => ({ ...bridge, addresses: bridge.addresses.map(interfaceAddress) })),
      routes: node.routes.map((route) => ({
        ...route,
        to: route.to === 'default' ? route.to : network(route.to),
        via: address(route.via),
      })),
      namespaces: node.namespaces.map((ns) => {
        const addresses = ns.veth.addresses.map(interfaceAddress);
        const defaultRoutes = ns.defaultRoutes.map(address);
        return {
          ...ns,
          veth: { ...ns.veth, address: addresses[0], addresses },
          ...(ns.defaultRoute !== undefined && { defaultRoute: defaultRoutes[0] }),
          defaultRoutes,
        };
      }),
      nat: {
        ...node.nat,
        masquerade: node.nat.masquerade.map((m) => ({
          ...m,
          source: network(m.source),
          ...(m.exceptDestination !== undefined && { exceptDestination: network(m.exceptDestination) }),
        })),
        portForwards: node.nat.portForwards.map((f) => ({ ...f, to: hostPort(f.to) })),
      },
      hosts: node.hosts.map((entry) => ({ ...entry, ip: address(entry.ip) })),
      ...(node.resolv && { resolv: { ...node.resolv, nameservers: node.resolv.nameservers.map(nameserver) } }),
    })),
    lab: { ...cluster.lab, managementCidr: network(cluster.lab.managementCidr) },
  };
}
