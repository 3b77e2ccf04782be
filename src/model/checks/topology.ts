/**
 * The nodes/LANs part of a cluster file, checked for any use of it (synth, plan, bootstrap, lab): pure, in
 * cluster-file coordinates. The lab adds its own checks on top (src/lab/topology.ts labIssues).
 */
import type { IPv4CidrRange } from 'ip-num';
import {
  ipNetworkContains,
  ipNetworkPrefix,
  ipNetworksOverlap,
  ipNetworkText,
  type ListedRange,
  parseInterfaceAddress,
  parseNetwork,
  parseNodeInterfaceAddress,
  parseNodeNetwork,
  parseRangeList,
  rangeContains,
  rangesOverlap,
} from '../cidr';
import { Issue, show } from '../errors';
import { Cluster } from '../schema';

/**
 * Checks of nodes and LANs that hold for any cluster file (lab or not): unique node names, unique LAN names and
 * non-overlapping LAN CIDRs, interfaces cabled to LANs that exist, addresses inside their LAN, no address used
 * twice, a valid lab.managementCidr. Paths are from the root of the cluster file.
 */
export function topologyIssues(cluster: Cluster): Issue[] {
  const issues: Issue[] = [];
  const { lans, lans6 } = lanIssues(cluster, issues);

  const names = new Map<string, number>();
  const addresses = new Map<string, string>();
  const claim = (address: string, owner: string, at: Array<string | number>): void => {
    const previous = addresses.get(address);
    if (previous) issues.push({ path: at, message: `address ${address} is already used by ${previous}` });
    else addresses.set(address, owner);
  };
  cluster.nodes.forEach((node, n) => {
    const first = names.get(node.name);
    if (first !== undefined)
      issues.push({
        path: ['nodes', n, 'name'],
        message: `duplicate node name ${show(node.name)} (also nodes[${first}])`,
      });
    else names.set(node.name, n);

    const ifnames = new Set<string>();
    node.interfaces.forEach((iface, k) => {
      const at = ['nodes', n, 'interfaces', k];
      if (ifnames.has(iface.name))
        issues.push({
          path: [...at, 'name'],
          message: `duplicate interface name ${show(iface.name)} on node ${show(node.name)}`,
        });
      ifnames.add(iface.name);
      const lan = iface.lan === undefined ? undefined : lans.get(iface.lan);
      if (iface.lan !== undefined && !cluster.lans.some((l) => l.name === iface.lan)) {
        const known = [...new Set(cluster.lans.map((l) => l.name))].join(', ') || 'none';
        issues.push({ path: [...at, 'lan'], message: `unknown LAN ${show(iface.lan)} (lans: ${known})` });
      }
      iface.addresses.forEach((text, a) => {
        const parsed = parseNodeInterfaceAddress(text);
        if (!parsed.ok) {
          issues.push({ path: [...at, 'addresses', a], message: parsed.error });
          return;
        }
        if (parsed.value.family === 6) {
          // The LAN's IPv6 range, when it has one: the address must be one of it, with its prefix.
          const lan6 = iface.lan === undefined ? undefined : lans6.get(iface.lan);
          const known = iface.lan !== undefined && lans.has(iface.lan);
          if (known && !lan6) {
            issues.push({
              path: [...at, 'addresses', a],
              message: `${show(text)} is IPv6 but LAN ${show(iface.lan)} has no IPv6 range (lans[].cidr: add one, e.g. [${lans.get(iface.lan!)!.toCidrString()}, fd00:1::/64])`,
            });
          } else if (
            lan6 &&
            !(
              ipNetworkContains(lan6.network, parsed.value.address) && ipNetworkText(parsed.value.network) === lan6.text
            )
          ) {
            issues.push({
              path: [...at, 'addresses', a],
              message: `${show(text)} is not an address of LAN ${show(iface.lan)} ${lan6.text}`,
            });
          }
          claim(parsed.value.text, `node ${show(node.name)} ${iface.name}`, [...at, 'addresses', a]);
          return;
        }
        const v4 = parseInterfaceAddress(text);
        if (!v4.ok) return;
        if (lan && !(rangeContains(lan, v4.value.address) && v4.value.network.isEquals(lan))) {
          issues.push({
            path: [...at, 'addresses', a],
            message: `${show(text)} is not an address of LAN ${show(iface.lan)} ${lan.toCidrString()}`,
          });
        } else if (lan && (v4.value.address.isEquals(lan.getFirst()) || v4.value.address.isEquals(lan.getLast()))) {
          issues.push({
            path: [...at, 'addresses', a],
            message: `${show(text)} is the network or broadcast address of LAN ${show(iface.lan)}`,
          });
        }
        claim(v4.value.address.toString(), `node ${show(node.name)} ${iface.name}`, [...at, 'addresses', a]);
      });
    });
  });

  const mgmt = parseNodeNetwork(cluster.lab.managementCidr);
  if (!mgmt.ok) issues.push({ path: ['lab', 'managementCidr'], message: mgmt.error });
  else if (mgmt.value.family === 6) {
    // Inside fd00::/8 is a lab-time check (src/lab/topology.ts): any other command takes any range.
    if (ipNetworkPrefix(mgmt.value) > 126) {
      issues.push({
        path: ['lab', 'managementCidr'],
        message: `${show(cluster.lab.managementCidr)} is too small: a lab needs at least a /126`,
      });
    }
  } else if (mgmt.value.value.getPrefix().getValue() > 30) {
    issues.push({
      path: ['lab', 'managementCidr'],
      message: `${show(cluster.lab.managementCidr)} is too small: a lab needs at least a /30`,
    });
  }
  return issues;
}

/** LAN names unique, each LAN's ranges valid and overlapping no other LAN's (per family): the LANs by name. */
function lanIssues(
  cluster: Cluster,
  issues: Issue[],
): { lans: Map<string, IPv4CidrRange>; lans6: Map<string, ListedRange> } {
  const lans = new Map<string, IPv4CidrRange>();
  const lans6 = new Map<string, ListedRange>();
  cluster.lans.forEach((lan, i) => {
    if (lans.has(lan.name) || cluster.lans.findIndex((l) => l.name === lan.name) !== i) {
      issues.push({ path: ['lans', i, 'name'], message: `duplicate LAN name ${show(lan.name)}` });
      return;
    }
    const ranges = parseRangeList(lan.cidrs);
    if (!ranges.ok) {
      issues.push({ path: ['lans', i, 'cidr'], message: ranges.error });
      return;
    }
    if (ranges.value[0].family === 6) {
      issues.push({
        path: ['lans', i, 'cidr'],
        message: `${show(lan.cidrs.join(','))} starts with an IPv6 range: a LAN needs its IPv4 range first (IPv6-only LANs are not supported yet)`,
      });
      return;
    }
    const v6 = ranges.value.find((r) => r.family === 6);
    if (v6) {
      for (const [other, range] of lans6)
        if (ipNetworksOverlap(range.network, v6.network))
          issues.push({
            path: ['lans', i, 'cidr'],
            message: `${show(v6.text)} overlaps LAN ${show(other)} ${range.text}`,
          });
      lans6.set(lan.name, v6);
    }
    const parsed = parseNetwork(lan.cidr);
    if (!parsed.ok) {
      issues.push({ path: ['lans', i, 'cidr'], message: parsed.error });
      return;
    }
    for (const [other, range] of lans) {
      if (rangesOverlap(range, parsed.value)) {
        issues.push({
          path: ['lans', i, 'cidr'],
          message: `${show(lan.cidr)} overlaps LAN ${show(other)} ${range.toCidrString()}`,
        });
      }
    }
    lans.set(lan.name, parsed.value);
  });
  return { lans, lans6 };
}
