/**
 * Living beside the distro's network manager (issue 22 items 1 and 2), on real managers in the lab
 * (test/fixtures/i22-networkd.yaml): node01's eth0 is managed by systemd-networkd, node02's by netplan (networkd
 * from `netplan generate`), the router's by nothing.
 * - The problem first: with `networkManager: none` (netstrap's old iproute2-only path) the declared route is gone once
 *   the link goes down and up, and verify fails; diagnose flags both nodes, naming the manager and the fix.
 * - Then the fix: detected managers (plan, bootstrap --json), the routes in a drop-in of the link's .network file, and
 *   after a networkd restart, a link bounce and a lab reboot, verify passes with nothing pending. Round trips: 2 for a
 *   change, 1 for a no-op. reset leaves /etc/systemd/network as it was before the first bootstrap, byte for byte.
 */
import * as fs from 'fs';
import * as path from 'path';
import { labExec, readState } from '../../src/lab';
import { describeLab, fixture, testStateDir, useLab } from '../support/lab';
import { tempDirs } from '../support/temp';
import { netstrapAsync } from './lab-support';

const FILE = fixture('i22-networkd.yaml');
const MANAGED = ['node01', 'node02'];

interface JsonHost {
  node: string;
  status: string;
  roundTrips: number;
  networkManager?: { manager: string; source: string; interfaces: Array<Record<string, string>> };
}

describeLab('network managers: netstrap state kept by systemd-networkd and netplan', () => {
  const lab = useLab(FILE);
  const makeTempDir = tempDirs();
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
  const stateDir = testStateDir(FILE);
  const inNode = async (node: string, script: string) => {
    const r = await labExec(readState(stateDir)!, node, ['sh', '-c', script], { allowFailure: true });
    if (r.status !== 0) throw new Error(`${node}: ${script}: ${r.stderr}`);
    return r.stdout;
  };
  /** Every file under the node's /etc/systemd/network with its bytes, and every directory. */
  const networkdConfig = (node: string) =>
    inNode(
      node,
      'cd /etc/systemd/network && find . | sort | while read -r f; do echo "== $f"; [ -f "$f" ] && cat "$f"; done; true',
    );
  const bounce = (node: string) => inNode(node, 'ip link set eth0 down; ip link set eth0 up; sleep 0.5');
  const run = async (...args: string[]) => netstrapAsync([...args.slice(0, 2), ...ssh(), ...args.slice(2)]);
  const hosts = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout).hosts as JsonHost[]).map((h) => [h.node, h]));

  test('networkManager: none loses the route on a link bounce; detected networkd keeps it through restart, bounce, reboot; reset restores', async () => {
    const pristine = Object.fromEntries(await Promise.all(MANAGED.map(async (n) => [n, await networkdConfig(n)])));
    expect(pristine.node01).toContain('== ./10-eth0.network\n[Match]\nName=eth0');

    // The problem, with netstrap's old path forced: the route goes with the link bounce.
    const dir = makeTempDir('i22-none');
    const none = path.join(dir, 'i22-networkd.yaml');
    fs.writeFileSync(
      none,
      fs
        .readFileSync(FILE, 'utf8')
        .replace(
          /^( {4})lab: \{ networkManager: (networkd|netplan) \}$/gm,
          '$1lab: { networkManager: $2 }\n$1networkManager: none',
        ),
    );
    const old = await run('bootstrap', none, '--json');
    expect([old.status, old.stderr]).toEqual([0, '']);
    expect(hosts(old.stdout).node01.networkManager).toMatchObject({ manager: 'none', source: 'cluster file' });
    const flagged = await run('diagnose', none, '--json');
    const findings = (
      JSON.parse(flagged.stdout).nodes as Array<{ node: string; findings: Array<Record<string, string>> }>
    ).flatMap((n) =>
      n.findings
        .filter((f) => f.check === 'network-manager')
        .map((f): Record<string, string> => ({ ...f, node: n.node })),
    );
    expect(findings.map((f) => [f.node, f.severity])).toEqual([
      ['node01', 'fail'],
      ['node02', 'fail'],
    ]);
    expect(findings[0].message).toContain('systemd-networkd manages eth0 (/etc/systemd/network/10-eth0.network)');
    expect(findings[1].message).toContain('systemd-networkd (through netplan) manages eth0');
    expect(findings[0].fix).toContain('set networkManager: auto (or networkd) on nodes[1]');
    for (const node of MANAGED) await bounce(node);
    expect(await inNode('node01', 'ip route show 10.95.0.0/16')).toBe('');
    const broken = await run('verify', none);
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toContain(
      'node01: drift: route 10.95.0.0/16 is in the boot script (/etc/netstrap/network.sh) but not live',
    );
    expect(broken.stdout).toContain('pending=2');

    // The fix: the managers detected, the routes handed to networkd.
    const plan = await run('plan', FILE);
    // Issue 24: the host's summary line is `+a ~c -r` (was `3 change(s)`).
    expect(plan.stdout).toMatch(
      /^node01: \+\d+ ~\d+ -\d+\n {2}network manager: networkd \(detected; eth0: networkd\)$/m,
    );
    expect(plan.stdout).toContain('network manager: netplan (detected; eth0: netplan)');
    const fixed = await run('bootstrap', FILE, '--json');
    expect([fixed.status, fixed.stderr, fixed.status === 0 ? '' : fixed.stdout]).toEqual([0, '', '']);
    const result = hosts(fixed.stdout);
    expect(result.node01).toMatchObject({
      status: 'changed',
      roundTrips: 2,
      networkManager: {
        manager: 'networkd',
        source: 'detected',
        interfaces: [{ interface: 'eth0', manager: 'networkd', networkFile: '/etc/systemd/network/10-eth0.network' }],
      },
    });
    expect(result.node02.networkManager).toMatchObject({
      manager: 'netplan',
      interfaces: [{ interface: 'eth0', networkFile: '/run/systemd/network/10-netplan-eth0.network' }],
    });
    expect(result.router.networkManager).toMatchObject({
      manager: 'none',
      interfaces: [{ interface: 'eth0', manager: 'none' }],
    });
    expect(await inNode('node01', 'cat /etc/systemd/network/10-eth0.network.d/netstrap.conf')).toContain(
      '[Route]\nDestination=10.95.0.0/16\nGateway=192.168.95.1\nGatewayOnLink=yes\n',
    );
    expect(await inNode('node02', 'ls /etc/systemd/network/10-netplan-eth0.network.d')).toBe('netstrap.conf\n');
    // networkd set the route itself (proto static), not only iproute2 (proto boot).
    expect(await inNode('node01', 'ip route show 10.95.0.0/16')).toContain('proto static');
    const noop = await run('bootstrap', FILE, '--json');
    expect(Object.values(hosts(noop.stdout)).map((h) => [h.node, h.status, h.roundTrips])).toEqual([
      ['router', 'ok', 1],
      ['node01', 'ok', 1],
      ['node02', 'ok', 1],
    ]);
    const clean = await run('diagnose', FILE, '--json');
    const after = (JSON.parse(clean.stdout).nodes as Array<{ findings: Array<Record<string, string>> }>).flatMap((n) =>
      n.findings.filter((f) => f.check === 'network-manager').map((f) => f.severity),
    );
    expect(after).toEqual(['ok', 'ok']);

    const verifies = async (when: string) => {
      const v = await run('verify', FILE);
      expect([when, v.status, v.stdout]).toEqual([when, 0, expect.stringContaining('pending=0 failed=0')]);
    };
    for (const node of MANAGED) {
      const restart = await netstrapAsync([
        'lab',
        'service',
        FILE,
        node,
        'systemd-networkd',
        'restart',
        '--state-dir',
        stateDir,
      ]);
      expect(restart.status).toBe(0);
    }
    await verifies('after a networkd restart');
    for (const node of MANAGED) await bounce(node);
    expect(await inNode('node01', 'ip route show 10.95.0.0/16')).toContain('via 192.168.95.1');
    await verifies('after the link went down and up');
    for (const node of MANAGED) {
      const reboot = await netstrapAsync(['lab', 'reboot', FILE, node, '--state-dir', stateDir]);
      expect([reboot.status, reboot.stderr]).toEqual([0, '']);
    }
    await verifies('after a lab reboot');
    for (const node of MANAGED) await bounce(node);
    await verifies('after a bounce following the reboot');

    const reset = await run('reset', FILE);
    expect([reset.status, reset.stderr]).toEqual([0, '']);
    for (const node of MANAGED) expect([node, await networkdConfig(node)]).toEqual([node, pristine[node]]);
  }, 120000);
});
