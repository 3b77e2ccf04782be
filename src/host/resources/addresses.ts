/**
 * Adding and deleting interface addresses of either family, for links, bridges and namespaces.
 *
 * IPv4: deleting an address without taking what the node still needs with it. With the kernel's default
 * (net.ipv4.conf.<dev>.promote_secondaries = 0), deleting a device's primary address deletes every secondary one of
 * the same subnet with it, and a device left without any address loses every route through it: replacing .11 by .21
 * (added first, so a secondary) would take .21, the default route and each route via the LAN's gateway along. With
 * promotion on for that one deletion, .21 becomes the primary and the routes stay; the setting is put back at once.
 * IPv6 has no primary and secondary addresses: deleting one takes no other with it, and routes via a gateway stay.
 * A device that is gone already has no address left to delete: that is not a failure.
 *
 * IPv6 duplicate address detection (DAD): a new IPv6 address is "tentative" for about a second (the kernel's
 * defaults: one probe, one second): the node does not answer neighbour solicitations for it and does not use it as a
 * source. An address the file uses at once is added with `nodad` (usable the moment `ip addr add` returns); see
 * `immediateAddresses`. Every other IPv6 address waits out DAD, as the kernel would have it: nothing in the file
 * depends on it within the run, and DAD still catches a duplicate on the LAN.
 */
import { effectiveNodes } from '../../model/effective';
import type { Cluster, ClusterNode } from '../../model/schema';
import { parseRouteAddress } from '../../model/route-table';
import type { Command } from '../types';

/**
 * $1 the address, $2 the device. The device name is also a path component of /proc/sys (as sysctl's own). dash's
 * `read` takes one byte at a time and /proc/sys ends a read at a non-zero offset: it gets the one-digit value, and
 * fails for want of a newline, so its status is not looked at.
 */
const PROMOTING_DELETE =
  'ip link show dev "$2" >/dev/null 2>&1 || exit 0; f=/proc/sys/net/ipv4/conf/$2/promote_secondaries; p=; ' +
  '{ read -r p < "$f"; [ -z "$p" ] || echo 1 > "$f"; } 2>/dev/null; ip addr del "$1" dev "$2"; s=$?; ' +
  '[ -z "$p" ] || { echo "$p" > "$f"; } 2>/dev/null; exit $s';

/** $1 the IPv6 address, $2 the device: no promotion to manage, only a device that may be gone already. */
const IPV6_DELETE = 'ip link show dev "$2" >/dev/null 2>&1 || exit 0; ip -6 addr del "$1" dev "$2"';

/** True for an IPv6 address text (`fd00::1/64`, `fd00::1`). */
export function isIpv6(address: string): boolean {
  return address.includes(':');
}

/** Deletes `address` from `dev`, on the node or inside network namespace `ns`, keeping the other addresses and routes. */
export function deleteAddress(address: string, dev: string, ns?: string): Command {
  const script = ['sh', '-c', isIpv6(address) ? IPV6_DELETE : PROMOTING_DELETE, 'sh', address, dev];
  return { argv: ns === undefined ? script : ['ip', 'netns', 'exec', ns, ...script] };
}

/**
 * The `ip addr add|replace` arguments (after `ip`) of an address: `nodad` for an IPv6 address the file uses at once
 * (`immediate`, from immediateAddresses). IPv4 addresses are as before, byte for byte.
 */
export function addressArgs(
  verb: 'add' | 'replace',
  address: string,
  dev: string,
  immediate: ReadonlySet<string>,
): string[] {
  const nodad = isIpv6(address) && immediate.has(address.split('/')[0]);
  return ['addr', verb, address, 'dev', dev, ...(nodad ? ['nodad'] : [])];
}

/**
 * The `ip` arguments that put an address back (a revert, a restored removal): at once, without DAD for IPv6 (`nodad`),
 * as it was in use before the run.
 */
export function restoreArgs(address: string, dev: string): string[] {
  return ['addr', 'add', address, 'dev', dev, ...(isIpv6(address) ? ['nodad'] : [])];
}

/**
 * The IPv6 addresses (canonical text, no prefix) the file uses at once, which therefore skip DAD:
 * - a next hop: any node's route `via` (routing: auto's derived routes included) or a namespace's `defaultRoute`: the
 *   nodes routing through it must reach it as soon as their routes are set, and a tentative address is not answered;
 * - a source: an address of `node` on the subnet of one of its own routes' `via`, or a namespace's address when the
 *   namespace has a default route: the run's own checks (commit-confirm's probes, verify) send from it at once, and a
 *   tentative address is not used as a source;
 * - a target of a verify check (`ping`, `tcp`) or of a port forward (`portForwards[].to`).
 */
export function immediateAddresses(node: ClusterNode, cluster?: Cluster): ReadonlySet<string> {
  if (!hasIpv6Address(node)) return NONE;
  // The node as planned (effective: derived routes included), and every other node of the file.
  const nodes = [node, ...(cluster ? effectiveNodes(cluster).filter((n) => n.name !== node.name) : [])];
  const used = new Set<string>();
  const add = (text: string | undefined) => {
    if (text !== undefined && isIpv6(text)) used.add(text);
  };
  for (const n of nodes) {
    for (const route of n.routes) add(route.via);
    for (const ns of n.namespaces) for (const gw of ns.defaultRoutes) add(gw);
    for (const forward of n.nat.portForwards) add(/^\[([^\]]+)\]:\d+$/.exec(forward.to)?.[1]);
  }
  for (const check of cluster?.verify ?? []) {
    add(check.ping);
    add(check.tcp !== undefined ? /^\[([^\]]+)\]:\d+$/.exec(check.tcp)?.[1] : undefined);
  }
  const devices = [...node.interfaces, ...node.bridges];
  for (const route of node.routes) {
    if (!isIpv6(route.via)) continue;
    for (const device of devices)
      for (const address of device.addresses) if (onSubnet(address, route.via)) add(address.split('/')[0]);
  }
  for (const ns of node.namespaces)
    if (ns.defaultRoutes.some(isIpv6)) for (const address of ns.veth.addresses) add(address.split('/')[0]);
  return used;
}

const NONE: ReadonlySet<string> = new Set();

/** Whether the node declares any IPv6 address (none: nothing to compute, IPv4-only files pay nothing). */
function hasIpv6Address(node: ClusterNode): boolean {
  return (
    [...node.interfaces, ...node.bridges].some((device) => device.addresses.some(isIpv6)) ||
    node.namespaces.some((ns) => ns.veth.addresses.some(isIpv6))
  );
}

/** Whether an interface address (`a.b.c.d/n`, `fd00::1/64`) is on the network holding `gateway` (same family). */
export function onSubnet(address: string, gateway: string): boolean {
  const slash = address.indexOf('/');
  const a = parseRouteAddress(slash < 0 ? address : address.slice(0, slash));
  const g = parseRouteAddress(gateway);
  if (!a || !g || a.family !== g.family || slash < 0) return false;
  const bits = a.family === 4 ? 32 : 128;
  const prefix = Number(address.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return false;
  const host = BigInt(bits - prefix);
  return a.value >> host === g.value >> host;
}
