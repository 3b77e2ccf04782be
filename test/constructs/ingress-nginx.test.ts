import { Chart, Testing } from 'cdk8s';
import { ClusterNetwork } from '../../constructs/cluster-network';
import { IngressNginx, IngressNginxProps } from '../../constructs/ingress-nginx';
import { ClusterChart } from '../../constructs/cluster-chart';
import { checkCluster } from '../../src/model/load';
import { thrown } from '../support/errors';
import { Allowance, expectFidelity } from '../support/fidelity';
import { findObject, Manifest, readYamlDocuments, reference, synthValid } from '../support/k8s';

const referenceFile = (flavor: 'cloud' | 'baremetal') =>
  reference('ingress-nginx', `controller-v1.8.2.${flavor}.deploy.main-da9c5730.yaml`);

/** Differences from the upstream 1.8.2 manifests that the default IngressNginx keeps, each with its reason. */
const ALLOW: Allowance[] = [];

/** Labels and annotations of an object (the Manifest type only declares name and namespace). */
const meta = (o: Manifest) => o.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };

function synth(props: IngressNginxProps = {}, withNetwork = false): Manifest[] {
  const chart = new Chart(Testing.app(), 'test');
  if (withNetwork) new ClusterNetwork(chart, 'network', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
  new IngressNginx(chart, 'ingress', props);
  return synthValid(chart);
}

describe('IngressNginx', () => {
  test.each(['cloud', 'baremetal'] as const)(
    'default %s output equals the upstream controller-v1.8.2 manifest (19 objects)',
    (flavor) => {
      const objects = synth({ flavor });
      expect(objects).toHaveLength(19);
      expectFidelity(objects, readYamlDocuments(referenceFile(flavor)), ALLOW);
    },
  );

  test('no flavor means baremetal; the comparison tells cloud and baremetal apart', () => {
    expectFidelity(synth(), readYamlDocuments(referenceFile('baremetal')), ALLOW);
    expect(() =>
      expectFidelity(synth({ flavor: 'cloud' }), readYamlDocuments(referenceFile('baremetal')), ALLOW),
    ).toThrow(
      /Service ingress-nginx\/ingress-nginx-controller: spec\.externalTrafficPolicy: expected undefined, got "Local"/,
    );
  });

  test('replicas, default class, extra args and config data reach their objects', () => {
    const objects = synth({
      replicas: 3,
      defaultClass: true,
      extraArgs: { 'enable-ssl-passthrough': 'true', 'default-ssl-certificate': 'default/tls' },
      config: { 'use-forwarded-headers': 'true', 'allow-snippet-annotations': 'false' },
    });
    const deployment = findObject(objects, 'Deployment', 'ingress-nginx-controller');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.template.spec.containers[0].args.slice(-3)).toEqual([
      '--validating-webhook-key=/usr/local/certificates/key',
      '--enable-ssl-passthrough=true',
      '--default-ssl-certificate=default/tls',
    ]);
    expect(meta(findObject(objects, 'IngressClass', 'nginx')).annotations).toEqual({
      'ingressclass.kubernetes.io/is-default-class': 'true',
    });
    expect(findObject(objects, 'ConfigMap', 'ingress-nginx-controller').data).toEqual({
      'allow-snippet-annotations': 'false',
      'use-forwarded-headers': 'true',
    });
  });

  test('serviceType and fixed nodePorts shape the controller Service', () => {
    const nodePort = synth({ nodePorts: { http: 30080, https: 30443 } }, true);
    expect(
      findObject(nodePort, 'Service', 'ingress-nginx-controller').spec.ports.map(
        (p: { nodePort: number }) => p.nodePort,
      ),
    ).toEqual([30080, 30443]);
    const clusterIp = findObject(
      synth({ flavor: 'cloud', serviceType: 'ClusterIP' }),
      'Service',
      'ingress-nginx-controller',
    );
    expect(clusterIp.spec.type).toBe('ClusterIP');
    expect(clusterIp.spec.externalTrafficPolicy).toBeUndefined();
  });

  test('another version changes labels and the image tag (no digest is invented)', () => {
    const objects = synth({ version: '1.9.0' });
    const deployment = findObject(objects, 'Deployment', 'ingress-nginx-controller');
    expect(deployment.spec.template.spec.containers[0].image).toBe('registry.k8s.io/ingress-nginx/controller:v1.9.0');
    expect(
      objects
        .filter((o) => o.kind !== 'Namespace')
        .every((o) => meta(o).labels?.['app.kubernetes.io/version'] === '1.9.0'),
    ).toBe(true);
  });

  test('a NodePort out of range is an error naming field and value', () => {
    expect(() => synth({ nodePorts: { http: 8080 } })).toThrow(
      'IngressNginx "test/ingress": nodePorts.http: nodePort 8080 is outside the NodePort range 30000-32767',
    );
  });

  test('a NodePort another Service holds is an error naming both owners', () => {
    const chart = new Chart(Testing.app(), 'test');
    const network = new ClusterNetwork(chart, 'network', { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' });
    network.claimNodePort(30080, 'Service default/web port 80');
    expect(() => new IngressNginx(chart, 'ingress', { nodePorts: { http: 30080 } })).toThrow(
      /nodePort 30080 is used twice: by Service default\/web port 80 and by IngressNginx "test\/ingress" nodePorts\.http/,
    );
  });

  test('bad options are refused with field and value', () => {
    const error = thrown(() =>
      synth({
        serviceType: 'ClusterIP',
        nodePorts: { https: 30443 },
        extraArgs: { 'ingress-class': 'x', '--v': '2' },
        replicas: -1,
      }),
    );
    expect(error.lines()).toEqual([
      'IngressNginx "test/ingress": replicas: replicas -1 must be a whole number of at least 0',
      'IngressNginx "test/ingress": nodePorts.https: nodePort 30443 needs serviceType NodePort or LoadBalancer, not ClusterIP',
      'IngressNginx "test/ingress": extraArgs.ingress-class: flag --ingress-class is set by the construct and cannot be repeated',
      'IngressNginx "test/ingress": extraArgs["--v"]: flag name "--v" must be lower-case letters, digits and "-", without leading dashes',
    ]);
  });
});

describe('cluster file: ingressController ingress-nginx', () => {
  const cluster = (ingressController: object, services: object[] = []) => ({
    name: 'c1',
    network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
    cni: { plugin: 'none' },
    dns: { provider: 'none' },
    ingressController,
    kubernetes: { services },
  });
  const errorLines = (fn: () => unknown): string[] => thrown(fn).lines();

  test('synthesizes the controller with the options of the cluster file', () => {
    const model = checkCluster(
      cluster({ flavor: 'baremetal', replicas: 2, defaultClass: true, nodePorts: { http: 30080 } }),
      'c1.yaml',
    );
    const objects = synthValid(new ClusterChart(Testing.app(), 'c1', { model }));
    expect(objects.filter((o) => meta(o).labels?.['app.kubernetes.io/name'] === 'ingress-nginx')).toHaveLength(19);
    expect(findObject(objects, 'Deployment', 'ingress-nginx-controller').spec.replicas).toBe(2);
    expect(findObject(objects, 'Service', 'ingress-nginx-controller').spec.ports[0].nodePort).toBe(30080);
    expect(meta(findObject(objects, 'IngressClass', 'nginx')).annotations).toEqual({
      'ingressclass.kubernetes.io/is-default-class': 'true',
    });
  });

  test('provider none synthesizes nothing', () => {
    const model = checkCluster(cluster({ provider: 'none' }), 'c1.yaml');
    const objects = synthValid(new ClusterChart(Testing.app(), 'c1', { model }));
    expect(
      objects.filter(
        (o) => meta(o).labels?.['app.kubernetes.io/name'] === 'ingress-nginx' || o.kind === 'IngressClass',
      ),
    ).toEqual([]);
  });

  test('a NodePort out of range or used by a user Service is an error naming file, field and value', () => {
    expect(errorLines(() => checkCluster(cluster({ nodePorts: { http: 8080 } }), 'c1.yaml'))).toEqual([
      'c1.yaml: ingressController.nodePorts.http: nodePort 8080 is outside the NodePort range 30000-32767',
    ]);
    const lines = errorLines(() =>
      checkCluster(
        cluster({ nodePorts: { https: 30443 } }, [
          { name: 'web', type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 443, nodePort: 30443 }] },
        ]),
        'c1.yaml',
      ),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^c1\.yaml: kubernetes\.services\[0\]\.ports\[0\]\.nodePort: nodePort 30443 is used twice: by the ingress-nginx controller Service \(ingressController\.nodePorts\.https\) and by /,
    );
  });
});
