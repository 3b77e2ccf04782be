/**
 * Issue 21: a lab whose management network is IPv6 (test/fixtures/i21-ipv6-mgmt.yaml, fd00:250:227::/64). The
 * machine's side of the lab bridge gets one IPv6 address of that range (without DAD, taking no router advertisement),
 * each node's sshd listens on its IPv6 address only, and plan, bootstrap and reset reach the nodes over SSH on IPv6
 * (the real OpenSSH server, the product's real SSH client).
 */
import * as fs from 'fs';
import * as path from 'path';
import { bootstrapCluster, resetCluster } from '../../src/host/provision';
import { labDown, labReboot, labUp, readState } from '../../src/lab';
import { run } from '../../src/lab/exec';
import { snapshot } from '../host/lab-support';
import { describeLab, fixture, netstrap, testStateDir, useLab } from '../support/lab';
import { tempDirs } from '../support/temp';

const FILE = fixture('i21-ipv6-mgmt.yaml');
const CONTROLLER = 'fd00:250:227:0:ffff:ffff:ffff:fffe';

describeLab('issue 21: an IPv6 management network (SSH over IPv6)', () => {
  const lab = useLab(FILE);
  const tempDir = tempDirs();
  const bridge = () => lab.state.plan.bridge;
  const sysctl = (key: string) => fs.readFileSync(`/proc/sys/net/ipv6/conf/${bridge()}/${key}`, 'utf8').trim();

  test("the machine's side of the lab bridge: one address of the range, no DAD, no router advertisements taken", async () => {
    const addresses = JSON.parse((await run(['ip', '-j', '-6', 'addr', 'show', 'dev', bridge()])).stdout)[0]
      .addr_info as Array<{ local: string; prefixlen: number; scope: string; nodad?: boolean; tentative?: boolean }>;
    expect(addresses.filter((a) => a.scope === 'global')).toEqual([
      expect.objectContaining({ local: CONTROLLER, prefixlen: 64, nodad: true }),
    ]);
    expect(addresses.some((a) => a.tentative)).toBe(false);
    expect(['accept_ra', 'autoconf', 'accept_dad', 'disable_ipv6'].map(sysctl)).toEqual(['0', '0', '0', '0']);
    expect(fs.readFileSync(`/proc/sys/net/ipv4/conf/${bridge()}/forwarding`, 'utf8').trim()).toBe('0');
    // No IPv4 address on it: the lab is IPv6 only on the machine's side.
    expect((await run(['ip', '-4', '-o', 'addr', 'show', 'dev', bridge()])).stdout).toBe('');
  });

  test('each sshd listens on its IPv6 address only; OpenSSH reaches it through the lab ssh_config over IPv6', async () => {
    const listening = await lab.exec('a1', ['ss', '-H', '-ltn']);
    expect(listening.stdout.trim().split(/\s+/)[3]).toBe('[fd00:250:227::11]:22');
    const session = await lab.ssh('a1', 'echo $SSH_CONNECTION; ip -6 -o addr show dev mgmt0 scope global');
    const [connection, address] = session.stdout.trim().split('\n');
    expect(connection.split(' ')).toEqual([CONTROLLER, expect.stringMatching(/^\d+$/), 'fd00:250:227::11', '22']);
    expect(address).toMatch(/inet6 fd00:250:227::11\/64 scope global nodad/);
    const ssh = fs.readFileSync(lab.state.sshConfigFile, 'utf8');
    expect(ssh).toContain('Host a2 fd00:250:227::12\n  HostName fd00:250:227::12\n  Port 22');
    const status = netstrap(['lab', 'status', FILE, '--state-dir', lab.state.stateDir]);
    expect([status.status, status.stdout.split('\n')[0]]).toEqual([
      0,
      expect.stringMatching(/^a1\t\[fd00:250:227::11\]:22\tpid \d+\tup \(SSH-2\.0-OpenSSH/),
    ]);
  });

  test('bootstrap over IPv6 SSH: 2 round trips per changed host, then 1 for a no-op; reset gives back the start', async () => {
    const before = { a1: await snapshot(lab.state, 'a1'), a2: await snapshot(lab.state, 'a2') };
    const options = { sshConfigFile: lab.state.sshConfigFile };
    const applied = await bootstrapCluster(lab.model, options);
    expect(applied.hosts.map((h) => [h.node, h.status, h.roundTrips, h.error ?? ''])).toEqual([
      ['a1', 'changed', 2, ''],
      ['a2', 'changed', 2, ''],
    ]);
    expect((await lab.exec('a2', ['ip', 'route', 'show', '10.77.0.0/16'])).stdout).toContain('via 192.168.227.11');
    expect((await lab.exec('a1', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
    const again = await bootstrapCluster(lab.model, options);
    expect(again.hosts.map((h) => [h.node, h.status, h.roundTrips])).toEqual([
      ['a1', 'ok', 1],
      ['a2', 'ok', 1],
    ]);
    const reset = await resetCluster(lab.model, options);
    expect(reset.hosts.map((h) => [h.node, h.status, h.error ?? ''])).toEqual([
      ['a1', 'changed', ''],
      ['a2', 'changed', ''],
    ]);
    expect({ a1: await snapshot(lab.state, 'a1'), a2: await snapshot(lab.state, 'a2') }).toEqual(before);
  });

  test('lab reboot: the node comes back on its IPv6 address, and SSH answers at once (fixed MAC, no DAD)', async () => {
    const started = Date.now();
    await labReboot(lab.state.stateDir, 'a1');
    const state = readState(lab.state.stateDir)!;
    const answered = await run(['ssh', '-F', state.sshConfigFile, 'a1', '--', 'echo $SSH_CONNECTION'], {
      timeoutMs: 10000,
    });
    expect(answered.stdout.trim().split(' ')[2]).toBe('fd00:250:227::11');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('an IPv6 managementCidr overlapping a running lab is refused, nothing created', async () => {
    const dir = tempDir('netstrap-lab-');
    const file = path.join(dir, 'clash.yaml');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(FILE, 'utf8')
        .replace('name: i21-ipv6-mgmt', 'name: clash6')
        .replace(/fd00:250:227::/g, 'fd00:250:227:0:8000::')
        .replace('fd00:250:227:0:8000::/64', 'fd00:250:227:0:8000::/65'),
    );
    const clash = netstrap(['lab', 'up', file, '--state-dir', path.join(dir, 'state')]);
    expect([clash.status, clash.stderr]).toEqual([
      1,
      expect.stringContaining(
        `lab.managementCidr fd00:250:227:0:8000::/65 overlaps address ${CONTROLLER}/64 on ${bridge()}`,
      ),
    ]);
    expect(fs.existsSync(path.join(dir, 'state'))).toBe(false);
    expect((await run(['ip', 'netns', 'list'])).stdout).not.toContain('clash6');
  });

  test('lab down leaves nothing of the range in the root namespace', async () => {
    const stateDir = testStateDir(FILE);
    const plan = lab.state.plan;
    await labDown(stateDir);
    expect(readState(stateDir)).toBeUndefined();
    expect((await run(['ip', '-6', '-o', 'addr', 'show'])).stdout).not.toContain('fd00:250:227:');
    expect((await run(['ip', '-6', 'route', 'show', 'table', 'all'])).stdout).not.toContain('fd00:250:227:');
    expect((await run(['ip', 'link', 'show'])).stdout).not.toContain(plan.bridge);
    // Up again (afterAll takes it down): the range is free again, nothing was left to clash with.
    expect((await labUp(lab.model, { stateDir })).status).toBe('up');
  });
});
