import { links, undeclaredAddresses } from '../../../src/host/resources/links';
import { bridges } from '../../../src/host/resources/bridges';
import { FactSet, factCommands } from '../../../src/host/fact';
import { recordedFacts, recordedOutputs, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();

describe('link kind (addresses, MTU, up) on recorded ip -j facts', () => {
  it('on the bare node: sets the MTU, brings eth0 up, adds only the address the lab did not assign', () => {
    const changes = links.plan(node, recordedFacts('bare'), cluster);
    expect(changes.map((c) => `${c.target}: ${c.before} → ${c.after}`)).toEqual([
      'eth0 mtu: 1500 → 1400',
      'eth0 state: down → up',
      'eth0 address 192.168.1.12/24: absent → present',
    ]);
    expect(rendered(changes[2])).toEqual({
      apply: ['ip addr add 192.168.1.12/24 dev eth0'],
      // Deleted with promote_secondaries on for that one deletion (resources/addresses.ts): nothing else goes with it.
      revert: [
        expect.stringMatching(/promote_secondaries.*ip addr del "\$1" dev "\$2".* sh 192\.168\.1\.12\/24 eth0$/),
      ],
    });
    expect(rendered(changes[0]).revert).toEqual(['ip link set dev eth0 mtu 1500']);
  });

  it('is a no-op on the converged node', () => {
    expect(links.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
  });

  it('after drift: puts back the MTU and the removed address', () => {
    expect(links.plan(node, recordedFacts('drifted'), cluster).map((c) => c.target)).toEqual([
      'eth0 mtu',
      'eth0 address 192.168.1.12/24',
    ]);
  });

  it('has no changes for a node without interfaces (its ip facts are still read: owned addresses may have to go)', () => {
    const bare = { ...node, interfaces: [] };
    expect(Object.keys(factCommands(links, bare, cluster))).toEqual(['ip-addr', 'ip-route']);
    expect(links.plan(bare, new FactSet({}), cluster)).toEqual([]);
  });
});

describe('bridge kind on recorded ip -j facts', () => {
  it('creates v-net-0, brings it up and gives it its address; revert deletes the bridge it made', () => {
    const changes = bridges.plan(node, recordedFacts('bare'), cluster);
    expect(changes.map(rendered)).toEqual([
      { apply: ['ip link add name v-net-0 type bridge'], revert: ['ip link del dev v-net-0'] },
      { apply: ['ip link set dev v-net-0 up'], revert: [] },
      { apply: ['ip addr add 10.10.0.1/24 dev v-net-0'], revert: [] },
    ]);
  });

  it('is a no-op when converged, and only brings it up again after drift', () => {
    expect(bridges.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
    expect(bridges.plan(node, recordedFacts('drifted'), cluster).map(rendered)).toEqual([
      { apply: ['ip link set dev v-net-0 up'], revert: ['ip link set dev v-net-0 down'] },
    ]);
  });

  it('refuses to take over an interface of another kind with the bridge name', () => {
    const asEth0 = { ...node, bridges: [{ name: 'eth0', addresses: [] }] };
    expect(() => bridges.plan(asEth0, recordedFacts('bare'), cluster)).toThrow(/eth0 exists but is a veth/);
  });
});

describe('addresses netstrap leaves alone on declared interfaces (issue 25)', () => {
  /** The converged node with one more address on `dev`, which the file does not declare and netstrap did not add. */
  const withExtra = (dev: string, address: string) => {
    const outputs = recordedOutputs('converged');
    const [local, prefixlen] = address.split('/');
    const addrs = JSON.parse(outputs['ip-addr']) as Array<{ ifname: string; addr_info: unknown[] }>;
    addrs.find((a) => a.ifname === dev)!.addr_info.push({ family: 'inet', local, prefixlen: Number(prefixlen) });
    return new FactSet({ ...outputs, 'ip-addr': JSON.stringify(addrs) });
  };

  it('none on the converged node', () => {
    expect(links.warnings!(node, recordedFacts('converged'), cluster)).toEqual([]);
  });

  it('an undeclared address on eth0 or on a declared bridge is named, with the command that removes it; no change', () => {
    const facts = withExtra('eth0', '192.168.1.99/24');
    expect(links.plan(node, facts, cluster)).toEqual([]);
    expect(undeclaredAddresses(node, facts, cluster)).toEqual([
      { dev: 'eth0', address: '192.168.1.99/24', path: 'nodes[0].interfaces[0].addresses' },
    ]);
    expect(links.warnings!(node, facts, cluster)).toEqual([
      expect.stringMatching(
        /^node01: eth0 has address 192\.168\.1\.99\/24, which the cluster file does not declare \(nodes\[0\]\.interfaces\[0\]\.addresses\) and netstrap did not add: .*`ip addr del 192\.168\.1\.99\/24 dev eth0`$/,
      ),
    ]);
    const bridge = node.bridges[0].name;
    expect(undeclaredAddresses(node, withExtra(bridge, '10.9.8.7/24'), cluster)).toEqual([
      { dev: bridge, address: '10.9.8.7/24', path: 'nodes[0].bridges[0].addresses' },
    ]);
  });
});
