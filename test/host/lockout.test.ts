/**
 * The lock-out guard's judgement, on the real plans of the resource kinds for a node whose facts are those of a lab
 * node (management interface mgmt0 10.250.50.11/24, the controller at 10.250.50.254, a LAN on eth0): which changes
 * would alter the SSH session's path, and which cluster-file entry asks for them. The same cases run against real
 * nodes in lockout.lab.test.ts; this covers the rest of the rules. Also the static check of `netstrap validate`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { findRefusals } from '../../src/host/disruption';
import { disruptionChecks } from '../../src/host/guards';
import { parseSession, sshPathCheck, staticLockoutIssues, winningRoute } from '../../src/host/lockout';
import { planNode } from '../../src/host/node-plan';
import { resourceKinds } from '../../src/host/resources';
import { FactSet, type FactOutputs } from '../../src/host/fact';
import { checkCluster } from '../../src/model/load';
import { formatPath } from '../../src/model/errors';
import { netstrap } from '../support/lab';
import { tempDirs } from '../support/temp';

const links = [
  { ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536 },
  { ifname: 'mgmt0', flags: ['BROADCAST', 'UP'], mtu: 1500 },
  { ifname: 'eth0', flags: ['BROADCAST', 'UP'], mtu: 1500 },
];
const addrs = [
  { ...links[1], addr_info: [{ family: 'inet', local: '10.250.50.11', prefixlen: 24 }] },
  { ...links[2], addr_info: [{ family: 'inet', local: '192.168.51.11', prefixlen: 24 }] },
];
const routes = [
  { dst: '10.250.50.0/24', dev: 'mgmt0', protocol: 'kernel', scope: 'link', prefsrc: '10.250.50.11' },
  { dst: '192.168.51.0/24', dev: 'eth0', protocol: 'kernel', scope: 'link', prefsrc: '192.168.51.11' },
];
const session =
  'ssh:10.250.50.254 40022 10.250.50.11 22\n[{"dst":"10.250.50.254","dev":"mgmt0","prefsrc":"10.250.50.11","flags":[],"uid":0,"cache":[]}]\n';
const facts: FactOutputs = {
  'ip-link': JSON.stringify(links),
  'ip-addr': JSON.stringify(addrs),
  'ip-route': JSON.stringify(routes),
  'ssh-session': session,
};

/** A one-node cluster whose node declares `extra`; the refusals its plan gets on the facts above. */
function refusalsFor(extra: Record<string, unknown>, sessionFact = session) {
  const model = checkCluster(
    {
      name: 'guard',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      nodes: [
        {
          name: 'n1',
          ssh: { host: '10.250.50.11' },
          interfaces: [{ name: 'eth0', addresses: ['192.168.51.11/24'] }],
          ...extra,
        },
      ],
      lab: { managementCidr: '10.250.50.0/24' },
    },
    'guard.yaml',
  );
  const node = model.cluster.nodes[0];
  const withSession = new FactSet({ ...facts, 'ssh-session': sessionFact });
  const changes = planNode(node, model.cluster, resourceKinds, withSession);
  return findRefusals(disruptionChecks, { node, cluster: model.cluster, facts: withSession, changes });
}

test('SSH_CONNECTION and the route to the client are read from the session fact', () => {
  expect(parseSession(facts['ssh-session'])).toEqual({
    client: '10.250.50.254',
    clientPort: 40022,
    server: '10.250.50.11',
    serverPort: 22,
    dev: 'mgmt0',
    gateway: undefined,
  });
  expect(parseSession('ssh:\n')).toBeUndefined();
  expect(
    winningRoute(
      [...routes, { dst: 'default', gateway: '192.168.51.1' }, { dst: '10.250.50.254', gateway: '192.168.51.12' }],
      '10.250.50.254',
    ),
  ).toMatchObject({ dst: '10.250.50.254' });
});

test('the three lock-outs of issue 9 are refused, each naming its cluster-file entry', () => {
  expect(refusalsFor({ routes: [{ to: '10.250.50.0/24', via: '192.168.51.12' }] })).toEqual([
    {
      entry: 'nodes[0].routes[0]',
      change: 'route 10.250.50.0/24',
      reason: expect.stringMatching(
        /^would replace the route this SSH session \(10\.250\.50\.254 → 10\.250\.50\.11:22\) takes to the controller 10\.250\.50\.254 \(now 10\.250\.50\.0\/24 dev mgmt0\)/,
      ),
    },
  ]);
  expect(refusalsFor({ routes: [{ to: '10.250.50.254/32', via: '192.168.51.12' }] })).toEqual([
    expect.objectContaining({
      entry: 'nodes[0].routes[0]',
      reason: expect.stringMatching(/^would take over the route this SSH session/),
    }),
  ]);
  expect(
    refusalsFor({
      sysctls: { 'net.ipv4.ip_forward': 1 },
      nat: { portForwards: [{ protocol: 'tcp', port: 22, to: '192.168.51.12:22' }] },
    }),
  ).toEqual([
    expect.objectContaining({
      entry: 'nodes[0].nat.portForwards[0]',
      reason: expect.stringMatching(/^would DNAT tcp port 22, the port of this SSH session/),
    }),
  ]);
});

test('changes that leave the path alone are not refused', () => {
  // Other destinations, a less specific route, a route with a worse metric, the same path, the session's port
  // forwarded on another interface, another port, an MTU that is already there.
  expect(
    refusalsFor({
      sysctls: { 'net.ipv4.ip_forward': 1 },
      routes: [
        { to: '10.99.0.0/16', via: '192.168.51.12' },
        { to: 'default', via: '192.168.51.12' },
        { to: '10.250.0.0/16', via: '192.168.51.12' },
        { to: '10.250.50.0/24', via: '192.168.51.12', metric: 100 },
      ],
      nat: {
        portForwards: [
          { protocol: 'tcp', port: 22, to: '192.168.51.12:22', inInterface: 'eth0' },
          { protocol: 'tcp', port: 2222, to: '192.168.51.12:22' },
        ],
      },
    }),
  ).toEqual([]);
  expect(refusalsFor({ interfaces: [{ name: 'mgmt0', addresses: [], mtu: 1500 }] })).toEqual([]);
  // No SSH_CONNECTION (a script not run by sshd): nothing to judge by.
  expect(refusalsFor({ routes: [{ to: '10.250.50.0/24', via: '192.168.51.12' }] }, 'ssh:\n')).toEqual([]);
});

test("the session's interface: an MTU change is refused, naming the interface entry", () => {
  expect(refusalsFor({ interfaces: [{ name: 'mgmt0', addresses: [], mtu: 1400 }] })).toEqual([
    expect.objectContaining({
      entry: 'nodes[0].interfaces[0].mtu',
      reason: expect.stringMatching(
        /^would change the MTU of mgmt0, the interface of this SSH session .* from 1500 to 1400/,
      ),
    }),
  ]);
});

test("commands of any kind are judged by what they run: the session's address, link, bridge, namespace, route, port", () => {
  const node = checkCluster(
    {
      name: 'guard',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      nodes: [{ name: 'n1', ssh: { host: '10.250.50.11' } }],
    },
    'g.yaml',
  );
  const change = (argv: string[]) => ({
    kind: 'link',
    target: 'x',
    before: 'a',
    after: 'b',
    apply: [{ argv }],
    revert: [],
  });
  const judge = (argv: string[]) =>
    sshPathCheck.check({
      node: node.cluster.nodes[0],
      cluster: node.cluster,
      facts: new FactSet(facts),
      changes: [change(argv)],
    });
  expect(judge(['ip', 'addr', 'del', '10.250.50.11/24', 'dev', 'mgmt0'])[0].reason).toMatch(
    /^would remove 10\.250\.50\.11, the address this SSH session .* is connected to/,
  );
  expect(judge(['ip', 'link', 'set', 'dev', 'mgmt0', 'master', 'br0'])[0].reason).toMatch(
    /^would put mgmt0, the interface of this SSH session .* into bridge br0/,
  );
  expect(judge(['ip', 'link', 'set', 'dev', 'mgmt0', 'down'])[0].reason).toMatch(/^would take down mgmt0/);
  expect(judge(['ip', 'link', 'set', 'dev', 'mgmt0', 'netns', 'red'])[0].reason).toMatch(
    /^would move mgmt0, .* into network namespace red/,
  );
  expect(judge(['ip', 'route', 'del', '10.250.50.0/24'])[0]).toMatchObject({
    entry: 'nodes[0] (no longer declared)',
    reason: expect.stringMatching(/^would delete 10\.250\.50\.0\/24 dev mgmt0/),
  });
  expect(
    judge([
      'iptables',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-p',
      'tcp',
      '--dport',
      '20:30',
      '-j',
      'REDIRECT',
      '--to-ports',
      '2022',
    ])[0].reason,
  ).toMatch(/^would REDIRECT tcp port 22/);
  // Inside another namespace, on another interface, for another client: nothing.
  expect(judge(['ip', '-n', 'red', 'link', 'set', 'dev', 'mgmt0', 'down'])).toEqual([]);
  expect(judge(['ip', 'link', 'set', 'dev', 'eth0', 'down'])).toEqual([]);
  expect(
    judge([
      'iptables',
      '-t',
      'nat',
      '-A',
      'PREROUTING',
      '-s',
      '192.168.0.0/16',
      '-p',
      'tcp',
      '--dport',
      '22',
      '-j',
      'DNAT',
      '--to-destination',
      '1.2.3.4',
    ]),
  ).toEqual([]);
});

test('validate: the lock-outs the cluster file alone shows', () => {
  const issues = (nodes: unknown[]) =>
    staticLockoutIssues(
      checkCluster(
        {
          name: 'guard',
          network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
          nodes,
          lab: { managementCidr: '10.250.50.0/24' },
        },
        'guard.yaml',
      ).cluster,
    ).map((i) => `${formatPath(i.path)}: ${i.message}`);
  const lan = { name: 'eth0', addresses: ['192.168.51.11/24'] };
  expect(
    issues([
      {
        name: 'n1',
        ssh: { host: '10.250.50.11' },
        interfaces: [lan],
        sysctls: { 'net.ipv4.ip_forward': 1 },
        routes: [
          { to: '10.250.50.0/24', via: '192.168.51.12' },
          { to: '10.250.50.254/32', via: '192.168.51.12' },
          { to: '10.99.0.0/16', via: '192.168.51.12' },
        ],
        nat: { portForwards: [{ protocol: 'tcp', port: 22, to: '192.168.51.12:22' }] },
      },
    ]),
  ).toEqual([
    expect.stringMatching(
      /^nodes\[0\]\.nat\.portForwards\[0\]: DNAT of tcp\/22 to 192\.168\.51\.12:22 would lock netstrap out/,
    ),
    expect.stringMatching(
      /^nodes\[0\]\.routes\[0\]: route 10\.250\.50\.0\/24 via 192\.168\.51\.12 would lock netstrap out: it replaces the connected route/,
    ),
    expect.stringMatching(
      /^nodes\[0\]\.routes\[1\]: route 10\.250\.50\.254\/32 via 192\.168\.51\.12 would lock netstrap out: it takes over the route to the lab controller 10\.250\.50\.254/,
    ),
  ]);
  // ssh.host on a declared interface: a gateway route for that interface's own network is already refused by the
  // model's host-intent checks (a route for the node's connected LAN), before the lock-out guard is asked.
  expect(() =>
    issues([
      {
        name: 'n1',
        ssh: { host: '192.168.51.11' },
        interfaces: [lan, { name: 'eth1', addresses: ['192.168.52.11/24'] }],
        sysctls: { 'net.ipv4.ip_forward': 1 },
        routes: [{ to: '192.168.51.0/24', via: '192.168.52.1' }],
        nat: { portForwards: [{ protocol: 'tcp', port: 22, to: '192.168.52.12:22', inInterface: 'eth1' }] },
      },
    ]),
  ).toThrow(/nodes\[0\]\.routes\[0\]\.to: "192\.168\.51\.0\/24" is the connected network of eth0/);
});

describe('netstrap validate', () => {
  const tempDir = tempDirs();
  test('a lock-out is an error naming file, field and value (exit 2); with --allow-disruption a warning (exit 0)', () => {
    const file = path.join(tempDir('i9b-validate-'), 'lockout.yaml');
    fs.writeFileSync(
      file,
      [
        'name: guard',
        'network: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }',
        'nodes:',
        '  - name: n1',
        '    ssh: { host: 10.250.50.11 }',
        '    sysctls: { net.ipv4.ip_forward: 1 }',
        '    nat: { portForwards: [{ protocol: tcp, port: 22, to: "192.168.51.12:22" }] }',
        // The DNAT's target is a node of the file (a target no node holds is a warning of its own).
        '  - name: n2',
        '    ssh: { host: 10.250.50.12 }',
        '    interfaces: [{ name: eth0, addresses: [192.168.51.12/24] }]',
        'lab: { managementCidr: 10.250.50.0/24 }',
        '',
      ].join('\n'),
    );
    const strict = netstrap(['validate', file]);
    expect(strict.status).toBe(2);
    expect(strict.stderr).toBe(
      `${file}: nodes[0].nat.portForwards[0]: DNAT of tcp/22 to 192.168.51.12:22 would lock netstrap out: it is the port of ` +
        'ssh.host 10.250.50.11 (bootstrap refuses it; --allow-disruption applies it under commit-confirm, which reverts it)\n',
    );
    const allowed = netstrap(['validate', file, '--allow-disruption']);
    expect(allowed.status).toBe(0);
    expect(allowed.stderr).toMatch(/^warning: .*portForwards\[0\]: DNAT of tcp\/22/);
    expect(allowed.stdout).toContain(': ok: cluster guard');
  });
});
