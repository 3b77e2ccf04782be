/**
 * IPv6 on the host side (issue 21), on a real kernel, iproute2 and ip6tables in a throwaway sandbox (sandbox.ts):
 * the resource kinds' node as a dual-stack node (an IPv6 address on eth0 and on the bridge, a second address per
 * namespace, a default route per family in each, IPv6 routes with the same `default` metric as IPv4's, IPv6
 * forwarding, ip6tables MASQUERADE and a `[v6]:port` DNAT) converges and works, re-plans to nothing, removing its
 * IPv6 part prunes exactly the IPv6 state (the node is then as the IPv4-only file leaves it), reset gives back the
 * bare node, and the boot script alone rebuilds both families on a fresh node.
 */
import { resourceKinds } from '../../../src/host/resources';
import { bridges } from '../../../src/host/resources/bridges';
import { links } from '../../../src/host/resources/links';
import { namespaces } from '../../../src/host/resources/namespaces';
import { nat, nat6 } from '../../../src/host/resources/nat';
import { BOOT_SCRIPT } from '../../../src/host/resources/persist';
import { routes } from '../../../src/host/resources/routes';
import { SYSCTL_FILE } from '../../../src/host/resources/sysctl';
import { declaringNothing } from '../../../src/host/run-host';
import { renderCommand } from '../../../src/host/shell';
import type { Change } from '../../../src/host/types';
import type { Cluster, ClusterNode } from '../../../src/model/schema';
import { FILES, LAN_SETUP, model } from './model';
import { Sandbox } from './sandbox';

/** The LAN host answers on IPv6 too (nodad: usable at once); it has no route to the namespaces' fd00:10::/64. */
const SETUP = `${LAN_SETUP}\nip -n lanhost addr add fd00:1::50/64 dev eth0 nodad`;

const { cluster: v4Cluster, node: v4 } = model();

/** The same node, dual-stack. (A veth's addresses and default routes: one per family.) */
const dual: ClusterNode = {
  ...v4,
  interfaces: [{ ...v4.interfaces[0], addresses: [...v4.interfaces[0].addresses, 'fd00:1::11/64'] }],
  sysctls: { ...v4.sysctls, 'net.ipv6.conf.all.forwarding': 1 },
  routes: [
    ...v4.routes,
    { to: 'fd00:2::/64', via: 'fd00:1::1' },
    // The same destination word and metric as IPv4's default route: another route, in IPv6's table.
    { to: 'default', via: 'fd00:1::50', metric: 100 },
  ],
  bridges: [{ name: 'v-net-0', addresses: ['10.10.0.1/24', 'fd00:10::1/64'] }],
  namespaces: v4.namespaces.map((ns) => ({
    ...ns,
    veth: { ...ns.veth, addresses: [ns.veth.address, ns.name === 'red' ? 'fd00:10::2/64' : 'fd00:10::3/64'] },
    defaultRoutes: ['10.10.0.1', 'fd00:10::1'],
  })),
  nat: {
    masquerade: [...v4.nat.masquerade, { source: 'fd00:10::/64', outInterface: 'eth0' }],
    portForwards: [...v4.nat.portForwards, { protocol: 'tcp', port: 8080, to: '[fd00:10::3]:80' }],
  },
};
const dualCluster: Cluster = { ...v4Cluster, nodes: [dual] };

/** Both families of everything the kinds touch, normalized as sandbox.ts's snapshot is. */
function snapshot(box: Sandbox): string {
  const ns =
    'for n in $(ip netns list | cut -d" " -f1 | grep -vx lanhost); do echo "== $n"; ip -n "$n" -j -d link show; ip -n "$n" -j addr show; ip -n "$n" -j route show; ip -n "$n" -j -6 route show; done';
  return box
    .ok(
      [
        'ip -j -d link show',
        'ip -j addr show',
        'ip -j route show table main',
        'ip -j -6 route show table main',
        'ip -j netns list',
        ns,
        'iptables-save -t nat | grep -v "^#"',
        'ip6tables-save -t nat | grep -v "^#"',
        'sysctl net.ipv4.ip_forward net.ipv4.conf.all.rp_filter net.ipv6.conf.all.forwarding',
        ...[...FILES, '/etc/netstrap/kernel.state.json'].map(
          (f) => `if [ -e ${f} ]; then echo "== ${f}"; cat ${f}; else echo "absent ${f}"; fi`,
        ),
      ]
        .map((c) => `${c}; echo`)
        .join('\n'),
    )
    .replace(
      /"(gc_timer|hello_timer|tcn_timer|topology_change_timer|forward_delay_timer|hold_timer|message_age_timer)":[0-9.]+/g,
      '"$1":_',
    )
    .replace(/"(qdisc|operstate)":"[A-Za-z_]+",/g, '')
    .replace(/"NO-CARRIER",|"linkdown"|"tentative":true,/g, '');
}

/** A one-shot IPv6 TCP listener in namespace blue on [fd00:10::3]:80 answering "from-blue-6"; 10 s at most. */
const LISTEN6 = `timeout 10 ip netns exec blue /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('fd00:10::3', 80)); s.listen(1)
print('listening', flush=True)
c, a = s.accept(); c.sendall(b'from-blue-6'); c.close()
" > /tmp/listener6.out 2>&1 &
for i in $(seq 50); do grep -q listening /tmp/listener6.out 2>/dev/null && break; sleep 0.1; done`;

const CONNECT6 = `ip netns exec lanhost timeout 5 /usr/bin/python3 -c "
import socket
s = socket.create_connection(('fd00:1::11', 8080), timeout=3); print(s.recv(100).decode())
"`;

const lines = (changes: ReadonlyArray<Change>) => changes.map((c) => `${c.kind} ${c.target}`);
const commands = (changes: ReadonlyArray<Change>) => changes.flatMap((c) => c.apply.map((a) => renderCommand(a)));

describe('dual-stack node on a real kernel (sandboxed network + mount namespace)', () => {
  let box: Sandbox;

  beforeAll(async () => {
    box = await Sandbox.start(SETUP);
  });
  afterAll(async () => {
    await box?.stop();
  });

  it('converges, works over IPv6, re-plans to nothing; dropping the IPv6 part prunes exactly it; reset gives back the bare node', () => {
    const bare = snapshot(box);

    // The IPv4-only file first: what the node looks like without its IPv6 part.
    expect(box.apply(box.plan(v4, v4Cluster, resourceKinds)).applied).toBe(true);
    const ipv4Only = snapshot(box);
    expect(ipv4Only).not.toMatch(/fd00:/);

    const changes = box.plan(dual, dualCluster, resourceKinds);
    const applied = commands(changes);
    expect(lines(changes)).toEqual(
      expect.arrayContaining([
        'link eth0 address fd00:1::11/64',
        'bridge v-net-0 address fd00:10::1/64',
        'netns red/eth0 address fd00:10::2/64',
        'netns red IPv6 default route',
        'route fd00:2::/64',
        'route ::/0 metric 100',
        'sysctl net.ipv6.conf.all.forwarding',
        'ip6tables nat POSTROUTING masquerade:fd00:10::/64:out=eth0',
        'ip6tables nat PREROUTING dnat:tcp:8080:[fd00:10::3]:80',
        'ip6tables nat OUTPUT dnat:tcp:8080:[fd00:10::3]:80:local',
      ]),
    );
    // Nothing of IPv4 changes: its default route (also `default metric 100`) is another route.
    expect(lines(changes).filter((l) => /^(link|bridge|route|iptables) /.test(l) && !l.includes(':'))).toEqual([]);
    // The addresses used at once skip DAD: eth0's (the source towards its IPv6 gateways), the bridge's (the
    // namespaces' gateway), the namespaces' (they route out by their default route).
    expect(applied).toEqual(
      expect.arrayContaining([
        'ip addr add fd00:1::11/64 dev eth0 nodad',
        'ip addr add fd00:10::1/64 dev v-net-0 nodad',
        'ip -n red addr add fd00:10::2/64 dev eth0 nodad',
        'ip -6 route replace default via fd00:1::50 metric 100',
        'ip -n red -6 route replace default via fd00:10::1',
      ]),
    );
    const outcome = box.apply(changes);
    expect(outcome.output).not.toMatch(/failed/);
    expect(outcome.applied).toBe(true);

    // Idempotent.
    expect(box.plan(dual, dualCluster, resourceKinds)).toEqual([]);

    // It works: both default routes; red → blue over the bridge; MASQUERADE (the LAN host has no route back to
    // fd00:10::/64, so the reply comes back only when masqueraded); the DNAT from the LAN to blue.
    expect(box.ok('ip -6 route show default')).toContain('default via fd00:1::50 dev eth0 metric 100');
    expect(box.ok('ip route show default')).toContain('default via 192.168.1.1 dev eth0 metric 100');
    box.ok('ip netns exec red ping -6 -c 1 -W 2 fd00:10::3');
    box.ok('ip netns exec red ping -6 -c 1 -W 2 fd00:1::50');
    expect(box.ok(`${LISTEN6}\n${CONNECT6}`)).toContain('from-blue-6');
    expect(box.ok('ip6tables-save -t nat')).toContain(
      '-A POSTROUTING -s fd00:10::/64 -o eth0 -m comment --comment "netstrap:masquerade:fd00:10::/64:out=eth0" -j MASQUERADE',
    );
    expect(box.ok('sysctl -n net.ipv6.conf.all.forwarding')).toBe('1\n');

    // The IPv6 part removed from the file: exactly the IPv6 state goes.
    const prune = box.plan(v4, v4Cluster, resourceKinds);
    const state = prune.filter((c) => !['ownership', 'boot-persistence'].includes(c.kind));
    // Every change is about IPv6 (or the sysctl file losing its IPv6 line).
    expect(lines(state).filter((l) => !/^ip6tables |:|IPv6|ipv6/.test(l) && l !== `sysctl ${SYSCTL_FILE}`)).toEqual([]);
    expect(lines(state)).toEqual(
      expect.arrayContaining([
        'route ::/0 metric 100',
        'route fd00:2::/64',
        'sysctl net.ipv6.conf.all.forwarding',
        'link eth0 address fd00:1::11/64',
        'bridge v-net-0 address fd00:10::1/64',
        'netns red/eth0 address fd00:10::2/64',
        'netns red IPv6 default route',
        'ip6tables nat POSTROUTING masquerade:fd00:10::/64:out=eth0',
        'ip6tables nat PREROUTING dnat:tcp:8080:[fd00:10::3]:80',
      ]),
    );
    expect(box.apply(prune).applied).toBe(true);
    expect(snapshot(box)).toBe(ipv4Only);

    // Back to dual-stack, then reset: the bare node.
    expect(box.apply(box.plan(dual, dualCluster, resourceKinds)).applied).toBe(true);
    const reset = box.plan(declaringNothing(dual), dualCluster, resourceKinds);
    expect(box.apply(reset).applied).toBe(true);
    expect(snapshot(box)).toBe(bare);
  });

  it('the boot script alone rebuilds both families on a fresh node (simulated reboot)', async () => {
    expect(box.apply(box.plan(dual, dualCluster, resourceKinds)).applied).toBe(true);
    const script = box.ok(`cat ${BOOT_SCRIPT}`);
    expect(script).toContain('ip6tables -t nat -C POSTROUTING');
    expect(script).toContain('ip -6 route replace default via fd00:1::50 metric 100');
    const fresh = await Sandbox.start(SETUP);
    try {
      const runtimeKinds = [links, bridges, namespaces, routes, nat, nat6];
      expect(fresh.plan(dual, dualCluster, runtimeKinds).length).toBeGreaterThan(10);
      const run = fresh.sh(script);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(fresh.plan(dual, dualCluster, runtimeKinds)).toEqual([]);
      expect(fresh.sh(script).code).toBe(0);
      expect(fresh.plan(dual, dualCluster, runtimeKinds)).toEqual([]);
      fresh.ok('ip netns exec red ping -6 -c 1 -W 2 fd00:10::3');
      // (Forwarding is a sysctl file's, read by systemd-sysctl at boot, not by this script: the node itself pings.)
      fresh.ok('ping -6 -c 1 -W 2 fd00:1::50');
    } finally {
      await fresh.stop();
    }
  });
});
