/** The netpol lints, each on a small case, and the cluster-file warnings (Service selecting no declared workload). */
import { clusterWarnings, netpolLints } from '../../../src/model/netpol/lints';
import { checkCluster } from '../../../src/model/load';
import { inventoryOf, namespace, pod, policy } from './support';

const dns = pod('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, [
  { name: 'dns', containerPort: 53, protocol: 'UDP' },
  { name: 'dns-tcp', containerPort: 53 },
]);

describe('netpol lints', () => {
  test('no workloads known: no lints', () => {
    expect(netpolLints(inventoryOf([policy('x', 'p', { podSelector: { matchLabels: { app: 'none' } } })]))).toEqual([]);
  });

  test('a policy that selects no workload', () => {
    const lints = netpolLints(
      inventoryOf([pod('x', 'a', { app: 'a' }), policy('x', 'typo', { podSelector: { matchLabels: { app: 'aa' } } })]),
    );
    expect(lints).toEqual([
      'NetworkPolicy x/typo selects no workload (podSelector {"matchLabels":{"app":"aa"}} in namespace x)',
    ]);
  });

  test('an egress-isolated workload that cannot reach cluster DNS (UDP and TCP 53), with and without a kube-dns workload', () => {
    const denyEgress = policy('x', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
    const udpOnly = policy('x', 'dns-udp', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [{ port: 53, protocol: 'UDP' }],
        },
      ],
    });
    const message = (what: string) =>
      `x/a is isolated for egress and cannot reach cluster DNS (kube-dns in kube-system) on ${what}: name lookups will time out; allow egress to namespaceSelector kubernetes.io/metadata.name=kube-system + podSelector k8s-app=kube-dns on UDP and TCP 53`;
    expect(netpolLints(inventoryOf([pod('x', 'a', {}), denyEgress]))).toEqual([message('UDP 53 and TCP 53')]);
    expect(netpolLints(inventoryOf([pod('x', 'a', {}), dns, udpOnly]))).toEqual([message('TCP 53')]);
    expect(netpolLints(inventoryOf([pod('x', 'a', {}), udpOnly]))).toEqual([message('TCP 53')]);
  });

  test('an ipBlock covering the pod or the service CIDR', () => {
    const p = policy('x', 'cidr', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { ipBlock: { cidr: '192.168.0.0/16' } }] }],
    });
    expect(
      netpolLints(inventoryOf([pod('x', 'a', {}), p], { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' })),
    ).toEqual([
      'NetworkPolicy x/cidr ingress[0].from[0]: ipBlock 10.0.0.0/8 covers the pod CIDR 10.244.0.0/16: whether pod traffic matches an ipBlock is implementation-defined; select pods with podSelector/namespaceSelector (netpol matches only pods with known IPs inside the block)',
      'NetworkPolicy x/cidr ingress[0].from[0]: ipBlock 10.0.0.0/8 covers the service CIDR 10.96.0.0/12: Service addresses are rewritten to pod addresses before most network plugins apply policies, so this ipBlock does not match Service traffic',
    ]);
  });

  test('a named port that no selected workload defines', () => {
    const p = policy('x', 'named', {
      podSelector: { matchLabels: { app: 'a' } },
      ingress: [{ ports: [{ port: 'http' }, { port: 'grpc' }, { port: 'http', protocol: 'UDP' }] }],
    });
    expect(
      netpolLints(inventoryOf([namespace('x'), pod('x', 'a', { app: 'a' }, [{ name: 'http', containerPort: 80 }]), p])),
    ).toEqual([
      'NetworkPolicy x/named ingress[0].ports[1]: named port "grpc" (TCP) is defined by no selected workload, so this port entry matches nothing',
      'NetworkPolicy x/named ingress[0].ports[2]: named port "http" (UDP) is defined by no selected workload, so this port entry matches nothing',
    ]);
  });

  test('cluster file: a Service selecting no declared workload, and the lints over declared workloads', () => {
    const model = checkCluster(
      {
        name: 'c',
        network: { podCidr: '10.244.0.0/16', serviceCidr: '10.96.0.0/12' },
        cni: { plugin: 'bridge' },
        kubernetes: {
          services: [
            { name: 'web', selector: { app: 'web' }, ports: [{ port: 80 }] },
            { name: 'api', selector: { app: 'api' }, ports: [{ port: 80 }] },
          ],
          workloads: [{ name: 'web', podLabels: { app: 'web' } }],
          networkPolicies: [{ name: 'typo', podSelector: { matchLabels: { app: 'wbe' } } }],
        },
      },
      'c.yaml',
    );
    expect(clusterWarnings(model.cluster, 'c.yaml')).toEqual([
      'the bridge CNI plugin does not enforce NetworkPolicies: NetworkPolicy default/typo will be accepted by the API server but have no effect',
      'Service default/api selects no declared workload (selector {"app":"api"}): it will have no endpoints',
      'NetworkPolicy default/typo selects no workload (podSelector {"matchLabels":{"app":"wbe"}} in namespace default)',
    ]);
  });
});
