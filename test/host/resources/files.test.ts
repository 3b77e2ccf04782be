/** The file kinds: /etc/hosts, /etc/resolv.conf, CNI conflists, boot persistence; and the managed-block helper. */
import { fileFactSection, withManagedBlock } from '../../../src/host/resources/file-facts';
import { nodeDrift, planNode } from '../../../src/host/node-plan';
import { cniFiles } from '../../../src/host/resources/cni';
import { hostsFile } from '../../../src/host/resources/hosts';
import { resourceKinds } from '../../../src/host/resources';
import { BOOT_SCRIPT, UNIT_LINK } from '../../../src/host/resources/persist';
import { resolvConf } from '../../../src/host/resources/resolv';
import { FactSet, type FactOutputs } from '../../../src/host/fact';
import { recordedFacts, recordedOutputs, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();
const persist = resourceKinds.find((kind) => kind.kind === 'boot-persistence')!;
const fileFact = (content: string) => `file:${Buffer.from(content).toString('base64')}\n`;

describe('managed blocks', () => {
  const user = '127.0.0.1\tlocalhost\n# my comment\n10.0.0.5 db\n';
  it('appends or prepends a block once, then replaces it in place, keeping every other byte', () => {
    const once = withManagedBlock(user, ['1.2.3.4\ta'], 'bottom')!;
    expect(once).toBe(`${user}# BEGIN netstrap\n1.2.3.4\ta\n# END netstrap\n`);
    const edited = once.replace('# my comment', '# edited by the user');
    expect(withManagedBlock(edited, ['5.6.7.8\tb'], 'bottom')).toBe(edited.replace('1.2.3.4\ta', '5.6.7.8\tb'));
    expect(withManagedBlock(once, [], 'bottom')).toBe(user);
    expect(withManagedBlock(user, ['nameserver 9.9.9.9'], 'top')).toBe(
      `# BEGIN netstrap\nnameserver 9.9.9.9\n# END netstrap\n${user}`,
    );
    expect(withManagedBlock('no final newline', ['x'], 'bottom')).toBe(
      'no final newline\n# BEGIN netstrap\nx\n# END netstrap\n',
    );
  });
});

describe('broken block markers', () => {
  const hosts = (content: string) => new FactSet({ 'file:etc:hosts': fileFact(content) });
  it.each([
    [
      '127.0.0.1 localhost\n# BEGIN netstrap\n1.2.3.4 a\n10.0.0.5 db\n',
      /^\/etc\/hosts: line 2: "# BEGIN netstrap" without "# END netstrap"/,
    ],
    [
      '# BEGIN netstrap\n1.2.3.4 a\n# BEGIN netstrap\nx\n# END netstrap\n',
      /^\/etc\/hosts: line 3: second "# BEGIN netstrap" \(the one on line 1/,
    ],
    ['a\n# END netstrap\nb\n', /^\/etc\/hosts: line 2: "# END netstrap" without "# BEGIN netstrap"/],
    [
      '# BEGIN netstrap\n# END netstrap\n# BEGIN netstrap\n# END netstrap\n',
      /^\/etc\/hosts: line 3: second "# BEGIN netstrap" block/,
    ],
  ])('refuse the file, naming the line, whatever the node wants: %j', (content, message) => {
    expect(() => hostsFile.plan(node, hosts(content), cluster)).toThrow(message);
    expect(() =>
      hostsFile.plan({ ...node, hosts: [] }, hosts(content), cluster, [
        { kind: 'hosts-file', id: 'block /etc/hosts', prior: { file: 'present' } },
      ]),
    ).toThrow(message);
  });
});

describe('/etc/hosts kind', () => {
  it('adds the block to the recorded file; revert writes the previous bytes back', () => {
    const facts = recordedFacts('bare');
    const [change] = hostsFile.plan(node, facts, cluster);
    const previous = Buffer.from(facts.outputs['file:etc:hosts'].trim().slice('file:'.length), 'base64').toString();
    expect(change.revert).toEqual([{ writeFile: '/etc/hosts', content: previous, mode: '0644' }]);
    expect(change.diff).toContain('+192.168.2.11\tnode02 node02.lab');
  });

  it('is a no-op when converged; after a hand edit of the block, restores it', () => {
    expect(hostsFile.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
    const [change] = hostsFile.plan(node, recordedFacts('drifted'), cluster);
    expect(change.diff).toMatch(/-192\.168\.2\.99\tnode02 node02\.lab\n\+192\.168\.2\.11\tnode02 node02\.lab/);
  });

  it('leaves a file without a netstrap block alone when the node lists no hosts', () => {
    expect(hostsFile.plan({ ...node, hosts: [] }, recordedFacts('bare'), cluster)).toEqual([]);
  });
});

describe('/etc/resolv.conf kind', () => {
  it('replaces a systemd-resolved symlink with a file holding the block first; revert puts the link back', () => {
    const [change] = resolvConf.plan(node, recordedFacts('drifted'), cluster);
    expect(change.before).toBe('symlink to ../run/systemd/resolve/stub-resolv.conf');
    expect(rendered(change).revert).toEqual([
      'rm -f /etc/resolv.conf',
      'ln -s ../run/systemd/resolve/stub-resolv.conf /etc/resolv.conf',
    ]);
    const write = change.apply[1];
    expect('writeFile' in write && write.content).toBe(
      '# BEGIN netstrap\nnameserver 192.168.1.53\nsearch lab.example\n# END netstrap\nnameserver 127.0.0.53\noptions edns0 trust-ad\n',
    );
  });

  it('is a no-op when converged, and leaves the symlink alone when the node wants nothing', () => {
    expect(resolvConf.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
    expect(resolvConf.plan({ ...node, resolv: undefined }, recordedFacts('drifted'), cluster)).toEqual([]);
  });

  it('warns when a CoreDNS node resolves through 127.0.0.53 (CoreDNS loop plugin), not otherwise', () => {
    const coredns = { ...node, runsCoreDns: true, resolv: undefined };
    expect(resolvConf.warnings!(coredns, recordedFacts('drifted'), cluster)).toEqual([
      expect.stringMatching(/^node01: \/etc\/resolv\.conf points at 127\.0\.0\.53 .*loop plugin/),
    ]);
    expect(resolvConf.warnings!({ ...coredns, runsCoreDns: false }, recordedFacts('drifted'), cluster)).toEqual([]);
    const ownResolver = { 'file:etc:resolv.conf': fileFact('nameserver 10.0.0.2\n') };
    expect(resolvConf.warnings!(coredns, new FactSet(ownResolver), cluster)).toEqual([]);
  });
});

describe('CNI files kind', () => {
  it("writes the cluster's conflist (the same render as the installer) for this node's pod subnet", () => {
    const [change] = cniFiles.plan(node, recordedFacts('bare'), cluster);
    expect(change.target).toBe('/etc/cni/net.d/10-kernel.conflist');
    expect(rendered(change).revert).toEqual(['rm -f /etc/cni/net.d/10-kernel.conflist']);
    expect(cniFiles.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
    expect(cniFiles.plan({ ...node, cniConflists: false }, recordedFacts('bare'), cluster)).toEqual([]);
  });

  it('warns about plugin binaries /opt/cni/bin lacks (the sandbox had only bridge), never fetches them', () => {
    expect(cniFiles.warnings!(node, recordedFacts('bare'), cluster)).toEqual([
      'node01: /opt/cni/bin lacks the CNI plugins host-local, portmap named by /etc/cni/net.d/10-kernel.conflist (install the containernetworking plugins release; netstrap never downloads them)',
    ]);
  });
});

describe('boot persistence kind', () => {
  it('writes the boot script, the unit and its enabling symlink; none of them when converged', () => {
    const changes = persist.plan(node, recordedFacts('bare'), cluster);
    expect(changes.map((c) => c.target)).toEqual([
      BOOT_SCRIPT,
      '/etc/systemd/system/netstrap-network.service',
      UNIT_LINK,
    ]);
    expect(rendered(changes[2])).toEqual({
      apply: [
        `rm -f ${UNIT_LINK}`,
        'mkdir -p /etc/systemd/system/multi-user.target.wants',
        `ln -s /etc/systemd/system/netstrap-network.service ${UNIT_LINK}`,
      ],
      revert: [`rm -f ${UNIT_LINK}`],
    });
    const script = changes[0].apply[0];
    expect('writeFile' in script && script.mode).toBe('0755');
    expect('writeFile' in script && script.content).toContain(
      "{ ip link show dev v-net-0 >/dev/null 2>&1 || ip link add name v-net-0 type bridge; } || { echo 'netstrap-network: failed: ip link add name v-net-0 type bridge' >&2; status=1; }",
    );
    expect(persist.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
  });

  it('removes all three when nothing is left to persist and netstrap created them; leaves them alone when it did not', () => {
    const nothing = {
      ...node,
      interfaces: [],
      routes: [],
      bridges: [],
      namespaces: [],
      nat: { masquerade: [], portForwards: [] },
    };
    expect(persist.plan(nothing, recordedFacts('converged'), cluster)).toEqual([]);
    const owned = [BOOT_SCRIPT, '/etc/systemd/system/netstrap-network.service', UNIT_LINK].map((path) => ({
      kind: 'boot-persistence',
      id: `file ${path}`,
      prior: null,
    }));
    expect(
      persist.plan(nothing, recordedFacts('converged'), cluster, owned).map((c) => `${c.target} ${c.after}`),
    ).toEqual([`${BOOT_SCRIPT} absent`, '/etc/systemd/system/netstrap-network.service absent', `${UNIT_LINK} absent`]);
  });
});

describe('live = boot drift (persist.ts bootDrift, sysctl)', () => {
  const drift = (outputs: FactOutputs) => {
    const facts = new FactSet(outputs);
    return nodeDrift(node, cluster, resourceKinds, facts, planNode(node, cluster, resourceKinds, facts));
  };
  it('converged: none; before netstrap ever wrote the boot script: none (everything is simply a change)', () => {
    expect(drift(recordedOutputs('converged'))).toEqual([]);
    expect(drift(recordedOutputs('bare'))).toEqual([]);
  });

  it('a unit that is not enabled rebuilds nothing: one drift naming it', () => {
    const facts = { ...recordedOutputs('converged'), [fileFactSection(UNIT_LINK)]: '' };
    expect(drift(facts)).toEqual([
      {
        kind: 'boot-persistence',
        target: UNIT_LINK,
        message: expect.stringMatching(
          /^netstrap-network\.service is not enabled \(.* is not a symlink to it\): \d+ live object\(s\) would not come back after reboot$/,
        ),
      },
    ]);
  });

  it('a sysctl set live but not in the sysctl.d file, and the reverse', () => {
    const converged = recordedOutputs('converged');
    const file = fileFactSection('/etc/sysctl.d/90-netstrap.conf');
    const emptied = {
      ...converged,
      [file]: fileFact('# Managed by netstrap: edits are overwritten on the next bootstrap.\n'),
    };
    expect(drift(emptied)).toContainEqual({
      kind: 'sysctl',
      target: 'net.ipv4.ip_forward',
      message:
        'sysctl net.ipv4.ip_forward = 1 is live but would not come back after reboot (not in /etc/sysctl.d/90-netstrap.conf)',
    });
    const off = {
      ...converged,
      'sysctl-values': converged['sysctl-values'].replace('net.ipv4.ip_forward=1', 'net.ipv4.ip_forward=0'),
    };
    expect(drift(off)).toContainEqual({
      kind: 'sysctl',
      target: 'net.ipv4.ip_forward',
      message: 'sysctl net.ipv4.ip_forward = 1 is in /etc/sysctl.d/90-netstrap.conf but not live (live: 0)',
    });
  });
});
