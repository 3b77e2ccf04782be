/**
 * The lab's links: a management bridge in the root namespace (holding only managementCidr), one LAN = one bridge in
 * a namespace of its own, one veth per node interface. Nodes get only connected routes: routing is the
 * provisioner's job. Every step is one batched `ip` call per namespace.
 */
import * as fs from 'fs';
import { ipNetworksOverlap, ipv6Text, parseIpNetwork } from '../model/cidr';
import { ipBatch, ipJson, LAB_PARALLEL, labCommandTimeoutMs, mapLimit } from './exec';
import { LabTopology, MGMT_INTERFACE } from './topology';

interface IpAddrInfo {
  ifname: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}
interface IpRoute {
  dst: string;
  dev?: string;
  table?: string;
  type?: string;
}

/**
 * Finds addresses and routes of the root namespace that overlap managementCidr (another lab, a VPN, the real
 * LAN), in its family: a lab there would shadow them. The default route is not a conflict; nor is `ownBridge` (the
 * lab's own).
 */
export async function rootConflicts(managementCidr: string, ownBridge?: string): Promise<string[]> {
  const parsed = parseIpNetwork(managementCidr);
  if (!parsed.ok) throw new Error(parsed.error);
  const mgmt = parsed.value;
  const family = `-${mgmt.family}`;
  const hostPrefix = mgmt.family === 4 ? 32 : 128;
  const conflicts: string[] = [];
  for (const link of await ipJson<IpAddrInfo[]>([family, 'addr', 'show'])) {
    if (link.ifname === ownBridge) continue;
    for (const info of link.addr_info ?? []) {
      const address = parseIpNetwork(`${info.local}/${info.prefixlen}`, true);
      if (address.ok && ipNetworksOverlap(address.value, mgmt))
        conflicts.push(`address ${info.local}/${info.prefixlen} on ${link.ifname}`);
    }
  }
  for (const route of await ipJson<IpRoute[]>([family, 'route', 'show', 'table', 'all'])) {
    if (
      route.dst === 'default' ||
      route.type === 'broadcast' ||
      route.type === 'local' ||
      route.type === 'multicast' ||
      (ownBridge && route.dev === ownBridge)
    )
      continue;
    const dst = route.dst.includes('/') ? route.dst : `${route.dst}/${hostPrefix}`;
    const range = parseIpNetwork(dst, true);
    if (range.ok && ipNetworksOverlap(range.value, mgmt)) {
      conflicts.push(
        `route ${route.dst}${route.dev ? ` dev ${route.dev}` : ''}${route.table ? ` table ${route.table}` : ''}`,
      );
    }
  }
  return [...new Set(conflicts)];
}

/** True when the lab's management network is IPv6 (the nodes' sshds listen on IPv6). */
function managementIsIpv6(topology: LabTopology): boolean {
  return topology.managementCidr.includes(':');
}

/** `nodad` after an IPv6 address: usable at once, without waiting out duplicate address detection (~1 s). */
function addressFlags(address: string): string {
  return address.includes(':') ? ' nodad' : '';
}

/**
 * The root-namespace sysctls of the management bridge. The machine never routes for the lab: packets arriving on
 * the bridge are not forwarded (even when the machine's ip_forward is on and a node got a route via the controller).
 * An IPv4 lab's bridge has no IPv6 at all; an IPv6 lab's bridge takes no router advertisement and makes no address
 * from one (a node must never give the machine a route), and runs no DAD (its addresses are usable at once).
 */
function bridgeSysctls(topology: LabTopology): Array<[string, string]> {
  const ipv4 = `/proc/sys/net/ipv4/conf/${topology.bridge}`;
  const ipv6 = `/proc/sys/net/ipv6/conf/${topology.bridge}`;
  if (!managementIsIpv6(topology))
    return [
      [`${ipv4}/forwarding`, '0'],
      [`${ipv6}/disable_ipv6`, '1'],
    ];
  return [
    [`${ipv4}/forwarding`, '0'],
    [`${ipv6}/accept_ra`, '0'],
    [`${ipv6}/autoconf`, '0'],
    [`${ipv6}/accept_dad`, '0'],
    [`${ipv6}/disable_ipv6`, '0'],
  ];
}

/** Creates every namespace and link of the lab. Throws on the first error (the caller then tears down). */
export async function createNetwork(topology: LabTopology): Promise<void> {
  const timeoutMs = labCommandTimeoutMs(topology.nodes.length);
  // The bridge first, bare: its sysctls are set before it has an address or a port.
  await ipBatch(
    [
      ...topology.nodes.map((node) => `netns add ${node.netns}`),
      ...topology.lans.map((lan) => `netns add ${lan.netns}`),
      `link add ${topology.bridge} type bridge`,
    ],
    { timeoutMs },
  );
  for (const [file, value] of bridgeSysctls(topology)) fs.writeFileSync(file, `${value}\n`);
  await ipBatch(
    [
      `addr add ${topology.controllerAddress}/${topology.prefix} dev ${topology.bridge}${addressFlags(topology.controllerAddress)}`,
      `link set ${topology.bridge} up`,
      ...topology.nodes.flatMap((node) => [
        `link add ${node.rootVeth} type veth peer name ${MGMT_INTERFACE} address ${node.mgmtMac} netns ${node.netns}`,
        `link set ${node.rootVeth} master ${topology.bridge} up`,
      ]),
    ],
    { timeoutMs },
  );
  // Each LAN's bridge and the veths cabled to it, created with their peer directly inside the node.
  await Promise.all(
    topology.lans.map((lan) =>
      ipBatch(
        [
          'link set lo up',
          'link add br0 type bridge',
          'link set br0 up',
          ...topology.nodes.flatMap((node) => lanCables(node, lan.name)),
        ],
        { netns: lan.netns, timeoutMs },
      ),
    ),
  );
  await mapLimit(topology.nodes, LAB_PARALLEL, (node) =>
    ipBatch(nodeLinks(topology, node), { netns: node.netns, timeoutMs }),
  );
}

type TopologyNode = LabTopology['nodes'][number];

/** The veths of one node on one LAN, created from the LAN's namespace with their peer directly inside the node. */
function lanCables(node: TopologyNode, lan: string): string[] {
  return node.ports
    .filter((port) => port.lan === lan)
    .flatMap((port) => [
      `link add ${port.lanSide} type veth peer name ${port.name} address ${port.mac} netns ${node.netns}`,
      `link set ${port.lanSide} master br0 up`,
    ]);
}

/**
 * The link-local address the kernel would give an interface of this MAC (modified EUI-64: the U/L bit flipped,
 * ff:fe in the middle), e.g. 02:aa:bb:cc:dd:ee → fe80::aa:bbff:fecc:ddee.
 */
export function linkLocalOf(mac: string): string {
  const bytes = mac.split(':').map((b) => Number.parseInt(b, 16));
  const eui = [bytes[0] ^ 0x02, bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]];
  const interfaceId = eui.reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
  return ipv6Text((0xfe80n << 112n) | interfaceId);
}

/**
 * An interface of the lab's own cabling that speaks IPv6 gets its link-local address from the lab, without DAD, as
 * a machine up for a while has it: the kernel's own would stay tentative for a second or two after `lab up`, and a
 * router sends no neighbour solicitation for a forwarded packet until its link-local address is usable. The address
 * is the one the kernel would make (EUI-64 of the fixed MAC). IPv4-only interfaces are left as they are.
 */
function linkLocalLines(name: string, mac: string): string[] {
  return [`link set ${name} addrgenmode none`, `addr add ${linkLocalOf(mac)}/64 dev ${name} nodad`];
}

/**
 * Inside a node: lo, the management address, the lab-given addresses and MTUs of its LAN interfaces. A node whose
 * network manager the lab runs gets its LAN addresses from that manager, as an installed server would.
 */
function nodeLinks(topology: LabTopology, node: TopologyNode): string[] {
  return [
    'link set lo up',
    ...(managementIsIpv6(topology) ? linkLocalLines(MGMT_INTERFACE, node.mgmtMac) : []),
    `addr add ${node.address}/${topology.prefix} dev ${MGMT_INTERFACE}${addressFlags(node.address)}`,
    `link set ${MGMT_INTERFACE} up`,
    ...node.ports.flatMap((port) => [
      ...(node.networkManager
        ? []
        : [
            ...(port.addresses.some((address) => address.includes(':')) ? linkLocalLines(port.name, port.mac) : []),
            ...port.addresses.map((address) => `addr add ${address} dev ${port.name}${addressFlags(address)}`),
          ]),
      `link set ${port.name}${port.mtu ? ` mtu ${port.mtu}` : ''} up`,
    ]),
  ];
}

/**
 * Replaces one node's network namespace by a fresh one with the same cabling (management veth, LAN veths, the
 * lab-given addresses): what a reboot leaves of a machine's network before its own boot scripts run.
 */
export async function recreateNodeNetwork(topology: LabTopology, node: TopologyNode): Promise<void> {
  await ipBatch([`netns del ${node.netns}`], { force: true });
  // Deleting the namespace destroys its veth pairs asynchronously: wait (bounded) until their outer ends are gone.
  const deadline = Date.now() + 5000;
  const outerEnds = async () => {
    const root = (await ipJson<Array<{ ifname: string }>>(['link', 'show'])).some((l) => l.ifname === node.rootVeth);
    const lans = await Promise.all(
      [...new Set(node.ports.map((p) => p.lan))].map(async (lan) => {
        const netns = topology.lans.find((l) => l.name === lan)!.netns;
        const listed = await ipJson<Array<{ ifname: string }>>(['-n', netns, 'link', 'show']);
        return node.ports.some((p) => p.lan === lan && listed.some((l) => l.ifname === p.lanSide));
      }),
    );
    return root || lans.some(Boolean);
  };
  while (await outerEnds()) {
    if (Date.now() > deadline)
      throw new Error(`the veths of ${node.netns} did not go away after its namespace was deleted`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await ipBatch([
    `netns add ${node.netns}`,
    `link add ${node.rootVeth} type veth peer name ${MGMT_INTERFACE} address ${node.mgmtMac} netns ${node.netns}`,
    `link set ${node.rootVeth} master ${topology.bridge} up`,
  ]);
  await Promise.all(
    topology.lans.map((lan) => {
      const cables = lanCables(node, lan.name);
      return cables.length > 0 ? ipBatch(cables, { netns: lan.netns }) : Promise.resolve();
    }),
  );
  await ipBatch(nodeLinks(topology, node), { netns: node.netns });
}

/** Namespaces of the topology that exist now. */
export async function existingNamespaces(topology: LabTopology): Promise<string[]> {
  const listed = new Set((await ipJson<Array<{ name: string }>>(['netns', 'list'])).map((ns) => ns.name));
  return [...topology.nodes.map((n) => n.netns), ...topology.lans.map((l) => l.netns)].filter((name) =>
    listed.has(name),
  );
}

/** Root-namespace links of the topology that exist now. */
export async function existingRootLinks(topology: LabTopology): Promise<string[]> {
  const listed = new Set((await ipJson<Array<{ ifname: string }>>(['link', 'show'])).map((link) => link.ifname));
  return [topology.bridge, ...topology.nodes.map((n) => n.rootVeth)].filter((name) => listed.has(name));
}

/**
 * Deletes the lab's root links and namespaces, by their recorded names (only those that still exist). Deleting a
 * node's namespace destroys its veth pair, batched by the kernel; root veth ends still there after a bounded wait
 * are deleted one by one.
 */
export async function deleteNetwork(topology: LabTopology): Promise<void> {
  const links = await existingRootLinks(topology);
  const namespaces = await existingNamespaces(topology);
  await ipBatch(
    [
      ...links.filter((link) => link === topology.bridge).map((link) => `link del ${link}`),
      ...namespaces.map((ns) => `netns del ${ns}`),
    ],
    { force: true, timeoutMs: labCommandTimeoutMs(topology.nodes.length) },
  );
  const deadline = Date.now() + 3000;
  let left = await existingRootLinks(topology);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await existingRootLinks(topology);
  }
  await ipBatch(
    left.map((link) => `link del ${link}`),
    { force: true },
  );
}
