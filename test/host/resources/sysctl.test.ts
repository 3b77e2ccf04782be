import { SYSCTL_FILE, MODULES_FILE, sysctl } from '../../../src/host/resources/sysctl';
import { FactSet, factCommands } from '../../../src/host/fact';
import { recordedFacts, recordedOutputs, rendered } from './facts-fixtures';
import { model } from './model';

const { cluster, node } = model();

describe('sysctl kind on recorded facts', () => {
  it('reads every wanted key in one command, printing k! for keys the kernel lacks', () => {
    expect(factCommands(sysctl, node, cluster)['sysctl-values']).toEqual(
      expect.arrayContaining(['net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter']),
    );
  });

  it('sets the runtime values and writes the one managed file; revert restores the old values and removes the file', () => {
    const changes = sysctl.plan(node, recordedFacts('bare'), cluster);
    expect(changes.map(rendered)).toEqual([
      { apply: ['sysctl -q -w net.ipv4.ip_forward=1'], revert: ['sysctl -q -w net.ipv4.ip_forward=0'] },
      { apply: ['sysctl -q -w net.ipv4.conf.all.rp_filter=2'], revert: ['sysctl -q -w net.ipv4.conf.all.rp_filter=0'] },
      expect.objectContaining({ revert: [`rm -f ${SYSCTL_FILE}`] }),
    ]);
    const file = changes[2].apply[0];
    expect('writeFile' in file && file.content).toBe(
      '# Managed by netstrap: edits are overwritten on the next bootstrap.\nnet.ipv4.ip_forward = 1\nnet.ipv4.conf.all.rp_filter = 2\n',
    );
    expect(changes[2].diff).toContain('+net.ipv4.ip_forward = 1');
  });

  it('is a no-op when converged and only resets the drifted key', () => {
    expect(sysctl.plan(node, recordedFacts('converged'), cluster)).toEqual([]);
    expect(
      sysctl.plan(node, recordedFacts('drifted'), cluster).map((c) => `${c.target} ${c.before}→${c.after}`),
    ).toEqual(['net.ipv4.ip_forward 0→1']);
  });

  it('compares values by words (the kernel prints tabs)', () => {
    const rmem = { ...node, sysctls: { 'net.ipv4.tcp_rmem': '4096 131072 6291456' } };
    expect(
      sysctl.plan(
        rmem,
        new FactSet({
          'sysctl-values': 'net.ipv4.tcp_rmem=4096\t131072\t6291456\n',
          'file:etc:sysctl.d:90-netstrap.conf': `file:${Buffer.from('# Managed by netstrap: edits are overwritten on the next bootstrap.\nnet.ipv4.tcp_rmem = 4096 131072 6291456\n').toString('base64')}\n`,
        }),
        cluster,
      ),
    ).toEqual([]);
  });

  describe('Kubernetes node-prerequisites profile', () => {
    const k8s = { ...node, sysctls: {}, kubernetesPrerequisites: true };
    /** A node where br_netfilter is absent (its keys do not exist) and there is no module tree to load it from. */
    const withoutModule = new FactSet({
      ...recordedOutputs('bare'),
      'kernel-module-br_netfilter': 'unavailable\n',
      'sysctl-values':
        'net.bridge.bridge-nf-call-iptables!\nnet.bridge.bridge-nf-call-ip6tables!\nnet.ipv4.ip_forward=0\n',
    });

    it('loads br_netfilter (now and at boot) and sets the bridge-nf-call keys and ip_forward', () => {
      const changes = sysctl.plan(k8s, withoutModule, cluster);
      expect(changes.map((c) => `${c.target}: ${c.before} → ${c.after}`)).toEqual([
        'kernel module br_netfilter: not loaded → loaded',
        `${MODULES_FILE}: absent → 2 lines`,
        'net.bridge.bridge-nf-call-iptables: absent → 1',
        'net.bridge.bridge-nf-call-ip6tables: absent → 1',
        'net.ipv4.ip_forward: 0 → 1',
        `${SYSCTL_FILE}: absent → 4 lines`,
      ]);
      expect(rendered(changes[0])).toEqual({ apply: ['modprobe br_netfilter'], revert: ['modprobe -r br_netfilter'] });
      // A key that appears with the module goes away with it: nothing to restore.
      expect(changes[2].revert).toEqual([]);
    });

    it('warns before running when modprobe cannot work (no module tree for the running kernel)', () => {
      expect(sysctl.warnings(k8s, withoutModule)).toEqual([
        expect.stringMatching(/^node01: kernel module br_netfilter is not loaded and \/lib\/modules has no tree/),
      ]);
      expect(sysctl.warnings(node, withoutModule)).toEqual([]);
    });

    it('does not modprobe when br_netfilter is there (recorded here: built into the kernel, only its sysctls show it)', () => {
      const facts = recordedFacts('bare');
      expect(facts.outputs['kernel-module-br_netfilter']).toBe('loaded\n');
      expect(sysctl.warnings(k8s, facts)).toEqual([]);
      expect(sysctl.plan(k8s, facts, cluster).map((c) => c.target)).not.toContain('kernel module br_netfilter');
    });
  });
});
