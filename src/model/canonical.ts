/**
 * Host-side values in the one spelling our own parsers produce. The host provisioner writes addresses into
 * `ip addr add`, routes, iptables rules and files: they get the CIDR library's form, never the user's text (which
 * the checks accepted, but which another program might read differently). Runs on a checked cluster only.
 */
import { parseAddress, parseInterfaceAddress, parseNetwork } from './cidr';
import type { Cluster } from './schema';

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

/** Rewrites every node address, network and gateway of `cluster` in canonical form (in place; returns it). */
export function canonicalizeHosts(cluster: Cluster): Cluster {
  for (const lan of cluster.lans) lan.cidr = network(lan.cidr);
  for (const node of cluster.nodes) {
    if (/^[0-9.]+$/.test(node.ssh.host)) node.ssh.host = address(node.ssh.host);
    if (node.podSubnet !== undefined) node.podSubnet = network(node.podSubnet);
    for (const iface of node.interfaces) iface.addresses = iface.addresses.map(interfaceAddress);
    for (const bridge of node.bridges) bridge.addresses = bridge.addresses.map(interfaceAddress);
    for (const route of node.routes) {
      if (route.to !== 'default') route.to = network(route.to);
      route.via = address(route.via);
    }
    for (const ns of node.namespaces) {
      ns.veth.address = interfaceAddress(ns.veth.address);
      if (ns.defaultRoute !== undefined) ns.defaultRoute = address(ns.defaultRoute);
    }
    for (const m of node.nat.masquerade) m.source = network(m.source);
    for (const f of node.nat.portForwards) {
      const [ip, port] = f.to.split(':');
      f.to = `${address(ip)}:${Number(port)}`;
    }
    for (const entry of node.hosts) entry.ip = address(entry.ip);
    if (node.resolv) node.resolv.nameservers = node.resolv.nameservers.map(address);
  }
  return cluster;
}
