import { withLine } from '../support/lines';
import { checkCluster } from '../../src/model/load';
import { issueLines } from '../support/errors';
import { netstrap } from '../support/lab';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dump as stringify } from 'js-yaml';

/** A one-node cluster with the seed's host intents; `patch` changes node01. */
function cluster(patch: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'intents',
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    nodes: [
      {
        name: 'node01',
        ssh: { host: '10.250.40.11' },
        interfaces: [{ name: 'eth0', addresses: ['192.168.1.11/24'] }],
        sysctls: { 'net.ipv4.ip_forward': 1 },
        routes: [{ to: '192.168.2.0/24', via: '192.168.1.1' }],
        bridges: [{ name: 'v-net-0', addresses: ['192.168.15.5/24'] }],
        namespaces: [
          {
            name: 'red',
            veth: { hostSide: 'veth-red', bridge: 'v-net-0', address: '192.168.15.1/24' },
            defaultRoute: '192.168.15.5',
          },
        ],
        nat: {
          masquerade: [{ source: '192.168.15.0/24', outInterface: 'eth0' }],
          portForwards: [{ protocol: 'tcp', port: 80, to: '192.168.15.1:80' }],
        },
        ...patch,
      },
    ],
    ...top,
  };
}

function issues(raw: Record<string, unknown>): string[] {
  return issueLines(() => checkCluster(raw, 'c.yaml'));
}

describe('host intent checks (nodes[].routes, bridges, namespaces, nat, resolv, cniConflists)', () => {
  it("accepts the seed's intents", () => {
    expect(issues(cluster())).toEqual([]);
  });

  it('rejects a route whose gateway is on no network of the node, and a bad destination', () => {
    expect(
      issues(
        cluster({
          routes: [
            { to: '192.168.2.0/24', via: '192.168.9.1' },
            { to: '10.1.2.3/8', via: '192.168.1.1' },
          ],
        }),
      ),
    ).toEqual([
      'c.yaml: nodes[0].routes[0].via: gateway "192.168.9.1" is not on a network of node "node01" (eth0 192.168.1.0/24, v-net-0 192.168.15.0/24)',
      'c.yaml: nodes[0].routes[1].to: invalid CIDR "10.1.2.3/8": host bits are set; the network is 10.0.0.0/8 (or "default")',
    ]);
    expect(issues(cluster({ routes: [{ to: 'default', via: '192.168.1.1', dev: 'v-net-0' }] }))).toEqual([
      'c.yaml: nodes[0].routes[0].via: gateway "192.168.1.1" is not on a network of node "node01" via v-net-0 (v-net-0 192.168.15.0/24)',
    ]);
  });

  it('rejects a namespace plugged into an undeclared bridge, or with a default route off its network', () => {
    expect(
      issues(
        cluster({
          namespaces: [
            {
              name: 'red',
              veth: { hostSide: 'veth-red', bridge: 'v-net-9', address: '192.168.15.1/24' },
              defaultRoute: '10.0.0.1',
            },
          ],
        }),
      ),
    ).toEqual([
      'c.yaml: nodes[0].namespaces[0].veth.bridge: unknown bridge "v-net-9": declare it in nodes[0].bridges (bridges: v-net-0)',
      'c.yaml: nodes[0].namespaces[0].defaultRoute: gateway "10.0.0.1" is not on the namespace\'s network 192.168.15.0/24 (veth.address "192.168.15.1/24")',
    ]);
  });

  it('rejects names used twice on a node (bridge = interface, two veths with one host side, two namespaces)', () => {
    const ns = { name: 'red', veth: { hostSide: 'veth-red', address: '192.168.15.1/24' } };
    expect(
      issues(cluster({ bridges: [{ name: 'eth0' }], namespaces: [ns, ns], nat: { masquerade: [], portForwards: [] } })),
    ).toEqual([
      'c.yaml: nodes[0].bridges[0].name: "eth0" is already an interface on node "node01"',
      'c.yaml: nodes[0].namespaces[1].name: duplicate namespace name "red" on node "node01"',
      'c.yaml: nodes[0].namespaces[1].veth.hostSide: "veth-red" is already the host side of namespace "red"\'s veth on node "node01"',
      'c.yaml: nodes[0].namespaces[1].veth.address: address 192.168.15.1 is already on namespace red of node "node01"',
    ]);
  });

  it('rejects gateways the node cannot use: its own address, a broadcast address, no network at all; routes for a connected LAN; reused addresses', () => {
    expect(
      issues(
        cluster({
          routes: [
            { to: '10.1.0.0/16', via: '192.168.1.11' },
            { to: '10.2.0.0/16', via: '192.168.1.255' },
            { to: '192.168.1.0/24', via: '192.168.1.1' },
          ],
          bridges: [{ name: 'v-net-0', addresses: ['192.168.1.11/24'] }],
          namespaces: [
            { name: 'red', veth: { hostSide: 'veth-red', address: '10.9.0.2/24' }, defaultRoute: '10.9.0.1' },
            {
              name: 'blue',
              veth: { hostSide: 'veth-blue', bridge: 'v-net-0', address: '192.168.1.20/24' },
              defaultRoute: '192.168.1.30',
            },
          ],
          nat: { masquerade: [], portForwards: [] },
        }),
      ),
    ).toEqual([
      'c.yaml: nodes[0].bridges[0].addresses[0]: address 192.168.1.11 is already on interface eth0 of node "node01"',
      'c.yaml: nodes[0].namespaces[0].defaultRoute: gateway "10.9.0.1" cannot be reached: the veth\'s host side "veth-red" has no address; plug it into a bridge (veth.bridge) that has the gateway address',
      'c.yaml: nodes[0].namespaces[1].defaultRoute: gateway "192.168.1.30" is neither an address of bridge "v-net-0" nor of a namespace on it: the namespace has no path to it',
      'c.yaml: nodes[0].routes[0].via: gateway "192.168.1.11" is node "node01"\'s own address (interface eth0)',
      'c.yaml: nodes[0].routes[1].via: gateway "192.168.1.255" is the broadcast address of eth0 192.168.1.0/24',
      'c.yaml: nodes[0].routes[2].to: "192.168.1.0/24" is the connected network of eth0: the kernel routes it already; a gateway route for it would break the LAN',
    ]);
    expect(
      issues(
        cluster({
          interfaces: [],
          routes: [{ to: 'default', via: '192.168.1.1' }],
          bridges: [],
          namespaces: [],
          nat: { masquerade: [], portForwards: [] },
        }),
      ),
    ).toContain('c.yaml: nodes[0].routes[0].via: gateway "192.168.1.1" is not on a network of node "node01" (none)');
  });

  it('rejects a DNAT target that is not ip:port, NAT without ip_forward, and unknown NAT devices', () => {
    expect(
      issues(
        cluster({
          sysctls: {},
          nat: {
            masquerade: [{ source: '192.168.15.0/24', outInterface: 'eth9' }],
            portForwards: [{ protocol: 'tcp', port: 80, to: '192.168.15.1' }],
          },
        }),
      ),
    ).toEqual([
      'c.yaml: nodes[0].nat.masquerade[0].outInterface: unknown device "eth9": declare it in nodes[0].interfaces or bridges (devices: eth0, v-net-0, veth-red)',
      'c.yaml: nodes[0].nat.portForwards[0].to: must be ip:port with an IPv4 address, or [ip]:port with an IPv6 address, and a port 1-65535, e.g. 10.10.0.3:80 or [fd00::3]:80 (got "192.168.15.1")',
      'c.yaml: nodes[0].nat: NAT forwards packets between interfaces, so node "node01" needs sysctls: { net.ipv4.ip_forward: 1 } (or kubernetesPrerequisites: true)',
    ]);
  });

  it('rejects 127.0.0.53 as a nameserver of a CoreDNS node, more than 3 nameservers, and conflists weave would not use', () => {
    expect(
      issues(
        cluster({
          runsCoreDns: true,
          cniConflists: true,
          resolv: { nameservers: ['127.0.0.53', '1.1.1.1', '8.8.8.8', '9.9.9.9'] },
        }),
      ),
    ).toEqual([
      'c.yaml: nodes[0].resolv.nameservers[0]: "127.0.0.53" is systemd-resolved\'s stub: CoreDNS on node "node01" would forward to itself and its loop plugin would crash; list the real upstream servers',
      'c.yaml: nodes[0].resolv.nameservers: lists 4 nameservers; the resolver uses only the first 3',
      'c.yaml: nodes[0].cniConflists: cni.plugin "weave" writes its own CNI configuration; netstrap writes conflists only for cni.plugin bridge or conflist',
    ]);
  });

  it('the CLI rejects shell metacharacters in an interface name with exit 2, naming file, field and value, touching nothing', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'intents-'));
    try {
      const file = path.join(dir, 'bad.yaml');
      const text = stringify(
        cluster({ routes: [{ to: '192.168.2.0/24', via: '192.168.1.1', dev: 'eth0;touch /tmp/pwned' }] }),
      );
      fs.writeFileSync(file, text);
      const run = netstrap(['plan', file]);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(
        withLine(file, text)(`${file}: nodes[0].routes[0].dev: must be a Linux interface name`),
      );
      expect(run.stderr).toMatch(/bad\.yaml:\d+: nodes/);
      expect(fs.existsSync('/tmp/pwned')).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('the same route destination twice with the same metric is refused in any spelling; other metrics (failover) are allowed', () => {
  expect(
    issues(
      cluster({
        routes: [
          { to: 'default', via: '192.168.1.1' },
          { to: '0.0.0.0/0', via: '192.168.1.2' },
        ],
      }),
    ),
  ).toEqual([
    expect.stringMatching(
      /nodes\[0\]\.routes\[1\]: duplicate route to "0\.0\.0\.0\/0" with metric 0 \(same destination as "default"/,
    ),
  ]);
  expect(
    issues(
      cluster({
        routes: [
          { to: '10.9.9.9/32', via: '192.168.1.1', metric: 5 },
          { to: '10.9.9.9/32', via: '192.168.1.2', metric: 5 },
        ],
      }),
    ),
  ).toEqual([expect.stringContaining('nodes[0].routes[1]: duplicate route to "10.9.9.9/32" with metric 5')]);
  expect(
    issues(
      cluster({
        routes: [
          { to: 'default', via: '192.168.1.1' },
          { to: '0.0.0.0/0', via: '192.168.1.2', metric: 100 },
        ],
      }),
    ),
  ).toEqual([]);
});
