/**
 * The lab runs real network managers (issue 22 item 4): a node's `lab: { networkManager: networkd }` runs Debian's
 * systemd-networkd in it, configuring its LAN interface from a .network file holding the first declared address;
 * `netplan` does the same through a netplan YAML and `netplan generate`. `lab service` stops, starts and restarts
 * it; `lab reboot` starts it before netstrap's unit; and a rebooted node answers SSH, and its LAN peers, within 2 s
 * (its interfaces keep their MAC addresses, so no neighbour cache points at a vanished one).
 */
import * as fs from 'fs';
import * as path from 'path';
import { labExec, readState } from '../../src/lab';
import { describeLab, fixture, netstrap, sshRun, testStateDir, useLab } from '../support/lab';

const file = fixture('i22-networkd.yaml');
const stateDir = testStateDir(file);
const inNode = (node: string, script: string) =>
  labExec(readState(stateDir)!, node, ['sh', '-c', script], { allowFailure: true });
/** `KEY=value` lines of networkd's state file of eth0 in the node. */
const linkState = async (node: string) =>
  (await inNode(node, 'cat /run/systemd/netif/links/$(cat /sys/class/net/eth0/ifindex)')).stdout;
const networkdPids = async (node: string) =>
  (await inNode(node, 'pidof systemd-networkd')).stdout.trim().split(/\s+/).filter(Boolean);

describeLab('lab: real network managers in nodes', () => {
  const lab = useLab(file);

  test('networkd and netplan nodes get their first address from the manager; the bare node has none', async () => {
    expect(await linkState('node01')).toMatch(/^NETWORK_FILE=\/etc\/systemd\/network\/10-eth0\.network$/m);
    expect(await linkState('node02')).toMatch(/^NETWORK_FILE=\/run\/systemd\/network\/10-netplan-eth0\.network$/m);
    expect((await inNode('node01', 'cat /etc/systemd/network/10-eth0.network')).stdout).toBe(
      '[Match]\nName=eth0\n\n[Network]\nAddress=192.168.95.11/24\n',
    );
    expect((await inNode('node02', 'cat /etc/netplan/50-lab.yaml')).stdout).toContain('addresses: [192.168.95.12/24]');
    for (const node of ['node01', 'node02']) {
      const addresses = (await inNode(node, 'ip -4 -o addr show dev eth0')).stdout;
      expect(addresses.match(/inet \S+/g)).toHaveLength(1);
    }
    expect((await inNode('router', 'ls /run/systemd/netif 2>&1; pidof systemd-networkd')).stdout).toMatch(
      /No such file/,
    );
    // The node's networkd is its own: nothing of it shows on the machine.
    expect(fs.existsSync('/etc/systemd/network/10-eth0.network')).toBe(false);
  });

  test('lab service stops, starts and restarts the node manager; a node without one is refused', async () => {
    const before = await networkdPids('node01');
    expect(before).toHaveLength(1);
    const stop = netstrap(['lab', 'service', file, 'node01', 'systemd-networkd', 'stop', '--state-dir', stateDir]);
    expect([stop.status, stop.stderr]).toEqual([0, '']);
    expect(stop.stdout).toMatch(/^node01: systemd-networkd stopped/);
    expect(await networkdPids('node01')).toEqual([]);
    const start = netstrap(['lab', 'service', file, 'node01', 'systemd-networkd', 'start', '--state-dir', stateDir]);
    expect([start.status, start.stderr]).toEqual([0, '']);
    const started = await networkdPids('node01');
    expect(started).toHaveLength(1);
    const restart = netstrap([
      'lab',
      'service',
      file,
      'node01',
      'systemd-networkd',
      'restart',
      '--state-dir',
      stateDir,
    ]);
    expect([restart.status, restart.stderr]).toEqual([0, '']);
    const restarted = await networkdPids('node01');
    expect(restarted).toHaveLength(1);
    expect(restarted).not.toEqual(started);
    expect(await linkState('node01')).toMatch(/^ONLINE_STATE=online$/m);

    const bare = netstrap(['lab', 'service', file, 'router', 'systemd-networkd', 'start', '--state-dir', stateDir]);
    expect(bare.status).toBe(1);
    expect(bare.stderr).toContain('node router runs no systemd-networkd');
    const wrong = netstrap(['lab', 'service', file, 'node01', 'systemd-networkd', 'reload', '--state-dir', stateDir]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('action: must be one of start, stop, restart (got "reload")');
  });

  test('after lab reboot the node answers SSH, and its LAN peer reaches it, within 2 s; networkd starts first', async () => {
    // Warm every neighbour cache that could keep a stale MAC: the machine's (SSH) and the LAN peer's (ping).
    expect((await sshRun(lab.state, 'node01', 'true')).status).toBe(0);
    expect((await inNode('router', 'ping -c1 -W1 192.168.95.11')).status).toBe(0);
    const reboot = netstrap(['lab', 'reboot', file, 'node01', '--state-dir', stateDir]);
    expect([reboot.status, reboot.stderr]).toEqual([0, '']);
    const rebooted = Date.now();
    const ssh = await sshRun(readState(stateDir)!, 'node01', 'true', { timeoutMs: 2000, allowFailure: true });
    const sshSeconds = (Date.now() - rebooted) / 1000;
    expect([ssh.status, sshSeconds < 2]).toEqual([0, true]);
    const peer = await inNode('router', 'ping -c1 -W2 192.168.95.11');
    expect([peer.status, (Date.now() - rebooted) / 1000 < 2.5]).toEqual([0, true]);
    console.log(`lab reboot → SSH answers in ${sshSeconds.toFixed(2)} s`);
    const bootLog = fs.readFileSync(path.join(readState(stateDir)!.nodes[1].dir, 'sshd.log'), 'utf8');
    expect(bootLog).toMatch(/systemd-networkd started \(networkd\)[\s\S]*netstrap lab boot: done/);
    expect(await linkState('node01')).toMatch(/^NETWORK_FILE=\/etc\/systemd\/network\/10-eth0\.network$/m);
  });
});
