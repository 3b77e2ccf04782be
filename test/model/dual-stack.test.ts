/**
 * Dual-stack ranges (issue 21, the model): network.podCidr, network.serviceCidr and a LAN's cidr take one range, a
 * list of one IPv4 and one IPv6 range, or kubeadm's comma string; the API server's and kube-controller-manager's
 * IPv6 limits; canonical (RFC 5952) text in what netstrap derives; IPv4-only files resolve exactly as before.
 */
import { parseClusterText } from '../../src/model/load';
import { formatPodSubnetTable, podSubnets } from '../../src/model/pod-subnets';
import type { Cluster } from '../../src/model/schema';
import * as fs from 'fs';
import * as path from 'path';
import { thrown } from '../support/errors';
import { netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const load = (text: string): Cluster => parseClusterText(text, 'c.yaml').cluster;
const layoutOf = (text: string) => parseClusterText(text, 'c.yaml').layout;
const problems = (text: string): string[] => thrown(() => parseClusterText(text, 'c.yaml')).lines();
/** A cluster file; Flannel unless `rest` names a CNI (Weave, the default, has no IPv6). */
const file = (network: string, rest = '') =>
  `name: c\nnetwork: ${network}\n${rest.includes('cni:') ? '' : 'cni: { plugin: flannel }\n'}${rest}`;
const DUAL = '{ podCidr: [10.244.0.0/16, fd00:10:244::/56], serviceCidr: [10.96.0.0/12, fd00:10:96::/108] }';

describe('dual-stack ranges', () => {
  test('a YAML list of one IPv4 and one IPv6 range: podCidr stays the primary (IPv4) range, podCidrs lists both', () => {
    const cluster = load(file(DUAL));
    expect(cluster.network.podCidr).toBe('10.244.0.0/16');
    expect(cluster.network.podCidrs).toEqual(['10.244.0.0/16', 'fd00:10:244::/56']);
    expect(cluster.network.serviceCidr).toBe('10.96.0.0/12');
    expect(cluster.network.serviceCidrs).toEqual(['10.96.0.0/12', 'fd00:10:96::/108']);
    const layout = layoutOf(file(DUAL));
    expect(layout.families).toEqual(['IPv4', 'IPv6']);
    expect(layout.podCidrs.map((r) => r.text)).toEqual(['10.244.0.0/16', 'fd00:10:244::/56']);
    expect(layout.podCidr.toCidrString()).toBe('10.244.0.0/16');
    expect(layout.nodeCidrMaskSizeIPv6).toBe(64);
  });

  test("kubeadm's comma string means the same as the list", () => {
    const text = file('{ podCidr: "10.244.0.0/16,fd00:10:244::/56", serviceCidr: "10.96.0.0/12,fd00:10:96::/108" }');
    expect(load(text).network.podCidrs).toEqual(['10.244.0.0/16', 'fd00:10:244::/56']);
    expect(layoutOf(text).families).toEqual(['IPv4', 'IPv6']);
  });

  test('IPv6 ranges are parsed for real and derived in canonical form (RFC 5952: lower case, zeros compressed)', () => {
    const layout = layoutOf(
      file(
        '{ podCidr: [10.244.0.0/16, "FD00:0010:0244:0000::/56"], serviceCidr: [10.96.0.0/12, "fd00:10:96:0:0:0:0:0/108"] }',
      ),
    );
    expect(layout.podCidrs[1].text).toBe('fd00:10:244::/56');
    expect(layout.serviceCidrs[1].text).toBe('fd00:10:96::/108');
  });

  test('an IPv4-only file: one range, one family, podCidrs of one', () => {
    const cluster = load(file('{ podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }'));
    expect(cluster.network.podCidr).toBe('10.244.0.0/16');
    expect(cluster.network.podCidrs).toEqual(['10.244.0.0/16']);
    expect(layoutOf(file('{ podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }')).families).toEqual(['IPv4']);
  });

  test.each([
    [
      'two IPv4 ranges',
      '{ podCidr: [10.244.0.0/16, 10.245.0.0/16], serviceCidr: 10.96.0.0/12 }',
      /c\.yaml:2: network\.podCidr: "10\.244\.0\.0\/16,10\.245\.0\.0\/16" has two IPv4 ranges/,
    ],
    [
      'two IPv6 ranges (comma string)',
      '{ podCidr: "fd00:1::/56,fd00:2::/56", serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: .*has two IPv6 ranges/,
    ],
    [
      'three ranges',
      '{ podCidr: "10.244.0.0/16,fd00:1::/56,fd00:2::/56", serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: expected one range or one IPv4 and one IPv6 range, got 3/,
    ],
    [
      'host bits in an IPv6 range',
      '{ podCidr: [10.244.0.0/16, "fd00:10:244::1/56"], serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: invalid IPv6 CIDR "fd00:10:244::1\/56": host bits are set; the network is fd00:10:244::\/56/,
    ],
    [
      'a zone id',
      '{ podCidr: [10.244.0.0/16, "fe80::%eth0/64"], serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: invalid IPv6 CIDR "fe80::%eth0\/64": a zone id/,
    ],
    [
      'an IPv4-mapped range',
      '{ podCidr: [10.244.0.0/16, "::ffff:10.0.0.0/104"], serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: invalid IPv6 CIDR "::ffff:10\.0\.0\.0\/104": IPv4-mapped/,
    ],
    [
      '/129',
      '{ podCidr: [10.244.0.0/16, "fd00::/129"], serviceCidr: 10.96.0.0/12 }',
      /prefix length 129 is out of range 0-128/,
    ],
    [
      'a prefix length with a leading zero',
      '{ podCidr: [10.244.0.0/16, "fd00:10:244::/056"], serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: invalid IPv6 CIDR "fd00:10:244::\/056": prefix length 056 has a leading zero/,
    ],
    [
      'a group of five hex digits',
      '{ podCidr: [10.244.0.0/16, "fd00:00010::/56"], serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: invalid IPv6 CIDR "fd00:00010::\/56"/,
    ],
    [
      'an IPv6 service range over 20 host bits',
      '{ podCidr: [10.244.0.0/16, fd00:10:244::/56], serviceCidr: [10.96.0.0/12, "fd00:10:96::/64"] }',
      /network\.serviceCidr: IPv6 range "fd00:10:96::\/64" is too large: the API server takes at most 20 host bits \(for 128-bit addresses the mask must be >= 108\)/,
    ],
    [
      'an IPv6 pod range too wide for the default /64 node mask',
      '{ podCidr: [10.244.0.0/16, "fd00:10::/32"], serviceCidr: 10.96.0.0/12 }',
      /network\.nodeCidrMaskSizeIPv6: \/64 does not fit podCidr's IPv6 range fd00:10::\/32: .*at most 16 bits longer \(\/33 to \/48\)/,
    ],
    [
      'a node mask no longer than the IPv6 pod range',
      '{ podCidr: [10.244.0.0/16, fd00:10:244::/64], serviceCidr: 10.96.0.0/12 }',
      /network\.nodeCidrMaskSizeIPv6: \/64 does not fit podCidr's IPv6 range fd00:10:244::\/64/,
    ],
    [
      'overlapping IPv6 pod and service ranges',
      '{ podCidr: [10.244.0.0/16, fd00:10::/56], serviceCidr: [10.96.0.0/12, "fd00:10::/108"] }',
      /network\.serviceCidr: serviceCidr fd00:10::\/108 overlaps podCidr fd00:10::\/56/,
    ],
    [
      'an IPv6 primary range (not supported yet)',
      '{ podCidr: [fd00:10:244::/56, 10.244.0.0/16], serviceCidr: 10.96.0.0/12 }',
      /network\.podCidr: .*starts with an IPv6 range: .*write the IPv4 range first/,
    ],
    [
      'dual-stack services with single-stack pods',
      '{ podCidr: 10.244.0.0/16, serviceCidr: [10.96.0.0/12, fd00:10:96::/108] }',
      /network\.serviceCidr: is dual-stack but podCidr "10\.244\.0\.0\/16" is not/,
    ],
  ])('refuses %s, naming file, field and value', (_what, network, message) => {
    expect(problems(file(network))).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  test('network.nodeCidrMaskSizeIPv6 sets the IPv6 node mask', () => {
    const text = file(
      '{ podCidr: [10.244.0.0/16, "fd00:10::/48"], serviceCidr: 10.96.0.0/12, nodeCidrMaskSizeIPv6: 56 }',
    );
    expect(layoutOf(text).nodeCidrMaskSizeIPv6).toBe(56);
  });

  test("a LAN's cidr takes a dual-stack list: cidr stays the IPv4 range, cidrs lists both", () => {
    const lans = (cidrs: string) =>
      `lans:\n  - { name: a, cidr: ${cidrs} }\n  - { name: b, cidr: [192.168.2.0/24, "fd00:2::/64"] }\n`;
    const cluster = load(
      file('{ podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }', lans('[192.168.1.0/24, "fd00:1::/64"]')),
    );
    expect(cluster.lans[0].cidr).toBe('192.168.1.0/24');
    expect(cluster.lans[0].cidrs).toEqual(['192.168.1.0/24', 'fd00:1::/64']);
    expect(
      problems(file('{ podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }', lans('[192.168.1.0/24, "fd00:2::/80"]'))),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/c\.yaml:6: lans\[1\]\.cidr: "fd00:2::\/64" overlaps LAN "a" fd00:2::\/80/),
      ]),
    );
    expect(
      problems(file('{ podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }', lans('"192.168.1.0/24,192.168.3.0/24"'))),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/lans\[0\]\.cidr: .*has two IPv4 ranges/)]));
  });
});

describe('pod subnets per family, per node', () => {
  const nodes =
    'nodes:\n' +
    '  - { name: a, ssh: { host: 10.250.0.1 } }\n' +
    '  - { name: pinned, ssh: { host: 10.250.0.2 }, podSubnet: 10.244.0.0/24 }\n' +
    '  - { name: r, role: host, ssh: { host: 10.250.0.3 } }\n' +
    '  - { name: b, ssh: { host: 10.250.0.4 } }\n';
  const dual = file(
    '{ podCidr: [10.244.0.0/16, fd00:10:244::/56], serviceCidr: [10.96.0.0/12, fd00:10:96::/108] }',
    `cni: { plugin: bridge }\n${nodes}`,
  );

  test('every Kubernetes node gets one IPv4 and one IPv6 slice, in file order; pinned IPv4 ones are skipped', () => {
    const { byNode } = podSubnets(load(dual));
    expect([...byNode.values()].map((s) => [s.node, s.cidr, s.ipv6, s.source])).toEqual([
      ['a', '10.244.1.0/24', 'fd00:10:244::/64', 'allocated'],
      ['pinned', '10.244.0.0/24', 'fd00:10:244:1::/64', 'podSubnet'],
      ['b', '10.244.2.0/24', 'fd00:10:244:2::/64', 'allocated'],
    ]);
  });

  test('network.nodeCidrMaskSizeIPv6 sizes the IPv6 slices', () => {
    const text = dual.replace('serviceCidr: [', 'nodeCidrMaskSizeIPv6: 60, serviceCidr: [');
    expect(podSubnets(load(text)).byNode.get('b')?.ipv6).toBe('fd00:10:244:20::/60');
  });

  test('more nodes than IPv6 slices is an error naming the node', () => {
    const text = dual.replace('fd00:10:244::/56', 'fd00:10:244::/63');
    expect(problems(text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /c\.yaml:8: nodes\[3\]: no free \/64 left in network\.podCidr's IPv6 range fd00:10:244::\/63 for node b/,
        ),
      ]),
    );
  });

  test('validate prints both columns for a dual-stack cluster, and the table as before for an IPv4-only one', () => {
    expect(formatPodSubnetTable(load(dual))).toBe(
      [
        'NODE    ROLE    POD SUBNET     IPV6 POD SUBNET     FROM',
        'a       worker  10.244.1.0/24  fd00:10:244::/64    allocated',
        'pinned  worker  10.244.0.0/24  fd00:10:244:1::/64  podSubnet',
        'r       host    -              -                   not a Kubernetes node',
        'b       worker  10.244.2.0/24  fd00:10:244:2::/64  allocated',
        '',
      ].join('\n'),
    );
    const v4 = file('{ podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }', `cni: { plugin: bridge }\n${nodes}`);
    expect(formatPodSubnetTable(load(v4)).split('\n')[0]).toBe('NODE    ROLE    POD SUBNET     FROM');
    expect([...podSubnets(load(v4)).byNode.values()].every((s) => s.ipv6 === undefined)).toBe(true);
  });
});

describe('netstrap validate on a dual-stack file', () => {
  const tempDir = tempDirs();
  const write = (text: string): string => {
    const at = path.join(tempDir('netstrap-dual-'), 'c.yaml');
    fs.writeFileSync(at, text);
    return at;
  };
  const text = file(
    '{ podCidr: [10.244.0.0/16, "fd00:10:244::/56"], serviceCidr: "10.96.0.0/12,fd00:10:96::/108" }',
    'cni: { plugin: bridge }\nnodes:\n  - { name: n1, ssh: { host: 10.250.0.1 } }\n',
  );

  test('prints both ranges and both pod subnet columns (exit 0)', () => {
    const at = write(text);
    const run = netstrap(['validate', at]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(
      `${at}: ok: cluster c: pods 10.244.0.0/16 + fd00:10:244::/56, services 10.96.0.0/12 + fd00:10:96::/108, dns 10.96.0.10; 0 services, 0 ingresses, 0 network policies; 1 node\n` +
        'NODE  ROLE    POD SUBNET     IPV6 POD SUBNET   FROM\n' +
        'n1    worker  10.244.0.0/24  fd00:10:244::/64  allocated\n',
    );
  });

  test('a bad IPv6 range: exit 2, file, field and value on stderr, no stack trace', () => {
    const at = write(text.replace('fd00:10:244::/56', 'fd00:10:244::1/56'));
    const run = netstrap(['validate', at]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `${at}:2: network.podCidr: invalid IPv6 CIDR "fd00:10:244::1/56": host bits are set; the network is fd00:10:244::/56\n`,
    );
  });
});
