/** kubernetes.namespaces and kubernetes.workloads in the cluster file: checks, synthesized Namespaces, inventory. */
import { Testing } from 'cdk8s';
import { ClusterChart } from '../../../constructs/cluster-chart';
import { checkCluster } from '../../../src/model/load';
import { clusterInventory } from '../../../src/model/netpol/cluster';
import { thrown } from '../../support/errors';
import { synthValid } from '../../support/k8s';

const cluster = (kubernetes: object) => ({
  name: 'c',
  network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
  dns: { provider: 'none' },
  ingressController: { provider: 'none' },
  kubernetes,
});

describe('cluster file: kubernetes.namespaces and kubernetes.workloads', () => {
  test('defaults, the inventory they give, and Namespace objects synthesized with their labels', () => {
    const model = checkCluster(
      cluster({
        namespaces: [{ name: 'shop', labels: { team: 'shop' } }],
        workloads: [
          { name: 'web', namespace: 'shop', podLabels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] },
          { name: 'job', podLabels: {} },
        ],
      }),
      'c.yaml',
    );
    expect(model.cluster.kubernetes.workloads![0]).toEqual({
      name: 'web',
      namespace: 'shop',
      kind: 'Deployment',
      podLabels: { app: 'web' },
      ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    });
    const inv = clusterInventory(model.cluster, 'c.yaml');
    expect(inv.workloads.map((w) => [w.key, w.source])).toEqual([
      ['default/job', 'c.yaml (kubernetes.workloads[1])'],
      ['shop/web', 'c.yaml (kubernetes.workloads[0])'],
    ]);
    expect(inv.namespaces.get('shop')).toEqual({ team: 'shop', 'kubernetes.io/metadata.name': 'shop' });
    expect(inv.namespaces.get('default')).toEqual({ 'kubernetes.io/metadata.name': 'default' });
    const objects = synthValid(new ClusterChart(Testing.app(), 'c', { model, quiet: true }));
    expect(objects.filter((o) => o.kind === 'Namespace')).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'shop' } } },
    ]);
  });

  test('bad workloads and namespaces: file, field and value', () => {
    const error = thrown(() =>
      checkCluster(
        cluster({
          namespaces: [{ name: 'a' }, { name: 'a', labels: { 'kubernetes.io/metadata.name': 'b' } }],
          workloads: [
            {
              name: 'w',
              podLabels: { 'bad key': 'v' },
              ports: [
                { name: 'http', containerPort: 80 },
                { name: 'http', containerPort: 81 },
                { name: 'Bad_Name', containerPort: 82 },
              ],
              podIPs: ['10.0.0.1', '10.244.0.300'],
            },
            { name: 'w', podIPs: ['10.244.0.5'] },
            { name: 'v', podIPs: ['10.244.0.5'], ports: [{ containerPort: 0, protocol: 'udp' }] },
          ],
        }),
        'c.yaml',
      ),
    );
    expect(error.lines()).toEqual([
      'c.yaml: kubernetes.workloads[2].ports[0].containerPort: must be a port number 1-65535 (got 0)',
      'c.yaml: kubernetes.workloads[2].ports[0].protocol: Invalid option: expected one of "TCP"|"UDP"|"SCTP" (got "udp")',
    ]);
    const semantic = thrown(() =>
      checkCluster(
        cluster({
          namespaces: [{ name: 'a' }, { name: 'a', labels: { 'kubernetes.io/metadata.name': 'b' } }],
          workloads: [
            {
              name: 'w',
              podLabels: { 'bad key': 'v' },
              ports: [
                { name: 'http', containerPort: 80 },
                { name: 'http', containerPort: 81 },
                { name: 'Bad_Name', containerPort: 82 },
              ],
              podIPs: ['10.0.0.1', '10.244.0.300'],
            },
            { name: 'w', podIPs: ['10.244.0.5'] },
            { name: 'v', podIPs: ['10.244.0.5'] },
          ],
        }),
        'c.yaml',
      ),
    );
    expect(semantic.lines()).toEqual([
      'c.yaml: kubernetes.namespaces[1].name: namespace "a" is declared twice (also [0])',
      'c.yaml: kubernetes.namespaces[1].labels["kubernetes.io/metadata.name"]: is set by the control plane to the namespace name "a", not "b"',
      'c.yaml: kubernetes.workloads[0].podLabels["bad key"]: key "bad key" is invalid: the name part must be 1-63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
      'c.yaml: kubernetes.workloads[0].ports[1].name: port name "http" is used twice in one pod (also ports[0])',
      'c.yaml: kubernetes.workloads[0].ports[2].name: port name "Bad_Name" is invalid: 1-15 lower-case letters, digits and "-" with at least one letter, no "--", not starting or ending with "-"',
      'c.yaml: kubernetes.workloads[0].podIPs[0]: pod IP "10.0.0.1" is outside network.podCidr 10.244.0.0/16',
      'c.yaml: kubernetes.workloads[0].podIPs[1]: invalid IPv4 address "10.244.0.300": 300 is not an IPv4 octet (0-255, no leading zeros)',
      'c.yaml: kubernetes.workloads[1].name: Deployment default/w is declared twice (also [0])',
      'c.yaml: kubernetes.workloads[2].podIPs[0]: pod IP "10.244.0.5" is also given to Deployment default/w',
    ]);
  });
});
