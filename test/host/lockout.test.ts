/**
 * The lock-out guard's judgement, on the real plans of the resource kinds for a node whose facts are those of a lab
 * node (management interface mgmt0 10.250.50.11/24, the controller at 10.250.50.254, a LAN on eth0): which changes
 * would alter the SSH session's path, and which cluster-file entry asks for them. The same cases run against real
 * nodes in lockout.lab.test.ts; this covers the rest of the rules. Also the static check of `netstrap validate`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describeRefusal, findRefusals, findWarnings } from '../../src/host/disruption';
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
  'ip-addr': JSON.stringify(addrs),
  'ip-route': JSON.stringify(routes),
  'ssh-session': session,
};

/** A one-node cluster whose node declares `extra`; the refusals its plan gets on the facts above. */
function refusalsFor(extra: Record<string, unknown>, sessionFact = session, moreFacts: FactOutputs = {}) {
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
  const withSession = new FactSet({ ...facts, 'ssh-session': sessionFact, ...moreFacts });
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
      `${file}:7: nodes[0].nat.portForwards[0]: DNAT of tcp/22 to 192.168.51.12:22 would lock netstrap out: it is the port of ` +
        'ssh.host 10.250.50.11 (bootstrap refuses it; --allow-disruption applies it under commit-confirm, which reverts it)\n',
    );
    const allowed = netstrap(['validate', file, '--allow-disruption']);
    expect(allowed.status).toBe(0);
    expect(allowed.stderr).toMatch(/^warning: .*portForwards\[0\]: DNAT of tcp\/22/);
    expect(allowed.stdout).toContain(': ok: cluster guard');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Over IPv6 (issue 21): the same node reached at fd00:250:50::11 from the controller fd00:250:50::fe on mgmt0.

const routes6 = [
  { dst: 'fd00:250:50::/64', dev: 'mgmt0', protocol: 'kernel', metric: 256 },
  { dst: 'fd00:51::/64', dev: 'eth0', protocol: 'kernel', metric: 256 },
  { dst: 'fe80::/64', dev: 'mgmt0', protocol: 'kernel', metric: 256 },
  { dst: 'fe80::/64', dev: 'eth0', protocol: 'kernel', metric: 256 },
];
const session6 =
  'ssh:fd00:250:50::fe 40022 fd00:250:50::11 22\n[{"dst":"fd00:250:50::fe","dev":"mgmt0","prefsrc":"fd00:250:50::11","metric":256,"flags":[],"pref":"medium"}]\n';
/** The controller off-link: the session leaves by a default route a router advertisement gave, on eth0. */
const raDefault = { dst: 'default', gateway: 'fe80::1', dev: 'eth0', protocol: 'ra', metric: 1024, expires: 1790 };
const sessionViaRa =
  'ssh:fd00:99::fe 40022 fd00:51::11 22\n[{"dst":"fd00:99::fe","gateway":"fe80::1","dev":"eth0","protocol":"ra","prefsrc":"fd00:51::11","metric":1024,"flags":[],"pref":"medium"}]\n';

/** The guard's refusals of single commands, judged on the facts above with the session `sessionFact`. */
function judge6(argv: string[], sessionFact = session6, extra: FactOutputs = {}) {
  const model = checkCluster(
    {
      name: 'guard',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      nodes: [{ name: 'n1', ssh: { host: '10.250.50.11' } }],
    },
    'g.yaml',
  );
  return sshPathCheck.check({
    node: model.cluster.nodes[0],
    cluster: model.cluster,
    facts: new FactSet({
      ...facts,
      // One section holds both families' main routes (ip -j route show table all).
      'ip-route': JSON.stringify([
        ...JSON.parse(facts['ip-route'] || '[]'),
        ...(sessionFact === sessionViaRa ? [...routes6, raDefault] : routes6),
      ]),
      'ssh-session': sessionFact,
      ...extra,
    }),
    changes: [{ kind: 'route', target: 'x', before: 'a', after: 'b', apply: [{ argv }], revert: [] }],
  });
}

test('an IPv6 session: addresses canonical, an IPv4-mapped client as IPv4, a link-local zone id as the interface', () => {
  expect(parseSession('ssh:FD00:250:50:0::fe 40022 fd00:250:50::11 22\n')).toMatchObject({
    client: 'fd00:250:50::fe',
    server: 'fd00:250:50::11',
  });
  expect(parseSession('ssh:::ffff:10.250.50.254 40022 ::ffff:10.250.50.11 22\n')).toMatchObject({
    client: '10.250.50.254',
    server: '10.250.50.11',
  });
  expect(parseSession('ssh:fe80::fe%mgmt0 40022 fe80::11%mgmt0 22\n')).toMatchObject({
    client: 'fe80::fe',
    dev: 'mgmt0',
  });
});

test('an IPv6 session: what would cut it is refused, judged on the IPv6 routing table and ip6tables', () => {
  expect(judge6(['ip', '-6', 'route', 'replace', 'fd00:250:50::fe/128', 'via', 'fd00:51::12'])[0].reason).toMatch(
    /^would take over the route this SSH session \(fd00:250:50::fe → \[fd00:250:50::11\]:22\) takes to the controller fd00:250:50::fe \(now fd00:250:50::\/64 dev mgmt0 metric 256\)/,
  );
  // iproute2 takes the family from the destination: no -6 needed.
  expect(
    judge6(['ip', 'route', 'replace', 'fd00:250:50::/64', 'via', 'fd00:51::12', 'metric', '256'])[0].reason,
  ).toMatch(/^would replace the route this SSH session/);
  expect(judge6(['ip', 'addr', 'del', 'fd00:250:50:0:0::11/64', 'dev', 'mgmt0'])[0].reason).toMatch(
    /^would remove fd00:250:50::11, the address this SSH session .* is connected to/,
  );
  const dnat = ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '22', '-j', 'DNAT'];
  expect(judge6(['ip6tables', ...dnat, '--to-destination', '[fd00:51::12]:22'])[0].reason).toMatch(
    /^would DNAT tcp port 22, the port of this SSH session .*, to \[fd00:51::12\]:22/,
  );
  // The session's default route learnt from a router advertisement: replaced or deleted.
  expect(judge6(['ip', '-6', 'route', 'replace', 'default', 'via', 'fd00:51::99'], sessionViaRa)[0].reason).toMatch(
    /^would replace the route this SSH session \(fd00:99::fe → \[fd00:51::11\]:22\) takes to the controller fd00:99::fe \(now default via fe80::1 dev eth0 metric 1024\)/,
  );
  expect(judge6(['ip', 'route', 'replace', 'default', 'via', 'fd00:51::99'], sessionViaRa)).toHaveLength(1);
  expect(judge6(['ip', '-6', 'route', 'del', 'default'], sessionViaRa)[0].reason).toMatch(
    /^would delete default via fe80::1/,
  );
});

test('an IPv6 session: the other family, a losing metric, another namespace are left alone', () => {
  const dnat = ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '22', '-j', 'DNAT'];
  expect(judge6(['iptables', ...dnat, '--to-destination', '192.168.51.12:22'])).toEqual([]);
  expect(judge6(['ip', 'route', 'replace', 'default', 'via', '192.168.51.1'], sessionViaRa)).toEqual([]);
  expect(judge6(['ip', 'route', 'del', 'default'], sessionViaRa)).toEqual([]);
  // The kernel's connected route has metric 256; an IPv6 route without one gets 1024 and loses.
  expect(judge6(['ip', '-6', 'route', 'replace', 'fd00:250:50::/64', 'via', 'fd00:51::12'])).toEqual([]);
  expect(judge6(['ip', '-n', 'red', '-6', 'route', 'replace', 'fd00:250:50::fe/128', 'via', 'fd00:51::12'])).toEqual(
    [],
  );
  // And an IPv4 session is not judged on ip6tables rules.
  expect(judge6(['ip6tables', ...dnat, '--to-destination', '[fd00:51::12]:22'], session)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------------------
// The accept_ra trap: turning IPv6 forwarding on drops default routes learnt from router advertisements.

/** A one-node plan's refusals and warnings where live IPv6 forwarding is 0 and eth0's default route came from an RA. */
function raGuard(sysctls: Record<string, number>, sessionFact = sessionViaRa, acceptRa = 1) {
  const model = checkCluster(
    {
      name: 'guard',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      nodes: [{ name: 'n1', ssh: { host: '10.250.50.11' }, sysctls }],
    },
    'guard.yaml',
  );
  const node = model.cluster.nodes[0];
  const withFacts = new FactSet({
    ...facts,
    'ssh-session': sessionFact,
    'ip-route': JSON.stringify([...JSON.parse(facts['ip-route'] || '[]'), ...routes6, raDefault]),
    'sysctl-values': Object.keys(sysctls)
      .map((k) => `${k} = ${k.endsWith('accept_ra') ? acceptRa : 0}`)
      .join('\n'),
    'ipv6-ra-conf': [
      `/proc/sys/net/ipv6/conf/eth0/accept_ra:${acceptRa}`,
      '/proc/sys/net/ipv6/conf/mgmt0/accept_ra:1',
      '/proc/sys/net/ipv6/conf/all/forwarding:0',
      '/proc/sys/net/ipv6/conf/eth0/forwarding:0',
    ].join('\n'),
  });
  const changes = planNode(node, model.cluster, resourceKinds, withFacts);
  const context = { node, cluster: model.cluster, facts: withFacts, changes };
  return { refusals: findRefusals(disruptionChecks, context), warnings: findWarnings(disruptionChecks, context) };
}

test('accept_ra trap: forwarding on would drop the RA-learnt default route the session takes: refused, not revertible', () => {
  const { refusals, warnings } = raGuard({ 'net.ipv6.conf.all.forwarding': 1 });
  expect(warnings).toEqual([]);
  expect(refusals).toEqual([
    {
      entry: 'nodes[0].sysctls["net.ipv6.conf.all.forwarding"]',
      change: 'sysctl net.ipv6.conf.all.forwarding',
      reason:
        'net.ipv6.conf.all.forwarding = 1 would make the kernel drop default via fe80::1 dev eth0 proto ra metric 1024, ' +
        'a default route learnt from a router advertisement: a node that forwards IPv6 deletes such routes and ignores ' +
        'advertisements unless accept_ra is 2 on the interface (it is 1 on eth0); add net.ipv6.conf.eth0.accept_ra: 2 ' +
        "to the node's sysctls (netstrap sets it before forwarding), or give the node a static IPv6 default route; it is " +
        'the route this SSH session (fd00:99::fe → [fd00:51::11]:22) takes to the controller',
      irreversible: expect.stringMatching(/^reverting forwarding does not bring the route back/),
    },
  ]);
  expect(describeRefusal(refusals[0])).toMatch(/\(not even under --allow-disruption: reverting forwarding/);
  // Forwarding on one interface only still drops it (the kernel clears RA-learnt defaults namespace-wide).
  expect(raGuard({ 'net.ipv6.conf.eth1.forwarding': 1 }).refusals).toHaveLength(1);
  // conf.default reaches only interfaces made later: nothing dropped.
  expect(raGuard({ 'net.ipv6.conf.default.forwarding': 1 }).refusals).toEqual([]);
});

test('accept_ra trap: accept_ra 2 on the interface keeps the route, in whatever order the file lists the keys', () => {
  for (const sysctls of [
    { 'net.ipv6.conf.all.forwarding': 1, 'net.ipv6.conf.eth0.accept_ra': 2 },
    { 'net.ipv6.conf.eth0.accept_ra': 2, 'net.ipv6.conf.all.forwarding': 1 },
  ]) {
    expect(raGuard(sysctls)).toEqual({ refusals: [], warnings: [] });
  }
  expect(raGuard({ 'net.ipv6.conf.all.forwarding': 1 }, sessionViaRa, 2)).toEqual({ refusals: [], warnings: [] });
  // all.accept_ra does not reach eth0.
  expect(raGuard({ 'net.ipv6.conf.all.accept_ra': 2, 'net.ipv6.conf.all.forwarding': 1 }).refusals).toHaveLength(1);
});

test('accept_ra trap: a route the session does not take is a warning of the plan', () => {
  for (const other of [session, session6]) {
    const { refusals, warnings } = raGuard({ 'net.ipv6.conf.all.forwarding': 1 }, other);
    expect(refusals).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^ipv6-ra: n1: net\.ipv6\.conf\.all\.forwarding = 1 would make the kernel drop default via fe80::1 dev eth0 proto ra metric 1024, .* add net\.ipv6\.conf\.eth0\.accept_ra: 2 to the node's sysctls/,
      ),
    ]);
  }
});

// ---------------------------------------------------------------------------------------------------------------
// networkd drop-ins: `networkctl reload` drops and sets again every address and route of a link whose configuration
// changed, and sets again only what its configuration holds (measured: README "SSH over IPv6 and the lock-out guard").

const managedMgmt = [
  '# ifindex',
  '/sys/class/net/mgmt0/ifindex:2',
  '/sys/class/net/eth0/ifindex:3',
  '# networkd',
  '/run/systemd/netif/links/2:ADMIN_STATE=configured',
  '/run/systemd/netif/links/2:NETWORK_FILE=/etc/systemd/network/05-mgmt0.network',
  '/run/systemd/netif/links/3:ADMIN_STATE=configured',
  '/run/systemd/netif/links/3:NETWORK_FILE=/etc/systemd/network/10-eth0.network',
  '# drop-ins',
].join('\n');

test("networkd: a drop-in change on the session's link is refused unless networkd sets the session's address and route again", () => {
  const withManager = (extra: Record<string, unknown>, sessionFact = session, routesFact: object[] = routes) =>
    refusalsFor(extra, sessionFact, { 'network-managers': managedMgmt, 'ip-route': JSON.stringify(routesFact) });
  // The session's address declared on mgmt0 (so in the drop-in), the controller on its connected network: safe.
  expect(withManager({ interfaces: [{ name: 'mgmt0', addresses: ['10.250.50.11/24'] }] })).toEqual([]);
  // A drop-in for mgmt0 that does not hold the session's address: networkd drops it for good.
  expect(withManager({ interfaces: [{ name: 'mgmt0', addresses: ['10.250.60.11/24'] }] })).toEqual([
    {
      entry: 'nodes[0].interfaces[0]',
      change: 'networkd-drop-in /etc/systemd/network/05-mgmt0.network.d/netstrap.conf',
      reason:
        'would make systemd-networkd reconfigure mgmt0, the interface of this SSH session (10.250.50.254 → 10.250.50.11:22) ' +
        '(networkctl reload drops every address and route of a link whose configuration changed and sets again only what ' +
        "its configuration holds): 10.250.50.11 is not declared on mgmt0, so netstrap's drop-in does not hold it and " +
        "networkd may not set it again; declare it in mgmt0's addresses",
      irreversible: expect.stringMatching(/^networkd does not set again an address or route/),
    },
  ]);
  // The controller behind a gateway networkd got from DHCP: the drop-in does not hold that route.
  const offLink =
    'ssh:10.99.0.254 40022 10.250.50.11 22\n[{"dst":"10.99.0.254","gateway":"10.250.50.1","dev":"mgmt0"}]\n';
  const dhcp = [...routes, { dst: 'default', gateway: '10.250.50.1', dev: 'mgmt0', protocol: 'dhcp', metric: 1024 }];
  expect(withManager({ interfaces: [{ name: 'mgmt0', addresses: ['10.250.50.11/24'] }] }, offLink, dhcp)).toEqual([
    expect.objectContaining({
      reason: expect.stringMatching(
        /: its route to the controller 10\.99\.0\.254, default via 10\.250\.50\.1 dev mgmt0 proto dhcp metric 1024, is not one netstrap's drop-in holds, so networkd may not set it again; declare it in routes$/,
      ),
    }),
  ]);
  // Declared, the route is in the drop-in: safe.
  expect(
    withManager(
      {
        interfaces: [{ name: 'mgmt0', addresses: ['10.250.50.11/24'] }],
        routes: [{ to: 'default', via: '10.250.50.1', metric: 1024 }],
      },
      offLink,
      dhcp,
    ),
  ).toEqual([]);
  // A drop-in of another link: nothing to judge.
  expect(withManager({ interfaces: [{ name: 'eth0', addresses: ['192.168.51.11/24'] }] })).toEqual([]);
});

test('networkd: one reload for the whole plan, by its last drop-in change, waiting for every kept link at once', () => {
  const model = checkCluster(
    {
      name: 'guard',
      network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      nodes: [
        {
          name: 'n1',
          ssh: { host: '10.250.50.11' },
          interfaces: [
            { name: 'mgmt0', addresses: ['10.250.50.11/24'] },
            { name: 'eth0', addresses: ['192.168.51.11/24'] },
          ],
          routes: [{ to: '10.99.0.0/16', via: '192.168.51.1' }],
        },
      ],
    },
    'guard.yaml',
  );
  const node = model.cluster.nodes[0];
  const changes = planNode(
    node,
    model.cluster,
    resourceKinds,
    new FactSet({ ...facts, 'network-managers': managedMgmt }),
  ).filter((c) => c.kind === 'networkd-drop-in');
  expect(changes.map((c) => c.target)).toEqual([
    '/etc/systemd/network/05-mgmt0.network.d/netstrap.conf',
    '/etc/systemd/network/10-eth0.network.d/netstrap.conf',
  ]);
  const reloads = (c: (typeof changes)[number]) =>
    c.apply.filter((command) => 'argv' in command && command.argv.join(' ').includes('networkctl reload'));
  expect(reloads(changes[0])).toEqual([]);
  const [last] = reloads(changes[1]) as Array<{ argv: string[] }>;
  expect(last.argv.slice(4)).toEqual([
    '/etc/systemd/network/05-mgmt0.network.d/netstrap.conf, /etc/systemd/network/10-eth0.network.d/netstrap.conf',
    ...['addr', 'mgmt0', '10.250.50.11', 'addr', 'eth0', '192.168.51.11', 'route', 'eth0', '10.99.0.0/16'],
  ]);
  // Each change's revert still tells networkd.
  expect(
    changes.every((c) => c.revert.some((r) => 'argv' in r && r.argv.join(' ').includes('networkctl reload'))),
  ).toBe(true);
});

test('validate over IPv6: a route taking over the route to the lab controller, a DNAT of the SSH port to [ipv6]:port', () => {
  const issues = staticLockoutIssues(
    checkCluster(
      {
        name: 'guard',
        network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
        lans: [{ name: 'lan1', cidr: ['192.168.51.0/24', 'fd00:51::/64'] }],
        nodes: [
          {
            name: 'n1',
            ssh: { host: 'fd00:250:50::11' },
            interfaces: [{ name: 'eth0', lan: 'lan1', addresses: ['192.168.51.11/24', 'fd00:51::11/64'] }],
            sysctls: { 'net.ipv6.conf.all.forwarding': 1, 'net.ipv4.ip_forward': 1 },
            routes: [
              { to: 'fd00:250:50:0:ffff:ffff:ffff:fffe/128', via: 'fd00:51::12' },
              { to: 'fd00:99::/64', via: 'fd00:51::12' },
              { to: '10.250.50.254/32', via: '192.168.51.12' },
            ],
            nat: {
              portForwards: [
                { protocol: 'tcp', port: 22, to: '[fd00:51::12]:22' },
                { protocol: 'tcp', port: 22, to: '192.168.51.12:22' },
              ],
            },
          },
          {
            name: 'n2',
            ssh: { host: 'fd00:250:50::12' },
            interfaces: [{ name: 'eth0', lan: 'lan1', addresses: ['192.168.51.12/24', 'fd00:51::12/64'] }],
          },
        ],
        lab: { managementCidr: 'fd00:250:50::/64' },
      },
      'guard.yaml',
    ).cluster,
  ).map((i) => `${formatPath(i.path)}: ${i.message}`);
  // The IPv4 route and DNAT cannot touch an IPv6 session.
  expect(issues).toEqual([
    expect.stringMatching(
      /^nodes\[0\]\.nat\.portForwards\[0\]: DNAT of tcp\/22 to \[fd00:51::12\]:22 would lock netstrap out: it is the port of ssh\.host fd00:250:50::11/,
    ),
    expect.stringMatching(
      /^nodes\[0\]\.routes\[0\]: route fd00:250:50:0:ffff:ffff:ffff:fffe\/128 via fd00:51::12 would lock netstrap out: it takes over the route to the lab controller fd00:250:50:0:ffff:ffff:ffff:fffe/,
    ),
  ]);
});
