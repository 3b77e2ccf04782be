/**
 * Issue 21, the lab's pods: a dual-stack cluster's bridge conflist (host-local with one range set per family), run
 * through Debian's real CNI plugins by `lab pod add`, gives every pod one IPv4 and one IPv6 address inside its
 * node's two pod subnets; pods on one node reach each other over both families without NAT; `lab pod add` prints
 * `NAME IPV4 IPV6`; DEL frees both leases (test/fixtures/i21-ds-pods.yaml).
 */
import { bootstrapCluster } from '../../src/host/provision';
import { type LabPod, podAdd, podDel, readPods } from '../../src/lab/pods';
import { ipNetworkContains, parseIpAddress, parseIpNetwork } from '../../src/model/cidr';
import { podSubnets } from '../../src/model/pod-subnets';
import { netstrapAsync } from '../host/lab-support';
import { describeLab, fixture, useLab } from '../support/lab';
import { podProbes } from '../support/lab-pods';

const FILE = fixture('i21-ds-pods.yaml');

describeLab(
  'issue 21: dual-stack pods from the real CNI plugins (bridge + host-local, one range set per family)',
  () => {
    const lab = useLab(FILE);
    const { run, listen, peerSeen } = podProbes(lab);
    const pods = new Map<string, LabPod>();
    const pod = (name: string) => pods.get(name)!;

    beforeAll(async () => {
      const result = await bootstrapCluster(lab.model, { sshConfigFile: lab.state.sshConfigFile });
      expect(result.hosts.map((h) => [h.node, h.status, h.error ?? ''])).toEqual([['node01', 'changed', '']]);
      for (const name of ['web', 'db']) pods.set(name, await podAdd(lab.state, 'node01', name));
    }, 90000);

    test('lab pod add (CLI) prints NAME IPV4 IPV6; pod list shows both addresses', async () => {
      const added = await netstrapAsync([
        'lab',
        'pod',
        'add',
        FILE,
        'node01',
        'cli',
        '--state-dir',
        lab.state.stateDir,
      ]);
      expect([added.status, added.stderr]).toEqual([0, '']);
      expect(added.stdout).toMatch(/^cli 10\.244\.0\.\d+ fd00:10:244::[0-9a-f]+\n$/);
      const created = readPods(lab.state).find((p) => p.name === 'cli')!;
      expect(added.stdout).toBe(`cli ${created.ips!.join(' ')}\n`);
      const list = await netstrapAsync(['lab', 'pod', 'list', FILE, '--state-dir', lab.state.stateDir]);
      expect(list.stdout).toContain(`node01/cli\t${created.ips!.join(' ')}\n`);
      await podDel(lab.state, 'node01', 'cli');
    });

    test("every pod gets one IPv4 and one IPv6 address inside its node's two pod subnets", async () => {
      const subnet = podSubnets(lab.model.cluster).byNode.get('node01')!;
      expect([subnet.cidr, subnet.ipv6]).toEqual(['10.244.0.0/24', 'fd00:10:244::/64']);
      for (const [name, p] of pods) {
        expect([name, p.ips!.length]).toEqual([name, 2]);
        const inside = p.ips!.map((ip, i) => {
          const network = parseIpNetwork(i === 0 ? subnet.cidr : subnet.ipv6);
          const address = parseIpAddress(ip);
          return network.ok && address.ok && ipNetworkContains(network.value, address.value);
        });
        expect([name, inside]).toEqual([name, [true, true]]);
        // What the pod itself holds: both addresses on eth0, a default route per family via the node's bridge.
        const held = await run(`node01/${name}`, ['sh', '-c', 'ip -o addr show dev eth0 scope global; ip -6 route']);
        expect(held.out).toContain(`inet ${p.ips![0]}/24`);
        expect(held.out).toContain(`inet6 ${p.ips![1]}/64`);
        expect(held.out).toContain('default via fd00:10:244::1 dev eth0');
      }
      expect(pod('web').checkFailures).toEqual([]);
    });

    test('pods on one node reach each other over IPv6 and IPv4; the listener sees the sender pod itself', async () => {
      await listen('node01/web', pod('web').ips![1], 80);
      await listen('node01/web', pod('web').ips![0], 81);
      expect(await peerSeen('node01/db', pod('web').ips![1], 80)).toBe(pod('db').ips![1]);
      expect(await peerSeen('node01/db', pod('web').ips![0], 81)).toBe(pod('db').ips![0]);
    });

    test("lab pod del: DEL exits 0 and frees host-local's lease of each family", async () => {
      const p = pod('db');
      const leases = p.ips!.map((ip) => `/var/lib/cni/networks/i21-ds-pods/${ip}`);
      for (const lease of leases) expect((await run('node01', ['cat', lease])).out).toContain(p.containerId);
      const deleted = await podDel(lab.state, 'node01', 'db');
      expect(deleted.deletes).toEqual([
        { plugin: 'portmap', status: 0 },
        { plugin: 'bridge', status: 0 },
      ]);
      for (const lease of leases) expect((await run('node01', ['test', '-e', lease])).ok).toBe(false);
    });
  },
);
