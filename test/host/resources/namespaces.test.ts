import { namespaces } from '../../../src/host/resources/namespaces';
import { recordedFacts, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();

describe('netns kind (namespaces, veth pairs) on recorded ip -j facts', () => {
  it('reads the namespaces list and ip -j facts inside each namespace, without failing when one is absent', () => {
    const commands = namespaces.factCommands(node, cluster);
    expect(Object.keys(commands)).toEqual(expect.arrayContaining(['netns-list', 'netns:red:ip-addr', 'netns:blue:ip-route']));
    expect(commands['netns:red:ip-addr']).toEqual(['sh', '-c', 'n=$1; shift; ip -n "$n" "$@" 2>/dev/null; true', 'sh', 'red', '-j', 'addr', 'show']);
  });

  it('builds red from nothing: namespace, veth into v-net-0, address, links up, default route', () => {
    const red = namespaces.plan(node, recordedFacts('bare'), cluster).filter((c) => c.target.startsWith('red') || c.target.startsWith('veth-red'));
    expect(red.map(rendered)).toEqual([
      { apply: ['ip netns add red'], revert: ['ip netns del red'] },
      { apply: ['ip link add veth-red type veth peer name eth0 netns red'], revert: ['ip link del dev veth-red'] },
      { apply: ['ip link set dev veth-red master v-net-0'], revert: [] },
      { apply: ['ip link set dev veth-red up'], revert: [] },
      { apply: ['ip -n red addr add 10.10.0.2/24 dev eth0'], revert: [] },
      { apply: ['ip -n red link set dev eth0 up'], revert: [] },
      { apply: ['ip -n red link set dev lo up'], revert: [] },
      { apply: ['ip -n red route replace default via 10.10.0.1'], revert: [] },
    ]);
  });

  it('is a no-op when converged; after drift only restores red\'s default route (and can delete it again)', () => {
    expect(namespaces.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
    expect(namespaces.plan(node, recordedFacts('drifted'), cluster).map(rendered)).toEqual([
      { apply: ['ip -n red route replace default via 10.10.0.1'], revert: ['ip -n red route del default'] },
    ]);
  });
});
