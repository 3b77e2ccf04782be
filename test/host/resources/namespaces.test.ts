import { namespaces } from '../../../src/host/resources/namespaces';
import { FactSet, factCommands } from '../../../src/host/fact';
import { recordedFacts, recordedOutputs, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();

describe('netns kind (namespaces, veth pairs) on recorded ip -j facts', () => {
  it('reads the namespaces list and ip -j facts inside each namespace, without failing when one is absent', () => {
    const commands = factCommands(namespaces, node, cluster);
    expect(Object.keys(commands)).toEqual(
      expect.arrayContaining(['netns-list', 'netns:red:ip-addr', 'netns:blue:ip-route']),
    );
    expect(commands['netns:red:ip-addr']).toEqual([
      'sh',
      '-c',
      'n=$1; shift; ip -n "$n" "$@" 2>/dev/null; true',
      'sh',
      'red',
      '-j',
      '-d',
      'addr',
      'show',
    ]);
  });

  it('builds red from nothing: namespace, veth into v-net-0, address, links up, default route', () => {
    const red = namespaces
      .plan(node, recordedFacts('bare'), cluster)
      .filter((c) => c.target.startsWith('red') || c.target.startsWith('veth-red'));
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

  it("is a no-op when converged; after drift only restores red's default route (and can delete it again)", () => {
    expect(namespaces.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
    expect(namespaces.plan(node, recordedFacts('drifted'), cluster).map(rendered)).toEqual([
      { apply: ['ip -n red route replace default via 10.10.0.1'], revert: ['ip -n red route del default'] },
    ]);
  });
});

describe('netns kind: a namespace no longer declared (read from the ownership record in the fact round trip)', () => {
  const converged = recordedOutputs('converged');
  const onlyRed = { ...node, namespaces: node.namespaces.filter((ns) => ns.name === 'red') };
  const blue = node.namespaces.find((ns) => ns.name === 'blue')!;
  const owned = [
    { kind: 'netns', id: 'blue', prior: null, spec: { veth: { hostSide: blue.veth.hostSide, name: blue.veth.name } } },
    { kind: 'netns', id: `veth ${blue.veth.hostSide}`, prior: null },
    { kind: 'netns', id: `blue/${blue.veth.name} address ${blue.veth.address}`, prior: null },
  ];
  const held = (addr = converged['netns:blue:ip-addr'].trim(), pids = '') =>
    new FactSet({
      ...converged,
      'netns-owned': `ns blue\naddr ${addr}\n\nroute ${converged['netns:blue:ip-route'].trim()}\n\npids ${pids}\n`,
    });
  it('is read for the namespaces of the record that are not declared', () => {
    const command = factCommands(namespaces, onlyRed, cluster)['netns-owned'];
    expect(command.slice(4)).toEqual([`/etc/netstrap/${cluster.name}.state.json`, 'red']);
  });

  it('is deleted, and the revert rebuilds it as read: veth on its bridge and up, address, links up, default route', () => {
    const removal = namespaces.plan(onlyRed, held(), cluster, owned).find((c) => c.target === 'blue')!;
    expect(rendered(removal)).toEqual({
      // Deleted, then waited for until the kernel has destroyed its veth pair (it does so asynchronously).
      apply: [
        expect.stringMatching(
          /^sh -c 'ip netns del "\$1" \|\| exit; .*while ip link show dev "\$2".* sh blue veth-blue$/,
        ),
      ],
      revert: [
        'ip netns add blue',
        `ip link add ${blue.veth.hostSide} type veth peer name ${blue.veth.name} netns blue`,
        `ip link set dev ${blue.veth.hostSide} master ${blue.veth.bridge}`,
        `ip link set dev ${blue.veth.hostSide} up`,
        'ip -n blue link set dev lo up',
        `ip -n blue addr add ${blue.veth.address} dev ${blue.veth.name}`,
        `ip -n blue link set dev ${blue.veth.name} up`,
        `ip -n blue route replace default via ${blue.defaultRoute} dev ${blue.veth.name}`,
      ],
    });
  });

  it('is refused while it holds what netstrap did not create: a process, an address the record does not list', () => {
    expect(() => namespaces.plan(onlyRed, held(undefined, '4242 4243'), cluster, owned)).toThrow(
      /namespace blue is no longer declared but holds what netstrap did not create \(process 4242, process 4243\)/,
    );
    const extra = converged['netns:blue:ip-addr']
      .trim()
      .replace(`"local":"${blue.veth.address.split('/')[0]}"`, '"local":"10.99.0.9"');
    expect(() => namespaces.plan(onlyRed, held(extra), cluster, owned)).toThrow(/\(address 10\.99\.0\.9\/24 on eth0\)/);
  });
});
