/**
 * Acceptance: `netstrap lab up | status | down` through the CLI. `up` creates nodes that answer SSH; a second `up`,
 * a bad cluster file or a managementCidr clash are refused without creating anything; `down` leaves no
 * namespace, process, mount, link or file of the lab behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { labDown, labUp, LabState, readState } from '../../src/lab';
import { loadClusterFile } from '../../src/model/load';
import { run } from '../../src/lab/exec';
import { describeLab, fixture, netstrap, testStateDir } from '../support/lab';
import { tempDirs } from '../support/temp';
import { withLine } from '../support/lines';

const clusterFile = fixture('lab-lan.yaml');
const stateDir = testStateDir(clusterFile);

/** Network namespaces of a cluster's labs (other tests' labs may come and go meanwhile). */
async function netnsNames(cluster: string): Promise<string[]> {
  return (await run(['ip', 'netns', 'list'])).stdout
    .split('\n')
    .map((line) => line.split(' ')[0])
    .filter((name) => name.startsWith(`${cluster}-`))
    .sort();
}

/** Live processes whose command line names `text` (a lab's launchers and sshds name their state dir). */
function processesMentioning(text: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
        return cmd.includes(text) ? [`${pid}: ${cmd}`] : [];
      } catch {
        return [];
      }
    });
}

describeLab('netstrap lab up / status / down', () => {
  const tempDir = tempDirs();
  let state: LabState | undefined;

  beforeAll(async () => {
    if (readState(stateDir)) await labDown(stateDir);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    if (readState(stateDir)) await labDown(stateDir);
  });

  test('up creates every node; status shows each sshd answering', async () => {
    const up = netstrap(['lab', 'up', clusterFile, '--state-dir', stateDir]);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(up.stdout).toMatch(/lab lablan up: 4 nodes in \d+\.\d s/);
    state = readState(stateDir);
    expect(state?.nodes.map((n) => n.name)).toEqual(['n1', 'n2', 'n3', 'n4']);
    for (const file of [state!.sshConfigFile, state!.knownHostsFile, state!.identityFile])
      expect(fs.existsSync(file)).toBe(true);
    expect(fs.statSync(state!.identityFile).mode & 0o077).toBe(0);

    const status = netstrap(['lab', 'status', clusterFile, '--state-dir', stateDir]);
    expect(status.status).toBe(0);
    for (const node of state!.nodes) {
      expect(status.stdout).toMatch(
        new RegExp(
          `^${node.name}\\t${node.address.replace(/\./g, '\\.')}:22\\tpid ${node.pid}\\tup \\(SSH-2\\.0-OpenSSH_`,
          'm',
        ),
      );
    }
    expect(status.stdout).toContain('lab lablan: 4/4 nodes answer');
  });

  test('every node of the LAN reaches every other over the LAN, and the mtu of the file is applied', async () => {
    const result = await run([
      'ssh',
      '-F',
      state!.sshConfigFile,
      'n1',
      '--',
      'for a in 192.168.10.12 192.168.10.13 192.168.10.14; do ping -c1 -W2 $a >/dev/null || exit 1; done',
    ]);
    expect(result.status).toBe(0);
    expect(
      (await run(['ssh', '-F', state!.sshConfigFile, 'n3', '--', 'cat /sys/class/net/eth0/mtu'])).stdout.trim(),
    ).toBe('1400');
  });

  test('up on a lab that is up is a clear error and changes nothing', async () => {
    const before = await netnsNames('lablan');
    expect(before).toHaveLength(5);
    const again = netstrap(['lab', 'up', clusterFile, '--state-dir', stateDir]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/netstrap lab: a lab is already up in .*lab-lan.*: run `netstrap lab down` first/);
    expect(await netnsNames('lablan')).toEqual(before);
    expect(readState(stateDir)).toEqual(state);
  });

  test('a managementCidr overlapping a running lab is refused, nothing created', async () => {
    const dir = tempDir('netstrap-lab-');
    const file = path.join(dir, 'clash.yaml');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(clusterFile, 'utf8')
        .replace('name: lablan', 'name: clash')
        .replace('managementCidr: 10.250.12.0/24', 'managementCidr: 10.250.12.0/25'),
    );
    const clash = netstrap(['lab', 'up', file, '--state-dir', path.join(dir, 'state')]);
    expect(clash.status).toBe(1);
    expect(clash.stderr).toMatch(
      /lab\.managementCidr 10\.250\.12\.0\/25 overlaps address 10\.250\.12\.254\/24 on lablan/,
    );
    expect(fs.existsSync(path.join(dir, 'state'))).toBe(false);
    expect(await netnsNames('clash')).toEqual([]);
  });

  test('a bad cluster file is an input error (exit 2) naming file, field and value; nothing created', async () => {
    const dir = tempDir('netstrap-lab-');
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      file,
      fs
        .readFileSync(clusterFile, 'utf8')
        .replace('name: lablan', 'name: badlab')
        .replace('host: 10.250.12.13', 'host: 10.251.0.13')
        .replace('192.168.10.14/24', '192.168.11.14/24'),
    );
    const bad = netstrap(['lab', 'up', file, '--state-dir', path.join(dir, 'state')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      withLine(
        file,
        fs.readFileSync(file, 'utf8'),
      )(
        `${file}: nodes[3].interfaces[0].addresses[0]: "192.168.11.14/24" is not an address of LAN "lan" 192.168.10.0/24`,
      ),
    );
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('192.168.11.14/24', '192.168.10.14/24'));
    const outside = netstrap(['lab', 'up', file, '--state-dir', path.join(dir, 'state')]);
    expect(outside.status).toBe(2);
    // Found by `lab up` after loading: it carries the line of the field too.
    expect(outside.stderr).toContain(
      withLine(
        file,
        fs.readFileSync(file, 'utf8'),
      )(`${file}: nodes[2].ssh.host: "10.251.0.13" is outside lab.managementCidr 10.250.12.0/24`),
    );
    expect(outside.stderr).toMatch(/bad\.yaml:\d+: nodes\[2\]\.ssh\.host/);
    expect(fs.existsSync(path.join(dir, 'state'))).toBe(false);
    expect(await netnsNames('badlab')).toEqual([]);
  });

  test('down removes every namespace, process, mount, link and file of the lab', async () => {
    const recorded = state!;
    const down = netstrap(['lab', 'down', clusterFile, '--state-dir', stateDir]);
    expect(down.stderr).toBe('');
    expect(down.status).toBe(0);
    expect(down.stdout).toMatch(/lab lablan down: 4 nodes, 5 namespaces removed/);

    const namespaces = await netnsNames('lablan');
    expect(namespaces).toEqual([]);
    for (const ns of [...recorded.plan.nodes.map((n) => n.netns), ...recorded.plan.lans.map((l) => l.netns)])
      expect(namespaces).not.toContain(ns);
    for (const node of recorded.nodes) {
      for (const pid of [node.pid, node.launcherPid]) {
        const cmd = fs.existsSync(`/proc/${pid}/cmdline`) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
        expect(cmd).not.toMatch(/sshd|unshare/);
      }
    }
    const links = (await run(['ip', '-br', 'link'])).stdout;
    for (const name of [recorded.plan.bridge, ...recorded.plan.nodes.map((n) => n.rootVeth)])
      expect(links).not.toMatch(new RegExp(`^${name}[@ ]`, 'm'));
    expect(fs.readFileSync('/proc/mounts', 'utf8')).not.toContain(stateDir);
    expect(fs.readFileSync('/proc/mounts', 'utf8')).not.toMatch(/lablan-/);
    expect(fs.existsSync(stateDir)).toBe(false);
    expect(readState(stateDir)).toBeUndefined();

    const status = netstrap(['lab', 'status', clusterFile, '--state-dir', stateDir]);
    expect(status.status).toBe(1);
    expect(status.stderr).toMatch(/no lab in/);
    // A second down has nothing to remove: a note, exit 0 (issue 24).
    const again = netstrap(['lab', 'down', clusterFile, '--state-dir', stateDir]);
    expect({ status: again.status, stderr: again.stderr }).toEqual({ status: 0, stderr: '' });
    expect(again.stdout).toContain('nothing to remove');
  });

  test('an up that fails halfway (sshd not ready in time) removes everything it had created', async () => {
    await expect(labUp(loadClusterFile(clusterFile), { stateDir, timeoutMs: 1 })).rejects.toThrow(
      /lab nodes did not start:\n {2}n1: sshd not ready in time/,
    );
    expect(await netnsNames('lablan')).toEqual([]);
    expect(fs.existsSync(stateDir)).toBe(false);
    expect((await run(['ip', '-br', 'addr'])).stdout).not.toContain('10.250.12.254');
    expect(processesMentioning(stateDir)).toEqual([]);
  });
});
