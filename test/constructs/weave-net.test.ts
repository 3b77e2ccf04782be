import { Chart, Testing } from 'cdk8s';
import * as fs from 'fs';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { WeaveNet, WeaveNetProps } from '../../constructs/weave-net';
import { ClusterChart } from '../../constructs/cluster-chart';
import { checkCluster } from '../../src/model/load';
import { thrown } from '../support/errors';
import { Allowance, expectFidelity } from '../support/fidelity';
import { findObject, Manifest, readYamlDocuments, reference, synthValid } from '../support/k8s';

const REFERENCE = reference('weave', 'weave-daemonset-k8s.v2.8.1.yaml');

/** Differences from the published v2.8.1 manifest that the default WeaveNet keeps, each with its reason. */
const ALLOW: Allowance[] = [
  {
    object: 'DaemonSet kube-system/weave-net',
    path: 'spec.template.spec.initContainers[0].env',
    reason:
      'upstream writes `env:` with no value, which YAML reads as null and the API server treats as unset; cdk8s never emits null',
  },
];

function synth(props: WeaveNetProps = {}, layout?: { podCidr: string; serviceCidr: string }): Manifest[] {
  const chart = new Chart(Testing.app(), 'test');
  if (layout) new ClusterNetwork(chart, 'network', layout);
  new WeaveNet(chart, 'weave', props);
  return synthValid(chart);
}

function weaveContainer(objects: Manifest[], name = 'weave') {
  const ds = findObject(objects, 'DaemonSet', 'weave-net');
  return ds.spec.template.spec.containers.find((c: { name: string }) => c.name === name);
}

describe('WeaveNet', () => {
  test('default output equals the published v2.8.1 manifest (6 objects, allow-list only)', () => {
    const objects = synth();
    expect(objects).toHaveLength(6);
    const report = expectFidelity(objects, readYamlDocuments(REFERENCE), ALLOW);
    expect(report.allowed).toHaveLength(ALLOW.length);
  });

  test('the comparison is sharp: another version is reported field by field', () => {
    expect(() => expectFidelity(synth({ version: '2.8.0' }), readYamlDocuments(REFERENCE), ALLOW)).toThrow(
      /containers\[0\]\.image: expected "weaveworks\/weave-kube:2\.8\.1", got "weaveworks\/weave-kube:2\.8\.0"/,
    );
  });

  test('IPALLOC_RANGE defaults to the podCidr of the ClusterNetwork in scope', () => {
    const objects = synth({}, { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
    expect(weaveContainer(objects).env).toContainEqual({ name: 'IPALLOC_RANGE', value: '10.244.0.0/16' });
  });

  test('an explicit IPALLOC_RANGE inside podCidr is used; one outside is an error naming field and value', () => {
    const layout = { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' };
    expect(weaveContainer(synth({ ipallocRange: '10.244.128.0/17' }, layout)).env).toContainEqual({
      name: 'IPALLOC_RANGE',
      value: '10.244.128.0/17',
    });
    const error = thrown(() => synth({ ipallocRange: '10.32.0.0/12' }, layout));
    expect(error.message).toBe(
      'WeaveNet "test/weave": ipallocRange: ipallocRange "10.32.0.0/12" is outside podCidr 10.244.0.0/16: Weave would hand out pod addresses the rest of the cluster does not route as pods',
    );
    expect(thrown(() => synth({ ipallocRange: '10.32.0.1/12' })).message).toContain(
      'ipallocRange: invalid CIDR "10.32.0.1/12": host bits are set',
    );
  });

  test('mtu, connLimit, password Secret, extra env and npc args reach the containers', () => {
    const objects = synth({
      mtu: 1400,
      connLimit: 30,
      passwordSecret: { name: 'weave-passwd' },
      env: { NO_MASQ_LOCAL: '1' },
      npcArgs: ['--log-level=debug'],
    });
    expect(weaveContainer(objects).env).toEqual([
      { name: 'INIT_CONTAINER', value: 'true' },
      { name: 'HOSTNAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } },
      { name: 'WEAVE_MTU', value: '1400' },
      { name: 'CONN_LIMIT', value: '30' },
      { name: 'WEAVE_PASSWORD', valueFrom: { secretKeyRef: { name: 'weave-passwd', key: 'weave-passwd' } } },
      { name: 'NO_MASQ_LOCAL', value: '1' },
    ]);
    expect(weaveContainer(objects, 'weave-npc').args).toEqual(['--log-level=debug']);
  });

  test('the password is never a literal: neither through env nor in place of the Secret reference', () => {
    const viaEnv = thrown(() => synth({ env: { WEAVE_PASSWORD: 'hunter2' } }));
    expect(viaEnv.message).toContain(
      'env.WEAVE_PASSWORD: env "WEAVE_PASSWORD" cannot be set here: a literal password is refused: use passwordSecret',
    );
    expect(viaEnv.message).not.toContain('hunter2');
    const literal = thrown(() => synth({ passwordSecret: 'hunter2' as never }));
    expect(literal.message).toContain('passwordSecret: a literal password is refused: give the Secret holding it');
    expect(literal.message).not.toContain('hunter2');
  });

  test('env names the construct sets itself and bad numbers are refused, naming field and value', () => {
    const error = thrown(() =>
      synth({ env: { IPALLOC_RANGE: '10.0.0.0/8', 'BAD-NAME': 'x' }, mtu: 100, connLimit: 0 }),
    );
    expect(error.lines()).toEqual([
      'WeaveNet "test/weave": mtu: mtu 100 must be a whole number 576-65535',
      'WeaveNet "test/weave": connLimit: connLimit 0 must be a whole number of at least 1',
      'WeaveNet "test/weave": env.IPALLOC_RANGE: env "IPALLOC_RANGE" cannot be set here: it is set by the construct; use ipallocRange',
      'WeaveNet "test/weave": env.BAD-NAME: env name "BAD-NAME" is not a valid variable name',
    ]);
  });

  test('images follow version unless given', () => {
    expect(weaveContainer(synth({ version: '2.8.0' })).image).toBe('weaveworks/weave-kube:2.8.0');
    expect(weaveContainer(synth({ npcImage: 'registry.local/weave-npc:2.8.1' }), 'weave-npc').image).toBe(
      'registry.local/weave-npc:2.8.1',
    );
  });

  test('conflist() is the configuration weave-kube writes to /etc/cni/net.d', () => {
    const conflist = WeaveNet.conflist();
    expect(conflist.fileName).toBe('10-weave.conflist');
    expect(conflist.toObject()).toEqual(
      JSON.parse(fs.readFileSync(reference('cni', 'weave-v2.8.1.10-weave.conflist.json'), 'utf8')),
    );
    expect(WeaveNet.conflist(false).toObject().plugins).toContainEqual({
      name: 'weave',
      type: 'weave-net',
      hairpinMode: false,
    });
  });
});

describe('cluster file: cni.plugin weave', () => {
  const cluster = (weave?: object, plugin = 'weave') => ({
    name: 'c1',
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    cni: { plugin, ...(weave ? { weave } : {}) },
    dns: { provider: 'none' },
    ingressController: { provider: 'none' },
  });

  test('synthesizes Weave Net with IPALLOC_RANGE = podCidr and the options given', () => {
    const model = checkCluster(cluster({ mtu: 1400, passwordSecret: { name: 'weave' } }), 'c1.yaml');
    const objects = synthValid(new ClusterChart(Testing.app(), 'c1', { model }));
    expect(weaveContainer(objects).env).toEqual(
      expect.arrayContaining([
        { name: 'IPALLOC_RANGE', value: '10.244.0.0/16' },
        { name: 'WEAVE_MTU', value: '1400' },
        { name: 'WEAVE_PASSWORD', valueFrom: { secretKeyRef: { name: 'weave', key: 'weave-passwd' } } },
      ]),
    );
  });

  test('ipallocRange outside podCidr, a literal password and cni.weave without plugin weave are errors with file, field and value', () => {
    expect(
      thrown(() =>
        checkCluster(cluster({ ipallocRange: '10.32.0.0/12', env: { WEAVE_PASSWORD: 's3cret' } }), 'c1.yaml'),
      ).lines(),
    ).toEqual([
      'c1.yaml: cni.weave.ipallocRange: ipallocRange "10.32.0.0/12" is outside podCidr 10.244.0.0/16: Weave would hand out pod addresses the rest of the cluster does not route as pods',
      'c1.yaml: cni.weave.env.WEAVE_PASSWORD: env "WEAVE_PASSWORD" cannot be set here: a literal password is refused: use passwordSecret {name, key} so it comes from a Secret',
    ]);
    const literal = thrown(() => checkCluster(cluster({ passwordSecret: 's3cret' }), 'c1.yaml')).message;
    expect(literal).toMatch(
      /^c1\.yaml: cni\.weave\.passwordSecret: a literal password is refused: give the Secret holding it/,
    );
    expect(literal).not.toContain('s3cret'); // never echoed into logs
    expect(thrown(() => checkCluster(cluster({ mtu: 1400 }, 'none'), 'c1.yaml')).message).toBe(
      'c1.yaml: cni.weave: is set but cni.plugin is "none": set cni.plugin: weave to use it',
    );
  });
});
