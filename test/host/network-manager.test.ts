/**
 * Which manager owns each interface netstrap touches (src/host/network-manager.ts), from the managers' runtime state as
 * the fact round trip prints it, and the networkd drop-in netstrap writes for a managed link (resources/networkd.ts).
 */
import { FactSet } from '../../src/host/fact';
import { managerFact, nodeNetworkManager } from '../../src/host/network-manager';
import { managerChecks } from '../../src/host/diagnose/managers';
import { dropInContent, networkdDropIns } from '../../src/host/resources/networkd';
import { loadClusterFile } from '../../src/model/load';
import { fixture } from '../support/lab';

const cluster = loadClusterFile(fixture('i22-networkd.yaml')).cluster;
const node01 = cluster.nodes.find((n) => n.name === 'node01')!;

/** The fact script's output of a node whose eth0 (ifindex 3) networkd configures from `file`. */
function managed(file: string, extra = ''): FactSet {
  return new FactSet({
    [managerFact.name]: [
      '# ifindex',
      '/sys/class/net/lo/ifindex:1',
      '/sys/class/net/mgmt0/ifindex:2',
      '/sys/class/net/eth0/ifindex:3',
      '# networkd',
      '/run/systemd/netif/links/2:ADMIN_STATE=unmanaged',
      '/run/systemd/netif/links/3:ADMIN_STATE=configured',
      `/run/systemd/netif/links/3:NETWORK_FILE=${file}`,
      '# NetworkManager',
      '# ifupdown',
      '# netplan',
      '# drop-ins',
      extra,
    ].join('\n'),
  });
}

test('networkd, netplan, NetworkManager, ifupdown and none are told apart per interface', () => {
  expect(nodeNetworkManager(node01, managed('/etc/systemd/network/10-eth0.network'))).toEqual({
    manager: 'networkd',
    source: 'detected',
    interfaces: [{ interface: 'eth0', manager: 'networkd', networkFile: '/etc/systemd/network/10-eth0.network' }],
    netplanFiles: [],
  });
  expect(nodeNetworkManager(node01, managed('/run/systemd/network/10-netplan-eth0.network')).manager).toBe('netplan');
  const nm = new FactSet({
    [managerFact.name]:
      '# ifindex\n/sys/class/net/eth0/ifindex:3\n# NetworkManager\n/run/NetworkManager/devices/3:managed=true\n',
  });
  expect(nodeNetworkManager(node01, nm).interfaces).toEqual([{ interface: 'eth0', manager: 'NetworkManager' }]);
  const ifupdown = new FactSet({ [managerFact.name]: '# ifupdown\neth0=eth0\nlo=lo\n' });
  expect(nodeNetworkManager(node01, ifupdown).manager).toBe('ifupdown');
  expect(nodeNetworkManager(node01, new FactSet({})).manager).toBe('none');
  // The cluster file's setting wins over what is detected.
  expect(
    nodeNetworkManager({ ...node01, networkManager: 'none' }, managed('/etc/systemd/network/10-eth0.network')),
  ).toMatchObject({ manager: 'none', source: 'cluster file', interfaces: [{ interface: 'eth0', manager: 'none' }] });
});

test('a managed link gets a drop-in with its addresses and routes; none, or a file already right, gets nothing', () => {
  expect(dropInContent(node01, 'eth0')).toBe(
    [
      '# Written by netstrap for node node01: the addresses and routes it declares on eth0, kept by systemd-networkd.',
      '# Edits are overwritten on the next bootstrap; `netstrap reset` removes this file.',
      '[Network]',
      'Address=192.168.95.11/24',
      '',
      '[Route]',
      'Destination=10.95.0.0/16',
      'Gateway=192.168.95.1',
      'GatewayOnLink=yes',
      '',
    ].join('\n'),
  );
  const path = '/etc/systemd/network/10-eth0.network.d/netstrap.conf';
  const [change] = networkdDropIns.plan(node01, managed('/etc/systemd/network/10-eth0.network'), cluster);
  expect(change).toMatchObject({ kind: 'networkd-drop-in', target: path, before: 'absent' });
  expect(change.owns).toEqual([{ kind: 'networkd-drop-in', id: `file ${path}`, prior: null }]);
  const written = `${path} ${Buffer.from(dropInContent(node01, 'eth0')!).toString('base64')}`;
  expect(networkdDropIns.plan(node01, managed('/etc/systemd/network/10-eth0.network', written), cluster)).toEqual([]);
  expect(networkdDropIns.plan({ ...node01, networkManager: 'none' }, managed('/x/10-eth0.network'), cluster)).toEqual(
    [],
  );
  // Owned and no longer wanted (reset declares nothing): removed, its directory with it when empty.
  const owned = [{ kind: 'networkd-drop-in', id: `file ${path}`, prior: null }];
  const [removal] = networkdDropIns.plan(
    { ...node01, interfaces: [], routes: [] },
    managed('/etc/systemd/network/10-eth0.network', written),
    cluster,
    owned,
  );
  expect(removal).toMatchObject({ target: path, after: 'absent', releases: owned });
});

describe("diagnose's network-manager check", () => {
  const model = loadClusterFile(fixture('i22-networkd.yaml'));
  const check = (node: typeof node01, facts: FactSet) =>
    managerChecks({ model, self: { node, index: 1, facts, view: {} as never }, all: [] });

  test('networkd without netstrap drop-in fails, naming the manager and the fix; with it, ok', () => {
    const [missing] = check(node01, managed('/etc/systemd/network/10-eth0.network'));
    expect(missing).toMatchObject({ check: 'network-manager', severity: 'fail' });
    expect(missing.message).toContain('node01: systemd-networkd manages eth0 (/etc/systemd/network/10-eth0.network)');
    expect(missing.fix).toBe(
      'run `netstrap bootstrap`: it writes /etc/systemd/network/10-eth0.network.d/netstrap.conf',
    );
    const [forcedOff] = check({ ...node01, networkManager: 'none' }, managed('/etc/systemd/network/10-eth0.network'));
    expect(forcedOff.fix).toContain('set networkManager: auto (or networkd) on nodes[1]');
    const written = `/etc/systemd/network/10-eth0.network.d/netstrap.conf ${Buffer.from(dropInContent(node01, 'eth0')!).toString('base64')}`;
    expect(check(node01, managed('/etc/systemd/network/10-eth0.network', written)).map((f) => f.severity)).toEqual([
      'ok',
    ]);
  });

  test('NetworkManager and ifupdown are warned about with what to do; no manager, nothing said', () => {
    const nm = new FactSet({
      [managerFact.name]:
        '# ifindex\n/sys/class/net/eth0/ifindex:3\n# NetworkManager\n/run/NetworkManager/devices/3:managed=true\n',
    });
    const [warned] = check(node01, nm);
    expect(warned).toMatchObject({ severity: 'warn' });
    expect(warned.fix).toContain('nmcli connection modify');
    const [ifup] = check(node01, new FactSet({ [managerFact.name]: '# ifupdown\neth0=eth0\n' }));
    expect(ifup.fix).toContain('/etc/network/interfaces');
    expect(check(node01, new FactSet({}))).toEqual([]);
  });
});
