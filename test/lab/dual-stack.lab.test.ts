/**
 * Issue 21 acceptance, on real kernel networking with Debian's real CNI plugins (test/fixtures/i21-dual-stack.yaml):
 * two LANs with an IPv4 and an IPv6 range joined by a router, two Kubernetes nodes on each, the bridge CNI,
 * routing: auto, no hand-written route, dual-stack pod and service ranges; "outside" stands for the world beyond the
 * router. bootstrap writes the derived routes of both families, the dual-stack conflists and the pod MASQUERADE
 * rules; pods are made by `lab pod add` through each node's own conflist. What the pods see is read from inside them
 * (TCP listeners reporting their peer's address), and compared with what `trace` says, also for checks made to fail.
 * The rest of the lab acceptance lives beside it: SSH over an IPv6 management network
 * (test/lab/ipv6-management.lab.test.ts) and its lock-out cases (test/host/lockout.lab.test.ts,
 * test/fixtures/i21-lockout-ipv6.yaml).
 */
import { bootstrapCluster, resetCluster, verifyCluster } from '../../src/host/provision';
import { type LabPod, podAdd, podDel } from '../../src/lab/pods';
import { ipNetworkContains, parseIpAddress, parseIpNetwork } from '../../src/model/cidr';
import { effectiveNodes } from '../../src/model/effective';
import { podSubnets } from '../../src/model/pod-subnets';
import type { Cluster } from '../../src/model/schema';
import { parseEndpoint, trace, traceProbe, type Verdict } from '../../src/model/trace';
import { describeLab, fixture, useLab } from '../support/lab';
import { podProbes } from '../support/lab-pods';

const FILE = fixture('i21-dual-stack.yaml');
const PODS = ['node01/web', 'node01/db', 'node02/web', 'node03/web', 'node04/web'];

/**
 * A node's state per family: global addresses, every route table, the iptables or ip6tables rules and the
 * forwarding sysctl. Link-local addresses and routes (fe80::/64, ff00::/8) are left out: the kernel makes them on its
 * own. `cni0` and pods' veths are the CNI plugin's (made at a pod's ADD; the bridge stays after the last DEL, as
 * upstream's bridge plugin leaves it), never netstrap's.
 */
const SNAPSHOT = `
plugin() { grep -v -e cni0 -e '^veth' -e ' veth'; }
# A table without rules is no state (iptables-nft keeps a table once made, even when its last rule goes).
rules() { grep -v '^#' | sed 's/\\[[0-9]*:[0-9]*\\]//' | awk '/^\\*/ { t = $0; n = 0; next } /^:/ { c[n++] = $0; next }
  /^COMMIT/ { if (r) { print t; for (i = 0; i < n; i++) print c[i]; printf "%s", b; print "COMMIT" } r = 0; b = ""; next }
  { r = 1; b = b $0 "\\n" }'; }
echo '== ipv4'
ip -4 -o addr show | awk '{print $2, $4}' | plugin
ip -4 route show table all | plugin
iptables-save | rules
sysctl net.ipv4.ip_forward
echo '== ipv6'
ip -6 -o addr show scope global | awk '{print $2, $4}' | plugin
ip -6 route show table all | grep -v -e fe80 -e '^multicast ff00::/8' | plugin
ip6tables-save | rules
sysctl net.ipv6.conf.all.forwarding
`;

describeLab('issue 21 acceptance: dual-stack pods across two LANs and a router (bridge CNI, routing: auto)', () => {
  const lab = useLab(FILE);
  const { run, pings, listen, peerSeen } = podProbes(lab);
  const pods = new Map<string, LabPod>();
  const v4 = (id: string) => pods.get(id)!.ips![0];
  const v6 = (id: string) => pods.get(id)!.ips![1];

  const snapshot = async (node: string) => {
    const [, ipv4, ipv6] = (await lab.exec(node, ['sh', '-c', SNAPSHOT])).stdout.split(/^== ipv[46]\n/m);
    return { ipv4, ipv6 };
  };
  const snapshots = async () =>
    Object.fromEntries(await Promise.all(lab.state.nodes.map(async (n) => [n.name, await snapshot(n.name)])));
  let beforeBootstrap: Record<string, { ipv4: string; ipv6: string }>;

  beforeAll(async () => {
    beforeBootstrap = await snapshots();
    const result = await bootstrapCluster(lab.model, { sshConfigFile: lab.state.sshConfigFile });
    expect(result.hosts.map((h) => [h.node, h.status, h.error ?? ''])).toEqual(
      result.hosts.map((h) => [h.node, 'changed', '']),
    );
    for (const id of PODS) {
      const [node, name] = id.split('/');
      pods.set(id, await podAdd(lab.state, node, name));
    }
  }, 120000);

  test("every pod gets one IPv4 and one IPv6 address, inside its node's two pod subnets", () => {
    const table = podSubnets(lab.model.cluster);
    for (const [id, p] of pods) {
      const subnet = table.byNode.get(p.node)!;
      const inside = [subnet.cidr, subnet.ipv6].map((cidr, i) => {
        const network = parseIpNetwork(cidr);
        const address = parseIpAddress(p.ips?.[i]);
        return network.ok && address.ok && ipNetworkContains(network.value, address.value);
      });
      expect([id, p.ips?.length, inside]).toEqual([id, 2, [true, true]]);
    }
  });

  test('over IPv6, pods reach each other on one node without NAT', async () => {
    await listen('node01/web', v6('node01/web'), 80);
    expect(await peerSeen('node01/db', v6('node01/web'), 80)).toBe(v6('node01/db'));
  });

  test('over IPv6, pods reach each other across one LAN without NAT', async () => {
    expect(await peerSeen('node02/web', v6('node01/web'), 80)).toBe(v6('node02/web'));
  });

  test('over IPv6, pods reach each other across the router, both ways, without NAT', async () => {
    await listen('node03/web', v6('node03/web'), 80);
    expect(await peerSeen('node01/web', v6('node03/web'), 80)).toBe(v6('node01/web'));
    expect(await peerSeen('node04/web', v6('node01/web'), 80)).toBe(v6('node04/web'));
  });

  test('over IPv4 the same, as before dual-stack: one node, one LAN, across the router', async () => {
    await listen('node01/web', v4('node01/web'), 81);
    await listen('node03/web', v4('node03/web'), 81);
    expect(await peerSeen('node01/db', v4('node01/web'), 81)).toBe(v4('node01/db'));
    expect(await peerSeen('node02/web', v4('node01/web'), 81)).toBe(v4('node02/web'));
    expect(await peerSeen('node01/web', v4('node03/web'), 81)).toBe(v4('node01/web'));
    expect(await peerSeen('node04/web', v4('node01/web'), 81)).toBe(v4('node04/web'));
  });

  test('a pod reaches a node of the other LAN over IPv6', async () => {
    await listen('node04', 'fd00:168:92::14', 9000);
    const seen = await peerSeen('node01/web', 'fd00:168:92::14', 9000);
    // The pod range is unique local: leaving it, the pod's traffic takes its node's address, as over IPv4.
    expect(seen).toBe('fd00:168:91::11');
  });

  test('pod to outside: masqueraded to the node over IPv6 (the pod range is unique local) and over IPv4', async () => {
    await listen('outside', 'fd00:168:93::99', 9000);
    await listen('outside', '192.168.93.99', 9001);
    expect(await peerSeen('node01/web', 'fd00:168:93::99', 9000)).toBe('fd00:168:91::11');
    expect(await peerSeen('node03/web', 'fd00:168:93::99', 9000)).toBe('fd00:168:92::13');
    expect(await peerSeen('node01/web', '192.168.93.99', 9001)).toBe('192.168.91.11');
    const nat6 = (await run('node01', ['ip6tables-save', '-t', 'nat'])).out;
    expect(nat6).toMatch(/-A POSTROUTING -s fd00:10:244::\/56 ! -d fd00:10:244::\/56 .*-j MASQUERADE/);
  });

  test('netstrap verify over IPv6: node to node, pod to pod across the router, pod to outside, as trace says', async () => {
    await listen('node03/web', v6('node03/web'), 82);
    await listen('outside', 'fd00:168:93::99', 9002);
    const verify = [
      { from: 'node01', ping: 'fd00:168:92::13' },
      { from: 'node01/web', ping: v6('node03/web') },
      { from: 'node04/web', tcp: `[${v6('node03/web')}]:82` },
      { from: 'node02/web', tcp: '[fd00:168:93::99]:9002' },
    ].map((check) => ({ ...check, expect: 'success' as const }));
    const cluster = { ...lab.model.cluster, verify };
    const result = await verifyCluster({ ...lab.model, cluster }, { sshConfigFile: lab.state.sshConfigFile });
    expect(result.checks.map((c) => [c.from, c.check, c.status, c.detail ?? ''])).toEqual(
      result.checks.map((c) => [c.from, c.check, 'passed', '']),
    );
    expect(result.checks).toHaveLength(4);
    // trace agrees: delivered; a pod's real address (known at run time only) is followed to its node's pod bridge.
    expect(verify.map((spec) => traceProbe(cluster, spec)).map((t) => [t.verdict, t.reason])).toEqual([
      ['delivered', expect.any(String)],
      ['leaves', `leaves the modelled network at node03 on cni0: no place of the cluster file has ${v6('node03/web')}`],
      ['leaves', `leaves the modelled network at node03 on cni0: no place of the cluster file has ${v6('node03/web')}`],
      ['delivered', expect.any(String)],
    ]);
  });

  /** The same cluster with the routes routing: auto derives written by hand, so one can be taken away or broken. */
  const handWritten = (change: (cluster: Cluster) => Cluster['nodes']): Cluster => {
    const cluster = { ...lab.model.cluster, routing: 'manual' as const, nodes: effectiveNodes(lab.model.cluster) };
    return { ...cluster, nodes: change(cluster) };
  };
  const traced = (
    cluster: Cluster,
    from: string,
    to: string,
    family: 4 | 6 = 6,
  ): { verdict: Verdict; reason: string } => {
    const result = trace(cluster, {
      from: parseEndpoint(cluster, from, false).endpoint!,
      to: parseEndpoint(cluster, to, true).endpoint!,
      protocol: 'icmp',
      family,
    });
    return { verdict: result.verdict, reason: result.reason };
  };

  test('trace agrees with reality over IPv6: delivered, forwarding 0 on the router, a missing route', async () => {
    expect(traced(lab.model.cluster, 'node01/web', 'node03/web').verdict).toBe('delivered');
    expect(await pings('node01/web', v6('node03/web'))).toBe(true);

    // net.ipv6.conf.all.forwarding 0 on r1: across the router is dropped there, across one LAN still delivered.
    const noForward = handWritten((c) =>
      c.nodes.map((n) =>
        n.name === 'r1' ? { ...n, sysctls: { ...n.sysctls, 'net.ipv6.conf.all.forwarding': 0 } } : n,
      ),
    );
    expect(traced(noForward, 'node01/web', 'node03/web')).toEqual({
      verdict: 'dropped',
      reason: 'dropped at r1: net.ipv6.conf.all.forwarding is 0',
    });
    expect(traced(noForward, 'node01/web', 'node02/web').verdict).toBe('delivered');
    // IPv4 still crosses r1: its forwarding is its own sysctl.
    expect(traced(noForward, 'node01/web', 'node03/web', 4).verdict).toBe('delivered');
    await run('r1', ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=0']);
    try {
      expect(await pings('node01/web', v6('node03/web'))).toBe(false);
      expect(await pings('node01/web', v6('node02/web'))).toBe(true);
      expect(await pings('node01/web', v4('node03/web'))).toBe(true);
    } finally {
      await run('r1', ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
    }
    expect(await pings('node01/web', v6('node03/web'))).toBe(true);

    // node01 without its route to node03's IPv6 pod subnet.
    const subnet = podSubnets(lab.model.cluster).byNode.get('node03')!.ipv6!;
    const noRoute = handWritten((c) =>
      c.nodes.map((n) => (n.name === 'node01' ? { ...n, routes: n.routes.filter((r) => r.to !== subnet) } : n)),
    );
    expect(traced(noRoute, 'node01/web', 'node03/web')).toEqual({
      verdict: 'dropped',
      reason: expect.stringMatching(/^no route to fd00:10:244:2:[0-9a-f:]+ on node01$/),
    });
    expect((await run('node01', ['ip', '-6', 'route', 'show', subnet])).out).toContain('via fd00:168:91::1');
    await run('node01', ['ip', '-6', 'route', 'del', subnet]);
    try {
      expect(await pings('node01/web', v6('node03/web'))).toBe(false);
    } finally {
      await run('node01', ['ip', '-6', 'route', 'add', subnet, 'via', 'fd00:168:91::1']);
    }
    expect(await pings('node01/web', v6('node03/web'))).toBe(true);
  });

  test("removing the IPv6 part of a node's file prunes exactly its IPv6 state", async () => {
    const before = await snapshot('r1');
    // r1 as the file gives it without IPv6: IPv4 addresses only, no IPv6 forwarding.
    const cluster = {
      ...lab.model.cluster,
      nodes: lab.model.cluster.nodes.map((n) =>
        n.name !== 'r1'
          ? n
          : {
              ...n,
              interfaces: n.interfaces.map((i) => ({ ...i, addresses: i.addresses.filter((a) => !a.includes(':')) })),
              sysctls: Object.fromEntries(Object.entries(n.sysctls).filter(([key]) => !key.startsWith('net.ipv6.'))),
            },
      ),
    };
    const applied = await bootstrapCluster(
      { ...lab.model, cluster },
      { sshConfigFile: lab.state.sshConfigFile, only: ['r1'] },
    );
    expect(applied.hosts.map((h) => [h.node, h.status, h.error ?? ''])).toEqual([['r1', 'changed', '']]);
    const after = await snapshot('r1');
    // IPv4 untouched, byte for byte; IPv6 back to what r1 had before netstrap ever ran (its lab-given addresses,
    // which netstrap did not make, stay; every IPv6 route and forwarding netstrap set are gone).
    expect(after.ipv4).toBe(before.ipv4);
    expect(after.ipv6).toBe(beforeBootstrap.r1.ipv6);
    expect(after.ipv6).not.toBe(before.ipv6);
  });

  test('reset gives back the pre-bootstrap state of every node, both families', async () => {
    for (const id of PODS) {
      const [node, name] = id.split('/');
      await podDel(lab.state, node, name);
    }
    const reset = await resetCluster(lab.model, { sshConfigFile: lab.state.sshConfigFile });
    expect(reset.hosts.map((h) => [h.node, h.status, h.error ?? ''])).toEqual(
      reset.hosts.map((h) => [h.node, 'changed', '']),
    );
    // The bridge plugin (isGateway) turns forwarding on at a pod's ADD and never off, and the kernel then holds the
    // subnet-router anycast address of each LAN: that is the runtime's doing, left out on the nodes that ran pods.
    // r1 and outside ran none: their state is compared whole.
    const pluginFree = (text: string) =>
      text
        .split('\n')
        .filter((line) => !/^net\.ipv[46]\.(ip_forward|conf\.all\.forwarding) = /.test(line) && !/^anycast /.test(line))
        .join('\n');
    const ranPods = new Set(PODS.map((id) => id.split('/')[0]));
    const comparable = (all: Record<string, { ipv4: string; ipv6: string }>) =>
      Object.fromEntries(
        Object.entries(all).map(([node, s]) => [
          node,
          ranPods.has(node) ? { ipv4: pluginFree(s.ipv4), ipv6: pluginFree(s.ipv6) } : s,
        ]),
      );
    expect(comparable(await snapshots())).toEqual(comparable(beforeBootstrap));
  });
});
