import { Chart, Testing } from 'cdk8s';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { Flannel, FlannelProps } from '../../constructs/flannel';
import { ClusterChart } from '../../constructs/cluster-chart';
import { clusterCniFiles, cniManagesPodRoutes, networkPolicyWarnings, renderConflist } from '../../src/model/cni';
import { checkCluster } from '../../src/model/load';
import { cniFiles } from '../../src/host/resources/cni';
import { thrown } from '../support/errors';
import { Allowance, expectFidelity } from '../support/fidelity';
import { findObject, Manifest, readYamlDocuments, reference, synthValid } from '../support/k8s';
import { FactSet } from '../../src/host/fact';

const REFERENCE = reference('flannel', 'kube-flannel.v0.28.9.yml');

/** Differences from kube-flannel.yml v0.28.9 that the default Flannel keeps, each with its reason: none. */
const ALLOW: Allowance[] = [];

function synth(props: FlannelProps = {}, layout?: { podCidr: string; serviceCidr: string }): Manifest[] {
  const chart = new Chart(Testing.app(), 'test');
  if (layout) new ClusterNetwork(chart, 'network', layout);
  new Flannel(chart, 'flannel', props);
  return synthValid(chart);
}

const netConf = (objects: Manifest[]) =>
  JSON.parse(findObject(objects, 'ConfigMap', 'kube-flannel-cfg').data['net-conf.json']);

describe('Flannel', () => {
  test('default output equals upstream kube-flannel.yml v0.28.9 field for field (6 objects, every one schema-valid)', () => {
    const objects = synth();
    expect(objects).toHaveLength(6);
    const report = expectFidelity(objects, readYamlDocuments(REFERENCE), ALLOW);
    expect(report.allowed).toHaveLength(0);
    // The ConfigMap's files are the same text, byte for byte.
    const upstream = findObject(readYamlDocuments(REFERENCE), 'ConfigMap', 'kube-flannel-cfg');
    expect(findObject(objects, 'ConfigMap', 'kube-flannel-cfg').data).toEqual(upstream.data);
  });

  test('the comparison is sharp: another version is reported field by field', () => {
    expect(() => expectFidelity(synth({ version: 'v0.28.8' }), readYamlDocuments(REFERENCE), ALLOW)).toThrow(
      /containers\[0\]\.image: expected "ghcr\.io\/flannel-io\/flannel:v0\.28\.9", got "ghcr\.io\/flannel-io\/flannel:v0\.28\.8"/,
    );
  });

  test('Network comes from the podCidr in scope; the kube-flannel namespace keeps its pod-security label', () => {
    const objects = synth({}, { podCidr: '10.42.0.0/16', serviceCidr: '10.43.0.0/16' });
    expect(netConf(objects)).toEqual({ Network: '10.42.0.0/16', EnableNFTables: false, Backend: { Type: 'vxlan' } });
    expect((findObject(objects, 'Namespace', 'kube-flannel').metadata as { labels?: object }).labels).toEqual({
      'k8s-app': 'flannel',
      'pod-security.kubernetes.io/enforce': 'privileged',
    });
  });

  test('typed backends: vxlan with VNI and port, host-gw, wireguard', () => {
    expect(netConf(synth({ backend: { type: 'vxlan', vni: 4096, port: 4789 } })).Backend).toEqual({
      Type: 'vxlan',
      VNI: 4096,
      Port: 4789,
    });
    expect(netConf(synth({ backend: { type: 'host-gw' } })).Backend).toEqual({ Type: 'host-gw' });
    expect(netConf(synth({ backend: { type: 'wireguard', listenPort: 51821 } })).Backend).toEqual({
      Type: 'wireguard',
      ListenPort: 51821,
    });
  });

  test('bad props are errors naming field and value', () => {
    const error = thrown(() =>
      synth(
        { network: '10.32.0.0/12', backend: { type: 'vxlan', vni: 0, port: 70000 } },
        { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
      ),
    );
    expect(error.lines()).toEqual([
      'Flannel "test/flannel": network: network "10.32.0.0/12" is outside podCidr 10.244.0.0/16: Flannel would hand node subnets the rest of the cluster does not route as pods',
      'Flannel "test/flannel": backend.vni: vni 0 must be a VXLAN id 1-16777215',
      'Flannel "test/flannel": backend.port: port 70000 must be a port number 1-65535',
    ]);
  });
});

describe('cluster file: cni.plugin flannel', () => {
  const cluster = (flannel?: object, extra: object = {}) => ({
    name: 'c1',
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    cni: { plugin: 'flannel', ...(flannel ? { flannel } : {}) },
    dns: { provider: 'none' },
    ingressController: { provider: 'none' },
    ...extra,
  });

  test('synthesizes Flannel with Network = podCidr and the typed backend', () => {
    const model = checkCluster(cluster({ backend: { type: 'host-gw' } }), 'c1.yaml');
    const objects = synthValid(new ClusterChart(Testing.app(), 'c1', { model }));
    expect(netConf(objects)).toEqual({ Network: '10.244.0.0/16', EnableNFTables: false, Backend: { Type: 'host-gw' } });
  });

  test('the host side writes the same conflist as the ConfigMap; Flannel manages pod routes itself', () => {
    const model = checkCluster(
      cluster(undefined, { nodes: [{ name: 'n1', ssh: { host: '10.250.90.11' } }] }),
      'c1.yaml',
    );
    const files = clusterCniFiles(model.cluster)!;
    expect(files.fileName).toBe('10-flannel.conflist');
    const configMap = findObject(readYamlDocuments(REFERENCE), 'ConfigMap', 'kube-flannel-cfg');
    expect(JSON.parse(renderConflist(files.list))).toEqual(JSON.parse(configMap.data['cni-conf.json']));
    expect(cniManagesPodRoutes(model.cluster)).toBe(true);
    // The host provisioner (node.cniConflists) plans exactly that file, and says which plugin binary is missing.
    const node = { ...model.cluster.nodes[0], cniConflists: true };
    const [change] = cniFiles.plan(node, new FactSet({ 'cni-bin': 'bridge\nportmap\n' }), model.cluster);
    const write = change.apply.find((step) => 'writeFile' in step) as { writeFile: string; content: string };
    expect(write.writeFile).toBe('/etc/cni/net.d/10-flannel.conflist');
    expect(JSON.parse(write.content)).toEqual(JSON.parse(configMap.data['cni-conf.json']));
    expect(cniFiles.warnings!(node, new FactSet({ 'cni-bin': 'bridge\nportmap\n' }), model.cluster)).toEqual([
      'n1: /opt/cni/bin lacks the CNI plugin flannel named by /etc/cni/net.d/10-flannel.conflist (install the containernetworking plugins release; netstrap never downloads them)',
    ]);
  });

  test('NetworkPolicies with Flannel get the "does not enforce" warning', () => {
    const policy = { name: 'deny', podSelector: {}, policyTypes: ['Ingress'] };
    const model = checkCluster(cluster(undefined, { kubernetes: { networkPolicies: [policy] } }), 'c1.yaml');
    expect(networkPolicyWarnings(model.cluster)).toEqual([
      'Flannel does not enforce NetworkPolicies: NetworkPolicy default/deny will be accepted by the API server but have no effect',
    ]);
  });

  test('errors name file, field and value; cni.flannel needs plugin flannel; no installer', () => {
    expect(thrown(() => checkCluster(cluster({ backend: { type: 'udp' } }), 'c1.yaml')).message).toMatch(
      /^c1\.yaml: cni\.flannel\.backend\.type: /,
    );
    expect(
      thrown(() => checkCluster({ ...cluster({}), cni: { plugin: 'weave', flannel: {} } }, 'c1.yaml')).message,
    ).toBe('c1.yaml: cni.flannel: is set but cni.plugin is "weave": set cni.plugin: flannel to use it');
    expect(
      thrown(() => checkCluster({ ...cluster(), cni: { plugin: 'flannel', installer: true } }, 'c1.yaml')).message,
    ).toContain(
      'c1.yaml: cni.installer: needs cni.plugin bridge or conflist, got "flannel" (Flannel\'s install-cni init container writes its own conflist)',
    );
  });
});
