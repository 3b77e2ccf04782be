/**
 * Acceptance: each lab node is a real, isolated machine as far as a provisioner can tell. Changes made on one node
 * over SSH (OpenSSH client, the lab's ssh_config, strict host-key checking) never show on another node or on
 * the machine itself; LANs connect exactly the nodes cabled to them.
 */
import * as fs from 'fs';
import { run } from '../../src/lab/exec';
import { describeLab, fixture, useLab } from '../support/lab';

describeLab('lab nodes (two LANs joined by a router)', () => {
  const lab = useLab(fixture('lab-router.yaml'));
  const machine = (argv: string[]) => run(argv, { allowFailure: true });

  test('every node answers SSH with strict host-key checking, by name and by address', async () => {
    for (const node of lab.state.nodes) {
      const byName = await lab.ssh(node.name, 'hostname; id -u; cat /etc/hostname');
      expect(byName.stdout.split('\n').slice(0, 3)).toEqual([node.name, '0', node.name]);
      expect((await lab.ssh(node.address, 'hostname')).stdout.trim()).toBe(node.name);
    }
    const config = fs.readFileSync(lab.state.sshConfigFile, 'utf8');
    expect(config).toMatch(/StrictHostKeyChecking yes/);
    expect(config).not.toMatch(/StrictHostKeyChecking (no|accept-new)/);
  });

  test('a wrong host key is refused (strict checking is real)', async () => {
    const known = fs.readFileSync(lab.state.knownHostsFile, 'utf8').split('\n');
    // Give node01 the key of router: the client must refuse to connect.
    const routerKey = known
      .find((l) => l.startsWith('10.250.11.1,'))!
      .split(' ')
      .slice(1)
      .join(' ');
    const forged = `${lab.state.knownHostsFile}.forged`;
    fs.writeFileSync(
      forged,
      known.map((l) => (l.startsWith('10.250.11.11,') ? `10.250.11.11,node01 ${routerKey}` : l)).join('\n'),
    );
    try {
      const result = await run(
        ['ssh', '-F', lab.state.sshConfigFile, '-o', `UserKnownHostsFile=${forged}`, 'node01', 'true'],
        { allowFailure: true },
      );
      expect(result.status).toBe(255);
      expect(result.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      fs.rmSync(forged);
    }
  });

  test('ip_forward, a bridge, a route, an iptables rule and a file under /etc stay on the node that made them', async () => {
    await lab.ssh(
      'node01',
      [
        'sysctl -qw net.ipv4.ip_forward=1',
        'ip link add labtest0 type bridge',
        'ip route add 10.99.0.0/16 via 192.168.1.1',
        'iptables -A INPUT -s 10.98.0.0/16 -j DROP -m comment --comment netstrap-lab-test',
        'mkdir -p /etc/cni/net.d && echo netstrap-lab-test > /etc/cni/net.d/99-lab-test.conf',
        'echo net.ipv4.ip_forward=1 > /etc/sysctl.d/99-lab-test.conf',
      ].join(' && '),
    );
    const seen = await lab.ssh(
      'node01',
      'sysctl -n net.ipv4.ip_forward; ip -br link show labtest0; ip route show 10.99.0.0/16; iptables -S INPUT; cat /etc/cni/net.d/99-lab-test.conf',
    );
    expect(seen.stdout).toMatch(/^1\nlabtest0 /);
    expect(seen.stdout).toContain('10.99.0.0/16 via 192.168.1.1 dev eth0');
    expect(seen.stdout).toContain('netstrap-lab-test');

    const probe =
      'sysctl -n net.ipv4.ip_forward; ip link show labtest0 2>&1; ip route show 10.99.0.0/16; iptables -S INPUT; ' +
      'ls /etc/cni/net.d/99-lab-test.conf /etc/sysctl.d/99-lab-test.conf 2>&1; true';
    for (const other of ['router', 'node02']) {
      const out = (await lab.ssh(other, probe)).stdout;
      expect(out.split('\n')[0]).toBe('0');
      expect(out).toMatch(/does not exist/);
      expect(out).not.toContain('10.99.0.0');
      expect(out).not.toContain('netstrap-lab-test');
      expect(out).toMatch(/99-lab-test\.conf'?: No such file/);
    }
    // The machine itself: none of it either (only read here).
    expect((await machine(['ip', 'link', 'show', 'labtest0'])).status).not.toBe(0);
    expect((await machine(['ip', 'route', 'show', '10.99.0.0/16'])).stdout).toBe('');
    expect((await machine(['iptables', '-S', 'INPUT'])).stdout).not.toContain('netstrap-lab-test');
    expect(fs.existsSync('/etc/cni/net.d/99-lab-test.conf')).toBe(false);
    expect(fs.existsSync('/etc/sysctl.d/99-lab-test.conf')).toBe(false);
  });

  test('files a provisioner writes are private per node: /etc/hosts, /etc/resolv.conf, /var/lib, /opt, /usr/local, /run', async () => {
    const paths = [
      '/etc/hosts',
      '/etc/resolv.conf',
      '/var/lib/lab-test',
      '/opt/lab-test',
      '/usr/local/lab-test',
      '/run/lab-test',
    ];
    await lab.ssh('router', paths.map((p) => `echo router-wrote >> ${p}`).join(' && '));
    const onRouter = await lab.exec('router', ['cat', ...paths]);
    expect(onRouter.stdout.match(/router-wrote/g)).toHaveLength(paths.length);
    const onNode = await lab.exec('node02', ['sh', '-c', `cat ${paths.join(' ')} 2>/dev/null; true`]);
    expect(onNode.stdout).not.toContain('router-wrote');
    for (const p of paths) expect(fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : '').not.toContain('router-wrote');
  });

  test('seeded files: own hostname and hosts entry, a harmless resolver inside the lab', async () => {
    const out = await lab.exec('node02', ['sh', '-c', 'hostname; cat /etc/hosts /etc/resolv.conf']);
    expect(out.stdout).toMatch(/^node02\n/);
    expect(out.stdout).toContain('10.250.11.12\tnode02');
    expect(out.stdout).toMatch(/^nameserver 10\.250\.11\.254$/m);
  });

  test("kernel-wide sysctls are read-only on a node; net.* is the node's own", async () => {
    const result = await lab.ssh('node02', 'sysctl -w kernel.domainname=lab-test 2>&1; echo status=$?', {
      allowFailure: true,
    });
    expect(result.stdout).toMatch(/Read-only file system|permission denied|No such file/i);
    expect(fs.readFileSync('/proc/sys/kernel/domainname', 'utf8')).not.toContain('lab-test');
    expect((await lab.ssh('node02', 'sysctl -w net.ipv4.conf.all.rp_filter=2')).status).toBe(0);
  });

  test('LANs: the router reaches both LANs; a node reaches its LAN only (no routes beyond connected ones)', async () => {
    expect(
      (await lab.ssh('router', 'ping -c1 -W2 192.168.1.11 >/dev/null && ping -c1 -W2 192.168.2.11 >/dev/null')).status,
    ).toBe(0);
    expect((await lab.ssh('node02', 'ping -c1 -W2 192.168.2.1 >/dev/null')).status).toBe(0);
    const routes = await lab.exec('node02', ['ip', '-4', 'route', 'show']);
    expect(
      routes.stdout
        .trim()
        .split('\n')
        .map((line) => line.trim())
        .sort(),
    ).toEqual([
      '10.250.11.0/24 dev mgmt0 proto kernel scope link src 10.250.11.12',
      '192.168.2.0/24 dev eth0 proto kernel scope link src 192.168.2.11',
    ]);
    const far = await lab.ssh('node02', 'ping -c1 -W1 192.168.1.11', { allowFailure: true });
    expect(far.status).not.toBe(0);
    expect((await lab.exec('router', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0');
  });
});
