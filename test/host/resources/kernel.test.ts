/**
 * Every resource kind against the real kernel, iproute2 and iptables, in a throwaway sandbox (see sandbox.ts):
 * plan on a bare node → apply (the engine's script) → the network really works (ping, TCP through DNAT and
 * MASQUERADE) → a second plan is empty → revert restores the exact snapshot; a failing step rolls everything back;
 * the boot script alone rebuilds the runtime state on a fresh node (a simulated reboot).
 */
import { resourceKinds } from '../../../src/host/resources';
import { bridges } from '../../../src/host/resources/bridges';
import { links } from '../../../src/host/resources/links';
import { namespaces } from '../../../src/host/resources/namespaces';
import { nat } from '../../../src/host/resources/nat';
import { BOOT_SCRIPT, UNIT_FILE, UNIT_LINK } from '../../../src/host/resources/persist';
import { routes } from '../../../src/host/resources/routes';
import { FILES, LAN_SETUP, model } from './model';
import { Sandbox } from './sandbox';

/** A one-shot TCP listener in namespace blue on :80 that answers "from-blue"; bounded by a 10 s timeout. */
const LISTEN = `timeout 10 ip netns exec blue /usr/bin/python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('10.10.0.3', 80)); s.listen(1)
print('listening', flush=True)
c, a = s.accept(); c.sendall(b'from-blue'); c.close()
" > /tmp/listener.out 2>&1 &
for i in $(seq 50); do grep -q listening /tmp/listener.out 2>/dev/null && break; sleep 0.1; done`;

function connect(prefix: string, address: string): string {
  return `${prefix} timeout 5 /usr/bin/python3 -c "
import socket
s = socket.create_connection(('${address}', 80), timeout=3); print(s.recv(100).decode())
"`;
}

describe('resource kinds on a real kernel (sandboxed network + mount namespace)', () => {
  let box: Sandbox;
  const { cluster, node } = model();

  beforeAll(async () => {
    box = await Sandbox.start(LAN_SETUP);
  });
  afterAll(async () => {
    await box?.stop();
  });

  it('plans every kind on a bare node, applies, works, re-plans to nothing, and reverts to the exact snapshot', () => {
    const before = box.snapshot(FILES);
    const changes = box.plan(node, cluster, resourceKinds);
    const kinds = new Set(changes.map((c) => c.kind));
    expect([...kinds].sort()).toEqual([
      'boot-persistence',
      'bridge',
      'cni-files',
      'hosts-file',
      'iptables',
      'link',
      'netns',
      'ownership',
      'resolv-conf',
      'route',
      'sysctl',
    ]);
    expect(changes.find((c) => c.target === 'eth0 address 192.168.1.12/24')).toBeDefined();
    expect(changes.find((c) => c.target === 'eth0 address 192.168.1.11/24')).toBeUndefined();

    const outcome = box.apply(changes);
    expect(outcome.output).not.toMatch(/failed/);
    expect(outcome.applied).toBe(true);

    // Idempotent: the same facts → no change at all.
    expect(box.plan(node, cluster, resourceKinds)).toEqual([]);

    // The state is really there and really works.
    expect(box.ok('ip -j link show dev eth0')).toMatch(/"mtu":1400/);
    expect(box.ok('ip route show 192.168.2.0/24')).toContain('via 192.168.1.1 dev eth0');
    expect(box.ok('ip route show default')).toContain('via 192.168.1.1 dev eth0 metric 100');
    expect(box.ok('sysctl -n net.ipv4.ip_forward net.ipv4.conf.all.rp_filter')).toBe('1\n2\n');
    expect(box.ok('ip -n red route show default')).toContain('via 10.10.0.1');
    box.ok('ip netns exec red ping -c 1 -W 2 10.10.0.3'); // red → blue over v-net-0
    box.ok('ping -c 1 -W 2 10.10.0.2'); // node → red
    box.ok('ip netns exec lanhost ping -c 1 -W 2 192.168.1.12'); // the additional address answers on the LAN
    // MASQUERADE: the LAN host has no route to 10.10.0.0/24, so red's ping only comes back when it was masqueraded.
    box.ok('ip netns exec red ping -c 1 -W 2 192.168.1.50');
    // DNAT from the LAN (PREROUTING) and from the node itself (OUTPUT) to the listener in blue.
    expect(box.ok(`${LISTEN}\n${connect('ip netns exec lanhost', '192.168.1.11')}`)).toContain('from-blue');
    expect(box.ok(`${LISTEN}\n${connect('', '192.168.1.11')}`)).toContain('from-blue');

    const saved = box.ok('iptables-save -t nat');
    expect(saved).toContain('-A POSTROUTING -s 172.31.0.0/16 -j MASQUERADE');
    expect(saved).toMatch(
      /-A PREROUTING -p tcp -m addrtype --dst-type LOCAL -m tcp --dport 80 -m comment --comment "netstrap:dnat:tcp:80:10.10.0.3:80" -j DNAT --to-destination 10.10.0.3:80/,
    );

    const hosts = box.ok('cat /etc/hosts');
    expect(hosts).toContain('# BEGIN netstrap\n192.168.2.11\tnode02 node02.lab\n# END netstrap\n');
    expect(box.ok('cat /etc/resolv.conf')).toMatch(
      /^# BEGIN netstrap\nnameserver 192.168.1.53\nsearch lab.example\n# END netstrap\n/,
    );
    expect(JSON.parse(box.ok('cat /etc/cni/net.d/10-kernel.conflist')).plugins[0].ipam.subnet).toBe('10.244.1.0/24');
    expect(box.ok(`readlink ${UNIT_LINK}`).trim()).toBe(UNIT_FILE);

    // The machine's own /etc is untouched: the writes went to the sandbox's overlay.
    expect(box.etcFile('/etc/hosts')).toBe(hosts);

    expect(box.revert(changes)).toEqual([]);
    expect(box.snapshot(FILES)).toBe(before);
  });

  it('rolls a failing apply back to the exact pre-run state (the engine script runs the reverts)', () => {
    const before = box.snapshot(FILES);
    const changes = box.plan(node, cluster, resourceKinds);
    const failing = {
      kind: 'test',
      target: 'fault',
      before: '-',
      after: '-',
      apply: [{ argv: ['false'] }],
      revert: [],
    };
    const outcome = box.apply([...changes, failing]);
    expect(outcome.failedStep).toBe(changes.length + 1);
    expect(outcome.reverted).toBe(true);
    expect(box.snapshot(FILES)).toBe(before);
  });

  it('removes owned netstrap NAT rules only (a tagged rule it does not own stays), and puts them back in place on revert', () => {
    box.ok(
      [
        'iptables -t nat -A POSTROUTING -s 10.99.0.0/24 -m comment --comment netstrap:masquerade:10.99.0.0/24 -j MASQUERADE',
        'iptables -t nat -A POSTROUTING -s 10.98.0.0/24 -j MASQUERADE',
      ].join('\n'),
    );
    const before = box.snapshot();
    const empty = { ...node, nat: { masquerade: [], portForwards: [] } };
    const facts = box.facts(empty, cluster, [nat]);
    expect(nat.plan(empty, facts, cluster, [])).toEqual([]);
    const changes = nat.plan(empty, facts, cluster, [
      { kind: 'iptables', id: 'POSTROUTING masquerade:10.99.0.0/24', prior: null },
    ]);
    expect(changes.map((c) => `${c.target} ${c.after}`)).toEqual(['nat POSTROUTING masquerade:10.99.0.0/24 absent']);
    expect(box.apply(changes).applied).toBe(true);
    const after = box.ok('iptables-save -t nat');
    expect(after).not.toContain('10.99.0.0/24');
    expect(after).toContain('-A POSTROUTING -s 10.98.0.0/24 -j MASQUERADE');
    expect(after).toContain('-A POSTROUTING -s 172.31.0.0/16 -j MASQUERADE');
    expect(box.revert(changes)).toEqual([]);
    expect(box.snapshot()).toBe(before);
    box.ok(
      'iptables -t nat -D POSTROUTING -s 10.99.0.0/24 -m comment --comment netstrap:masquerade:10.99.0.0/24 -j MASQUERADE; iptables -t nat -D POSTROUTING -s 10.98.0.0/24 -j MASQUERADE',
    );
  });

  it('boot script alone rebuilds links, bridges, namespaces, routes and NAT on a fresh node (simulated reboot)', async () => {
    box.apply(box.plan(node, cluster, resourceKinds));
    const script = box.ok(`cat ${BOOT_SCRIPT}`);
    const fresh = await Sandbox.start(LAN_SETUP);
    try {
      const runtimeKinds = [links, bridges, namespaces, routes, nat];
      expect(fresh.plan(node, cluster, runtimeKinds).length).toBeGreaterThan(10);
      const run = fresh.sh(script);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(fresh.plan(node, cluster, runtimeKinds)).toEqual([]);
      // Running it twice is harmless (a second boot, or a manual re-run).
      expect(fresh.sh(script).code).toBe(0);
      expect(fresh.plan(node, cluster, runtimeKinds)).toEqual([]);
      fresh.ok('ip netns exec red ping -c 1 -W 2 10.10.0.3');
    } finally {
      await fresh.stop();
    }
  });
});
