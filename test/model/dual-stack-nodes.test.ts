/**
 * Dual-stack on the node side (issue 21, the model): interface, bridge and namespace addresses, routes (`default` per
 * family), hosts, resolv, NAT, ssh, verify, lab.managementCidr and pinned pod subnets take IPv6; what reaches the
 * host side is canonical (RFC 5952); zone ids (but a link-local nameserver's), IPv4-mapped forms, host bits and
 * prefixes past /128 are refused naming file, field and value; topology checks hold per family.
 */
import { parseClusterText } from '../../src/model/load';
import { podSubnets } from '../../src/model/pod-subnets';
import { trace, traceCluster } from '../../src/model/trace';
import type { Cluster } from '../../src/model/schema';
import { thrown } from '../support/errors';
import { checkedLine } from '../support/lines';

const load = (text: string): Cluster => parseClusterText(text, 'c.yaml').cluster;
/** The error lines, each checked to carry the line of its field (issue 24), shown as `c.yaml: path: message`. */
const problems = (text: string): string[] =>
  thrown(() => parseClusterText(text, 'c.yaml'))
    .lines()
    .map(checkedLine('c.yaml', text));

/** Two dual-stack LANs and a router; `node` is the YAML of one more node, `extra` more top-level keys. */
const cluster = (node: string, extra = '') => `name: c
network: { podCidr: [10.244.0.0/16, fd00:10:244::/56], serviceCidr: [10.96.0.0/12, fd00:10:96::/108] }
cni: { plugin: bridge }
lans:
  - { name: lan1, cidr: [192.168.1.0/24, "fd00:1::/64"] }
  - { name: lan2, cidr: [192.168.2.0/24, "fd00:2::/64"] }
nodes:
  - name: r1
    role: host
    ssh: { host: 10.250.0.1 }
    sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 }
    interfaces:
      - { name: eth1, lan: lan1, addresses: [192.168.1.1/24, "fd00:1::1/64"] }
      - { name: eth2, lan: lan2, addresses: [192.168.2.1/24, "fd00:2::1/64"] }
${node}${extra}`;

const N1 = `  - name: n1
    ssh: { host: "FD00:250:1:0::11" }
    interfaces:
      - { name: eth1, lan: lan1, addresses: [192.168.1.11/24, "FD00:1:0:0::11/64"] }
`;

describe('node-side IPv6 in canonical form', () => {
  const text = cluster(
    `${N1}    sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 }
    routes:
      - { to: default, via: "FD00:1::1" }
      - { to: default, via: 192.168.1.1 }
      - { to: "FD00:0002:0000::/64", via: "fd00:1:0::1", metric: 5 }
    bridges:
      - { name: br0, addresses: [10.0.0.1/24, "FD00:AB::1/64"] }
    namespaces:
      - name: blue
        veth: { hostSide: veth-blue, bridge: br0, address: [10.0.0.2/24, "fd00:ab:0::2/64"] }
        defaultRoute: [10.0.0.1, "FD00:AB::1"]
    nat:
      masquerade: [{ source: "FD00:AB::/64", exceptDestination: "FD00:10:244::/56" }]
      portForwards: [{ protocol: tcp, port: 8080, to: "[FD00:AB::2]:80" }]
    hosts: [{ ip: "FD00:1::1", names: [router] }]
    resolv: { nameservers: ["FE80::1%eth1", "2001:DB8::53", 192.168.1.1] }
`,
  );

  test('every address, network and gateway reaches the host side in RFC 5952 text', () => {
    const n1 = load(text).nodes[1];
    expect(n1.ssh.host).toBe('fd00:250:1::11');
    expect(n1.interfaces[0].addresses).toEqual(['192.168.1.11/24', 'fd00:1::11/64']);
    expect(n1.routes.map((r) => [r.to, r.via])).toEqual([
      ['default', 'fd00:1::1'],
      ['default', '192.168.1.1'],
      ['fd00:2::/64', 'fd00:1::1'],
    ]);
    expect(n1.bridges[0].addresses).toEqual(['10.0.0.1/24', 'fd00:ab::1/64']);
    const ns = n1.namespaces[0];
    expect([ns.veth.address, ns.veth.addresses]).toEqual(['10.0.0.2/24', ['10.0.0.2/24', 'fd00:ab::2/64']]);
    expect([ns.defaultRoute, ns.defaultRoutes]).toEqual(['10.0.0.1', ['10.0.0.1', 'fd00:ab::1']]);
    expect(n1.nat.masquerade[0]).toEqual({ source: 'fd00:ab::/64', exceptDestination: 'fd00:10:244::/56' });
    expect(n1.nat.portForwards[0].to).toBe('[fd00:ab::2]:80');
    expect(n1.hosts[0].ip).toBe('fd00:1::1');
    expect(n1.resolv?.nameservers).toEqual(['fe80::1%eth1', '2001:db8::53', '192.168.1.1']);
  });

  test('a single veth address and default route keep their one-value form, with the lists beside them', () => {
    const ns = load(
      cluster(`${N1}    bridges: [{ name: br0, addresses: ["fd00:ab::1/64"] }]
    namespaces:
      - { name: blue, veth: { hostSide: veth-blue, bridge: br0, address: "fd00:ab::2/64" }, defaultRoute: "fd00:ab::1" }
`),
    ).nodes[1].namespaces[0];
    expect([ns.veth.address, ns.veth.addresses, ns.defaultRoute, ns.defaultRoutes]).toEqual([
      'fd00:ab::2/64',
      ['fd00:ab::2/64'],
      'fd00:ab::1',
      ['fd00:ab::1'],
    ]);
  });

  test('ssh.jumpHost takes a bracketed IPv6 address (canonical), lab.managementCidr an fd00::/8 range', () => {
    const c = load(
      cluster(
        N1.replace(
          'ssh: { host: "FD00:250:1:0::11" }',
          'ssh: { host: "fd00:250:1::11", jumpHost: "admin@[FD00::1]:22" }',
        ),
        'lab: { managementCidr: "fd00:250:225::/64" }\n',
      ),
    );
    expect(c.nodes[1].ssh.jumpHost).toBe('admin@[fd00::1]:22');
    expect(c.lab.managementCidr).toBe('fd00:250:225::/64');
  });

  test('pinned pod subnets per family: the allocator skips the pinned IPv6 slice as it skips IPv4 ones', () => {
    const c = load(
      cluster(`${N1}  - { name: n2, ssh: { host: 10.250.0.3 }, podSubnet: [10.244.0.0/24, "fd00:10:244::/64"] }
  - { name: n3, ssh: { host: 10.250.0.4 } }
`),
    );
    expect([...podSubnets(c).byNode.values()].map((s) => [s.node, s.cidr, s.ipv6, s.source])).toEqual([
      ['n1', '10.244.1.0/24', 'fd00:10:244:1::/64', 'allocated'],
      ['n2', '10.244.0.0/24', 'fd00:10:244::/64', 'podSubnet'],
      ['n3', '10.244.2.0/24', 'fd00:10:244:2::/64', 'allocated'],
    ]);
  });
});

describe('node-side IPv6 refused, naming file, field and value', () => {
  const iface = (address: string) =>
    cluster(`  - name: n1
    ssh: { host: 10.250.0.11 }
    interfaces: [{ name: eth1, lan: lan1, addresses: [192.168.1.11/24, "${address}"] }]
`);
  test.each([
    [
      'a zone id',
      'fe80::1%eth1/64',
      'invalid interface address "fe80::1%eth1/64": a zone id (%name) is accepted only on a link-local nameserver',
    ],
    [
      'an IPv4-mapped address',
      '::ffff:192.168.1.11/64',
      'invalid interface address "::ffff:192.168.1.11/64": IPv4-mapped',
    ],
    ['an IPv4-mapped address in hex', '::ffff:c0a8:10b/120', 'an IPv4-mapped address (::ffff:0:0/96) is not accepted'],
    ['a prefix past /128', 'fd00:1::11/129', 'prefix length 129 is out of range 0-128'],
    ['a leading-zero prefix', 'fd00:1::11/064', 'prefix length 064 has a leading zero'],
    ['a five-digit group', 'fd00:1::00011/64', 'hexadecimal groups of at most four digits'],
    ['an address outside the LAN', 'fd00:9::11/64', '"fd00:9::11/64" is not an address of LAN "lan1" fd00:1::/64'],
    ['another prefix than the LAN', 'fd00:1::11/48', 'is not an address of LAN "lan1" fd00:1::/64'],
  ])('%s', (_what, address, message) => {
    const lines = problems(iface(address));
    expect(lines).toEqual([expect.stringContaining(`c.yaml: nodes[1].interfaces[0].addresses[1]: `)]);
    expect(lines[0]).toContain(message);
  });

  test('an IPv6 address on a LAN without an IPv6 range', () => {
    const text = cluster(`  - name: n1
    ssh: { host: 10.250.0.11 }
    interfaces: [{ name: eth1, lan: lan3, addresses: [192.168.3.11/24, "fd00:3::11/64"] }]
`).replace('nodes:', '  - { name: lan3, cidr: 192.168.3.0/24 }\nnodes:');
    expect(problems(text)).toEqual([
      'c.yaml: nodes[1].interfaces[0].addresses[1]: "fd00:3::11/64" is IPv6 but LAN "lan3" has no IPv6 range (lans[].cidr: add one, e.g. [192.168.3.0/24, fd00:1::/64])',
    ]);
  });

  test('one IPv6 address twice (two spellings) is a clash, as for IPv4', () => {
    const text = cluster(`  - name: n1
    ssh: { host: 10.250.0.11 }
    interfaces: [{ name: eth1, lan: lan1, addresses: ["FD00:1::1/64"] }]
`);
    expect(problems(text)).toEqual([
      'c.yaml: nodes[1].interfaces[0].addresses[0]: address fd00:1::1 is already used by node "r1" eth1',
    ]);
  });

  const n1 = (rest: string) =>
    cluster(`  - name: n1
    ssh: { host: 10.250.0.11 }
    sysctls: { net.ipv4.ip_forward: 1 }
    interfaces: [{ name: eth1, lan: lan1, addresses: [192.168.1.11/24, "fd00:1::11/64"] }]
${rest}`);
  test.each([
    [
      'a route whose to and via are of two families',
      '    routes: [{ to: "fd00:2::/64", via: 192.168.1.1 }]\n',
      'c.yaml: nodes[1].routes[0].via: gateway "192.168.1.1" is IPv4 but the destination "fd00:2::/64" is IPv6: a route\'s to and via are one family',
    ],
    [
      'host bits in an IPv6 destination',
      '    routes: [{ to: "fd00:2::1/64", via: "fd00:1::1" }]\n',
      'c.yaml: nodes[1].routes[0].to: invalid IPv6 CIDR "fd00:2::1/64": host bits are set; the network is fd00:2::/64 (or "default")',
    ],
    [
      'an IPv6 gateway on no IPv6 network of the node',
      '    routes: [{ to: default, via: "fd00:2::1" }]\n',
      'c.yaml: nodes[1].routes[0].via: gateway "fd00:2::1" is not on an IPv6 network of node "n1" (eth1 fd00:1::/64)',
    ],
    [
      'two IPv6 default routes',
      '    routes: [{ to: default, via: "fd00:1::1" }, { to: "::/0", via: "fd00:1::1" }]\n',
      'c.yaml: nodes[1].routes[1]: duplicate route to "::/0" with metric 0 (same destination as "default"; give a different metric for a failover route)',
    ],
    [
      'a zone id in a gateway',
      '    routes: [{ to: default, via: "fe80::1%eth1" }]\n',
      'c.yaml: nodes[1].routes[0].via: invalid IPv6 address "fe80::1%eth1": a zone id (%name) is accepted only on a link-local nameserver (resolv.nameservers)',
    ],
    [
      'a masquerade of two families',
      '    sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 }\n    nat: { masquerade: [{ source: "fd00:ab::/64", exceptDestination: 10.244.0.0/16 }] }\n',
      'c.yaml: nodes[1].nat.masquerade[0].exceptDestination: "10.244.0.0/16" is IPv4 but source "fd00:ab::/64" is IPv6: a MASQUERADE rule is of one family (iptables or ip6tables)',
    ],
    [
      'IPv6 NAT without IPv6 forwarding',
      '    nat: { masquerade: [{ source: "fd00:ab::/64" }] }\n',
      'c.yaml: nodes[1].nat: IPv6 NAT forwards packets between interfaces, so node "n1" needs sysctls: { net.ipv6.conf.all.forwarding: 1 }',
    ],
    [
      'an IPv6 DNAT target without brackets',
      '    nat: { portForwards: [{ protocol: tcp, port: 80, to: "fd00:1::5:80" }] }\n',
      'c.yaml: nodes[1].nat.portForwards[0].to: must be ip:port with an IPv4 address, or [ip]:port with an IPv6 address, and a port 1-65535, e.g. 10.10.0.3:80 or [fd00::3]:80 (got "fd00:1::5:80")',
    ],
    [
      'a zone id on a nameserver that is not link-local',
      '    resolv: { nameservers: ["fd00::53%eth1"] }\n',
      'c.yaml: nodes[1].resolv.nameservers[0]: invalid nameserver "fd00::53%eth1": a zone id (%eth1) belongs only to a link-local IPv6 address (fe80::/10)',
    ],
    [
      'an IPv4-mapped hosts entry',
      '    hosts: [{ ip: "::ffff:10.0.0.1", names: [x] }]\n',
      'c.yaml: nodes[1].hosts[0].ip: invalid IPv6 address "::ffff:10.0.0.1": IPv4-mapped or embedded forms such as ::ffff:10.0.0.1 are not accepted: write the IPv4 address itself',
    ],
  ])('%s', (_what, rest, line) => {
    const text = n1(rest).replace(
      '    sysctls: { net.ipv4.ip_forward: 1 }\n',
      rest.includes('sysctls') ? '' : '    sysctls: { net.ipv4.ip_forward: 1 }\n',
    );
    expect(problems(text)).toEqual([line]);
  });

  test('a namespace gateway of a family the namespace has no address of', () => {
    const text = n1(`    bridges: [{ name: br0, addresses: [10.0.0.1/24, "fd00:ab::1/64"] }]
    namespaces:
      - { name: blue, veth: { hostSide: veth-blue, bridge: br0, address: 10.0.0.2/24 }, defaultRoute: [10.0.0.1, "fd00:ab::1"] }
`);
    expect(problems(text)).toEqual([
      'c.yaml: nodes[1].namespaces[0].defaultRoute[1]: gateway "fd00:ab::1" is IPv6 but the namespace has no IPv6 address (veth.address "10.0.0.2/24")',
    ]);
  });

  test('ssh.host and jumpHost: a zone id, a mapped address, an IPv4 address in brackets', () => {
    const text = cluster(`  - { name: n1, ssh: { host: "fe80::11%eth0" } }
  - { name: n2, ssh: { host: "::ffff:10.0.0.1" } }
  - { name: n3, ssh: { host: n3, jumpHost: "admin@[10.0.0.1]:22" } }
`);
    expect(problems(text)).toEqual([
      'c.yaml: nodes[1].ssh.host: invalid IPv6 address "fe80::11%eth0": a zone id (%name) is accepted only on a link-local nameserver (resolv.nameservers) (got "fe80::11%eth0")',
      'c.yaml: nodes[2].ssh.host: invalid IPv6 address "::ffff:10.0.0.1": IPv4-mapped or embedded forms such as ::ffff:10.0.0.1 are not accepted: write the IPv4 address itself (got "::ffff:10.0.0.1")',
      'c.yaml: nodes[3].ssh.jumpHost: must be [user@]host[:port] of a bastion, e.g. admin@bastion.example.com:22 (got "admin@[10.0.0.1]:22")',
    ]);
  });

  test('lab.managementCidr: an IPv6 range of at least a /126 (inside fd00::/8 is checked by lab up)', () => {
    expect(problems(cluster('', 'lab: { managementCidr: "fd00:250:225::/127" }\n'))).toEqual([
      'c.yaml: lab.managementCidr: "fd00:250:225::/127" is too small: a lab needs at least a /126',
    ]);
    expect(problems(cluster('', 'lab: { managementCidr: "fd00:250:225::1/64" }\n'))).toEqual([
      'c.yaml: lab.managementCidr: invalid IPv6 CIDR "fd00:250:225::1/64": host bits are set; the network is fd00:250:225::/64',
    ]);
  });

  test('a pinned IPv6 pod subnet outside podCidr, or in an IPv4-only cluster', () => {
    const pinned = cluster(
      '  - { name: n1, ssh: { host: 10.250.0.11 }, podSubnet: [10.244.9.0/24, "fd00:99::/64"] }\n',
    );
    expect(problems(pinned)).toEqual([
      'c.yaml: nodes[1].podSubnet[1]: pod subnet "fd00:99::/64" is outside network.podCidr\'s IPv6 range fd00:10:244::/56',
    ]);
    const v4 = pinned
      .replace('[10.244.0.0/16, fd00:10:244::/56]', '10.244.0.0/16')
      .replace('[10.96.0.0/12, fd00:10:96::/108]', '10.96.0.0/12');
    expect(problems(v4)).toEqual([
      'c.yaml: nodes[1].podSubnet[1]: pod subnet "fd00:99::/64" is IPv6 but network.podCidr has no IPv6 range (10.244.0.0/16)',
    ]);
  });
});

describe('routing: auto for IPv6', () => {
  const node = (name: string, lan: 1 | 2, host: number) => `  - name: ${name}
    ssh: { host: 10.250.0.${host} }
    interfaces: [{ name: eth1, lan: lan${lan}, addresses: [192.168.${lan}.${host}/24, "fd00:${lan}::${host}/64"] }]
`;
  const text = cluster(node('a1', 1, 11) + node('a2', 1, 12) + node('b1', 2, 21), 'routing: auto\n');
  const routes = (c: Cluster, name: string) =>
    (c.derived.routing.routes.get(name) ?? []).map((r) => `${r.to} via ${r.via} (${r.reason})`);

  test("derives routes for both families: other LANs via the router, other nodes' pod subnets", () => {
    const c = load(text);
    expect(c.derived.routing.routers).toEqual(['r1']);
    expect(routes(c, 'a1')).toEqual([
      '192.168.2.0/24 via 192.168.1.1 (LAN lan2 via router r1)',
      '10.244.1.0/24 via 192.168.1.12 (pod subnet of a2)',
      '10.244.2.0/24 via 192.168.1.1 (pod subnet of b1 via router r1)',
      'fd00:2::/64 via fd00:1::1 (LAN lan2 via router r1)',
      'fd00:10:244:1::/64 via fd00:1::12 (pod subnet of a2)',
      'fd00:10:244:2::/64 via fd00:1::1 (pod subnet of b1 via router r1)',
    ]);
    expect(routes(c, 'r1')).toEqual([
      '10.244.0.0/24 via 192.168.1.11 (pod subnet of a1)',
      '10.244.1.0/24 via 192.168.1.12 (pod subnet of a2)',
      '10.244.2.0/24 via 192.168.2.21 (pod subnet of b1)',
      'fd00:10:244::/64 via fd00:1::11 (pod subnet of a1)',
      'fd00:10:244:1::/64 via fd00:1::12 (pod subnet of a2)',
      'fd00:10:244:2::/64 via fd00:2::21 (pod subnet of b1)',
    ]);
    // The effective node (what the host side applies) carries them as routes.
    expect(c.derived.byName.get('b1')?.routes.map((r) => `${r.to} via ${r.via}`)).toEqual(
      expect.arrayContaining(['fd00:1::/64 via fd00:2::1', 'fd00:10:244::/64 via fd00:2::1']),
    );
  });

  test('a node joining two IPv6 LANs without net.ipv6.conf.all.forwarding routes no IPv6', () => {
    const c = load(text.replace(', net.ipv6.conf.all.forwarding: 1', ''));
    expect(c.derived.routing.routers).toEqual(['r1']);
    expect(routes(c, 'a1').filter((r) => r.includes(':'))).toEqual([
      'fd00:10:244:1::/64 via fd00:1::12 (pod subnet of a2)',
    ]);
  });

  test('a hand-written IPv6 route to a derived destination wins; another gateway for it is an error', () => {
    const same = text.replace(
      node('a1', 1, 11),
      `${node('a1', 1, 11)}    routes: [{ to: "FD00:2::/64", via: "fd00:1::1" }]\n`,
    );
    expect(routes(load(same), 'a1').filter((r) => r.startsWith('fd00:2::'))).toEqual([]);
    const other = same.replace('via: "fd00:1::1" }', 'via: "fd00:1::12" }');
    expect(problems(other)).toEqual([
      'c.yaml: nodes[1].routes[0]: route to "FD00:2::/64" via fd00:1::12 contradicts the route routing: auto derives on node a1: fd00:2::/64 via fd00:1::1 (LAN lan2 via router r1); remove one of them',
    ]);
  });
});

describe('trace over IPv6', () => {
  const node = (name: string, lan: 1 | 2, host: number) => `  - name: ${name}
    ssh: { host: 10.250.0.${host} }
    cniConflists: true
    interfaces: [{ name: eth1, lan: lan${lan}, addresses: [192.168.${lan}.${host}/24, "fd00:${lan}::${host}/64"] }]
`;
  const text = cluster(node('a1', 1, 11) + node('b1', 2, 21), 'routing: auto\n');
  const model = (t: string) => parseClusterText(t, 'c.yaml', { traceProbes: false });

  test('node to node across the router: the IPv6 path, forwarding named, the reply back', () => {
    const result = traceCluster(model(text), 'a1', 'fd00:2::21');
    expect(result.verdict).toBe('delivered');
    expect(result.hops.map((h) => `${h.at}: ${h.action}`)).toEqual([
      'a1: route fd00:2::/64 via fd00:1::1 dev eth1 (derived: LAN lan2 via router r1)',
      'r1: route fd00:2::/64 dev eth2 (connected); forwards (net.ipv6.conf.all.forwarding 1)',
    ]);
    expect(result.hops[1].next).toEqual({
      route: 'fd00:2::/64 dev eth2 (connected)',
      dev: 'eth2',
      to: 'b1',
      dst: 'fd00:2::21',
      src: 'fd00:1::11',
      iif: 'eth1',
    });
    expect(result.reason).toBe('delivered to b1 (fd00:2::21); it sees the source fd00:1::11; the reply returns');
  });

  test("pod to pod across the router: IPv6 stand-ins in the nodes' IPv6 pod subnets, no NAT", () => {
    const result = trace(model(text).cluster, {
      from: { kind: 'pod', node: 'a1', pod: 'web' },
      to: { kind: 'pod', node: 'b1', pod: 'db' },
      protocol: 'icmp',
      family: 6,
    });
    expect(result.verdict).toBe('delivered');
    expect(result.podStandIns).toEqual([
      expect.stringMatching(/^a1\/web = fd00:10:244::[0-9a-f:]+ \(stand-in in pod subnet fd00:10:244::\/64\)$/),
      expect.stringMatching(/^b1\/db = fd00:10:244:1:[0-9a-f:]+ \(stand-in in pod subnet fd00:10:244:1::\/64\)$/),
    ]);
    expect(result.reason).toMatch(/it sees the source fd00:10:244::[0-9a-f:]+; the reply returns$/);
  });

  test('the router does not forward IPv6: dropped there, naming net.ipv6.conf.all.forwarding (routing: manual)', () => {
    const manual = text
      .replace('routing: auto\n', '')
      .replace(', net.ipv6.conf.all.forwarding: 1', '')
      .replace(node('a1', 1, 11), `${node('a1', 1, 11)}    routes: [{ to: "fd00:2::/64", via: "fd00:1::1" }]\n`);
    const result = traceCluster(model(manual), 'a1', 'fd00:2::21');
    expect(result.verdict).toBe('dropped');
    expect(result.reason).toBe('dropped at r1: net.ipv6.conf.all.forwarding is 0');
  });

  test('the bridge CNI masquerades pod traffic leaving podCidr for each family (IPv6 only for a ULA pod range)', () => {
    const masquerade = (t: string) =>
      model(t)
        .cluster.derived.byName.get('a1')
        ?.nat.masquerade.map((m) => `${m.source} ! -d ${m.exceptDestination}`);
    expect(masquerade(text)).toEqual(['10.244.0.0/16 ! -d 10.244.0.0/16', 'fd00:10:244::/56 ! -d fd00:10:244::/56']);
    expect(masquerade(text.replaceAll('fd00:10:244:', '2001:db8:244:'))).toEqual(['10.244.0.0/16 ! -d 10.244.0.0/16']);
  });

  test('a missing IPv6 route names the cause: the router that joins both LANs does not forward IPv6', () => {
    const result = traceCluster(model(text.replace(', net.ipv6.conf.all.forwarding: 1', '')), 'a1', 'fd00:2::21');
    expect(result.reason).toBe(
      'no route to fd00:2::21 on a1: r1 joins lan1 and lan2 but net.ipv6.conf.all.forwarding is 0, so routing: auto found no path',
    );
    // IPv4 still goes through: the router forwards IPv4.
    expect(
      traceCluster(model(text.replace(', net.ipv6.conf.all.forwarding: 1', '')), 'a1', '192.168.2.21').verdict,
    ).toBe('delivered');
  });

  test('a missing IPv6 route under routing: manual names the forwarding router to route through', () => {
    const result = traceCluster(model(text.replace('routing: auto\n', '')), 'a1', 'fd00:2::21');
    expect(result.reason).toBe(
      'no route to fd00:2::21 on a1: r1 forwards toward LAN lan2 (fd00:2::/64), but a1 has no route through it (routing: manual: add one to its routes, or set routing: auto)',
    );
  });

  test('an IPv6 port forward: DNAT to [v6]:port, the reply un-DNATed', () => {
    const dnat = text.replace(
      '    sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 }\n',
      '    sysctls: { net.ipv4.ip_forward: 1, net.ipv6.conf.all.forwarding: 1 }\n    nat: { portForwards: [{ protocol: tcp, port: 8080, to: "[fd00:2::21]:80" }] }\n',
    );
    const result = traceCluster(model(dnat), 'a1', '[fd00:1::1]:8080');
    expect(result.verdict).toBe('delivered');
    expect(result.hops.map((h) => h.action)).toContain(
      'DNAT tcp/8080 → [fd00:2::21]:80: destination [fd00:1::1]:8080 → [fd00:2::21]:80',
    );
    expect(result.reply.map((h) => h.action)).toContain(
      'conntrack: reverses the DNAT: source [fd00:2::21]:80 → [fd00:1::1]:8080',
    );
  });

  test('verify checks over IPv6 are traced when the file is loaded: one that cannot pass is refused', () => {
    const probes = (target: string) =>
      `${text.replace(', net.ipv6.conf.all.forwarding: 1', '')}verify: [{ from: a1, ping: "${target}" }]\n`;
    expect(problems(probes('fd00:2::21'))).toEqual([
      'c.yaml: verify[0]: a1 → ping fd00:2::21 cannot succeed: no route to fd00:2::21 on a1: r1 joins lan1 and lan2 but net.ipv6.conf.all.forwarding is 0, so routing: auto found no path (netstrap trace shows the path)',
    ]);
    expect(() => load(probes('192.168.2.21'))).not.toThrow();
  });
});

describe("the README's dual-stack cluster", () => {
  const readme = require('fs').readFileSync(require('path').join(__dirname, '../../README.md'), 'utf8') as string;
  const block = /<!-- dual-stack-example -->\n```yaml\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

  test('loads, derives routes of both families, traces its IPv6 verify checks', () => {
    const c = load(block);
    const routes = (name: string) => (c.derived.routing.routes.get(name) ?? []).map((r) => `${r.to} via ${r.via}`);
    expect(routes('a1')).toEqual([
      '192.168.2.0/24 via 192.168.1.1',
      '10.244.9.0/24 via 192.168.1.12',
      '10.244.1.0/24 via 192.168.1.1',
      '10.244.2.0/24 via 192.168.1.1',
      'fd00:192:168:2::/64 via fd00:192:168:1::1',
      'fd00:10:244:9::/64 via fd00:192:168:1::12',
      'fd00:10:244:1::/64 via fd00:192:168:1::1',
      'fd00:10:244:2::/64 via fd00:192:168:1::1',
    ]);
    expect(traceCluster({ cluster: c }, 'a1', 'fd00:192:168:2::22').verdict).toBe('delivered');
  });
});
