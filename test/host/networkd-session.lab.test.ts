/**
 * The controller's SSH session over a link systemd-networkd manages (issue 21, the safety gap of the networkd
 * drop-in): `networkctl reload` after a drop-in of that link changed makes networkd drop every address and route of
 * the link and set again what its configuration holds (measured here with `ip monitor`). test/fixtures/
 * i21-networkd-session.yaml; the test makes networkd manage mgmt0, the session's link, on both nodes.
 * - kept: the session's address is declared on mgmt0 (so the drop-in holds it): the guard lets the change through,
 *   the address blinks (deleted and set again by networkd, seen by ip monitor) and the session, in the middle of its
 *   apply, survives it: the run ends `changed`, exit 0, and the route the drop-in holds is networkd's.
 * - foreign: mgmt0's drop-in would not hold the session's address (declared elsewhere, networkd's file none): refused,
 *   exit 2, also under --allow-disruption, nothing applied; doing by hand what the plan would do proves why: the
 *   address is gone for good and SSH with it.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { labService } from '../../src/lab';
import { describeLab, fixture, useLab } from '../support/lab';
import { tempDirs } from '../support/temp';
import { netstrapAsync } from './lab-support';

const FILE = fixture('i21-networkd-session.yaml');
const NETWORK_FILE = '/etc/systemd/network/05-mgmt0.network';

interface JsonHost {
  node: string;
  status: string;
  commands: string[];
  roundTrips: number;
  error?: string;
  refusals?: Array<{ entry: string; reason: string }>;
}

describeLab('networkctl reload on the SSH session link (networkd drop-in)', () => {
  const lab = useLab(FILE);
  const tempDir = tempDirs();
  const ssh = () => ['--ssh-config', lab.state.sshConfigFile];
  const inNode = async (node: string, script: string) => (await lab.exec(node, ['sh', '-c', script])).stdout.trim();
  const answers = async (node: string) =>
    (await lab.ssh(node, 'true', { allowFailure: true, timeoutMs: 5000 })).status === 0;
  /** The fixture with `yaml` replacing the interfaces line of `node`. */
  const variant = (name: string, node: 'kept' | 'foreign', yaml: string) => {
    const file = path.join(tempDir('i21-nd-'), `${name}.yaml`);
    const last = node === 'kept' ? '11' : '12';
    const line = `    interfaces: [{ name: eth0, lan: lan, addresses: [192.168.228.${last}/24] }]\n`;
    const text = fs.readFileSync(FILE, 'utf8');
    if (!text.includes(line)) throw new Error('fixture changed: interfaces line not found');
    fs.writeFileSync(file, text.replace(line, yaml));
    return file;
  };
  const hosts = (stdout: string) =>
    Object.fromEntries((JSON.parse(stdout) as { hosts: JsonHost[] }).hosts.map((h) => [h.node, h]));

  beforeAll(async () => {
    // kept: networkd sets mgmt0's address itself (the lab's copy goes first); foreign: networkd manages mgmt0 from a
    // file with no address, the lab's stays (a restart keeps foreign addresses).
    await inNode(
      'kept',
      `printf '[Match]\\nName=mgmt0\\n\\n[Network]\\nAddress=10.250.228.11/24\\n' > ${NETWORK_FILE}; ip -4 addr flush dev mgmt0`,
    );
    await inNode('foreign', `printf '[Match]\\nName=mgmt0\\n\\n[Network]\\n' > ${NETWORK_FILE}`);
    for (const node of ['kept', 'foreign']) await labService(lab.state.stateDir, node, 'systemd-networkd', 'restart');
    for (const node of ['kept', 'foreign']) {
      let state = '';
      for (let i = 0; i < 50 && !/^mgmt0 \S+ (routable|configured)/m.test(state); i++) {
        state = await inNode(node, "networkctl list --no-legend --no-pager | awk '{print $2, $4, $5}'");
        if (!/^mgmt0 \S+ (routable|configured)/m.test(state)) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await answers(node)).toBe(true);
    }
  }, 30000);

  test('the session address declared on its link: the reload blinks it, the session survives, the change is applied', async () => {
    const file = variant(
      'kept',
      'kept',
      '    interfaces: [{ name: eth0, lan: lan, addresses: [192.168.228.11/24] }, { name: mgmt0, addresses: [10.250.228.11/24] }]\n' +
        '    routes: [{ to: 10.98.0.0/16, via: 10.250.228.201 }]\n',
    );
    const netns = lab.state.nodes.find((n) => n.name === 'kept')!.netns;
    // What happens to mgmt0's addresses meanwhile, seen from outside the node (read only).
    const monitor = spawn('timeout', ['30', 'ip', '-n', netns, 'monitor', 'address'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let events = '';
    monitor.stdout.on('data', (chunk) => {
      events += chunk.toString();
    });
    try {
      const run = await netstrapAsync(['bootstrap', file, ...ssh(), '--json', '--only', 'kept']);
      expect([run.status, run.stderr]).toEqual([0, '']);
      const kept = hosts(run.stdout).kept;
      // Applied and verified in the session the reload blinked: one read, one apply.
      expect(kept).toMatchObject({ status: 'changed', roundTrips: 2 });
      expect(kept.commands.some((c) => c.includes('networkctl reload'))).toBe(true);
    } finally {
      monitor.kill();
    }
    // The blink: networkd deleted the session's address and set it again, in the middle of the run.
    const deleted = events.indexOf('Deleted 2: mgmt0    inet 10.250.228.11/24');
    expect(deleted).toBeGreaterThanOrEqual(0);
    expect(events.indexOf('2: mgmt0    inet 10.250.228.11/24', deleted + 10)).toBeGreaterThan(deleted);
    expect(await inNode('kept', 'ip route show 10.98.0.0/16')).toMatch(
      /^10\.98\.0\.0\/16 via 10\.250\.228\.201 dev mgmt0 proto static/,
    );
    expect(await answers('kept')).toBe(true);
  });

  test("the session address not in mgmt0's drop-in: refused, exit 2, also under --allow-disruption; by hand, the reload cuts SSH", async () => {
    const yaml =
      '    interfaces: [{ name: eth0, lan: lan, addresses: [192.168.228.12/24] }, { name: mgmt0, addresses: [10.250.229.12/24] }]\n';
    const file = variant('foreign', 'foreign', yaml);
    const before = await inNode('foreign', 'ip -4 -o addr show dev mgmt0');
    for (const extra of [[], ['--allow-disruption']]) {
      const run = await netstrapAsync(['bootstrap', file, ...ssh(), '--json', '--only', 'foreign', ...extra]);
      expect(run.status).toBe(2);
      const foreign = hosts(run.stdout).foreign;
      expect(foreign).toMatchObject({ status: 'refused', commands: [] });
      expect(foreign.refusals).toEqual([
        expect.objectContaining({
          entry: 'nodes[1].interfaces[1]',
          reason: expect.stringMatching(
            /^would make systemd-networkd reconfigure mgmt0, the interface of this SSH session \(10\.250\.228\.254 → 10\.250\.228\.12:22\) .*: 10\.250\.228\.12 is not declared on mgmt0, so netstrap's drop-in does not hold it/,
          ),
        }),
      ]);
      expect(foreign.error).toContain('--allow-disruption does not apply it');
    }
    expect(await inNode('foreign', 'ip -4 -o addr show dev mgmt0')).toBe(before);
    expect(await answers('foreign')).toBe(true);
    // What the plan would have done, by hand inside the node: the drop-in and a reload. networkd drops the address
    // its configuration does not hold: SSH is cut for good (then the test puts the address back).
    try {
      await inNode(
        'foreign',
        'mkdir -p /etc/systemd/network/05-mgmt0.network.d && ' +
          "printf '[Network]\\nAddress=10.250.229.12/24\\n' > /etc/systemd/network/05-mgmt0.network.d/netstrap.conf && " +
          'networkctl reload && sleep 1',
      );
      expect(await inNode('foreign', 'ip -4 -o addr show dev mgmt0')).not.toContain('10.250.228.12');
      expect(await answers('foreign')).toBe(false);
    } finally {
      await inNode(
        'foreign',
        'rm -rf /etc/systemd/network/05-mgmt0.network.d; networkctl reload; sleep 0.5; ip addr replace 10.250.228.12/24 dev mgmt0',
      );
    }
    expect(await answers('foreign')).toBe(true);
  });
});
