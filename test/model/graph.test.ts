/** What `netstrap graph` draws (src/model/graph.ts): the topology of the learner's labs, and allowed connections. */
import { loadClusterFile, parseClusterText } from '../../src/model/load';
import { topologyGraph } from '../../src/model/graph';
import { netpolAnalysis, netpolList } from '../../src/model/netpol/api';
import { fixture } from '../support/lab';

const graphOf = (name: string) => topologyGraph(loadClusterFile(fixture(name)).cluster);

test('router lab: two LANs, a router forwarding between them, each host cabled to its LAN with its addresses', () => {
  const graph = graphOf('scenario-router.yaml');
  expect(graph.lans).toEqual([
    { id: 'lan/lan1', name: 'lan1', cidr: '192.168.1.0/24' },
    { id: 'lan/lan2', name: 'lan2', cidr: '192.168.2.0/24' },
  ]);
  expect(graph.nodes.map((n) => [n.name, n.kind])).toEqual([
    ['node01', 'node'],
    ['router', 'router'],
    ['node02', 'node'],
  ]);
  const [node01, router, node02] = graph.nodes;
  expect(node01.interfaces).toEqual([
    { name: 'eth0', addresses: ['192.168.1.11/24', '192.168.1.111/24'], lan: 'lan/lan1' },
  ]);
  expect(router.interfaces.map((i) => i.lan)).toEqual(['lan/lan1', 'lan/lan2']);
  expect(node01.routes).toEqual(['route 192.168.2.0/24 via 192.168.1.1']);
  expect(node02.routes).toEqual(['route default via 192.168.2.1']);
  expect(graph.workloads).toEqual([]);
});

test('bridge lab: the bridge, each namespace with its veth, address and gateway, and the pod subnet', () => {
  const [node] = graphOf('scenario-bridge.yaml').nodes;
  expect(node.podSubnet).toBe('10.244.1.0/24');
  expect(node.bridges).toEqual([{ id: 'node/node01/bridge/v-net-0', name: 'v-net-0', addresses: ['192.168.15.5/24'] }]);
  expect(node.namespaces).toEqual([
    {
      id: 'node/node01/netns/red',
      name: 'red',
      interface: 'veth-red',
      address: '192.168.15.1/24',
      hostSide: 'veth-red-br',
      bridge: 'node/node01/bridge/v-net-0',
      defaultRoute: '192.168.15.5',
    },
    expect.objectContaining({ name: 'blue', address: '192.168.15.2/24', bridge: 'node/node01/bridge/v-net-0' }),
  ]);
});

test('MASQUERADE and DNAT labs: the NAT rules in words on their node', () => {
  expect(graphOf('scenario-masquerade.yaml').nodes[0].nat).toEqual(['MASQUERADE 192.168.15.0/24 out eth0']);
  expect(graphOf('scenario-dnat.yaml').nodes[0].nat).toEqual(['DNAT tcp :80 → 192.168.15.2:80']);
});

test('a node on two LANs that does not forward is no router, and says so', () => {
  const text = `
name: noforward
network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }
lans: [{ name: a, cidr: 192.168.1.0/24 }, { name: b, cidr: 192.168.2.0/24 }]
nodes:
  - name: r2
    role: host
    ssh: { host: 10.250.185.2 }
    interfaces:
      - { name: eth0, addresses: [192.168.1.1/24] }
      - { name: eth1, lan: b, addresses: [192.168.2.1/24] }
`;
  const [r2] = topologyGraph(parseClusterText(text, 'noforward.yaml').cluster).nodes;
  expect(r2.kind).toBe('host');
  expect(r2.forwards).toBe(false);
  // The LAN comes from `lan:` when written, else from the address.
  expect(r2.interfaces.map((i) => i.lan)).toEqual(['lan/a', 'lan/b']);
  expect(r2.note).toBe('on 2 LANs but does not forward (net.ipv4.ip_forward is not 1): no router');
});

test('with the netpol analysis: every workload, and one connection per allowed pair as netpol list gives them', () => {
  const model = loadClusterFile(fixture('netpol-cluster.yaml'));
  const analysis = netpolAnalysis(model);
  const graph = topologyGraph(model.cluster, analysis);
  expect(graph.workloads.map((w) => w.key)).toEqual(analysis.workloads.map((w) => w.key));
  const rows = netpolList(analysis);
  expect(graph.connections).toHaveLength(rows.length);
  // The policies of the fixture: web may reach api on 9000 only; nothing in shop reaches web (default-deny).
  expect(graph.connections).toContainEqual({ from: 'workload/shop/web', to: 'workload/shop/api', ports: 'TCP 9000' });
  expect(graph.connections.filter((c) => c.to === 'workload/shop/web')).toEqual([]);
  // Address ranges outside the workloads are nodes of their own.
  for (const c of graph.connections) {
    for (const end of [c.from, c.to]) {
      expect(graph.workloads.some((w) => w.id === end) || graph.externals.some((e) => e.id === end)).toBe(true);
    }
  }
});
