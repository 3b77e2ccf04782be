/**
 * The pod network model (no lab): node roles and pod subnets, routing: auto, static path tracing, and `validate`
 * refusing verify checks that cannot pass. The same derivations are exercised on real kernel networking by
 * test/lab/pods.lab.test.ts.
 */
import { clusterCniFiles, nodeCniList } from '../../src/model/cni';
import { effectiveNode } from '../../src/model/effective';
import { parseClusterText } from '../../src/model/load';
import { formatPodSubnetTable, podSubnetOf, podSubnets } from '../../src/model/pod-subnets';
import { deriveRouting } from '../../src/model/routing';
import type { Cluster } from '../../src/model/schema';
import { parseEndpoint, trace } from '../../src/model/trace';
import { routes } from '../../src/host/resources/routes';
import { desiredNatRules } from '../../src/host/resources/nat';
import { thrown } from '../support/errors';
import { fixture, netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';
import * as fs from 'fs';
import * as path from 'path';
import { FactSet } from '../../src/host/fact';

const tempDir = tempDirs();
/** A cluster file with `text`, for the CLI. */
const tempFile = (text: string): string => {
  const file = path.join(tempDir('netstrap-pods-'), 'c.yaml');
  fs.writeFileSync(file, text);
  return file;
};
const load = (text: string, options = {}): Cluster => parseClusterText(text, 'c.yaml', options).cluster;
const problems = (text: string): string[] => thrown(() => parseClusterText(text, 'c.yaml')).lines();
const BASE = 'name: c\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\ncni: { plugin: bridge }\n';
const node = (name: string, host: number, extra = '') =>
  `  - { name: ${name}, ssh: { host: 10.250.0.${host} }${extra} }\n`;

describe('roles and pod subnets', () => {
  test('nodes in file order take the first free slice, skipping pinned ones; appending never moves the others', () => {
    const nodes =
      node('a', 1) +
      node('pinned', 2, ', podSubnet: 10.244.1.0/24') +
      node('b', 3) +
      node('router', 4, ', role: host') +
      node('c', 5);
    const cluster = load(`${BASE}nodes:\n${nodes}`);
    expect(podSubnets(cluster).subnets.map((s) => [s.node, s.cidr, s.source])).toEqual([
      ['a', '10.244.0.0/24', 'allocated'],
      ['pinned', '10.244.1.0/24', 'podSubnet'],
      ['b', '10.244.2.0/24', 'allocated'],
      ['c', '10.244.3.0/24', 'allocated'],
    ]);
    expect(podSubnetOf(cluster, 'router')).toBeUndefined();
    const appended = load(`${BASE}nodes:\n${nodes}${node('d', 6)}`);
    expect(['a', 'pinned', 'b', 'c', 'd'].map((n) => podSubnetOf(appended, n))).toEqual([
      '10.244.0.0/24',
      '10.244.1.0/24',
      '10.244.2.0/24',
      '10.244.3.0/24',
      '10.244.4.0/24',
    ]);
    // Only Kubernetes nodes get CNI files; each its own subnet, and ipMasq is off.
    const files = clusterCniFiles(cluster)!;
    expect(Object.keys(files.perNode)).toEqual(['a', 'pinned', 'b', 'c']);
    expect(nodeCniList(files, 'b').plugins[0]).toMatchObject({
      type: 'bridge',
      ipMasq: false,
      ipam: { subnet: '10.244.2.0/24' },
    });
    expect(formatPodSubnetTable(cluster)).toBe(
      [
        'NODE    ROLE    POD SUBNET     FROM',
        'a       worker  10.244.0.0/24  allocated',
        'pinned  worker  10.244.1.0/24  podSubnet',
        'b       worker  10.244.2.0/24  allocated',
        'router  host    -              not a Kubernetes node',
        'c       worker  10.244.3.0/24  allocated',
        '',
      ].join('\n'),
    );
  });

  test('network.nodeCidrMaskSize sets the slice size; too wide, exhausted, or a host with pod settings are errors', () => {
    const small = load(
      `${BASE.replace('serviceCidr', 'nodeCidrMaskSize: 26, serviceCidr')}nodes:\n${node('a', 1)}${node('b', 2)}`,
    );
    expect([podSubnetOf(small, 'a'), podSubnetOf(small, 'b')]).toEqual(['10.244.0.0/26', '10.244.0.64/26']);
    expect(
      problems(`${BASE.replace('serviceCidr', 'nodeCidrMaskSize: 12, serviceCidr')}nodes:\n${node('a', 1)}`),
    ).toEqual([
      'c.yaml:2: network.nodeCidrMaskSize: /12 is larger than network.podCidr 10.244.0.0/16: it must be 16 or more',
    ]);
    expect(
      problems(
        `${BASE.replace('serviceCidr', 'nodeCidrMaskSize: 17, serviceCidr')}nodes:\n${node('a', 1)}${node('b', 2)}${node('c', 3)}`,
      ),
    ).toEqual([
      'c.yaml:7: nodes[2]: no free /17 left in network.podCidr 10.244.0.0/16 for node c: give it a podSubnet, a wider podCidr or a longer network.nodeCidrMaskSize',
    ]);
    expect(
      problems(`${BASE}nodes:\n${node('r', 1, ', role: host, podSubnet: 10.244.9.0/24, cniConflists: true')}`),
    ).toEqual([
      'c.yaml:5: nodes[0].podSubnet: node r has role host: only control-plane and worker nodes get a pod subnet (got "10.244.9.0/24")',
      'c.yaml:5: nodes[0].cniConflists: node r has role host: only control-plane and worker nodes get CNI files',
    ]);
  });

  test('a node getting the bridge conflist gets the pod MASQUERADE rule: podCidr to anything outside podCidr', () => {
    const cluster = load(
      `${BASE}nodes:\n${node('a', 1, ', cniConflists: true, sysctls: { net.ipv4.ip_forward: 1 }')}${node('b', 2)}`,
    );
    expect(
      desiredNatRules(effectiveNode(cluster, cluster.nodes[0])).map((r) => [r.chain, ...r.args].join(' ')),
    ).toEqual([
      'POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -m comment --comment netstrap:masquerade:10.244.0.0/16:except=10.244.0.0/16 -j MASQUERADE',
    ]);
    expect(desiredNatRules(effectiveNode(cluster, cluster.nodes[1]))).toEqual([]); // no conflist from netstrap
  });
});

/** lan1 —r1— lan2 —r2— lan3, plus r3 as a second router between lan1 and lan2 listed after r1. */
const CHAIN = `${BASE}routing: auto
lans: [{ name: lan1, cidr: 192.168.1.0/24 }, { name: lan2, cidr: 192.168.2.0/24 }, { name: lan3, cidr: 192.168.3.0/24 }]
nodes:
  - { name: n1, ssh: { host: 10.250.0.1 }, interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.1.11/24] }] }
  - name: r1
    role: host
    ssh: { host: 10.250.0.2 }
    sysctls: { net.ipv4.ip_forward: 1 }
    interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.1.1/24] }, { name: eth1, lan: lan2, addresses: [192.168.2.1/24] }]
  - name: r3
    role: host
    ssh: { host: 10.250.0.5 }
    sysctls: { net.ipv4.ip_forward: 1 }
    interfaces: [{ name: eth0, lan: lan1, addresses: [192.168.1.3/24] }, { name: eth1, lan: lan2, addresses: [192.168.2.3/24] }]
  - name: r2
    role: host
    ssh: { host: 10.250.0.3 }
    sysctls: { net.ipv4.ip_forward: 1 }
    interfaces: [{ name: eth0, lan: lan2, addresses: [192.168.2.2/24] }, { name: eth1, lan: lan3, addresses: [192.168.3.2/24] }]
  - { name: n3, ssh: { host: 10.250.0.4 }, interfaces: [{ name: eth0, lan: lan3, addresses: [192.168.3.11/24] }] }
`;
const routesOf = (cluster: Cluster, name: string) =>
  (deriveRouting(cluster).routes.get(name) ?? []).map((r) => `${r.to} via ${r.via}`);

describe('routing: auto', () => {
  test('the acceptance cluster: LANs via the router, pod subnets via their node on a shared LAN, else via the router', () => {
    const cluster = parseClusterText(fs.readFileSync(fixture('i12-pods.yaml'), 'utf8'), 'i12-pods.yaml').cluster;
    expect(deriveRouting(cluster).routers).toEqual(['r1']);
    expect(routesOf(cluster, 'node01')).toEqual([
      '192.168.82.0/24 via 192.168.81.1',
      '10.244.1.0/24 via 192.168.81.12',
      '10.244.2.0/24 via 192.168.81.1',
      '10.244.3.0/24 via 192.168.81.1',
    ]);
    // The router (role host) gets every pod subnet it forwards towards.
    expect(routesOf(cluster, 'r1')).toEqual([
      '10.244.0.0/24 via 192.168.81.11',
      '10.244.1.0/24 via 192.168.81.12',
      '10.244.2.0/24 via 192.168.82.13',
      '10.244.3.0/24 via 192.168.82.14',
    ]);
  });

  test('shortest path over several routers; equal-cost paths go to the router listed first', () => {
    const cluster = load(CHAIN);
    expect(deriveRouting(cluster).routers).toEqual(['r1', 'r3', 'r2']);
    expect(routesOf(cluster, 'n1')).toEqual([
      '192.168.2.0/24 via 192.168.1.1',
      '192.168.3.0/24 via 192.168.1.1',
      '10.244.1.0/24 via 192.168.1.1',
    ]);
    expect(routesOf(cluster, 'r1')).toEqual([
      '192.168.3.0/24 via 192.168.2.2',
      '10.244.0.0/24 via 192.168.1.11',
      '10.244.1.0/24 via 192.168.2.2',
    ]);
    expect(routesOf(cluster, 'n3')).toEqual([
      '192.168.1.0/24 via 192.168.3.2',
      '192.168.2.0/24 via 192.168.3.2',
      '10.244.0.0/24 via 192.168.3.2',
    ]);
    // r2 reaches lan1 over r1 or r3 at equal cost: r1 is listed first.
    expect(routesOf(cluster, 'r2')).toEqual([
      '192.168.1.0/24 via 192.168.2.1',
      '10.244.0.0/24 via 192.168.2.1',
      '10.244.1.0/24 via 192.168.3.11',
    ]);
    // Without the first router, the second takes over.
    const withoutR1 = load(CHAIN.replace(/ {2}- name: r1\n( {4}.*\n){4}/, ''));
    expect(routesOf(withoutR1, 'r2')[0]).toBe('192.168.1.0/24 via 192.168.2.3');
  });

  test('a hand-written route that says the same is kept once; one that contradicts is an error naming both', () => {
    const same = load(
      CHAIN.replace(
        'addresses: [192.168.1.11/24] }] }',
        'addresses: [192.168.1.11/24] }], routes: [{ to: 192.168.3.0/24, via: 192.168.1.1 }] }',
      ),
    );
    expect(effectiveNode(same, same.nodes[0]).routes.filter((r) => r.to === '192.168.3.0/24')).toEqual([
      { to: '192.168.3.0/24', via: '192.168.1.1' },
    ]);
    expect(
      problems(
        CHAIN.replace(
          'addresses: [192.168.1.11/24] }] }',
          'addresses: [192.168.1.11/24] }], routes: [{ to: 192.168.3.0/24, via: 192.168.1.3 }] }',
        ),
      ),
    ).toEqual([
      'c.yaml:7: nodes[0].routes[0]: route to "192.168.3.0/24" via 192.168.1.3 contradicts the route routing: auto derives on node n1: 192.168.3.0/24 via 192.168.1.1 (LAN lan3 via router r1); remove one of them',
    ]);
    expect(problems(`${BASE}routing: auto\n`)).toEqual([
      'c.yaml:4: routing: routing: auto derives routes from lans, but the cluster file declares none',
    ]);
  });

  test('plan marks derived routes as derived', () => {
    const cluster = load(CHAIN);
    const n1 = effectiveNode(cluster, cluster.nodes[0]);
    const changes = routes.plan(n1, new FactSet({ 'ip-route': '[]', 'ip-addr': '[]' }), cluster);
    expect(changes.map((c) => `${c.target}: ${c.before} → ${c.after}`)).toEqual([
      '192.168.2.0/24: absent → via 192.168.1.1 (derived: LAN lan2 via router r1)',
      '192.168.3.0/24: absent → via 192.168.1.1 (derived: LAN lan3 via router r1)',
      '10.244.1.0/24: absent → via 192.168.1.1 (derived: pod subnet of n3 via router r1)',
    ]);
  });
});

describe('trace', () => {
  const cluster = load(CHAIN);
  const run = (from: string, to: string, port?: number, c = cluster) =>
    trace(c, {
      from: parseEndpoint(c, from, false).endpoint!,
      to: parseEndpoint(c, to, true).endpoint!,
      protocol: port ? 'tcp' : 'icmp',
      port,
    });

  test('pod to pod over two routers: delivered, no NAT, the reply comes back the same way', () => {
    const result = run('n1/web', 'n3/db', 5432);
    expect([result.verdict, result.hops.map((h) => h.at), result.reply.map((h) => h.at)]).toEqual([
      'delivered',
      ['n1/web', 'n1', 'r1', 'r2', 'n3'],
      ['n3/db', 'n3', 'r2', 'r1', 'n1'],
    ]);
    expect(result.reason).toBe('delivered to n3/db (10.244.1.103); it sees the source 10.244.0.33; the reply returns');
    expect(result.podStandIns).toHaveLength(2);
  });

  test('pod to a node outside podCidr is masqueraded, and un-NATed on the way back', () => {
    // Without the conflist from netstrap, no pod MASQUERADE rule: the node sees the pod's own address.
    expect(run('n1/web', 'n3').reason).toContain('it sees the source 10.244.0.33');
    const withConflist = load(
      CHAIN.replace(
        '{ name: n1, ssh: { host: 10.250.0.1 },',
        '{ name: n1, cniConflists: true, ssh: { host: 10.250.0.1 },',
      ),
    );
    const result = run('n1/web', 'n3', undefined, withConflist);
    expect(result.verdict).toBe('delivered');
    expect(result.reason).toContain('it sees the source 192.168.1.11');
    expect(result.reply.map((h) => h.action)).toContain(
      'conntrack: reply to 192.168.1.11 is un-masqueraded to 10.244.0.33',
    );
  });

  test('dropped: ip_forward 0 on a router, no route; leaves: the next hop is no place of the file', () => {
    const off = load(
      CHAIN.replace(
        /(name: r2\n {4}role: host\n {4}ssh: \{ host: 10.250.0.3 \}\n {4}sysctls: \{ net.ipv4.ip_forward: )1/,
        '$10',
      ),
    );
    // With r2 no longer a router, routing: auto derives no path to lan3: written by hand it meets ip_forward 0.
    const handWritten = {
      ...off,
      routing: 'manual' as const,
      nodes: off.nodes.map((n) => ({
        ...n,
        routes:
          n.name === 'n1'
            ? [{ to: '192.168.3.0/24', via: '192.168.1.1' }]
            : n.name === 'r1'
              ? [{ to: '192.168.3.0/24', via: '192.168.2.2' }]
              : [],
      })),
    };
    expect([run('n1', 'n3', undefined, handWritten).verdict, run('n1', 'n3', undefined, handWritten).reason]).toEqual([
      'dropped',
      'dropped at r2: net.ipv4.ip_forward is 0',
    ]);
    expect(run('n1', '8.8.8.8').reason).toBe('no route to 8.8.8.8 on n1');
    expect([run('n1', '192.168.1.77').verdict, run('n1', '192.168.1.77').reason]).toEqual([
      'leaves',
      'leaves the modelled network at n1 on eth0 (LAN lan1): no place of the cluster file has 192.168.1.77',
    ]);
  });

  test('netstrap trace: exit 0 delivered, 1 dropped, 2 bad input; --json', () => {
    const file = fixture('i12-pods.yaml');
    const ok = netstrap(['trace', file, 'node01/web', 'node03/web:80']);
    expect([ok.status, ok.stdout.trim().split('\n').pop()]).toEqual([
      0,
      'delivered: delivered to node03/web (10.244.2.33); it sees the source 10.244.0.33; the reply returns',
    ]);
    const dropped = netstrap(['trace', file, 'r1', '8.8.8.8', '--json']);
    expect([dropped.status, JSON.parse(dropped.stdout).verdict, JSON.parse(dropped.stdout).reason]).toEqual([
      1,
      'dropped',
      'no route to 8.8.8.8 on r1',
    ]);
    const bad = netstrap(['trace', file, 'r1/web', 'node09:99999']);
    expect([bad.status, bad.stderr]).toEqual([
      2,
      [
        'netstrap trace: FROM: node "r1" declares no namespace "web", and runs no pods (needs cni.plugin bridge and role control-plane or worker) (got "r1/web")',
        'netstrap trace: TO: port 99999 is out of range 1-65535 (got "node09:99999")',
        '',
      ].join('\n'),
    ]);
  });
});

describe('validate traces every verify check', () => {
  test('a check that cannot succeed, or with expect: failure cannot fail, is an error before anything is touched', () => {
    const checks = `verify:
  - { from: n1/web, tcp: n3/db:5432 }
  - { from: n1, ping: 8.8.8.8 }
  - { from: n1, ping: n3, expect: failure }
  - { from: n1, ping: 192.168.1.77 }
`;
    expect(problems(CHAIN + checks)).toEqual([
      'c.yaml:26: verify[1]: n1 → ping 8.8.8.8 cannot succeed: no route to 8.8.8.8 on n1 (netstrap trace shows the path)',
      'c.yaml:27: verify[2]: n1 → ping n3 has expect: failure but cannot fail: delivered to n3 (192.168.3.11); it sees the source 192.168.1.11; the reply returns (a delivered ping is answered; to assert a closed port, use a tcp check)',
    ]);
    // netstrap trace still loads the file, since it is how one finds out why.
    expect(() => load(CHAIN + checks, { traceProbes: false })).not.toThrow();
  });

  test('a TCP check with expect: failure on a delivered path validates: a closed port makes it fail (issue 25)', () => {
    const checks = `verify:
  - { from: n1, tcp: 192.168.3.11:8082, expect: failure }
  - { from: n1, tcp: n3:22, expect: failure }
  - { from: n1, tcp: 8.8.8.8:53, expect: failure }
`;
    expect(load(CHAIN + checks).verify).toHaveLength(3);
    // What can never succeed is still refused, for TCP as for ping.
    expect(problems(`${CHAIN}verify:\n  - { from: n1, tcp: 8.8.8.8:53 }\n`)).toEqual([
      'c.yaml:25: verify[0]: n1 → tcp 8.8.8.8:53 cannot succeed: no route to 8.8.8.8 on n1 (netstrap trace shows the path)',
    ]);
    // validate says what the delivered one relies on.
    const file = tempFile(CHAIN + checks);
    const run = netstrap(['validate', file]);
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('verify['))).toEqual([
      'verify[0]: n1 → tcp 192.168.3.11:8082: the path delivers; it passes only while nothing listens on the port',
      'verify[1]: n1 → tcp n3:22: the path delivers; it passes only while nothing listens on the port',
    ]);
  });
});
