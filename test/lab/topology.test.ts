/**
 * The lab's checks and names, without root: what `lab up` refuses before touching anything, and the names it
 * would create (unique, and short enough for Linux interface names).
 */
import { linkLocalOf } from '../../src/lab/network';
import { labIssues, labTopology } from '../../src/lab/topology';
import { formatPath } from '../../src/model/errors';
import { checkCluster, loadClusterFile } from '../../src/model/load';
import { fieldIssues } from '../support/errors';
import { fixture, repoRoot } from '../support/lab';
import * as path from 'path';

const base = {
  name: 'topo',
  network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
  lans: [{ name: 'lan1', cidr: '192.168.1.0/24' }],
  lab: { managementCidr: '10.250.20.0/24' },
};

function node(name: string, host: string, addresses: string[] = [], lan = 'lan1') {
  return { name, ssh: { host }, interfaces: [{ name: 'eth0', lan, addresses }] };
}

/** The issues of a cluster object as the CLI would print them (`path: message`). */
function fileIssues(raw: unknown): string[] {
  return fieldIssues(() => checkCluster(raw, 'c.yaml'));
}

describe('lab topology checks (every cluster file)', () => {
  test('the seed clusters are valid', () => {
    for (const file of ['lab-router.yaml', 'lab-lan.yaml'])
      expect(labIssues(loadClusterFile(fixture(file)).cluster)).toEqual([]);
    expect(labIssues(loadClusterFile(path.join(repoRoot, 'hosts', 'example.yaml')).cluster)).toEqual([]);
  });

  test('unknown LAN, address outside its LAN, duplicate names and addresses are named with their value', () => {
    const issues = fileIssues({
      ...base,
      lans: [...base.lans, { name: 'lan1', cidr: '192.168.2.0/24' }, { name: 'lan3', cidr: '192.168.1.128/25' }],
      nodes: [
        node('a', '10.250.20.1', ['192.168.1.10/24']),
        node('a', '10.250.20.2', ['192.168.1.10/24']),
        node('b', '10.250.20.3', ['192.168.9.10/24']),
        node('c', '10.250.20.4', ['192.168.1.0/24']),
        node('d', '10.250.20.5', [], 'nolan'),
      ],
    });
    expect(issues).toEqual([
      'lans[1].name: duplicate LAN name "lan1"',
      'lans[2].cidr: "192.168.1.128/25" overlaps LAN "lan1" 192.168.1.0/24',
      'nodes[1].name: duplicate node name "a" (also nodes[0])',
      'nodes[1].interfaces[0].addresses[0]: address 192.168.1.10 is already used by node "a" eth0',
      'nodes[2].interfaces[0].addresses[0]: "192.168.9.10/24" is not an address of LAN "lan1" 192.168.1.0/24',
      'nodes[3].interfaces[0].addresses[0]: "192.168.1.0/24" is the network or broadcast address of LAN "lan1"',
      'nodes[4].interfaces[0].lan: unknown LAN "nolan" (lans: lan1, lan3)',
    ]);
  });

  test('a bad or too small managementCidr is reported', () => {
    expect(fileIssues({ ...base, lab: { managementCidr: '10.250.20.1/24' } })).toEqual([
      'lab.managementCidr: invalid CIDR "10.250.20.1/24": host bits are set; the network is 10.250.20.0/24',
    ]);
    expect(fileIssues({ ...base, lab: { managementCidr: '10.250.20.0/31' } })).toEqual([
      'lab.managementCidr: "10.250.20.0/31" is too small: a lab needs at least a /30',
    ]);
  });
});

describe('lab-time checks (netstrap lab up)', () => {
  const issuesOf = (nodes: unknown[]) => {
    const model = checkCluster({ ...base, nodes }, 'c.yaml');
    return labIssues(model.cluster).map((i) => `${formatPath(i.path)}: ${i.message}`);
  };

  test("ssh.host must be a usable, distinct address of managementCidr that is not the controller's", () => {
    expect(
      issuesOf([
        { name: 'a', ssh: { host: 'node-a.example.com' } },
        { name: 'b', ssh: { host: '10.250.21.5' } },
        { name: 'c', ssh: { host: '10.250.20.254' } },
        { name: 'd', ssh: { host: '10.250.20.255' } },
        { name: 'e', ssh: { host: '10.250.20.7', user: 'admin' } },
        { name: 'f', ssh: { host: '10.250.20.7' } },
        { name: 'g', ssh: { host: '10.250.20.8' }, interfaces: [{ name: 'mgmt0' }] },
      ]),
    ).toEqual([
      'nodes[0].ssh.host: a lab node\'s ssh.host must be an IPv4 address inside lab.managementCidr 10.250.20.0/24 (got "node-a.example.com")',
      'nodes[1].ssh.host: "10.250.21.5" is outside lab.managementCidr 10.250.20.0/24',
      'nodes[2].ssh.host: "10.250.20.254" is the lab controller\'s address (the last usable address of 10.250.20.0/24)',
      'nodes[3].ssh.host: "10.250.20.255" is the network or broadcast address of lab.managementCidr 10.250.20.0/24',
      'nodes[4].ssh.user: lab nodes accept only root (got "admin")',
      'nodes[5].ssh.host: "10.250.20.7" is already the ssh.host of node "e"',
      'nodes[6].interfaces: interface name "mgmt0" is reserved for the lab\'s management network',
    ]);
  });

  test('an IPv6 managementCidr: inside fd00::/8, ssh.host an IPv6 address of it, not its first or the controller', () => {
    const ipv6 = (managementCidr: string, nodes: unknown[]) =>
      labIssues(checkCluster({ ...base, lab: { managementCidr }, nodes }, 'c.yaml').cluster).map(
        (i) => `${formatPath(i.path)}: ${i.message}`,
      );
    expect(ipv6('2001:db8:1::/64', [{ name: 'a', ssh: { host: '2001:db8:1::11' } }])).toEqual([
      'lab.managementCidr: "2001:db8:1::/64" is outside fd00::/8: an IPv6 management network goes onto this machine\'s own bridge, so it must be a unique local range (such as fd00:250:1::/64)',
    ]);
    expect(
      ipv6('fd00:250:20::/64', [
        { name: 'a', ssh: { host: '10.250.20.11' } },
        { name: 'b', ssh: { host: 'fd00:250:21::11' } },
        { name: 'c', ssh: { host: 'fd00:250:20::' } },
        { name: 'd', ssh: { host: 'fd00:250:20:0:ffff:ffff:ffff:fffe' } },
        { name: 'e', ssh: { host: 'fd00:250:20::11' } },
        { name: 'f', ssh: { host: 'FD00:250:20:0::11' } },
        { name: 'g', ssh: { host: 'fd00:250:20:0:ffff:ffff:ffff:ffff' } },
      ]),
    ).toEqual([
      'nodes[0].ssh.host: a lab node\'s ssh.host must be an IPv6 address inside lab.managementCidr fd00:250:20::/64 (got "10.250.20.11")',
      'nodes[1].ssh.host: "fd00:250:21::11" is outside lab.managementCidr fd00:250:20::/64',
      'nodes[2].ssh.host: "fd00:250:20::" is the subnet-router anycast address (the first) of lab.managementCidr fd00:250:20::/64',
      'nodes[3].ssh.host: "fd00:250:20:0:ffff:ffff:ffff:fffe" is the lab controller\'s address (the last address but one of fd00:250:20::/64)',
      'nodes[5].ssh.host: "fd00:250:20::11" is already the ssh.host of node "e"',
    ]);
    const topology = labTopology(
      checkCluster(
        {
          ...base,
          lab: { managementCidr: 'fd00:250:20::/64' },
          nodes: [{ name: 'a', ssh: { host: 'fd00:250:20::11' } }],
        },
        'c.yaml',
      ).cluster,
      '/tmp/one',
    );
    expect([topology.managementCidr, topology.prefix, topology.controllerAddress]).toEqual([
      'fd00:250:20::/64',
      64,
      'fd00:250:20:0:ffff:ffff:ffff:fffe',
    ]);
    // Refused before the lab: a /127 is too small, a zone id or a mapped address is no ssh.host.
    expect(fileIssues({ ...base, lab: { managementCidr: 'fd00:250:20::/127' } })).toEqual([
      'lab.managementCidr: "fd00:250:20::/127" is too small: a lab needs at least a /126',
    ]);
  });

  test('a lab needs nodes', () => {
    expect(issuesOf([])).toEqual(['nodes: a lab needs at least one node']);
  });
});

describe('lab names', () => {
  const many = Array.from({ length: 250 }, (_, i) =>
    node(`node-with-a-long-name-${i}`, `10.250.20.${i + 1}`, [`192.168.1.${i + 1}/24`]),
  );
  const cluster = checkCluster({ ...base, name: 'a-rather-long-cluster-name', nodes: many }, 'c.yaml').cluster;

  test('root-namespace names fit in 15 characters, are unique, and differ between state dirs', () => {
    const topology = labTopology(cluster, '/tmp/one');
    const rootNames = [topology.bridge, ...topology.nodes.map((n) => n.rootVeth)];
    for (const name of rootNames) expect(name.length).toBeLessThanOrEqual(15);
    expect(new Set(rootNames).size).toBe(rootNames.length);
    expect(topology.bridge).toMatch(/^a-rath[0-9a-f]{5}-br$/);
    const other = labTopology(cluster, '/tmp/two');
    expect(other.bridge).not.toBe(topology.bridge);
    expect(new Set([...topology.nodes.map((n) => n.netns), ...other.nodes.map((n) => n.netns)]).size).toBe(500);
    expect(topology.controllerAddress).toBe('10.250.20.254');
  });

  test("an IPv6 interface's link-local address is the kernel's own (EUI-64 of its MAC), given without DAD", () => {
    // As the kernel made it for 02:aa:7b:a0:bb:13 (seen on a lab node before the lab gave it itself).
    expect(linkLocalOf('02:aa:7b:a0:bb:13')).toBe('fe80::aa:7bff:fea0:bb13');
    expect(linkLocalOf('02:00:00:00:00:01')).toBe('fe80::ff:fe00:1');
  });
});
