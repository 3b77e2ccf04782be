import { Chart, Testing } from 'cdk8s';
import { CORE_SCHEMA, load } from 'js-yaml';

const parse = (text: string): any => load(text, { schema: CORE_SCHEMA });
import { ClusterChart } from '../../constructs/cluster-chart';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { KubeProxy, KubeProxyProps } from '../../constructs/kube-proxy';
import { parseClusterText } from '../../src/model/load';
import { thrown } from '../support/errors';
import { findObject, Manifest, synthValid } from '../support/k8s';

const ENDPOINT = 'https://192.168.1.11:6443';

function synth(props: Partial<KubeProxyProps> = {}, podCidr: string | null = '10.32.0.0/12'): Manifest[] {
  const chart = new Chart(Testing.app(), 'test');
  if (podCidr) new ClusterNetwork(chart, 'network', { podCidr, serviceCidr: '10.96.0.0/12' });
  new KubeProxy(chart, 'kube-proxy', { controlPlaneEndpoint: ENDPOINT, ...props });
  return synthValid(chart);
}

/** config.conf and kubeconfig.conf parsed back from the ConfigMap, as kube-proxy would read them. */
function files(objects: Manifest[]) {
  const cm = findObject(objects, 'ConfigMap', 'kube-proxy');
  return { cm, config: parse(cm.data['config.conf']), kubeconfig: parse(cm.data['kubeconfig.conf']) };
}

describe('KubeProxy', () => {
  test('the kube-system ConfigMap kube-proxy as kubeadm names it, clusterCIDR from the plan (OpenAPI-valid)', () => {
    const objects = synth();
    expect(objects).toHaveLength(1);
    const { cm, config, kubeconfig } = files(objects);
    expect(cm.metadata).toEqual({ name: 'kube-proxy', namespace: 'kube-system', labels: { app: 'kube-proxy' } });
    expect(config).toEqual({
      apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
      kind: 'KubeProxyConfiguration',
      bindAddress: '0.0.0.0',
      clientConnection: { kubeconfig: '/var/lib/kube-proxy/kubeconfig.conf' },
      clusterCIDR: '10.32.0.0/12',
      mode: 'iptables',
    });
    expect(kubeconfig.clusters).toEqual([
      {
        cluster: { 'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', server: ENDPOINT },
        name: 'default',
      },
    ]);
    expect(kubeconfig['current-context']).toBe('default');
    expect(kubeconfig.users).toEqual([
      { name: 'default', user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } },
    ]);
  });

  test('ipvs mode with strictARP (MetalLB)', () => {
    const { config } = files(synth({ mode: 'ipvs', strictArp: true }));
    expect(config.mode).toBe('ipvs');
    expect(config.ipvs).toEqual({ strictARP: true });
    expect(files(synth({ mode: 'ipvs' })).config.ipvs).toEqual({ strictARP: false });
  });

  test('bad props name field and value', () => {
    const error = thrown(() =>
      synth({
        controlPlaneEndpoint: 'http://api:6443',
        strictArp: true,
        bindAddress: '0.0.0.300',
        clusterCidr: '10.33.0.0/16',
      }),
    );
    expect(error.lines()).toEqual([
      'KubeProxy "test/kube-proxy": controlPlaneEndpoint: "http://api:6443" is not an https URL of the API server such as https://192.168.1.11:6443',
      'KubeProxy "test/kube-proxy": strictArp: strictARP only applies in ipvs mode, and mode is "iptables"',
      'KubeProxy "test/kube-proxy": bindAddress: invalid IPv4 address "0.0.0.300": 300 is not an IPv4 octet (0-255, no leading zeros)',
      'KubeProxy "test/kube-proxy": clusterCidr: "10.33.0.0/16" differs from the ClusterNetwork podCidr 10.32.0.0/12: kube-proxy would masquerade pod traffic',
    ]);
    expect(thrown(() => synth({}, null)).lines()).toEqual([
      'KubeProxy "test/kube-proxy": clusterCidr: is required when there is no ClusterNetwork in scope',
    ]);
    expect(files(synth({ clusterCidr: '10.200.0.0/16' }, null)).config.clusterCIDR).toBe('10.200.0.0/16');
  });
});

describe('cluster file: kubeProxy', () => {
  const base = 'name: c\nnetwork: { podCidr: 10.244.0.0/16, serviceCidr: 10.96.0.0/12 }\ncni: { plugin: none }\n';

  test("with controlPlaneEndpoint the ConfigMap carries the plan's podCidr and the mode", () => {
    const model = parseClusterText(
      `${base}kubeProxy: { mode: ipvs, strictArp: true, controlPlaneEndpoint: ${ENDPOINT} }\n`,
      'c.yaml',
    );
    const { config, kubeconfig } = files(synthValid(new ClusterChart(Testing.app(), 'c', { model })));
    expect(config.clusterCIDR).toBe('10.244.0.0/16');
    expect(config.mode).toBe('ipvs');
    expect(config.ipvs.strictARP).toBe(true);
    expect(kubeconfig.clusters[0].cluster.server).toBe(ENDPOINT);
  });

  test("without controlPlaneEndpoint kubeadm's own ConfigMap is left alone (iptables only)", () => {
    const model = parseClusterText(base, 'c.yaml');
    expect(
      synthValid(new ClusterChart(Testing.app(), 'c', { model })).filter((o) => o.metadata.name === 'kube-proxy'),
    ).toEqual([]);
  });

  test('ipvs without an endpoint, strictArp in iptables mode and a bad URL are errors naming field and value', () => {
    expect(thrown(() => parseClusterText(`${base}kubeProxy: { mode: ipvs }\n`, 'c.yaml')).lines()).toEqual([
      'c.yaml:4: kubeProxy.controlPlaneEndpoint: is required to ship the kube-proxy ConfigMap for mode "ipvs" (e.g. https://192.168.1.11:6443)',
    ]);
    expect(
      thrown(() =>
        parseClusterText(`${base}kubeProxy: { strictArp: true, controlPlaneEndpoint: ${ENDPOINT} }\n`, 'c.yaml'),
      ).lines(),
    ).toEqual(['c.yaml:4: kubeProxy.strictArp: strictARP only applies in ipvs mode, and mode is "iptables"']);
    expect(
      thrown(() =>
        parseClusterText(`${base}kubeProxy: { controlPlaneEndpoint: "https://api:6443/x; rm -rf /" }\n`, 'c.yaml'),
      ).lines(),
    ).toEqual([
      'c.yaml:4: kubeProxy.controlPlaneEndpoint: must be an https URL of the API server such as https://192.168.1.11:6443 (got "https://api:6443/x; rm -rf /")',
    ]);
  });
});
