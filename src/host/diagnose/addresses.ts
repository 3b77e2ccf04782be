/**
 * addresses: a node address inside the pod or service CIDR (per node); an address on an interface the file declares
 * that the file does not list and netstrap did not add (per node: netstrap leaves it, the user should know); the same address on two nodes, and an MTU
 * that differs between the interfaces cabled to one LAN (across nodes: top-level findings naming the nodes).
 * Interfaces whose addresses legitimately come from those ranges are left out: bridges inside podCidr (pod
 * gateways: the CNI bridge, a hand-made pod bridge), kube-ipvs0 (every Service IP, on every node in ipvs mode) and the overlays of CNI plugins.
 */
import { rangeContains, rangesOverlap } from '../../model/cidr';
import { isLinkLocal } from '../resources/ip-facts';
import { removeCommand, undeclaredAddresses } from '../resources/links';
import { effectiveNode } from '../../model/effective';
import { nodeAddresses } from './net';
import { fail, ok, RUN_BOOTSTRAP, warn, type ClusterCheck, type Finding, type NodeCheck, type NodeRead } from './types';

/** Interfaces that carry cluster (pod / service) addresses by design. */
const CLUSTER_INTERFACES =
  /^(lo|kube-ipvs0|nodelocaldns|weave|datapath|vxlan.*|flannel.*|cali.*|cilium.*|tunl0|kube-bridge|vethwe.*)$/;
/** Addresses that are the same on every machine by design. */
const SHARED = /^(127\.|169\.254\.)/;

function where(read: NodeRead, dev: string, cidr: string): { declared: boolean; path: string } {
  const k = read.node.interfaces.findIndex((i) => i.name === dev);
  const b = read.node.bridges.findIndex((x) => x.name === dev);
  if (k >= 0)
    return {
      declared: read.node.interfaces[k].addresses.includes(cidr),
      path: `nodes[${read.index}].interfaces[${k}].addresses`,
    };
  if (b >= 0)
    return {
      declared: read.node.bridges[b].addresses.includes(cidr),
      path: `nodes[${read.index}].bridges[${b}].addresses`,
    };
  return { declared: false, path: `nodes[${read.index}]` };
}

export const addressChecks: NodeCheck = ({ model, self }): Finding[] => {
  const cniBridge = model.cluster.cni.bridge?.name ?? 'cni0';
  const ranges = [
    ['podCidr', model.layout.podCidr],
    ['serviceCidr', model.layout.serviceCidr],
  ] as const;
  const findings: Finding[] = [];
  const bridges = new Set(self.view.ip.links.filter((l) => l.linkinfo?.info_kind === 'bridge').map((l) => l.ifname));
  for (const address of nodeAddresses(self.view.ip)) {
    if (address.dev === cniBridge || CLUSTER_INTERFACES.test(address.dev)) continue;
    for (const [name, range] of ranges) {
      // A bridge addressed from podCidr is a pod gateway (cni0 by another name, or a hand-made pod bridge).
      if (name === 'podCidr' && bridges.has(address.dev)) continue;
      if (!rangeContains(range, address.address) && !rangesOverlap(range, address.network)) continue;
      const place = where(self, address.dev, address.cidr);
      findings.push(
        fail(
          'addresses.in-cluster-cidr',
          `${self.node.name}: address ${address.cidr} on ${address.dev} overlaps ${name} ${range.toCidrString()}: traffic to it would be taken for pod or Service traffic`,
          place.declared
            ? `change ${place.path} or network.${name} so that node, pod and service ranges are disjoint`
            : `remove it (not in the cluster file): \`ip addr del ${address.cidr} dev ${address.dev}\` on ${self.node.name}, or change network.${name}`,
          { observed: `${address.cidr} on ${address.dev}`, expected: `outside ${range.toCidrString()}` },
        ),
      );
    }
  }
  if (findings.length === 0) {
    findings.push(
      ok(
        'addresses.in-cluster-cidr',
        `${self.node.name}: no node address inside podCidr ${model.layout.podCidr.toCidrString()} or serviceCidr ${model.layout.serviceCidr.toCidrString()}`,
      ),
    );
  }
  return findings;
};

/**
 * addresses.undeclared: what netstrap will not touch on an interface it manages (the same list as plan's warning,
 * links.ts undeclaredAddresses). A record netstrap cannot read is the drift check's finding, not this one's.
 */
export const undeclaredAddressCheck: NodeCheck = ({ model, self }): Finding[] => {
  let found: ReturnType<typeof undeclaredAddresses>;
  try {
    found = undeclaredAddresses(effectiveNode(model.cluster, self.node), self.facts, model.cluster);
  } catch {
    return [];
  }
  if (found.length === 0)
    return [
      ok(
        'addresses.undeclared',
        `${self.node.name}: every address on a declared interface is declared or netstrap's own`,
      ),
    ];
  return found.map(({ dev, address, path }) =>
    warn(
      'addresses.undeclared',
      `${self.node.name}: ${dev} has address ${address}, which the cluster file does not declare (${path}) and ` +
        'netstrap did not add: netstrap leaves it in place',
      `if it is stale, remove it: \`${removeCommand(address, dev)}\` on ${self.node.name}; else declare it in ${path}`,
      { observed: `${address} on ${dev}`, expected: 'only the declared addresses' },
    ),
  );
};

/** A node's global IPv6 addresses (link-local ones are per link by design), as `ip -j addr` prints them. */
function ipv6Addresses(read: NodeRead): Array<{ dev: string; cidr: string; address: string }> {
  return read.view.ip.addrs.flatMap((entry) =>
    (entry.addr_info ?? [])
      .filter((a) => a.family === 'inet6' && !isLinkLocal(a.local) && a.local !== '::1')
      .map((a) => ({ dev: entry.ifname, cidr: `${a.local}/${a.prefixlen}`, address: a.local })),
  );
}

export const duplicateAddressCheck: ClusterCheck = (_model, all): Finding[] => {
  const holders = new Map<string, Array<{ read: NodeRead; dev: string; cidr: string }>>();
  for (const read of all) {
    for (const address of nodeAddresses(read.view.ip)) {
      if (CLUSTER_INTERFACES.test(address.dev) || SHARED.test(address.address.toString())) continue;
      const key = address.address.toString();
      holders.set(key, [...(holders.get(key) ?? []), { read, dev: address.dev, cidr: address.cidr }]);
    }
    // IPv6 too (issue 21): an address added without DAD (nodad) is not caught by the kernel on a duplicate.
    for (const address of ipv6Addresses(read)) {
      if (CLUSTER_INTERFACES.test(address.dev)) continue;
      holders.set(address.address, [
        ...(holders.get(address.address) ?? []),
        { read, dev: address.dev, cidr: address.cidr },
      ]);
    }
  }
  const findings: Finding[] = [];
  for (const [address, list] of holders) {
    const nodes = [...new Set(list.map((h) => h.read.node.name))];
    if (nodes.length < 2) continue;
    const placed = list.map((h) => ({ ...h, place: where(h.read, h.dev, h.cidr) }));
    const foreign = placed.filter((h) => !h.place.declared);
    const fix =
      foreign.length > 0 && foreign.length < placed.length
        ? foreign
            .map(
              (h) =>
                `remove it from ${h.read.node.name} (not in the cluster file): \`ip addr del ${h.cidr} dev ${h.dev}\``,
            )
            .join('; ')
        : `give each node its own address (${placed.map((h) => h.place.path).join(', ')}) and ${RUN_BOOTSTRAP}`;
    findings.push(
      fail(
        'addresses.duplicate',
        `address ${address} is on ${placed.length} nodes: ${placed.map((h) => `${h.read.node.name} ${h.dev}${h.place.declared ? '' : ' (not in the cluster file)'}`).join(', ')}: ` +
          (address.includes(':')
            ? 'neighbour discovery answers from both, and traffic goes to whichever answered last'
            : 'ARP answers from both, and traffic goes to whichever answered last'),
        fix,
        { nodes, observed: placed.map((h) => `${h.read.node.name}:${h.dev}`).join(', '), expected: 'one node' },
      ),
    );
  }
  if (findings.length === 0)
    findings.push(
      ok('addresses.duplicate', `no address is held by two nodes (${all.length} nodes read)`, {
        nodes: all.map((r) => r.node.name),
      }),
    );
  return findings;
};

export const mtuCheck: ClusterCheck = (model, all): Finding[] => {
  const findings: Finding[] = [];
  for (const lan of model.cluster.lans) {
    const ports = all.flatMap((read) =>
      read.node.interfaces.flatMap((iface, k) => {
        if (iface.lan !== lan.name) return [];
        const mtu = read.view.ip.links.find((l) => l.ifname === iface.name)?.mtu;
        return mtu === undefined ? [] : [{ read, iface, k, mtu }];
      }),
    );
    if (ports.length < 2) continue;
    const nodes = [...new Set(ports.map((p) => p.read.node.name))];
    const seen = [...new Set(ports.map((p) => p.mtu))];
    if (seen.length === 1) {
      findings.push(
        ok('addresses.mtu', `LAN ${lan.name}: every interface has MTU ${seen[0]} (${ports.length} interfaces)`, {
          nodes,
        }),
      );
      continue;
    }
    // Expected: what the cluster file declares for this LAN, else what most interfaces have.
    const declared = [...new Set(ports.flatMap((p) => (p.iface.mtu !== undefined ? [p.iface.mtu] : [])))];
    const counts = new Map<number, number>();
    for (const p of ports) counts.set(p.mtu, (counts.get(p.mtu) ?? 0) + 1);
    const expected = declared.length === 1 ? declared[0] : [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0][0];
    const odd = ports.filter((p) => p.mtu !== expected);
    const fix = odd
      .map((p) =>
        p.iface.mtu === expected
          ? `${p.read.node.name} ${p.iface.name}: ${RUN_BOOTSTRAP} (nodes[${p.read.index}].interfaces[${p.k}].mtu is ${expected})`
          : `${p.read.node.name} ${p.iface.name}: set nodes[${p.read.index}].interfaces[${p.k}].mtu: ${expected} and ${RUN_BOOTSTRAP}`,
      )
      .join('; ');
    findings.push(
      fail(
        'addresses.mtu',
        `LAN ${lan.name}: MTUs differ: ${ports.map((p) => `${p.read.node.name} ${p.iface.name} ${p.mtu}`).join(', ')}; expected ${expected} ` +
          `${declared.length === 1 ? '(declared)' : '(most interfaces)'}: larger packets are dropped between ${odd.map((p) => p.read.node.name).join(', ')} and the rest`,
        fix,
        {
          nodes,
          observed: odd.map((p) => `${p.read.node.name}:${p.iface.name}=${p.mtu}`).join(', '),
          expected: String(expected),
        },
      ),
    );
  }
  return findings;
};
